package app

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestDeviceThresholdStartsTheLicense(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"term_years": 2})
	for i := 1; i <= 5; i++ {
		status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fmt.Sprintf("device-%d", i), "setup": "prod-paris"})
		if status != http.StatusOK {
			t.Fatalf("activation %d: %d %v", i, status, out)
		}
		lic := out["license"].(map[string]any)
		want := "pending_start"
		if i == 5 {
			want = "in_use"
		}
		if lic["status"] != want {
			t.Fatalf("after %d activations: %v, want %s", i, lic["status"], want)
		}
		if i == 4 {
			// Activating the same device again does not count twice.
			w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "device-4"})
			if got := w.license(id)["status"]; got != "pending_start" {
				t.Fatalf("a device activated twice started the license: %v", got)
			}
		}
	}
	l := w.license(id)
	if l["start_date"] != "2026-11-02" || l["end_date"] != "2028-11-02" {
		t.Errorf("dates %v–%v, want 2026-11-02–2028-11-02", l["start_date"], l["end_date"])
	}
	status, out := w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "device-1"})
	if status != http.StatusOK || out["valid"] != true || out["code"] != "VALID" {
		t.Errorf("validate: %d %v", status, out)
	}
	status, out = w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "unknown"})
	if status != http.StatusOK || out["valid"] != false || out["code"] != "DEVICE_NOT_ACTIVATED" {
		t.Errorf("validate of a device not activated: %d %v", status, out)
	}
}

func TestDeactivatedDevicesDoNotCountForTheThreshold(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"start_threshold": 2})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
	if status, _ := w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "a"}); status != http.StatusNoContent {
		t.Fatalf("deactivate: %d", status)
	}
	if status, out := w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "a"}); status != http.StatusNotFound || out["error"].(map[string]any)["code"] != "DEVICE_NOT_ACTIVATED" {
		t.Errorf("deactivate twice: %d %v", status, out)
	}
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "b"})
	if got := w.license(id)["status"]; got != "pending_start" {
		t.Fatalf("one active device started a threshold-2 license: %v", got)
	}
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
	if got := w.license(id)["status"]; got != "in_use" {
		t.Fatalf("two active devices: %v, want in_use", got)
	}
}

func TestDeviceLimitsAndStatusCodes(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"max_devices": 2, "max_aps": 10, "max_rooms": 5})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a", "setup": "s1", "elements": map[string]int{"aps": 6, "rooms": 2}})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "b", "setup": "s2", "elements": map[string]int{"aps": 4, "rooms": 2}})
	status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "c"})
	if code, _ := errorOf(out); status != http.StatusForbidden || code != "TOO_MANY_DEVICES" {
		t.Errorf("third device on max 2: %d %v", status, out)
	}
	l := w.license(id)
	if used := l["used"].(map[string]any); used["aps"] != 10.0 || used["rooms"] != 4.0 || used["devices"] != 2.0 {
		t.Errorf("used %v, want 10 APs, 4 rooms, 2 devices", used)
	}
	_, out = w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a", "setup": "s1", "elements": map[string]int{"aps": 7, "rooms": 2}})
	if out["valid"] != false || out["code"] != "LIMIT_EXCEEDED" {
		t.Errorf("validate past max APs: %v", out)
	}
	_, out = w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a", "setup": "s1", "elements": map[string]int{"aps": 6, "rooms": 2}})
	if out["code"] != "VALID" {
		t.Errorf("validate back within the limits: %v", out)
	}
	tests := []struct {
		action, code string
		body         map[string]any
	}{
		{"deny", "ACCESS_DENIED", map[string]any{"action": "deny", "reason": "unpaid"}},
		{"reinstate", "VALID", map[string]any{"action": "reinstate"}},
		{"terminate", "CONTRACT_FINALIZED", map[string]any{"action": "terminate"}},
	}
	for _, tt := range tests {
		w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK, tt.body)
		status, out := w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a"})
		if status != http.StatusOK || out["code"] != tt.code {
			t.Errorf("validate after %s: %d %v, want 200 %s", tt.action, status, out, tt.code)
		}
		if tt.code != "VALID" {
			status, out = w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
			if code, _ := errorOf(out); status != http.StatusForbidden || code != tt.code {
				t.Errorf("activate after %s: %d %v, want 403 %s", tt.action, status, out, tt.code)
			}
		}
	}
	_, key2 := w.newLicense(map[string]any{"organization_id": nil, "distributor_id": w.dist.ID})
	if _, out := w.device(key2, "/api/v1/validate", nil); out["code"] != "PENDING_PROVISION" {
		t.Errorf("validate pending provision: %v", out)
	}
}

