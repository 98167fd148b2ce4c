// Package store keeps Keyward's data in one SQLite file. It is the only package that speaks SQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Errors the rest of the program tells apart.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("conflict")
)

// DB is the database: one connection that writes and a pool that reads, as SQLite in WAL mode
// allows any number of readers beside a single writer.
type DB struct {
	write *sql.DB
	read  *sql.DB
	path  string

	// prepared are statements of the hot write paths, prepared once on the write connection.
	prepared sync.Map // query → *sql.Stmt

	// applied are the migrations this Open applied, for `keyward migrate` to report.
	applied []string

	// Now is the clock; each transaction reads it once.
	Now func() time.Time

	// Events renders the data of webhook events (the app sets it); without it no event is queued.
	Events EventRenderer
	// EventsQueued is called after each commit that queued webhook deliveries, to wake their worker.
	EventsQueued func()
}

// Open opens (creating if needed) the database file at path and applies the pending migrations.
func Open(ctx context.Context, path string) (*DB, error) {
	return open(ctx, path, migrations)
}

func open(ctx context.Context, path string, migrationFS fs.FS) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	write, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		return nil, err
	}
	write.SetMaxOpenConns(1)
	write.SetConnMaxIdleTime(0)
	read, err := sql.Open("sqlite", dsn(path, "_pragma=query_only(1)"))
	if err != nil {
		write.Close()
		return nil, err
	}
	read.SetMaxOpenConns(max(4, runtime.NumCPU()))
	read.SetMaxIdleConns(max(4, runtime.NumCPU()))
	db := &DB{write: write, read: read, path: path, Now: time.Now}
	if err := db.migrate(ctx, migrationFS); err != nil {
		db.Close()
		return nil, fmt.Errorf("migrate %s: %w", path, err)
	}
	return db, nil
}

// dsn builds the modernc connection string: busy_timeout first, so that the other pragmas
// already wait for a lock instead of failing.
func dsn(path string, extra ...string) string {
	q := []string{
		"_pragma=busy_timeout(10000)",
		"_pragma=journal_mode(WAL)",
		"_pragma=foreign_keys(1)",
		"_pragma=synchronous(NORMAL)",
	}
	q = append(q, extra...)
	return "file:" + (&url.URL{Path: path}).EscapedPath() + "?" + strings.Join(q, "&")
}

// Close closes both pools.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// Ping tells whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Backup writes a consistent copy of the live database to path, which must not exist yet.
func (db *DB) Backup(ctx context.Context, path string) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s already exists: choose a new file name", path)
	}
	// Its own connection: the read pool is query_only, which VACUUM INTO counts as writing, and the
	// writer must stay free. In WAL mode the copy is one read transaction, so writers carry on.
	conn, err := sql.Open("sqlite", dsn(db.path))
	if err != nil {
		return err
	}
	defer conn.Close()
	_, err = conn.ExecContext(ctx, `VACUUM INTO ?`, path)
	return err
}

// Tx is a transaction with the time fixed at its start.
type Tx struct {
	*sql.Tx
	now    time.Time
	events EventRenderer
	queued bool // webhook deliveries were written
}

// today is the transaction's UTC day, as YYYY-MM-DD.
func (tx *Tx) today() string { return tx.now.Format(time.DateOnly) }

// update runs fn in a write transaction, committed when fn returns nil.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.write, fn)
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.read, fn)
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, fn func(*Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: sqlTx, now: db.Now().UTC(), events: db.Events}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return conflictOr(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return conflictOr(err)
	}
	if tx.queued && db.EventsQueued != nil {
		db.EventsQueued()
	}
	return nil
}

// prepare prepares queries once on the write pool (outside any transaction: the pool has one
// connection), for use in its transactions through inTx's tx.StmtContext. Parsing SQL costs more
// than running the statements of the hot write paths.
func (db *DB) prepare(ctx context.Context, queries ...string) (map[string]*sql.Stmt, error) {
	out := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		if s, ok := db.prepared.Load(q); ok {
			out[q] = s.(*sql.Stmt)
			continue
		}
		s, err := db.write.PrepareContext(ctx, q)
		if err != nil {
			return nil, err
		}
		if old, loaded := db.prepared.LoadOrStore(q, s); loaded {
			s.Close()
			s = old.(*sql.Stmt)
		}
		out[q] = s
	}
	return out, nil
}

// conflictOr turns SQLite's UNIQUE violations into ErrConflict.
func conflictOr(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY) {
		return fmt.Errorf("%w: %s", ErrConflict, se.Error())
	}
	return err
}

// notFoundOr turns sql.ErrNoRows into ErrNotFound.
func notFoundOr(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	return err
}

// migrate applies, in name order, each migration not yet recorded in schema_migrations,
// each in its own transaction together with its record.
func (db *DB) migrate(ctx context.Context, migrationFS fs.FS) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL) WITHOUT ROWID`); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		applied, err := db.migrateFile(ctx, migrationFS, name)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if applied {
			db.applied = append(db.applied, strings.TrimSuffix(strings.TrimPrefix(name, "migrations/"), ".sql"))
		}
	}
	return nil
}

// Applied names the migrations that opening this database applied, in order; none when it was
// up to date.
func (db *DB) Applied() []string {
	return db.applied
}

// migrateFile applies one migration unless it is recorded already, and tells whether it did.
func (db *DB) migrateFile(ctx context.Context, migrationFS fs.FS, name string) (applied bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
			return err
		}
		applied = true
		body, err := fs.ReadFile(migrationFS, name)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, tx.now.Unix())
		return err
	})
	return applied && err == nil, err
}

// unix stores a time as Unix seconds; the zero time is NULL.
func unix(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.Unix()
}

// fromUnix reads a time stored by unix.
func fromUnix(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(n.Int64, 0).UTC()
}
