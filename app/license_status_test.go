package app

import (
	"fmt"
	"net/http"
	"net/url"
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
			staff.assertContains(`badge-contract_finalized">Contract finalized<`)
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

// TestRenewGrowsTheTerm: renewing for some years moves the end date and the term together, and
// the edit form keeps a term the renewals took past 5 years.
func TestRenewGrowsTheTerm(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"start_date": "2026-01-01", "term_years": 2})
	out := w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK,
		map[string]any{"action": "renew", "years": 3})
	if out["end_date"] != "2031-01-01" || out["term_years"] != float64(5) {
		t.Errorf("after renewing for 3 years: end %v, term %v; want 2031-01-01, 5", out["end_date"], out["term_years"])
	}

	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get(fmt.Sprintf("/licenses/%d", id))
	dist.status(dist.post(fmt.Sprintf("/licenses/%d/status", id), url.Values{"action": {"renew"}, "years": {"2"}}), http.StatusSeeOther)
	l := w.license(id)
	if l["end_date"] != "2033-01-01" || l["term_years"] != float64(7) {
		t.Fatalf("after renewing for 2 more years: end %v, term %v; want 2033-01-01, 7", l["end_date"], l["term_years"])
	}

	// Saving the edit form as shown changes neither the term nor the end date.
	dist.get(fmt.Sprintf("/licenses/%d/edit", id))
	dist.assertContains(`<option value="7" selected>`)
	form := url.Values{"product": {"octo"}, "features": {"core", "voice"}, "prepaid_cores": {"5"}, "currency": {"EUR"},
		"prepaid_core_price": {"100.00"}, "extra_core_price": {"150.00"}, "escalation_factor": {"0.33"}, "term_years": {"7"},
		"payment_period": {"annual"}, "invoicing_period": {"monthly"}, "start_date": {"2026-01-01"}, "start_threshold": {"5"},
		"partner": {"Integrator AG"}}
	form.Set("location", "LOC-2")
	dist.status(dist.post(fmt.Sprintf("/licenses/%d/edit", id), form), http.StatusSeeOther)
	l = w.license(id)
	if l["end_date"] != "2033-01-01" || l["term_years"] != float64(7) || l["location"] != "LOC-2" {
		t.Errorf("after editing the location: end %v, term %v, location %v", l["end_date"], l["term_years"], l["location"])
	}
	if status, out := w.api(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", id), map[string]any{"term_years": 8}); status != http.StatusBadRequest {
		t.Errorf("PATCH term_years 8: %d %v, want 400 (the term chosen by hand is 1 to 5 years)", status, out)
	}
}
