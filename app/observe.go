package app

import (
	"bytes"
	"context"
	"errors"
	"math"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/metrics"
)

// appMetrics are the figures an operator graphs (DESIGN §11), counted since the process started and
// served at /metrics on --metrics-addr only: a listener of its own, so that the main port, open
// to devices and browsers, never shows them.
type appMetrics struct {
	requests      *metrics.Counter
	duration      *metrics.Histogram
	deviceAnswers *metrics.Counter
	samples       *metrics.Counter
	emails        *metrics.Counter
	emailFailures *metrics.Counter
	deliveries    *metrics.Counter
	hookFailures  *metrics.Counter
	jobRuns       *metrics.Counter
	jobErrors     *metrics.Counter
}

func newAppMetrics() *appMetrics {
	return &appMetrics{
		requests: metrics.NewCounter("keyward_http_requests_total",
			"HTTP requests answered, by route pattern and status code.", "route", "status"),
		duration: metrics.NewHistogram("keyward_http_request_duration_seconds",
			"Time to answer an HTTP request, by route pattern.",
			[]float64{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}, "route"),
		deviceAnswers: metrics.NewCounter("keyward_device_api_answers_total",
			"Answers of the device API, by endpoint and code (VALID and the refusal codes of validate, "+
				"error codes, OK for other successes).", "endpoint", "code"),
		samples: metrics.NewCounter("keyward_usage_samples_total",
			"Usage samples received on POST /api/v1/usage, by result: accepted (stored) or duplicate.", "result"),
		emails:        metrics.NewCounter("keyward_emails_sent_total", "Emails handed to the mail server (or the log)."),
		emailFailures: metrics.NewCounter("keyward_email_attempt_failures_total", "Failed attempts to send an email."),
		deliveries:    metrics.NewCounter("keyward_webhook_deliveries_total", "Webhook deliveries an endpoint took (2xx)."),
		hookFailures:  metrics.NewCounter("keyward_webhook_attempt_failures_total", "Failed attempts to deliver a webhook."),
		jobRuns:       metrics.NewCounter("keyward_job_runs_total", "Runs of the scheduled jobs, by job.", "job"),
		jobErrors:     metrics.NewCounter("keyward_job_errors_total", "Runs of the scheduled jobs that failed, by job.", "job"),
	}
}

func (m *appMetrics) emailSent()        { m.emails.Inc() }
func (m *appMetrics) emailFailed()      { m.emailFailures.Inc() }
func (m *appMetrics) webhookDelivered() { m.deliveries.Inc() }
func (m *appMetrics) webhookFailed()    { m.hookFailures.Inc() }

func (m *appMetrics) usageSamples(accepted, duplicates int) {
	m.samples.Add(float64(accepted), "accepted")
	m.samples.Add(float64(duplicates), "duplicate")
}

func (m *appMetrics) jobRun(name string, err error) {
	m.jobRuns.Inc(name)
	if err != nil {
		m.jobErrors.Inc(name)
	}
}

// Locals keys: the error code an answer carried, and that no route matched the request.
const (
	answerCode = "answer_code"
	noRoute    = "no_route"
)

// observeRequest counts an answered request. Routes are counted by their pattern
// (/licenses/:id), never by their path, so that the series stay few whatever clients ask for.
func (s *Server) observeRequest(c *fiber.Ctx, status int, took time.Duration) {
	route := ""
	if r := c.Route(); r != nil && c.Locals(noRoute) == nil && s.routed[r.Method+" "+r.Path] {
		route = r.Path
	} else {
		// A middleware answered before routing (no token: 401; a bad CSRF token: 403) or nothing
		// matched (404): count it under the route the request was for, if any.
		route = s.routeOf(c.Method(), c.Path())
	}
	s.metrics.requests.Inc(route, strconv.Itoa(status))
	s.metrics.duration.Observe(took.Seconds(), route)
	if isDeviceAPI(c.Path()) {
		s.metrics.deviceAnswers.Inc(c.Path(), deviceAnswerCode(c, status))
	}
}

