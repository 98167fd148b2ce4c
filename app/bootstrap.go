package app

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/mail"
	"strings"

	"keyward/store"
)

// defaultAdminEmail is the staff owner's email when KEYWARD_ADMIN_EMAIL is unset.
const defaultAdminEmail = "admin@localhost"

// Bootstrap makes an empty database usable: the vendor organization and its first staff owner,
// with the given password or, when it is empty, a generated one printed to out this once.
// It tells whether the database was empty; on any other database it changes nothing.
func (s *Server) Bootstrap(ctx context.Context, email, password string, out io.Writer) (bool, error) {
	if _, err := s.db.FindVendor(ctx); !errors.Is(err, store.ErrNotFound) {
		return false, err
	}
	if email == "" {
		email = defaultAdminEmail
	}
	email, err := parseEmail(email)
	if err != nil {
		return false, fmt.Errorf("KEYWARD_ADMIN_EMAIL: %w", err)
	}
	generated := password == ""
	if generated {
		password = rand.Text()
	} else if err := s.passwords.validate(password); err != nil {
		return false, fmt.Errorf("KEYWARD_ADMIN_PASSWORD: %w", err)
	}
	vendor := store.Org{Name: "Vendor"}
	owner := store.User{Email: email, Name: "Administrator", PasswordHash: s.passwords.hash(password)}
	if err := s.db.CreateVendor(ctx, &vendor, &owner); err != nil {
		if errors.Is(err, store.ErrConflict) { // another process bootstrapped first
			return false, nil
		}
		return false, err
	}
	if generated {
		fmt.Fprintf(out, "Created the staff owner %s with the password %s\nIt is shown only this once: sign in and change it.\n", email, password)
	} else {
		fmt.Fprintf(out, "Created the staff owner %s with the password of KEYWARD_ADMIN_PASSWORD.\n", email)
	}
	return true, nil
}

// parseEmail checks a bare address (no display name) and returns it trimmed.
func parseEmail(s string) (string, error) {
	s = strings.TrimSpace(s)
	a, err := mail.ParseAddress(s)
	switch {
	case s == "":
		return "", errors.New("Enter an email address.")
	case len(s) > 254:
		return "", errors.New("An email address has at most 254 characters.")
	case err != nil || a.Address != s || a.Name != "":
		return "", errors.New("Enter an email address such as name@example.com.")
	}
	return s, nil
}
