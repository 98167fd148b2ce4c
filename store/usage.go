package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"sort"
	"strings"
	"time"
)

// CoresMetric is the metric that counts for billing.
const CoresMetric = "cores"

// rawTablePrefix names the per-day tables of raw samples: usage_raw_20261001.
const rawTablePrefix = "usage_raw_"

// UsageReport is a checked usage report of one setup of a license, ready to store.
type UsageReport struct {
	LicenseID int64
	Setup     string
	Samples   []UsageSample
	// ClosedBefore is the raw retention's edge: an hour before it that already holds data of a
	// service is closed for that service, and its samples count as duplicates, so a report sent
	// again after its raw samples were pruned is never counted twice.
	ClosedBefore time.Time
}

// UsageSample is one service's metrics at one second.
type UsageSample struct {
	Time    time.Time
	Service string
	Metrics []UsageMetric
}

// UsageMetric is one value in millionths.
type UsageMetric struct {
	Name  string
	Micro int64
}

// Sum is an exact sum of millionths, Hi·10¹⁸ + Lo: an hour of one service's samples of a
// metric bounded at ±10¹² (DESIGN §6) can pass int64, so hourly roll-ups keep their sums in two
// integers. Sums the store returns are canonical: Lo within ±10¹⁸, of the sign of the total.
type Sum struct{ Hi, Lo int64 }

const sumBase = 1_000_000_000_000_000_000

// SumOf is a single value as a Sum.
func SumOf(v int64) Sum { return Sum{v / sumBase, v % sumBase} }

// Add adds two sums, which may come in any form; the result is canonical.
func (s Sum) Add(t Sum) Sum {
	a, b := SumOf(s.Lo), SumOf(t.Lo)
	lo := a.Lo + b.Lo // each within ±10¹⁸: no overflow
	n := Sum{s.Hi + t.Hi + a.Hi + b.Hi + lo/sumBase, lo % sumBase}
	switch { // one representation per value, whatever the order of the terms
	case n.Hi > 0 && n.Lo < 0:
		n.Hi, n.Lo = n.Hi-1, n.Lo+sumBase
	case n.Hi < 0 && n.Lo > 0:
		n.Hi, n.Lo = n.Hi+1, n.Lo-sumBase
	}
	return n
}

// Float is the sum as a float64, for the means pages and the API show.
func (s Sum) Float() float64 { return float64(s.Hi)*sumBase + float64(s.Lo) }

// Int64 is the sum, clamped to the int64 range.
func (s Sum) Int64() int64 {
	n := s.Add(Sum{})
	switch {
	case n.Hi > 9 || n.Hi == 9 && n.Lo > math.MaxInt64-9*sumBase:
		return math.MaxInt64
	case n.Hi < -9 || n.Hi == -9 && n.Lo < math.MinInt64+9*sumBase:
		return math.MinInt64
	}
	return n.Hi*sumBase + n.Lo
}

// CoreRollup is one service's cores within one hour: the sum and count of its samples.
type CoreRollup struct {
	Hour    time.Time
	Service string
	Sum     int64
	Count   int64
}

// DailyCoresFunc turns a setup's core roll-ups of one day into its peak (millionths) and billed
// cores. The app passes the cost engine's rule, with the product's excluded services, so that
// the store keeps billing's numbers up to date without knowing billing.
type DailyCoresFunc func(rollups []CoreRollup) (peakMicro, billed int64)

