package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCostPageMonths: the cost page pages back through the months, never into months to come,
// and shows an extra cost of nothing in plain figures, not in the red of money owed.
func TestCostPageMonths(t *testing.T) {
	f := newUsageFixture(t)
	b := f.browser()
	b.signIn(adminEmail, adminPassword)
	cost := fmt.Sprintf("/licenses/%d/cost", f.licenseID)

	b.get(cost) // November 2026, this month
	b.assertContains("<strong>November 2026</strong>", `rel="prev">‹ October 2026</a>`, "0.00 EUR")
	if strings.Contains(b.body, `rel="next"`) || strings.Contains(b.body, "2026-12") {
		t.Errorf("this month's cost page links to December 2026")
	}
	if strings.Contains(b.body, `class="extra"`) {
		t.Errorf("an extra cost of 0.00 EUR is shown in red")
	}
	b.get(cost + "?month=2026-09")
	b.assertContains("<strong>September 2026</strong>", `rel="next">October 2026 ›</a>`)
	if resp := b.get(cost + "?month=2027-01"); resp.StatusCode != http.StatusOK {
		t.Fatalf("a month to come: %d", resp.StatusCode)
	}
	b.assertContains("January 2027 has not begun: this is November 2026.", "<strong>November 2026</strong>")

	// With extra cores, the extra cost is red.
	if status, out := f.report(t, f.key, reportBody("prod", steadyMonth(time.October, 5, 7)), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	b.get(cost + "?month=2026-10")
	b.assertContains(`<strong class="extra">11.27 EUR</strong>`) // 150.00 × 2.33 / 31
}

// TestRightSizingAdvice: right-sizing gives advice only where a change would be worth it: not for
// a license that has not started (every count costs nothing), nor for a saving under 1% of the
// cost; and it does for a license paying for cores it never used.
func TestRightSizingAdvice(t *testing.T) {
	f := newUsageFixture(t)
	b := f.browser()
	b.signIn(adminEmail, adminPassword)
	client := f.createOrg("client", "Fabrikam", 0)
	newLicense := func(body map[string]any) int64 {
		t.Helper()
		for k, v := range map[string]any{"organization_id": client.ID, "product": "suite", "features": []string{"core"}, "currency": "EUR",
			"term_years": 1, "payment_period": "monthly", "escalation_factor": "0"} {
			if _, ok := body[k]; !ok {
				body[k] = v
			}
		}
		var lic struct {
			ID  int64  `json:"id"`
			Key string `json:"key"`
		}
		f.api(t, http.MethodPost, "/api/v1/licenses", body, http.StatusCreated, &lic)
		f.key = lic.Key
		return lic.ID
	}

	// Not started: no advice, and no 0 prepaid cores.
	pending := newLicense(map[string]any{"prepaid_cores": 4, "prepaid_core_price": "100.00", "extra_core_price": "150.00"})
	b.get(fmt.Sprintf("/licenses/%d/cost", pending))
	b.assertContains("This license has not started yet.")
	for _, advice := range []string{"With 0 prepaid cores", "Cheapest", "would have saved"} {
		if strings.Contains(b.body, advice) {
			t.Errorf("a license that has not started gets advice: %q", advice)
		}
	}

	// 4 cores every day of August to October but one, extra cores barely dearer than prepaid ones:
	// no prepaid cores would have saved 1.47 EUR of 1,200.00, under 1%: the table shows it, no advice.
	steady := newLicense(map[string]any{"prepaid_cores": 4, "prepaid_core_price": "100.00", "extra_core_price": "101.00", "start_date": "2026-08-01"})
	var samples []testSample
	for _, m := range []time.Month{time.August, time.September, time.October} {
		for _, s := range steadyMonth(m, 4, 4) {
			if !strings.HasPrefix(s.Time, "2026-09-15") {
				samples = append(samples, s)
			}
		}
	}
	if status, out := f.report(t, f.key, reportBody("prod", samples), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	b.get(fmt.Sprintf("/licenses/%d/cost", steady))
	b.assertContains("What August, September and October 2026 would have cost", "The current 4 prepaid cores are about right: 0 would have saved only 1.47 EUR")
	if strings.Contains(b.body, "With 0 prepaid cores instead of 4") {
		t.Errorf("a saving of 1.47 EUR on 1,200.00 EUR is presented as advice")
	}

	// Started on 1 September and never used: 0 prepaid cores would have saved two months of them.
	b.get(fmt.Sprintf("/licenses/%d/cost", f.licenseID))
	b.assertContains("With 0 prepaid cores instead of 5, these months would have cost 1,000.00 EUR less.")
}

// TestUsagePagePeriods: the usage page opens on the last 30 days by day, offers quick periods,
// goes by hour for a week, and shows a period too long for its resolution beside the field.
func TestUsagePagePeriods(t *testing.T) {
	f := newUsageFixture(t)
	if status, out := f.report(t, f.key, reportBody("prod", steadyMonth(time.October, 5, 7)), false); status != http.StatusOK {
		t.Fatalf("report: %d %v", status, out)
	}
	b := f.browser()
	b.signIn(adminEmail, adminPassword)
	usage := fmt.Sprintf("/licenses/%d/usage", f.licenseID)
	b.get(usage)
	b.assertContains(`value="2026-10-04"`, `value="2026-11-02"`, "4 Oct 2026 to 2 Nov 2026, by day.",
		`href="`+usage+`?from=2026-10-04&amp;to=2026-11-02" aria-current="true">Last 30 days</a>`,
		`?from=2026-10-27&amp;to=2026-11-02" >Last 7 days</a>`, `?from=2026-08-05&amp;to=2026-11-02" >Last 90 days</a>`,
		`?from=2026-11-01&amp;to=2026-11-02" >This month</a>`, `?from=2026-10-01&amp;to=2026-10-31" >Last month</a>`,
		`<td>October 2026</td>`)
	if n := strings.Count(b.body, `&#34;times&#34;:`); n != 1 {
		t.Errorf("the chart data is embedded %d times, want once", n)
	}
	b.get(usage + "?from=2026-10-05&to=2026-10-11")
	b.assertContains("5 Oct 2026 to 11 Oct 2026, by hour.", `&#34;resolution&#34;:&#34;hour&#34;`, `&#34;2026-10-10T11:00:00Z&#34;`)

	resp := b.get(usage + "?from=2026-09-01&to=2026-10-31&resolution=hour")
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("61 days by hour: status %d, want 400", resp.StatusCode)
	}
	b.assertContains(`id="to-error">By hour, a period spans at most 31 days: end it by 2026-10-01`, `aria-invalid="true" aria-describedby="to-error"`,
		"4 Oct 2026 to 2 Nov 2026, by day.")
	b.get(usage + "?from=yesterday")
	b.assertContains(`id="from-error">Write the date as YYYY-MM-DD`)
}
