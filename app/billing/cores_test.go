package billing

import (
	"maps"
	"math"
	"math/big"
	"slices"
	"strings"
	"testing"
	"time"
)

var defaultExcluded = []string{"elasticsearch", "kibana"}

func TestDailyCores(t *testing.T) {
	day := at("2026-11-10 00:00:00")
	tests := []struct {
		name      string
		samples   []Sample
		rollups   []Rollup // added to the roll-ups of the samples
		wantPeak  int64
		wantCores int64
	}{
		{
			name:      "steady whole cores",
			samples:   steady("api", day, day.Add(24*time.Hour), 3_000_000),
			wantPeak:  3_000_000,
			wantCores: 3,
		},
		{
			name:      "services add their means",
			samples:   slices.Concat(steady("api", day, day.Add(time.Hour), 1_500_000), steady("db", day, day.Add(time.Hour), 2_250_000)),
			wantPeak:  3_750_000,
			wantCores: 4,
		},
		{
			name: "peak of 5.0000004 counts as 5",
			samples: []Sample{
				{day, "api", 5_000_000}, {day.Add(20 * time.Second), "api", 5_000_000}, {day.Add(40 * time.Second), "api", 5_000_000},
				{day.Add(60 * time.Second), "api", 5_000_000}, {day.Add(80 * time.Second), "api", 5_000_002},
			},
			wantPeak:  5_000_000,
			wantCores: 5,
		},
		{
			name:      "peak of 5.000001 counts as 5",
			samples:   []Sample{{day, "api", 5_000_001}},
			wantPeak:  5_000_001,
			wantCores: 5,
		},
		{
			name:      "peak of 5.0000015 bills 6",
			samples:   []Sample{{day, "api", 5_000_001}, {day.Add(20 * time.Second), "api", 5_000_002}},
			wantPeak:  5_000_002,
			wantCores: 6,
		},
		{
			name:      "peak of 5.01 bills 6",
			samples:   steady("api", day, day.Add(time.Hour), 5_010_000),
			wantPeak:  5_010_000,
			wantCores: 6,
		},
		{
			name:      "the peak hour sets the day",
			samples:   slices.Concat(steady("api", day, day.Add(24*time.Hour), 5_000_000), steady("worker", day.Add(14*time.Hour), day.Add(16*time.Hour), 2_000_000)),
			wantPeak:  7_000_000,
			wantCores: 7,
		},
		{
			name: "a 20-s spike does not move the hourly mean past a whole core",
			samples: append(steady("api", day, day.Add(time.Hour-20*time.Second), 2_500_000),
				Sample{day.Add(time.Hour - 20*time.Second), "api", 8_000_000}),
			wantPeak:  2_530_556, // (179 × 2.5 + 8) / 180
			wantCores: 3,
		},
		{
			name: "a service reporting half an hour counts its mean, not half of it",
			samples: slices.Concat(steady("api", day, day.Add(24*time.Hour), 3_000_000),
				steady("worker", day, day.Add(30*time.Minute), 2_000_000)),
			wantPeak:  5_000_000,
			wantCores: 5,
		},
		{
			name: "a service missing in some hours only adds where it reports",
			samples: slices.Concat(steady("api", day, day.Add(24*time.Hour), 3_000_000),
				steady("worker", day.Add(6*time.Hour), day.Add(7*time.Hour), 1_000_000)),
			wantPeak:  4_000_000,
			wantCores: 4,
		},
		{
			name: "excluded services are compared case-insensitively",
			samples: slices.Concat(steady("api", day, day.Add(time.Hour), 3_000_000),
				steady("ElasticSearch", day, day.Add(time.Hour), 8_000_000),
				steady("KIBANA", day, day.Add(time.Hour), 1_000_000)),
			wantPeak:  3_000_000,
			wantCores: 3,
		},
		{
			name:      "an idle setup bills nothing",
			samples:   steady("api", day, day.Add(time.Hour), 0),
			wantPeak:  0,
			wantCores: 0,
		},
		{
			name:      "a millionth of a core bills nothing",
			samples:   steady("api", day, day.Add(time.Hour), 1),
			wantPeak:  1,
			wantCores: 0,
		},
		{
			name:      "a bit more than a millionth bills a core",
			samples:   []Sample{{day, "api", 1}, {day.Add(20 * time.Second), "api", 2}},
			wantPeak:  2,
			wantCores: 1,
		},
		{
			name:      "a negative mean counts as zero",
			samples:   slices.Concat(steady("api", day, day.Add(time.Hour), 3_000_000), steady("bogus", day, day.Add(time.Hour), -2_000_000)),
			wantPeak:  3_000_000,
			wantCores: 3,
		},
		{
			name: "roll-ups of one hour and service pool their samples",
			rollups: []Rollup{
				{Hour: day, Service: "api", Sum: 90 * 3_000_000, Count: 90},
				{Hour: day, Service: "api", Sum: 90 * 5_000_000, Count: 90},
			},
			wantPeak:  4_000_000,
			wantCores: 4,
		},
		{
			name:      "roll-ups without samples are ignored",
			samples:   steady("api", day, day.Add(time.Hour), 3_000_000),
			rollups:   []Rollup{{Hour: day, Service: "db", Sum: 1, Count: 0}, {Hour: day, Service: "web", Sum: 5, Count: -1}},
			wantPeak:  3_000_000,
			wantCores: 3,
		},
		{
			name: "counts without a small common multiple stay exact",
			rollups: []Rollup{
				{Hour: day, Service: "a", Sum: 1_000_000_000_000_000_000, Count: 1_000_000_007},
				{Hour: day, Service: "b", Sum: 1_000_000_000_000_000_000, Count: 1_000_000_009},
				{Hour: day, Service: "c", Sum: 1_000_000_000_000_000_000, Count: 998_244_353},
			},
			wantPeak:  3_001_758_719, // 10¹⁸ × (1/1000000007 + 1/1000000009 + 1/998244353), rounded
			wantCores: 3_002,
		},
		{
			name:      "an absurd hour saturates instead of wrapping around",
			rollups:   []Rollup{{Hour: day, Service: "a", Sum: math.MaxInt64, Count: 1}, {Hour: day, Service: "b", Sum: math.MaxInt64, Count: 1}},
			wantPeak:  math.MaxInt64,
			wantCores: (math.MaxInt64-1)/microPerCore + 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rollups := append(RollupSamples(tt.samples), tt.rollups...)
			days := DailyCores(rollups, defaultExcluded)
			if got, want := len(days), 1; got != want {
				t.Fatalf("got %d days, want %d: %v", got, want, days)
			}
			got := days[date("2026-11-10")]
			if got.Billed != tt.wantCores || got.PeakMicro != tt.wantPeak {
				t.Errorf("got %+v, want peak %d and %d billed cores", got, tt.wantPeak, tt.wantCores)
			}
		})
	}
}

