package app

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"keyward/app/webhook"
	"keyward/store"
)

// BenchmarkWebhookDelivery queues b.N events for one endpoint, a receiver on 127.0.0.1 answering
// 204 (at once, or after a delay playing a remote CRM), and measures the events the worker
// delivers a second: each signed, posted and recorded in its own transaction.
func BenchmarkWebhookDelivery(b *testing.B) {
	for _, delay := range []time.Duration{0, 20 * time.Millisecond} {
		b.Run(fmt.Sprintf("answer-after-%s", delay), func(b *testing.B) {
			s, _, _ := newBenchLicense(b)
			var got atomic.Int64
			recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
				time.Sleep(delay) // the receiver's own work, not the test waiting
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer recv.Close()
			s.webhookClient = webhook.Client(&webhook.Dialer{Resolver: net.DefaultResolver, AllowPrivate: true, Timeout: webhookTimeout}, webhookTimeout)
			ctx := context.Background()
			vendor, err := s.db.FindVendor(ctx)
			if err != nil {
				b.Fatal(err)
			}
			e := store.WebhookEndpoint{OrgID: vendor.ID, URL: recv.URL + "/hook", Events: []string{webhook.LicenseCreated},
				SecretEnc: s.seal("webhook-secret", []byte(webhook.NewSecret()), []byte("webhook-secret")), SecretHint: "bench"}
			if err := s.db.CreateWebhookEndpoint(ctx, &e, maxEndpoints, store.AuditEntry{Action: "webhook.created"}); err != nil {
				b.Fatal(err)
			}
			l, err := s.db.FindLicense(ctx, 1)
			if err != nil {
				b.Fatal(err)
			}
			data := s.apiLicenseJSON(l) // a real event's size
			for range b.N {
				if _, err := s.db.QueueEvent(ctx, webhook.LicenseCreated, vendor.ID, data); err != nil {
					b.Fatal(err)
				}
			}
			b.ResetTimer()
			s.webhooks.start()
			defer s.webhooks.stop()
			for {
				q, err := s.db.QueueDepths(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if q.WebhooksPending == 0 {
					break
				}
				time.Sleep(5 * time.Millisecond)
			}
			b.StopTimer()
			if n := got.Load(); n < int64(b.N) {
				b.Fatalf("%d of %d delivered", n, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "deliveries/s")
		})
	}
}
