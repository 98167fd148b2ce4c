package billing

import (
	"slices"
	"strings"
	"testing"
	"time"
)

// TestWorkedExamples prices the three examples of DESIGN §5, built from samples and roll-ups.
func TestWorkedExamples(t *testing.T) {
	nov := month("2026-11")
	first, end := at("2026-11-01 00:00:00"), at("2026-12-01 00:00:00")

	// One setup at 5 cores (plus an excluded service), one day at 7 cores for two hours.
	oneSetup := slices.Concat(
		steady("api", first, end, 3_000_000),
		steady("db", first, end, 2_000_000),
		steady("elasticsearch", first, end, 8_000_000),
		steady("burst", at("2026-11-10 14:00:00"), at("2026-11-10 16:00:00"), 2_000_000),
	)
	// Two setups every day, A at 4 and B at 3.
	setupA := slices.Concat(hourly("api", first, end, 2_500_000), hourly("db", first, end, 1_500_000))
	setupB := hourly("api", first, end, 3_000_000)
	// Migration: old setup at 5 cores days 1–12, new setup at 4 cores days 11–12 and 5 from day 13.
	oldSetup := hourly("api", first, at("2026-11-13 00:00:00"), 5_000_000)
	newSetup := slices.Concat(hourly("api", at("2026-11-11 00:00:00"), end, 4_000_000), hourly("db", at("2026-11-13 00:00:00"), end, 1_000_000))

	fromRollups := func(id int64, name string, rollups []Rollup) SetupUsage {
		return usage(id, name, DailyCores(rollups, defaultExcluded))
	}
	tests := []struct {
		name                      string
		setups                    []SetupUsage
		extraDate                 string // a day with extra cores
		extraDay, extra, total    string
		extraCores, daysWithExtra int
	}{
		{
			name:     "one setup peaking at 7 cores one day",
			setups:   []SetupUsage{fromRollups(1, "prod", RollupSamples(oneSetup))},
			extraDay: "11.65", extraDate: "2026-11-10", extra: "11.65", total: "511.65",
			extraCores: 2, daysWithExtra: 1,
		},
		{
			name:     "two setups at 4 and 3 cores",
			setups:   []SetupUsage{fromRollups(1, "A", setupA), fromRollups(2, "B", setupB)},
			extraDay: "19.95", extraDate: "2026-11-17", extra: "598.50", total: "1098.50",
			extraCores: 3, daysWithExtra: 30,
		},
		{
			name:     "migration",
			setups:   []SetupUsage{fromRollups(1, "old", oldSetup), fromRollups(2, "new", newSetup)},
			extraDay: "29.90", extraDate: "2026-11-12", extra: "59.80", total: "559.80",
			extraCores: 4, daysWithExtra: 2,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est, err := EstimateMonth(example("2026-01-01"), tt.setups, nov, date("2027-01-15"))
			if err != nil {
				t.Fatal(err)
			}
			if got, want := est.PrepaidCost.String(), "500.00"; got != want {
				t.Errorf("prepaid cost = %s, want %s", got, want)
			}
			if got, want := est.ExtraCost.String(), tt.extra; got != want {
				t.Errorf("extra cost = %s, want %s", got, want)
			}
			if got, want := est.Total.String(), tt.total; got != want {
				t.Errorf("total = %s, want %s", got, want)
			}
			if got, want := est.ProjectedTotal, est.Total; got.Cmp(want) != 0 || !est.Complete {
				t.Errorf("projected total = %s, complete %v; want %s for a complete month", got, est.Complete, want)
			}
			day := est.Days[date(tt.extraDate).Day-1]
			if got, want := day.ExtraCost.String(), tt.extraDay; got != want {
				t.Errorf("extra cost of %s = %s, want %s", tt.extraDate, got, want)
			}
			if got, want := day.ExtraCores, int64(tt.extraCores); got != want {
				t.Errorf("extra cores of %s = %d, want %d", tt.extraDate, got, want)
			}
			daysWithExtra := 0
			for _, d := range est.Days {
				if d.ExtraCores > 0 {
					daysWithExtra++
				}
			}
			if got, want := daysWithExtra, tt.daysWithExtra; got != want {
				t.Errorf("%d days with extra cores, want %d", got, want)
			}
		})
	}
}

