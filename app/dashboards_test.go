package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// hoursAt is a setup's samples every 20 minutes from from (inclusive) to to (exclusive), at cores.
func hoursAt(from, to time.Time, cores float64) []testSample {
	var out []testSample
	for t := from; t.Before(to); t = t.Add(20 * time.Minute) {
		out = append(out, testSample{t.Format(time.RFC3339), "api", map[string]float64{"cores": cores}})
	}
	return out
}

func TestClientDashboardMonthCost(t *testing.T) {
	f := newUsageFixture(t)
	ctx := t.Context()
	client, err := f.db.FindOrg(ctx, f.clientID)
	if err != nil {
		t.Fatal(err)
	}
	f.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	b := f.browser()
	b.signIn("carla@contoso.test", testPassword)

	// Shows the estimate's total so far and its projection, with the currency, as the API does.
	shows := func(when string) map[string]any {
		t.Helper()
		est := f.estimate(t, "2026-11")
		b.status(b.get("/"), http.StatusOK)
		page := strings.ReplaceAll(b.body, ",", "")
		for _, v := range []string{est["total"].(string) + " EUR</a> <span class=\"muted\">so far</span>",
			est["projected_total"].(string) + " EUR <span class=\"muted\">projected</span>"} {
			if !strings.Contains(page, v) {
				t.Errorf("%s: the home page does not show %q", when, v)
			}
		}
		return est
	}
	first := shows("before any usage")
	cached, err := f.db.MonthCosts(ctx, []int64{f.licenseID}, "2026-11")
	if err != nil || cached[f.licenseID].Total != 50000 { // 5 prepaid cores at 100.00
		t.Fatalf("cached cost %+v %v, want 500.00", cached, err)
	}

	// Usage arriving invalidates the cached month at once: the page shows the new figures.
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	if status, out := f.report(t, f.key, reportBody("alpha", hoursAt(start, start.Add(33*time.Hour), 8)), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	if got, _ := f.db.MonthCosts(ctx, []int64{f.licenseID}, "2026-11"); len(got) != 0 {
		t.Errorf("a cached cost outlived the usage that changed it: %+v", got)
	}
	second := shows("after usage")
	if second["total"] == first["total"] {
		t.Fatalf("usage of 8 cores on a 5-core plan did not change the total %v", first["total"])
	}
	b.assertContains("Extra cores", "ends in 303 days")

	// A change of the terms invalidates it too.
	f.api(t, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", f.licenseID), map[string]any{"extra_core_price": "300.00"}, http.StatusOK, nil)
	if got, _ := f.db.MonthCosts(ctx, []int64{f.licenseID}, "2026-11"); len(got) != 0 {
		t.Errorf("a cached cost outlived a change of the terms: %+v", got)
	}
	shows("after a change of the terms")
	// And the next day, whose projection differs, computes it again.
	f.clock.Advance(24 * time.Hour)
	if got, _ := f.db.MonthCosts(ctx, []int64{f.licenseID}, "2026-11"); len(got) != 0 {
		t.Errorf("yesterday's cost is still read: %+v", got)
	}
	b.signIn("carla@contoso.test", testPassword) // the session idled out meanwhile
	shows("the next day")
}

func TestDistributorAndStaffDashboards(t *testing.T) {
	w := newLicenseWorld(t)
	w.newLicense(map[string]any{"start_date": "2026-09-01"})                      // in use, ends 2027-09-01
	w.newLicense(map[string]any{"start_date": "2025-12-01", "location": "BER-1"}) // in use, ends 2026-12-01
	w.newLicense(nil)                                                             // pending start
	w.mustAPI(w.admin, http.MethodPost, "/api/v1/licenses", http.StatusCreated, map[string]any{"organization_id": w.otherClient.ID,
		"product": w.product, "features": []any{"core"}, "currency": "EUR", "term_years": 1, "payment_period": "annual"})

	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get("/")
	b.assertContains("Your clients", "<strong>1</strong> clients", "Owing the most", "Contoso Hotels</a> · <span class=\"\">—</span>", "In use</span> <strong>2</strong>", "Pending start</span> <strong>1</strong>",
		"Ending within 30 days: <strong>1</strong>", "Ending within 90 days: <strong>1</strong>", "BER-1", "ends in 29 days",
		"Requests to handle: <strong>0</strong>", "Drafts to issue: <strong>0</strong>", "Overdue invoices: <strong>0</strong>")

	s := w.a.browser()
	s.signIn(adminEmail, adminPassword)
	s.get("/")
	s.assertContains("All distributors", "<strong>2</strong> clients", "In use</span> <strong>2</strong>", "Pending start</span> <strong>2</strong>")
}
