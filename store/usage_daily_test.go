package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"reflect"
	"testing"
	"testing/fstest"
	"time"
)

// fold sums roll-ups into coarser buckets, as the daily table must hold them.
func fold(rows []UsageBucket, start func(time.Time) time.Time) map[UsageBucket]UsageBucket {
	out := map[UsageBucket]UsageBucket{}
	for _, r := range rows {
		k := UsageBucket{Setup: r.Setup, Start: start(r.Start), Service: r.Service, Metric: r.Metric}
		acc, ok := out[k]
		if !ok {
			acc = k
			acc.Min, acc.Max = r.Min, r.Max
		}
		acc.Count += r.Count
		acc.Sum = acc.Sum.Add(r.Sum)
		acc.Min, acc.Max = min(acc.Min, r.Min), max(acc.Max, r.Max)
		out[k] = acc
	}
	return out
}

func byKey(rows []UsageBucket) map[UsageBucket]UsageBucket {
	out := map[UsageBucket]UsageBucket{}
	for _, r := range rows {
		out[UsageBucket{Setup: r.Setup, Start: r.Start, Service: r.Service, Metric: r.Metric}] = r
	}
	return out
}

// TestDailyRollupsFollowTheHourlyOnes writes usage through both doors, reports and imports (one
// of them twice), over two months: the daily and monthly sums always equal the hourly ones, even
// with sums beyond int64.
func TestDailyRollupsFollowTheHourlyOnes(t *testing.T) {
	ctx := context.Background()
	db, lic := testLicense(t)
	if _, _, err := db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: usageSamples(900)}, sumDaily); err != nil {
		t.Fatal(err)
	}
	const big = 900_000_000_000_000_000
	var hours []HourlyUsage
	for h := time.Date(2026, 9, 29, 0, 0, 0, 0, time.UTC); h.Before(time.Date(2026, 10, 3, 0, 0, 0, 0, time.UTC)); h = h.Add(time.Hour) {
		hours = append(hours,
			HourlyUsage{Hour: h, Service: "api", Metric: CoresMetric, Count: 180, Sum: SumOf(180 * 1_500_000), Min: 1_000_000, Max: 2_000_000},
			HourlyUsage{Hour: h, Service: "api", Metric: "disk_bytes", Count: 180, Sum: SumOf(big).Add(SumOf(big)).Add(SumOf(big)), Min: big, Max: big})
	}
	for range 2 { // an import sent twice counts once
		if err := db.ImportHourlyUsage(ctx, lic, "history", hours, sumDaily); err != nil {
			t.Fatal(err)
		}
	}
	from, to := time.Date(2026, 9, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	hourly := usageRows(t, db, lic, from, to, ByHour)
	day := func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) }
	month := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		bucket Bucket
		start  func(time.Time) time.Time
	}{{ByDay, day}, {ByMonth, month}} {
		got, want := byKey(usageRows(t, db, lic, from, to, tc.bucket)), fold(hourly, tc.start)
		if len(got) == 0 || !reflect.DeepEqual(got, want) {
			t.Errorf("bucket %d:\n got %v\nwant %v", tc.bucket, got, want)
		}
	}
	disk := byKey(usageRows(t, db, lic, from, to, ByMonth))[UsageBucket{Setup: "history", Start: month(from), Service: "api", Metric: "disk_bytes"}]
	if want := (Sum{Hi: 129, Lo: 600_000_000_000_000_000}); disk.Count != 2*24*180 || disk.Sum != want {
		t.Errorf("September's disk: %d samples summing to %+v, want %d summing to %+v", disk.Count, disk.Sum, 2*24*180, want)
	}
	// A period starting within a day reads whole hours, and the days that start within it.
	var history int
	for _, r := range usageRows(t, db, lic, time.Date(2026, 10, 2, 12, 0, 0, 0, time.UTC), to, ByHour) {
		if r.Setup == "history" {
			history++
		}
	}
	if history != 12*2 {
		t.Errorf("%d hourly rows of history from 12:00 on its last day, want 24", history)
	}
	days, err := db.UsageDays(ctx, lic, "2026-09-30", "2026-09-30")
	if err != nil || len(days) != 2 {
		t.Fatalf("daily cores: %+v, %v", days, err)
	}
	for _, s := range days {
		if d := s.Days["2026-09-30"]; s.Name == "history" && (d.Hours != 24 || d.CoresSum != 24*1_500_000 || d.PeakMicro != 1_500_000) {
			t.Errorf("history's 30 September: %+v, want 24 hours of 1.5 cores", d)
		}
	}
}

