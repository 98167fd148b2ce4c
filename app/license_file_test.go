package app

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/app/signing"
)

// TestLicenseFiles: a device's file verifies with the published key, never lasts past the end
// date, and refuses bad days; owners and distributors download one in the portal, members not.
func TestLicenseFiles(t *testing.T) {
	w := newLicenseWorld(t)
	pub := w.publicKey()
	// Started today (2026-11-02 in the test clock): the end date is 2027-11-02.
	id, key := w.newLicense(map[string]any{"start_date": w.a.clock.Now().Format(time.DateOnly)})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "pc-1"})
	now := w.a.clock.Now().UTC()
	tests := []struct {
		name   string
		body   map[string]any
		status int
		field  string
		expiry time.Time
	}{
		{"default 30 days", map[string]any{"fingerprint": "pc-1"}, 200, "", now.AddDate(0, 0, 30)},
		{"300 days", map[string]any{"fingerprint": "pc-1", "days": 300}, 200, "", now.AddDate(0, 0, 300)},
		{"365 days: cut at the end date", map[string]any{"fingerprint": "pc-1", "days": 365}, 200, "", time.Date(2027, 11, 2, 0, 0, 0, 0, time.UTC)},
		{"0 days", map[string]any{"fingerprint": "pc-1", "days": 0}, 400, "days", time.Time{}},
		{"366 days", map[string]any{"fingerprint": "pc-1", "days": 366}, 400, "days", time.Time{}},
		{"a device not activated", map[string]any{"fingerprint": "pc-9"}, 404, "", time.Time{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := w.device(key, "/api/v1/license-file", tt.body)
			if status != tt.status {
				t.Fatalf("%d %v, want %d", status, out, tt.status)
			}
			if _, field := errorOf(out); field != tt.field {
				t.Errorf("field %q, want %q", field, tt.field)
			}
			if status != 200 {
				return
			}
			saved, _ := json.Marshal(out)
			p, err := signing.OpenFile(pub, saved, now)
			if err != nil {
				t.Fatal(err)
			}
			if p.LicenseID() != id || p.Fingerprint != "pc-1" || !p.ExpiresAt.Equal(tt.expiry) || !p.IssuedAt.Equal(now) {
				t.Errorf("payload %+v, want expiry %v", p, tt.expiry)
			}
		})
	}
	// Near the end date, the file stops at 00:00 UTC of the end date.
	w.a.clock.Advance(350 * 24 * time.Hour)
	_, out := w.device(key, "/api/v1/license-file", map[string]any{"fingerprint": "pc-1", "days": 30})
	saved, _ := json.Marshal(out)
	p, err := signing.OpenFile(pub, saved, w.a.clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2027, 11, 2, 0, 0, 0, 0, time.UTC); !p.ExpiresAt.Equal(want) {
		t.Errorf("15 days before the end date, 30 days asked: expires %v, want the end date %v", p.ExpiresAt, want)
	}
	raw, _ := base64.StdEncoding.DecodeString(out["payload"].(string))
	if !strings.Contains(string(raw), `"license":{"id":`) {
		t.Errorf("the payload does not hold the license as validate shows it: %s", raw)
	}

	// The portal: the distributor downloads one, the client member may not.
	devices, _ := w.a.db.LicenseDevices(t.Context(), id)
	path := fmt.Sprintf("/licenses/%d/devices/%d/license-file", id, devices[0].ID)
	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get(fmt.Sprintf("/licenses/%d?tab=assignments", id))
	dist.assertContains("Offline license file", "Deactivate")
	resp := dist.do(postForm(t, w.a.url+path, url.Values{"days": {"7"}, "_csrf": {dist.csrf()}}))
	body := []byte(dist.body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %s", resp.StatusCode, body)
	}
	if p, err := signing.OpenFile(pub, body, w.a.clock.Now()); err != nil || !p.ExpiresAt.Equal(w.a.clock.Now().UTC().AddDate(0, 0, 7)) {
		t.Errorf("the downloaded file: %+v %v", p, err)
	}
	member := w.a.browser()
	member.signIn(w.clientMember, adminPassword)
	member.get(fmt.Sprintf("/licenses/%d?tab=assignments", id))
	if strings.Contains(member.body, "Offline license file") {
		t.Error("a member is offered the download")
	}
	if resp := member.post(path, url.Values{"days": {"7"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member downloads: %d", resp.StatusCode)
	}
	dist.get(fmt.Sprintf("/licenses/%d?tab=history", id))
	dist.assertContains("Offline license file issued", "device pc-1")
}

func postForm(t *testing.T, target string, form url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, target, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}

// TestSilentDevicesAreCulled: with a heartbeat, a device not seen for that long is deactivated
// by the job, in the license history, and its place is free; a device holding an unexpired
// license file or a borrowed seat waits until both have ended.
func TestSilentDevicesAreCulled(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"heartbeat_minutes": 60, "max_devices": 3,
		"features": []any{"core", map[string]any{"code": "voice", "max_borrow_hours": 5}}})
	for _, fp := range []string{"silent", "alive", "offline-file", "borrower"} {
		if fp == "borrower" {
			w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "offline-file"}) // room for a fourth, then back
		}
		w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp})
	}
	w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "borrower"})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "offline-file"})
	if status, out := w.device(key, "/api/v1/license-file", map[string]any{"fingerprint": "offline-file", "days": 1}); status != 200 {
		t.Fatalf("license file: %d %v", status, out)
	}
	cull := func() {
		t.Helper()
		if err := w.a.srv.cullSilentDevices(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	active := func() map[string]bool {
		t.Helper()
		ds, _ := w.a.db.LicenseDevices(t.Context(), id)
		out := map[string]bool{}
		for _, d := range ds {
			out[d.Fingerprint] = d.Active
		}
		return out
	}
	w.a.clock.Advance(50 * time.Minute)
	w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "alive"}) // seen: batched in memory
	w.a.clock.Advance(11 * time.Minute)
	cull()
	if got := active(); got["silent"] || !got["alive"] || !got["offline-file"] {
		t.Errorf("after 61 minutes: %v, want silent deactivated, alive and offline-file kept", got)
	}
	w.a.clock.Advance(24 * time.Hour)
	cull()
	if got := active(); got["offline-file"] || got["alive"] {
		t.Errorf("a day later: %v, want both deactivated", got)
	}
	// The places are free again.
	for _, fp := range []string{"n1", "n2", "borrower"} {
		if status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp}); status != 200 {
			t.Fatalf("activate %s: %d %v", fp, status, out)
		}
	}
	if status, out := w.device(key, "/api/v1/features/borrow", map[string]any{"fingerprint": "borrower", "feature": "voice", "hours": 5}); status != 200 {
		t.Fatalf("borrow: %d %v", status, out)
	}
	w.a.clock.Advance(4 * time.Hour)
	cull()
	if !active()["borrower"] {
		t.Error("a device with a borrowed seat was culled before the borrowing ended")
	}
	w.a.clock.Advance(time.Hour)
	cull()
	if active()["borrower"] {
		t.Error("the borrowing ended: the silent device is still active")
	}
	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.get(fmt.Sprintf("/licenses/%d?tab=history", id))
	owner.assertContains("Silent device deactivated", "device silent, not seen since", "(heartbeat 60 minutes)")
}

