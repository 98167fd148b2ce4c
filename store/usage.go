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

// DailyCoresFunc turns a setup's core roll-ups of one day into its cores of the day: peak and
// billed cores, and the hours with billable cores with their sum. The app passes the cost
// engine's rule, with the product's excluded services, so that the store keeps billing's numbers
// up to date without knowing billing.
type DailyCoresFunc func(rollups []CoreRollup) DayCores

// IngestUsage stores a report in one transaction: new raw samples, their hourly roll-ups and
// the daily billed cores of the days they touch. A sample already stored for the same setup,
// service and second, or one for a closed hour, is a duplicate and changes nothing.
func (db *DB) IngestUsage(ctx context.Context, r UsageReport, daily DailyCoresFunc) (accepted, duplicates int, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		accepted, duplicates = 0, 0
		in := ingestion{ctx: ctx, tx: tx, names: map[string]int64{}, closed: map[closedKey]bool{}, deltas: rollupDeltas{}}
		var err error
		if in.setupID, err = ensureSetup(ctx, tx, r.LicenseID, r.Setup); err != nil {
			return err
		}
		rows, err := in.rawRows(r.Samples, r.ClosedBefore)
		if err != nil {
			return err
		}
		fresh, err := tx.d.insertRaw(ctx, tx, in.setupID, rows)
		if err != nil {
			return err
		}
		var first time.Time
		for i, row := range rows {
			if !fresh[i] {
				continue
			}
			accepted++
			in.count(row)
			if first.IsZero() || row.time.Before(first) {
				first = row.time
			}
		}
		duplicates = len(r.Samples) - accepted
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
	closed  map[closedKey]bool // hour and service → closed
	deltas  rollupDeltas       // by hour
}

// rollupKey is a roll-up's row: the start of its hour or day (Unix seconds), its service and metric.
type rollupKey struct{ start, service, metric int64 }

type rollupDelta struct {
	count, min, max int64
	sum             Sum
}

// rollupDeltas are what a transaction adds to roll-ups, before it writes them.
type rollupDeltas map[rollupKey]*rollupDelta

// add adds count values summing to sum, between lo and hi, to a roll-up.
func (ds rollupDeltas) add(k rollupKey, count int64, sum Sum, lo, hi int64) {
	d := ds[k]
	if d == nil {
		d = &rollupDelta{min: lo, max: hi}
		ds[k] = d
	}
	d.count += count
	d.sum = d.sum.Add(sum)
	d.min, d.max = min(d.min, lo), max(d.max, hi)
}

// days folds hourly deltas into daily ones.
func (ds rollupDeltas) days() rollupDeltas {
	days := rollupDeltas{}
	for k, d := range ds {
		days.add(rollupKey{k.start - k.start%secondsPerDay, k.service, k.metric}, d.count, d.sum, d.min, d.max)
	}
	return days
}

const secondsPerDay = 24 * 60 * 60

// flush adds the deltas to the roll-ups of a table, usage_hourly (by hour) or usage_daily_metrics
// (by day). Both low parts lie within ±10¹⁸, so their sum fits an int64; the carry goes to sum_hi.
func (ds rollupDeltas) flush(ctx context.Context, tx *Tx, setupID int64, table, start string) error {
	if len(ds) == 0 {
		return nil
	}
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO `+table+` (setup_id, `+start+`, service_id, metric_id, count, sum, sum_hi, min, max)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (setup_id, `+start+`, service_id, metric_id) DO UPDATE SET count = `+table+`.count + excluded.count,
			sum = (`+table+`.sum + excluded.sum) % 1000000000000000000,
			sum_hi = `+table+`.sum_hi + excluded.sum_hi + (`+table+`.sum + excluded.sum) / 1000000000000000000,
			min = min(`+table+`.min, excluded.min), max = max(`+table+`.max, excluded.max)`)
	if err != nil {
		return err
	}
	defer stmt.Close()
	for k, d := range ds {
		if _, err := stmt.ExecContext(ctx, setupID, k.start, k.service, k.metric, d.count, d.sum.Lo, d.sum.Hi, d.min, d.max); err != nil {
			return err
		}
	}
	return nil
}

// rawRow is a sample as the raw tables keep it: its metrics as (metric id uvarint, value varint) pairs.
type rawRow struct {
	time    time.Time
	service int64
	metrics []byte
	values  []UsageMetric
	ids     []int64
}

// rawRows turns a report's samples into raw rows, leaving out the samples of closed hours and
// those the report holds twice (the first one counts); those are duplicates.
func (in *ingestion) rawRows(samples []UsageSample, closedBefore time.Time) ([]rawRow, error) {
	rows := make([]rawRow, 0, len(samples))
	seen := make(map[closedKey]bool, len(samples))
	for _, s := range samples {
		service, err := in.nameID(s.Service)
		if err != nil {
			return nil, err
		}
		if k := (closedKey{s.Time.Unix(), service}); seen[k] {
			continue
		} else {
			seen[k] = true
		}
		if s.Time.Before(closedBefore) {
			closed, err := in.isClosed(s.Time.Truncate(time.Hour).Unix(), service)
			if err != nil {
				return nil, err
			}
			if closed {
				continue
			}
		}
		row := rawRow{time: s.Time, service: service, values: s.Metrics, ids: make([]int64, len(s.Metrics))}
		for i, m := range s.Metrics {
			if row.ids[i], err = in.nameID(m.Name); err != nil {
				return nil, err
			}
			row.metrics = binary.AppendUvarint(row.metrics, uint64(row.ids[i]))
			row.metrics = binary.AppendVarint(row.metrics, m.Micro)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// count adds a stored sample to the roll-ups.
func (in *ingestion) count(row rawRow) {
	hour := row.time.Truncate(time.Hour).Unix()
	for i, m := range row.values {
		in.deltas.add(rollupKey{hour, row.service, row.ids[i]}, 1, SumOf(m.Micro), m.Micro, m.Micro)
	}
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
		WHERE setup_id = ? AND hour = ? AND service_id = ? LIMIT 1) AS x`, in.setupID, hour, service).Scan(&n)
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

