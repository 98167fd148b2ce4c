package store

import (
	"cmp"
	"context"
	"math/rand/v2"
	"reflect"
	"slices"
	"testing"
	"time"

	"keyward/store/storetest"
)

// testLicense makes a database with one license to report usage for.
func testLicense(t testing.TB) (*DB, int64) {
	t.Helper()
	ctx := context.Background()
	db, err := Open(ctx, storetest.Target(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.Now = func() time.Time { return time.Date(2026, 10, 20, 12, 0, 0, 0, time.UTC) }
	vendor, owner := Org{Name: "V"}, User{Email: "v@k.test", Name: "V", PasswordHash: "x"}
	if err := db.CreateVendor(ctx, &vendor, &owner); err != nil {
		t.Fatal(err)
	}
	dist := Org{Kind: KindDistributor, ParentID: vendor.ID, Name: "D"}
	client := Org{Kind: KindClient, Name: "C"}
	if err := db.CreateOrg(ctx, &dist); err != nil {
		t.Fatal(err)
	}
	client.ParentID = dist.ID
	if err := db.CreateOrg(ctx, &client); err != nil {
		t.Fatal(err)
	}
	var licenseID int64
	err = db.update(ctx, func(tx *Tx) error {
		res, err := tx.Exec(`INSERT INTO products (code, name, created_at, updated_at) VALUES ('p', 'P', 0, 0)`)
		if err != nil {
			return err
		}
		product, _ := res.LastInsertId()
		res, err = tx.Exec(`INSERT INTO licenses (product_id, organization_id, distributor_id, key_hash, key_enc, key_suffix,
			status, currency, payment_period, term_years, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, 'AAAAA', 'in_use', 'EUR', 'monthly', 1, 0, 0)`, product, client.ID, dist.ID, []byte{1}, []byte{1})
		if err != nil {
			return err
		}
		licenseID, err = res.LastInsertId()
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return db, licenseID
}

// sumDaily is a stand-in for the cost engine in store tests: the day's billed cores are the
// whole cores of the largest hourly sum of the services' means.
func sumDaily(rollups []CoreRollup) DayCores {
	byHour := map[time.Time]int64{}
	for _, r := range rollups {
		byHour[r.Hour] += r.Sum / r.Count
	}
	var d DayCores
	for _, cores := range byHour {
		d.PeakMicro = max(d.PeakMicro, cores)
		d.Hours++
		d.CoresSum += cores
	}
	d.Billed = (d.PeakMicro + 999_999) / 1_000_000
	return d
}

// usageRows reads the license's roll-ups summed by bucket, in the order of time, setup, service
// and metric.
func usageRows(t *testing.T, db *DB, licenseID int64, from, to time.Time, bucket Bucket) []UsageBucket {
	t.Helper()
	var rows []UsageBucket
	if err := db.UsageBuckets(context.Background(), licenseID, from, to, bucket, func(b UsageBucket) error {
		rows = append(rows, b)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(rows, func(a, b UsageBucket) int {
		return cmp.Or(a.Start.Compare(b.Start), cmp.Compare(a.Setup, b.Setup), cmp.Compare(a.Service, b.Service), cmp.Compare(a.Metric, b.Metric))
	})
	return rows
}

func usageSamples(n int) []UsageSample {
	start := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC)
	var out []UsageSample
	for i := range n {
		out = append(out, UsageSample{
			Time:    start.Add(time.Duration(i/3) * 20 * time.Minute),
			Service: []string{"api", "db", "elasticsearch"}[i%3],
			Metrics: []UsageMetric{{"cores", int64(1_000_000 + i*37_000)}, {"memory_mb", int64(512_000_000 + i)}},
		})
	}
	return out
}

func TestIngestUsageIsIdempotentAndOrderFree(t *testing.T) {
	ctx := context.Background()
	samples := usageSamples(600)

	db1, lic1 := testLicense(t)
	acc, dup, err := db1.IngestUsage(ctx, UsageReport{LicenseID: lic1, Setup: "prod", Samples: samples}, sumDaily)
	if err != nil || acc != 600 || dup != 0 {
		t.Fatalf("first report: %d accepted, %d duplicates, %v; want 600, 0", acc, dup, err)
	}
	again := append([]UsageSample(nil), samples[:100]...)
	again[0].Metrics = []UsageMetric{{"cores", 99_000_000}} // a resent sample with another value changes nothing
	acc, dup, err = db1.IngestUsage(ctx, UsageReport{LicenseID: lic1, Setup: "prod", Samples: again}, sumDaily)
	if err != nil || acc != 0 || dup != 100 {
		t.Fatalf("resent report: %d accepted, %d duplicates, %v; want 0, 100", acc, dup, err)
	}

	// The same samples in random order and chunks give the same roll-ups and days.
	db2, lic2 := testLicense(t)
	shuffled := append([]UsageSample(nil), samples...)
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) { shuffled[i], shuffled[j] = shuffled[j], shuffled[i] })
	for len(shuffled) > 0 {
		n := min(len(shuffled), 1+len(shuffled)/3)
		if _, _, err := db2.IngestUsage(ctx, UsageReport{LicenseID: lic2, Setup: "prod", Samples: shuffled[:n]}, sumDaily); err != nil {
			t.Fatal(err)
		}
		shuffled = shuffled[n:]
	}
	from, to := time.Date(2026, 10, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for _, bucket := range []Bucket{ByHour, ByDay, ByMonth} {
		h1, h2 := usageRows(t, db1, lic1, from, to, bucket), usageRows(t, db2, lic2, from, to, bucket)
		if len(h1) == 0 || !reflect.DeepEqual(h1, h2) {
			t.Errorf("roll-ups by %d differ with the order of arrival:\n%v\n%v", bucket, h1, h2)
		}
	}
	d1, _ := db1.UsageDays(ctx, lic1, "2026-10-01", "2026-10-31")
	d2, _ := db2.UsageDays(ctx, lic2, "2026-10-01", "2026-10-31")
	if len(d1) != 1 || len(d1[0].Days) == 0 || !reflect.DeepEqual(d1, d2) {
		t.Errorf("daily cores differ with the order of arrival:\n%v\n%v", d1, d2)
	}
	if got, want := d1[0].FirstSample, samples[0].Time; !got.Equal(want) {
		t.Errorf("first sample %s, want %s", got, want)
	}
}

func TestPruningClosesOldHours(t *testing.T) {
	ctx := context.Background()
	db, lic := testLicense(t)
	samples := usageSamples(90) // 2026-10-01 00:00 to 09:40
	if _, _, err := db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: samples}, sumDaily); err != nil {
		t.Fatal(err)
	}
	before, _ := db.UsageDays(ctx, lic, "2026-10-01", "2026-10-31")
	n, err := db.PruneRawUsage(ctx, "2026-10-05")
	if err != nil || n != 1 {
		t.Fatalf("pruned %d tables, %v; want 1", n, err)
	}
	after, _ := db.UsageDays(ctx, lic, "2026-10-01", "2026-10-31")
	if !reflect.DeepEqual(before, after) {
		t.Errorf("pruning changed the daily cores: %v → %v", before, after)
	}
	// Sent again after pruning: the hours are closed, nothing counts twice.
	closedBefore := time.Date(2026, 10, 5, 0, 0, 0, 0, time.UTC)
	acc, dup, err := db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: samples, ClosedBefore: closedBefore}, sumDaily)
	if err != nil || acc != 0 || dup != 90 {
		t.Errorf("resent after pruning: %d accepted, %d duplicates, %v; want 0, 90", acc, dup, err)
	}
	// History for an old hour that holds no data yet is still imported.
	old := []UsageSample{{Time: time.Date(2026, 9, 30, 23, 0, 0, 0, time.UTC), Service: "api", Metrics: []UsageMetric{{"cores", 2_000_000}}}}
	acc, _, err = db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: old, ClosedBefore: closedBefore}, sumDaily)
	if err != nil || acc != 1 {
		t.Errorf("history into an empty old hour: %d accepted, %v; want 1", acc, err)
	}
	// A closed hour is closed for the services it holds only: another one is still imported.
	other := []UsageSample{{Time: samples[0].Time, Service: "worker", Metrics: []UsageMetric{{"cores", 1_000_000}}},
		{Time: samples[0].Time.Add(20 * time.Second), Service: "worker", Metrics: []UsageMetric{{"cores", 3_000_000}}}}
	acc, dup, err = db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: other, ClosedBefore: closedBefore}, sumDaily)
	if err != nil || acc != 2 || dup != 0 {
		t.Errorf("another service of a closed hour: %d accepted, %d duplicates, %v; want 2, 0", acc, dup, err)
	}
	acc, dup, err = db.IngestUsage(ctx, UsageReport{LicenseID: lic, Setup: "prod", Samples: other, ClosedBefore: closedBefore}, sumDaily)
	if err != nil || acc != 0 || dup != 2 {
		t.Errorf("that service sent again: %d accepted, %d duplicates, %v; want 0, 2", acc, dup, err)
	}
}
