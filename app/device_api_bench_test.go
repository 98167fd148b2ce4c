package app

import (
	"context"
	"io"
	"log/slog"
	"net"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/valyala/fasthttp"

	"keyward/store"
	"keyward/store/storetest"
)

// BenchmarkDeviceValidate measures POST /api/v1/validate through the whole fiber stack (middleware,
// guard, key cache, answer), without the network.
func BenchmarkDeviceValidate(b *testing.B) {
	s, _, key := newBenchLicense(b)
	handler := s.fiber.Handler()
	body := []byte(`{"fingerprint":"bench-1"}`)
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.SetRequestURI("/api/v1/validate")
		req.Header.Set("Authorization", "License "+key)
		req.Header.SetContentType("application/json")
		req.SetBody(body)
		var rc fasthttp.RequestCtx
		for pb.Next() {
			rc.Init(&req, remote, nil)
			handler(&rc)
			if rc.Response.StatusCode() != 200 {
				b.Fatalf("status %d: %s", rc.Response.StatusCode(), rc.Response.Body())
			}
		}
	})
}

// newBenchServer is a bootstrapped server (not listening) over a real SQLite file in a temporary
// folder, its clock fake and set to at, for benchmarks and fuzz tests.
func newBenchServer(tb testing.TB, at time.Time) (*Server, *store.DB, *clockwork.FakeClock) {
	tb.Helper()
	ctx := context.Background()
	dir := tb.TempDir()
	secret, err := LoadSecret(dir, "")
	if err != nil {
		tb.Fatal(err)
	}
	db, err := store.Open(ctx, storetest.Target(tb, dir))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	clock := clockwork.NewFakeClockAt(at)
	db.Now = clock.Now
	cfg := Config{BaseURL: "http://localhost:8080", MailFrom: "Keyward <noreply@keyward.test>", RawRetention: 45 * 24 * time.Hour, DataDir: dir}
	s, err := New(cfg, db, secret, slog.New(slog.NewTextHandler(io.Discard, nil)), clock)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Bootstrap(ctx, adminEmail, adminPassword, io.Discard); err != nil {
		tb.Fatal(err)
	}
	return s, db, clock
}

// newBenchLicense is a server over a real SQLite file in a temporary folder, with a started
// license of a client (one active device, "bench-1"), for the benchmarks.
func newBenchLicense(b *testing.B) (*Server, store.License, string) {
	b.Helper()
	ctx := context.Background()
	s, db, _ := newBenchServer(b, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	vendor, _ := db.FindVendor(ctx)
	client := store.Org{Kind: store.KindClient, ParentID: vendor.ID, Name: "Bench"}
	if err := db.CreateOrg(ctx, &client); err != nil {
		b.Fatal(err)
	}
	p := store.Product{Code: "bench", Name: "Bench", StartThreshold: 1, Features: []store.Feature{{Code: "core", Name: "Core"}}}
	if err := db.CreateProduct(ctx, &p, store.AuditEntry{Action: "product.created"}); err != nil {
		b.Fatal(err)
	}
	l := store.License{ProductID: p.ID, OrgID: client.ID, DistributorID: vendor.ID, Status: store.StatusPendingStart, TermYears: 1,
		StartThreshold: 1, Terms: store.Terms{EscalationFactor: "0.33", Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "annual"},
		Features: []store.LicenseFeature{{Feature: p.Features[0]}}}
	key := s.newLicenseKey(&l)
	if err := db.CreateLicense(ctx, &l, store.Actor{}, ""); err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.ActivateDevice(ctx, l.ID, store.Activation{Fingerprint: "bench-1"}, func(store.ActivationCheck) error { return nil }, addYears); err != nil {
		b.Fatal(err)
	}
	return s, l, key
}
