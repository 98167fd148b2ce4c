package app

import (
	"cmp"
	"context"
	"math"
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

// buckets are the store's sums behind each resolution: hours from the hourly roll-ups, days and
// months from the daily ones.
var buckets = map[string]store.Bucket{resolutionHour: store.ByHour, resolutionDay: store.ByDay, resolutionMonth: store.ByMonth}

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

// usageReport is what the usage API answers and the usage page draws, for a period.
type usageReport struct {
	LicenseID  int64         `json:"license_id"`
	From       string        `json:"from"`
	To         string        `json:"to"`
	Resolution string        `json:"resolution"`
	Cores      []coresPoint  `json:"cores"`
	Series     []usageSeries `json:"series"`
}

// usageReport reads a period of a license's roll-ups at the query's resolution: one row per
// setup, service, metric and bucket, so an answer grows with the buckets, never with the samples.
func (s *Server) usageReport(ctx context.Context, l store.License, q usageQuery) (usageReport, error) {
	product, err := s.db.FindProduct(ctx, l.ProductID)
	if err != nil {
		return usageReport{}, err
	}
	type seriesKey struct{ setup, service, metric string }
	series := map[seriesKey]*usageSeries{}
	type hourKey struct {
		setup string
		hour  time.Time
	}
	hourly := map[hourKey]float64{} // a setup's billable cores of an hour, at the hour's resolution
	from, to := q.From.Time(), q.To.AddDays(1).Time()
	err = s.db.UsageBuckets(ctx, l.ID, from, to, buckets[q.Resolution], func(b store.UsageBucket) error {
		k := seriesKey{b.Setup, b.Service, b.Metric}
		ser := series[k]
		if ser == nil {
			ser = &usageSeries{Setup: b.Setup, Service: b.Service, Metric: b.Metric}
			series[k] = ser
		}
		mean := 0.0
		if b.Count > 0 {
			mean = b.Sum.Float() / 1e6 / float64(b.Count)
		}
		ser.Points = append(ser.Points, usagePoint{Time: bucketLabel(b.Start, q.Resolution), Count: b.Count,
			Mean: mean, Min: micros(b.Min), Max: micros(b.Max)})
		if q.Resolution == resolutionHour && b.Metric == store.CoresMetric && b.Count > 0 && !isExcluded(b.Service, product.ExcludedServices) {
			hourly[hourKey{b.Setup, b.Start}] += max(0, mean) // as the cost engine counts a negative mean
		}
		return nil
	})
	if err != nil {
		return usageReport{}, err
	}
	r := usageReport{LicenseID: l.ID, From: q.From.String(), To: q.To.String(), Resolution: q.Resolution,
		Series: make([]usageSeries, 0, len(series))}
	for _, ser := range series {
		slices.SortFunc(ser.Points, func(a, b usagePoint) int { return strings.Compare(a.Time, b.Time) })
		r.Series = append(r.Series, *ser)
	}
	slices.SortFunc(r.Series, func(a, b usageSeries) int {
		return cmp.Or(cmp.Compare(a.Setup, b.Setup), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Metric, b.Metric))
	})
	if q.Resolution == resolutionHour {
		r.Cores = make([]coresPoint, 0, len(hourly))
		for k, cores := range hourly {
			r.Cores = append(r.Cores, coresPoint{Time: bucketLabel(k.hour, q.Resolution), Setup: k.setup, Mean: cores, Peak: cores})
		}
	} else {
		days, err := s.db.UsageDays(ctx, l.ID, q.From.String(), q.To.String())
		if err != nil {
			return usageReport{}, err
		}
		r.Cores = coresOfDays(days, q.Resolution)
	}
	slices.SortFunc(r.Cores, func(a, b coresPoint) int { return cmp.Or(cmp.Compare(a.Time, b.Time), cmp.Compare(a.Setup, b.Setup)) })
	return r, nil
}

// coresOfDays is each setup's billable cores by day or month, from the daily cores the cost
// engine keeps: the mean over the hours with billable cores, and the largest hour.
func coresOfDays(setups []store.SetupDays, resolution string) []coresPoint {
	type acc struct{ hours, sum, peak int64 }
	var points []coresPoint
	for _, setup := range setups {
		byBucket := map[string]*acc{}
		for day, d := range setup.Days {
			if d.Hours == 0 {
				continue
			}
			label := day
			if resolution == resolutionMonth {
				label = day[:7]
			}
			a := byBucket[label]
			if a == nil {
				a = &acc{}
				byBucket[label] = a
			}
			a.hours += d.Hours
			a.sum += d.CoresSum
			a.peak = max(a.peak, d.PeakMicro)
		}
		for label, a := range byBucket {
			points = append(points, coresPoint{Time: label, Setup: setup.Name, Mean: micros(a.sum) / float64(a.hours), Peak: micros(a.peak)})
		}
	}
	return points
}

// dailyCores is the cost engine's rule for a setup's day, with the product's excluded services.
func dailyCores(excluded []string) store.DailyCoresFunc {
	return func(rollups []store.CoreRollup) store.DayCores {
		rs := make([]billing.Rollup, len(rollups))
		for i, r := range rollups {
			rs[i] = billing.Rollup{Hour: r.Hour, Service: r.Service, Sum: r.Sum, Count: r.Count}
		}
		var d store.DayCores
		for _, h := range billing.HourlyCores(rs, excluded) {
			d.PeakMicro, d.Billed = max(d.PeakMicro, h.Micro), max(d.Billed, h.Billed)
			d.Hours++
			d.CoresSum = min(d.CoresSum, math.MaxInt64-h.Micro) + h.Micro // shown as a mean: saturate, never wrap
		}
		return d
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
