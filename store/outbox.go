package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// Email is a message in the outbox.
type Email struct {
	ID            int64
	MessageID     string // stable across delivery attempts, so receivers can drop duplicates
	To            string
	Subject       string
	Text          string
	HTML          string
	Template      string // which template wrote it
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	SentAt        time.Time
	FailedAt      time.Time // set when delivery was given up
	LastError     string
	InvoicePDFID  int64 // an invoice PDF (InvoicePDFByID) to attach; 0 for none
}

// enqueueEmails adds emails to the outbox within tx, so they exist exactly when the action
// that causes them is committed. Every store method whose action sends email takes them.
func enqueueEmails(ctx context.Context, tx *Tx, emails []Email) error {
	for _, e := range emails {
		if _, err := tx.ExecContext(ctx, `INSERT INTO outbox (message_id, to_addr, subject, text_body, html_body, template,
			created_at, next_attempt_at, invoice_pdf_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			e.MessageID, e.To, e.Subject, e.Text, e.HTML, e.Template, tx.now.Unix(), tx.now.Unix(), nullID(e.InvoicePDFID)); err != nil {
			return err
		}
	}
	return nil
}

// EnqueueEmails adds emails to the outbox on their own, for emails no other change goes with.
func (db *DB) EnqueueEmails(ctx context.Context, emails ...Email) error {
	return db.update(ctx, func(tx *Tx) error { return enqueueEmails(ctx, tx, emails) })
}

const emailColumns = `id, message_id, to_addr, subject, text_body, html_body, template, created_at, attempts,
	next_attempt_at, sent_at, failed_at, last_error, coalesce(invoice_pdf_id, 0)`

func scanEmail(row interface{ Scan(...any) error }, e *Email) error {
	var created, next, sent, failed sql.NullInt64
	if err := row.Scan(&e.ID, &e.MessageID, &e.To, &e.Subject, &e.Text, &e.HTML, &e.Template, &created, &e.Attempts,
		&next, &sent, &failed, &e.LastError, &e.InvoicePDFID); err != nil {
		return notFoundOr(err)
	}
	e.CreatedAt, e.NextAttemptAt, e.SentAt, e.FailedAt = fromUnix(created), fromUnix(next), fromUnix(sent), fromUnix(failed)
	return nil
}

// DueEmails lists up to limit unsent emails whose next attempt has come, oldest first.
func (db *DB) DueEmails(ctx context.Context, limit int) ([]Email, error) {
	var es []Email
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		es, err = queryEmails(ctx, tx, `SELECT `+emailColumns+` FROM outbox
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?`,
			tx.now.Unix(), limit)
		return err
	})
	return es, err
}

func queryEmails(ctx context.Context, tx *Tx, query string, args ...any) ([]Email, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var es []Email
	for rows.Next() {
		var e Email
		if err := scanEmail(rows, &e); err != nil {
			return nil, err
		}
		es = append(es, e)
	}
	return es, rows.Err()
}

// ResumeEmails makes every email that waits for a retry due now and tells how many there were.
func (db *DB) ResumeEmails(ctx context.Context) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE outbox SET next_attempt_at = ?
			WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at > ?`, tx.now.Unix(), tx.now.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// EmailOutcome is how an attempt at an email ended: sent, or failed with a reason and the time of
// the next attempt (zero: given up).
type EmailOutcome struct {
	Sent   bool
	Reason string
	Next   time.Time
}

// DeliverEmail makes one attempt at the email id and records its outcome, unless it is no longer
// due or another instance's worker is at it (held is then false): each email goes out once in
// normal running, whichever instances deliver the outbox.
func (db *DB) DeliverEmail(ctx context.Context, id int64, attempt func(Email) EmailOutcome) (held bool, err error) {
	var e Email
	var out EmailOutcome
	return db.hold(ctx, "FOR UPDATE SKIP LOCKED", func(tx *Tx, lock string) (bool, error) {
		err := scanEmail(tx.QueryRowContext(ctx, `SELECT `+emailColumns+` FROM outbox
			WHERE id = ? AND sent_at IS NULL AND failed_at IS NULL`+lock, id), &e)
		if errors.Is(err, ErrNotFound) {
			return false, nil
		}
		return err == nil, err
	}, func() error {
		out = attempt(e)
		return nil
	}, func(tx *Tx) error {
		return markEmail(ctx, tx, id, out)
	})
}

func markEmail(ctx context.Context, tx *Tx, id int64, out EmailOutcome) error {
	var err error
	switch {
	case out.Sent:
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET sent_at = ?, attempts = attempts + 1, last_error = '' WHERE id = ?`,
			tx.now.Unix(), id)
	case out.Next.IsZero():
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, failed_at = ? WHERE id = ?`,
			out.Reason, tx.now.Unix(), id)
	default:
		_, err = tx.ExecContext(ctx, `UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?`,
			out.Reason, out.Next.Unix(), id)
	}
	return err
}

// Outbox states, as the staff outbox page filters them.
const (
	EmailPending = "pending"
	EmailSent    = "sent"
	EmailFailed  = "failed"
)

// ListEmails lists the outbox newest first, all or in one state, and how many match in all.
func (db *DB) ListEmails(ctx context.Context, state string, limit, offset int) ([]Email, int, error) {
	cond := map[string]string{
		EmailPending: ` WHERE sent_at IS NULL AND failed_at IS NULL`,
		EmailSent:    ` WHERE sent_at IS NOT NULL`,
		EmailFailed:  ` WHERE failed_at IS NOT NULL`,
	}[state]
	var es []Email
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM outbox`+cond).Scan(&total); err != nil {
			return err
		}
		var err error
		es, err = queryEmails(ctx, tx, `SELECT `+emailColumns+` FROM outbox`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, limit, offset)
		return err
	})
	return es, total, err
}

// State is pending, sent or failed.
func (e Email) State() string {
	switch {
	case !e.SentAt.IsZero():
		return EmailSent
	case !e.FailedAt.IsZero():
		return EmailFailed
	}
	return EmailPending
}
