package app

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"
	"time"
)

func TestFloatingSeats(t *testing.T) {
	w := newLicenseWorld(t)
	// voice: 3 seats by default, 2 here; 15 minutes of timeout.
	id, key := w.newLicense(map[string]any{"features": []any{"core", map[string]any{"code": "voice", "max_simultaneous_users": 2}}})
	for _, fp := range []string{"a", "b", "c"} {
		w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp})
	}
	check := func(fp, feature string) (int, map[string]any) {
		t.Helper()
		return w.device(key, "/api/v1/features/check", map[string]any{"fingerprint": fp, "feature": feature})
	}
	if status, out := check("a", "voice"); status != http.StatusOK || out["used"] != 1.0 || out["max"] != 2.0 {
		t.Fatalf("first seat: %d %v", status, out)
	}
	check("b", "voice")
	if status, out := check("a", "voice"); status != http.StatusOK || out["used"] != 2.0 {
		t.Errorf("refreshing a seat: %d %v", status, out)
	}
	status, out := check("c", "voice")
	if code, _ := errorOf(out); status != http.StatusForbidden || code != "NO_FLOATING_SLOT" {
		t.Errorf("third device on 2 seats: %d %v", status, out)
	}
	if status, _ := check("c", "core"); status != http.StatusOK {
		t.Errorf("a non-floating feature: %d", status)
	}
	if _, out := check("c", "video"); out["error"].(map[string]any)["code"] != "FEATURE_NOT_LICENSED" {
		t.Errorf("a feature not licensed: %v", out)
	}
	if _, out := check("zzz", "voice"); out["error"].(map[string]any)["code"] != "DEVICE_NOT_ACTIVATED" {
		t.Errorf("a device not activated: %v", out)
	}
	// Released by the device.
	if status, _ := w.device(key, "/api/v1/features/release", map[string]any{"fingerprint": "b", "feature": "voice"}); status != http.StatusNoContent {
		t.Errorf("release: %d", status)
	}
	if status, _ := check("c", "voice"); status != http.StatusOK {
		t.Errorf("a seat freed by release: %d", status)
	}
	// Released by the timeout: a checks again after 10 minutes, c does not.
	w.a.clock.Advance(10 * time.Minute)
	check("a", "voice")
	w.a.clock.Advance(6 * time.Minute)
	if status, _ := check("b", "voice"); status != http.StatusOK {
		t.Errorf("a seat freed by the timeout: %d", status)
	}
	if status, _ := check("c", "voice"); status != http.StatusForbidden {
		t.Errorf("c lost its seat, a and b hold both: %d", status)
	}
	// Revoked in the portal by the client owner, not by a member.
	member := w.a.browser()
	member.signIn(w.clientMember, adminPassword)
	member.get(fmt.Sprintf("/licenses/%d?tab=modules", id))
	member.assertContains("<strong>2 / 2</strong> seats")
	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.get(fmt.Sprintf("/licenses/%d?tab=modules", id))
	owner.assertContains("Revoke", `data-confirm="Release the Voice seat`)
	voiceID := regexpFind(t, owner.body, `name="feature_id" value="(\d+)"`)
	form := url.Values{"feature_id": {voiceID}, "device_id": {"1"}}
	if resp := member.post(fmt.Sprintf("/licenses/%d/seats/revoke", id), form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member revokes: %d", resp.StatusCode)
	}
	if resp := owner.post(fmt.Sprintf("/licenses/%d/seats/revoke", id), url.Values{"feature_id": {voiceID}, "device_id": {"1"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("revoke: %d %s", resp.StatusCode, owner.body)
	}
	if status, _ := check("c", "voice"); status != http.StatusOK {
		t.Errorf("a seat freed by a revoke: %d", status)
	}
	owner.get(fmt.Sprintf("/licenses/%d?tab=history", id))
	owner.assertContains("Floating seat revoked", "voice seat of device a")
}
