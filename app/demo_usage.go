package app

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"keyward/store"
)

// demoUsageDays is how much usage history the demo has.
const demoUsageDays = 90

// demoServices are the services the demo setups run; elasticsearch and kibana are not billed.
var demoServices = []struct {
	name  string
	share float64 // of the setup's billable cores (the excluded ones add on top)
}{{"api", 0.45}, {"worker", 0.35}, {"db", 0.2}, {"elasticsearch", 0}, {"kibana", 0}}

// demoSetup is a setup's billable cores at a time, 0 while it does not run.
type demoSetup struct {
	name  string
	cores func(t time.Time, day int) float64 // day counts back from today (0 = today)
}

// loadDemoUsage gives three demo licenses 90 days of usage: one setup that now and then goes
// over its prepaid cores, one license used on two setups, and one migrating from an old setup to
// a new one. Older days are written as hourly roll-ups; the last two days arrive as 20-s samples
// through the same ingestion as a real setup's reports.
func (s *Server) loadDemoUsage(ctx context.Context) error {
	byLocation, err := s.demoLicenses(ctx)
	if err != nil {
		return err
	}
	diurnal := func(t time.Time) float64 { return math.Sin(float64(t.Hour()-6) / 24 * 2 * math.Pi) }
	plan := map[string][]demoSetup{
		// 4 prepaid cores: about 3.4 cores, and a two-hour rush to 5.6 every ninth day.
		"BER-MITTE": {{"BER-MITTE", func(t time.Time, day int) float64 {
			if day%9 == 4 && t.Hour() >= 19 && t.Hour() < 21 {
				return 5.6
			}
			return 3.3 + 0.5*diurnal(t)
		}}},
		// 6 prepaid cores on two setups: the prepaid cores go to A, all of B is extra.
		"MAD-SOL": {
			{"MAD-SOL-A", func(t time.Time, _ int) float64 { return 4.6 + 0.8*diurnal(t) }},
			{"MAD-SOL-B", func(t time.Time, _ int) float64 { return 1.7 + 0.4*diurnal(t) }},
		},
		// 7 prepaid cores: the old setup runs until 40 days ago, the new one from 45 days ago.
		"MAD-NORTE": {
			{"MAD-NORTE-OLD", func(t time.Time, day int) float64 {
				if day < 40 {
					return 0
				}
				return 5.5 + 0.6*diurnal(t)
			}},
			{"MAD-NORTE-NEW", func(t time.Time, day int) float64 {
				if day > 45 {
					return 0
				}
				return 4.2 + 0.6*diurnal(t)
			}},
		},
	}
	now := s.clock.Now().UTC()
	today := now.Truncate(24 * time.Hour)
	rng := rand.New(rand.NewPCG(2026, 11))
	for location, setups := range plan {
		l, ok := byLocation[location]
		if !ok {
			continue
		}
		product, err := s.db.FindProduct(ctx, l.ProductID)
		if err != nil {
			return err
		}
		daily := dailyCores(product.ExcludedServices)
		for _, setup := range setups {
			var hours []store.HourlyUsage
			for day := demoUsageDays; day >= 2; day-- {
				for h := range 24 {
					t := today.AddDate(0, 0, -day).Add(time.Duration(h) * time.Hour)
					cores := setup.cores(t, day)
					if cores <= 0 {
						continue
					}
					for _, svc := range demoServices {
						v := demoServiceCores(svc.name, svc.share, cores, rng)
						micro := int64(v * 1e6)
						hours = append(hours,
							store.HourlyUsage{Hour: t, Service: svc.name, Metric: store.CoresMetric, Count: 180, Sum: store.SumOf(micro * 180),
								Min: micro * 9 / 10, Max: micro * 11 / 10},
							store.HourlyUsage{Hour: t, Service: svc.name, Metric: "memory_mb", Count: 180, Sum: store.SumOf(int64(v*900e6) * 180),
								Min: int64(v * 850e6), Max: int64(v * 950e6)})
					}
				}
			}
			if err := s.db.ImportHourlyUsage(ctx, l.ID, setup.name, hours, daily); err != nil {
				return err
			}
			// The last two days as a setup reports them: a sample every 20 s per service.
			var samples []store.UsageSample
			flush := func() error {
				_, _, err := s.db.IngestUsage(ctx, store.UsageReport{LicenseID: l.ID, Setup: setup.name, Samples: samples}, daily)
				samples = samples[:0]
				return err
			}
			for t := today.AddDate(0, 0, -1); t.Before(now); t = t.Add(20 * time.Second) {
				day := 1
				if !t.Before(today) {
					day = 0
				}
				cores := setup.cores(t, day)
				if cores <= 0 {
					continue
				}
				for _, svc := range demoServices {
					v := demoServiceCores(svc.name, svc.share, cores, rng) * (0.95 + 0.1*rng.Float64())
					samples = append(samples, store.UsageSample{Time: t, Service: svc.name, Metrics: []store.UsageMetric{
						{Name: store.CoresMetric, Micro: int64(v * 1e6)}, {Name: "memory_mb", Micro: int64(v * 900e6)}}})
				}
				if len(samples) >= 10_000 {
					if err := flush(); err != nil {
						return err
					}
				}
			}
			if err := flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// demoLicenses are the demo's licenses by location.
func (s *Server) demoLicenses(ctx context.Context) (map[string]store.License, error) {
	ls, _, err := s.db.Licenses(ctx, store.LicenseFilter{All: true, Limit: 100})
	byLocation := map[string]store.License{}
	for _, l := range ls {
		byLocation[l.Location] = l
	}
	return byLocation, err
}

// demoServiceCores splits a setup's billable cores among its services; the excluded search
// services run beside them at a steady cost that is never billed.
func demoServiceCores(name string, share, cores float64, rng *rand.Rand) float64 {
	switch name {
	case "elasticsearch":
		return 1.5 + 0.2*rng.Float64()
	case "kibana":
		return 0.3
	}
	return share * cores
}
