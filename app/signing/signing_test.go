package signing

import (
	"bytes"
	"crypto/ed25519"
	"crypto/hkdf"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"testing"
	"time"
)

func TestKeyIsHKDFOfTheSecret(t *testing.T) {
	secret := bytes.Repeat([]byte{7}, 32)
	seed, _ := hkdf.Key(sha256.New, secret, nil, "keyward signing v1", 32)
	if got, want := Key(secret), ed25519.NewKeyFromSeed(seed); !got.Equal(want) {
		t.Fatal("the key is not the HKDF-SHA256 seed of the secret")
	}
	if bytes.Equal(Key(secret), Key(bytes.Repeat([]byte{8}, 32))) {
		t.Fatal("two secrets give one key")
	}
}

func TestAnswerSignatureVerifiesAndRefusesAFlippedByte(t *testing.T) {
	s := NewSigner(bytes.Repeat([]byte{1}, 32))
	body := []byte(`{"valid":true,"code":"VALID"}`)
	for _, tc := range []struct {
		name string
		t    int64
	}{{"first", 1790000000}, {"cached", 1790000000}, {"next second", 1790000001}} {
		t.Run(tc.name, func(t *testing.T) {
			h := s.Answer(tc.t, body)
			at, err := VerifyAnswer(s.PublicKey(), h, body)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := at.Unix(), tc.t; got != want {
				t.Fatalf("time %d, want %d", got, want)
			}
			for i := range body {
				flipped := bytes.Clone(body)
				flipped[i] ^= 1
				if _, err := VerifyAnswer(s.PublicKey(), h, flipped); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("byte %d flipped: %v", i, err)
				}
			}
			if _, err := VerifyAnswer(s.PublicKey(), "t=1790000002, sig="+h[len("t=1790000000, sig="):], body); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("another time: %v", err)
			}
		})
	}
	if _, err := VerifyAnswer(s.PublicKey(), s.Answer(5, nil), nil); err != nil {
		t.Fatalf("empty body (204): %v", err)
	}
}

func TestLicenseFile(t *testing.T) {
	s := NewSigner(bytes.Repeat([]byte{2}, 32))
	now := time.Date(2026, 12, 2, 10, 30, 0, 0, time.UTC)
	p := Payload{License: json.RawMessage(`{"id":42,"status":"in_use"}`), Fingerprint: "pc-1", IssuedAt: now,
		ExpiresAt: FileExpiry(now, 30, "2026-12-20")}
	if got, want := p.ExpiresAt, time.Date(2026, 12, 20, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Fatalf("expiry %v, want the end date %v", got, want)
	}
	f, err := s.SignFile(p)
	if err != nil {
		t.Fatal(err)
	}
	saved, _ := json.Marshal(f)
	got, err := OpenFile(s.PublicKey(), saved, now)
	if err != nil {
		t.Fatal(err)
	}
	if got.LicenseID() != 42 || got.Fingerprint != "pc-1" {
		t.Fatalf("payload %+v", got)
	}
	if _, err := OpenFile(s.PublicKey(), saved, p.ExpiresAt); !errors.Is(err, ErrExpired) {
		t.Fatalf("at expiry: %v", err)
	}
	raw, _ := base64.StdEncoding.DecodeString(f.Payload)
	raw[len(raw)-3] ^= 1
	f.Payload = base64.StdEncoding.EncodeToString(raw)
	tampered, _ := json.Marshal(f)
	if _, err := OpenFile(s.PublicKey(), tampered, now); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("tampered: %v", err)
	}
	if got, want := FileExpiry(now, 1, "2027-01-01"), now.Add(24*time.Hour); !got.Equal(want) {
		t.Fatalf("1 day: %v, want %v", got, want)
	}
}
