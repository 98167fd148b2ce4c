package store

import (
	"context"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
)

// migrationsBefore is the embedded migrations whose names sort before name.
func migrationsBefore(t *testing.T, name string) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if filepath.Base(n) >= name {
			continue
		}
		body, err := fs.ReadFile(migrations, n)
		if err != nil {
			t.Fatal(err)
		}
		out[n] = &fstest.MapFile{Data: body}
	}
	return out
}

// TestLicenseTermGrowsPastFiveYears: upgrading keeps every license and its term, and then a term
// renewals took past 5 years can be stored.
func TestLicenseTermGrowsPastFiveYears(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "k.db")
	old, err := open(ctx, path, migrationsBefore(t, "0008"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`INSERT INTO organizations (id, kind, name, status, created_at, updated_at) VALUES (1, 'vendor', 'V', 'active', 0, 0)`,
		`INSERT INTO products (id, code, name, created_at, updated_at) VALUES (1, 'octo', 'Octopus', 0, 0)`,
		`INSERT INTO licenses (id, product_id, distributor_id, key_hash, key_enc, key_suffix, status, currency, payment_period,
			term_years, start_date, end_date, created_at, updated_at)
			VALUES (7, 1, 1, x'01', x'02', 'AAAAA', 'pending_provision', 'EUR', 'annual', 3, '2026-01-01', '2029-01-01', 0, 0)`,
		`INSERT INTO license_events (license_id, at, actor_email, kind, from_status, to_status, details) VALUES (7, 0, '', 'created', '', 'pending_provision', '')`,
	} {
		if _, err := old.write.Exec(q); err != nil {
			t.Fatalf("%s: %v", strings.Fields(q)[2], err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	l, err := db.FindLicense(ctx, 7)
	if err != nil {
		t.Fatal(err)
	}
	if l.TermYears != 3 || l.EndDate != "2029-01-01" {
		t.Errorf("after the upgrade: term %d, end %s; want 3, 2029-01-01", l.TermYears, l.EndDate)
	}
	if evs, err := db.LicenseEvents(ctx, 7); err != nil || len(evs) != 1 {
		t.Errorf("history after the upgrade: %v, %v; want its one line kept", evs, err)
	}
	if _, err := db.write.Exec(`UPDATE licenses SET term_years = 8 WHERE id = 7`); err != nil {
		t.Errorf("a term of 8 years: %v", err)
	}
	for _, bad := range []int{0, 101} {
		if _, err := db.write.Exec(`UPDATE licenses SET term_years = ? WHERE id = 7`, bad); err == nil {
			t.Errorf("a term of %d years was stored", bad)
		}
	}
}
