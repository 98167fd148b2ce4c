package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// OverageAlert is the one alert of a license and month (DESIGN §11): the first day of the month
// with extra cores, that day's extra cores and the month's extra cost when it was sent.
type OverageAlert struct {
	LicenseID  int64
	Month      string // YYYY-MM
	Day        string // YYYY-MM-DD
	ExtraCores int64
	ExtraCost  string // a decimal in Currency
	Currency   string
	Recipients []string // none when the license's alerts are off
	CreatedAt  time.Time
}

// DayBilled is a license's billed cores of one day over its setups: their sum, and the largest.
type DayBilled struct {
	Sum, Max int64
}

// OverageCheck is what tells, cheaply, whether a report may have made a license go over its
// prepaid cores in a month: whether the month's alert is recorded already, the billed cores of the
// days asked about and the fewest prepaid cores any version of its terms has.
type OverageCheck struct {
	Recorded   bool
	Days       map[string]DayBilled
	MinPrepaid int64
}

// CheckOverage reads a license's OverageCheck for month (YYYY-MM) and days (YYYY-MM-DD).
func (db *DB) CheckOverage(ctx context.Context, licenseID int64, month string, days []string) (OverageCheck, error) {
	oc := OverageCheck{Days: map[string]DayBilled{}}
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM overage_alerts WHERE license_id = ? AND month = ?`,
			licenseID, month).Scan(&oc.Recorded); err != nil || oc.Recorded || len(days) == 0 {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(min(prepaid_cores), 0) FROM license_terms WHERE license_id = ?`,
			licenseID).Scan(&oc.MinPrepaid); err != nil {
			return err
		}
		args := []any{licenseID}
		for _, d := range days {
			args = append(args, d)
		}
		rows, err := tx.QueryContext(ctx, `SELECT d.day, sum(d.billed), max(d.billed) FROM usage_daily d
			JOIN setups s ON s.id = d.setup_id WHERE s.license_id = ? AND d.day IN (`+placeholders(len(days))+`) GROUP BY d.day`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var day string
			var b DayBilled
			if err := rows.Scan(&day, &b.Sum, &b.Max); err != nil {
				return err
			}
			oc.Days[day] = b
		}
		return rows.Err()
	})
	return oc, err
}

// MayHaveExtra tells whether a day may have extra cores under some version of the terms: more
// than one setup billed, or one billed beyond the fewest prepaid cores. (The cost engine decides;
// this only spares it the days that cannot.)
func (oc OverageCheck) MayHaveExtra(day string) bool {
	b := oc.Days[day]
	return b.Sum > b.Max || b.Max > oc.MinPrepaid
}

// RecordOverageAlert records a license's alert of the month with its emails and its usage.overage
// webhook event (data), in one transaction; false when the month's alert was recorded already, and
// nothing is sent again.
func (db *DB) RecordOverageAlert(ctx context.Context, a OverageAlert, emails []Email, data any) (bool, error) {
	var recorded bool
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO overage_alerts (license_id, month, day, extra_cores, extra_cost, currency,
			recipients, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, a.LicenseID, a.Month, a.Day,
			a.ExtraCores, a.ExtraCost, a.Currency, strings.Join(a.Recipients, ", "), tx.now.Unix())
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		recorded = true
		var orgID int64
		if err := tx.QueryRowContext(ctx, `SELECT coalesce(organization_id, distributor_id) FROM licenses WHERE id = ?`,
			a.LicenseID).Scan(&orgID); err != nil {
			return notFoundOr(err)
		}
		if _, err := queueEvent(ctx, tx, "usage.overage", orgID, func() (any, error) { return data, nil }); err != nil {
			return err
		}
		return enqueueEmails(ctx, tx, emails)
	})
	return recorded, err
}

// OverageAlerts lists a license's alerts, newest first.
func (db *DB) OverageAlerts(ctx context.Context, licenseID int64) ([]OverageAlert, error) {
	var as []OverageAlert
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT license_id, month, day, extra_cores, extra_cost, currency, recipients, created_at
			FROM overage_alerts WHERE license_id = ? ORDER BY month DESC`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a OverageAlert
			var to string
			var at int64
			if err := rows.Scan(&a.LicenseID, &a.Month, &a.Day, &a.ExtraCores, &a.ExtraCost, &a.Currency, &to, &at); err != nil {
				return err
			}
			a.CreatedAt = time.Unix(at, 0).UTC()
			if to != "" {
				a.Recipients = strings.Split(to, ", ")
			}
			as = append(as, a)
		}
		return rows.Err()
	})
	return as, err
}

// LicensesOverageUnrecorded lists the licenses with billed cores on a day from from (YYYY-MM-DD)
// on and no alert recorded for month: those a crash may have left unalerted.
func (db *DB) LicensesOverageUnrecorded(ctx context.Context, month, from string) ([]License, error) {
	return db.licensesWhere(ctx, `l.id IN (SELECT s.license_id FROM setups s JOIN usage_daily d ON d.setup_id = s.id
		WHERE d.day >= ? AND d.billed > 0) AND NOT EXISTS (SELECT 1 FROM overage_alerts a WHERE a.license_id = l.id AND a.month = ?)`,
		from, month)
}

// OverageRecipients are the addresses an overage alert goes to: the owners of the client and of
// the issuer (its distributor, or the vendor), active, less those who opted out; each once.
func (db *DB) OverageRecipients(ctx context.Context, clientID, issuerID int64) ([]string, error) {
	return db.strings(ctx, `SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE u.active = 1 AND m.role = 'owner' AND m.org_id IN (?, ?)
		AND NOT EXISTS (SELECT 1 FROM overage_alert_optouts x WHERE x.user_id = u.id) ORDER BY u.email`, clientID, issuerID)
}

// OverageOptedOut tells whether a user turned overage alerts off for themself.
func (db *DB) OverageOptedOut(ctx context.Context, userID int64) (bool, error) {
	var out bool
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM overage_alert_optouts WHERE user_id = ?`, userID).Scan(&out)
	})
	return out, err
}

// SetOverageOptOut turns a user's overage alerts off (optOut) or on again, with its audit entry.
func (db *DB) SetOverageOptOut(ctx context.Context, userID int64, optOut bool, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		var err error
		if optOut {
			_, err = tx.ExecContext(ctx, `INSERT INTO overage_alert_optouts (user_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				userID, tx.now.Unix())
		} else {
			_, err = tx.ExecContext(ctx, `DELETE FROM overage_alert_optouts WHERE user_id = ?`, userID)
		}
		if err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("user %d", userID)
		return insertAudit(ctx, tx, audit)
	})
}