// insertRaw stores raw rows in SQLite's table of each day, created as data arrives, and tells
// which rows were new.
func (sqliteDialect) insertRaw(ctx context.Context, tx *Tx, setupID int64, rows []rawRow) ([]bool, error) {
	fresh := make([]bool, len(rows))
	stmts := map[string]*Stmt{}
	defer func() {
		for _, st := range stmts {
			st.Close()
		}
	}()
	for i, row := range rows {
		day := row.time.UTC().Format("20060102")
		stmt := stmts[day]
		if stmt == nil {
			table := rawTablePrefix + day
			if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS `+table+` (
				setup_id   INTEGER NOT NULL,
				service_id INTEGER NOT NULL,
				t          INTEGER NOT NULL,
				metrics    BLOB    NOT NULL, -- (metric id uvarint, value varint) pairs
				PRIMARY KEY (setup_id, service_id, t)) WITHOUT ROWID`); err != nil {
				return nil, err
			}
			var err error
			if stmt, err = tx.PrepareContext(ctx, `INSERT OR IGNORE INTO `+table+` (setup_id, service_id, t, metrics) VALUES (?, ?, ?, ?)`); err != nil {
				return nil, err
			}
			stmts[day] = stmt
		}
		res, err := stmt.ExecContext(ctx, setupID, row.service, row.time.Unix(), row.metrics)
		if err != nil {
			return nil, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, err
		}
		fresh[i] = n > 0
	}
	return fresh, nil
}

// flushRollups adds the deltas to the hourly and daily roll-ups and returns the days whose cores changed.
func (in *ingestion) flushRollups() ([]string, error) {
	if err := in.deltas.flush(in.ctx, in.tx, in.setupID, "usage_hourly", "hour"); err != nil {
		return nil, err
	}
	if err := in.deltas.days().flush(in.ctx, in.tx, in.setupID, "usage_daily_metrics", "day"); err != nil {
		return nil, err
	}
	cores, err := in.nameID(CoresMetric)
	if err != nil {
		return nil, err
	}
	touched := map[string]bool{}
	for k := range in.deltas {
		if k.metric == cores {
			touched[time.Unix(k.start, 0).UTC().Format(time.DateOnly)] = true
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
	d := daily(rollups)
	_, err = tx.ExecContext(ctx, `INSERT INTO usage_daily (setup_id, day, peak_micro, billed, hours, cores_sum) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (setup_id, day) DO UPDATE SET peak_micro = excluded.peak_micro, billed = excluded.billed, hours = excluded.hours,
			cores_sum = excluded.cores_sum`, setupID, day, d.PeakMicro, d.Billed, d.Hours, d.CoresSum)
	if err != nil {
		return err
	}
	// The day's billed cores are what a month costs: its cached cost is no longer good.
	return bumpSetupCostVersion(ctx, tx, setupID)
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
		rows := make(map[rollupKey]HourlyUsage, len(hours)) // the first of each hour × service × metric
		var keys []rollupKey
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
			k := rollupKey{hour.Unix(), service, metric}
			if _, ok := rows[k]; !ok {
				h.Sum = h.Sum.Add(Sum{})
				rows[k] = h
				keys = append(keys, k)
			}
			if h.Metric == CoresMetric {
				days[hour.Format(time.DateOnly)] = true
			}
			if first.IsZero() || hour.Before(first) {
				first = hour
			}
		}
		added := rollupDeltas{} // by day: the hours that were new
		for len(keys) > 0 {     // in statements of up to 500 rows: fewer round trips, within SQLite's limit of arguments
			n := min(len(keys), 500)
			args := make([]any, 0, 9*n)
			for _, k := range keys[:n] {
				h := rows[k]
				args = append(args, setupID, k.start, k.service, k.metric, h.Count, h.Sum.Lo, h.Sum.Hi, h.Min, h.Max)
			}
			res, err := tx.QueryContext(ctx, `INSERT INTO usage_hourly (setup_id, hour, service_id, metric_id, count, sum, sum_hi, min, max)
				VALUES `+strings.Repeat("(?, ?, ?, ?, ?, ?, ?, ?, ?), ", n-1)+`(?, ?, ?, ?, ?, ?, ?, ?, ?)
				ON CONFLICT DO NOTHING RETURNING hour, service_id, metric_id`, args...)
			if err != nil {
				return err
			}
			for res.Next() {
				var k rollupKey
				if err := res.Scan(&k.start, &k.service, &k.metric); err != nil {
					res.Close()
					return err
				}
				h := rows[k]
				added.add(rollupKey{k.start - k.start%secondsPerDay, k.service, k.metric}, h.Count, h.Sum, h.Min, h.Max)
			}
			if err := res.Close(); err != nil {
				return err
			}
			if err := res.Err(); err != nil {
				return err
			}
			keys = keys[n:]
		}
		if first.IsZero() {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE setups SET first_sample_at = min(coalesce(first_sample_at, ?), ?) WHERE id = ?`,
			first.Unix(), first.Unix(), setupID); err != nil {
			return err
		}
		if err := added.flush(ctx, tx, setupID, "usage_daily_metrics", "day"); err != nil {
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
	Hours     int64 // the hours of the day with billable cores
	CoresSum  int64 // the sum of those hours' cores, in millionths: with Hours, the day's mean
}

// UsageDays lists the license's setups with their daily cores from day from to day to, inclusive.
func (db *DB) UsageDays(ctx context.Context, licenseID int64, from, to string) ([]SetupDays, error) {
	var setups []SetupDays
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.name, s.first_sample_at, d.day, d.peak_micro, d.billed, d.hours, d.cores_sum
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
			var peak, billed, hours, sum sql.NullInt64
			if err := rows.Scan(&id, &name, &first, &day, &peak, &billed, &hours, &sum); err != nil {
				return err
			}
			if len(setups) == 0 || setups[len(setups)-1].ID != id {
				setups = append(setups, SetupDays{ID: id, Name: name, FirstSample: fromUnix(first), Days: map[string]DayCores{}})
			}
			if day.Valid {
				setups[len(setups)-1].Days[day.String] = DayCores{PeakMicro: peak.Int64, Billed: billed.Int64, Hours: hours.Int64, CoresSum: sum.Int64}
			}
		}
		return rows.Err()
	})
	return setups, err
}

