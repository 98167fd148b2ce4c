// Package ingest reads the usage reports that setups send (DESIGN §6, POST /api/v1/usage):
// it checks every field, names the first one at fault by its path, and turns each metric value
// into an integer number of millionths, so that later sums are exact.
package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"
)

// Limits of one report (DESIGN §6). The value bounds keep every sum of an hour exact: a
// sample's millionths fit an int64 with room to spare, and the store sums them beyond it.
const (
	MaxSamples = 100_000
	MaxFuture  = 5 * time.Minute   // how far ahead of the server's clock a sample may be
	MaxCores   = 1_000_000         // cores of one sample, from 0
	MaxMetric  = 1_000_000_000_000 // any other metric, from −MaxMetric
	maxNameLen = 64
	maxMetrics = 64
)

// Report is a parsed, valid usage report.
type Report struct {
	Setup   string
	Samples []Sample
	Nonce   string // the device's nonce, echoed in the signed answer; the server checks its form
}

// Sample is one service's metrics at one second.
type Sample struct {
	Time    time.Time // UTC, whole seconds
	Service string
	Metrics []Metric // sorted by name
}

// Metric is one named value in millionths (micro-units), rounded half away from zero.
type Metric struct {
	Name  string
	Micro int64
}

// Error names the field at fault ("samples[7].metrics.cores") and says what to fix.
// TooLarge marks a report over the limits, which HTTP answers with 413 rather than 400.
type Error struct {
	Field    string
	Message  string
	TooLarge bool
}

func (e *Error) Error() string { return e.Field + ": " + e.Message }

func fieldError(field, format string, args ...any) *Error {
	return &Error{Field: field, Message: fmt.Sprintf(format, args...)}
}

type rawSample struct {
	Time    json.RawMessage `json:"time"`
	Service json.RawMessage `json:"service"`
	Metrics json.RawMessage `json:"metrics"` // read by readMetrics, much faster than a map
}

// Window is the span of times a sample may have: from the earliest day the license takes usage
// for, to 5 minutes past the server's clock.
type Window struct {
	NotBefore time.Time
	NotAfter  time.Time
}

// WindowAt is the window of a license that takes usage from notBefore, at the time now.
func WindowAt(now, notBefore time.Time) Window {
	return Window{NotBefore: notBefore, NotAfter: now.Add(MaxFuture)}
}

// Parse reads a report whose samples must fall in the window. The result holds no two samples
// of the same service and second: the later ones are counted in duplicates.
func Parse(body []byte, w Window) (r Report, duplicates int, err error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(body, &top); err != nil {
		return Report{}, 0, fieldError("body", "send a JSON object {\"setup\": …, \"samples\": […]}: %s", jsonProblem(err))
	}
	for key := range top {
		if key != "setup" && key != "samples" && key != "nonce" {
			return Report{}, 0, fieldError(pathOf(key), "unknown field %q: a report has only setup, samples and a nonce", key)
		}
	}
	if raw, ok := top["nonce"]; ok && json.Unmarshal(raw, &r.Nonce) != nil {
		return Report{}, 0, fieldError("nonce", "a nonce is a string of 1 to 64 printable characters")
	}
	if r.Setup, err = parseSetup(top["setup"]); err != nil {
		return Report{}, 0, err
	}
	var samples []rawSample
	rawSamples, ok := top["samples"]
	if !ok || isNull(rawSamples) {
		return Report{}, 0, fieldError("samples", "send a list of samples")
	}
	dec := json.NewDecoder(bytes.NewReader(rawSamples))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&samples); err != nil {
		return Report{}, 0, samplesProblem(rawSamples, err)
	}
	switch {
	case len(samples) == 0:
		return Report{}, 0, fieldError("samples", "send at least one sample")
	case len(samples) > MaxSamples:
		e := fieldError("samples", "at most %d samples a request (got %d): split the report", MaxSamples, len(samples))
		e.TooLarge = true
		return Report{}, 0, e
	}
	r.Samples = make([]Sample, 0, len(samples))
	seen := make(map[sampleKey]bool, len(samples))
	for i, raw := range samples {
		s, err := parseSample(i, raw, w)
		if err != nil {
			return Report{}, 0, err
		}
		k := sampleKey{s.Service, s.Time.Unix()}
		if seen[k] {
			duplicates++
			continue
		}
		seen[k] = true
		r.Samples = append(r.Samples, s)
	}
	return r, duplicates, nil
}

type sampleKey struct {
	service string
	unix    int64
}

func parseSetup(raw json.RawMessage) (string, error) {
	var setup string
	if raw == nil || json.Unmarshal(raw, &setup) != nil {
		return "", fieldError("setup", "send the setup id as a string, such as \"prod-paris\"")
	}
	if !validName(setup) {
		return "", fieldError("setup", "use 1 to 64 characters among A-Z a-z 0-9 . _ -")
	}
	return setup, nil
}

func parseSample(i int, raw rawSample, w Window) (Sample, error) {
	var s Sample
	path := samplePath(i)
	text, ok := plainString(raw.Time)
	if !ok {
		return s, fieldError(path+".time", "send the time as an RFC 3339 string such as \"2026-10-01T00:00:20Z\"")
	}
	t, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return s, fieldError(path+".time", "%q is not an RFC 3339 time such as \"2026-10-01T00:00:20Z\"", text)
	}
	s.Time = t.UTC().Truncate(time.Second)
	if s.Time.After(w.NotAfter) {
		return s, fieldError(path+".time", "%s is more than 5 minutes in the future: check the setup's clock", text)
	}
	if s.Time.Before(w.NotBefore) {
		return s, fieldError(path+".time", "%s is before %s, the first day this license takes usage for", text,
			w.NotBefore.Format(time.DateOnly))
	}
	if s.Service, ok = plainString(raw.Service); !ok || !validName(s.Service) {
		return s, fieldError(path+".service", "send the service name: 1 to 64 characters among A-Z a-z 0-9 . _ -")
	}
	s.Metrics, err = readMetrics(path+".metrics", raw.Metrics)
	return s, err
}

