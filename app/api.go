package app

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// apiTokenPrefix starts every personal API token, so that a leaked one is easy to recognise.
const apiTokenPrefix = "kwp_"

// authenticateToken identifies the user of an Authorization: Bearer kwp_… header.
// Requests without one go on unauthenticated: the device API uses its own scheme.
func (s *Server) authenticateToken(c *fiber.Ctx) error {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return c.Next()
	}
	token = strings.TrimSpace(token)
	if !strings.HasPrefix(token, apiTokenPrefix) {
		return errUnauthorized
	}
	ctx := c.UserContext()
	t, user, err := s.db.FindAPIToken(ctx, digest(token))
	if errors.Is(err, store.ErrNotFound) || (err == nil && !user.Active) {
		return errUnauthorized
	}
	if err != nil {
		return err
	}
	// A token does what its user may do: nothing, while every organization of theirs is suspended.
	if msg, err := s.suspendedOnly(c, user); err != nil {
		return err
	} else if msg != "" {
		return &Error{Status: http.StatusForbidden, Code: "ORGANIZATION_SUSPENDED", Message: msg}
	}
	if s.clock.Now().Sub(t.LastUsedAt) >= time.Minute {
		if err := s.db.TouchAPIToken(ctx, t.ID); err != nil {
			return err
		}
	}
	c.Locals(localUser, &user)
	return c.Next()
}

// NewAPIToken creates a personal API token for the user and returns its value, shown only this once.
func NewAPIToken(ctx context.Context, db *store.DB, userID int64, name string) (string, error) {
	value := apiTokenPrefix + randomToken()
	t := store.APIToken{UserID: userID, Name: name, Hash: digest(value), Hint: value[len(value)-4:]}
	if err := db.CreateAPIToken(ctx, &t); err != nil {
		return "", err
	}
	return value, nil
}

type apiOrgRef struct {
	ID   int64  `json:"id"`
	Name string `json:"name"`
	Kind string `json:"kind"`
	Role string `json:"role"`
}

// apiMe describes the token's user and organizations.
// GET /api/v1/me
func (s *Server) apiMe(c *fiber.Ctx) error {
	u := currentUser(c)
	ms, err := s.db.Memberships(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	orgs := make([]apiOrgRef, 0, len(ms))
	for _, m := range ms {
		orgs = append(orgs, apiOrgRef{ID: m.Org.ID, Name: m.Org.Name, Kind: m.Org.Kind, Role: m.Role})
	}
	return c.JSON(fiber.Map{"id": u.ID, "email": u.Email, "name": u.Name, "organizations": orgs})
}