// TestDevicesAreDeactivatedInThePortal: owners and distributors deactivate a device (audited).
func TestDevicesAreDeactivatedInThePortal(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(nil)
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "old-pc"})
	devices, _ := w.a.db.LicenseDevices(t.Context(), id)
	path := fmt.Sprintf("/licenses/%d/devices/%d/deactivate", id, devices[0].ID)
	member := w.a.browser()
	member.signIn(w.clientMember, adminPassword)
	member.get(fmt.Sprintf("/licenses/%d?tab=assignments", id))
	if resp := member.post(path, url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member deactivates: %d", resp.StatusCode)
	}
	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.get(fmt.Sprintf("/licenses/%d?tab=assignments", id))
	owner.assertContains(`data-confirm="Deactivate the device old-pc?`)
	if resp := owner.post(path, url.Values{}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("deactivate: %d %s", resp.StatusCode, owner.body)
	}
	if _, out := w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "old-pc"}); out["code"] != "DEVICE_NOT_ACTIVATED" {
		t.Errorf("validate after the deactivation: %v", out)
	}
	owner.get(fmt.Sprintf("/orgs/%d/audit", w.client.ID))
	owner.assertContains("Deactivated a device of")
	if resp := owner.post(path, url.Values{}); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("twice: %d", resp.StatusCode)
	}
}