// TestDailyRollupMigration opens a database written before the daily roll-ups: its days get them,
// and their mean billable cores leave out the product's services not billed, whatever their case.
func TestDailyRollupMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	old := openBefore(t, path, "0035")
	h10 := time.Date(2026, 10, 1, 10, 0, 0, 0, time.UTC).Unix()
	_, err := old.write.Exec(`
		INSERT INTO organizations (id, kind, name, created_at, updated_at) VALUES (1, 'vendor', 'V', 0, 0);
		INSERT INTO organizations (id, kind, parent_id, name, created_at, updated_at) VALUES (2, 'client', 1, 'C', 0, 0);
		INSERT INTO products (id, code, name, created_at, updated_at) VALUES (1, 'p', 'P', 0, 0);
		INSERT INTO licenses (id, product_id, organization_id, distributor_id, key_hash, key_enc, key_suffix, status, currency,
			payment_period, term_years, created_at, updated_at) VALUES (1, 1, 2, 1, x'01', x'01', 'AAAAA', 'in_use', 'EUR', 'monthly', 1, 0, 0);
		INSERT INTO setups (id, license_id, name, created_at, first_sample_at) VALUES (1, 1, 'prod', 0, ?1);
		INSERT INTO usage_names (id, name) VALUES (1, 'api'), (2, 'cores'), (3, 'ElasticSearch'), (4, 'db'), (5, 'memory_mb');
		INSERT INTO usage_hourly (setup_id, hour, service_id, metric_id, count, sum, sum_hi, min, max) VALUES
			(1, ?1, 1, 2, 180, 270000000, 0, 1000000, 2000000),
			(1, ?1, 3, 2, 180, 900000000, 0, 5000000, 5000000),
			(1, ?1, 1, 5, 180, 0, 3, 0, 20000000000000000),
			(1, ?1 + 3600, 1, 2, 90, 135000000, 0, 1500000, 1500000),
			(1, ?1 + 3600, 4, 2, 180, 90000000, 0, 500000, 500000),
			(1, ?1 + 3600, 1, 5, 180, 0, 1, 0, 10000000000000000),
			(1, ?1 + 7200, 3, 2, 180, 900000000, 0, 5000000, 5000000);
		INSERT INTO usage_daily (setup_id, day, peak_micro, billed) VALUES (1, '2026-10-01', 2000000, 2);`, h10)
	if err != nil {
		t.Fatal(err)
	}
	old.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	day := time.Unix(h10, 0).UTC().Truncate(24 * time.Hour)
	got := byKey(usageRows(t, db, 1, day, day.Add(24*time.Hour), ByDay))
	want := fold(usageRows(t, db, 1, day, day.Add(24*time.Hour), ByHour), func(t time.Time) time.Time { return t.Truncate(24 * time.Hour) })
	if len(got) != 4 || !reflect.DeepEqual(got, want) {
		t.Errorf("daily roll-ups after the migration:\n got %v\nwant %v", got, want)
	}
	if m := got[UsageBucket{Setup: "prod", Start: day, Service: "api", Metric: "memory_mb"}]; m.Sum != (Sum{Hi: 4}) || m.Count != 360 {
		t.Errorf("api's memory of the day: %+v, want 360 samples summing to 4·10¹⁸", m)
	}
	days, err := db.UsageDays(ctx, 1, "2026-10-01", "2026-10-01")
	if err != nil || len(days) != 1 {
		t.Fatalf("daily cores: %+v, %v", days, err)
	}
	// 10:00 api 1.5; 11:00 api 1.5 + db 0.5; 12:00 only ElasticSearch, not billed: 2 hours, 3.5 cores.
	if d := days[0].Days["2026-10-01"]; d.Hours != 2 || d.CoresSum != 3_500_000 || d.Billed != 2 {
		t.Errorf("1 October after the migration: %+v, want 2 hours summing to 3.5 cores", d)
	}
}

// openBefore opens a new database at path with the migrations before the one named first only,
// as an older Keyward left it; opening path again with Open applies the rest.
func openBefore(t *testing.T, path, first string) *DB {
	t.Helper()
	before := fstest.MapFS{}
	entries, _ := fs.ReadDir(migrations, "migrations")
	for _, e := range entries {
		if e.Name() < first {
			data, _ := fs.ReadFile(migrations, "migrations/"+e.Name())
			before["migrations/"+e.Name()] = &fstest.MapFile{Data: data}
		}
	}
	old, err := open(context.Background(), path, before)
	if err != nil {
		t.Fatal(err)
	}
	return old
}
