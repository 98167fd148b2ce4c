package app

import (
	"fmt"
	"net/http"
	"strings"
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

// TestUsageValuesBeyondTheBoundsAreRefused sends what overflowed the hourly sums (cores 9e12) and
// what broke the month's pages for good (one sample of 1e8 cores): both are refused, naming the
// sample, and nothing of their reports is stored.
func TestUsageValuesBeyondTheBoundsAreRefused(t *testing.T) {
	f := newUsageFixture(t)
	ok := testSample{"2026-10-01T00:00:20Z", "api", map[string]float64{"cores": 1}}
	for _, tc := range []struct {
		name   string
		sample testSample
		field  string
	}{
		{"cores 9e12", testSample{"2026-10-01T00:00:40Z", "api", map[string]float64{"cores": 9e12}}, "samples[3].metrics.cores"},
		{"cores 1e8", testSample{"2026-10-01T00:00:40Z", "db", map[string]float64{"cores": 1e8}}, "samples[3].metrics.cores"},
		{"cores a millionth beyond a million", testSample{"2026-10-01T00:00:40Z", "db", map[string]float64{"cores": 1_000_000.000001}}, "samples[3].metrics.cores"},
		{"another metric beyond 1e12", testSample{"2026-10-01T00:00:40Z", "db", map[string]float64{"cores": 1, "memory_mb": 2e12}}, "samples[3].metrics.memory_mb"},
		{"another metric below -1e12", testSample{"2026-10-01T00:00:40Z", "db", map[string]float64{"offset": -1.5e12}}, "samples[3].metrics.offset"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := reportBody("prod", []testSample{ok, {"2026-10-01T00:01:00Z", "api", map[string]float64{"cores": 2}}, ok, tc.sample})
			status, out := f.report(t, f.key, body, false)
			e, _ := out["error"].(map[string]any)
			if status != http.StatusBadRequest || e["field"] != tc.field || e["message"] == "" {
				t.Fatalf("status %d %v, want 400 naming %s", status, out, tc.field)
			}
		})
	}
	var u usageReport
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?from=2026-10-01&to=2026-10-31", f.licenseID), nil, http.StatusOK, &u)
	if len(u.Series) != 0 {
		t.Errorf("refused reports left usage behind: %+v", u.Series)
	}
}

// TestUsageAtTheBoundsKeepsEveryPageWorking fills a license priced at the highest prices and factor
// with 100,000 samples at the most cores a sample may report, and an hour of another metric at its
// bounds sent in three reports: the sums stay exact, and the estimate, cost and usage pages answer.
func TestUsageAtTheBoundsKeepsEveryPageWorking(t *testing.T) {
	f := newUsageFixture(t)
	licID, key := f.newLicense(t, map[string]any{"prepaid_cores": 1_000_000, "prepaid_core_price": "1000000000.00",
		"extra_core_price": "1000000000.00", "escalation_factor": "10", "term_years": 5})
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	samples := make([]testSample, 100_000)
	for i := range samples {
		samples[i] = testSample{start.Add(time.Duration(i) * 20 * time.Second).Format(time.RFC3339), "api",
			map[string]float64{"cores": 1_000_000}}
	}
	if status, out := f.report(t, key, reportBody("big", samples), false); status != http.StatusOK || out["accepted"] != 100_000.0 {
		t.Fatalf("100,000 samples at a million cores: %d %v, want all accepted", status, out)
	}
	// A second setup of a million cores makes a million extra cores a day, which the factor of 10
	// prices far beyond the range of a 64-bit amount.
	if status, out := f.report(t, key, reportBody("twin", samples[:4320]), false); status != http.StatusOK {
		t.Fatalf("the twin setup: %d %v", status, out)
	}
	hour := time.Date(2026, 10, 30, 7, 0, 0, 0, time.UTC)
	var extremes []testSample
	for s := range 3600 {
		extremes = append(extremes, testSample{hour.Add(time.Duration(s) * time.Second).Format(time.RFC3339), "db",
			map[string]float64{"memory_mb": 1e12, "offset": -1e12}})
	}
	for _, part := range [][]testSample{extremes[:1000], extremes[1000:2000], extremes[2000:]} {
		if status, out := f.report(t, key, reportBody("big", part), false); status != http.StatusOK || out["accepted"] != float64(len(part)) {
			t.Fatalf("an hour of a metric at its bounds: %d %v", status, out)
		}
	}

	var u usageReport
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/usage?from=2026-10-30&to=2026-10-30&resolution=hour", licID), nil, http.StatusOK, &u)
	means := map[string]usagePoint{}
	for _, s := range u.Series {
		if s.Service == "db" && len(s.Points) == 1 {
			means[s.Metric] = s.Points[0]
		}
	}
	if p := means["memory_mb"]; p.Mean != 1e12 || p.Count != 3600 || p.Max != 1e12 {
		t.Errorf("memory_mb over the hour: %+v, want a mean of 1e12 over 3600 samples", p)
	}
	if p := means["offset"]; p.Mean != -1e12 || p.Min != -1e12 {
		t.Errorf("offset over the hour: %+v, want a mean of -1e12", p)
	}

	est := map[string]any{}
	f.api(t, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/estimate?month=2026-10", licID), nil, http.StatusOK, &est)
	// October: 1,000,000 prepaid cores at 1e9 (1e15 EUR), and on the twin's day a million extra
	// cores: 1e9 × (1e6 + 10 × 1e6 × 999,999 / 2) / 31.
	if got, want := est["prepaid_cost"], "1000000000000000.00"; got != want {
		t.Errorf("prepaid cost %v, want %v", got, want)
	}
	if got, want := est["extra_cost"], "161290193548387096774.19"; got != want {
		t.Errorf("extra cost %v, want %v", got, want)
	}
	b := f.browser()
	b.signIn(adminEmail, adminPassword)
	for _, page := range []string{
		fmt.Sprintf("/licenses/%d/cost?month=2026-10", licID),
		fmt.Sprintf("/licenses/%d/cost", licID),
		fmt.Sprintf("/licenses/%d/usage?from=2026-10-01&to=2026-10-31", licID),
		fmt.Sprintf("/licenses/%d/usage?from=2026-10-01&to=2026-10-31&resolution=hour", licID),
		fmt.Sprintf("/licenses/%d/usage.csv?from=2026-10-01&to=2026-10-31", licID),
	} {
		if resp := b.get(page); resp.StatusCode != http.StatusOK {
			t.Errorf("%s: status %d", page, resp.StatusCode)
		}
	}
	b.get(fmt.Sprintf("/licenses/%d/cost?month=2026-10", licID))
	b.assertContains("161,290,193,548,387,096,774.19 EUR", "1000001 counts were compared")

	// October's prepaid cores fit an invoice; its extra cost does not, and the refusal (the daily
	// job's too, which drafts through the same code) says so.
	path := fmt.Sprintf("/api/v1/licenses/%d/invoices", licID)
	var prepaid map[string]any
	f.api(t, http.MethodPost, path, map[string]any{"kind": "prepaid", "month": "2026-10"}, http.StatusCreated, &prepaid)
	if prepaid["total"] != "1000000000000000.00" {
		t.Errorf("October's prepaid invoice: %v", prepaid)
	}
	var refused struct{ Error Error }
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "2026-10"}, http.StatusConflict, &refused)
	if refused.Error.Code != "AMOUNT_TOO_LARGE" || !strings.Contains(refused.Error.Message, "161290193548387096774.19 EUR") {
		t.Errorf("October's usage invoice: %+v, want 409 AMOUNT_TOO_LARGE naming the amount", refused.Error)
	}
}