// IngestUsage stores a report in one transaction: new raw samples, their hourly roll-ups and
// the daily billed cores of the days they touch. A sample already stored for the same setup,
// service and second, or one for a closed hour, is a duplicate and changes nothing.
func (db *DB) IngestUsage(ctx context.Context, r UsageReport, daily DailyCoresFunc) (accepted, duplicates int, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		accepted, duplicates = 0, 0
		in := ingestion{ctx: ctx, tx: tx, names: map[string]int64{}, raw: map[string]*sql.Stmt{},
			closed: map[closedKey]bool{}, deltas: map[rollupKey]*rollupDelta{}}
		defer in.closeStatements()
		var err error
		if in.setupID, err = ensureSetup(ctx, tx, r.LicenseID, r.Setup); err != nil {
			return err
		}
		var first time.Time
		for _, s := range r.Samples {
			ok, err := in.add(s, r.ClosedBefore)
			if err != nil {
				return err
			}
			if !ok {
				duplicates++
				continue
			}
			accepted++
			if first.IsZero() || s.Time.Before(first) {
				first = s.Time
			}
		}
		if accepted == 0 {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE setups SET first_sample_at = min(coalesce(first_sample_at, ?), ?) WHERE id = ?`,
			first.Unix(), first.Unix(), in.setupID); err != nil {
			return err
		}
		days, err := in.flushRollups()
		if err != nil {
			return err
		}
		for _, day := range days {
			if err := updateDaily(ctx, tx, in.setupID, day, daily); err != nil {
				return err
			}
		}
		return nil
	})
	return accepted, duplicates, err
}

// ingestion is the state of one IngestUsage transaction.
type ingestion struct {
	ctx     context.Context
	tx      *Tx
	setupID int64
	names   map[string]int64
	raw     map[string]*sql.Stmt // day → insert into its raw table
	closed  map[closedKey]bool   // hour and service → closed
	deltas  map[rollupKey]*rollupDelta
}

type rollupKey struct{ hour, service, metric int64 }

type rollupDelta struct {
	count, min, max int64
	sum             Sum
}

// add stores one sample and adds it to the roll-ups; false means it was a duplicate.
func (in *ingestion) add(s UsageSample, closedBefore time.Time) (bool, error) {
	hour := s.Time.Truncate(time.Hour).Unix()
	service, err := in.nameID(s.Service)
	if err != nil {
		return false, err
	}
	if s.Time.Before(closedBefore) {
		closed, err := in.isClosed(hour, service)
		if err != nil || closed {
			return false, err
		}
	}
	var blob []byte
	metrics := make([]int64, len(s.Metrics))
	for i, m := range s.Metrics {
		if metrics[i], err = in.nameID(m.Name); err != nil {
			return false, err
		}
		blob = binary.AppendUvarint(blob, uint64(metrics[i]))
		blob = binary.AppendVarint(blob, m.Micro)
	}
	stmt, err := in.rawInsert(s.Time)
	if err != nil {
		return false, err
	}
	res, err := stmt.ExecContext(in.ctx, in.setupID, service, s.Time.Unix(), blob)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return false, err
	}
	for i, m := range s.Metrics {
		k := rollupKey{hour, service, metrics[i]}
		d := in.deltas[k]
		if d == nil {
			d = &rollupDelta{min: m.Micro, max: m.Micro}
			in.deltas[k] = d
		}
		d.count++
		d.sum = d.sum.Add(SumOf(m.Micro))
		d.min, d.max = min(d.min, m.Micro), max(d.max, m.Micro)
	}
	return true, nil
}

// isClosed tells whether an hour past the raw retention already held data for the setup's
// service before this report. Closing per service, not per hour, lets a history import send
// one service at a time (DESIGN §6). The answer is kept for the whole report: its own samples,
// summed only at the end, never close an hour for each other.
func (in *ingestion) isClosed(hour, service int64) (bool, error) {
	k := closedKey{hour, service}
	if closed, ok := in.closed[k]; ok {
		return closed, nil
	}
	var n int
	err := in.tx.QueryRowContext(in.ctx, `SELECT count(*) FROM (SELECT 1 FROM usage_hourly
		WHERE setup_id = ? AND hour = ? AND service_id = ? LIMIT 1)`, in.setupID, hour, service).Scan(&n)
	in.closed[k] = n > 0
	return n > 0, err
}

type closedKey struct{ hour, service int64 }

func (in *ingestion) nameID(name string) (int64, error) {
	if id, ok := in.names[name]; ok {
		return id, nil
	}
	id, err := nameID(in.ctx, in.tx, name)
	in.names[name] = id
	return id, err
}

func nameID(ctx context.Context, tx *Tx, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO usage_names (name) VALUES (?)
		ON CONFLICT (name) DO UPDATE SET name = excluded.name RETURNING id`, name).Scan(&id)
	return id, err
}

