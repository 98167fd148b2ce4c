package app

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"

	"keyward/app/signing"
)

// signedAnswer is a device API answer as received: status, header, exact body.
type signedAnswer struct {
	status int
	sig    string
	body   []byte
}

func (w *licenseWorld) rawDevice(key, path, body string) signedAnswer {
	w.a.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, w.a.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "License "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return signedAnswer{resp.StatusCode, resp.Header.Get(signing.Header), raw}
}

// publicKey is the key a device fetches once: GET /api/v1/public-key, no credentials.
func (w *licenseWorld) publicKey() string {
	w.a.t.Helper()
	status, out := w.a.call("", http.MethodGet, "/api/v1/public-key", nil)
	if status != http.StatusOK || out["algorithm"] != "ed25519" {
		w.a.t.Fatalf("public key: %d %v", status, out)
	}
	return out["public_key"].(string)
}

func TestDeviceAnswersAreSignedWithTheNonceEchoed(t *testing.T) {
	w := newLicenseWorld(t)
	pub := w.publicKey()
	_, key := w.newLicense(nil)
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
	tests := []struct {
		name, key, path, body string
		status                int
		nonce                 string
	}{
		{"validate", key, "/api/v1/validate", `{"fingerprint":"a","nonce":"n-1"}`, 200, "n-1"},
		{"validate without nonce", key, "/api/v1/validate", `{"fingerprint":"a"}`, 200, ""},
		{"validate again, cached signature", key, "/api/v1/validate", `{"fingerprint":"a"}`, 200, ""},
		{"unknown key", "KW-00000-00000-00000-00000-00000", "/api/v1/validate", `{"nonce":"n-2"}`, 401, "n-2"},
		{"no key", "", "/api/v1/activate", `{"fingerprint":"a","nonce":"n-3"}`, 401, "n-3"},
		{"check", key, "/api/v1/features/check", `{"fingerprint":"a","feature":"voice","nonce":"n-4"}`, 200, "n-4"},
		{"release with nonce", key, "/api/v1/features/release", `{"fingerprint":"a","feature":"voice","nonce":"n-5"}`, 200, "n-5"},
		{"release", key, "/api/v1/features/release", `{"fingerprint":"a","feature":"voice"}`, 204, ""},
		{"not activated", key, "/api/v1/deactivate", `{"fingerprint":"zz","nonce":"n-6"}`, 404, "n-6"},
		{"bad body", key, "/api/v1/validate", `{"fingerprint":`, 400, ""},
		{"usage", key, "/api/v1/usage", `{"setup":"s1","samples":[{"time":"2026-11-02T08:00:00Z","service":"api","metrics":{"cores":1}}],"nonce":"n-7"}`, 200, "n-7"},
		{"usage refused", key, "/api/v1/usage", `{"setup":"s1","samples":[],"nonce":"n-9"}`, 400, "n-9"},
		{"deactivate with nonce", key, "/api/v1/deactivate", `{"fingerprint":"a","nonce":"n-8"}`, 200, "n-8"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := w.rawDevice(tt.key, tt.path, tt.body)
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.body)
			}
			if _, err := signing.VerifyAnswer(pub, a.sig, a.body); err != nil {
				t.Fatalf("signature %q over %s: %v", a.sig, a.body, err)
			}
			for i := range a.body {
				flipped := bytes.Clone(a.body)
				flipped[i] ^= 0x01
				if _, err := signing.VerifyAnswer(pub, a.sig, flipped); !errors.Is(err, signing.ErrBadSignature) {
					t.Fatalf("byte %d flipped: accepted (%v)", i, err)
				}
			}
			if tt.status == http.StatusNoContent {
				if len(a.body) != 0 {
					t.Fatalf("204 with a body %q", a.body)
				}
				return
			}
			var out map[string]any
			if err := json.Unmarshal(a.body, &out); err != nil {
				t.Fatalf("not JSON: %s", a.body)
			}
			if tt.nonce != "" && out["nonce"] != tt.nonce {
				t.Errorf("nonce %v, want %q: %s", out["nonce"], tt.nonce, a.body)
			}
		})
	}
	a := w.rawDevice(key, "/api/v1/validate", `{"nonce":"`+strings.Repeat("x", 65)+`"}`)
	var out map[string]any
	json.Unmarshal(a.body, &out)
	if _, field := errorOf(out); a.status != http.StatusBadRequest || field != "nonce" {
		t.Errorf("a 65-character nonce: %d %s", a.status, a.body)
	}
	if _, err := signing.VerifyAnswer(pub, a.sig, a.body); err != nil {
		t.Errorf("the 400 is not signed: %v", err)
	}
}

// TestGzippedUsageEchoesItsNonce: a gzipped report's nonce is read by the usage handler, past the
// signing middleware, and still echoed in the signed answer.
func TestGzippedUsageEchoesItsNonce(t *testing.T) {
	w := newLicenseWorld(t)
	pub := w.publicKey()
	_, key := w.newLicense(nil)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(`{"setup":"s1","nonce":"gz-1","samples":[{"time":"2026-11-02T08:00:00Z","service":"api","metrics":{"cores":1}}]}`))
	zw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.a.url+"/api/v1/usage", &buf)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Content-Encoding", "gzip")
	req.Header.Set("Authorization", "License "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"nonce":"gz-1"`) {
		t.Fatalf("%d %s", resp.StatusCode, body)
	}
	if _, err := signing.VerifyAnswer(pub, resp.Header.Get(signing.Header), body); err != nil {
		t.Error(err)
	}
}
