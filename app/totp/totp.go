// Package totp holds the rules of two-factor sign-in: the time-based one-time passwords of
// RFC 6238 (SHA-1, 6 digits, 30-second steps, one step of drift either way) and the
// single-use recovery codes that stand in for an authenticator that is lost. It knows nothing
// of HTTP or storage: the caller keeps the secret, the last step used and the codes' hashes.
package totp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"crypto/subtle"
	"encoding/base32"
	"encoding/binary"
	"fmt"
	"net/url"
	"strings"
	"time"
)

// The parameters of DESIGN §2, which every authenticator app assumes when the URI says nothing.
const (
	Digits = 6
	Period = 30 * time.Second
	// Drift is how many steps a code may be early or late: a phone's clock a little off, or a
	// code typed as it turned.
	Drift = 1
	// SecretSize is 160 bits, the size RFC 4226 recommends for HMAC-SHA-1.
	SecretSize = 20
)

var encoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns a new random shared secret.
func NewSecret() []byte {
	b := make([]byte, SecretSize)
	rand.Read(b)
	return b
}

// EncodeSecret writes a secret as authenticator apps take it typed in: base32 without padding.
func EncodeSecret(secret []byte) string {
	return encoding.EncodeToString(secret)
}

// DecodeSecret reads a base32 secret, forgiving spaces and lower case as people copy it.
func DecodeSecret(s string) ([]byte, error) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	return encoding.DecodeString(strings.TrimRight(s, "="))
}

// URI is the otpauth:// address a QR code carries, in the Key URI format that authenticator
// apps read: the issuer names the entry, and account tells several of them apart.
func URI(issuer, account string, secret []byte) string {
	q := url.Values{}
	q.Set("secret", EncodeSecret(secret))
	q.Set("issuer", issuer)
	q.Set("algorithm", "SHA1")
	q.Set("digits", fmt.Sprint(Digits))
	q.Set("period", fmt.Sprint(int(Period.Seconds())))
	return "otpauth://totp/" + url.PathEscape(issuer) + ":" + url.PathEscape(account) + "?" + q.Encode()
}

// Step is the number of the 30-second step that t falls in.
func Step(t time.Time) int64 {
	return t.Unix() / int64(Period.Seconds())
}

// HOTP is the RFC 4226 code of counter, with the given number of digits (6 to 8).
func HOTP(secret []byte, counter uint64, digits int) string {
	m := hmac.New(sha1.New, secret)
	var msg [8]byte
	binary.BigEndian.PutUint64(msg[:], counter)
	m.Write(msg[:])
	sum := m.Sum(nil)
	off := sum[len(sum)-1] & 0x0f
	bin := binary.BigEndian.Uint32(sum[off:off+4]) & 0x7fffffff
	mod := uint32(1)
	for range digits {
		mod *= 10
	}
	return fmt.Sprintf("%0*d", digits, bin%mod)
}

// Code is the 6-digit code of the step t falls in.
func Code(secret []byte, t time.Time) string {
	return HOTP(secret, uint64(Step(t)), Digits)
}

// Match looks for code among the steps within Drift of t, later than after: the last step
// the account used, so that a code seen over a shoulder or in a proxy's log cannot sign in
// again. It returns the step that matched, to be remembered as the new last one.
func Match(secret []byte, code string, t time.Time, after int64) (step int64, ok bool) {
	code, ok = NormalizeCode(code)
	if !ok {
		return 0, false
	}
	now := Step(t)
	for s := now - Drift; s <= now+Drift; s++ {
		if s <= after || s < 0 {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(HOTP(secret, uint64(s), Digits)), []byte(code)) == 1 {
			return s, true
		}
	}
	return 0, false
}

// NormalizeCode reads what a person typed as a 6-digit code, forgiving the spaces some
// apps show in the middle ("123 456").
func NormalizeCode(s string) (string, bool) {
	s = strings.Join(strings.Fields(s), "")
	if len(s) != Digits {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", false
		}
	}
	return s, true
}