// samplePath names the i-th sample ("samples[7]") without fmt, as it is built for every sample.
func samplePath(i int) string {
	return "samples[" + strconv.Itoa(i) + "]"
}

// plainString reads a JSON string without escapes (names and times never need them).
func plainString(raw json.RawMessage) (string, bool) {
	if len(raw) < 2 || raw[0] != '"' || raw[len(raw)-1] != '"' || bytes.IndexByte(raw[1:len(raw)-1], '\\') >= 0 ||
		bytes.IndexByte(raw[1:len(raw)-1], '"') >= 0 {
		return "", false
	}
	return string(raw[1 : len(raw)-1]), true
}

// readMetrics reads a metrics object {"name": number, …} into metrics sorted by name.
// The JSON is already known to be valid, so only its shape is checked here.
func readMetrics(path string, raw json.RawMessage) ([]Metric, error) {
	shape := fieldError(path, "send an object of named numbers, such as {\"cores\": 1.25}")
	p := bytes.TrimSpace(raw)
	if len(p) < 2 || p[0] != '{' || p[len(p)-1] != '}' {
		return nil, shape
	}
	p = bytes.TrimSpace(p[1 : len(p)-1])
	if len(p) == 0 {
		return nil, fieldError(path, "send at least one metric, such as {\"cores\": 1.25}")
	}
	var metrics []Metric
	for len(p) > 0 {
		if len(metrics) == maxMetrics {
			return nil, fieldError(path, "at most %d metrics a sample", maxMetrics)
		}
		end := bytes.IndexByte(p[1:], '"') + 1
		if p[0] != '"' || end < 1 {
			return nil, shape
		}
		name, ok := plainString(p[:end+1])
		if !ok || !validName(name) {
			return nil, fieldError(path, "metric name %s: use 1 to 64 characters among A-Z a-z 0-9 . _ -", p[:end+1])
		}
		p = bytes.TrimLeft(p[end+1:], " \t\r\n")
		if len(p) == 0 || p[0] != ':' {
			return nil, shape
		}
		p = p[1:]
		value := p
		if comma := bytes.IndexByte(p, ','); comma >= 0 {
			value, p = p[:comma], p[comma+1:]
		} else {
			p = nil
		}
		micro, err := metricValue(name, value)
		if err != nil {
			return nil, fieldError(path+"."+name, "%s", err)
		}
		metrics = append(metrics, Metric{Name: name, Micro: micro})
		p = bytes.TrimSpace(p)
	}
	sort.Slice(metrics, func(i, j int) bool { return metrics[i].Name < metrics[j].Name })
	for i := 1; i < len(metrics); i++ {
		if metrics[i].Name == metrics[i-1].Name {
			return nil, fieldError(path+"."+metrics[i].Name, "sent twice in one sample")
		}
	}
	return metrics, nil
}

// metricValue reads a metric's value in millionths within its bounds: cores from 0 to
// MaxCores, any other metric from −MaxMetric to MaxMetric.
func metricValue(name string, raw []byte) (int64, error) {
	v, err := Micro(raw)
	if name == coresMetric {
		if err == errOutOfRange || err == nil && (v < 0 || v > MaxCores*1_000_000) {
			return 0, fmt.Errorf("cores are a number from 0 to %d", MaxCores)
		}
		return v, err
	}
	if err == errOutOfRange {
		return 0, fmt.Errorf("a metric is a number from -%d to %d", MaxMetric, MaxMetric)
	}
	return v, err
}

// coresMetric is the metric that counts for billing (store.CoresMetric), bounded more tightly.
const coresMetric = "cores"

// validName accepts 1 to 64 characters among A-Z a-z 0-9 . _ - (setup, service and metric names).
func validName(s string) bool {
	if len(s) == 0 || len(s) > maxNameLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// pathOf is a key as a path element; a key that is not a plain name is shown quoted.
func pathOf(key string) string {
	if validName(key) {
		return key
	}
	return strconv.Quote(key)
}

func isNull(raw json.RawMessage) bool { return bytes.Equal(bytes.TrimSpace(raw), []byte("null")) }

// samplesProblem finds the first sample that does not have the shape of a sample, to name it.
func samplesProblem(raw json.RawMessage, err error) error {
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		return fieldError("samples", "send a list of samples: %s", jsonProblem(err))
	}
	for i, item := range items {
		var fields map[string]json.RawMessage
		if json.Unmarshal(item, &fields) != nil {
			return fieldError(fmt.Sprintf("samples[%d]", i), "send an object with time, service and metrics")
		}
		for key, value := range fields {
			switch key {
			case "time", "service":
			case "metrics":
				var m map[string]json.RawMessage
				if json.Unmarshal(value, &m) != nil {
					return fieldError(fmt.Sprintf("samples[%d].metrics", i), "send an object of named numbers, such as {\"cores\": 1.25}")
				}
			default:
				return fieldError(fmt.Sprintf("samples[%d]", i)+"."+pathOf(key), "unknown field %q: a sample has time, service and metrics", key)
			}
		}
	}
	return fieldError("samples", "%s", jsonProblem(err))
}

func jsonProblem(err error) string {
	if se, ok := err.(*json.SyntaxError); ok {
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	}
	return "invalid JSON"
}
