package app

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// generated lists the generated invoices of a license as "kind period_key total status".
func generated(t *testing.T, db *store.DB, licenseID int64) []string {
	t.Helper()
	invs, _, err := db.Invoices(context.Background(), store.InvoiceFilter{All: true, LicenseID: licenseID})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, inv := range invs {
		out = append(out, fmt.Sprintf("%s %s %s %s", inv.Kind, inv.PeriodKey, formatMoney(inv.Total, inv.Currency), inv.Status))
	}
	slices.Sort(out)
	return out
}

// TestInvoiceJobCatchesUpAndIsIdempotent runs the daily job on a fake clock: nothing before the
// license's first period after its creation, older periods on request only (once), then after a
// downtime of two months every period missed at once, and nothing more on a second run.
func TestInvoiceJobCatchesUpAndIsIdempotent(t *testing.T) {
	f := newUsageFixture(t) // started 2026-09-01, created 2026-11-02, monthly payment and invoicing
	ctx := context.Background()
	srv := f.srv
	run := func() {
		t.Helper()
		for range 2 {
			if err := srv.generateInvoices(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
	if status, out := f.report(t, f.key, reportBody("prod-paris", steadyMonth(time.September, 5, 7)), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	run()
	if got := generated(t, f.db, f.licenseID); len(got) != 0 {
		t.Fatalf("on the day of creation the job made %v: September and October ended before, November has not", got)
	}

	// Older periods on request, once each.
	path := fmt.Sprintf("/api/v1/licenses/%d/invoices", f.licenseID)
	var sept map[string]any
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "2026-09"}, http.StatusCreated, &sept)
	line := sept["lines"].([]any)[0].(map[string]any)
	if line["description"] != "Extra cores, September 2026: 2 extra core-days" || line["amount"] != "11.65" || line["quantity"] != "1" ||
		sept["period_from"] != "2026-09-01" || sept["period_to"] != "2026-09-30" || sept["status"] != "draft" {
		t.Errorf("September's usage draft: %v", sept)
	}
	var refused map[string]any
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "2026-09"}, http.StatusConflict, &refused)
	if code, _ := errorOf(refused); code != "ALREADY_INVOICED" {
		t.Errorf("September again: %v", refused)
	}
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "2026-10"}, http.StatusConflict, &refused)
	if code, _ := errorOf(refused); code != "NOTHING_TO_INVOICE" {
		t.Errorf("October without extra cost: %v", refused)
	}
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "2026-11"}, http.StatusBadRequest, &refused)
	f.api(t, http.MethodPost, path, map[string]any{"kind": "prepaid", "month": "2026-08"}, http.StatusConflict, &refused)
	if code, _ := errorOf(refused); code != "NOTHING_TO_INVOICE" {
		t.Errorf("August, before the contract: %v", refused)
	}
	f.api(t, http.MethodPost, path, map[string]any{"kind": "prepaid", "month": "2026-11"}, http.StatusCreated, nil)
	f.api(t, http.MethodPost, path, map[string]any{"kind": "weekly", "month": "2026-11"}, http.StatusBadRequest, nil)
	f.api(t, http.MethodPost, path, map[string]any{"kind": "usage", "month": "November"}, http.StatusBadRequest, nil)

	// November's usage arrives; then the server is down from 5 December to 3 February.
	f.clock.Advance(33 * 24 * time.Hour) // 2026-12-05
	if status, out := f.report(t, f.key, reportBody("prod-paris", steadyMonth(time.November, 5, 8)), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	f.clock.Advance(60 * 24 * time.Hour) // 2027-02-03
	run()
	want := []string{
		"prepaid 2026-11 500.00 draft", // on request
		"prepaid 2026-12 500.00 draft",
		"prepaid 2027-01 500.00 draft",
		"prepaid 2027-02 500.00 draft",
		"usage 2026-09 11.65 draft", // on request
		"usage 2026-11 19.95 draft", // reported late, after the job's first run; 3 extra cores on the 10th: 150 × (3 + 0.99) / 30
	}
	if nov := f.estimate(t, "2026-11"); nov["extra_cost"] != "19.95" {
		t.Errorf("November's estimate: %v", nov["extra_cost"])
	}
	if got := generated(t, f.db, f.licenseID); !slices.Equal(got, want) {
		t.Errorf("after the downtime:\n got %v\nwant %v", got, want)
	}
	done, err := f.db.GeneratedPeriods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// December had nothing to invoice and is done with; January ended 3 days ago: late samples may still come.
	if !done[store.GenerationKey{LicenseID: f.licenseID, Kind: "usage", PeriodKey: "2026-12"}] {
		t.Error("usage of December (nothing to invoice) is not marked done: the job would price it every day")
	}
	if done[store.GenerationKey{LicenseID: f.licenseID, Kind: "usage", PeriodKey: "2027-01"}] {
		t.Errorf("usage of January is marked done %d days after it ended: late samples would never be invoiced", 3)
	}

	// With auto-issue, the next period is issued as soon as it is drafted.
	l, _ := f.db.FindLicense(ctx, f.licenseID)
	st, _ := f.db.InvoiceSettings(ctx, l.DistributorID)
	st.AutoIssue = true
	if err := f.db.SaveInvoiceSettings(ctx, &st, store.AuditEntry{Action: "invoicing.settings"}); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(26 * 24 * time.Hour) // 2027-03-01
	run()
	inv, err := f.db.FindGeneratedInvoice(ctx, f.licenseID, "prepaid", "2027-03")
	if err != nil {
		t.Fatal(err)
	}
	if inv.Status != invoice.StatusIssued || inv.Number != "INV-2027-0001" || inv.DueDate != "2027-03-31" {
		t.Errorf("auto-issued March: %s %q due %s", inv.Status, inv.Number, inv.DueDate)
	}
	if pdf, err := f.db.InvoicePDF(ctx, inv.ID, 0); err != nil || pdf.Source != store.PDFGenerated {
		t.Errorf("the auto-issued invoice has no PDF: %v", err)
	}
}

