package billing

import (
	"maps"
	"math/big"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// The properties run on November 2026 (30 days) and, for right-sizing, September to November 2026.

// seeded returns a generator seeded by rapid. The data come from it rather than from rapid's own
// draws, which keep to small values (zero prices, empty contracts) where billing is least interesting.
func seeded(t *rapid.T) *rand.Rand {
	return rand.New(rand.NewPCG(rapid.Uint64().Draw(t, "seed"), 0))
}

func genTerms(rng *rand.Rand, from Date) Terms {
	return Terms{
		From:         from,
		PrepaidCores: rng.Int64N(9),
		PrepaidPrice: Money{rng.Int64N(30_001), "EUR"},
		ExtraPrice:   Money{rng.Int64N(30_001), "EUR"},
		Escalation:   Factor{rng.Int64N(1_000_001)},
	}
}

// genContract draws a euro contract that starts before or during m, may end during it, and may
// have its terms edited during it.
func genContract(t *rapid.T, m Month) Contract {
	rng := seeded(t)
	first := m.First()
	c := Contract{
		Currency: "EUR",
		Start:    first.AddDays(rng.IntN(m.Days()+40) - 40),
		Terms:    []Terms{genTerms(rng, Date{})},
	}
	if rng.IntN(2) == 0 {
		c.Terms = append(c.Terms, genTerms(rng, first.AddDays(1+rng.IntN(m.Days()-1))))
	}
	if rng.IntN(3) == 0 {
		c.End = c.Start.AddDays(rng.IntN(90))
	}
	return c
}

// genSetups draws one to four setups with billed cores on most days from one day to another (both included).
func genSetups(t *rapid.T, from, to Date) []SetupUsage {
	rng := seeded(t)
	setups := make([]SetupUsage, rapid.IntRange(1, 4).Draw(t, "setups"))
	for i := range setups {
		setups[i] = SetupUsage{
			ID:          rng.Int64N(5),
			Name:        string(rune('a' + i)),
			FirstSample: at("2026-01-01 00:00:00").Add(time.Duration(rng.IntN(3)) * time.Hour),
			Days:        make(map[Date]DayCores),
		}
		level := rng.Int64N(10)
		for d := from; !d.After(to); d = d.AddDays(1) {
			if rng.IntN(4) > 0 {
				setups[i].Days[d] = DayCores{Billed: max(0, level+rng.Int64N(5)-2)}
			}
		}
	}
	return setups
}

func cloneSetups(setups []SetupUsage) []SetupUsage {
	out := slices.Clone(setups)
	for i := range out {
		out[i].Days = maps.Clone(out[i].Days)
	}
	return out
}

// drawEstimate draws a contract, setups and a day for November 2026, and estimates it.
func drawEstimate(t *rapid.T) (Contract, []SetupUsage, Date, Estimate) {
	nov := month("2026-11")
	c := genContract(t, nov)
	setups := genSetups(t, nov.First(), nov.Last())
	today := nov.First().AddDays(seeded(t).IntN(35) - 2)
	est, err := EstimateMonth(c, setups, nov, today)
	if err != nil {
		t.Fatal(err)
	}
	return c, setups, today, est
}

func TestPropertyCostNeverBelowPrepaid(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		_, _, _, est := drawEstimate(t)
		if est.ExtraCost.Sign() < 0 || est.ProjectedExtra.Sign() < 0 {
			t.Fatalf("negative extra: %s, projected %s", est.ExtraCost, est.ProjectedExtra)
		}
		if est.Total.Cmp(est.PrepaidCost) < 0 || est.ProjectedTotal.Cmp(est.PrepaidCost) < 0 {
			t.Fatalf("total %s or projected %s below the prepaid cost %s", est.Total, est.ProjectedTotal, est.PrepaidCost)
		}
	})
}

func TestPropertyMoreUsageNeverCostsLess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, setups, today, est := drawEstimate(t)
		more := cloneSetups(setups)
		s := &more[rapid.IntRange(0, len(more)-1).Draw(t, "setup")]
		d := date("2026-11-01").AddDays(rapid.IntRange(0, 29).Draw(t, "day"))
		s.Days[d] = DayCores{Billed: s.Days[d].Billed + rapid.Int64Range(1, 6).Draw(t, "more")}
		after, err := EstimateMonth(c, more, month("2026-11"), today)
		if err != nil {
			t.Fatal(err)
		}
		if after.Total.Cmp(est.Total) < 0 || after.ProjectedTotal.Cmp(est.ProjectedTotal) < 0 {
			t.Fatalf("more usage on %s: total %s → %s, projected %s → %s", d, est.Total, after.Total, est.ProjectedTotal, after.ProjectedTotal)
		}
	})
}

