package app

import (
	"fmt"
	"net/http"
	"testing"
	"time"
)

// TestUsageHistoryImportOneServiceAtATime imports September (past the 45-day raw retention on
// 2026-11-02) one service at a time, as an export from another tool would: every service counts,
// and only a service sent twice is a duplicate (DESIGN §6: closed hours are per setup and service).
func TestUsageHistoryImportOneServiceAtATime(t *testing.T) {
	f := newUsageFixture(t)
	bySvc := map[string][]testSample{}
	for _, s := range steadyMonth(time.September, 5, 7) {
		bySvc[s.Service] = append(bySvc[s.Service], s)
	}
	for _, svc := range []string{"api", "db", "ElasticSearch"} {
		status, out := f.report(t, f.key, reportBody("prod-paris", bySvc[svc]), false)
		if status != http.StatusOK || out["accepted"] != float64(len(bySvc[svc])) || out["duplicates"] != 0.0 {
			t.Fatalf("history of %s: %d %v, want all %d samples accepted", svc, status, out, len(bySvc[svc]))
		}
	}
	// The same service again is closed: its hours held data before this request.
	status, out := f.report(t, f.key, reportBody("prod-paris", bySvc["db"][:50]), false)
	if status != http.StatusOK || out["accepted"] != 0.0 || out["duplicates"] != 50.0 {
		t.Errorf("db sent again: %d %v, want 50 duplicates", status, out)
	}
	// The whole worked example of DESIGN §5 holds, so no service was lost.
	est := f.estimate(t, "2026-09")
	if est["total"] != "511.65" || est["extra_cost"] != "11.65" {
		t.Errorf("September imported a service at a time: total %v, extra %v; want 511.65 and 11.65", est["total"], est["extra_cost"])
	}
	var u usageReport
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?from=2026-09-01&to=2026-09-30&resolution=month", f.licenseID), nil, http.StatusOK, &u)
	if len(u.Cores) != 1 || u.Cores[0].Peak != 7 {
		t.Errorf("September's billable cores %+v, want one setup peaking at 7", u.Cores)
	}
}
