package billing

import (
	"math/big"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"
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

// TestRightSizeLargeUsage right-sizes a setup billing a million cores every day, the most one
// sample may report: no error, the cheapest count found among a million, and a short table.
func TestRightSizeLargeUsage(t *testing.T) {
	months := []Month{month("2026-09"), month("2026-10"), month("2026-11")}
	setups := []SetupUsage{usage(1, "huge", daysAt("2026-09-01", "2026-11-30", 1_000_000)), usage(2, "small", daysAt("2026-09-01", "2026-11-30", 3))}
	rs, err := RightSize(example("2026-01-01"), setups, months, 5)
	if err != nil {
		t.Fatal(err)
	}
	// Every prepaid core (100.00) saves an escalating extra core (150.00 and up): all of them prepaid is cheapest.
	if got, want := rs.Best.PrepaidCores, int64(1_000_000); got != want {
		t.Errorf("best = %d cores, want %d", got, want)
	}
	if got, want := rs.Compared, int64(1_000_001); got != want {
		t.Errorf("compared %d counts, want %d", got, want)
	}
	var listed []int64
	for _, o := range rs.Options {
		listed = append(listed, o.PrepaidCores)
	}
	if want := []int64{0, 4, 5, 6, 999_999, 1_000_000}; !slices.Equal(listed, want) {
		t.Errorf("table lists %v, want %v", listed, want)
	}
	// 3 months × 1,000,000 × 100.00 prepaid, plus the small setup's 3 extra cores every day: a month
	// of them costs 150.00 × (3 + 0.33 × 3) = 598.50.
	if got, want := rs.Best.Total.String(), "300001795.50"; got != want {
		t.Errorf("best total %s, want %s", got, want)
	}
	if rs.Saving.Sign() <= 0 || rs.Saving.Cmp(rs.Current.Total.minus(rs.Best.Total)) != 0 {
		t.Errorf("saving %s, want current %s − best %s", rs.Saving, rs.Current.Total, rs.Best.Total)
	}
	// With f = 0 and equal prices every count costs the same: the smallest wins.
	flat := Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 2, "100.00", "100.00", "0", "EUR")}}
	rs, err = RightSize(flat, setups[:1], months, 2)
	if err != nil {
		t.Fatal(err)
	}
	if rs.Best.PrepaidCores != 0 || rs.Saving.Sign() != 0 {
		t.Errorf("flat costs: best %d cores saving %s, want 0 cores saving nothing", rs.Best.PrepaidCores, rs.Saving)
	}
}

// TestPropertyRightSizeCandidatesHoldTheCheapest checks the narrowing of many counts against pricing
// every one: the cheapest count lies among the candidates, unless they were cut for being too many.
func TestPropertyRightSizeCandidatesHoldTheCheapest(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		months := []Month{month("2026-09"), month("2026-10"), month("2026-11")}
		c := genContract(t, month("2026-10"))
		rng := seeded(t)
		var setups []SetupUsage
		for i := range 1 + rng.IntN(3) {
			s := usage(int64(i+1), string(rune('a'+i)), map[Date]DayCores{})
			level := rng.Int64N(300)
			for d := months[0].First(); !d.After(months[2].Last()); d = d.AddDays(1) {
				if rng.IntN(3) > 0 {
					s.Days[d] = DayCores{Billed: max(0, level+rng.Int64N(41)-20)}
				}
			}
			setups = append(setups, s)
		}
		z, highest, err := newSizer(c, setups, months)
		if err != nil {
			t.Fatal(err)
		}
		cheapest := z.price(0)
		for p := int64(1); p <= highest; p++ {
			if opt := z.price(p); opt.Total.Cmp(cheapest.Total) < 0 {
				cheapest = opt
			}
		}
		const scan = 8
		lo, hi := z.candidates(highest, scan)
		rs, err := rightSize(c, setups, months, 3, scan)
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case cheapest.PrepaidCores >= lo && cheapest.PrepaidCores <= hi:
			if rs.Best.PrepaidCores != cheapest.PrepaidCores || rs.Best.Total.Cmp(cheapest.Total) != 0 {
				t.Fatalf("best %d cores at %s, pricing every count: %d at %s", rs.Best.PrepaidCores, rs.Best.Total, cheapest.PrepaidCores, cheapest.Total)
			}
		case hi-lo+1 < scan:
			t.Fatalf("the cheapest %d cores (%s) lie outside the candidates %d…%d", cheapest.PrepaidCores, cheapest.Total, lo, hi)
		case rs.Best.Total.Cmp(cheapest.Total.plus(amountOf(big.NewInt(int64(2*len(months))), c.Currency))) > 0:
			t.Fatalf("best %s, more than the rounding's reach above the cheapest %s", rs.Best.Total, cheapest.Total)
		}
	})
}

// TestRightSizingRecommends: advice only where there were billed days and the saving is worth a
// change of contract (1% of the current cost, and a whole unit of the currency a month).
func TestRightSizingRecommends(t *testing.T) {
	months := []Month{month("2026-09"), month("2026-10"), month("2026-11")}
	steady := daysAt("2026-09-01", "2026-11-30", 4)
	steady[date("2026-09-15")] = DayCores{PeakMicro: 3_000_000, Billed: 3}
	for _, tc := range []struct {
		name     string
		contract Contract
		setups   []SetupUsage
		current  int64
		saving   string
		want     bool
	}{
		{"the second worked example: 300.00 of 3,295.50", example("2026-01-01"),
			[]SetupUsage{usage(1, "A", daysAt("2026-09-01", "2026-11-30", 4)), usage(2, "B", daysAt("2026-09-01", "2026-11-30", 3))}, 5, "300.00", true},
		{"not started: every count costs nothing", example("2027-01-01"), nil, 5, "0.00", false},
		{"started, no usage: 0 cores save the prepaid cost", example("2026-01-01"), nil, 5, "1500.00", true},
		{"3.04 of 1,200.00: under 1%", Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 4, "100.00", "100.10", "0", "EUR")}},
			[]SetupUsage{usage(1, "prod", steady)}, 4, "3.04", false},
		{"1.50 over three months: under 1.00 a month", Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 2, "0.50", "0.75", "0", "EUR")}},
			[]SetupUsage{usage(1, "prod", daysAt("2026-09-01", "2026-11-30", 1))}, 2, "1.50", false},
		{"3 JPY over three months: a yen a month", Contract{Currency: "JPY", Start: date("2026-01-01"), Terms: []Terms{terms("", 2, "1", "2", "0", "JPY")}},
			[]SetupUsage{usage(1, "prod", daysAt("2026-09-01", "2026-11-30", 1))}, 2, "3", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rs, err := RightSize(tc.contract, tc.setups, months, tc.current)
			if err != nil {
				t.Fatal(err)
			}
			if rs.Saving.String() != tc.saving || rs.Recommends() != tc.want {
				t.Errorf("saving %s of %s, recommends %v; want %s, %v", rs.Saving, rs.Current.Total, rs.Recommends(), tc.saving, tc.want)
			}
		})
	}
}