// rawInsert prepares the insert into the raw table of t's day, creating the table if needed.
func (in *ingestion) rawInsert(t time.Time) (*sql.Stmt, error) {
	day := t.UTC().Format("20060102")
	if stmt, ok := in.raw[day]; ok {
		return stmt, nil
	}
	table := rawTablePrefix + day
	if _, err := in.tx.ExecContext(in.ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
		setup_id   INTEGER NOT NULL,
		service_id INTEGER NOT NULL,
		t          INTEGER NOT NULL,
		metrics    BLOB    NOT NULL, -- (metric id uvarint, value varint) pairs
		PRIMARY KEY (setup_id, service_id, t)) WITHOUT ROWID`); err != nil {
		return nil, err
	}
	stmt, err := in.tx.PrepareContext(in.ctx, `INSERT OR IGNORE INTO `+table+` (setup_id, service_id, t, metrics) VALUES (?, ?, ?, ?)`)
	in.raw[day] = stmt
	return stmt, err
}

func (in *ingestion) closeStatements() {
	for _, stmt := range in.raw {
		if stmt != nil {
			stmt.Close()
		}
	}
}

// flushRollups adds the deltas to the hourly roll-ups and returns the days whose cores changed.
func (in *ingestion) flushRollups() ([]string, error) {
	// Both low parts lie within ±10¹⁸, so their sum fits an int64; the carry goes to sum_hi.
	stmt, err := in.tx.PrepareContext(in.ctx, `INSERT INTO usage_hourly (setup_id, hour, service_id, metric_id, count, sum, sum_hi, min, max)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET count = count + excluded.count,
			sum = (sum + excluded.sum) % 1000000000000000000,
			sum_hi = sum_hi + excluded.sum_hi + (sum + excluded.sum) / 1000000000000000000,
			min = min(min, excluded.min), max = max(max, excluded.max)`)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	cores, err := in.nameID(CoresMetric)
	if err != nil {
		return nil, err
	}
	touched := map[string]bool{}
	for k, d := range in.deltas {
		if _, err := stmt.ExecContext(in.ctx, in.setupID, k.hour, k.service, k.metric, d.count, d.sum.Lo, d.sum.Hi, d.min, d.max); err != nil {
			return nil, err
		}
		if k.metric == cores {
			touched[time.Unix(k.hour, 0).UTC().Format(time.DateOnly)] = true
		}
	}
	days := make([]string, 0, len(touched))
	for day := range touched {
		days = append(days, day)
	}
	sort.Strings(days)
	return days, nil
}

// updateDaily recomputes a setup's billed cores of one day from its hourly core roll-ups.
func updateDaily(ctx context.Context, tx *Tx, setupID int64, day string, daily DailyCoresFunc) error {
	start, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return err
	}
	rows, err := tx.QueryContext(ctx, `SELECT h.hour, s.name, h.sum, h.sum_hi, h.count FROM usage_hourly h
		JOIN usage_names s ON s.id = h.service_id JOIN usage_names m ON m.id = h.metric_id
		WHERE h.setup_id = ? AND h.hour >= ? AND h.hour < ? AND m.name = ?`,
		setupID, start.Unix(), start.AddDate(0, 0, 1).Unix(), CoresMetric)
	if err != nil {
		return err
	}
	var rollups []CoreRollup
	for rows.Next() {
		var r CoreRollup
		var hour int64
		var sum Sum
		if err := rows.Scan(&hour, &r.Service, &sum.Lo, &sum.Hi, &r.Count); err != nil {
			rows.Close()
			return err
		}
		r.Sum = sum.Int64() // cores of an hour: at most 3,600 samples of 10¹² millionths
		r.Hour = time.Unix(hour, 0).UTC()
		rollups = append(rollups, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	peak, billed := daily(rollups)
	_, err = tx.ExecContext(ctx, `INSERT INTO usage_daily (setup_id, day, peak_micro, billed) VALUES (?, ?, ?, ?)
		ON CONFLICT DO UPDATE SET peak_micro = excluded.peak_micro, billed = excluded.billed`, setupID, day, peak, billed)
	return err
}

// ImportHourlyUsage writes whole hours of a setup's roll-ups (history kept elsewhere, demo data),
// then the daily cores of the days they cover. An hour × service × metric that holds data
// already is left as it is, so an import sent twice counts once.
func (db *DB) ImportHourlyUsage(ctx context.Context, licenseID int64, setup string, hours []HourlyUsage, daily DailyCoresFunc) error {
	return db.update(ctx, func(tx *Tx) error {
		setupID, err := ensureSetup(ctx, tx, licenseID, setup)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO usage_hourly (setup_id, hour, service_id, metric_id, count, sum, sum_hi, min, max)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			return err
		}
		defer stmt.Close()
		names := map[string]int64{}
		id := func(name string) (int64, error) {
			if n, ok := names[name]; ok {
				return n, nil
			}
			n, err := nameID(ctx, tx, name)
			names[name] = n
			return n, err
		}
		days := map[string]bool{}
		var first time.Time
		for _, h := range hours {
			service, err := id(h.Service)
			if err != nil {
				return err
			}
			metric, err := id(h.Metric)
			if err != nil {
				return err
			}
			hour := h.Hour.UTC().Truncate(time.Hour)
			sum := h.Sum.Add(Sum{})
			if _, err := stmt.ExecContext(ctx, setupID, hour.Unix(), service, metric, h.Count, sum.Lo, sum.Hi, h.Min, h.Max); err != nil {
				return err
			}
			if h.Metric == CoresMetric {
				days[hour.Format(time.DateOnly)] = true
			}
			if first.IsZero() || hour.Before(first) {
				first = hour
			}
		}
		if first.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE setups SET first_sample_at = min(coalesce(first_sample_at, ?), ?) WHERE id = ?`,
			first.Unix(), first.Unix(), setupID); err != nil {
			return err
		}
		for day := range days {
			if err := updateDaily(ctx, tx, setupID, day, daily); err != nil {
				return err
			}
		}
		return nil
	})
}

