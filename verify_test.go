package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestVerifyCommand: a license file fetched from a running server verifies offline with the
// public key it publishes, and fails, saying why, once tampered with or expired.
func TestVerifyCommand(t *testing.T) {
	dir := t.TempDir()
	url, _, stop := startRun(t, []string{"--addr", "127.0.0.1:0", "--data", dir}, map[string]string{
		"KEYWARD_ADMIN_EMAIL": "ops@keyward.test", "KEYWARD_ADMIN_PASSWORD": "a-long-enough-password",
	})
	defer stop()
	var tok strings.Builder
	if err := run(context.Background(), []string{"token", "--data", dir, "--email", "ops@keyward.test"}, env(nil), &tok, io.Discard); err != nil {
		t.Fatal(err)
	}
	call := func(auth, path string, body any) map[string]any {
		t.Helper()
		b, _ := json.Marshal(body)
		method := http.MethodPost
		if body == nil {
			method = http.MethodGet
		}
		req, _ := http.NewRequest(method, url+path, bytes.NewReader(b))
		req.Header.Set("Content-Type", "application/json")
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out map[string]any
		json.NewDecoder(resp.Body).Decode(&out)
		if resp.StatusCode >= 300 {
			t.Fatalf("%s: %d %v", path, resp.StatusCode, out)
		}
		return out
	}
	bearer := "Bearer " + strings.TrimSpace(tok.String())
	call(bearer, "/api/v1/products", map[string]any{"code": "app", "name": "App", "features": []map[string]any{{"code": "core", "name": "Core"}}})
	vendor := call(bearer, "/api/v1/me", nil)["organizations"].([]any)[0].(map[string]any)["id"]
	client := call(bearer, "/api/v1/organizations", map[string]any{"name": "Client", "kind": "client", "parent_id": vendor})["id"]
	lic := call(bearer, "/api/v1/licenses", map[string]any{"organization_id": client, "product": "app", "features": []string{"core"},
		"currency": "EUR", "term_years": 1, "payment_period": "annual", "start_date": time.Now().UTC().Format(time.DateOnly)})
	key := "License " + lic["key"].(string)
	call(key, "/api/v1/activate", map[string]any{"fingerprint": "kiosk-7"})
	file := call(key, "/api/v1/license-file", map[string]any{"fingerprint": "kiosk-7", "days": 10})
	saved, _ := json.Marshal(file)
	good := filepath.Join(t.TempDir(), "license.json")
	os.WriteFile(good, saved, 0o600)
	pub := call("", "/api/v1/public-key", nil)["public_key"].(string)

	var out strings.Builder
	if err := run(context.Background(), []string{"verify", "--public-key", pub, good}, env(nil), &out, io.Discard); err != nil {
		t.Fatalf("a good file: %v", err)
	}
	for _, want := range []string{"Signature:   good", "License:     1 (in_use", "Fingerprint: kiosk-7", "Expires:     " + time.Now().UTC().AddDate(0, 0, 10).Format("2006-01-02")} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("verify prints %q, want %q in it", out.String(), want)
		}
	}
	// The public key from the environment, like every flag.
	if err := run(context.Background(), []string{"verify", good}, env(map[string]string{"KEYWARD_PUBLIC_KEY": pub}), io.Discard, io.Discard); err != nil {
		t.Errorf("KEYWARD_PUBLIC_KEY: %v", err)
	}

	payload, _ := base64.StdEncoding.DecodeString(file["payload"].(string))
	tampered := bytes.Replace(payload, []byte(`"kiosk-7"`), []byte(`"kiosk-8"`), 1)
	file["payload"] = base64.StdEncoding.EncodeToString(tampered)
	saved, _ = json.Marshal(file)
	bad := filepath.Join(t.TempDir(), "tampered.json")
	os.WriteFile(bad, saved, 0o600)
	err := run(context.Background(), []string{"verify", "--public-key", pub, bad}, env(nil), io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "bad signature") {
		t.Errorf("a tampered file: %v, want a bad signature", err)
	}
	err = verify(pub, good, time.Now().AddDate(0, 0, 11), io.Discard)
	if err == nil || !strings.Contains(err.Error(), "expired") {
		t.Errorf("11 days later: %v, want expired", err)
	}
	if err := run(context.Background(), []string{"verify", good}, env(nil), io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "--public-key") {
		t.Errorf("without a key: %v", err)
	}
}
