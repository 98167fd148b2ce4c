package store

import (
	"context"
	"strings"
)

// InvoiceReminder is an overdue reminder sent about an invoice.
type InvoiceReminder struct {
	InvoiceID  int64
	Nth        int    // 1, 2 or 3
	SentOn     string // YYYY-MM-DD
	Recipients []string
}

// ReminderCandidate is an invoice unpaid past its due date, with the reminders sent so far.
type ReminderCandidate struct {
	InvoiceID int64
	DueDate   string
	Sent      int    // reminders sent
	LastSent  string // day of the last one, "" for none
}

// OverdueInvoices lists the issued invoices due before today that have had fewer than max
// reminders. An issued invoice is unpaid: payments that cover it make it paid.
func (db *DB) OverdueInvoices(ctx context.Context, today string, max int) ([]ReminderCandidate, error) {
	var out []ReminderCandidate
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT i.id, i.due_date, count(r.nth), coalesce(max(r.sent_on), '')
			FROM invoices i LEFT JOIN invoice_reminders r ON r.invoice_id = i.id
			WHERE i.status = 'issued' AND i.due_date < ?
			GROUP BY i.id HAVING count(r.nth) < ? ORDER BY i.id`, today, max)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c ReminderCandidate
			if err := rows.Scan(&c.InvoiceID, &c.DueDate, &c.Sent, &c.LastSent); err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// RecordInvoiceReminder records a reminder and enqueues its emails in one transaction; a
// reminder already recorded (another run sent it) is ErrConflict, and nothing is sent again.
func (db *DB) RecordInvoiceReminder(ctx context.Context, r InvoiceReminder, emails []Email) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_reminders (invoice_id, nth, sent_on, recipients) VALUES (?, ?, ?, ?)`,
			r.InvoiceID, r.Nth, r.SentOn, strings.Join(r.Recipients, ", ")); err != nil {
			return err
		}
		return enqueueEmails(ctx, tx, emails)
	})
}

// InvoiceReminders lists the reminders sent about an invoice, first first.
func (db *DB) InvoiceReminders(ctx context.Context, invoiceID int64) ([]InvoiceReminder, error) {
	var out []InvoiceReminder
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT invoice_id, nth, sent_on, recipients FROM invoice_reminders
			WHERE invoice_id = ? ORDER BY nth`, invoiceID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r InvoiceReminder
			var to string
			if err := rows.Scan(&r.InvoiceID, &r.Nth, &r.SentOn, &to); err != nil {
				return err
			}
			if to != "" {
				r.Recipients = strings.Split(to, ", ")
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	return out, err
}

// OrgOwnerEmails are the addresses of an organization's active owners: who is told about its invoices.
func (db *DB) OrgOwnerEmails(ctx context.Context, orgID int64) ([]string, error) {
	return db.strings(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND m.role = 'owner' AND u.active = 1 ORDER BY u.email`, orgID)
}