// routeOf is the pattern of the registered route that method and path would reach, or "unmatched".
func (s *Server) routeOf(method, path string) string {
	segs := strings.Split(path, "/")
	for _, r := range s.routeTable {
		if r.Method != method && !(method == http.MethodHead && r.Method == http.MethodGet) {
			continue
		}
		pattern := strings.Split(r.Path, "/")
		if len(pattern) != len(segs) {
			continue
		}
		match := true
		for i, p := range pattern {
			if p != segs[i] && (!strings.HasPrefix(p, ":") || segs[i] == "") {
				match = false
				break
			}
		}
		if match {
			return r.Path
		}
	}
	return "unmatched"
}

// deviceAnswerCode is the code of a device API answer: the error's, validate's own, or OK.
func deviceAnswerCode(c *fiber.Ctx, status int) string {
	if code, ok := c.Locals(answerCode).(string); ok && code != "" {
		return code
	}
	if status == http.StatusOK && c.Path() == "/api/v1/validate" {
		// validate writes {"valid":…,"code":"X",…}: its code comes first, before the license.
		body := c.Response().Body()
		if i := bytes.Index(body, []byte(`"code":"`)); i >= 0 && i < 40 {
			rest := body[i+8:]
			if j := bytes.IndexByte(rest, '"'); j > 0 {
				return string(rest[:j])
			}
		}
	}
	if status >= 400 {
		return statusCodes[status]
	}
	return "OK"
}

// serveMetrics writes /metrics: the counters, and the gauges read now.
func (s *Server) serveMetrics(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/metrics" {
		http.NotFound(w, r)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
	defer cancel()
	nan := math.NaN()
	depths, err := s.db.QueueDepths(ctx)
	var pendingEmails, failedEmails, pendingHooks, failedHooks = nan, nan, nan, nan
	if err != nil {
		s.log.Error("metrics: unable to count the queues", "error", err)
	} else {
		pendingEmails, failedEmails = float64(depths.EmailsPending), float64(depths.EmailsFailed)
		pendingHooks, failedHooks = float64(depths.WebhooksPending), float64(depths.WebhooksFailed)
	}
	size := nan
	if n, err := s.db.Size(ctx); err != nil {
		s.log.Error("metrics: unable to read the database size", "error", err)
	} else {
		size = float64(n)
	}
	value := func(v float64) func() float64 { return func() float64 { return v } }
	m := s.metrics
	w.Header().Set("Content-Type", metrics.ContentType)
	metrics.Write(w, m.requests, m.duration, m.deviceAnswers, m.samples,
		metrics.NewGauge("keyward_outbox_queue_depth", "Emails waiting to be sent.", value(pendingEmails)),
		metrics.NewGauge("keyward_outbox_failed_emails", "Emails given up (refused, or failing for a day), kept in the outbox.", value(failedEmails)),
		m.emails, m.emailFailures,
		metrics.NewGauge("keyward_webhook_queue_depth", "Webhook deliveries waiting for an attempt.", value(pendingHooks)),
		metrics.NewGauge("keyward_webhook_failed_deliveries", "Webhook deliveries given up after a day of failures, kept 30 days.", value(failedHooks)),
		m.deliveries, m.hookFailures, m.jobRuns, m.jobErrors,
		metrics.NewGauge("keyward_database_size_bytes", "Size of the SQLite database, free pages included.", value(size)))
}

// listenMetrics serves /metrics on --metrics-addr, when it is set.
func (s *Server) listenMetrics() error {
	if s.cfg.MetricsAddr == "" {
		return nil
	}
	ln, err := net.Listen("tcp", s.cfg.MetricsAddr)
	if err != nil {
		return err
	}
	s.metricsServer = &http.Server{Handler: http.HandlerFunc(s.serveMetrics), ReadHeaderTimeout: 10 * time.Second,
		WriteTimeout: 30 * time.Second}
	s.metricsLn = ln
	go func() {
		if err := s.metricsServer.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", "error", err)
		}
	}()
	return nil
}

// MetricsURL is the address of /metrics, or "" without --metrics-addr.
func (s *Server) MetricsURL() string {
	if s.metricsLn == nil {
		return ""
	}
	return "http://" + s.metricsLn.Addr().String() + "/metrics"
}
