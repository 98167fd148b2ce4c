package store

import (
	"context"
	"time"
)

// DashboardScope is what a home dashboard counts: every organization (staff), or the licenses
// and invoices of these distributors and their clients.
type DashboardScope struct {
	All            bool
	DistributorIDs []int64
}

// Dashboard is what the home page of a distributor or of staff shows (DESIGN §8).
type Dashboard struct {
	Clients, SuspendedClients int
	ByStatus                  map[string]int // licenses per status, as of today
	Ending30, Ending60        int            // licenses usable today whose end date falls within 30 / 60 days
	Ending90                  int
	EndingSoon                []License // those ending within 30 days, soonest first (at most EndingListed)
	OpenRequests              int       // license requests waiting for a decision
	Drafts                    int       // invoices to issue
	OverdueInvoices           int
}

// EndingListed bounds the licenses ending within 30 days a dashboard lists by name.
const EndingListed = 20

// Dashboard counts what a distributor's or staff's home page shows, in one read transaction.
func (db *DB) Dashboard(ctx context.Context, sc DashboardScope) (Dashboard, error) {
	d := Dashboard{ByStatus: map[string]int{}}
	orgWhere, licWhere, reqWhere, invWhere := "", "", "", ""
	var scope []any
	if !sc.All {
		in := placeholders(len(sc.DistributorIDs))
		orgWhere = ` AND o.parent_id IN (` + in + `)`
		licWhere = ` AND l.distributor_id IN (` + in + `)`
		reqWhere = ` AND r.distributor_id IN (` + in + `)`
		invWhere = ` AND i.issuer_id IN (` + in + `)`
		scope = ids(sc.DistributorIDs)
	}
	err := db.view(ctx, func(tx *Tx) error {
		today := tx.today()
		day := func(n int) string { return tx.now.AddDate(0, 0, n).Format(time.DateOnly) }
		if err := tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN o.status = 'suspended' THEN 1 ELSE 0 END), 0)
			FROM organizations o WHERE o.kind = 'client'`+orgWhere, scope...).Scan(&d.Clients, &d.SuspendedClients); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+licenseStatus+` AS st, count(*) FROM licenses l CROSS JOIN (SELECT ? AS today) t
			WHERE 1 = 1`+licWhere+` GROUP BY st`, append([]any{today}, scope...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var st string
			var n int
			if err := rows.Scan(&st, &n); err != nil {
				rows.Close()
				return err
			}
			d.ByStatus[st] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// Usable today (not denied, not finalized) and ending: the end date is exclusive.
		ending := ` l.end_date > ? AND l.status IN ('pending_start', 'in_use')`
		if err := tx.QueryRowContext(ctx, `SELECT
				coalesce(sum(CASE WHEN l.end_date <= ? THEN 1 ELSE 0 END), 0),
				coalesce(sum(CASE WHEN l.end_date <= ? THEN 1 ELSE 0 END), 0), count(*)
			FROM licenses l WHERE l.end_date <= ? AND`+ending+licWhere,
			append([]any{day(30), day(60), day(90), today}, scope...)...).Scan(&d.Ending30, &d.Ending60, &d.Ending90); err != nil {
			return err
		}
		if d.EndingSoon, err = queryLicenses(ctx, tx, licenseSelect+` WHERE l.end_date <= ? AND`+ending+licWhere+
			` ORDER BY l.end_date, l.id LIMIT ?`, append(append([]any{today, day(30), today}, scope...), EndingListed)...); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM license_requests r WHERE r.status = 'open'`+reqWhere,
			scope...).Scan(&d.OpenRequests); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices i WHERE i.status = 'draft'`+invWhere,
			scope...).Scan(&d.Drafts); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices i WHERE `+overdueInvoice+invWhere,
			append([]any{today}, scope...)...).Scan(&d.OverdueInvoices)
	})
	return d, err
}

// queryLicenses runs a query selecting licenseSelect's columns, without the licenses' features.
func queryLicenses(ctx context.Context, tx *Tx, query string, args ...any) ([]License, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ls []License
	for rows.Next() {
		var l License
		if err := scanLicense(rows, &l); err != nil {
			return nil, err
		}
		ls = append(ls, l)
	}
	return ls, rows.Err()
}

// MonthCost is a license's cost of a month so far, as the client's home dashboard shows it: a
// cached copy of the cost engine's estimate (app/billing), good for one day and one cost version.
type MonthCost struct {
	LicenseID      int64
	Month          string // YYYY-MM
	Day            string // YYYY-MM-DD it was computed on
	Version        int64  // the license's cost_version it was computed from
	Currency       string
	Total          int64 // minor units
	ProjectedTotal int64
	ExtraCores     int64
	Complete       bool
}

// CostVersions returns the cost_version of each license: a month cost computed after reading it
// is stored with it, and is read back only while the license still has that version.
func (db *DB) CostVersions(ctx context.Context, licenseIDs []int64) (map[int64]int64, error) {
	out := make(map[int64]int64, len(licenseIDs))
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, cost_version FROM licenses WHERE id IN (`+placeholders(len(licenseIDs))+`)`,
			ids(licenseIDs)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id, v int64
			if err := rows.Scan(&id, &v); err != nil {
				return err
			}
			out[id] = v
		}
		return rows.Err()
	})
	return out, err
}

// MonthCosts returns the cached costs of a month that are still good today: computed today, from
// the license's current cost version. Others are missing from the map.
func (db *DB) MonthCosts(ctx context.Context, licenseIDs []int64, month string) (map[int64]MonthCost, error) {
	out := make(map[int64]MonthCost, len(licenseIDs))
	err := db.view(ctx, func(tx *Tx) error {
		args := append([]any{month, tx.today()}, ids(licenseIDs)...)
		rows, err := tx.QueryContext(ctx, `SELECT c.license_id, c.month, c.day, c.version, c.currency, c.total,
			c.projected_total, c.extra_cores, c.complete FROM license_month_costs c JOIN licenses l ON l.id = c.license_id
			WHERE c.month = ? AND c.day = ? AND c.version = l.cost_version AND c.license_id IN (`+placeholders(len(licenseIDs))+`)`,
			args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m MonthCost
			if err := rows.Scan(&m.LicenseID, &m.Month, &m.Day, &m.Version, &m.Currency, &m.Total, &m.ProjectedTotal,
				&m.ExtraCores, &m.Complete); err != nil {
				return err
			}
			out[m.LicenseID] = m
		}
		return rows.Err()
	})
	return out, err
}

// SaveMonthCost stores a computed month cost. One computed from a version the license has left
// since is stored too, and is simply never read.
func (db *DB) SaveMonthCost(ctx context.Context, m MonthCost) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO license_month_costs (license_id, month, day, version, currency, total,
			projected_total, extra_cores, complete) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (license_id, month) DO UPDATE SET day = excluded.day, version = excluded.version,
				currency = excluded.currency, total = excluded.total, projected_total = excluded.projected_total,
				extra_cores = excluded.extra_cores, complete = excluded.complete`,
			m.LicenseID, m.Month, m.Day, m.Version, m.Currency, m.Total, m.ProjectedTotal, m.ExtraCores, m.Complete)
		return err
	})
}

// bumpSetupCostVersion invalidates the cached month costs of the license a setup belongs to.
func bumpSetupCostVersion(ctx context.Context, tx *Tx, setupID int64) error {
	_, err := tx.ExecContext(ctx, `UPDATE licenses SET cost_version = cost_version + 1
		WHERE id = (SELECT license_id FROM setups WHERE id = ?)`, setupID)
	return err
}
