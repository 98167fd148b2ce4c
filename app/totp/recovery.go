package totp

import (
	"crypto/rand"
	"strings"
)

// RecoveryCount is how many recovery codes an enrollment gets.
const RecoveryCount = 10

// recoveryAlphabet leaves out the characters people mistake for one another (0/o, 1/l/i),
// as recovery codes are read off paper. 31⁸ is about 2⁴⁰ codes, against at most ten tries a
// quarter of an hour.
const recoveryAlphabet = "abcdefghjkmnpqrstuvwxyz23456789"

// NewRecoveryCodes returns n new codes, each xxxx-xxxx.
func NewRecoveryCodes(n int) []string {
	codes := make([]string, n)
	for i := range codes {
		var b [8]byte
		for j := range b {
			b[j] = recoveryAlphabet[randomIndex(len(recoveryAlphabet))]
		}
		codes[i] = string(b[:4]) + "-" + string(b[4:])
	}
	return codes
}

// randomIndex draws uniformly from [0, n) by rejection, so that no character is likelier.
func randomIndex(n int) int {
	limit := 256 - 256%n
	var b [1]byte
	for {
		rand.Read(b[:])
		if int(b[0]) < limit {
			return int(b[0]) % n
		}
	}
}

// NormalizeRecoveryCode reads what a person typed as a recovery code: any case, with or
// without the hyphen, spaces forgiven. It answers the code as issued (xxxx-xxxx), or false
// when the text cannot be one.
func NormalizeRecoveryCode(s string) (string, bool) {
	s = strings.ToLower(strings.Join(strings.Fields(s), ""))
	s = strings.ReplaceAll(s, "-", "")
	if len(s) != 8 {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(recoveryAlphabet, s[i]) < 0 {
			return "", false
		}
	}
	return s[:4] + "-" + s[4:], true
}
