package app

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/metricname"
	"keyward/app/words"
	"keyward/store"
)

// usagePageDays is the period the usage page opens on: the last 30 days, today included.
const usagePageDays = 30

// autoHourDays is the longest period the usage page draws by hour when no resolution is chosen:
// 7 days are 168 points a series; longer periods go by day (400 at most), then by month.
const autoHourDays = 7

// usageRange is a quick choice of period on the usage page.
type usageRange struct {
	Label    string
	From, To billing.Date
	Current  bool
}

// monthUsage is a row of the usage page's monthly table.
type monthUsage struct {
	Month          billing.Month
	Name           string  // "October 2026"
	AverageCores   float64 // the mean over its days with data of the billable cores, all setups together
	PeakCores      float64 // the largest daily peak, all setups together
	MaxBilledCores int64   // the largest billed cores of a day, summed over setups
	ExtraCoreDays  int64   // the extra cores of each day, added up
	days           int     // days with data
}

// usagePage shows a license's usage over a period: charts and a monthly table. Without a period it
// shows the last 30 days, at a resolution that keeps each chart within a few hundred points.
// GET /licenses/:id/usage
func (s *Server) usagePage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	ctx := c.UserContext()
	today := billing.DateOf(s.clock.Now())
	data := fiber.Map{"Title": fmt.Sprintf("Usage of license %d", l.ID), "L": l, "Tab": "usage", "Charts": true}
	q, choice, err := s.usagePageQuery(c, today)
	if err := fieldError(c, data, err); err != nil { // a bad input shows beside its field, over the default period
		return err
	}
	r, err := s.usageReport(ctx, l, q)
	if err != nil {
		return err
	}
	days, err := s.db.UsageDays(ctx, l.ID, q.From.String(), q.To.String())
	if err != nil {
		return err
	}
	estimates, err := s.estimatesOf(c, l, q.From, q.To)
	if err != nil {
		return err
	}
	product, err := s.db.FindProduct(ctx, l.ProductID)
	if err != nil {
		return err
	}
	chart := usageChartOf(r, product.ExcludedServices)
	chart.Peaks = dailyPeaks(days, estimates, q, int64(l.Terms.PrepaidCores))
	raw, err := json.Marshal(chart)
	if err != nil {
		return err
	}
	data["Q"] = q
	data["Choice"] = choice
	data["Period"] = periodWords(q.From, q.To)
	data["Ranges"] = usageRanges(today, q)
	data["Empty"] = len(r.Series) == 0
	data["Months"] = monthlyUsage(days, estimates, q)
	data["ChartData"] = string(raw)
	data["Metrics"] = chart.Metrics
	data["Excluded"] = product.ExcludedServices
	data["CSV"] = fmt.Sprintf("/licenses/%d/usage.csv?from=%s&to=%s&resolution=%s", l.ID, q.From, q.To, q.Resolution)
	return s.render(c, "usage", data)
}

// usagePageQuery reads the usage page's period and resolution: the last 30 days by default, and
// the resolution the period calls for unless one is chosen (choice is "" for automatic). On a
// bad input it answers the default with the error, for the page to show beside the field.
func (s *Server) usagePageQuery(c *fiber.Ctx, today billing.Date) (usageQuery, string, error) {
	last30 := usageQuery{From: today.AddDays(1 - usagePageDays), To: today, Resolution: resolutionDay}
	choice := c.Query("resolution")
	if _, ok := maxUsageDays[choice]; !ok && choice != "" {
		return last30, "", badInput("resolution", "Choose automatic, by hour, by day or by month.")
	}
	q := last30
	if err := q.readPeriod(c); err != nil {
		return last30, "", err
	}
	q.Resolution = choice
	if choice == "" {
		switch days := q.From.DaysUntil(q.To) + 1; {
		case days <= autoHourDays:
			q.Resolution = resolutionHour
		case days <= maxUsageDays[resolutionDay]:
			q.Resolution = resolutionDay
		default:
			q.Resolution = resolutionMonth
		}
	}
	if err := q.checkLength(); err != nil {
		return last30, "", err
	}
	return q, choice, nil
}

