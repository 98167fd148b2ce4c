package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// This file is the one place where SQLite and PostgreSQL differ. The queries of the store are
// written once, in SQL both engines read, with SQLite's ? placeholders; on PostgreSQL each is
// rewritten once (and remembered) by rewriteForPostgres: placeholders, LIKE, two-argument min/max
// and INSERT OR IGNORE. Shared migrations go through pgSchema for the column types, and
// migrations/postgres/ holds PostgreSQL's own files (0000_postgres.sql gives it the two SQLite
// functions the queries use). What cannot be rewritten is a method of dialect here; what several
// instances share (notifications, locks) is in postgres.go.

// dialect is the engine a DB speaks to.
type dialect interface {
	// query rewrites a query of the store for the engine.
	query(q string) string
	// args adapts arguments: PostgreSQL keeps booleans in integer columns, as SQLite does, and
	// text that is not valid UTF-8 has its bad bytes replaced.
	args(args []any) []any
	// conflict tells whether err is a UNIQUE or PRIMARY KEY violation.
	conflict(err error) bool
	// retry tells whether a write transaction that failed with err (at its attempt-th run) may
	// simply run again.
	retry(err error, attempt int) bool
	// writeTx is how write transactions begin.
	writeTx() *sql.TxOptions
	// readTx is how read transactions begin.
	readTx() *sql.TxOptions
	// returningID tells whether an INSERT must return the id the database gave its row, for
	// sql.Result.LastInsertId (SQLite's driver gives it; pgx's does not).
	returningID(q string) bool
	// sizeQuery answers the size of the database in bytes.
	sizeQuery() string
	// insertRaw stores raw usage rows of a setup and tells which of them were new.
	insertRaw(ctx context.Context, tx *Tx, setupID int64, rows []rawRow) ([]bool, error)
	// rawTables lists the raw usage tables (one a day) whose names sort before ?.
	rawTables() string
	name() string
}

// sqliteDialect: the queries are written for it.
type sqliteDialect struct{}

func (sqliteDialect) query(q string) string { return q }
func (sqliteDialect) args(a []any) []any    { return a }
func (sqliteDialect) conflict(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && (se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
func (sqliteDialect) retry(error, int) bool   { return false } // one writer: nothing to retry
func (sqliteDialect) writeTx() *sql.TxOptions { return nil }
func (sqliteDialect) readTx() *sql.TxOptions  { return nil }
func (sqliteDialect) returningID(string) bool { return false }
func (sqliteDialect) name() string            { return "sqlite" }
func (sqliteDialect) rawTables() string {
	return `SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB 'usage_raw_[0-9]*' AND name < ? ORDER BY name`
}
func (sqliteDialect) sizeQuery() string {
	return `SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()`
}

// pgDialect rewrites the store's queries for PostgreSQL. Write transactions are SERIALIZABLE, so
// that PostgreSQL keeps the promise SQLite's single writer gives (a transaction sees no other
// commit midway) and one that loses a race runs again; reads are snapshots (REPEATABLE READ).
type pgDialect struct {
	cache      sync.Map        // query → rewritten query
	identities map[string]bool // tables with an identity id
	pool       *sql.DB
	partitions sync.Map // Unix day → its partition of usage_raw exists
}

// rawTables lists the day partitions of usage_raw.
func (d *pgDialect) rawTables() string {
	return `SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
		WHERE p.relname = 'usage_raw' AND c.relname < ? ORDER BY c.relname`
}

// insertRaw stores raw rows in usage_raw, partitioned by day, in one statement: the rows travel
// as arrays, and those that were new come back.
func (d *pgDialect) insertRaw(ctx context.Context, tx *Tx, setupID int64, rows []rawRow) ([]bool, error) {
	services, times, metrics := make([]int64, len(rows)), make([]int64, len(rows)), make([][]byte, len(rows))
	at := make(map[[2]int64]int, len(rows))
	days := map[int64]bool{}
	for i, r := range rows {
		services[i], times[i], metrics[i] = r.service, r.time.Unix(), r.metrics
		at[[2]int64{r.service, times[i]}] = i
		days[times[i]-times[i]%secondsPerDay] = true
	}
	for day := range days {
		if err := d.partition(ctx, day); err != nil {
			return nil, err
		}
	}
	fresh := make([]bool, len(rows))
	if len(rows) == 0 {
		return fresh, nil
	}
	res, err := tx.Tx.QueryContext(ctx, `INSERT INTO usage_raw (setup_id, service_id, t, metrics)
		SELECT $1, s, t, m FROM unnest($2::bigint[], $3::bigint[], $4::bytea[]) AS u(s, t, m)
		ON CONFLICT DO NOTHING RETURNING service_id, t`, setupID, services, times, metrics)
	if missingPartition(err) {
		d.partitions.Clear() // dropped by another instance's retention job: the transaction runs again
	}
	if err != nil {
		return nil, err
	}
	defer res.Close()
	for res.Next() {
		var k [2]int64
		if err := res.Scan(&k[0], &k[1]); err != nil {
			return nil, err
		}
		fresh[at[k]] = true
	}
	return fresh, res.Err()
}

// partition makes sure the partition of usage_raw of a day (Unix seconds of its start) exists,
// creating it in a transaction of its own under a lock, so that instances never race to it.
func (d *pgDialect) partition(ctx context.Context, day int64) error {
	if _, ok := d.partitions.Load(day); ok {
		return nil
	}
	table := rawTablePrefix + time.Unix(day, 0).UTC().Format("20060102")
	tx, err := d.pool.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(hashtext('keyward usage_raw partitions'))`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE IF NOT EXISTS %s PARTITION OF usage_raw FOR VALUES FROM (%d) TO (%d)`,
		table, day, day+secondsPerDay)); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	d.partitions.Store(day, true)
	return nil
}

