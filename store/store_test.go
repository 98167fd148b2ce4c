package store

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"keyward/store/storetest"
)

func openTest(t *testing.T, path string, migrationFS fstest.MapFS) (*DB, error) {
	t.Helper()
	db, err := open(context.Background(), path, migrationFS)
	if err == nil {
		t.Cleanup(func() { db.Close() })
	}
	return db, err
}

func tableExists(t *testing.T, db *DB, name string) bool {
	t.Helper()
	var n int
	return db.read.QueryRow(`SELECT count(*) FROM `+name+` WHERE 1 = 0`).Scan(&n) == nil
}

func appliedMigrations(t *testing.T, db *DB) []string {
	t.Helper()
	rows, err := db.read.Query(`SELECT name FROM schema_migrations ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		names = append(names, n)
	}
	return names
}

func TestMigrationsApplyOnce(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	fs := fstest.MapFS{
		"migrations/0001_a.sql": {Data: []byte(`CREATE TABLE a (id INTEGER PRIMARY KEY);`)},
		"migrations/0002_b.sql": {Data: []byte(`CREATE TABLE b (id INTEGER PRIMARY KEY); INSERT INTO a (id) VALUES (1);`)},
	}
	db, err := openTest(t, path, fs)
	if err != nil {
		t.Fatal(err)
	}
	if got := appliedMigrations(t, db); len(got) != 2 {
		t.Fatalf("applied %v, want both migrations", got)
	}
	if got := strings.Join(db.Applied(), " "); got != "0001_a 0002_b" {
		t.Errorf("Applied() = %q, want both migrations", got)
	}
	db.Close()

	// On restart nothing runs again: a second INSERT of id 1 would fail.
	db, err = openTest(t, path, fs)
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	var rows int
	db.read.QueryRow(`SELECT count(*) FROM a`).Scan(&rows)
	if rows != 1 {
		t.Errorf("table a has %d rows, want 1: a migration ran twice", rows)
	}
	if got := db.Applied(); len(got) != 0 {
		t.Errorf("Applied() = %v on an up-to-date database, want none", got)
	}
	db.Close()

	// A new migration added later is applied, and only it.
	fs["migrations/0003_c.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE c (id INTEGER PRIMARY KEY);`)}
	db, err = openTest(t, path, fs)
	if err != nil {
		t.Fatal(err)
	}
	if got := appliedMigrations(t, db); len(got) != 3 || !tableExists(t, db, "c") {
		t.Errorf("applied %v, want the third one too", got)
	}
	if got := strings.Join(db.Applied(), " "); got != "0003_c" {
		t.Errorf("Applied() = %q, want the new migration only", got)
	}
}

func TestFailedMigrationLeavesNoPartialSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.db")
	fs := fstest.MapFS{
		"migrations/0001_good.sql": {Data: []byte(`CREATE TABLE good (id INTEGER PRIMARY KEY);`)},
		"migrations/0002_bad.sql": {Data: []byte(`CREATE TABLE half (id INTEGER PRIMARY KEY);
			CREATE INDEX half_missing ON half (no_such_column);`)},
	}
	if _, err := openTest(t, path, fs); err == nil {
		t.Fatal("a broken migration was accepted")
	}
	db, err := openTest(t, path, fstest.MapFS{"migrations/0001_good.sql": fs["migrations/0001_good.sql"]})
	if err != nil {
		t.Fatal(err)
	}
	if !tableExists(t, db, "good") {
		t.Error("the good migration before the broken one was lost")
	}
	if tableExists(t, db, "half") {
		t.Error("the broken migration left its first table behind")
	}
	if got := appliedMigrations(t, db); len(got) != 1 || got[0] != "migrations/0001_good.sql" {
		t.Errorf("recorded %v, want only the good migration", got)
	}
}

func TestEmbeddedMigrationsAndErrors(t *testing.T) {
	db, err := Open(context.Background(), storetest.Target(t, t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	now := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	ctx := context.Background()
	for _, table := range []string{"organizations", "users", "memberships", "sessions", "api_tokens", "audit_log"} {
		if !tableExists(t, db, table) {
			t.Errorf("no table %s", table)
		}
	}
	if _, err := db.FindUser(ctx, 42); !errors.Is(err, ErrNotFound) {
		t.Errorf("FindUser of a missing id: %v, want ErrNotFound", err)
	}
	vendor, owner := Org{Name: "V"}, User{Email: "a@b.test", Name: "A", PasswordHash: "x"}
	if err := db.CreateVendor(ctx, &vendor, &owner); err != nil {
		t.Fatal(err)
	}
	if !owner.CreatedAt.Equal(now) {
		t.Errorf("created at %s, want the injected clock's %s", owner.CreatedAt, now)
	}
	again := User{Email: "A@B.test", Name: "A", PasswordHash: "x"}
	if err := db.CreateUser(ctx, &again, vendor.ID, RoleMember); !errors.Is(err, ErrConflict) {
		t.Errorf("a second user with the same email (other case): %v, want ErrConflict", err)
	}
	if err := db.CreateVendor(ctx, &Org{Name: "W"}, &User{Email: "c@d.test", Name: "C", PasswordHash: "x"}); !errors.Is(err, ErrConflict) {
		t.Errorf("a second vendor: %v, want ErrConflict", err)
	}
	if _, err := db.FindUserByEmail(ctx, "c@d.test"); !errors.Is(err, ErrNotFound) {
		t.Errorf("the refused second vendor left its owner behind: %v", err)
	}
}
