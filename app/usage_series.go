package app

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"keyward/app/billing"
	"keyward/store"
)

// Resolutions of the usage API and page.
const (
	resolutionHour  = "hour"
	resolutionDay   = "day"
	resolutionMonth = "month"
)

// bucketOf is the start of the hour, day or month a time falls in (UTC).
func bucketOf(t time.Time, resolution string) time.Time {
	t = t.UTC()
	switch resolution {
	case resolutionDay:
		return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	case resolutionMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return t.Truncate(time.Hour)
}

// bucketLabel names a bucket the way the API and charts show it.
func bucketLabel(t time.Time, resolution string) string {
	switch resolution {
	case resolutionDay:
		return t.Format(time.DateOnly)
	case resolutionMonth:
		return t.Format("2006-01")
	}
	return t.Format(time.RFC3339)
}

// usagePoint is one metric of one setup's service over one bucket.
type usagePoint struct {
	Time  string  `json:"time"`
	Mean  float64 `json:"mean"`
	Min   float64 `json:"min"`
	Max   float64 `json:"max"`
	Count int64   `json:"count"`
}

// usageSeries is one metric of one service of one setup over time.
type usageSeries struct {
	Setup   string       `json:"setup"`
	Service string       `json:"service"`
	Metric  string       `json:"metric"`
	Points  []usagePoint `json:"points"`
}

// coresPoint is a setup's billable cores over one bucket: the mean and the peak of its hourly
// cores (the sum over its billable services of each one's hourly mean).
type coresPoint struct {
	Time  string  `json:"time"`
	Setup string  `json:"setup"`
	Mean  float64 `json:"mean_cores"`
	Peak  float64 `json:"peak_cores"`
}

// usageSeriesOf sums hourly roll-ups into series per setup × service × metric at a resolution.
// Metric values are millionths; series come sorted by setup, service and metric.
func usageSeriesOf(hours []store.HourlyUsage, resolution string) []usageSeries {
	type key struct{ setup, service, metric string }
	type acc struct {
		count, min, max int64
		sum             store.Sum
	}
	buckets := map[key]map[time.Time]*acc{}
	for _, h := range hours {
		k := key{h.SetupName, h.Service, h.Metric}
		if buckets[k] == nil {
			buckets[k] = map[time.Time]*acc{}
		}
		b := bucketOf(h.Hour, resolution)
		a := buckets[k][b]
		if a == nil {
			a = &acc{min: h.Min, max: h.Max}
			buckets[k][b] = a
		}
		a.count += h.Count
		a.sum = a.sum.Add(h.Sum)
		a.min, a.max = min(a.min, h.Min), max(a.max, h.Max)
	}
	series := make([]usageSeries, 0, len(buckets))
	for k, byTime := range buckets {
		s := usageSeries{Setup: k.setup, Service: k.service, Metric: k.metric}
		for _, t := range sortedTimes(byTime) {
			a := byTime[t]
			s.Points = append(s.Points, usagePoint{Time: bucketLabel(t, resolution), Count: a.count,
				Mean: a.sum.Float() / 1e6 / float64(a.count), Min: micros(a.min), Max: micros(a.max)})
		}
		series = append(series, s)
	}
	slices.SortFunc(series, func(a, b usageSeries) int {
		return cmp.Or(cmp.Compare(a.Setup, b.Setup), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Metric, b.Metric))
	})
	return series
}

// coresOf is each setup's billable cores per bucket, from the hourly roll-ups of cores.
func coresOf(hours []store.HourlyUsage, excluded []string, resolution string) []coresPoint {
	type hourKey struct {
		setup string
		hour  time.Time
	}
	hourly := map[hourKey]float64{}
	for _, h := range hours {
		if h.Metric != store.CoresMetric || isExcluded(h.Service, excluded) || h.Count == 0 {
			continue
		}
		hourly[hourKey{h.SetupName, h.Hour}] += h.Sum.Float() / 1e6 / float64(h.Count)
	}
	type bucketKey struct {
		setup string
		t     time.Time
	}
	type acc struct {
		sum, peak float64
		hours     int
	}
	buckets := map[bucketKey]*acc{}
	for k, cores := range hourly {
		b := bucketKey{k.setup, bucketOf(k.hour, resolution)}
		if buckets[b] == nil {
			buckets[b] = &acc{}
		}
		buckets[b].sum += cores
		buckets[b].peak = max(buckets[b].peak, cores)
		buckets[b].hours++
	}
	points := make([]coresPoint, 0, len(buckets))
	for k, a := range buckets {
		points = append(points, coresPoint{Time: bucketLabel(k.t, resolution), Setup: k.setup,
			Mean: a.sum / float64(a.hours), Peak: a.peak})
	}
	slices.SortFunc(points, func(a, b coresPoint) int { return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Setup, b.Setup)) })
	return points
}

// dailyCores is the cost engine's rule for a setup's day, with the product's excluded services.
func dailyCores(excluded []string) store.DailyCoresFunc {
	return func(rollups []store.CoreRollup) (int64, int64) {
		rs := make([]billing.Rollup, len(rollups))
		for i, r := range rollups {
			rs[i] = billing.Rollup{Hour: r.Hour, Service: r.Service, Sum: r.Sum, Count: r.Count}
		}
		var peak, billed int64
		for _, day := range billing.DailyCores(rs, excluded) {
			peak, billed = max(peak, day.PeakMicro), max(billed, day.Billed)
		}
		return peak, billed
	}
}

func isExcluded(service string, excluded []string) bool {
	for _, e := range excluded {
		if strings.EqualFold(service, e) {
			return true
		}
	}
	return false
}

func micros(v int64) float64 { return float64(v) / 1e6 }

func sortedTimes[V any](m map[time.Time]V) []time.Time {
	ts := make([]time.Time, 0, len(m))
	for t := range m {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b time.Time) int { return a.Compare(b) })
	return ts
}
