package store

import (
	"context"
	"fmt"
	"testing"
	"time"
)

// BenchmarkUsageBuckets reads a month of 10 setups × 10 services × 2 metrics by hour (148,800
// roll-ups), then 90 days of them by day, as the usage API does.
func BenchmarkUsageBuckets(b *testing.B) {
	ctx := context.Background()
	db, lic := testLicense(b)
	start := time.Date(2026, 7, 22, 0, 0, 0, 0, time.UTC)
	for setup := range 10 {
		var hours []HourlyUsage
		for h := range 90 * 24 {
			t := start.Add(time.Duration(h) * time.Hour)
			for svc := range 10 {
				micro := int64(300_000 + 10_000*svc + 1000*(h%24))
				for _, metric := range []string{CoresMetric, "memory_mb"} {
					hours = append(hours, HourlyUsage{Hour: t, Service: fmt.Sprintf("svc-%d", svc), Metric: metric, Count: 180,
						Sum: SumOf(180 * micro), Min: micro, Max: micro})
				}
			}
		}
		if err := db.ImportHourlyUsage(ctx, lic, fmt.Sprintf("setup-%d", setup), hours, sumDaily); err != nil {
			b.Fatal(err)
		}
	}
	for _, tc := range []struct {
		name   string
		bucket Bucket
		days   int
		rows   int
	}{{"hour-31-days", ByHour, 31, 31 * 24 * 200}, {"day-90-days", ByDay, 90, 90 * 200}, {"month-90-days", ByMonth, 90, 4 * 200}} {
		b.Run(tc.name, func(b *testing.B) {
			to := start.AddDate(0, 0, 90)
			for range b.N {
				n := 0
				if err := db.UsageBuckets(ctx, lic, to.AddDate(0, 0, -tc.days), to, tc.bucket, func(UsageBucket) error { n++; return nil }); err != nil {
					b.Fatal(err)
				}
				if n != tc.rows {
					b.Fatalf("%d rows, want %d", n, tc.rows)
				}
			}
		})
	}
}
