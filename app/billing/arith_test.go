package billing

import "testing"

// TestPrepaidCostAgreesWithTheEstimate: over a calendar month PrepaidCost is the estimate's
// prepaid cost, terms changes and partial months included; over a year it is rounded once.
func TestPrepaidCostAgreesWithTheEstimate(t *testing.T) {
	c := Contract{Currency: "EUR", Start: date("2026-11-15"), End: date("2027-11-15"), Terms: []Terms{
		terms("", 5, "100.00", "150.00", "0.33", "EUR"),
		terms("2027-02-10", 7, "99.99", "150.00", "0.33", "EUR"),
	}}
	var sumOfMonths int64
	for m := month("2026-11"); !m.First().After(date("2027-11-30")); m = m.AddMonths(1) {
		est, err := EstimateMonth(c, nil, m, date("2028-01-01"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := PrepaidCost(c, m.First(), m.Last())
		if err != nil {
			t.Fatal(err)
		}
		if got.Minor != minorOf(est.PrepaidCost) || got.Currency != est.PrepaidCost.Currency {
			t.Errorf("%s: PrepaidCost %s, estimate %s", m, got, est.PrepaidCost)
		}
		sumOfMonths += got.Minor
	}
	year, err := PrepaidCost(c, date("2026-11-15"), date("2027-11-14"))
	if err != nil {
		t.Fatal(err)
	}
	// Rounded once over the year, it may differ from the sum of rounded months by a few cents at most.
	if diff := year.Minor - sumOfMonths; diff < -13 || diff > 13 {
		t.Errorf("the year %s is %d cents from the sum of its months", year, diff)
	}
	// A whole year of unchanged terms is 12 × P × price.
	flat := Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "100.00", "150.00", "0.33", "EUR")}}
	if got, _ := PrepaidCost(flat, date("2026-01-01"), date("2026-12-31")); got.String() != "6000.00" {
		t.Errorf("a flat year costs %s, want 6000.00", got)
	}
	// Days in the period but outside the contract cost nothing.
	if got, _ := PrepaidCost(flat, date("2025-12-01"), date("2025-12-31")); got.Minor != 0 {
		t.Errorf("a month before the start costs %s", got)
	}
}

func TestMoneyScale(t *testing.T) {
	for _, tt := range []struct {
		m        string
		num, den int64
		want     string
	}{
		{"0.01", 5000, 10000, "0.01"},
		{"0.01", 4999, 10000, "0.00"},
		{"-0.01", 5000, 10000, "-0.01"},
		{"0.15", 1500, 10000, "0.02"},
	} {
		m, err := ParseMoney(tt.m[len(tt.m)-4:], "EUR")
		if err != nil {
			t.Fatal(err)
		}
		if tt.m[0] == '-' {
			m = m.Neg()
		}
		if got, _ := m.Scale(tt.num, tt.den); got.String() != tt.want {
			t.Errorf("%s × %d/%d = %s, want %s", tt.m, tt.num, tt.den, got, tt.want)
		}
	}
}
