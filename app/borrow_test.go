package app

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/app/words"
)

// TestBorrowedSeats: a borrowed seat is held past the floating timeout until borrowed_until,
// released early by features/release, and revocable in the portal with a warning.
func TestBorrowedSeats(t *testing.T) {
	w := newLicenseWorld(t)
	// voice: 15 minutes of timeout; 1 seat, borrowable 48 hours on this license.
	id, key := w.newLicense(map[string]any{"features": []any{"core", map[string]any{"code": "voice", "max_simultaneous_users": 1, "max_borrow_hours": 48}}})
	for _, fp := range []string{"laptop", "desk"} {
		w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp})
	}
	borrow := func(fp, feature string, hours any) (int, map[string]any) {
		t.Helper()
		return w.device(key, "/api/v1/features/borrow", map[string]any{"fingerprint": fp, "feature": feature, "hours": hours})
	}
	check := func(fp string) int {
		t.Helper()
		status, _ := w.device(key, "/api/v1/features/check", map[string]any{"fingerprint": fp, "feature": "voice"})
		return status
	}
	bad := []struct {
		name, feature string
		hours         any
		field         string
	}{
		{"no hours", "voice", nil, "hours"},
		{"0 hours", "voice", 0, "hours"},
		{"past the license's 48", "voice", 49, "hours"},
		{"a feature that does not float", "core", 2, "feature"},
	}
	for _, tt := range bad {
		if status, out := borrow("laptop", tt.feature, tt.hours); status != http.StatusBadRequest {
			t.Errorf("%s: %d %v, want 400", tt.name, status, out)
		} else if _, field := errorOf(out); field != tt.field {
			t.Errorf("%s: field %q, want %q", tt.name, field, tt.field)
		}
	}
	t0 := w.a.clock.Now().UTC()
	status, out := borrow("laptop", "voice", 24)
	if status != http.StatusOK {
		t.Fatalf("borrow: %d %v", status, out)
	}
	seat := out["seat"].(map[string]any)
	if seat["feature"] != "voice" || seat["fingerprint"] != "laptop" || seat["borrowed_until"] != t0.Add(24*time.Hour).Format(time.RFC3339) ||
		seat["taken_at"] != t0.Format(time.RFC3339) {
		t.Errorf("seat %v", seat)
	}
	if status := check("desk"); status != http.StatusForbidden {
		t.Errorf("the only seat is borrowed; desk: %d", status)
	}
	// Borrowing again moves borrowed_until.
	w.a.clock.Advance(time.Hour)
	if _, out := borrow("laptop", "voice", 2); out["seat"].(map[string]any)["borrowed_until"] != t0.Add(3*time.Hour).Format(time.RFC3339) {
		t.Errorf("borrowed again for 2 hours: %v", out)
	}
	// The timeout reaper leaves it alone: 2 hours later, far past 15 minutes without a check.
	w.a.clock.Advance(time.Hour + 59*time.Minute)
	if status := check("desk"); status != http.StatusForbidden {
		t.Errorf("1 minute before borrowed_until, desk took the seat: %d", status)
	}
	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.get(fmt.Sprintf("/licenses/%d?tab=modules", id))
	page := html.UnescapeString(owner.body)
	for _, want := range []string{"borrowed until " + words.DateTime(t0.Add(3*time.Hour)), "the device keeps its offline token"} {
		if !strings.Contains(page, want) {
			t.Errorf("the modules tab does not say %q", want)
		}
	}
	w.a.clock.Advance(time.Minute)
	if status := check("desk"); status != http.StatusOK {
		t.Errorf("borrowed_until passed: desk %d, want the seat", status)
	}
	// Released early: laptop borrows when desk lets go, then returns it.
	w.device(key, "/api/v1/features/release", map[string]any{"fingerprint": "desk", "feature": "voice"})
	if status, out := borrow("laptop", "voice", 48); status != http.StatusOK {
		t.Fatalf("borrow 48 h: %d %v", status, out)
	}
	if status, _ := w.device(key, "/api/v1/features/release", map[string]any{"fingerprint": "laptop", "feature": "voice"}); status != http.StatusNoContent {
		t.Errorf("release: %d", status)
	}
	if status := check("desk"); status != http.StatusOK {
		t.Errorf("after an early release: %d", status)
	}
	// Revoked from the portal.
	w.device(key, "/api/v1/features/release", map[string]any{"fingerprint": "desk", "feature": "voice"})
	borrow("laptop", "voice", 10)
	owner.get(fmt.Sprintf("/licenses/%d?tab=modules", id))
	featureID := regexpFind(t, owner.body, `name="feature_id" value="(\d+)"`)
	deviceID := regexpFind(t, owner.body, `name="device_id" value="(\d+)"`)
	if resp := owner.post(fmt.Sprintf("/licenses/%d/seats/revoke", id), url.Values{"feature_id": {featureID}, "device_id": {deviceID}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d", resp.StatusCode)
	}
	if status := check("desk"); status != http.StatusOK {
		t.Errorf("after the revoke: %d", status)
	}
	// 0 turns borrowing off.
	w.mustAPI(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", id), http.StatusOK,
		map[string]any{"features": []any{"core", map[string]any{"code": "voice", "max_simultaneous_users": 1, "max_borrow_hours": 0}}})
	if status, out := borrow("laptop", "voice", 1); status != http.StatusBadRequest {
		t.Errorf("borrowing off: %d %v", status, out)
	}
}

// TestFloatingFeaturesListEveryDevice: a device that released its seat, or lost it to a revoke or
// the timeout, stays listed with its last check.
func TestFloatingFeaturesListEveryDevice(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(nil)
	for _, fp := range []string{"dev-released", "dev-timed-out", "dev-holding"} {
		w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp})
		w.device(key, "/api/v1/features/check", map[string]any{"fingerprint": fp, "feature": "voice"})
	}
	w.device(key, "/api/v1/features/release", map[string]any{"fingerprint": "dev-released", "feature": "voice"})
	w.a.clock.Advance(10 * time.Minute)
	last := w.a.clock.Now()
	w.device(key, "/api/v1/features/check", map[string]any{"fingerprint": "dev-holding", "feature": "voice"}) // a refresh: batched
	w.a.clock.Advance(6 * time.Minute)
	b := w.a.browser()
	b.signIn(w.clientMember, adminPassword)
	b.get(fmt.Sprintf("/licenses/%d?tab=modules", id))
	b.assertContains("dev-released", "dev-timed-out", "dev-holding", "<strong>1 / 3</strong> seats", "not in use", words.DateTime(last))
}
