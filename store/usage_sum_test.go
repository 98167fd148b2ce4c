package store

import (
	"context"
	"math"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"
)

func TestSumIsExactAndCanonical(t *testing.T) {
	const e18 = 1_000_000_000_000_000_000
	values := []int64{e18, e18, -e18, e18 - 1, -(e18 - 1), 999_999_999_999_999_999, -5, 7, e18, -e18, -e18, 123}
	var want Sum
	for _, v := range values {
		want = want.Add(SumOf(v))
	}
	// Any order of the same terms gives the same representation.
	rng := rand.New(rand.NewPCG(3, 5))
	for range 200 {
		rng.Shuffle(len(values), func(i, j int) { values[i], values[j] = values[j], values[i] })
		var got Sum
		for _, v := range values {
			got = got.Add(SumOf(v))
		}
		if got != want {
			t.Fatalf("sum in another order %+v, want %+v", got, want)
		}
	}
	if got, exact := want.Int64(), int64(e18+124); got != exact {
		t.Errorf("Int64 %d, want %d", got, exact)
	}
	for _, tc := range []struct {
		s    Sum
		want int64
	}{
		{Sum{3600, 0}, math.MaxInt64},
		{Sum{-3600, 0}, math.MinInt64},
		{Sum{9, 223_372_036_854_775_807}, math.MaxInt64},
		{Sum{9, 223_372_036_854_775_808}, math.MaxInt64},
		{Sum{-9, -223_372_036_854_775_808}, math.MinInt64},
		{Sum{1, -1}, e18 - 1},
	} {
		if got := tc.s.Int64(); got != tc.want {
			t.Errorf("%+v.Int64() = %d, want %d", tc.s, got, tc.want)
		}
	}
	if got := (Sum{3600, 0}).Float(); got != 3.6e21 {
		t.Errorf("Float %g, want 3.6e21", got)
	}
}

// TestIngestUsageSumsBeyondInt64 fills one hour of one service with the largest values DESIGN §6
// allows, in two reports: the hour's sums pass int64 and stay exact, in either sign.
func TestIngestUsageSumsBeyondInt64(t *testing.T) {
	ctx := context.Background()
	db, lic := testLicense(t)
	const maxMetric = 1_000_000_000_000_000_000 // 10¹² in millionths
	const maxCores = 1_000_000_000_000          // 10⁶ in millionths
	hour := time.Date(2026, 10, 1, 7, 0, 0, 0, time.UTC)
	var samples []UsageSample
	for s := range 3600 {
		samples = append(samples, UsageSample{Time: hour.Add(time.Duration(s) * time.Second), Service: "api",
			Metrics: []UsageMetric{{"cores", maxCores}, {"delta", -maxMetric}, {"memory_mb", maxMetric}}})
	}
	for _, part := range [][]UsageSample{samples[:1700], samples[1700:]} {
		if acc, _, err := db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: part}, sumDaily); err != nil || acc != len(part) {
			t.Fatalf("report: %d accepted, %v", acc, err)
		}
	}
	hours := usageRows(t, db, lic, hour, hour.Add(time.Hour), ByHour)
	want := map[string]Sum{"cores": {0, 3600 * maxCores}, "delta": {-3600, 0}, "memory_mb": {3600, 0}}
	for _, h := range hours {
		if h.Count != 3600 || h.Sum != want[h.Metric] {
			t.Errorf("%s: %d samples summing to %+v, want 3600 summing to %+v", h.Metric, h.Count, h.Sum, want[h.Metric])
		}
	}
	if len(hours) != 3 {
		t.Errorf("%d roll-ups, want 3", len(hours))
	}
	days, err := db.UsageDays(ctx, lic, "2026-10-01", "2026-10-01")
	if err != nil || len(days) != 1 || days[0].Days["2026-10-01"].Billed != 1_000_000 {
		t.Errorf("daily cores %+v, %v; want 1,000,000 billed cores", days, err)
	}
}

// TestWideSumMigrationKeepsOldSums opens a database written before sums were wide, holding a
// sum near the int64 limit and one SQLite had already turned into a float, and reads both.
func TestWideSumMigrationKeepsOldSums(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	old := openBefore(t, path, "0006")
	_, err := old.write.Exec(`
		INSERT INTO organizations (id, kind, name, created_at, updated_at) VALUES (1, 'vendor', 'V', 0, 0);
		INSERT INTO organizations (id, kind, parent_id, name, created_at, updated_at) VALUES (2, 'client', 1, 'C', 0, 0);
		INSERT INTO products (id, code, name, created_at, updated_at) VALUES (1, 'p', 'P', 0, 0);
		INSERT INTO licenses (id, product_id, organization_id, distributor_id, key_hash, key_enc, key_suffix, status, currency,
			payment_period, term_years, created_at, updated_at) VALUES (1, 1, 2, 1, x'01', x'01', 'AAAAA', 'in_use', 'EUR', 'monthly', 1, 0, 0);
		INSERT INTO setups (id, license_id, name, created_at) VALUES (1, 1, 'prod', 0);
		INSERT INTO usage_names (id, name) VALUES (1, 'api'), (2, 'memory_mb'), (3, 'disk_mb');
		INSERT INTO usage_hourly (setup_id, hour, service_id, metric_id, count, sum, min, max)
			VALUES (1, 1790000000, 1, 2, 2, 9000000000000000000, 0, 9000000000000000000),
			       (1, 1790000000, 1, 3, 2, 9000000000000000000, 0, 9000000000000000000);
		UPDATE usage_hourly SET sum = sum + sum WHERE metric_id = 3; -- what an overflow left behind`)
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	from := time.Unix(1790000000, 0)
	hours := usageRows(t, db, 1, from, from.Add(time.Hour), ByHour)
	if len(hours) != 2 {
		t.Fatalf("old roll-ups: %+v", hours)
	}
	if got, want := hours[1].Sum, (Sum{9, 0}); hours[1].Metric != "memory_mb" || got != want {
		t.Errorf("%s sum %+v, want %+v", hours[1].Metric, got, want)
	}
	if got := hours[0].Sum.Float(); hours[0].Metric != "disk_mb" || got != 1.8e19 {
		t.Errorf("%s sum %g, want 1.8e19 as nearly as a float allows", hours[0].Metric, got)
	}
}
