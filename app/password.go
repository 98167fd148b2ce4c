package app

import (
	"bufio"
	"crypto/rand"
	"crypto/subtle"
	_ "embed"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"unicode/utf8"

	"golang.org/x/crypto/argon2"
)

// Argon2id parameters: the OWASP minimum of 19 MiB and two passes, one lane.
const (
	argonMemoryKiB = 19 * 1024
	argonTime      = 2
	argonThreads   = 1
	argonKeyLen    = 32
	argonSaltLen   = 16
)

//go:embed common-passwords.txt
var commonPasswordList string

// decoyHash is the hash of a random password that was thrown away. Checking a sign-in for an
// unknown account against it costs what checking a known one does, so timing tells nothing.
// It is a constant rather than computed at start, which would cost 19 MiB and 40 ms for nothing.
const decoyHash = "$argon2id$v=19$m=19456,t=2,p=1$pc1dWPlhIJ9j+jpwL+z+Wg$GMWD5Gi1+UHfRyLUjFJB0tM+q9Q8QXjbfLZnZH1TCeY"

// passwordHasher hashes and checks passwords with argon2id, and refuses common ones.
type passwordHasher struct {
	common map[string]bool
	checks atomic.Int64 // argon2 computations for sign-in checks, for tests of the decoy path
}

func newPasswordHasher() *passwordHasher {
	h := &passwordHasher{common: make(map[string]bool)}
	sc := bufio.NewScanner(strings.NewReader(commonPasswordList))
	for sc.Scan() {
		if w := strings.TrimSpace(sc.Text()); w != "" && !strings.HasPrefix(w, "#") {
			h.common[strings.ToLower(w)] = true
		}
	}
	return h
}

// validate says why a new password cannot be used: 8 to 128 characters, not a common one.
func (h *passwordHasher) validate(pw string) error {
	switch n := utf8.RuneCountInString(pw); {
	case n < 8:
		return fmt.Errorf("Use at least 8 characters.")
	case n > 128:
		return fmt.Errorf("Use at most 128 characters.")
	case h.common[strings.ToLower(pw)]:
		return fmt.Errorf("This password is too common: choose another.")
	}
	return nil
}

// hash returns the PHC string of pw with a new random salt.
func (h *passwordHasher) hash(pw string) string {
	salt := make([]byte, argonSaltLen)
	rand.Read(salt)
	key := argon2.IDKey([]byte(pw), salt, argonTime, argonMemoryKiB, argonThreads, argonKeyLen)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemoryKiB, argonTime, argonThreads,
		b64.EncodeToString(salt), b64.EncodeToString(key))
}

// check tells whether pw matches encoded; an empty encoded (no such account) is checked
// against the decoy so that the answer takes as long and is always false.
func (h *passwordHasher) check(encoded, pw string) bool {
	h.checks.Add(1)
	if encoded == "" {
		matches(decoyHash, pw)
		return false
	}
	return matches(encoded, pw)
}

func matches(encoded, pw string) bool {
	var version, memory, time, threads int
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return false
	}
	if _, err := fmt.Sscanf(parts[2]+" "+parts[3], "v=%d m=%d,t=%d,p=%d", &version, &memory, &time, &threads); err != nil {
		return false
	}
	salt, err1 := base64.RawStdEncoding.DecodeString(parts[4])
	want, err2 := base64.RawStdEncoding.DecodeString(parts[5])
	if err1 != nil || err2 != nil || version != argon2.Version || threads < 1 || threads > 255 || len(want) == 0 {
		return false
	}
	got := argon2.IDKey([]byte(pw), salt, uint32(time), uint32(memory), uint8(threads), uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}
