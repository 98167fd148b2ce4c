package app

import (
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"runtime/debug"
	"slices"
	"syscall"
	"testing"
	"time"

	"keyward/store"
)

// buildUsageAtScale writes a license's usage as a real setup's size would leave it: setups × services
// at 20 s (180 samples an hour) for days up to the clock's hour, as hourly roll-ups written directly
// into the store (and the daily roll-ups and cores they imply). Cores follow a daily wave; every
// service also reports its memory. The usage page and API read roll-ups only, never raw samples.
func buildUsageAtScale(ctx context.Context, s *Server, l store.License, setups, services, days int) error {
	product, err := s.db.FindProduct(ctx, l.ProductID)
	if err != nil {
		return err
	}
	now := s.clock.Now().UTC().Truncate(time.Hour)
	start := now.Truncate(24*time.Hour).AddDate(0, 0, -days)
	names := []string{"elasticsearch", "kibana"}
	for i := len(names); i < services; i++ {
		names = append(names, fmt.Sprintf("svc-%02d", i))
	}
	for setup := range setups {
		var hours []store.HourlyUsage
		for t := start; t.Before(now); t = t.Add(time.Hour) {
			wave := 1 + 0.3*math.Sin(float64(t.Hour())/24*2*math.Pi)
			for i, name := range names[:services] {
				cores := int64((0.2 + 0.05*float64(i) + 0.02*float64(setup)) * wave * 1e6)
				memory := int64((400 + 100*float64(i)) * wave * 1e6)
				hours = append(hours,
					store.HourlyUsage{Hour: t, Service: name, Metric: store.CoresMetric, Count: 180, Sum: store.SumOf(180 * cores),
						Min: cores * 9 / 10, Max: cores * 11 / 10},
					store.HourlyUsage{Hour: t, Service: name, Metric: "memory_mb", Count: 180, Sum: store.SumOf(180 * memory),
						Min: memory * 9 / 10, Max: memory * 11 / 10})
			}
		}
		if err := s.db.ImportHourlyUsage(ctx, l.ID, fmt.Sprintf("site-%02d", setup), hours, dailyCores(product.ExcludedServices)); err != nil {
			return err
		}
	}
	return nil
}

// cpuTime is the CPU time the process has used, in user and system mode.
func cpuTime() time.Duration {
	var u syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &u); err != nil {
		return 0
	}
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// BenchmarkUsageAtScale measures the usage page and API over loopback against a license with
// 10 setups × 10 services reporting cores and memory every 20 s for 70 days (30 million samples,
// kept as 336,000 hourly roll-ups): the page for the last 90 days and for its default period, the
// API by hour for 31 days and by day for 90. Each reports its p50 and p99 and the size of the
// answer; the process's resident memory is read after each, and once more when the runtime has
// given back what the answers used (at most 10 s later).
func BenchmarkUsageAtScale(b *testing.B) {
	a := newTestApp(b)
	ctx := context.Background()
	vendor, err := a.db.FindVendor(ctx)
	if err != nil {
		b.Fatal(err)
	}
	client := a.createOrg(store.KindClient, "Scale", vendor.ID)
	p := store.Product{Code: "scale", Name: "Scale", StartThreshold: 1, ExcludedServices: []string{"elasticsearch", "kibana"},
		Features: []store.Feature{{Code: "core", Name: "Core"}}}
	if err := a.db.CreateProduct(ctx, &p, store.AuditEntry{Action: "product.created"}); err != nil {
		b.Fatal(err)
	}
	l := store.License{ProductID: p.ID, OrgID: client.ID, DistributorID: vendor.ID, Status: store.StatusPendingStart, TermYears: 1,
		StartThreshold: 1, Terms: store.Terms{EscalationFactor: "0.33", Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "annual"},
		Features: []store.LicenseFeature{{Feature: p.Features[0]}}}
	a.srv.newLicenseKey(&l)
	if err := a.db.CreateLicense(ctx, &l, store.Actor{}, ""); err != nil {
		b.Fatal(err)
	}
	if l, err = a.db.ChangeLicense(ctx, l.ID, store.Actor{}, func(l *store.License, _ time.Time) (store.LicenseChange, error) {
		l.Status, l.StartDate, l.EndDate = store.StatusInUse, "2026-08-01", "2027-08-01"
		l.Terms.PrepaidCores, l.Terms.PrepaidCorePrice, l.Terms.ExtraCorePrice = 40, 10000, 15000
		return store.LicenseChange{}, nil
	}); err != nil {
		b.Fatal(err)
	}
	began := time.Now()
	if err := buildUsageAtScale(ctx, a.srv, l, 10, 10, 70); err != nil {
		b.Fatal(err)
	}
	b.Logf("built 70 days of 10 setups × 10 services in %s", time.Since(began).Round(time.Second))
	// What building left behind is the benchmark's, not the server's.
	runtime.GC()
	debug.FreeOSMemory()
	b.Logf("resident memory before the requests: %.0f MB", residentMB())

	admin, err := a.db.FindUserByEmail(ctx, adminEmail)
	if err != nil {
		b.Fatal(err)
	}
	token, err := NewAPIToken(ctx, a.db, admin.ID, "bench")
	if err != nil {
		b.Fatal(err)
	}
	person := a.browser()
	person.signIn(adminEmail, adminPassword)
	today := a.clock.Now().UTC()
	day := func(back int) string { return today.AddDate(0, 0, -back).Format(time.DateOnly) }
	for _, tc := range []struct {
		name, path string
		api        bool
	}{
		{"page-90-days", fmt.Sprintf("/licenses/%d/usage?from=%s&to=%s", l.ID, day(89), day(0)), false},
		{"page-default", fmt.Sprintf("/licenses/%d/usage", l.ID), false},
		{"api-hour-31-days", fmt.Sprintf("/api/v1/licenses/%d/usage?resolution=hour&from=%s&to=%s", l.ID, day(30), day(0)), true},
		{"api-day-90-days", fmt.Sprintf("/api/v1/licenses/%d/usage?resolution=day&from=%s&to=%s", l.ID, day(89), day(0)), true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			durations := make([]time.Duration, 0, b.N)
			var size int
			cpu := cpuTime()
			for range b.N {
				req, _ := http.NewRequest(http.MethodGet, a.url+tc.path, nil)
				client := person.client
				if tc.api {
					req.Header.Set("Authorization", "Bearer "+token)
					client = http.DefaultClient
				}
				began := time.Now()
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				n, err := io.Copy(io.Discard, resp.Body) // not kept: the process's memory is the server's
				resp.Body.Close()
				durations = append(durations, time.Since(began))
				if err != nil || resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %d %v", tc.path, resp.StatusCode, err)
				}
				size = int(n)
			}
			b.StopTimer()
			// CPU time says what a request costs on a machine of its own: on a busy one, the
			// wall-clock figures also hold the time spent waiting for a core.
			b.ReportMetric(float64((cpuTime()-cpu).Microseconds())/1000/float64(b.N), "cpu-ms/op")
			slices.Sort(durations)
			b.ReportMetric(float64(durations[len(durations)/2].Microseconds())/1000, "p50-ms")
			b.ReportMetric(float64(durations[len(durations)*99/100].Microseconds())/1000, "p99-ms")
			b.ReportMetric(float64(size)/1000, "answer-kB")
			b.ReportMetric(residentMB(), "RSS-MB")
			deadline := time.Now().Add(10 * time.Second)
			for residentMB() > 60 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Millisecond) // the runtime gives memory back in the background
			}
			b.ReportMetric(residentMB(), "RSS-later-MB")
		})
	}
}
