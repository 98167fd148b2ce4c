// Package metrics counts what an operator graphs and writes it in Prometheus' text exposition format
// (version 0.0.4): counters and histograms with labels, and gauges read when scraped. It is a few
// hundred lines instead of the official client's dependency tree, and knows nothing of what it counts.
package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ContentType is the Content-Type of Write's output.
const ContentType = "text/plain; version=0.0.4; charset=utf-8"

// Metric is a family of series that Write can print.
type Metric interface {
	write(w *bufio.Writer)
}

// family is what every metric has: a name, a help text and its label names.
type family struct {
	name, help string
	labels     []string
}

func (f family) header(w *bufio.Writer, kind string) {
	fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n", f.name, escapeHelp(f.help), f.name, kind)
}

// key joins label values into a map key; \xff never occurs in UTF-8 text.
func key(values []string) string { return strings.Join(values, "\xff") }

func (f family) check(values []string) {
	if len(values) != len(f.labels) {
		panic(fmt.Sprintf("metrics: %s takes %d label values, got %d", f.name, len(f.labels), len(values)))
	}
}

// labelText is {a="x",b="y"} for the values, with extra pairs after them (le of buckets).
func (f family) labelText(values []string, extra ...string) string {
	if len(values) == 0 && len(extra) == 0 {
		return ""
	}
	var b strings.Builder
	b.WriteByte('{')
	for i, v := range values {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(f.labels[i] + `="` + escapeLabel(v) + `"`)
	}
	for i := 0; i+1 < len(extra); i += 2 {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		b.WriteString(extra[i] + `="` + escapeLabel(extra[i+1]) + `"`)
	}
	b.WriteByte('}')
	return b.String()
}

var (
	labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
func escapeHelp(s string) string  { return helpEscaper.Replace(s) }

func formatFloat(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// Counter is a family of counters, one per combination of label values, that only go up.
type Counter struct {
	family
	mu     sync.Mutex
	series map[string]*counterSeries
}

type counterSeries struct {
	values []string
	n      float64
}

// NewCounter makes a counter family; by convention its name ends in _total.
func NewCounter(name, help string, labels ...string) *Counter {
	return &Counter{family: family{name, help, labels}, series: map[string]*counterSeries{}}
}

// Add adds n (≥ 0) to the series of the label values, in the order of the label names.
func (c *Counter) Add(n float64, values ...string) {
	c.check(values)
	k := key(values)
	c.mu.Lock()
	s := c.series[k]
	if s == nil {
		s = &counterSeries{values: slices.Clone(values)}
		c.series[k] = s
	}
	s.n += n
	c.mu.Unlock()
}

// Inc adds one.
func (c *Counter) Inc(values ...string) { c.Add(1, values...) }

// Value is a series' count (for tests).
func (c *Counter) Value(values ...string) float64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s := c.series[key(values)]; s != nil {
		return s.n
	}
	return 0
}

func (c *Counter) write(w *bufio.Writer) {
	c.header(w, "counter")
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.labels) == 0 && len(c.series) == 0 {
		fmt.Fprintf(w, "%s 0\n", c.name) // a counter without labels exists from the start
	}
	for _, k := range sortedKeys(c.series) {
		s := c.series[k]
		fmt.Fprintf(w, "%s%s %s\n", c.name, c.labelText(s.values), formatFloat(s.n))
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// Histogram is a family of histograms: per combination of label values, how many observations fell
// at or below each bucket's upper bound, their count and their sum.
type Histogram struct {
	family
	buckets []float64 // upper bounds, ascending, without +Inf
	mu      sync.Mutex
	series  map[string]*histogramSeries
}

type histogramSeries struct {
	values []string
	counts []uint64 // per bucket, not cumulative; the last is +Inf
	sum    float64
	n      uint64
}

// NewHistogram makes a histogram family over the given bucket upper bounds (ascending).
func NewHistogram(name, help string, buckets []float64, labels ...string) *Histogram {
	if !slices.IsSorted(buckets) {
		panic("metrics: " + name + ": buckets must ascend")
	}
	return &Histogram{family: family{name, help, labels}, buckets: buckets, series: map[string]*histogramSeries{}}
}

// Observe adds an observation to the series of the label values.
func (h *Histogram) Observe(v float64, values ...string) {
	h.check(values)
	i, _ := slices.BinarySearch(h.buckets, v) // the first bound ≥ v, or len: +Inf
	k := key(values)
	h.mu.Lock()
	s := h.series[k]
	if s == nil {
		s = &histogramSeries{values: slices.Clone(values), counts: make([]uint64, len(h.buckets)+1)}
		h.series[k] = s
	}
	s.counts[i]++
	s.sum += v
	s.n++
	h.mu.Unlock()
}

func (h *Histogram) write(w *bufio.Writer) {
	h.header(w, "histogram")
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range sortedKeys(h.series) {
		s := h.series[k]
		var cum uint64
		for i, c := range s.counts {
			cum += c
			le := "+Inf"
			if i < len(h.buckets) {
				le = formatFloat(h.buckets[i])
			}
			fmt.Fprintf(w, "%s_bucket%s %d\n", h.name, h.labelText(s.values, "le", le), cum)
		}
		fmt.Fprintf(w, "%s_sum%s %s\n%s_count%s %d\n", h.name, h.labelText(s.values), formatFloat(s.sum),
			h.name, h.labelText(s.values), s.n)
	}
}

// Gauge is a value read when scraped (a queue's depth, a file's size).
type Gauge struct {
	family
	read func() float64
}

// NewGauge makes a gauge without labels whose value read returns.
func NewGauge(name, help string, read func() float64) *Gauge {
	return &Gauge{family: family{name: name, help: help}, read: read}
}

func (g *Gauge) write(w *bufio.Writer) {
	g.header(w, "gauge")
	fmt.Fprintf(w, "%s %s\n", g.name, formatFloat(g.read()))
}

// Write prints the metrics in the text exposition format, in the order given.
func Write(out io.Writer, ms ...Metric) error {
	w := bufio.NewWriter(out)
	for _, m := range ms {
		m.write(w)
	}
	return w.Flush()
}