func TestDeviceAPIRefusesBadKeys(t *testing.T) {
	w := newLicenseWorld(t)
	tests := []struct{ name, auth string }{
		{"no header", ""},
		{"bearer", "Bearer kwp_x"},
		{"malformed", "License KW-123"},
		{"unknown", "License KW-00000-00000-00000-00000-00000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, path := range []string{"/api/v1/activate", "/api/v1/validate", "/api/v1/deactivate"} {
				status, out := w.a.call(tt.auth, http.MethodPost, path, map[string]any{"fingerprint": "x"})
				if status != http.StatusUnauthorized || out["error"] == nil {
					t.Errorf("%s: %d %v, want 401 with a JSON error", path, status, out)
				}
			}
		})
	}
}

func TestKeyRegenerationRevokesTheOldKeyAtOnce(t *testing.T) {
	w := newLicenseWorld(t)
	id, old := w.newLicense(nil)
	if status, _ := w.device(old, "/api/v1/activate", map[string]any{"fingerprint": "a"}); status != http.StatusOK {
		t.Fatal("activation with the first key failed")
	}
	w.device(old, "/api/v1/validate", map[string]any{"fingerprint": "a"}) // now in the cache
	out := w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/regenerate-key", id), http.StatusOK, nil)
	key := out["key"].(string)
	if key == old {
		t.Fatal("the same key again")
	}
	for _, path := range []string{"/api/v1/validate", "/api/v1/activate", "/api/v1/deactivate"} {
		if status, _ := w.device(old, path, map[string]any{"fingerprint": "a"}); status != http.StatusUnauthorized {
			t.Errorf("old key on %s: %d, want 401", path, status)
		}
	}
	// Accepted as people type it: lower case, no dashes.
	typed := strings.ToLower(strings.ReplaceAll(key, "-", ""))
	if status, out := w.device(typed, "/api/v1/validate", map[string]any{"fingerprint": "a"}); status != http.StatusOK || out["code"] != "VALID" {
		t.Errorf("new key: %d %v", status, out)
	}
	if status, _ := w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "a"}); status != http.StatusNoContent {
		t.Errorf("deactivate with the new key: %d", status)
	}
}

func TestDeviceRateLimit(t *testing.T) {
	w := newLicenseWorld(t, func(c *Config) { c.DeviceRate = 3 })
	_, key := w.newLicense(nil)
	for i := range 3 {
		if status, _ := w.device(key, "/api/v1/validate", nil); status != http.StatusOK {
			t.Fatalf("request %d: %d", i+1, status)
		}
	}
	status, out := w.device(key, "/api/v1/validate", nil)
	if code, _ := errorOf(out); status != http.StatusTooManyRequests || code != "RATE_LIMITED" {
		t.Errorf("fourth request a minute: %d %v, want 429", status, out)
	}
	w.a.clock.Advance(time.Minute)
	if status, _ := w.device(key, "/api/v1/validate", nil); status != http.StatusOK {
		t.Errorf("a minute later: %d", status)
	}
}

func TestDeviceLastSeenIsFlushedInBatches(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(nil)
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
	// Less than the flush job's 5 seconds, so that no flush runs meanwhile.
	w.a.clock.Advance(3 * time.Second)
	w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a"})
	ds, _ := w.a.db.LicenseDevices(context.Background(), id)
	if got, want := ds[0].LastSeenAt, w.a.clock.Now().Add(-3*time.Second).Truncate(time.Second); !got.Equal(want) {
		t.Errorf("validation wrote last seen at once: %v, want %v", got, want)
	}
	if err := w.a.srv.flushSeen(context.Background()); err != nil {
		t.Fatal(err)
	}
	ds, _ = w.a.db.LicenseDevices(context.Background(), id)
	if got, want := ds[0].LastSeenAt, w.a.clock.Now().Truncate(time.Second); !got.Equal(want) {
		t.Errorf("after the flush: last seen %v, want %v", got, want)
	}
}
