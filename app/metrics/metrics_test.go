package metrics

import (
	"math"
	"strings"
	"sync"
	"testing"
)

func TestWriteExposition(t *testing.T) {
	requests := NewCounter("app_requests_total", "Requests answered.", "route", "status")
	requests.Inc("/a", "200")
	requests.Add(2, "/a", "200")
	requests.Inc(`/b "quoted" \ back`+"\n", "404")
	duration := NewHistogram("app_duration_seconds", "Time to answer.\nIn seconds.", []float64{0.1, 1}, "route")
	duration.Observe(0.05, "/a")
	duration.Observe(0.1, "/a") // on a bound: counts in it (le is "less or equal")
	duration.Observe(3, "/a")
	depth := NewGauge("app_queue_depth", "Messages waiting.", func() float64 { return 7 })
	never := NewCounter("app_failures_total", "Failures.")
	var out strings.Builder
	if err := Write(&out, requests, duration, depth, never); err != nil {
		t.Fatal(err)
	}
	want := `# HELP app_requests_total Requests answered.
# TYPE app_requests_total counter
app_requests_total{route="/a",status="200"} 3
app_requests_total{route="/b \"quoted\" \\ back\n",status="404"} 1
# HELP app_duration_seconds Time to answer.\nIn seconds.
# TYPE app_duration_seconds histogram
app_duration_seconds_bucket{route="/a",le="0.1"} 2
app_duration_seconds_bucket{route="/a",le="1"} 2
app_duration_seconds_bucket{route="/a",le="+Inf"} 3
app_duration_seconds_sum{route="/a"} 3.15
app_duration_seconds_count{route="/a"} 3
# HELP app_queue_depth Messages waiting.
# TYPE app_queue_depth gauge
app_queue_depth 7
# HELP app_failures_total Failures.
# TYPE app_failures_total counter
app_failures_total 0
`
	if out.String() != want {
		t.Errorf("got:\n%s\nwant:\n%s", out.String(), want)
	}
}

func TestCounterIsSafeForConcurrentUse(t *testing.T) {
	c := NewCounter("n_total", "n", "k")
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 1000 {
				c.Inc("x")
			}
		}()
	}
	wg.Wait()
	if got := c.Value("x"); got != 8000 {
		t.Fatalf("count %v, want 8000", got)
	}
}

func TestFormatFloat(t *testing.T) {
	for v, want := range map[float64]string{0: "0", 1.5: "1.5", 1e21: "1e+21", math.Inf(1): "+Inf", math.NaN(): "NaN"} {
		if got := formatFloat(v); got != want {
			t.Errorf("formatFloat(%v) = %s, want %s", v, got, want)
		}
	}
}

func TestWrongLabelCountPanics(t *testing.T) {
	defer func() {
		if recover() == nil {
			t.Error("a counter took the wrong number of label values")
		}
	}()
	NewCounter("x_total", "x", "a", "b").Inc("only one")
}
