package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Notification is an expiry email of a license's ladder, sent once per step and end date.
type Notification struct {
	ID         int64
	LicenseID  int64
	EndDate    string
	Step       string
	SentAt     time.Time
	Recipients []string
}

// RecordNotification records a step of the ladder and enqueues its emails in one transaction;
// a step already recorded for that end date is ErrConflict, and nothing is sent again.
func (db *DB) RecordNotification(ctx context.Context, n Notification, emails []Email) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_notifications (license_id, end_date, step, sent_at, recipients)
			VALUES (?, ?, ?, ?, ?)`, n.LicenseID, n.EndDate, n.Step, tx.now.Unix(), strings.Join(n.Recipients, ", ")); err != nil {
			return err
		}
		return enqueueEmails(ctx, tx, emails)
	})
}

// LicenseNotifications lists the notifications of a license, newest first.
func (db *DB) LicenseNotifications(ctx context.Context, licenseID int64) ([]Notification, error) {
	var ns []Notification
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, license_id, end_date, step, sent_at, recipients FROM license_notifications
			WHERE license_id = ? ORDER BY sent_at DESC, id DESC`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n Notification
			var at sql.NullInt64
			var to string
			if err := rows.Scan(&n.ID, &n.LicenseID, &n.EndDate, &n.Step, &at, &to); err != nil {
				return err
			}
			n.SentAt = fromUnix(at)
			if to != "" {
				n.Recipients = strings.Split(to, ", ")
			}
			ns = append(ns, n)
		}
		return rows.Err()
	})
	return ns, err
}

// SentSteps tells which steps were sent for a license and end date.
func (db *DB) SentSteps(ctx context.Context, licenseID int64, endDate string) (map[string]bool, error) {
	list, err := db.strings(ctx, `SELECT step FROM license_notifications WHERE license_id = ? AND end_date = ?`, licenseID, endDate)
	steps := map[string]bool{}
	for _, s := range list {
		steps[s] = true
	}
	return steps, err
}

// LicensesEndingBetween lists the provisioned licenses whose end date is within [from, to].
func (db *DB) LicensesEndingBetween(ctx context.Context, from, to string) ([]License, error) {
	return db.licensesWhere(ctx, `l.status <> 'pending_provision' AND l.end_date BETWEEN ? AND ?`, from, to)
}

// LicensesDue lists the licenses the day's lifecycle must change: pending_start ones whose start
// date has come, and usable ones whose end date has come.
func (db *DB) LicensesDue(ctx context.Context, today string) ([]License, error) {
	return db.licensesWhere(ctx, `(l.status = 'pending_start' AND l.start_date <= ?) OR
		(l.status IN ('pending_start', 'in_use', 'access_denied') AND l.end_date <= ?)`, today, today)
}

func (db *DB) licensesWhere(ctx context.Context, where string, args ...any) ([]License, error) {
	var ls []License
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, licenseSelect+` WHERE `+where+` ORDER BY l.id`, append([]any{tx.today()}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var l License
			if err := scanLicense(rows, &l); err != nil {
				return err
			}
			ls = append(ls, l)
		}
		return rows.Err()
	})
	return ls, err
}

// LicenseRecipients are the addresses told about a license: the client's owners and the
// distributor's members, each once.
func (db *DB) LicenseRecipients(ctx context.Context, clientID, distributorID int64) ([]string, error) {
	return db.strings(ctx, `SELECT DISTINCT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE u.active = 1 AND ((m.org_id = ? AND m.role = 'owner') OR m.org_id = ?) ORDER BY u.email`, clientID, distributorID)
}

// strings runs a query of one text column.
func (db *DB) strings(ctx context.Context, query string, args ...any) ([]string, error) {
	var out []string
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				return err
			}
			out = append(out, s)
		}
		return rows.Err()
	})
	return out, err
}