// usageRanges are the usage page's quick periods, the one shown marked.
func usageRanges(today billing.Date, q usageQuery) []usageRange {
	this := billing.MonthOf(today)
	ranges := []usageRange{
		{Label: "Last 7 days", From: today.AddDays(-6), To: today},
		{Label: "Last 30 days", From: today.AddDays(1 - usagePageDays), To: today},
		{Label: "Last 90 days", From: today.AddDays(-89), To: today},
		{Label: "This month", From: this.First(), To: today},
		{Label: "Last month", From: this.AddMonths(-1).First(), To: this.AddMonths(-1).Last()},
	}
	for i := range ranges {
		ranges[i].Current = ranges[i].From == q.From && ranges[i].To == q.To
	}
	return ranges
}

// estimatesOf prices every month that a period touches.
func (s *Server) estimatesOf(c *fiber.Ctx, l store.License, from, to billing.Date) ([]billing.Estimate, error) {
	var out []billing.Estimate
	for m := billing.MonthOf(from); !billing.MonthOf(to).First().Before(m.First()); m = m.AddMonths(1) {
		est, err := s.estimateOf(c, l, m)
		if err != nil {
			return nil, err
		}
		out = append(out, est)
	}
	return out, nil
}

// monthlyUsage sums the period's days by month: the setups' daily cores, and the cost engine's
// extra cores of each day.
func monthlyUsage(setups []store.SetupDays, estimates []billing.Estimate, q usageQuery) []monthUsage {
	var rows []monthUsage
	for _, est := range estimates {
		m := monthUsage{Month: est.Month, Name: monthWords(est.Month)}
		var sum float64
		for _, d := range est.Days {
			if d.Date.Before(q.From) || d.Date.After(q.To) {
				continue
			}
			mean, peak, ok := dayCores(setups, d.Date)
			if !ok {
				continue
			}
			m.days++
			sum += mean
			m.PeakCores = max(m.PeakCores, peak)
			var billed int64
			for _, sd := range d.Setups {
				billed += sd.BilledCores
			}
			m.MaxBilledCores = max(m.MaxBilledCores, billed)
			m.ExtraCoreDays += d.ExtraCores
		}
		if m.days > 0 {
			m.AverageCores = sum / float64(m.days)
			rows = append(rows, m)
		}
	}
	return rows
}

// dayCores adds up the setups' billable cores of a day: the sum of their means and of their
// peaks; false when no setup had billable cores that day.
func dayCores(setups []store.SetupDays, d billing.Date) (mean, peak float64, ok bool) {
	for _, s := range setups {
		if c, found := s.Days[d.String()]; found && c.Hours > 0 {
			mean += micros(c.CoresSum) / float64(c.Hours)
			peak += micros(c.PeakMicro)
			ok = true
		}
	}
	return mean, peak, ok
}

// usageCSV exports what the usage page shows: each metric of each setup's service per bucket.
// GET /licenses/:id/usage.csv
func (s *Server) usageCSV(c *fiber.Ctx) error {
	l := guardedLicense(c)
	q, err := s.parseUsageQuery(c)
	if err != nil {
		return err
	}
	r, err := s.usageReport(c.UserContext(), l, q)
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

// usageChart is what the usage page's charts draw, each series once: values per bucket of times,
// rounded to what a chart can show.
type usageChart struct {
	Resolution string         `json:"resolution"`
	Times      []string       `json:"times"`    // the buckets' starts: RFC 3339 hours, days or months
	Setups     []chartSeries  `json:"setups"`   // each setup's billable cores
	Services   []chartService `json:"services"` // the billed services first; a service's colour is its place
	Metrics    []chartMetric  `json:"metrics"`  // cores first, then by title
	Peaks      chartPeaks     `json:"peaks"`
}

type chartSeries struct {
	Name   string      `json:"name"`
	Values chartValues `json:"values"`
}

type chartService struct {
	Name   string `json:"name"`
	Billed bool   `json:"billed"`
}

// chartMetric is one metric per service, all setups together: added up, or averaged over the
// samples where values of several setups do not add up (percentages, durations).
type chartMetric struct {
	Code     string        `json:"code"`
	Title    string        `json:"title"` // "Memory (MB)"
	Unit     string        `json:"unit"`
	Additive bool          `json:"additive"`
	Series   []chartValued `json:"series"`
}

type chartValued struct {
	Service int         `json:"service"` // its place in usageChart.Services
	Values  chartValues `json:"values"`
}

// chartPeaks is the daily-peak chart: each day's peak of billable cores, all setups together,
// with its extra cores (the cost engine's), against the prepaid cores. By month, each month's
// largest daily peak and its extra core-days.
type chartPeaks struct {
	Labels  []string    `json:"labels"` // days, or months
	Peaks   chartValues `json:"peaks"`
	Extra   []int64     `json:"extra"`
	Prepaid int64       `json:"prepaid"`
	ByMonth bool        `json:"by_month"`
}

// chartValues are a series' values, NaN where a bucket has none: JSON null, the gap a chart leaves.
type chartValues []float64

// MarshalJSON writes the values with at most 3 decimals, enough for any chart and a third of the size.
func (vs chartValues) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+6*len(vs))
	b = append(b, '[')
	for i, v := range vs {
		if i > 0 {
			b = append(b, ',')
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			b = append(b, "null"...)
			continue
		}
		b = strconv.AppendFloat(b, math.Round(v*1000)/1000, 'f', -1, 64)
	}
	return append(b, ']'), nil
}