func (d *pgDialect) name() string { return "postgres" }

func (d *pgDialect) query(q string) string {
	if r, ok := d.cache.Load(q); ok {
		return r.(string)
	}
	r := rewriteForPostgres(q)
	d.cache.Store(q, r)
	return r
}

func (d *pgDialect) args(args []any) []any {
	var out []any // a copy, made only when an argument changes: the caller's slice stays as it is
	for i, a := range args {
		var v any
		switch a := a.(type) {
		case bool:
			v = boolInt(a)
		case sql.NullBool:
			if v = nil; a.Valid {
				v = boolInt(a.Bool)
			}
		case string: // PostgreSQL's text is valid UTF-8 without NUL; SQLite takes any bytes
			if utf8.ValidString(a) && strings.IndexByte(a, 0) < 0 {
				continue
			}
			v = strings.ReplaceAll(strings.ToValidUTF8(a, "\uFFFD"), "\x00", "\uFFFD")
		default:
			continue
		}
		if out == nil {
			out = append([]any(nil), args...)
		}
		out[i] = v
	}
	if out == nil {
		return args
	}
	return out
}

func boolInt(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func (d *pgDialect) conflict(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

func (d *pgDialect) retry(err error, attempt int) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	// A serialization failure or a deadlock: the transaction lost a race and may run again. A
	// UNIQUE violation may be one too (two transactions inserting the same row, where SQLite's one
	// writer would have shown the second the first's row): it is tried once more, and then it is a
	// conflict.
	return pe.Code == "40001" || pe.Code == "40P01" || pe.Code == "23505" && attempt == 1 || missingPartition(err) && attempt <= 2
}

// missingPartition tells whether err is an insert into a day of usage_raw without its partition.
func missingPartition(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23514" && strings.HasPrefix(pe.Message, "no partition")
}

func (d *pgDialect) writeTx() *sql.TxOptions { return &sql.TxOptions{Isolation: sql.LevelSerializable} }
func (d *pgDialect) readTx() *sql.TxOptions {
	return &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}
}
func (d *pgDialect) sizeQuery() string { return `SELECT pg_database_size(current_database())` }

var insertInto = regexp.MustCompile(`(?is)^\s*INSERT\s+INTO\s+([a-z_0-9]+)`)

func (d *pgDialect) returningID(q string) bool {
	m := insertInto.FindStringSubmatch(q)
	return m != nil && d.identities[strings.ToLower(m[1])] && !strings.Contains(strings.ToUpper(q), "RETURNING")
}