func TestWorkedExampleBreakdown(t *testing.T) {
	setups := []SetupUsage{usage(2, "B", daysAt("2026-11-01", "2026-11-30", 3)), usage(1, "A", daysAt("2026-11-01", "2026-11-30", 4))}
	est, err := EstimateMonth(example("2026-01-01"), setups, month("2026-11"), date("2027-01-15"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(est.Days), 30; got != want {
		t.Fatalf("%d days, want %d", got, want)
	}
	day := est.Days[0]
	want := []SetupDay{
		{ID: 1, Name: "A", BilledCores: 4, Prepaid: 4, Extra: 0},
		{ID: 2, Name: "B", BilledCores: 3, Prepaid: 0, Extra: 3},
	}
	if !slices.Equal(day.Setups, want) {
		t.Errorf("setups of %s = %+v, want %+v", day.Date, day.Setups, want)
	}
	if got, want := day.Date, date("2026-11-01"); got != want || !day.InContract {
		t.Errorf("first day = %s (in contract %v), want %s in contract", got, day.InContract, want)
	}
	if got, want := est.PrepaidCores, int64(5); got != want {
		t.Errorf("prepaid cores = %d, want %d", got, want)
	}
}

// TestEstimateMonth holds hand-computed cases: one setup at 5 cores with some days at 7 (E = 2 for
// P = 5: 150 × 2.33 = 349.50 a month) unless a case says otherwise.
func TestEstimateMonth(t *testing.T) {
	sevens := func(days ...string) map[Date]DayCores {
		m := daysAt("2026-01-01", "2028-12-31", 5)
		for _, d := range days {
			m[date(d)] = DayCores{PeakMicro: 7_000_000, Billed: 7}
		}
		return m
	}
	oneSetup := func(days ...string) []SetupUsage { return []SetupUsage{usage(1, "prod", sevens(days...))} }
	tests := []struct {
		name      string
		contract  Contract
		setups    []SetupUsage
		month     string
		today     string
		prepaid   string
		extra     string
		total     string
		projExtra string
		projTotal string
		err       string
	}{
		{
			name:     "a license starting mid-month pays its days and no extra before its start",
			contract: example("2026-11-16"), setups: oneSetup("2026-11-10", "2026-11-20"), month: "2026-11",
			prepaid: "250.00", extra: "11.65", total: "261.65",
		},
		{
			name:     "a license ending mid-month pays its days up to the day before the end date",
			contract: func() Contract { c := example("2026-01-01"); c.End = date("2026-11-21"); return c }(),
			setups:   oneSetup("2026-11-20", "2026-11-21"), month: "2026-11",
			prepaid: "333.33", extra: "11.65", total: "344.98",
		},
		{
			name: "a price change applies from the day after the edit",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{
				terms("2026-11-11", 5, "130.00", "200.00", "0.33", "EUR"), // edited on 2026-11-10
				terms("", 5, "100.00", "150.00", "0.33", "EUR"),
			}},
			setups: oneSetup("2026-11-10", "2026-11-11"), month: "2026-11",
			// prepaid (10 × 500 + 20 × 650) / 30; extra 11.65 + 200 × 2.33 / 30 = 11.65 + 15.5333…
			prepaid: "600.00", extra: "27.18", total: "627.18",
		},
		{
			name: "prepaid cores changed mid-month",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{
				terms("", 5, "100.00", "150.00", "0.33", "EUR"),
				terms("2026-11-16", 7, "100.00", "150.00", "0.33", "EUR"),
			}},
			setups: oneSetup("2026-11-10", "2026-11-20"), month: "2026-11",
			prepaid: "600.00", extra: "11.65", total: "611.65",
		},
		{name: "a 28-day month", contract: example("2026-01-01"), setups: oneSetup("2026-02-10"), month: "2026-02",
			prepaid: "500.00", extra: "12.48", total: "512.48"},
		{name: "a 29-day month", contract: example("2026-01-01"), setups: oneSetup("2028-02-10"), month: "2028-02",
			prepaid: "500.00", extra: "12.05", total: "512.05"},
		{name: "a 30-day month", contract: example("2026-01-01"), setups: oneSetup("2026-11-10"), month: "2026-11",
			prepaid: "500.00", extra: "11.65", total: "511.65"},
		{name: "a 31-day month", contract: example("2026-01-01"), setups: oneSetup("2026-12-10"), month: "2026-12",
			prepaid: "500.00", extra: "11.27", total: "511.27"},
		{
			name:     "f = 0 charges every extra core the same",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "100.00", "150.00", "0", "EUR")}},
			setups:   oneSetup("2026-11-10"), month: "2026-11",
			prepaid: "500.00", extra: "10.00", total: "510.00",
		},
		{
			name:     "E = 0 costs the prepaid plan only",
			contract: example("2026-01-01"), setups: oneSetup(), month: "2026-11",
			prepaid: "500.00", extra: "0.00", total: "500.00",
		},
		{
			name:     "days with no data cost no extra",
			contract: example("2026-01-01"), setups: nil, month: "2026-11",
			prepaid: "500.00", extra: "0.00", total: "500.00",
		},
		{
			name:     "a license not started bills nothing",
			contract: example(""), setups: oneSetup("2026-11-10"), month: "2026-11",
			prepaid: "0.00", extra: "0.00", total: "0.00",
		},
		{
			name: "huge E does not overflow",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{
				terms("", 0, "0", "0.01", "0.000001", "EUR"),
			}},
			setups: []SetupUsage{usage(1, "huge", daysAt("2026-11-10", "2026-11-10", 4_000_000_000))},
			month:  "2026-11",
			// 0.01 × (4·10⁹ + 10⁻⁶ × 4·10⁹ × (4·10⁹ − 1) / 2) / 30
			prepaid: "0.00", extra: "2667999999.33", total: "2667999999.33",
		},
		{
			name:     "a cost beyond int64 minor units is exact, neither an error nor a wrapped-around bill",
			contract: example("2026-01-01"), month: "2026-11",
			setups:  []SetupUsage{usage(1, "huge", daysAt("2026-11-10", "2026-11-10", 4_000_000_000))},
			prepaid: "500.00", extra: "13199999983699999999.75", total: "13199999983700000499.75", // 150 × (E + 0.33·E·(E−1)/2) / 30, E = 3,999,999,995
		},
		{
			name:     "yen",
			contract: Contract{Currency: "JPY", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "10000", "15000", "0.33", "JPY")}},
			setups:   oneSetup("2026-12-10"), month: "2026-12",
			prepaid: "50000", extra: "1127", total: "51127", // 15000 × 2.33 / 31 = 1127.42
		},
		{
			name:     "half a yen rounds away from zero",
			contract: Contract{Currency: "JPY", Start: date("2026-01-01"), Terms: []Terms{terms("", 6, "10000", "15", "0", "JPY")}},
			setups:   oneSetup("2026-11-10"), month: "2026-11",
			prepaid: "60000", extra: "1", total: "60001",
		},
		{
			name:     "kuwaiti dinar",
			contract: Contract{Currency: "KWD", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "100.000", "150.000", "0.33", "KWD")}},
			setups:   oneSetup("2026-12-10"), month: "2026-12",
			prepaid: "500.000", extra: "11.274", total: "511.274",
		},
		{
			name:     "the current month totals the whole prepaid month and the extra so far",
			contract: example("2026-01-01"), setups: oneSetup("2026-11-10", "2026-11-11"), month: "2026-11", today: "2026-11-11",
			// projected: 11.65 + (11.65 / 7) × 20 days left
			prepaid: "500.00", extra: "23.30", total: "523.30", projExtra: "44.94", projTotal: "544.94",
		},
		{
			name:     "a young month projects from fewer than 7 complete days",
			contract: example("2026-01-01"), setups: oneSetup("2026-11-01"), month: "2026-11", today: "2026-11-03",
			// 11.65 + (11.65 / 2) × 28 days left
			prepaid: "500.00", extra: "11.65", total: "511.65", projExtra: "174.75", projTotal: "674.75",
		},
		{
			name:     "on the first day no complete day projects nothing",
			contract: example("2026-01-01"), setups: oneSetup("2026-11-01"), month: "2026-11", today: "2026-11-01",
			prepaid: "500.00", extra: "11.65", total: "511.65", projExtra: "0.00", projTotal: "500.00",
		},
		{
			name:     "the projection counts billed days only",
			contract: example("2026-11-06"), setups: oneSetup("2026-11-03", "2026-11-10"), month: "2026-11", today: "2026-11-11",
			// prepaid 25 days; 5 complete billed days (6–10) with 11.65, 20 days left
			prepaid: "416.67", extra: "11.65", total: "428.32", projExtra: "58.25", projTotal: "474.92",
		},
		{
			name:     "a month to come",
			contract: example("2026-01-01"), setups: oneSetup("2026-11-10"), month: "2026-11", today: "2026-10-20",
			prepaid: "500.00", extra: "0.00", total: "500.00", projExtra: "0.00", projTotal: "500.00",
		},
		{
			name:     "terms in another currency",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "100", "150", "0.33", "USD")}},
			month:    "2026-11", err: "the initial terms are not priced in EUR",
		},
		{
			name:     "no terms",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01")},
			month:    "2026-11", err: "the license has no terms",
		},
		{
			name:     "unknown currency",
			contract: Contract{Currency: "EUE", Start: date("2026-01-01"), Terms: []Terms{terms("", 5, "100", "150", "0.33", "EUE")}},
			month:    "2026-11", err: `"EUE" is not an ISO 4217 currency code`,
		},
		{
			name:     "negative prepaid cores",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), Terms: []Terms{terms("", -1, "100", "150", "0.33", "EUR")}},
			month:    "2026-11", err: "negative prepaid cores",
		},
		{
			name:     "an end before the start",
			contract: Contract{Currency: "EUR", Start: date("2026-01-01"), End: date("2025-01-01"), Terms: []Terms{terms("", 5, "100", "150", "0.33", "EUR")}},
			month:    "2026-11", err: "the end date 2025-01-01 is before the start date 2026-01-01",
		},
		{
			name: "negative billed cores", contract: example("2026-01-01"), month: "2026-11",
			setups: []SetupUsage{usage(1, "prod", daysAt("2026-11-10", "2026-11-10", -1))},
			err:    `setup "prod" has negative billed cores on 2026-11-10`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			today := date("2030-01-01")
			if tt.today != "" {
				today = date(tt.today)
			}
			est, err := EstimateMonth(tt.contract, tt.setups, month(tt.month), today)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.projExtra == "" {
				tt.projExtra, tt.projTotal = tt.extra, tt.total
			}
			cur := tt.contract.Currency
			for _, c := range []struct {
				what      string
				got, want Amount
			}{
				{"prepaid cost", est.PrepaidCost, amt(tt.prepaid, cur)},
				{"extra cost", est.ExtraCost, amt(tt.extra, cur)},
				{"total", est.Total, amt(tt.total, cur)},
				{"projected extra", est.ProjectedExtra, amt(tt.projExtra, cur)},
				{"projected total", est.ProjectedTotal, amt(tt.projTotal, cur)},
			} {
				if c.got.Cmp(c.want) != 0 || c.got.Currency != c.want.Currency {
					t.Errorf("%s = %s %s, want %s", c.what, c.got, c.got.Currency, c.want)
				}
			}
			if got, want := est.Complete, tt.today == ""; got != want {
				t.Errorf("complete = %v, want %v", got, want)
			}
			if got, want := len(est.Days), month(tt.month).Days(); got != want {
				t.Errorf("%d days, want %d", got, want)
			}
		})
	}
}

