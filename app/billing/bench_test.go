package billing

import (
	"fmt"
	"testing"
	"time"
)

// benchSamples returns a month (November 2026) of 20-s samples of 3 setups × 10 services, one of them
// excluded: 3,888,000 samples.
func benchSamples() [][]Sample {
	first := at("2026-11-01 00:00:00")
	const perSetup = 10 * 30 * 24 * 180
	setups := make([][]Sample, 3)
	for s := range setups {
		samples := make([]Sample, 0, perSetup)
		for i := range 30 * 24 * 180 {
			t := first.Add(time.Duration(i) * 20 * time.Second)
			for k := range 10 {
				service := fmt.Sprintf("service-%d", k)
				if k == 9 {
					service = "elasticsearch"
				}
				micro := int64(s+k+1)*100_000 + int64(i*7919%1000)*1000
				samples = append(samples, Sample{Time: t, Service: service, Micro: micro})
			}
		}
		setups[s] = samples
	}
	return setups
}

func benchEstimate(b *testing.B, setups []SetupUsage) {
	if _, err := EstimateMonth(example("2026-01-01"), setups, month("2026-11"), date("2026-11-20")); err != nil {
		b.Fatal(err)
	}
}

func BenchmarkMonthFromRawSamples(b *testing.B) {
	raw := benchSamples()
	for b.Loop() {
		setups := make([]SetupUsage, len(raw))
		for i, samples := range raw {
			setups[i] = SetupUsage{ID: int64(i + 1), Days: DailyCores(RollupSamples(samples), defaultExcluded)}
		}
		benchEstimate(b, setups)
	}
}

func BenchmarkMonthFromRollups(b *testing.B) {
	var rollups [][]Rollup
	for _, samples := range benchSamples() {
		rollups = append(rollups, RollupSamples(samples))
	}
	for b.Loop() {
		setups := make([]SetupUsage, len(rollups))
		for i, r := range rollups {
			setups[i] = SetupUsage{ID: int64(i + 1), Days: DailyCores(r, defaultExcluded)}
		}
		benchEstimate(b, setups)
	}
}

func BenchmarkEstimateMonth(b *testing.B) {
	setups := []SetupUsage{
		usage(1, "a", daysAt("2026-11-01", "2026-11-30", 6)),
		usage(2, "b", daysAt("2026-11-01", "2026-11-30", 4)),
		usage(3, "c", daysAt("2026-11-01", "2026-11-30", 3)),
	}
	for b.Loop() {
		benchEstimate(b, setups)
	}
}

func BenchmarkRightSize(b *testing.B) {
	setups := []SetupUsage{
		usage(1, "a", daysAt("2026-09-01", "2026-11-30", 16)),
		usage(2, "b", daysAt("2026-09-01", "2026-11-30", 4)),
	}
	months := LastCompleteMonths(date("2026-12-01"), RightSizingMonths)
	for b.Loop() {
		if _, err := RightSize(example("2026-01-01"), setups, months, 5); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRightSizeMillionCores right-sizes three months of a setup at a million cores a day, the
// most one sample may report, varying a little from day to day so that the days' tops differ.
func BenchmarkRightSizeMillionCores(b *testing.B) {
	days := map[Date]DayCores{}
	for d := date("2026-09-01"); !d.After(date("2026-11-30")); d = d.AddDays(1) {
		billed := int64(1_000_000 - d.Day*1000)
		days[d] = DayCores{PeakMicro: billed * microPerCore, Billed: billed}
	}
	setups := []SetupUsage{usage(1, "huge", days), usage(2, "b", daysAt("2026-09-01", "2026-11-30", 4))}
	months := LastCompleteMonths(date("2026-12-01"), RightSizingMonths)
	for b.Loop() {
		if _, err := RightSize(example("2026-01-01"), setups, months, 5); err != nil {
			b.Fatal(err)
		}
	}
}