func TestDailyCoresDays(t *testing.T) {
	samples := []Sample{
		{at("2026-11-09 23:59:40"), "api", 7_000_000},
		{at("2026-11-10 00:00:00"), "api", 2_000_000},
		{at("2026-11-10 00:00:20").In(time.FixedZone("CET", 3600)), "api", 4_000_000},
		{at("2026-11-11 10:00:00"), "kibana", 9_000_000},
	}
	got := DailyCores(RollupSamples(samples), defaultExcluded)
	want := map[Date]DayCores{
		date("2026-11-09"): {PeakMicro: 7_000_000, Billed: 7},
		date("2026-11-10"): {PeakMicro: 3_000_000, Billed: 3},
	}
	if !maps.Equal(got, want) {
		t.Errorf("DailyCores = %v, want %v (a day of excluded services only has no billable data)", got, want)
	}
}

func TestHourlyCores(t *testing.T) {
	day := at("2026-11-10 00:00:00")
	rollups := slices.Concat(
		hourly("db", day.Add(time.Hour), day.Add(3*time.Hour), 1_000_000),
		hourly("api", day, day.Add(2*time.Hour), 2_500_000),
	)
	got := HourlyCores(rollups, defaultExcluded)
	want := []HourCores{
		{Hour: day, Micro: 2_500_000, Billed: 3},
		{Hour: day.Add(time.Hour), Micro: 3_500_000, Billed: 4},
		{Hour: day.Add(2 * time.Hour), Micro: 1_000_000, Billed: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("HourlyCores = %v, want %v", got, want)
	}
}

func TestRollupSamples(t *testing.T) {
	samples := []Sample{
		{at("2026-11-10 01:59:40"), "db", 4},
		{at("2026-11-10 01:00:00"), "api", 1},
		{at("2026-11-10 01:30:00"), "api", 2},
		{at("2026-11-10 00:10:00"), "db", 3},
	}
	got := RollupSamples(samples)
	want := []Rollup{
		{Hour: at("2026-11-10 00:00:00"), Service: "db", Sum: 3, Count: 1},
		{Hour: at("2026-11-10 01:00:00"), Service: "api", Sum: 3, Count: 2},
		{Hour: at("2026-11-10 01:00:00"), Service: "db", Sum: 4, Count: 1},
	}
	if !slices.Equal(got, want) {
		t.Errorf("RollupSamples = %v, want %v", got, want)
	}
}

// referenceDailyCores computes the days straight from DESIGN §5.1–5.3, sharing no code with the engine:
// it groups the samples per UTC hour and service itself, then goes on as referenceFromRollups.
func referenceDailyCores(samples []Sample, excluded []string) map[Date]DayCores {
	type key struct {
		hour    time.Time
		service string
	}
	groups := map[key]*Rollup{}
	for _, s := range samples {
		k := key{s.Time.UTC().Truncate(time.Hour), s.Service}
		if groups[k] == nil {
			groups[k] = &Rollup{Hour: k.hour, Service: k.service}
		}
		groups[k].Sum += s.Micro
		groups[k].Count++
	}
	var rollups []Rollup
	for _, r := range groups {
		rollups = append(rollups, *r)
	}
	return referenceFromRollups(rollups, excluded)
}

// referenceFromRollups computes with rationals, per UTC hour, the sum over billable services of their
// mean (counting as zero when negative), the largest such sum per day, and ⌈peak − 0.000001⌉.
func referenceFromRollups(rollups []Rollup, excluded []string) map[Date]DayCores {
	type key struct {
		hour    time.Time
		service string
	}
	sums, counts := map[key]*big.Int{}, map[key]*big.Int{}
	for _, r := range rollups {
		k := key{r.Hour.UTC().Truncate(time.Hour), r.Service}
		if slices.ContainsFunc(excluded, func(e string) bool { return strings.ToLower(e) == strings.ToLower(r.Service) }) || r.Count <= 0 {
			continue
		}
		if sums[k] == nil {
			sums[k], counts[k] = new(big.Int), new(big.Int)
		}
		sums[k].Add(sums[k], big.NewInt(r.Sum))
		counts[k].Add(counts[k], big.NewInt(r.Count))
	}
	hours := map[time.Time]*big.Rat{}
	for k, sum := range sums {
		if hours[k.hour] == nil {
			hours[k.hour] = new(big.Rat)
		}
		mean := new(big.Rat).SetFrac(sum, counts[k])
		if mean.Sign() > 0 {
			hours[k.hour].Add(hours[k.hour], mean)
		}
	}
	peaks := map[Date]*big.Rat{}
	for h, v := range hours {
		d := DateOf(h)
		if peaks[d] == nil || v.Cmp(peaks[d]) > 0 {
			peaks[d] = v
		}
	}
	days := map[Date]DayCores{}
	for d, peak := range peaks {
		cores := new(big.Rat).Quo(peak, big.NewRat(microPerCore, 1))
		cores.Sub(cores, big.NewRat(1, microPerCore))
		half := new(big.Rat).Add(peak, big.NewRat(1, 2))
		days[d] = DayCores{PeakMicro: floorRat(half), Billed: max(0, ceilRat(cores))}
	}
	return days
}

func floorRat(r *big.Rat) int64 {
	return new(big.Int).Div(r.Num(), r.Denom()).Int64() // Euclidean: the floor, as the denominator is positive
}

func ceilRat(r *big.Rat) int64 {
	return -floorRat(new(big.Rat).Neg(r))
}
