package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyward/app/webhook"
	"keyward/store"
)

// BenchmarkUsageIngestHTTP sends usage reports of 10,000 samples (cores and memory) through
// POST /api/v1/usage on a real server over loopback, two senders at a time, and reports the
// samples stored a second and the process's resident memory (server and senders together).
func BenchmarkUsageIngestHTTP(b *testing.B) { benchUsageIngest(b, false) }

// BenchmarkUsageIngestHTTPWithWebhook is BenchmarkUsageIngestHTTP with a webhook endpoint of the
// vendor registered for every event (a receiver on 127.0.0.1): the cost of queueing on ingestion.
func BenchmarkUsageIngestHTTPWithWebhook(b *testing.B) { benchUsageIngest(b, true) }

func benchUsageIngest(b *testing.B, withEndpoint bool) {
	s, _, key := newBenchLicense(b)
	if withEndpoint {
		recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) }))
		defer recv.Close()
		s.webhookClient = webhook.Client(&webhook.Dialer{Resolver: net.DefaultResolver, AllowPrivate: true, Timeout: webhookTimeout}, webhookTimeout)
		vendor, _ := s.db.FindVendor(context.Background())
		e := store.WebhookEndpoint{OrgID: vendor.ID, URL: recv.URL, Events: webhook.Names(),
			SecretEnc: s.seal("webhook-secret", []byte(webhook.NewSecret()), []byte("webhook-secret")), SecretHint: "bench"}
		if err := s.db.CreateWebhookEndpoint(context.Background(), &e, maxEndpoints, store.AuditEntry{Action: "webhook.created"}); err != nil {
			b.Fatal(err)
		}
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	start := s.clock.Now().Truncate(24 * time.Hour) // the license takes usage from its creation day
	const perReport, seconds = 10_000, 1000
	body := func(n int) []byte {
		var sb strings.Builder
		sb.Grow(perReport * 110)
		fmt.Fprintf(&sb, `{"setup":"setup-%d","samples":[`, n)
		for i := range perReport {
			if i > 0 {
				sb.WriteByte(',')
			}
			t := start.Add(time.Duration(i%seconds) * time.Second).Format(time.RFC3339)
			fmt.Fprintf(&sb, `{"time":%q,"service":"svc-%d","metrics":{"cores":%d.%06d,"memory_mb":%d}}`, t, i/seconds, i%7, i*7919%1_000_000, 512+i%97)
		}
		sb.WriteString("]}")
		return []byte(sb.String())
	}
	var next atomic.Int64
	var stored atomic.Int64
	b.ResetTimer()
	var wg sync.WaitGroup
	for range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := next.Add(1)
				if n > int64(b.N) {
					return
				}
				req, _ := http.NewRequest(http.MethodPost, s.URL()+"/api/v1/usage", bytes.NewReader(body(int(n))))
				req.Header.Set("Authorization", "License "+key)
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				raw, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"accepted":10000`)) {
					b.Errorf("status %d: %s", resp.StatusCode, raw)
					return
				}
				stored.Add(perReport)
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(stored.Load())/b.Elapsed().Seconds(), "samples/s")
	b.ReportMetric(residentMB(), "RSS-MB")
}

// BenchmarkUsageEstimateHTTP measures GET /api/v1/licenses/{id}/estimate for a month of a license
// with 3 setups × 10 services of 20-s data (kept as hourly roll-ups of 180 samples), over loopback.
func BenchmarkUsageEstimateHTTP(b *testing.B) {
	s, l, _ := newBenchLicense(b)
	ctx := context.Background()
	if _, err := s.db.ChangeLicense(ctx, l.ID, store.Actor{}, func(l *store.License, _ time.Time) (store.LicenseChange, error) {
		l.StartDate, l.EndDate = "2026-10-01", "2027-10-01"
		l.Terms.PrepaidCores, l.Terms.PrepaidCorePrice, l.Terms.ExtraCorePrice = 5, 10000, 15000
		return store.LicenseChange{}, nil
	}); err != nil {
		b.Fatal(err)
	}
	month := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	for setup := range 3 {
		var hours []store.HourlyUsage
		for t := month; t.Month() == time.October; t = t.Add(time.Hour) {
			for svc := range 10 {
				micro := int64(300_000 + 100_000*setup + 17_000*svc + 1000*t.Hour())
				hours = append(hours, store.HourlyUsage{Hour: t, Service: "svc-" + strconv.Itoa(svc), Metric: store.CoresMetric,
					Count: 180, Sum: store.SumOf(micro * 180), Min: micro, Max: micro})
			}
		}
		if err := s.db.ImportHourlyUsage(ctx, l.ID, fmt.Sprintf("setup-%d", setup), hours, dailyCores(nil)); err != nil {
			b.Fatal(err)
		}
	}
	admin, err := s.db.FindUserByEmail(ctx, adminEmail)
	if err != nil {
		b.Fatal(err)
	}
	token, err := NewAPIToken(ctx, s.db, admin.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close(context.Background()) })
	url := fmt.Sprintf("%s/api/v1/licenses/%d/estimate?month=2026-10", s.URL(), l.ID)
	durations := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		began := time.Now()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		durations = append(durations, time.Since(began))
		if resp.StatusCode != http.StatusOK || !bytes.Contains(raw, []byte(`"extra_cost"`)) {
			b.Fatalf("status %d: %s", resp.StatusCode, raw)
		}
	}
	slices.Sort(durations)
	b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
	b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
}

// residentMB is the process's resident memory, from /proc (0 where there is none).
func residentMB() float64 {
	status, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(status), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 64)
			return kb / 1024
		}
	}
	return 0
}
