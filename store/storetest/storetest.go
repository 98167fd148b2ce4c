// Package storetest gives tests a database of their own on the engine under test: a new SQLite
// file, or, when KEYWARD_TEST_DATABASE holds a postgres:// URL, a new PostgreSQL database on that
// server, dropped when the test ends. `make test` runs the tests once on each engine.
package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // the "pgx" driver
)

// EnvVar names the PostgreSQL server the tests use; empty: SQLite.
const EnvVar = "KEYWARD_TEST_DATABASE"

// Target is the --database value of a new, empty database for t: a PostgreSQL URL when the
// environment names a server, else the path of a SQLite file in dir.
func Target(t testing.TB, dir string) string {
	t.Helper()
	server := os.Getenv(EnvVar)
	if server == "" {
		return filepath.Join(dir, "keyward.db")
	}
	return NewPostgres(t, server)
}

// Postgres tells whether the tests run on PostgreSQL.
func Postgres() bool { return os.Getenv(EnvVar) != "" }

// NewPostgres creates a database on the server of the URL server and returns its URL; it is
// dropped when the test ends.
func NewPostgres(t testing.TB, server string) string {
	t.Helper()
	u, err := url.Parse(server)
	if err != nil {
		t.Fatalf("%s: %v", EnvVar, err)
	}
	admin, err := sql.Open("pgx", server)
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 6)
	rand.Read(b)
	name := "kwtest_" + hex.EncodeToString(b)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	// C.UTF-8 sorts text by code point, as SQLite does.
	if _, err := admin.ExecContext(ctx, `CREATE DATABASE `+name+` TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C.UTF-8'`); err != nil {
		admin.Close()
		t.Fatalf("creating a test database on %s: %v", u.Host, err)
	}
	t.Cleanup(func() {
		defer admin.Close()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Logf("dropping the test database %s: %v", name, err)
		}
	})
	u.Path = "/" + name
	return u.String()
}
