// Package signing signs the device API's answers and the offline license files with the
// instance's Ed25519 key (DESIGN §9), and checks them as a device would. It speaks neither HTTP
// nor SQL: the server hands it bytes, a device's code can copy what it does.
package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Algorithm names the signatures in the answers and files.
const Algorithm = "ed25519"

// Header is the response header that carries an answer's signature.
const Header = "Keyward-Signature"

// info binds the derived key to its purpose, so the instance secret keys nothing else the same way.
const info = "keyward signing v1"

// Key derives the instance's signing key from its secret: HKDF-SHA256, empty salt, info
// "keyward signing v1", 32 bytes as the Ed25519 seed. A backup of the secret keeps the key.
func Key(secret []byte) ed25519.PrivateKey {
	seed, err := hkdf.Key(sha256.New, secret, nil, info, ed25519.SeedSize)
	if err != nil {
		panic(err) // 32 bytes of SHA-256 HKDF never fail
	}
	return ed25519.NewKeyFromSeed(seed)
}

// Message is what an answer's signature covers: "keyward-v1\n<t>\n<body as sent>".
func Message(t int64, body []byte) []byte {
	m := make([]byte, 0, len(body)+32)
	m = append(m, "keyward-v1\n"...)
	m = strconv.AppendInt(m, t, 10)
	m = append(m, '\n')
	return append(m, body...)
}

// Signer signs answers with one key. Answers sent again within the same second (a device
// validating without a nonce gets the very same bytes) reuse their signature.
type Signer struct {
	key ed25519.PrivateKey
	pub string // base64

	mu     sync.RWMutex
	second int64
	cache  map[string]string // body → header value, for this second only
}

// cacheLimit bounds the signatures kept for one second: beyond it, answers are signed each time.
const cacheLimit = 4096

// cacheableBody is the largest answer whose signature is kept.
const cacheableBody = 4096

// NewSigner signs with the key derived from the instance secret.
func NewSigner(secret []byte) *Signer {
	k := Key(secret)
	return &Signer{key: k, pub: base64.StdEncoding.EncodeToString(k.Public().(ed25519.PublicKey)), cache: map[string]string{}}
}

// PublicKey is the signing key's public half, in standard base64 with padding.
func (s *Signer) PublicKey() string { return s.pub }

// Answer is the Keyward-Signature header value of a body sent at t (unix seconds):
// "t=<t>, sig=<base64>".
func (s *Signer) Answer(t int64, body []byte) string {
	cacheable := len(body) <= cacheableBody
	if cacheable {
		s.mu.RLock()
		h, ok := s.cache[string(body)]
		same := s.second == t
		s.mu.RUnlock()
		if ok && same {
			return h
		}
	}
	h := "t=" + strconv.FormatInt(t, 10) + ", sig=" + base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, Message(t, body)))
	if cacheable {
		s.mu.Lock()
		if s.second != t {
			if s.second > t { // a late request of the second before: keep the newer second's cache
				s.mu.Unlock()
				return h
			}
			s.second, s.cache = t, make(map[string]string, len(s.cache))
		}
		if len(s.cache) < cacheLimit {
			s.cache[string(body)] = h
		}
		s.mu.Unlock()
	}
	return h
}

// ParseHeader reads "t=<unix>, sig=<base64>".
func ParseHeader(h string) (t int64, sig []byte, err error) {
	var haveT, haveSig bool
	for part := range strings.SplitSeq(h, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch k {
		case "t":
			if t, err = strconv.ParseInt(v, 10, 64); err != nil {
				return 0, nil, fmt.Errorf("signature header: bad time %q", v)
			}
			haveT = true
		case "sig":
			if sig, err = base64.StdEncoding.DecodeString(v); err != nil {
				return 0, nil, errors.New("signature header: sig is not standard base64")
			}
			haveSig = true
		}
	}
	if !haveT || !haveSig {
		return 0, nil, errors.New("signature header: want t=<unix seconds>, sig=<base64>")
	}
	return t, sig, nil
}

// ErrBadSignature is a signature that does not match what it signs.
var ErrBadSignature = errors.New("bad signature: the bytes were not signed by this key")