// HourlyUsage is one roll-up row to import: a setup's metric of one service in one hour, in millionths.
type HourlyUsage struct {
	Hour    time.Time
	Service string
	Metric  string
	Count   int64
	Sum     Sum
	Min     int64
	Max     int64
}

// Bucket is the span UsageBuckets sums roll-ups over.
type Bucket int

// The buckets of the usage page and API: hours are read from the hourly roll-ups, days and
// months from the daily ones, so a long period reads a row a day, not 24.
const (
	ByHour Bucket = iota
	ByDay
	ByMonth
)

// UsageBucket is a setup's metric of one service over an hour, a day or a month (UTC), in millionths.
type UsageBucket struct {
	Setup   string
	Start   time.Time
	Service string
	Metric  string
	Count   int64
	Sum     Sum
	Min     int64
	Max     int64
}

// UsageBuckets calls fn with each of the license's roll-ups summed by hour, day or month, over
// the buckets starting from from (inclusive) to to (exclusive), in no particular order. Names are
// shared between calls, so fn may keep them without copying; it returns an error to stop.
func (db *DB) UsageBuckets(ctx context.Context, licenseID int64, from, to time.Time, bucket Bucket, fn func(UsageBucket) error) error {
	// Hours and days are single rows, with their sum as (lo, hi); a month adds up its days here.
	if bucket == ByMonth {
		return db.usageMonths(ctx, licenseID, from, to, fn)
	}
	query := map[Bucket]string{
		ByHour: `SELECT h.setup_id, h.hour, h.service_id, h.metric_id, h.count, h.sum, h.sum_hi, h.min, h.max
			FROM setups s JOIN usage_hourly h ON h.setup_id = s.id WHERE s.license_id = ? AND h.hour >= ? AND h.hour < ?`,
		ByDay: `SELECT d.setup_id, d.day, d.service_id, d.metric_id, d.count, d.sum, d.sum_hi, d.min, d.max
			FROM setups s JOIN usage_daily_metrics d ON d.setup_id = s.id WHERE s.license_id = ? AND d.day >= ? AND d.day < ?`,
	}[bucket]
	if query == "" {
		return fmt.Errorf("unknown usage bucket %d", bucket)
	}
	return db.view(ctx, func(tx *Tx) error {
		setups, err := idNames(ctx, tx, `SELECT id, name FROM setups WHERE license_id = ?`, licenseID)
		if err != nil {
			return err
		}
		names, err := db.newNameReader(ctx)
		if err != nil {
			return err
		}
		defer names.close()
		rows, err := tx.QueryContext(ctx, query, licenseID, from.Unix(), to.Unix())
		if err != nil {
			return err
		}
		defer rows.Close()
		var setup, start, service, metric, lo, hi int64
		var b UsageBucket
		dest := []any{&setup, &start, &service, &metric, &b.Count, &lo, &hi, &b.Min, &b.Max}
		for rows.Next() {
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			b.Setup = setups[setup]
			if b.Service, err = names.name(service); err != nil {
				return err
			}
			if b.Metric, err = names.name(metric); err != nil {
				return err
			}
			b.Start = time.Unix(start, 0).UTC()
			b.Sum = Sum{Hi: hi, Lo: lo}.Add(Sum{})
			if err := fn(b); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// usageMonths sums the daily roll-ups of each UTC month.
func (db *DB) usageMonths(ctx context.Context, licenseID int64, from, to time.Time, fn func(UsageBucket) error) error {
	type key struct {
		setup, service, metric string
		month                  time.Time
	}
	months := map[key]*UsageBucket{}
	var order []key
	err := db.UsageBuckets(ctx, licenseID, from, to, ByDay, func(d UsageBucket) error {
		k := key{d.Setup, d.Service, d.Metric, time.Date(d.Start.Year(), d.Start.Month(), 1, 0, 0, 0, 0, time.UTC)}
		m := months[k]
		if m == nil {
			m = &UsageBucket{Setup: d.Setup, Start: k.month, Service: d.Service, Metric: d.Metric, Min: d.Min, Max: d.Max}
			months[k] = m
			order = append(order, k)
		}
		m.Count += d.Count
		m.Sum = m.Sum.Add(d.Sum)
		m.Min, m.Max = min(m.Min, d.Min), max(m.Max, d.Max)
		return nil
	})
	if err != nil {
		return err
	}
	for _, k := range order {
		if err := fn(*months[k]); err != nil {
			return err
		}
	}
	return nil
}

// nameReader reads service and metric names by id, each once, on a connection of its own: a
// name never changes once written, and PostgreSQL runs one query at a time on a connection, so
// the names cannot be read on the transaction whose rows are being read.
type nameReader struct {
	ctx   context.Context
	stmt  *sql.Stmt
	names map[int64]string
}

func (db *DB) newNameReader(ctx context.Context) (*nameReader, error) {
	stmt, err := db.read.PrepareContext(ctx, db.dialect.query(`SELECT name FROM usage_names WHERE id = ?`))
	return &nameReader{ctx: ctx, stmt: stmt, names: map[int64]string{}}, err
}

func (r *nameReader) name(id int64) (string, error) {
	if name, ok := r.names[id]; ok {
		return name, nil
	}
	var name string
	err := r.stmt.QueryRowContext(r.ctx, id).Scan(&name)
	r.names[id] = name
	return name, err
}

func (r *nameReader) close() { r.stmt.Close() }

// idNames reads (id, name) rows into a map.
func idNames(ctx context.Context, tx *Tx, query string, args ...any) (map[int64]string, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	names := map[int64]string{}
	for rows.Next() {
		var id int64
		var name string
		if err := rows.Scan(&id, &name); err != nil {
			return nil, err
		}
		names[id] = name
	}
	return names, rows.Err()
}

// PruneRawUsage drops the raw sample tables of the days before day before (YYYY-MM-DD), one
// whole day at a time, and returns how many it dropped. Roll-ups and daily cores stay.
func (db *DB) PruneRawUsage(ctx context.Context, before string) (int, error) {
	limit := rawTablePrefix + strings.ReplaceAll(before, "-", "")
	var tables []string
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, tx.d.rawTables(), limit)
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
