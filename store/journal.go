package store

import (
	"context"
	"database/sql"
	"time"
)

// Kinds of journal entries: what raises (debit) or lowers (credit) what a client owes.
const (
	JournalInvoice         = "invoice"          // an issued invoice: debit
	JournalPayment         = "payment"          // a payment: credit
	JournalPaymentReversed = "payment_reversed" // a payment reversed: debit
	JournalVoid            = "void"             // a void invoice's debit reversed: credit
	JournalCredit          = "credit"           // a manual credit note
	JournalDebit           = "debit"            // a manual debit
)

// JournalEntry is a line of a client's journal in one currency; entries are never changed.
type JournalEntry struct {
	ID          int64
	OrgID       int64
	Currency    string
	Date        string // YYYY-MM-DD
	Kind        string
	Description string
	Debit       int64 // minor units, 0 or more
	Credit      int64 // minor units, 0 or more
	InvoiceID   int64 // 0: none
	PaymentID   int64 // 0: none
	CreatedBy   int64
	CreatedAt   time.Time
}

func insertJournalEntry(ctx context.Context, tx *Tx, e *JournalEntry) error {
	e.CreatedAt = tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO journal_entries (organization_id, currency, date, kind, description, debit,
		credit, invoice_id, payment_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		e.OrgID, e.Currency, e.Date, e.Kind, e.Description, e.Debit, e.Credit, nullID(e.InvoiceID), nullID(e.PaymentID),
		nullID(e.CreatedBy), tx.now.Unix())
	if err != nil {
		return err
	}
	e.ID, err = res.LastInsertId()
	return err
}

// AddJournalEntry records a manual adjustment or credit note on a client's journal, with an audit entry.
func (db *DB) AddJournalEntry(ctx context.Context, e *JournalEntry, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := insertJournalEntry(ctx, tx, e); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// Journal lists a client's journal, all currencies, oldest first: by date, then in the order the
// entries were recorded.
func (db *DB) Journal(ctx context.Context, orgID int64) ([]JournalEntry, error) {
	var es []JournalEntry
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, organization_id, currency, date, kind, description, debit, credit,
			coalesce(invoice_id, 0), coalesce(payment_id, 0), coalesce(created_by, 0), created_at
			FROM journal_entries WHERE organization_id = ? ORDER BY date, id`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e JournalEntry
			var created sql.NullInt64
			if err := rows.Scan(&e.ID, &e.OrgID, &e.Currency, &e.Date, &e.Kind, &e.Description, &e.Debit, &e.Credit,
				&e.InvoiceID, &e.PaymentID, &e.CreatedBy, &created); err != nil {
				return err
			}
			e.CreatedAt = fromUnix(created)
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, err
}