// VerifyAnswer checks a Keyward-Signature header against the body received, with the public key
// in base64. It returns the signing time; the caller decides how old an answer it accepts.
func VerifyAnswer(publicKey, header string, body []byte) (time.Time, error) {
	pub, err := ParsePublicKey(publicKey)
	if err != nil {
		return time.Time{}, err
	}
	t, sig, err := ParseHeader(header)
	if err != nil {
		return time.Time{}, err
	}
	if !ed25519.Verify(pub, Message(t, body), sig) {
		return time.Time{}, ErrBadSignature
	}
	return time.Unix(t, 0).UTC(), nil
}

// ParsePublicKey reads a public key in standard base64.
func ParsePublicKey(b64 string) (ed25519.PublicKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(b64))
	if err != nil || len(b) != ed25519.PublicKeySize {
		return nil, errors.New("public key: want the 32 bytes of an Ed25519 key in standard base64")
	}
	return ed25519.PublicKey(b), nil
}

// File is an offline license file as the API answers it and a device saves it.
type File struct {
	Payload   string `json:"payload"`   // base64 of the payload JSON
	Signature string `json:"signature"` // base64 Ed25519 signature of the decoded payload bytes
	Algorithm string `json:"algorithm"`
}

// Payload is what a license file says: the license as validate shows it, for one device, until
// a time.
type Payload struct {
	License     json.RawMessage `json:"license"`
	Fingerprint string          `json:"fingerprint"`
	IssuedAt    time.Time       `json:"issued_at"`
	ExpiresAt   time.Time       `json:"expires_at"`
}

// LicenseID is the id of the license in the payload.
func (p Payload) LicenseID() int64 {
	var l struct {
		ID int64 `json:"id"`
	}
	json.Unmarshal(p.License, &l)
	return l.ID
}

// FileExpiry is when a license file issued at now for days ends: now + days, but never past
// 00:00 UTC of the license's end date (YYYY-MM-DD, exclusive; "" for none).
func FileExpiry(now time.Time, days int, endDate string) time.Time {
	exp := now.UTC().Add(time.Duration(days) * 24 * time.Hour).Truncate(time.Second)
	if end, err := time.Parse(time.DateOnly, endDate); err == nil && exp.After(end) {
		exp = end
	}
	return exp
}

// SignFile signs a payload into a license file.
func (s *Signer) SignFile(p Payload) (File, error) {
	b, err := json.Marshal(p)
	if err != nil {
		return File{}, err
	}
	return File{Payload: base64.StdEncoding.EncodeToString(b),
		Signature: base64.StdEncoding.EncodeToString(ed25519.Sign(s.key, b)), Algorithm: Algorithm}, nil
}

// ErrExpired is a license file whose time has passed.
var ErrExpired = errors.New("license file expired")

// OpenFile checks a license file (the JSON as saved) with the public key in base64 and returns
// its payload. A bad signature is ErrBadSignature; a file past its expiry at now is ErrExpired,
// with the payload still returned so its dates can be shown.
func OpenFile(publicKey string, saved []byte, now time.Time) (Payload, error) {
	var p Payload
	pub, err := ParsePublicKey(publicKey)
	if err != nil {
		return p, err
	}
	var f File
	dec := json.NewDecoder(bytes.NewReader(saved))
	if err := dec.Decode(&f); err != nil {
		return p, errors.New("license file: not the JSON of POST /api/v1/license-file")
	}
	if f.Algorithm != Algorithm {
		return p, fmt.Errorf("license file: algorithm %q, want %q", f.Algorithm, Algorithm)
	}
	payload, err1 := base64.StdEncoding.DecodeString(f.Payload)
	sig, err2 := base64.StdEncoding.DecodeString(f.Signature)
	if err1 != nil || err2 != nil {
		return p, ErrBadSignature
	}
	if !ed25519.Verify(pub, payload, sig) {
		return p, ErrBadSignature
	}
	if err := json.Unmarshal(payload, &p); err != nil {
		return p, errors.New("license file: the signed payload is not a license")
	}
	if !now.Before(p.ExpiresAt) {
		return p, ErrExpired
	}
	return p, nil
}