// rewriteForPostgres turns a query written for SQLite into PostgreSQL's: ? placeholders become
// $1, $2…; LIKE (which ignores ASCII case in SQLite) becomes ILIKE; min(a, b) and max(a, b) of
// two or more values become LEAST and GREATEST; INSERT OR IGNORE becomes ON CONFLICT DO NOTHING.
func rewriteForPostgres(q string) string {
	var b strings.Builder
	n := 0
	ignore := false
	for i := 0; i < len(q); i++ {
		c := q[i]
		switch {
		case c == '\'' || c == '"': // literals and quoted names are copied as they are
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			b.WriteString(q[i:min(j+1, len(q))])
			i = j
		case c == '-' && i+1 < len(q) && q[i+1] == '-': // a comment, to the end of its line
			j := strings.IndexByte(q[i:], '\n')
			if j < 0 {
				j = len(q) - i
			}
			b.WriteString(q[i : i+j])
			i += j - 1
		case c == '?':
			j := i + 1
			for j < len(q) && q[j] >= '0' && q[j] <= '9' {
				j++
			}
			if j > i+1 { // ?NNN: that argument
				b.WriteString("$" + q[i+1:j])
				i = j - 1
			} else {
				n++
				fmt.Fprintf(&b, "$%d", n)
			}
		case isWordStart(q, i):
			j := i
			for j < len(q) && isWordByte(q[j]) {
				j++
			}
			word := q[i:j]
			switch strings.ToUpper(word) {
			case "LIKE":
				b.WriteString("ILIKE")
			case "OR":
				if rest := strings.TrimLeft(q[j:], " \t\n"); strings.HasPrefix(strings.ToUpper(rest), "IGNORE") &&
					strings.HasSuffix(strings.ToUpper(strings.TrimRight(b.String(), " \t\n")), "INSERT") {
					ignore = true
					j = len(q) - len(rest) + len("IGNORE")
				} else {
					b.WriteString(word)
				}
			case "MIN", "MAX":
				if j < len(q) && q[j] == '(' && topLevelComma(q[j:]) {
					b.WriteString(map[string]string{"MIN": "LEAST", "MAX": "GREATEST"}[strings.ToUpper(word)])
				} else {
					b.WriteString(word)
				}
			default:
				b.WriteString(word)
			}
			i = j - 1
		default:
			b.WriteByte(c)
		}
	}
	out := b.String()
	if ignore {
		if k := strings.LastIndex(strings.ToUpper(out), "RETURNING"); k >= 0 {
			out = out[:k] + "ON CONFLICT DO NOTHING " + out[k:]
		} else {
			out += " ON CONFLICT DO NOTHING"
		}
	}
	return out
}

func isWordByte(c byte) bool {
	return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

func isWordStart(q string, i int) bool {
	return isWordByte(q[i]) && (i == 0 || !isWordByte(q[i-1]) && q[i-1] != '.' && q[i-1] != '$')
}

// topLevelComma tells whether the parenthesized list at the start of s holds a comma of its own.
func topLevelComma(s string) bool {
	depth := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				return false
			}
		case ',':
			if depth == 1 {
				return true
			}
		case '\'':
			if j := strings.IndexByte(s[i+1:], '\''); j >= 0 {
				i += j + 1
			}
		}
	}
	return false
}

// pgSchema rewrites a migration's column types for PostgreSQL: INTEGER is 64 bits there as in
// SQLite, an integer primary key named id is an identity, BLOB is BYTEA, COLLATE NOCASE columns are
// CITEXT, and WITHOUT ROWID means nothing.
func pgSchema(body string) string {
	for _, r := range pgSchemaRules {
		body = r.re.ReplaceAllString(body, r.with)
	}
	return body
}

var pgSchemaRules = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(?m)^(\s*id\s+)INTEGER PRIMARY KEY\b`), "${1}BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY"},
	{regexp.MustCompile(`(?m)^(\s*\w+\s+)TEXT(\b[^,\n]*?)\s+COLLATE NOCASE`), "${1}CITEXT$2"},
	{regexp.MustCompile(`\bINTEGER\b`), "BIGINT"},
	{regexp.MustCompile(`\bBLOB\b`), "BYTEA"},
	{regexp.MustCompile(`\)\s*WITHOUT ROWID`), ")"},
}

// pgIdentityTables lists the tables whose id is an identity column.
func pgIdentityTables(ctx context.Context, db *sql.DB) (map[string]bool, error) {
	rows, err := db.QueryContext(ctx, `SELECT table_name FROM information_schema.columns
		WHERE table_schema = current_schema() AND column_name = 'id' AND is_identity = 'YES'`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]bool{}
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, err
		}
		out[name] = true
	}
	return out, rows.Err()
}
