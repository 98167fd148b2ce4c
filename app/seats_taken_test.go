package app

import (
	"net/http"
	"testing"
	"time"
)

// TestNewFloatingSeatTakenNow: a seat taken by a check reports the time it was taken.
func TestNewFloatingSeatTakenNow(t *testing.T) {
	w := newLicenseWorld(t)
	_, key := w.newLicense(nil)
	if status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "desk-1"}); status != http.StatusOK {
		t.Fatalf("activate: %d %v", status, out)
	}
	want := w.a.clock.Now().UTC().Format(time.RFC3339)
	for _, when := range []string{"new seat", "refreshed seat"} {
		status, out := w.device(key, "/api/v1/features/check", map[string]any{"fingerprint": "desk-1", "feature": "voice"})
		seat, _ := out["seat"].(map[string]any)
		if status != http.StatusOK || seat["taken_at"] != want {
			t.Errorf("%s: %d, taken_at %v, want %s", when, status, seat["taken_at"], want)
		}
		w.a.clock.Advance(time.Minute)
	}
}