func TestEstimateMonthDays(t *testing.T) {
	setups := []SetupUsage{usage(1, "prod", merge(daysAt("2026-11-01", "2026-11-30", 5), daysAt("2026-11-10", "2026-11-10", 7)))}
	est, err := EstimateMonth(example("2026-11-05"), setups, month("2026-11"), date("2026-11-20"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		day  int
		want DayCost
	}{
		{name: "before the start: shown, not billed", day: 2, want: DayCost{
			Date: date("2026-11-02"), ExtraCost: amt("0", "EUR"),
			Setups: []SetupDay{{ID: 1, Name: "prod", BilledCores: 5}},
		}},
		{name: "a billed day with extra", day: 10, want: DayCost{
			Date: date("2026-11-10"), InContract: true, ExtraCores: 2, ExtraCost: amt("11.65", "EUR"),
			Setups: []SetupDay{{ID: 1, Name: "prod", BilledCores: 7, Prepaid: 5, Extra: 2}},
		}},
		{name: "today so far", day: 20, want: DayCost{
			Date: date("2026-11-20"), InContract: true, ExtraCost: amt("0", "EUR"),
			Setups: []SetupDay{{ID: 1, Name: "prod", BilledCores: 5, Prepaid: 5}},
		}},
		{name: "after today: empty", day: 21, want: DayCost{
			Date: date("2026-11-21"), InContract: true, ExtraCost: amt("0", "EUR"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := est.Days[tt.day-1]
			if got.Date != tt.want.Date || got.InContract != tt.want.InContract || got.ExtraCores != tt.want.ExtraCores ||
				got.ExtraCost.Cmp(tt.want.ExtraCost) != 0 || !slices.Equal(got.Setups, tt.want.Setups) {
				t.Errorf("day = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestPrepaidSetupTies(t *testing.T) {
	early, late := at("2026-01-01 00:00:00"), at("2026-02-01 00:00:00")
	days := daysAt("2026-11-01", "2026-11-30", 4)
	tests := []struct {
		name   string
		setups []SetupUsage
		want   string
	}{
		{
			name: "most billed cores first",
			setups: []SetupUsage{
				{ID: 1, Name: "small", FirstSample: early, Days: daysAt("2026-11-01", "2026-11-30", 3)},
				{ID: 2, Name: "big", FirstSample: late, Days: days},
			},
			want: "big",
		},
		{
			name: "on a tie, the earliest first sample",
			setups: []SetupUsage{
				{ID: 1, Name: "newer", FirstSample: late, Days: days},
				{ID: 2, Name: "older", FirstSample: early, Days: days},
			},
			want: "older",
		},
		{
			name: "then the smaller setup id",
			setups: []SetupUsage{
				{ID: 9, Name: "nine", FirstSample: early, Days: days},
				{ID: 3, Name: "three", FirstSample: early, Days: days},
			},
			want: "three",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			est, err := EstimateMonth(example("2026-01-01"), tt.setups, month("2026-11"), date("2027-01-01"))
			if err != nil {
				t.Fatal(err)
			}
			top := est.Days[0].Setups[0]
			if got, want := top.Name, tt.want; got != want || top.Prepaid != min(top.BilledCores, 5) {
				t.Errorf("prepaid setup = %s with %d prepaid, want %s", got, top.Prepaid, want)
			}
			if got, want := est.Days[0].Setups[1].Prepaid, int64(0); got != want {
				t.Errorf("the other setup has %d prepaid, want %d", got, want)
			}
		})
	}
}

func TestPrepaidTieComparesInstants(t *testing.T) {
	a := SetupUsage{ID: 2, Name: "a", FirstSample: at("2026-01-01 10:00:00").In(time.FixedZone("X", 5*3600)), Days: daysAt("2026-11-01", "2026-11-01", 4)}
	b := SetupUsage{ID: 1, Name: "b", FirstSample: at("2026-01-01 10:00:01"), Days: daysAt("2026-11-01", "2026-11-01", 4)}
	est, err := EstimateMonth(example("2026-01-01"), []SetupUsage{b, a}, month("2026-11"), date("2027-01-01"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := est.Days[0].Setups[0].Name, "a"; got != want {
		t.Errorf("prepaid setup = %s, want %s (instants compare, not clock readings)", got, want)
	}
}
