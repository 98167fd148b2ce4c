package billing

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// microPerCore is how many micro-cores make a core: samples are kept as integer millionths of a core.
const microPerCore = 1_000_000

// Sample is one `cores` reading of one service of a setup, in micro-cores; duplicates are the store's
// business, so every sample given counts.
type Sample struct {
	Time    time.Time
	Service string
	Micro   int64
}

// Rollup is what an hour of one service's samples leaves behind: their sum and their count, which keep
// the hour's mean exact. The usage store keeps roll-ups for good; everything downstream works from them.
type Rollup struct {
	Hour    time.Time // the UTC clock hour the samples fall in
	Service string
	Sum     int64 // micro-cores
	Count   int64
}

// RollupSamples folds samples into one roll-up per clock hour and service, ordered by hour then service,
// so that raw samples and stored roll-ups go through the very same computation. A sum beyond int64
// (never met in practice) is clamped to it, whatever the order of the samples.
func RollupSamples(samples []Sample) []Rollup {
	type key struct {
		hour    int64
		service string
	}
	index := make(map[key]int)
	var rollups []Rollup
	var sums []wideSum
	for _, s := range samples {
		k := key{hourOf(s.Time), s.Service}
		i, ok := index[k]
		if !ok {
			i = len(rollups)
			index[k] = i
			rollups = append(rollups, Rollup{Hour: hourTime(k.hour), Service: s.Service})
			sums = append(sums, wideSum{})
		}
		sums[i].add(s.Micro)
		rollups[i].Count++
	}
	for i := range rollups {
		rollups[i].Sum = sums[i].int64()
	}
	slices.SortFunc(rollups, compareRollups)
	return rollups
}

// HourCores is a setup's cores in one clock hour: the sum over its billable services of each service's mean.
type HourCores struct {
	Hour   time.Time
	Micro  int64 // the exact hourly cores rounded to the micro-core, for display
	Billed int64 // ⌈cores − 0.000001⌉: what the hour would bill if it were the day's peak
}

// DayCores is a setup's day: the peak of its hourly cores and the cores it bills, ⌈peak − 0.000001⌉.
type DayCores struct {
	PeakMicro int64 // the exact peak rounded to the micro-core, for display
	Billed    int64
}

// HourlyCores returns, in time order, the cores of every hour that holds samples of a billable service.
// Excluded services are compared case-insensitively; roll-ups of one hour and service are pooled, in
// any order; a service whose mean is negative counts as zero, so a bogus report never offsets real
// usage; roll-ups without samples are ignored.
func HourlyCores(rollups []Rollup, excluded []string) []HourCores {
	if hours, ok := foldHours(rollups, excluded); ok {
		return hours
	}
	sorted := slices.Clone(rollups)
	slices.SortFunc(sorted, compareRollups)
	hours, _ := foldHours(sorted, excluded)
	return hours
}

// DailyCores returns the peak and billed cores of every UTC day that holds samples of a billable service.
// Rounding up and rounding to the micro-core never reorder values, so the day's billed cores are its
// hours' largest billed cores and its rounded peak their largest rounded value: both stay exact.
func DailyCores(rollups []Rollup, excluded []string) map[Date]DayCores {
	days := make(map[Date]DayCores)
	hours := HourlyCores(rollups, excluded)
	for i := 0; i < len(hours); { // hours come in time order: each day is a run of them
		day := DateOf(hours[i].Hour)
		next := day.AddDays(1).Time()
		var peak DayCores
		for ; i < len(hours) && hours[i].Hour.Before(next); i++ {
			peak = DayCores{PeakMicro: max(peak.PeakMicro, hours[i].Micro), Billed: max(peak.Billed, hours[i].Billed)}
		}
		days[day] = peak
	}
	return days
}

// foldHours computes the hours of roll-ups ordered by hour then service (as the store and
// RollupSamples give them) in one pass, or reports false as soon as it meets them out of order.
func foldHours(rollups []Rollup, excluded []string) ([]HourCores, bool) {
	if len(rollups) == 0 {
		return nil, true
	}
	span := hourOf(rollups[len(rollups)-1].Hour) - hourOf(rollups[0].Hour) + 1
	hours := make([]HourCores, 0, max(0, min(span, int64(len(rollups)))))
	var f hourFold
	f.start(hourOf(rollups[0].Hour), rollups[0].Service)
	for i := range rollups {
		r := &rollups[i]
		h := hourOf(r.Hour)
		order := cmp.Compare(h, f.hour)
		if order == 0 {
			order = strings.Compare(r.Service, f.service)
		}
		switch {
		case order < 0:
			return nil, false
		case h > f.hour:
			hours = f.endHour(hours, excluded)
			f.start(h, r.Service)
		case order > 0:
			f.endService(excluded)
			f.service = r.Service
		}
		if r.Count > 0 {
			f.sum.add(r.Sum)
			f.count = satAdd(f.count, r.Count)
		}
	}
	return f.endHour(hours, excluded), true
}

// hourFold gathers the roll-ups of one hour, one service at a time.
type hourFold struct {
	hour     int64
	service  string
	sum      wideSum // of the current service
	count    int64   // of the current service
	total    meanSum // of the hour's billable services so far
	billable bool    // some billable service had samples
}

func (f *hourFold) start(hour int64, service string) {
	*f = hourFold{hour: hour, service: service}
}

func (f *hourFold) endService(excluded []string) {
	if f.count > 0 && !isExcluded(f.service, excluded) {
		f.total.add(f.sum.int64(), f.count)
		f.billable = true
	}
	f.sum, f.count = wideSum{}, 0
}

func (f *hourFold) endHour(hours []HourCores, excluded []string) []HourCores {
	f.endService(excluded)
	if !f.billable {
		return hours
	}
	micro, billed := f.total.cores()
	return append(hours, HourCores{Hour: hourTime(f.hour), Micro: micro, Billed: billed})
}

// billedCores turns exact hourly cores, given as whole micro-cores q plus a fraction (present or
// not, and whether it reaches one half), into the micro-cores shown and the cores billed,
// ⌈cores − 0.000001⌉ = ⌈(micro − 1) / 10⁶⌉, never negative.
func billedCores(q int64, fraction, halfOrMore bool) (micro, billed int64) {
	micro = q
	if halfOrMore {
		micro = satAdd(q, 1)
	}
	if q <= 0 {
		return micro, 0
	}
	whole := q - 1
	billed = whole / microPerCore
	if fraction || whole%microPerCore != 0 {
		billed++
	}
	return micro, billed
}

func isExcluded(service string, excluded []string) bool {
	for _, e := range excluded {
		if strings.EqualFold(service, e) {
			return true
		}
	}
	return false
}

func compareRollups(a, b Rollup) int {
	if c := cmp.Compare(hourOf(a.Hour), hourOf(b.Hour)); c != 0 {
		return c
	}
	return strings.Compare(a.Service, b.Service)
}

// hourOf numbers UTC clock hours since the Unix epoch, flooring so instants before 1970 land in their hour too.
func hourOf(t time.Time) int64 {
	s := t.Unix()
	h := s / 3600
	if s%3600 < 0 {
		h--
	}
	return h
}

func hourTime(h int64) time.Time { return time.Unix(h*3600, 0).UTC() }
