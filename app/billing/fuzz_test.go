package billing

import (
	"encoding/binary"
	"maps"
	"math"
	"slices"
	"strings"
	"testing"
	"time"
)

// decodeSamples turns fuzz bytes into samples, 11 bytes each: a time within four days (2 bytes, in
// 5-s steps), a service (1 byte) and a value in micro-cores (8 bytes, any int64).
func decodeSamples(data []byte) []Sample {
	services := []string{"api", "db", "elasticsearch", "Kibana", "", "ÉLASTIC"}
	base := at("2026-11-10 00:00:00")
	var samples []Sample
	for ; len(data) >= 11; data = data[11:] {
		samples = append(samples, Sample{
			Time:    base.Add(time.Duration(binary.LittleEndian.Uint16(data)) * 5 * time.Second),
			Service: services[int(data[2])%len(services)],
			Micro:   int64(binary.LittleEndian.Uint64(data[3:])),
		})
	}
	return samples
}

func encodeSample(seconds uint16, service byte, micro int64) []byte {
	b := binary.LittleEndian.AppendUint16(nil, seconds/5)
	b = append(b, service)
	return binary.LittleEndian.AppendUint64(b, uint64(micro))
}

// FuzzDailyCores feeds arbitrary samples through samples → roll-ups → billed cores: it must never
// panic nor bill negative cores, must not depend on the order of the samples, and must follow the
// rules exactly whenever the values are small enough for sums not to saturate.
func FuzzDailyCores(f *testing.F) {
	f.Add(slices.Concat(encodeSample(0, 0, 5_000_000), encodeSample(20, 0, 5_000_002), encodeSample(40, 1, 1)), "elasticsearch,kibana")
	f.Add(slices.Concat(encodeSample(0, 0, math.MaxInt64), encodeSample(20, 0, math.MaxInt64), encodeSample(40, 1, math.MinInt64)), "")
	f.Add(slices.Concat(encodeSample(3599, 2, 8_000_000), encodeSample(3600, 3, -1), encodeSample(65535, 5, 7)), "élastic")
	f.Add([]byte{}, "api")
	f.Fuzz(func(t *testing.T, data []byte, excludedList string) {
		samples := decodeSamples(data)
		excluded := strings.Split(excludedList, ",")
		days := DailyCores(RollupSamples(samples), excluded)
		for d, c := range days {
			if c.Billed < 0 || c.PeakMicro < 0 {
				t.Fatalf("%s: negative %+v", d, c)
			}
		}
		reversed := slices.Clone(samples)
		slices.Reverse(reversed)
		if got := DailyCores(RollupSamples(reversed), excluded); !maps.Equal(got, days) {
			t.Fatalf("reversed samples give %v, not %v", got, days)
		}
		hourlyMax := map[Date]DayCores{}
		for _, h := range HourlyCores(RollupSamples(samples), excluded) {
			d := hourlyMax[DateOf(h.Hour)]
			hourlyMax[DateOf(h.Hour)] = DayCores{max(d.PeakMicro, h.Micro), max(d.Billed, h.Billed)}
		}
		if !maps.Equal(hourlyMax, days) {
			t.Fatalf("the hours' largest values %v are not the days %v", hourlyMax, days)
		}
		if slices.ContainsFunc(samples, func(s Sample) bool { return s.Micro > 1<<40 || s.Micro < -(1<<40) }) {
			return
		}
		if want := referenceDailyCores(samples, excluded); !maps.Equal(days, want) {
			t.Fatalf("DailyCores = %v, by the rules %v", days, want)
		}
	})
}
