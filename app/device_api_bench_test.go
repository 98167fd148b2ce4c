package app

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"
	"github.com/valyala/fasthttp"

	"keyward/store"
	"keyward/store/storetest"
)

// BenchmarkDeviceValidate measures POST /api/v1/validate through the whole fiber stack (middleware,
// guard, key cache, answer), without the network: unsigned (the cost of the rest), signed (the
// same answer each second, its signature reused) and signed with a new nonce each request.
func BenchmarkDeviceValidate(b *testing.B) {
	for _, bb := range []struct {
		name     string
		unsigned bool
		nonce    bool
	}{{"unsigned", true, false}, {"signed", false, false}, {"signed-nonce", false, true}} {
		b.Run(bb.name, func(b *testing.B) {
			s, _, key := newBenchLicense(b)
			if bb.unsigned {
				s.signer = nil
			}
			benchDevice(b, s, key, "/api/v1/validate", func(i int) string {
				if bb.nonce {
					return fmt.Sprintf(`{"fingerprint":"bench-1","nonce":"n-%d"}`, i)
				}
				return `{"fingerprint":"bench-1"}`
			})
		})
	}
}

// BenchmarkSeatRefresh measures POST /api/v1/features/check by 100 devices that hold their seats:
// refreshes, which write nothing on the request path.
func BenchmarkSeatRefresh(b *testing.B) {
	s, _, key := newBenchLicense(b)
	seatDevices(b, s, key, 100, true)
	benchDevice(b, s, key, "/api/v1/features/check", func(i int) string {
		return fmt.Sprintf(`{"fingerprint":"seat-%d","feature":"seat"}`, i%100)
	})
}

// BenchmarkSeatChurn measures take + release: each request of a goroutine's device alternates
// features/check (a seat taken, written) and features/release (freed, written).
func BenchmarkSeatChurn(b *testing.B) {
	s, _, key := newBenchLicense(b)
	seatDevices(b, s, key, 200, false)
	var next atomic.Int64
	benchRequests(b, s, key, func() func(i int) (string, string) {
		device := next.Add(1) % 200 // each goroutine its own device
		body := fmt.Sprintf(`{"fingerprint":"seat-%d","feature":"seat"}`, device)
		return func(i int) (string, string) {
			if i%2 == 0 {
				return "/api/v1/features/check", body
			}
			return "/api/v1/features/release", body
		}
	})
}

// seatDevices activates seat-0 … seat-(n-1) on the bench license and, when take, gives each a
// seat of the floating feature.
func seatDevices(b *testing.B, s *Server, key string, n int, take bool) {
	b.Helper()
	handler := s.fiber.Handler()
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	for i := range n {
		paths := []string{"/api/v1/activate"}
		if take {
			paths = append(paths, "/api/v1/features/check")
		}
		for _, path := range paths {
			var req fasthttp.Request
			req.Header.SetMethod("POST")
			req.SetRequestURI(path)
			req.Header.Set("Authorization", "License "+key)
			req.Header.SetContentType("application/json")
			req.SetBody([]byte(fmt.Sprintf(`{"fingerprint":"seat-%d","feature":"seat"}`, i)))
			var rc fasthttp.RequestCtx
			rc.Init(&req, remote, nil)
			handler(&rc)
			if rc.Response.StatusCode() != 200 {
				b.Fatalf("%s seat-%d: %d %s", path, i, rc.Response.StatusCode(), rc.Response.Body())
			}
		}
	}
}

// benchDevice sends POST path with the bodies of body(i) through the whole fiber stack, in parallel.
func benchDevice(b *testing.B, s *Server, key, path string, body func(i int) string) {
	benchRequests(b, s, key, func() func(i int) (string, string) {
		return func(i int) (string, string) { return path, body(i) }
	})
}

// benchRequests sends, from each of 50 goroutines, the i-th request its call of each makes (path
// and body) through the whole fiber stack; answers must be 200 or 204.
func benchRequests(b *testing.B, s *Server, key string, each func() func(i int) (string, string)) {
	handler := s.fiber.Handler()
	remote := &net.TCPAddr{IP: net.IPv4(10, 0, 0, 1), Port: 40000}
	b.ReportAllocs()
	b.SetParallelism(25) // 50 requests in flight on 2 cores, like wrk -c50
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		next := each()
		var req fasthttp.Request
		req.Header.SetMethod("POST")
		req.Header.Set("Authorization", "License "+key)
		req.Header.SetContentType("application/json")
		var rc fasthttp.RequestCtx
		for i := 0; pb.Next(); i++ {
			path, body := next(i)
			req.SetRequestURI(path)
			req.SetBody([]byte(body))
			rc.Init(&req, remote, nil)
			handler(&rc)
			if code := rc.Response.StatusCode(); code != 200 && code != 204 {
				b.Fatalf("%s: status %d: %s", path, code, rc.Response.Body())
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
	p := store.Product{Code: "bench", Name: "Bench", StartThreshold: 1, Features: []store.Feature{{Code: "core", Name: "Core"},
		{Code: "seat", Name: "Seat", Floating: true, MaxSimultaneousUsers: 1000, FloatingTimeoutMinutes: 60}}}
	if err := db.CreateProduct(ctx, &p, store.AuditEntry{Action: "product.created"}); err != nil {
		b.Fatal(err)
	}
	l := store.License{ProductID: p.ID, OrgID: client.ID, DistributorID: vendor.ID, Status: store.StatusPendingStart, TermYears: 1,
		StartThreshold: 1, Terms: store.Terms{EscalationFactor: "0.33", Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "annual"},
		Features: []store.LicenseFeature{{Feature: p.Features[0]}, {Feature: p.Features[1]}}}
	key := s.newLicenseKey(&l)
	if err := db.CreateLicense(ctx, &l, store.Actor{}, ""); err != nil {
		b.Fatal(err)
	}
	if _, _, err := db.ActivateDevice(ctx, l.ID, store.Activation{Fingerprint: "bench-1"}, func(store.ActivationCheck) error { return nil }, addYears); err != nil {
		b.Fatal(err)
	}
	return s, l, key
}
