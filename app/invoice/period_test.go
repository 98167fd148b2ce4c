package invoice

import (
	"slices"
	"testing"

	"keyward/app/billing"
)

func d(s string) billing.Date {
	v, err := billing.ParseDate(s)
	if err != nil {
		panic(err)
	}
	return v
}

func keys(ps []Period) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p.Key)
	}
	return out
}

// TestDuePeriods: what the daily job owes a license on a day.
func TestDuePeriods(t *testing.T) {
	tests := []struct {
		name                       string
		kind, period               string
		start, end, created, today string
		want                       []string
	}{
		{"monthly usage after the month ends", KindUsage, InvoicingMonthly, "2026-01-15", "2027-01-15", "2026-10-05", "2026-12-01",
			[]string{"2026-10", "2026-11"}},
		{"not before the month is over", KindUsage, InvoicingMonthly, "2026-01-15", "2027-01-15", "2026-10-05", "2026-11-30",
			[]string{"2026-10"}},
		{"older months on request only", KindUsage, InvoicingMonthly, "2025-01-01", "2027-01-01", "2026-11-02", "2026-11-15",
			[]string{}},
		{"semiannual after June and December", KindUsage, InvoicingSemiannual, "2026-03-01", "2028-03-01", "2026-03-01", "2027-01-01",
			[]string{"2026-H1", "2026-H2"}},
		{"semiannual half not over", KindUsage, InvoicingSemiannual, "2026-03-01", "2028-03-01", "2026-03-01", "2026-12-31",
			[]string{"2026-H1"}},
		{"the contract's last month after it ends", KindUsage, InvoicingMonthly, "2025-11-10", "2026-11-10", "2025-11-10", "2027-03-01",
			[]string{"2025-11", "2025-12", "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06", "2026-07", "2026-08",
				"2026-09", "2026-10", "2026-11"}},
		{"not started", KindUsage, InvoicingMonthly, "", "", "2026-01-01", "2026-12-01", []string{}},
		{"monthly prepaid at the start of each month", KindPrepaid, PaymentMonthly, "2026-11-15", "2027-11-15", "2026-11-02", "2027-01-01",
			[]string{"2026-11", "2026-12", "2027-01"}},
		{"annual prepaid at the start of each contract year", KindPrepaid, PaymentAnnual, "2026-11-15", "2028-11-15", "2026-11-02", "2027-11-15",
			[]string{"2026-11-15", "2027-11-15"}},
		{"annual prepaid not before its year starts", KindPrepaid, PaymentAnnual, "2026-11-15", "2028-11-15", "2026-11-02", "2027-11-14",
			[]string{"2026-11-15"}},
		{"a prepaid year begun before the license was created", KindPrepaid, PaymentAnnual, "2026-05-01", "2027-05-01", "2026-11-02", "2026-12-01",
			[]string{}},
		{"a prepaid month begun before the license was created", KindPrepaid, PaymentMonthly, "2026-05-01", "2027-05-01", "2026-11-02", "2026-12-01",
			[]string{"2026-12"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var start, end billing.Date
			if tt.start != "" {
				start, end = d(tt.start), d(tt.end)
			}
			var got []Period
			if tt.kind == KindUsage {
				got = DueUsagePeriods(tt.period, start, end, d(tt.created), d(tt.today))
			} else {
				got = DuePrepaidPeriods(tt.period, start, end, d(tt.created), d(tt.today))
			}
			if !slices.Equal(keys(got), tt.want) {
				t.Errorf("due %v, want %v", keys(got), tt.want)
			}
		})
	}
}

func TestPeriodsOfAMonth(t *testing.T) {
	nov := billing.Month{Year: 2026, Month: 11}
	if p := UsagePeriodOf(InvoicingSemiannual, nov); p.Key != "2026-H2" || p.From != d("2026-07-01") || p.To != d("2026-12-31") || len(p.Months()) != 6 {
		t.Errorf("semiannual period of November: %+v", p)
	}
	// A contract from 15 November: the first month is clipped, the year runs to 14 November.
	p, ok := PrepaidPeriodOf(PaymentMonthly, d("2026-11-15"), d("2027-11-15"), nov)
	if !ok || p.From != d("2026-11-15") || p.To != d("2026-11-30") || p.Key != "2026-11" {
		t.Errorf("monthly prepaid of November: %+v %v", p, ok)
	}
	p, ok = PrepaidPeriodOf(PaymentAnnual, d("2026-11-15"), d("2028-11-15"), billing.Month{Year: 2027, Month: 11})
	if !ok || p.From != d("2027-11-15") || p.To != d("2028-11-14") {
		t.Errorf("annual prepaid starting in November 2027: %+v %v", p, ok)
	}
	p, ok = PrepaidPeriodOf(PaymentAnnual, d("2026-11-15"), d("2028-11-15"), billing.Month{Year: 2027, Month: 3})
	if !ok || p.From != d("2026-11-15") || p.To != d("2027-11-14") {
		t.Errorf("annual prepaid holding March 2027: %+v %v", p, ok)
	}
	// The last year ends with the contract.
	p, ok = PrepaidPeriodOf(PaymentAnnual, d("2026-11-15"), d("2027-06-01"), billing.Month{Year: 2027, Month: 3})
	if !ok || p.To != d("2027-05-31") {
		t.Errorf("annual prepaid cut by the end: %+v %v", p, ok)
	}
	if _, ok := PrepaidPeriodOf(PaymentMonthly, d("2026-11-15"), d("2027-11-15"), billing.Month{Year: 2026, Month: 10}); ok {
		t.Error("a month before the contract has a prepaid period")
	}
}

func TestDescriptions(t *testing.T) {
	nov := billing.Month{Year: 2026, Month: 11}
	if got, want := UsageLineDescription(nov, 42), "Extra cores, November 2026: 42 extra core-days"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	if got, want := UsageLineDescription(nov, 1), "Extra cores, November 2026: 1 extra core-day"; got != want {
		t.Errorf("%q, want %q", got, want)
	}
	tests := []struct {
		from, to, want string
	}{
		{"2026-12-01", "2026-12-31", "Prepaid cores, December 2026: 5 cores"},
		{"2026-11-15", "2026-11-30", "Prepaid cores, 15 – 30 November 2026: 5 cores"},
		{"2026-11-15", "2027-11-14", "Prepaid cores, 15 November 2026 – 14 November 2027: 5 cores"},
		{"2026-07-01", "2026-12-31", "Prepaid cores, July – December 2026: 5 cores"},
	}
	for _, tt := range tests {
		if got := PrepaidLineDescription(Period{From: d(tt.from), To: d(tt.to)}, 5); got != tt.want {
			t.Errorf("%q, want %q", got, tt.want)
		}
	}
}