func TestPropertySplittingNeverCostsLess(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, setups, today, est := drawEstimate(t)
		split := cloneSetups(setups)
		i := rapid.IntRange(0, len(split)-1).Draw(t, "setup")
		twin := SetupUsage{ID: 2000, Name: "twin", FirstSample: at("2025-06-01 00:00:00").Add(time.Duration(rapid.IntRange(0, 24*365*2).Draw(t, "twin first sample")) * time.Hour), Days: map[Date]DayCores{}}
		for d, cores := range split[i].Days {
			moved := rapid.Int64Range(0, cores.Billed).Draw(t, "moved")
			split[i].Days[d] = DayCores{Billed: cores.Billed - moved}
			twin.Days[d] = DayCores{Billed: moved}
		}
		after, err := EstimateMonth(c, append(split, twin), month("2026-11"), today)
		if err != nil {
			t.Fatal(err)
		}
		if after.Total.Cmp(est.Total) < 0 {
			t.Fatalf("splitting setup %s: total %s → %s", setups[i].Name, est.Total, after.Total)
		}
	})
}

// TestPropertyPrepaidGoesWhereItSavesMost checks that giving the day's prepaid cores to any other setup
// never leaves fewer extra cores, hence never costs less, than the engine's choice.
func TestPropertyPrepaidGoesWhereItSavesMost(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		c, _, _, est := drawEstimate(t)
		sched, err := c.schedule()
		if err != nil {
			t.Fatal(err)
		}
		for _, day := range est.Days {
			if !day.InContract || len(day.Setups) == 0 {
				continue
			}
			terms := sched.on(day.Date)
			var total int64
			for _, s := range day.Setups {
				total += s.BilledCores
			}
			for _, s := range day.Setups {
				e := total - min(s.BilledCores, terms.PrepaidCores)
				if e < day.ExtraCores || extraNumerator(e, terms).Cmp(extraNumerator(day.ExtraCores, terms)) < 0 {
					t.Fatalf("%s: prepaid to %s leaves %d extra cores, the engine's choice %d", day.Date, s.Name, e, day.ExtraCores)
				}
			}
		}
	})
}

func TestPropertyNoEscalationIsLinear(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		terms := genTerms(seeded(t), Date{})
		terms.Escalation = Factor{}
		a := rapid.Int64Range(0, 1_000_000_000_000).Draw(t, "a")
		b := rapid.Int64Range(0, 1_000_000_000_000).Draw(t, "b")
		sum := new(big.Int).Add(extraNumerator(a, terms), extraNumerator(b, terms))
		if got, want := extraNumerator(a+b, terms), sum; got.Cmp(want) != 0 {
			t.Fatalf("cost(%d + %d) = %s, cost(%d) + cost(%d) = %s", a, b, got, a, b, want)
		}
	})
	rapid.Check(t, func(t *rapid.T) {
		nov := month("2026-11")
		c := genContract(t, nov)
		for i := range c.Terms {
			c.Terms[i].Escalation = Factor{}
		}
		est, err := EstimateMonth(c, genSetups(t, nov.First(), nov.Last()), nov, date("2027-01-01"))
		if err != nil {
			t.Fatal(err)
		}
		sched, _ := c.schedule()
		sum := new(big.Int)
		for _, day := range est.Days {
			sum.Add(sum, big.NewInt(day.ExtraCores*sched.on(day.Date).ExtraPrice.Minor))
		}
		want := roundHalfAway(sum, big.NewInt(30))
		if got := est.ExtraCost.int(); got.Cmp(want) != 0 {
			t.Fatalf("extra cost with f = 0 = %d, want Σ x·E / 30 = %d", got, want)
		}
	})
}

// genSamples draws samples in a few hours of two days, of a few services (one of them excluded), with
// values around whole and half cores so that the tolerance of one millionth is often in play.
func genSamples(t *rapid.T) []Sample {
	rng := seeded(t)
	services := []string{"api", "db", "web", "Kibana"}
	hours := []int{0, 1, 23, 24, 47}
	base := at("2026-11-10 00:00:00")
	samples := make([]Sample, rng.IntN(400))
	for i := range samples {
		hour := hours[rng.IntN(len(hours))]
		samples[i] = Sample{
			Time:    base.Add(time.Duration(hour)*time.Hour + time.Duration(rng.IntN(180))*20*time.Second),
			Service: services[rng.IntN(len(services))],
			Micro:   rng.Int64N(25)*500_000 - 1_000_000 + rng.Int64N(5) - 2,
		}
	}
	return samples
}

