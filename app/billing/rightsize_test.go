package billing

import (
	"strings"
	"testing"
)

func TestRightSize(t *testing.T) {
	// Two setups every day, A at 4 and B at 3 (the second worked example), over three months:
	// with p prepaid cores E = 7 − min(4, p), a month costs 100·p + 150 × (E + 0.33·E·(E−1)/2).
	setups := []SetupUsage{usage(1, "A", daysAt("2026-09-01", "2026-11-30", 4)), usage(2, "B", daysAt("2026-09-01", "2026-11-30", 3))}
	months := LastCompleteMonths(date("2026-12-15"), RightSizingMonths)
	rs, err := RightSize(example("2026-01-01"), setups, months, 5)
	if err != nil {
		t.Fatal(err)
	}
	wantTotals := []string{"6268.50", "5227.50", "4335.00", "3591.00", "2995.50"} // 3 × 2089.50, 1742.50, 1445.00, 1197.00, 998.50
	if got, want := len(rs.Options), len(wantTotals); got != want {
		t.Fatalf("%d options, want %d", got, want)
	}
	for i, want := range wantTotals {
		if got := rs.Options[i]; got.PrepaidCores != int64(i) || got.Total.String() != want {
			t.Errorf("option %d = %d cores for %s, want %s", i, got.PrepaidCores, got.Total, want)
		}
	}
	if got, want := rs.Best.PrepaidCores, int64(4); got != want {
		t.Errorf("best = %d cores, want %d", got, want)
	}
	if got, want := rs.Current.Total.String(), "3295.50"; got != want {
		t.Errorf("current total = %s, want %s", got, want)
	}
	if got, want := rs.Saving.String(), "300.00"; got != want {
		t.Errorf("saving = %s, want %s", got, want)
	}
}

func TestRightSizeTies(t *testing.T) {
	// With f = 0 and the extra price equal to the prepaid price, any count up to the usage costs the same.
	c := Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 2, "100.00", "100.00", "0", "EUR")}}
	setups := []SetupUsage{usage(1, "prod", daysAt("2026-11-01", "2026-11-30", 3))}
	rs, err := RightSize(c, setups, []Month{month("2026-11")}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := rs.Best.PrepaidCores, int64(0); got != want {
		t.Errorf("best = %d cores, want the smaller count %d", got, want)
	}
	if got, want := rs.Saving.String(), "0.00"; got != want {
		t.Errorf("saving = %s, want %s", got, want)
	}
}

func TestRightSizeErrors(t *testing.T) {
	tests := []struct {
		name    string
		setups  []SetupUsage
		current int64
		err     string
	}{
		{name: "negative current cores", current: -1, err: "the current prepaid cores are negative"},
		{name: "absurd usage", setups: []SetupUsage{usage(1, "huge", daysAt("2026-11-03", "2026-11-03", 1_000_000))},
			err: "right-sizing stops at 10000 prepaid cores; a setup billed 1000000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := RightSize(example("2026-01-01"), tt.setups, []Month{month("2026-11")}, tt.current)
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestRightSizeNoUsage(t *testing.T) {
	rs, err := RightSize(example("2026-01-01"), nil, []Month{month("2026-11")}, 5)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(rs.Options), 1; got != want {
		t.Fatalf("%d options, want %d", got, want)
	}
	if got, want := rs.Saving.String(), "500.00"; got != want || rs.Best.PrepaidCores != 0 {
		t.Errorf("best %d cores saving %s, want 0 cores saving %s", rs.Best.PrepaidCores, got, want)
	}
}
