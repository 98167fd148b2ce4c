package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// TestExpiredLicenseIsFinalizedAtOnce: a license whose end date has come reads contract_finalized
// everywhere at once, before the lifecycle job has stored the cut-off.
func TestExpiredLicenseIsFinalizedAtOnce(t *testing.T) {
	w := newLicenseWorld(t) // today is 2026-11-02
	if err := w.a.srv.scheduler.StopJobs(); err != nil {
		t.Fatal(err)
	}
	// An old contract entered to import its history: it ended on 2026-10-15.
	old, oldKey := w.newLicense(map[string]any{"start_date": "2025-10-15"})
	// One that ends tomorrow, used by a device today.
	ending, endingKey := w.newLicense(map[string]any{"start_date": "2025-11-03"})
	if _, out := w.device(endingKey, "/api/v1/validate", nil); out["code"] != "VALID" {
		t.Fatalf("validate before the end: %v", out)
	}
	w.a.clock.Advance(15 * time.Hour) // 2026-11-03 00:00, and the job does not run

	for _, tc := range []struct {
		name string
		id   int64
		key  string
	}{{"ended before it was entered", old, oldKey}, {"ended overnight", ending, endingKey}} {
		t.Run(tc.name, func(t *testing.T) {
			if got := w.license(tc.id)["status"]; got != store.StatusContractFinalized {
				t.Errorf("management API: status %v", got)
			}
			_, out := w.device(tc.key, "/api/v1/validate", nil)
			lic, _ := out["license"].(map[string]any)
			if out["code"] != "CONTRACT_FINALIZED" || lic["status"] != store.StatusContractFinalized {
				t.Errorf("validate: code %v, license status %v", out["code"], lic["status"])
			}
			if status, out := w.device(tc.key, "/api/v1/activate", map[string]any{"fingerprint": "new-device"}); status != http.StatusForbidden {
				t.Errorf("activate: %d %v", status, out)
			}
			staff := w.a.browser()
			staff.signIn(adminEmail, adminPassword)
			staff.get(fmt.Sprintf("/licenses/%d", tc.id))
			staff.assertContains(`badge-contract_finalized">contract finalized<`)
			staff.get("/licenses?status=contract_finalized")
			staff.assertContains(fmt.Sprintf(`href="/licenses/%d"`, tc.id))
			staff.get("/licenses?status=in_use")
			if strings.Contains(staff.body, fmt.Sprintf(`href="/licenses/%d"`, tc.id)) {
				t.Error("the list of licenses in use holds it")
			}
			if status, out := w.api(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", tc.id),
				map[string]any{"action": "deny", "reason": "unpaid"}); status != http.StatusConflict {
				t.Errorf("deny an ended license: %d %v, want 409", status, out)
			}
		})
	}

	// The job then records the cut-off in the history, once.
	for range 2 {
		if err := w.a.srv.licenseLifecycle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	evs, err := w.a.db.LicenseEvents(t.Context(), ending)
	if err != nil {
		t.Fatal(err)
	}
	cutoffs := 0
	for _, e := range evs {
		if e.ToStatus == store.StatusContractFinalized {
			cutoffs++
			if e.FromStatus != store.StatusInUse || !strings.Contains(e.Details, "cut-off") {
				t.Errorf("cut-off event %+v", e)
			}
		}
	}
	if cutoffs != 1 {
		t.Errorf("%d cut-off events in the history, want 1", cutoffs)
	}
}
