// Package licensekey makes and reads license keys: KW- and five groups of five Crockford
// base32 characters, 125 random bits (DESIGN §3).
package licensekey

import (
	"crypto/rand"
	"errors"
	"strings"
)

const (
	prefix    = "KW"
	groups    = 5
	groupLen  = 5
	bodyLen   = groups * groupLen
	alphabet  = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
	keyLength = len(prefix) + groups*(groupLen+1)
)

// ErrMalformed is the answer for text that cannot be a license key.
var ErrMalformed = errors.New("malformed license key")

// New returns a fresh random key in its canonical form.
func New() string {
	var raw [bodyLen]byte
	rand.Read(raw[:])
	body := make([]byte, bodyLen)
	for i, b := range raw {
		body[i] = alphabet[b&31] // 32 divides 256: every character is equally likely
	}
	return format(body)
}

func format(body []byte) string {
	var sb strings.Builder
	sb.Grow(keyLength)
	sb.WriteString(prefix)
	for i := 0; i < bodyLen; i += groupLen {
		sb.WriteByte('-')
		sb.Write(body[i : i+groupLen])
	}
	return sb.String()
}

// Normalize reads a key as a person may type it — any case, with or without dashes or spaces,
// O for 0, I or L for 1 — and returns its canonical form.
func Normalize(s string) (string, error) {
	if len(s) > 4*keyLength {
		return "", ErrMalformed
	}
	body := make([]byte, 0, bodyLen+len(prefix))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' || c == ' ':
			continue
		case c >= 'a' && c <= 'z':
			c -= 'a' - 'A'
		}
		body = append(body, c)
	}
	if len(body) != bodyLen+len(prefix) || string(body[:len(prefix)]) != prefix {
		return "", ErrMalformed
	}
	body = body[len(prefix):]
	for i, c := range body {
		switch c {
		case 'O':
			c = '0'
		case 'I', 'L':
			c = '1'
		}
		if !strings.ContainsRune(alphabet, rune(c)) {
			return "", ErrMalformed
		}
		body[i] = c
	}
	return format(body), nil
}

// Mask shows only the last group of a canonical key, for people who may not see it whole.
func Mask(key string) string {
	if len(key) != keyLength {
		return "KW-•••••-•••••-•••••-•••••-•••••"
	}
	return "KW-•••••-•••••-•••••-•••••-" + Suffix(key)
}

// Suffix is the last group of a canonical key: enough to tell keys apart in a list.
func Suffix(key string) string {
	if len(key) < groupLen {
		return ""
	}
	return key[len(key)-groupLen:]
}