func gaps(n int) chartValues {
	vs := make(chartValues, n)
	for i := range vs {
		vs[i] = math.NaN()
	}
	return vs
}

// usageChartOf reduces a usage report to what the charts draw: setups' cores, and every metric by
// service with the setups together, so that series grow with services, not setups × services.
func usageChartOf(r usageReport, excluded []string) usageChart {
	ch := usageChart{Resolution: r.Resolution}
	var times []string
	for _, p := range r.Cores {
		times = append(times, p.Time)
	}
	for _, ser := range r.Series {
		for _, p := range ser.Points {
			times = append(times, p.Time)
		}
	}
	slices.Sort(times)
	ch.Times = slices.Compact(times)
	at := make(map[string]int, len(ch.Times))
	for i, t := range ch.Times {
		at[t] = i
	}

	setups := map[string]chartValues{}
	var setupNames []string
	for _, p := range r.Cores {
		if setups[p.Setup] == nil {
			setups[p.Setup] = gaps(len(ch.Times))
			setupNames = append(setupNames, p.Setup)
		}
		setups[p.Setup][at[p.Time]] = p.Mean
	}
	slices.Sort(setupNames)
	for _, name := range setupNames {
		ch.Setups = append(ch.Setups, chartSeries{Name: name, Values: setups[name]})
	}

	var billed, free []string
	for _, ser := range r.Series {
		if isExcluded(ser.Service, excluded) {
			free = append(free, ser.Service)
		} else {
			billed = append(billed, ser.Service)
		}
	}
	slices.Sort(billed)
	slices.Sort(free)
	service := map[string]int{}
	for _, name := range append(slices.Compact(billed), slices.Compact(free)...) {
		service[name] = len(ch.Services)
		ch.Services = append(ch.Services, chartService{Name: name, Billed: !isExcluded(name, excluded)})
	}

	// Per metric and service: the sum over setups of their means, and the samples and their sum.
	type acc struct{ means, sums, counts []float64 }
	byMetric := map[string]map[int]*acc{}
	for _, ser := range r.Series {
		if byMetric[ser.Metric] == nil {
			byMetric[ser.Metric] = map[int]*acc{}
		}
		svc := service[ser.Service]
		a := byMetric[ser.Metric][svc]
		if a == nil {
			a = &acc{means: gaps(len(ch.Times)), sums: make([]float64, len(ch.Times)), counts: make([]float64, len(ch.Times))}
			byMetric[ser.Metric][svc] = a
		}
		for _, p := range ser.Points {
			i := at[p.Time]
			if math.IsNaN(a.means[i]) {
				a.means[i] = 0
			}
			a.means[i] += p.Mean
			a.sums[i] += p.Mean * float64(p.Count)
			a.counts[i] += float64(p.Count)
		}
	}
	for code, bySvc := range byMetric {
		name := metricname.Of(code)
		m := chartMetric{Code: code, Title: name.Title(), Unit: name.Unit, Additive: name.Additive}
		for svc := range ch.Services {
			a := bySvc[svc]
			if a == nil {
				continue
			}
			values := a.means
			if !m.Additive {
				values = gaps(len(ch.Times))
				for i, n := range a.counts {
					if n > 0 {
						values[i] = a.sums[i] / n
					}
				}
			}
			m.Series = append(m.Series, chartValued{Service: svc, Values: values})
		}
		ch.Metrics = append(ch.Metrics, m)
	}
	slices.SortFunc(ch.Metrics, func(a, b chartMetric) int {
		if (a.Code == store.CoresMetric) != (b.Code == store.CoresMetric) {
			if a.Code == store.CoresMetric {
				return -1
			}
			return 1
		}
		return strings.Compare(a.Title+"\x00"+a.Code, b.Title+"\x00"+b.Code)
	})
	return ch
}