// TestInvoiceJobRunsDaily: the scheduler runs the job at 01:00 UTC every day, on the fake clock.
func TestInvoiceJobRunsDaily(t *testing.T) {
	f := newUsageFixture(t) // 2026-11-02 09:00
	var job gocron.Job
	for _, j := range f.srv.scheduler.Jobs() {
		if j.Name() == "invoice generation" {
			job = j
		}
	}
	if job == nil {
		t.Fatal("no invoice generation job")
	}
	next, err := job.NextRun()
	if want := time.Date(2026, 11, 3, 1, 0, 0, 0, time.UTC); err != nil || !next.Equal(want) {
		t.Fatalf("next run %v (%v), want %v", next, err, want)
	}
	f.clock.Advance(16*time.Hour + time.Minute) // 01:01 on 3 November
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := job.LastRunCompletedAt()
		if err == nil && !done.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler did not run the invoice job at 01:00 (last run %v, %v)", done, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if next, _ := job.NextRun(); !next.Equal(time.Date(2026, 11, 4, 1, 0, 0, 0, time.UTC)) {
		t.Errorf("then the next run is %v, want 4 November at 01:00", next)
	}
}

// TestUsageInvoicesMatchTheEstimate drafts, through the generation code, the usage invoice of every
// demo license for every complete month of the demo's 90 days of usage: each line is the month's
// extra_cost of the estimate API to the cent, and a month without extra cost has no invoice.
func TestUsageInvoicesMatchTheEstimate(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := context.Background()
	if err := w.a.srv.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ls, _, err := w.a.db.Licenses(ctx, store.LicenseFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	today := billing.DateOf(w.a.clock.Now())
	first := billing.MonthOf(today.AddDays(-demoUsageDays))
	compared, withExtra := 0, 0
	for _, l := range ls {
		if l.OrgID == 0 || l.StartDate == "" {
			continue
		}
		for m := first; m.Last().Before(today); m = m.AddMonths(1) {
			est := w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d/estimate?month=%s", l.ID, m), http.StatusOK, nil)
			status, inv := w.api(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/invoices", l.ID),
				map[string]any{"kind": "usage", "month": m.String()})
			if code, _ := errorOf(inv); status == http.StatusConflict && code == "ALREADY_INVOICED" {
				// The demo invoiced this month itself, through the same code: compare its invoice.
				g, err := w.a.db.FindGeneratedInvoice(ctx, l.ID, invoice.KindUsage, invoice.UsagePeriodOf(l.Terms.InvoicingPeriod, m).Key)
				if err != nil {
					t.Fatal(err)
				}
				status, inv = http.StatusCreated, w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d", g.ID), http.StatusOK, nil)
			}
			compared++
			if est["extra_cost"] == "0.00" {
				if code, _ := errorOf(inv); status != http.StatusConflict || code != "NOTHING_TO_INVOICE" {
					t.Errorf("license %d, %s without extra cost: %d %v", l.ID, m, status, inv)
				}
				continue
			}
			withExtra++
			if status != http.StatusCreated {
				t.Fatalf("license %d, %s: %d %v", l.ID, m, status, inv)
			}
			lines := inv["lines"].([]any)
			line := lines[0].(map[string]any)
			if len(lines) != 1 || line["amount"] != est["extra_cost"] || inv["subtotal"] != est["extra_cost"] || line["month"] != m.String() {
				t.Errorf("license %d, %s: invoice line %v, subtotal %v; estimate extra_cost %v", l.ID, m, line, inv["subtotal"], est["extra_cost"])
			}
			var coreDays int64
			for _, d := range est["days"].([]any) {
				coreDays += int64(d.(map[string]any)["extra_cores"].(float64))
			}
			if want := invoice.UsageLineDescription(m, coreDays); line["description"] != want {
				t.Errorf("license %d, %s: %q, want %q", l.ID, m, line["description"], want)
			}
		}
	}
	if withExtra < 3 {
		t.Errorf("only %d of %d demo license-months had extra cost: the comparison proves little", withExtra, compared)
	}
	t.Logf("%d license-months compared, %d with extra cost", compared, withExtra)
}
