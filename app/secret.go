package app

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"keyward/store"
)

const secretFile = "instance.key"

// LoadSecret reads the instance secret: env (KEYWARD_INSTANCE_KEY, its 32 bytes in standard
// base64) when set, else the data folder's, created (mode 0600) on first start. It keys CSRF
// tokens and the encryption of license keys and TOTP secrets: losing it makes them unreadable
// (every second factor would have to be reset).
func LoadSecret(dataDir, env string) ([]byte, error) {
	if env != "" {
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(env))
		if err != nil || len(secret) != 32 {
			return nil, errors.New("KEYWARD_INSTANCE_KEY: want the 32 bytes of the instance secret in standard base64 (base64 -w0 instance.key)")
		}
		return secret, nil
	}
	if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, err
	}
	path := filepath.Join(dataDir, secretFile)
	secret, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		secret = make([]byte, 32)
		rand.Read(secret)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		if _, err := f.Write(secret); err != nil {
			f.Close()
			return nil, err
		}
		return secret, f.Close()
	}
	if err != nil {
		return nil, err
	}
	if len(secret) != 32 {
		return nil, fmt.Errorf("%s: want 32 bytes, found %d: restore it from a backup", path, len(secret))
	}
	// A secret readable by others is a secret no more: tighten it rather than refuse to start.
	if err := os.Chmod(path, 0o600); err != nil {
		return nil, err
	}
	return secret, nil
}

// secretCheck is the check value of the instance secret that the database keeps (DESIGN §10):
// the HMAC-SHA256 of "keyward instance secret check v1" under the secret, in hex. It tells
// secrets apart without revealing one.
func secretCheck(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("keyward instance secret check v1"))
	return hex.EncodeToString(m.Sum(nil))
}

// CheckSecret refuses an instance secret other than the one the database was first used with,
// so that an instance started with the wrong one says so at once rather than failing to open
// keys and sessions later.
func CheckSecret(ctx context.Context, db *store.DB, secret []byte) error {
	err := db.CheckInstanceSecret(ctx, secretCheck(secret))
	if errors.Is(err, store.ErrSecretMismatch) {
		return errors.New("the instance secret (instance.key in --data, or KEYWARD_INSTANCE_KEY) is not the one this " +
			"database was first used with: every instance on one database needs the same instance secret; copy " +
			"instance.key from an instance that works into --data (or set KEYWARD_INSTANCE_KEY to it in base64)")
	}
	return err
}

// randomToken returns a new value with 256 random bits, as text that fits a URL or a cookie.
func randomToken() string {
	b := make([]byte, 32)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// digest is how tokens are kept in the database: the SHA-256 of their value.
func digest(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// sign derives a value from the instance secret, bound to its purpose.
func (s *Server) sign(purpose, value string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(value))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// sealer is the AES-256-GCM cipher of one purpose ("license-key", "totp-secret"), keyed by the
// HMAC of the purpose under the instance secret, so that a value sealed for one purpose never
// opens as another and a copy of the database alone opens none.
func (s *Server) sealer(purpose string) cipher.AEAD {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(purpose))
	block, err := aes.NewCipher(m.Sum(nil))
	if err != nil {
		panic(err) // a 32-byte key always makes a cipher
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead
}

// seal encrypts plain for purpose behind a random nonce; ad (authenticated, not stored) binds
// the sealed value to what it belongs to, so that it cannot be copied onto another row.
func (s *Server) seal(purpose string, plain, ad []byte) []byte {
	aead := s.sealer(purpose)
	nonce := make([]byte, aead.NonceSize())
	rand.Read(nonce)
	return aead.Seal(nonce, nonce, plain, ad)
}

// unseal opens a value sealed by seal with the same purpose and ad.
func (s *Server) unseal(purpose string, sealed, ad []byte) ([]byte, error) {
	aead := s.sealer(purpose)
	if len(sealed) < aead.NonceSize() {
		return nil, errors.New("sealed value too short")
	}
	return aead.Open(nil, sealed[:aead.NonceSize()], sealed[aead.NonceSize():], ad)
}
