package app

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
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
	hourly := map[hourKey]float64{}  // a setup's billable cores of an hour, at the hour's resolution
	labels := map[time.Time]string{} // a label a bucket, shared by all its points
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
		label, ok := labels[b.Start]
		if !ok {
			label = bucketLabel(b.Start, q.Resolution)
			labels[b.Start] = label
		}
		ser.Points = append(ser.Points, usagePoint{Time: label, Count: b.Count,
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
			r.Cores = append(r.Cores, coresPoint{Time: labels[k.hour], Setup: k.setup, Mean: cores, Peak: cores})
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

// points counts the report's points.
func (r usageReport) points() int {
	n := len(r.Cores)
	for _, s := range r.Series {
		n += len(s.Points)
	}
	return n
}

// writeJSON writes the report as the API answers it, point after point: a month of hours holds
// hundreds of thousands of points, which must not sit in memory a second time as one block of text.
func (r usageReport) writeJSON(w io.Writer) error {
	b := make([]byte, 0, 64<<10)
	flush := func(force bool) error {
		if len(b) < 60<<10 && !force {
			return nil
		}
		_, err := w.Write(b)
		b = b[:0]
		return err
	}
	b = fmt.Appendf(b, `{"license_id":%d,"from":`, r.LicenseID)
	b = appendString(b, r.From)
	b = append(b, `,"to":`...)
	b = appendString(b, r.To)
	b = append(b, `,"resolution":`...)
	b = appendString(b, r.Resolution)
	b = append(b, `,"cores":[`...)
	for i, p := range r.Cores {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"time":`...)
		b = appendString(b, p.Time)
		b = append(b, `,"setup":`...)
		b = appendString(b, p.Setup)
		b = append(b, `,"mean_cores":`...)
		b = appendNumber(b, p.Mean)
		b = append(b, `,"peak_cores":`...)
		b = appendNumber(b, p.Peak)
		b = append(b, '}')
		if err := flush(false); err != nil {
			return err
		}
	}
	b = append(b, `],"series":[`...)
	for i, s := range r.Series {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"setup":`...)
		b = appendString(b, s.Setup)
		b = append(b, `,"service":`...)
		b = appendString(b, s.Service)
		b = append(b, `,"metric":`...)
		b = appendString(b, s.Metric)
		b = append(b, `,"points":[`...)
		for j, p := range s.Points {
			if j > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"time":`...)
			b = appendString(b, p.Time)
			b = append(b, `,"mean":`...)
			b = appendNumber(b, p.Mean)
			b = append(b, `,"min":`...)
			b = appendNumber(b, p.Min)
			b = append(b, `,"max":`...)
			b = appendNumber(b, p.Max)
			b = append(b, `,"count":`...)
			b = strconv.AppendInt(b, p.Count, 10)
			b = append(b, '}')
			if err := flush(false); err != nil {
				return err
			}
		}
		b = append(b, "]}"...)
	}
	b = append(b, "]}"...)
	return flush(true)
}

// appendString appends s as a JSON string: as it is between quotes when it needs no escape (times,
// and the names of setups, services and metrics: letters, digits, dot, dash and underscore), else
// as encoding/json escapes it.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			raw, _ := json.Marshal(s) // a string always marshals
			return append(b, raw...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendNumber writes a float as encoding/json does: plain digits, an exponent only for the very
// large and the very small.
func appendNumber(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}
