package app

import (
	"bufio"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// scrape reads /metrics on the metrics listener: each series line's value by its name and labels
// as written (`keyward_http_requests_total{route="/healthz",status="200"}`).
func (a *testApp) scrape() map[string]float64 {
	a.t.Helper()
	resp, err := http.Get(a.srv.MetricsURL())
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		a.t.Fatalf("/metrics: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	out := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			a.t.Fatalf("line %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func withMetrics(c *Config) { c.MetricsAddr = "127.0.0.1:0" }

// TestMetricsMoveWithTheWork scrapes /metrics (on its own listener, never the main port), makes
// requests, reports usage twice and sends an email, scrapes again and checks that each counter
// moved by what was done.
func TestMetricsMoveWithTheWork(t *testing.T) {
	mail := newMailServer(t)
	w := newLicenseWorld(t, withSMTP(mail), withMetrics)
	a := w.a
	if resp, err := http.Get(a.url + "/metrics"); err != nil || resp.StatusCode != http.StatusNotFound {
		t.Fatalf("/metrics on the main port: %v %v, want 404", resp.StatusCode, err)
	}
	_, key := w.newLicense(map[string]any{"start_date": "2026-10-01"})
	before := a.scrape()

	for range 3 {
		if resp, err := http.Get(a.url + "/healthz"); err != nil || resp.StatusCode != http.StatusOK {
			t.Fatal(err)
		}
	}
	w.api(w.admin, http.MethodGet, "/api/v1/licenses/999999", nil) // a 404, counted under the route's pattern
	http.Get(a.url + "/no/such/page")
	a.call("", http.MethodGet, "/api/v1/licenses/1", nil) // refused before routing: no token
	var samples []testSample
	for i := range 30 {
		samples = append(samples, testSample{day(2, 1).Add(time.Duration(i) * 20 * time.Second).Format(time.RFC3339), "api",
			map[string]float64{"cores": 1.5}})
	}
	var body map[string]any
	json.Unmarshal(reportBody("prod", samples), &body)
	for range 2 { // the second time, all 30 are duplicates
		if status, out := w.device(key, "/api/v1/usage", body); status != http.StatusOK {
			t.Fatalf("usage: %d %v", status, out)
		}
	}
	w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "not-activated"})
	w.device("KW-NOPE", "/api/v1/validate", map[string]any{})
	ids := a.queueEmails("someone@example.test")
	a.waitEmail(ids[0], "sent", func(e store.Email) bool { return e.State() == store.EmailSent })

	after := a.scrape()
	for series, want := range map[string]float64{
		`keyward_http_requests_total{route="/healthz",status="200"}`:                                3,
		`keyward_http_request_duration_seconds_count{route="/healthz"}`:                             3,
		`keyward_http_requests_total{route="/api/v1/licenses/:id",status="404"}`:                    1,
		`keyward_http_requests_total{route="unmatched",status="404"}`:                               1,
		`keyward_http_requests_total{route="/api/v1/licenses/:id",status="401"}`:                    1,
		`keyward_http_requests_total{route="/api/v1/usage",status="200"}`:                           2,
		`keyward_usage_samples_total{result="accepted"}`:                                            30,
		`keyward_usage_samples_total{result="duplicate"}`:                                           30,
		`keyward_device_api_answers_total{endpoint="/api/v1/validate",code="DEVICE_NOT_ACTIVATED"}`: 1,
		`keyward_device_api_answers_total{endpoint="/api/v1/validate",code="INVALID_LICENSE_KEY"}`:  1,
		`keyward_emails_sent_total`:                                                                 1,
	} {
		if got := after[series] - before[series]; got != want {
			t.Errorf("%s moved by %v, want %v", series, got, want)
		}
	}
	for _, series := range []string{`keyward_job_runs_total{job="license lifecycle"}`, `keyward_database_size_bytes`} {
		if after[series] <= 0 {
			t.Errorf("%s = %v, want above 0", series, after[series])
		}
	}
	for _, series := range []string{"keyward_outbox_queue_depth", "keyward_webhook_queue_depth", "keyward_webhook_failed_deliveries",
		"keyward_outbox_failed_emails", "keyward_email_attempt_failures_total", "keyward_webhook_attempt_failures_total"} {
		if _, ok := after[series]; !ok {
			t.Errorf("%s is missing", series)
		}
	}
	for series := range after {
		if strings.Contains(series, "999999") || strings.Contains(series, "/no/such") {
			t.Errorf("a path became a label: %s", series)
		}
	}
}

// TestMetricsCountWebhookFailures: a delivery the endpoint refuses moves the failure counter and
// leaves the delivery in the queue's depth until it is taken.
func TestMetricsCountWebhookFailures(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate, withMetrics)
	recv := newReceiver(t, http.StatusBadGateway)
	hook := w.register(w.distToken, 0, recv.url(), "license.created")
	before := w.a.scrape()
	w.staffLicense(w.client)
	w.waitDelivery(w.distToken, hook.ID, "tried", func(d map[string]any) bool { return d["attempts"] == float64(1) })
	mid := w.a.scrape()
	if got := mid["keyward_webhook_attempt_failures_total"] - before["keyward_webhook_attempt_failures_total"]; got != 1 {
		t.Errorf("failures moved by %v, want 1", got)
	}
	if mid["keyward_webhook_queue_depth"] != 1 {
		t.Errorf("queue depth %v, want 1 (the delivery waiting for its retry)", mid["keyward_webhook_queue_depth"])
	}
	w.a.advance(time.Minute)
	w.waitDelivery(w.distToken, hook.ID, "delivered", func(d map[string]any) bool { return d["status"] == "delivered" })
	end := w.a.scrape()
	if end["keyward_webhook_queue_depth"] != 0 || end["keyward_webhook_deliveries_total"]-before["keyward_webhook_deliveries_total"] != 1 {
		t.Errorf("after the retry: depth %v, delivered %v", end["keyward_webhook_queue_depth"], end["keyward_webhook_deliveries_total"])
	}
}
