// Package store keeps Keyward's data in one SQLite file, or in PostgreSQL. It is the only package
// that speaks SQL.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" driver
)

//go:embed migrations/*.sql migrations/postgres/*.sql
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

	dialect dialect
	pg      *postgres // PostgreSQL only: notifications and locks between instances
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

// Open opens the database and applies the pending migrations: target is the path of a SQLite file
// (created if needed) or a postgres:// URL.
func Open(ctx context.Context, target string) (*DB, error) {
	return open(ctx, target, migrations)
}

// IsPostgres tells whether a --database value names PostgreSQL.
func IsPostgres(target string) bool {
	return strings.HasPrefix(target, "postgres://") || strings.HasPrefix(target, "postgresql://")
}

func open(ctx context.Context, target string, migrationFS fs.FS) (*DB, error) {
	if IsPostgres(target) {
		return openPostgres(ctx, target, migrationFS)
	}
	path := target
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
	db := &DB{write: write, read: read, path: path, Now: time.Now, dialect: sqliteDialect{}}
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
	if db.pg != nil {
		db.pg.close()
	}
	if db.read == db.write {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Engine names the database engine: "sqlite" or "postgres".
func (db *DB) Engine() string { return db.dialect.name() }

// Ping tells whether the database answers.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, `SELECT 1`).Scan(&one)
}

// Backup writes a consistent copy of the live database to path, which must not exist yet.
func (db *DB) Backup(ctx context.Context, path string) error {
	if db.pg != nil {
		return errors.New("keyward backup copies a SQLite database; on PostgreSQL back up with pg_dump (see docs/postgres.md)")
	}
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

// Tx is a transaction with the time fixed at its start. Its queries are written in SQLite's words;
// the dialect rewrites them for PostgreSQL.
type Tx struct {
	*sql.Tx
	d      dialect
	now    time.Time
	events EventRenderer
	queued bool // webhook deliveries were written
}

// ExecContext runs a statement. On PostgreSQL an INSERT into a table with an id returns that id
// (sql.Result.LastInsertId), as SQLite's driver does.
func (tx *Tx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if !tx.d.returningID(query) {
		return tx.Tx.ExecContext(ctx, tx.d.query(query), tx.d.args(args)...)
	}
	rows, err := tx.Tx.QueryContext(ctx, tx.d.query(query+" RETURNING id"), tx.d.args(args)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var r insertResult
	for rows.Next() {
		if err := rows.Scan(&r.id); err != nil {
			return nil, err
		}
		r.n++
	}
	return r, rows.Err()
}

type insertResult struct{ id, n int64 }

func (r insertResult) LastInsertId() (int64, error) { return r.id, nil }
func (r insertResult) RowsAffected() (int64, error) { return r.n, nil }

// Exec runs a statement without a context.
func (tx *Tx) Exec(query string, args ...any) (sql.Result, error) {
	return tx.ExecContext(context.Background(), query, args...)
}

// QueryContext runs a query.
func (tx *Tx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return tx.Tx.QueryContext(ctx, tx.d.query(query), tx.d.args(args)...)
}

// QueryRowContext runs a query of one row.
func (tx *Tx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return tx.Tx.QueryRowContext(ctx, tx.d.query(query), tx.d.args(args)...)
}

// PrepareContext prepares a statement for the transaction.
func (tx *Tx) PrepareContext(ctx context.Context, query string) (*Stmt, error) {
	st, err := tx.Tx.PrepareContext(ctx, tx.d.query(query))
	return &Stmt{Stmt: st, d: tx.d}, err
}

// Stmt is a prepared statement of a transaction.
type Stmt struct {
	*sql.Stmt
	d dialect
}

// ExecContext runs the statement.
func (st *Stmt) ExecContext(ctx context.Context, args ...any) (sql.Result, error) {
	return st.Stmt.ExecContext(ctx, st.d.args(args)...)
}

// QueryRowContext runs the statement for one row.
func (st *Stmt) QueryRowContext(ctx context.Context, args ...any) *sql.Row {
	return st.Stmt.QueryRowContext(ctx, st.d.args(args)...)
}

// QueryContext runs the statement.
func (st *Stmt) QueryContext(ctx context.Context, args ...any) (*sql.Rows, error) {
	return st.Stmt.QueryContext(ctx, st.d.args(args)...)
}

// Close closes the statement.
func (st *Stmt) Close() error {
	if st.Stmt == nil {
		return nil
	}
	return st.Stmt.Close()
}

// today is the transaction's UTC day, as YYYY-MM-DD.
func (tx *Tx) today() string { return tx.now.Format(time.DateOnly) }

// update runs fn in a write transaction, committed when fn returns nil. On PostgreSQL a
// transaction that lost a race with another (a serialization failure) runs again: fn must
// only set its results, never append to what an earlier run left.
func (db *DB) update(ctx context.Context, fn func(*Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := db.inTx(ctx, db.write, db.dialect.writeTx(), fn)
		if err == nil || attempt == 30 || !db.dialect.retry(err, attempt) || ctx.Err() != nil {
			return err
		}
		// Spread the next runs of the transactions that lost the same race.
		time.Sleep(time.Duration(attempt*attempt)*time.Millisecond/2 + rand.N(time.Duration(attempt*attempt)*time.Millisecond))
	}
}

// view runs fn in a read-only transaction.
func (db *DB) view(ctx context.Context, fn func(*Tx) error) error {
	return db.inTx(ctx, db.read, db.dialect.readTx(), fn)
}

func (db *DB) inTx(ctx context.Context, pool *sql.DB, opts *sql.TxOptions, fn func(*Tx) error) error {
	sqlTx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return err
	}
	tx := &Tx{Tx: sqlTx, d: db.dialect, now: db.Now().UTC(), events: db.Events}
	if err := fn(tx); err != nil {
		sqlTx.Rollback()
		return db.conflictOr(err)
	}
	if err := sqlTx.Commit(); err != nil {
		return db.conflictOr(err)
	}
	if tx.queued && db.EventsQueued != nil {
		db.EventsQueued()
	}
	return nil
}

// prepare prepares queries once on the write pool (outside any transaction: on SQLite the pool has
// one connection), for use in its transactions through inTx's tx.StmtContext. Parsing SQL costs more
// than running the statements of the hot write paths.
func (db *DB) prepare(ctx context.Context, queries ...string) (map[string]*sql.Stmt, error) {
	out := make(map[string]*sql.Stmt, len(queries))
	for _, q := range queries {
		if s, ok := db.prepared.Load(q); ok {
			out[q] = s.(*sql.Stmt)
			continue
		}
		s, err := db.write.PrepareContext(ctx, db.dialect.query(q))
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

// conflictOr turns UNIQUE violations into ErrConflict.
func (db *DB) conflictOr(err error) error {
	if db.dialect.conflict(err) {
		return fmt.Errorf("%w: %w", ErrConflict, err)
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
// each in its own transaction together with its record. On PostgreSQL a file of
// migrations/postgres/ replaces the shared one of the same name (or is applied there only), and
// the shared ones have their column types rewritten (pgSchema).
func (db *DB) migrate(ctx context.Context, migrationFS fs.FS) error {
	if _, err := db.write.ExecContext(ctx, db.dialect.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
		name TEXT PRIMARY KEY, applied_at BIGINT NOT NULL)`)); err != nil {
		return err
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return err
	}
	own := map[string]bool{} // migrations/NAME.sql → PostgreSQL has its own
	if db.pg != nil {
		pgNames, err := fs.Glob(migrationFS, "migrations/postgres/*.sql")
		if err != nil {
			return err
		}
		for _, n := range pgNames {
			shared := "migrations/" + path.Base(n)
			if !slices.Contains(names, shared) {
				names = append(names, shared)
			}
			own[shared] = true
		}
	}
	sort.Strings(names)
	for _, name := range names {
		file, rewrite := name, db.pg != nil
		if own[name] {
			file, rewrite = "migrations/postgres/"+path.Base(name), false
		}
		applied, err := db.migrateFile(ctx, migrationFS, name, file, rewrite)
		if err != nil {
			return fmt.Errorf("%s: %w", file, err)
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
func (db *DB) migrateFile(ctx context.Context, migrationFS fs.FS, name, file string, rewrite bool) (applied bool, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		applied = false
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil || n > 0 {
			return err
		}
		applied = true
		body, err := fs.ReadFile(migrationFS, file)
		if err != nil {
			return err
		}
		if rewrite {
			body = []byte(pgSchema(string(body)))
		}
		if _, err := tx.Tx.ExecContext(ctx, string(body)); err != nil { // as written: no rewriting of queries
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