// ensureSetup returns the id of the license's setup of that name, creating it on its first report.
func ensureSetup(ctx context.Context, tx *Tx, licenseID int64, name string) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `INSERT INTO setups (license_id, name, created_at) VALUES (?, ?, ?)
		ON CONFLICT (license_id, name) DO UPDATE SET name = excluded.name RETURNING id`, licenseID, name, tx.now.Unix()).Scan(&id)
	return id, err
}

// SetupDays is a setup with its daily cores, as the cost engine takes them.
type SetupDays struct {
	ID          int64
	Name        string
	FirstSample time.Time
	Days        map[string]DayCores // YYYY-MM-DD → cores
}

// DayCores are a setup's cores of one day.
type DayCores struct {
	PeakMicro int64
	Billed    int64
}

// UsageDays lists the license's setups with their daily cores from day from to day to, inclusive.
func (db *DB) UsageDays(ctx context.Context, licenseID int64, from, to string) ([]SetupDays, error) {
	var setups []SetupDays
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.name, s.first_sample_at, d.day, d.peak_micro, d.billed
			FROM setups s LEFT JOIN usage_daily d ON d.setup_id = s.id AND d.day BETWEEN ? AND ?
			WHERE s.license_id = ? AND s.first_sample_at IS NOT NULL ORDER BY s.id, d.day`, from, to, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var name string
			var first sql.NullInt64
			var day sql.NullString
			var peak, billed sql.NullInt64
			if err := rows.Scan(&id, &name, &first, &day, &peak, &billed); err != nil {
				return err
			}
			if len(setups) == 0 || setups[len(setups)-1].ID != id {
				setups = append(setups, SetupDays{ID: id, Name: name, FirstSample: fromUnix(first), Days: map[string]DayCores{}})
			}
			if day.Valid {
				setups[len(setups)-1].Days[day.String] = DayCores{PeakMicro: peak.Int64, Billed: billed.Int64}
			}
		}
		return rows.Err()
	})
	return setups, err
}

// HourlyUsage is one roll-up row: a setup's metric of one service in one hour, in millionths.
type HourlyUsage struct {
	SetupID   int64
	SetupName string
	Hour      time.Time
	Service   string
	Metric    string
	Count     int64
	Sum       Sum
	Min       int64
	Max       int64
}

// UsageHours lists the license's hourly roll-ups from from (inclusive) to to (exclusive),
// ordered by hour; pages and the API sum them into what they show.
func (db *DB) UsageHours(ctx context.Context, licenseID int64, from, to time.Time) ([]HourlyUsage, error) {
	var hours []HourlyUsage
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.name, h.hour, sv.name, m.name, h.count, h.sum, h.sum_hi, h.min, h.max
			FROM setups s JOIN usage_hourly h ON h.setup_id = s.id
			JOIN usage_names sv ON sv.id = h.service_id JOIN usage_names m ON m.id = h.metric_id
			WHERE s.license_id = ? AND h.hour >= ? AND h.hour < ? ORDER BY h.hour, s.id, sv.name, m.name`,
			licenseID, from.Unix(), to.Unix())
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u HourlyUsage
			var hour int64
			if err := rows.Scan(&u.SetupID, &u.SetupName, &hour, &u.Service, &u.Metric, &u.Count, &u.Sum.Lo, &u.Sum.Hi, &u.Min, &u.Max); err != nil {
				return err
			}
			u.Hour = time.Unix(hour, 0).UTC()
			u.Sum = u.Sum.Add(Sum{})
			hours = append(hours, u)
		}
		return rows.Err()
	})
	return hours, err
}

// PruneRawUsage drops the raw sample tables of the days before day before (YYYY-MM-DD), one
// whole day at a time, and returns how many it dropped. Roll-ups and daily cores stay.
func (db *DB) PruneRawUsage(ctx context.Context, before string) (int, error) {
	limit := rawTablePrefix + strings.ReplaceAll(before, "-", "")
	var tables []string
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT name FROM sqlite_schema WHERE type = 'table' AND name GLOB ? AND name < ? ORDER BY name`,
			rawTablePrefix+"[0-9]*", limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var name string
			if err := rows.Scan(&name); err != nil {
				return err
			}
			tables = append(tables, name)
		}
		return rows.Err()
	})
	if err != nil {
		return 0, err
	}
	for i, table := range tables {
		if err := db.update(ctx, func(tx *Tx) error {
			_, err := tx.ExecContext(ctx, `DROP TABLE IF EXISTS `+table) // a concurrent run may have dropped it
			return err
		}); err != nil {
			return i, fmt.Errorf("dropping %s: %w", table, err)
		}
	}
	return len(tables), nil
}
