package app

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/store"
)

// monthUsage is a row of the usage page's monthly table.
type monthUsage struct {
	Month          string
	AverageCores   float64 // mean over the hours with data of the license's billable cores
	PeakCores      float64 // the largest hourly billable cores
	MaxBilledCores int64   // the largest billed cores of a day, summed over setups
	ExtraCoreDays  int64   // the extra cores of each day, added up
}

// usagePage shows a license's usage over a period: charts and a monthly table.
// GET /licenses/:id/usage
func (s *Server) usagePage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	data := fiber.Map{"Title": fmt.Sprintf("Usage of license %d", l.ID), "L": l, "Tab": "usage", "Charts": true}
	q, err := s.parseUsageQuery(c)
	if err != nil {
		data["Error"] = err
		q = usageQuery{From: billing.MonthOf(billing.DateOf(s.clock.Now())).First(), To: billing.DateOf(s.clock.Now()), Resolution: resolutionDay}
	}
	data["Q"] = q
	r, err := s.usageReport(c, l, q)
	if err != nil {
		return err
	}
	months, err := s.monthlyUsage(c, l, q)
	if err != nil {
		return err
	}
	chart, err := json.Marshal(fiber.Map{"cores": r.Cores, "series": r.Series, "prepaid": l.Terms.PrepaidCores, "months": months})
	if err != nil {
		return err
	}
	data["Empty"] = len(r.Series) == 0
	data["Months"] = months
	data["ChartData"] = string(chart)
	data["Metrics"] = metricNames(r.Series)
	data["CSV"] = fmt.Sprintf("/licenses/%d/usage.csv?from=%s&to=%s&resolution=%s", l.ID, q.From, q.To, q.Resolution)
	return s.render(c, "usage", data)
}

// monthlyUsage sums the period's hourly roll-ups and the cost engine's days by month.
func (s *Server) monthlyUsage(c *fiber.Ctx, l store.License, q usageQuery) ([]monthUsage, error) {
	r, err := s.usageReport(c, l, usageQuery{From: q.From, To: q.To, Resolution: resolutionHour})
	if err != nil {
		return nil, err
	}
	totals := map[string]float64{} // hour → cores summed over setups
	for _, p := range r.Cores {
		totals[p.Time] += p.Mean
	}
	byMonth := map[string]*monthUsage{}
	var order []string
	row := func(month string) *monthUsage {
		if byMonth[month] == nil {
			byMonth[month] = &monthUsage{Month: month}
			order = append(order, month)
		}
		return byMonth[month]
	}
	hours := map[string]int{}
	for hour, cores := range totals {
		m := row(hour[:7])
		m.AverageCores += cores
		m.PeakCores = max(m.PeakCores, cores)
		hours[m.Month]++
	}
	for month, n := range hours {
		byMonth[month].AverageCores /= float64(n)
	}
	for m := billing.MonthOf(q.From); !billing.MonthOf(q.To).First().Before(m.First()); m = m.AddMonths(1) {
		est, err := s.estimateOf(c, l, m)
		if err != nil {
			return nil, err
		}
		for _, d := range est.Days {
			if d.Date.Before(q.From) || d.Date.After(q.To) || len(d.Setups) == 0 {
				continue
			}
			var billed int64
			for _, sd := range d.Setups {
				billed += sd.BilledCores
			}
			mu := row(m.String())
			mu.MaxBilledCores = max(mu.MaxBilledCores, billed)
			mu.ExtraCoreDays += d.ExtraCores
		}
	}
	rows := make([]monthUsage, 0, len(order))
	for _, m := range sortedStrings(order) {
		rows = append(rows, *byMonth[m])
	}
	return rows, nil
}

