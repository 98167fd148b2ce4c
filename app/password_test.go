package app

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/crypto/argon2"
)

func TestPasswords(t *testing.T) {
	h := newPasswordHasher()
	encoded := h.hash("a fine passphrase")
	if !h.check(encoded, "a fine passphrase") || h.check(encoded, "a fine passphrasE") {
		t.Error("check does not tell the right password from a wrong one")
	}
	if h.check("", "anything") {
		t.Error("an account without a hash accepted a password")
	}
	if !strings.HasPrefix(encoded, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q is not argon2id with m=19 MiB, t=2, p=1", encoded)
	}
	// The decoy must cost what a real check costs: the same parameters.
	params := fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$", argon2.Version, argonMemoryKiB, argonTime, argonThreads)
	if !strings.HasPrefix(decoyHash, params) {
		t.Errorf("the decoy hash %q does not use the current parameters %s", decoyHash, params)
	}
	for _, tc := range []struct {
		name, password, want string
	}{
		{"too short", "short", "at least 8"},
		{"too long", strings.Repeat("x", 129), "at most 128"},
		{"common", "Password123", "too common"},
		{"fine", "violet-lantern-42", ""},
		{"8 characters", "abcdefgh", "too common"},
		{"128 multibyte characters", strings.Repeat("é", 128), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := h.validate(tc.password)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Errorf("validate: %v, want %q", err, tc.want)
			}
		})
	}
}