// dailyPeaks is the daily-peak chart of a period: by day, or by month when the page goes by month.
func dailyPeaks(setups []store.SetupDays, estimates []billing.Estimate, q usageQuery, prepaid int64) chartPeaks {
	p := chartPeaks{Prepaid: prepaid, ByMonth: q.Resolution == resolutionMonth}
	for _, est := range estimates {
		if p.ByMonth {
			p.Labels = append(p.Labels, est.Month.String())
			p.Peaks = append(p.Peaks, math.NaN())
			p.Extra = append(p.Extra, 0)
		}
		for _, d := range est.Days {
			if d.Date.Before(q.From) || d.Date.After(q.To) {
				continue
			}
			_, peak, ok := dayCores(setups, d.Date)
			if !ok {
				peak = math.NaN()
			}
			if !p.ByMonth {
				p.Labels = append(p.Labels, d.Date.String())
				p.Peaks = append(p.Peaks, peak)
				p.Extra = append(p.Extra, d.ExtraCores)
				continue
			}
			last := len(p.Peaks) - 1
			if ok && (math.IsNaN(p.Peaks[last]) || peak > p.Peaks[last]) {
				p.Peaks[last] = peak
			}
			p.Extra[last] += d.ExtraCores
		}
	}
	return p
}

// dayWords is a day as people read it: "2 Oct 2026".
func dayWords(d billing.Date) string { return words.Date(d.Time()) }

// monthWords is a month as people read it: "October 2026".
func monthWords(m billing.Month) string { return m.First().Time().Format("January 2006") }

// periodWords is a period as people read it: "3 Sep 2026 to 2 Oct 2026", or one day.
func periodWords(from, to billing.Date) string {
	if from == to {
		return dayWords(from)
	}
	return dayWords(from) + " to " + dayWords(to)
}

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
	this := billing.MonthOf(billing.DateOf(s.clock.Now()))
	m, err := s.monthParam(c)
	if err != nil {
		data["Error"] = err
		m = this
	}
	if this.First().Before(m.First()) { // the future costs nothing yet: show this month
		data["Error"] = fmt.Sprintf("%s has not begun: this is %s.", monthWords(m), monthWords(this))
		m = this
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
	slices.Sort(setups)
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
	data["RSMonths"] = monthList(rs.Months)
	if start, err := billing.ParseDate(l.StartDate); err == nil {
		data["Started"] = dayWords(start)
	}
	data["ExtraDays"] = extraDays
	data["ChartData"] = string(chart)
	data["Month"] = m
	data["Prev"], data["PrevName"] = m.AddMonths(-1), monthWords(m.AddMonths(-1))
	if m.First().Before(this.First()) {
		data["Next"], data["NextName"] = m.AddMonths(1), monthWords(m.AddMonths(1))
	}
	data["MonthName"] = monthWords(m)
	data["Empty"] = len(sets) == 0
	return s.render(c, "cost", data)
}

// monthList names months for a sentence: "August, September and October 2026".
func monthList(months []billing.Month) string {
	var out string
	for i, m := range months {
		name := m.First().Time().Format("January")
		if i == len(months)-1 || m.Year != months[i+1].Year {
			name += " " + strconv.Itoa(m.Year)
		}
		switch {
		case i == 0:
			out = name
		case i == len(months)-1:
			out += " and " + name
		default:
			out += ", " + name
		}
	}
	return out
}