// usageCSV exports what the usage page shows: each metric of each setup's service per bucket.
// GET /licenses/:id/usage.csv
func (s *Server) usageCSV(c *fiber.Ctx) error {
	l := guardedLicense(c)
	q, err := s.parseUsageQuery(c)
	if err != nil {
		return err
	}
	r, err := s.usageReport(c, l, q)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="license-%d-usage-%s-%s.csv"`, l.ID, q.From, q.To))
	w := csv.NewWriter(c)
	w.Write([]string{"time", "setup", "service", "metric", "mean", "min", "max", "samples"})
	for _, p := range r.Cores {
		w.Write([]string{p.Time, p.Setup, "(billable services)", "cores", decimal6(p.Mean), "", decimal6(p.Peak), ""})
	}
	for _, series := range r.Series {
		for _, p := range series.Points {
			w.Write([]string{p.Time, series.Setup, series.Service, series.Metric, decimal6(p.Mean), decimal6(p.Min), decimal6(p.Max),
				strconv.FormatInt(p.Count, 10)})
		}
	}
	w.Flush()
	return w.Error()
}

func decimal6(v float64) string { return strconv.FormatFloat(v, 'f', 6, 64) }

// costDataset is one bar series of the cost chart: a setup's prepaid or extra cores per day.
type costDataset struct {
	Label string  `json:"label"`
	Kind  string  `json:"kind"` // prepaid or extra
	Data  []int64 `json:"data"`
}

// costPage shows a month's cost estimate: the daily chart of prepaid and extra cores, the
// totals, the projection of a month not over yet and the right-sizing table.
// GET /licenses/:id/cost
func (s *Server) costPage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	data := fiber.Map{"Title": fmt.Sprintf("Cost of license %d", l.ID), "L": l, "Tab": "cost", "Charts": true}
	m, err := s.monthParam(c)
	if err != nil {
		data["Error"] = err
		m = billing.MonthOf(billing.DateOf(s.clock.Now()))
	}
	est, err := s.estimateOf(c, l, m)
	if err != nil {
		return err
	}
	rs, err := s.rightSizingOf(c, l)
	if err != nil {
		return err
	}
	// One prepaid and one extra series per setup: the prepaid ones first, so they stack at the bottom.
	labels := make([]string, len(est.Days))
	prepaid, extra := map[string]*costDataset{}, map[string]*costDataset{}
	var setups []string
	for i, d := range est.Days {
		labels[i] = strconv.Itoa(d.Date.Day)
		for _, sd := range d.Setups {
			if prepaid[sd.Name] == nil {
				setups = append(setups, sd.Name)
				prepaid[sd.Name] = &costDataset{Label: sd.Name + ": prepaid", Kind: "prepaid", Data: make([]int64, len(est.Days))}
				extra[sd.Name] = &costDataset{Label: sd.Name + ": extra", Kind: "extra", Data: make([]int64, len(est.Days))}
			}
			prepaid[sd.Name].Data[i] = sd.Prepaid
			extra[sd.Name].Data[i] = sd.Extra
		}
	}
	setups = sortedStrings(setups)
	sets := make([]costDataset, 0, 2*len(setups))
	for _, byKind := range []map[string]*costDataset{prepaid, extra} {
		for _, name := range setups {
			sets = append(sets, *byKind[name])
		}
	}
	chart, err := json.Marshal(fiber.Map{"labels": labels, "datasets": sets, "prepaid": est.PrepaidCores})
	if err != nil {
		return err
	}
	var extraDays int
	for _, d := range est.Days {
		if d.ExtraCores > 0 {
			extraDays++
		}
	}
	data["Est"] = est
	data["RS"] = rs
	data["ExtraDays"] = extraDays
	data["ChartData"] = string(chart)
	data["Month"] = m
	data["Prev"], data["Next"] = m.AddMonths(-1), m.AddMonths(1)
	data["MonthName"] = time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC).Format("January 2006")
	data["Empty"] = len(sets) == 0
	return s.render(c, "cost", data)
}

func sortedStrings(s []string) []string {
	slices.Sort(s)
	return s
}

func metricNames(series []usageSeries) []string {
	seen := map[string]bool{}
	var names []string
	for _, s := range series {
		if !seen[s.Metric] && s.Metric != store.CoresMetric {
			seen[s.Metric] = true
			names = append(names, s.Metric)
		}
	}
	return sortedStrings(names)
}