func TestPropertyRawSamplesAndRollupsAgree(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		samples := genSamples(t)
		rollups := RollupSamples(samples)
		want := referenceDailyCores(samples, defaultExcluded)
		if got := DailyCores(rollups, defaultExcluded); !maps.Equal(got, want) {
			t.Fatalf("from roll-ups %v, by the rules %v", got, want)
		}
		shuffled := rapid.Permutation(samples).Draw(t, "shuffled samples")
		if got, want := RollupSamples(shuffled), rollups; !slices.Equal(got, want) {
			t.Fatalf("roll-ups depend on the order of the samples: %v, then %v", want, got)
		}
		// A store may hand roll-ups back in any order, or in pieces (hours closed in several passes).
		var pieces []Rollup
		for _, r := range rollups {
			if r.Count < 2 {
				pieces = append(pieces, r)
				continue
			}
			part := rapid.Int64Range(1, r.Count-1).Draw(t, "part")
			share := rapid.Int64Range(-10, 10).Draw(t, "share")
			pieces = append(pieces, Rollup{r.Hour, r.Service, share, part}, Rollup{r.Hour, r.Service, r.Sum - share, r.Count - part})
		}
		pieces = rapid.Permutation(pieces).Draw(t, "pieces")
		if got := DailyCores(pieces, defaultExcluded); !maps.Equal(got, want) {
			t.Fatalf("from roll-ups in pieces %v, by the rules %v", got, want)
		}
	})
}

// TestPropertyLargeRollupsStayExact covers hours whose counts have no small common multiple, where the
// engine leaves integer fractions for rationals.
func TestPropertyLargeRollupsStayExact(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		rng := seeded(t)
		hour := at("2026-11-10 05:00:00")
		var rollups []Rollup
		for i := range 1 + rng.IntN(5) {
			rollups = append(rollups, Rollup{
				Hour:    hour.Add(time.Duration(rng.IntN(2)) * time.Hour),
				Service: string(rune('a' + i)),
				Sum:     rng.Int64N(1_000_000_000_000_000_000),
				Count:   1 + rng.Int64N(4_000_000_000),
			})
		}
		if got, want := DailyCores(rollups, nil), referenceFromRollups(rollups, nil); !maps.Equal(got, want) {
			t.Fatalf("DailyCores = %v, by the rules %v", got, want)
		}
	})
}

func TestPropertyRightSizeIsTheMinimum(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		months := []Month{month("2026-09"), month("2026-10"), month("2026-11")}
		c := genContract(t, month("2026-10"))
		setups := genSetups(t, months[0].First(), months[2].Last())
		current := rapid.Int64Range(0, 15).Draw(t, "current")
		rs, err := RightSize(c, setups, months, current)
		if err != nil {
			t.Fatal(err)
		}
		totalWith := func(p int64) int64 {
			withP := c
			withP.Terms = slices.Clone(c.Terms)
			for i := range withP.Terms {
				withP.Terms[i].PrepaidCores = p
			}
			var total int64
			for _, m := range months {
				est, err := EstimateMonth(withP, setups, m, date("2027-01-01"))
				if err != nil {
					t.Fatal(err)
				}
				total += minorOf(est.Total)
			}
			return total
		}
		for p := range int64(len(rs.Options)) + 3 {
			total := totalWith(p)
			if p < int64(len(rs.Options)) && minorOf(rs.Options[p].Total) != total {
				t.Fatalf("option %d = %s, the estimates add up to %d", p, rs.Options[p].Total, total)
			}
			if best := minorOf(rs.Best.Total); total < best || (total == best && p < rs.Best.PrepaidCores) {
				t.Fatalf("%d prepaid cores cost %d, better than the best %d at %s", p, total, rs.Best.PrepaidCores, rs.Best.Total)
			}
		}
		if got, want := minorOf(rs.Current.Total), totalWith(current); got != want {
			t.Fatalf("current total = %d, the estimates add up to %d", got, want)
		}
		if got, want := minorOf(rs.Saving), minorOf(rs.Current.Total)-minorOf(rs.Best.Total); got != want || got < 0 {
			t.Fatalf("saving = %d, want %d (never negative)", got, want)
		}
	})
}
