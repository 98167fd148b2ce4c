package store

// Invoices, their lines, payments and PDF versions, the issuers' invoicing settings and the
// periods the daily job has invoiced (DESIGN §7). The rules (arithmetic, statuses, numbering
// format, periods) live in app/invoice; this file only keeps what the app decides.
//
// How the app uses it:
//
//   - Settings: InvoiceSettings(issuerID) (the defaults when never saved), SaveInvoiceSettings.
//   - Drafts: CreateInvoice (a draft with its lines), FindInvoice (lines and payments included),
//     Invoices (a page of a list; lines not loaded, Paid summed), DeleteDraft.
//   - Every later change goes through ChangeInvoice(id, change): it reads the invoice in a write
//     transaction, lets change modify it (status, dates, lines while a draft, payments appended or
//     marked reversed) and return what goes with it (journal entries, a PDF version, emails, audit
//     entries), then writes it all at once. InvoiceTx gives change the next number of an issuer's
//     year (NextNumber: gapless, since a failed change rolls the counter back) and the client's
//     credit totals. Issuing, voiding, payments, reversals and PDF uploads are such changes.
//   - PDFs: InvoicePDFs (the versions, without content), InvoicePDF (one version, or the latest
//     with pdfID 0), InvoicePDFByID (for the email worker: Email.InvoicePDFID).
//   - Generated invoices: InvoiceableLicenses, GeneratedPeriods (what the job has done),
//     SaveGenerations (the job's batch: markers and drafts), CreateGeneratedInvoice (one period on
//     request, ErrConflict when a live invoice exists), FindGeneratedInvoice.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"
)

// Defaults of an issuer that never saved its invoicing settings; the columns' defaults agree.
const (
	defaultInvoicePrefix = "INV"
	defaultPaymentTerms  = 30
	defaultInvoiceCur    = "EUR"
)

// InvoiceSettings are an issuer's invoicing settings.
type InvoiceSettings struct {
	OrgID        int64
	Prefix       string
	PaymentTerms int   // days from issue to due date
	TaxRate      int64 // hundredths of a percent: the default of new invoices
	Currency     string
	BankDetails  string
	Footer       string
	AutoIssue    bool      // issue generated drafts at once
	UpdatedAt    time.Time // zero: never saved, these are the defaults
}

// InvoiceSettings returns an issuer's settings, or the defaults when it never saved any.
func (db *DB) InvoiceSettings(ctx context.Context, orgID int64) (InvoiceSettings, error) {
	var s InvoiceSettings
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		s, err = findInvoiceSettings(ctx, tx, orgID)
		return err
	})
	return s, err
}

func findInvoiceSettings(ctx context.Context, tx *Tx, orgID int64) (InvoiceSettings, error) {
	s := InvoiceSettings{OrgID: orgID, Prefix: defaultInvoicePrefix, PaymentTerms: defaultPaymentTerms, Currency: defaultInvoiceCur}
	var updated sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT prefix, payment_terms, tax_rate, currency, bank_details, footer, auto_issue, updated_at
		FROM invoice_settings WHERE org_id = ?`, orgID).Scan(&s.Prefix, &s.PaymentTerms, &s.TaxRate, &s.Currency,
		&s.BankDetails, &s.Footer, &s.AutoIssue, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return s, nil
	}
	s.UpdatedAt = fromUnix(updated)
	return s, err
}

// SaveInvoiceSettings stores an issuer's settings with an audit entry.
func (db *DB) SaveInvoiceSettings(ctx context.Context, s *InvoiceSettings, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		s.UpdatedAt = tx.now
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_settings (org_id, prefix, payment_terms, tax_rate, currency,
			bank_details, footer, auto_issue, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (org_id) DO UPDATE SET prefix = excluded.prefix, payment_terms = excluded.payment_terms,
			tax_rate = excluded.tax_rate, currency = excluded.currency, bank_details = excluded.bank_details,
			footer = excluded.footer, auto_issue = excluded.auto_issue, updated_at = excluded.updated_at`,
			s.OrgID, s.Prefix, s.PaymentTerms, s.TaxRate, s.Currency, s.BankDetails, s.Footer, s.AutoIssue, tx.now.Unix()); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// Invoice is an invoice of a client organization, issued by its issuer (the organization above it).
// Money is in minor units of Currency; days are YYYY-MM-DD ("" when unset).
type Invoice struct {
	ID         int64
	IssuerID   int64
	IssuerName string
	OrgID      int64 // the client
	OrgName    string
	LicenseID  int64 // 0: none
	Kind       string
	Status     string // draft, issued, paid, void: overdue is derived
	Number     string // "" while a draft
	Year       int    // of the number
	Seq        int64  // of the number
	Currency   string
	TaxRate    int64 // hundredths of a percent
	Subtotal   int64
	Tax        int64
	Total      int64
	Paid       int64 // Σ unreversed payments, read only
	PeriodKey  string
	PeriodFrom string
	PeriodTo   string
	IssueDate  string
	DueDate    string // on a draft: the due date it keeps at issue, if set
	Notes      string
	VoidReason string
	VoidedAt   time.Time
	CreatedBy  int64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	IssuedAt   time.Time

	Lines    []InvoiceLine // loaded by FindInvoice and ChangeInvoice, not by Invoices
	Payments []Payment     // likewise, oldest first
}

// InvoiceLine is a line of an invoice.
type InvoiceLine struct {
	Description   string
	Quantity      int64 // ten-thousandths
	UnitPrice     int64 // minor units; negative for a discount
	Amount        int64
	Month         string // YYYY-MM on generated usage lines
	ExtraCoreDays int64  // on generated usage lines
}

// Payment is a payment recorded against an invoice; a mistaken one is reversed, never deleted.
type Payment struct {
	ID         int64
	InvoiceID  int64
	Amount     int64 // minor units, above 0
	Date       string
	Method     string
	Reference  string
	FromCredit bool // the client's credit applied: the journal already counts it
	CreatedBy  int64
	CreatedAt  time.Time
	ReversedAt time.Time // zero while it stands
	ReversedBy int64
}

// Reversed tells whether the payment was reversed.
func (p Payment) Reversed() bool { return !p.ReversedAt.IsZero() }

const invoiceSelect = `SELECT i.id, i.issuer_id, iss.name, i.organization_id, o.name, coalesce(i.license_id, 0), i.kind, i.status,
	coalesce(i.number, ''), coalesce(i.year, 0), coalesce(i.seq, 0), i.currency, i.tax_rate, i.subtotal, i.tax, i.total,
	(SELECT coalesce(sum(p.amount), 0) FROM invoice_payments p WHERE p.invoice_id = i.id AND p.reversed_at IS NULL) AS paid,
	i.period_key, coalesce(i.period_from, ''), coalesce(i.period_to, ''), coalesce(i.issue_date, ''), coalesce(i.due_date, ''),
	i.notes, i.void_reason, i.voided_at, coalesce(i.created_by, 0), i.created_at, i.updated_at, i.issued_at
	FROM invoices i JOIN organizations o ON o.id = i.organization_id JOIN organizations iss ON iss.id = i.issuer_id`

func scanInvoice(row interface{ Scan(...any) error }, inv *Invoice) error {
	var voided, created, updated, issued sql.NullInt64
	if err := row.Scan(&inv.ID, &inv.IssuerID, &inv.IssuerName, &inv.OrgID, &inv.OrgName, &inv.LicenseID, &inv.Kind, &inv.Status,
		&inv.Number, &inv.Year, &inv.Seq, &inv.Currency, &inv.TaxRate, &inv.Subtotal, &inv.Tax, &inv.Total, &inv.Paid,
		&inv.PeriodKey, &inv.PeriodFrom, &inv.PeriodTo, &inv.IssueDate, &inv.DueDate, &inv.Notes, &inv.VoidReason,
		&voided, &inv.CreatedBy, &created, &updated, &issued); err != nil {
		return notFoundOr(err)
	}
	inv.VoidedAt, inv.CreatedAt, inv.UpdatedAt, inv.IssuedAt = fromUnix(voided), fromUnix(created), fromUnix(updated), fromUnix(issued)
	return nil
}

// FindInvoice returns an invoice with its lines and payments.
func (db *DB) FindInvoice(ctx context.Context, id int64) (Invoice, error) {
	var inv Invoice
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		inv, err = findInvoice(ctx, tx, id)
		return err
	})
	return inv, err
}

func findInvoice(ctx context.Context, tx *Tx, id int64) (Invoice, error) {
	var inv Invoice
	if err := scanInvoice(tx.QueryRowContext(ctx, invoiceSelect+` WHERE i.id = ?`, id), &inv); err != nil {
		return inv, err
	}
	one := []Invoice{inv}
	err := loadDetails(ctx, tx, one)
	return one[0], err
}

const paymentSelect = `SELECT id, invoice_id, amount, date, method, reference, from_credit,
	coalesce(created_by, 0), created_at, reversed_at, coalesce(reversed_by, 0) FROM invoice_payments`

func scanPayment(row interface{ Scan(...any) error }) (Payment, error) {
	var p Payment
	var created, reversed sql.NullInt64
	if err := row.Scan(&p.ID, &p.InvoiceID, &p.Amount, &p.Date, &p.Method, &p.Reference, &p.FromCredit,
		&p.CreatedBy, &created, &reversed, &p.ReversedBy); err != nil {
		return p, err
	}
	p.CreatedAt, p.ReversedAt = fromUnix(created), fromUnix(reversed)
	return p, nil
}

// CreateInvoice stores a new draft with its lines (its status is set to draft) and an audit entry.
func (db *DB) CreateInvoice(ctx context.Context, inv *Invoice, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := insertInvoice(ctx, tx, inv); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("invoice %d", inv.ID)
		return insertAudit(ctx, tx, audit)
	})
}

func insertInvoice(ctx context.Context, tx *Tx, inv *Invoice) error {
	inv.Status, inv.Number, inv.Year, inv.Seq = "draft", "", 0, 0
	inv.CreatedAt, inv.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO invoices (issuer_id, organization_id, license_id, kind, status, currency,
		tax_rate, subtotal, tax, total, period_key, period_from, period_to, due_date, notes, created_by, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		inv.IssuerID, inv.OrgID, nullID(inv.LicenseID), inv.Kind, inv.Currency, inv.TaxRate, inv.Subtotal, inv.Tax, inv.Total,
		inv.PeriodKey, nullText(inv.PeriodFrom), nullText(inv.PeriodTo), nullText(inv.DueDate), inv.Notes,
		nullID(inv.CreatedBy), tx.now.Unix(), tx.now.Unix())
	if err != nil {
		return err
	}
	if inv.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	return insertLines(ctx, tx, inv.ID, inv.Lines)
}

func insertLines(ctx context.Context, tx *Tx, invoiceID int64, lines []InvoiceLine) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM invoice_lines WHERE invoice_id = ?`, invoiceID); err != nil {
		return err
	}
	for i, l := range lines {
		if _, err := tx.ExecContext(ctx, `INSERT INTO invoice_lines (invoice_id, position, description, quantity, unit_price,
			amount, month, extra_core_days) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, invoiceID, i, l.Description, l.Quantity,
			l.UnitPrice, l.Amount, l.Month, l.ExtraCoreDays); err != nil {
			return err
		}
	}
	return nil
}

// DeleteDraft removes a draft (ErrNotFound if it is not one); a generated draft's period stays
// marked as done, so the daily job does not make it again (it can be asked for again).
func (db *DB) DeleteDraft(ctx context.Context, id int64, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM invoices WHERE id = ? AND status = 'draft'`, id); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// InvoiceFilter chooses the invoices of a list. Visibility comes first: All (staff), or the
// invoices issued by IssuerIDs (drafts included) and the non-draft invoices of ClientIDs.
type InvoiceFilter struct {
	All       bool
	IssuerIDs []int64
	ClientIDs []int64

	OrgID     int64  // one client
	LicenseID int64  // one license
	Status    string // draft, issued, paid, void, or "overdue" (issued, unpaid, due before Today)
	Kind      string
	Year      int    // of the issue date (drafts: of their creation)
	Today     string // for the overdue filter
	Limit     int
	Offset    int
	WithLines bool // load each invoice's lines and payments too
}

// overdueInvoice is the condition of an invoice i that is overdue: issued, unpaid, due before today
// (its one parameter).
const overdueInvoice = `i.status = 'issued' AND i.due_date < ? AND i.total > (SELECT coalesce(sum(p.amount), 0)
	FROM invoice_payments p WHERE p.invoice_id = i.id AND p.reversed_at IS NULL)`

// Invoices lists a page of invoices, newest first, and how many match in all; lines and payments
// are not loaded, Paid is.
func (db *DB) Invoices(ctx context.Context, f InvoiceFilter) ([]Invoice, int, error) {
	var where []string
	var args []any
	if !f.All {
		vis := []string{"1 = 0"}
		if len(f.IssuerIDs) > 0 {
			vis = append(vis, `i.issuer_id IN (`+placeholders(len(f.IssuerIDs))+`)`)
			args = append(args, ids(f.IssuerIDs)...)
		}
		if len(f.ClientIDs) > 0 {
			vis = append(vis, `(i.organization_id IN (`+placeholders(len(f.ClientIDs))+`) AND i.status <> 'draft')`)
			args = append(args, ids(f.ClientIDs)...)
		}
		where = append(where, `(`+strings.Join(vis, " OR ")+`)`)
	}
	if f.OrgID != 0 {
		where, args = append(where, `i.organization_id = ?`), append(args, f.OrgID)
	}
	if f.LicenseID != 0 {
		where, args = append(where, `i.license_id = ?`), append(args, f.LicenseID)
	}
	switch f.Status {
	case "":
	case "overdue":
		where = append(where, overdueInvoice)
		args = append(args, f.Today)
	default:
		where, args = append(where, `i.status = ?`), append(args, f.Status)
	}
	if f.Kind != "" {
		where, args = append(where, `i.kind = ?`), append(args, f.Kind)
	}
	if f.Year != 0 {
		where = append(where, `coalesce(i.year, CAST(strftime('%Y', i.created_at, 'unixepoch') AS INTEGER)) = ?`)
		args = append(args, f.Year)
	}
	cond := ""
	if len(where) > 0 {
		cond = ` WHERE ` + strings.Join(where, " AND ")
	}
	limit := f.Limit
	if limit <= 0 {
		limit = math.MaxInt64 // every one
	}
	var out []Invoice
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices i`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, invoiceSelect+cond+` ORDER BY i.status = 'draft' DESC,
			coalesce(i.issue_date, strftime('%Y-%m-%d', i.created_at, 'unixepoch')) DESC, i.id DESC LIMIT ? OFFSET ?`,
			append(args, limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var inv Invoice
			if err := scanInvoice(rows, &inv); err != nil {
				return err
			}
			out = append(out, inv)
		}
		if err := rows.Err(); err != nil || !f.WithLines {
			return err
		}
		return loadDetails(ctx, tx, out)
	})
	return out, total, err
}

// loadDetails fills the lines and payments of a page of invoices in two queries.
func loadDetails(ctx context.Context, tx *Tx, invs []Invoice) error {
	if len(invs) == 0 {
		return nil
	}
	at := make(map[int64]*Invoice, len(invs))
	idList := make([]int64, len(invs))
	for i := range invs {
		at[invs[i].ID], idList[i] = &invs[i], invs[i].ID
	}
	in := `(` + placeholders(len(idList)) + `)`
	rows, err := tx.QueryContext(ctx, `SELECT invoice_id, description, quantity, unit_price, amount, month, extra_core_days
		FROM invoice_lines WHERE invoice_id IN `+in+` ORDER BY invoice_id, position`, ids(idList)...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var l InvoiceLine
		if err := rows.Scan(&id, &l.Description, &l.Quantity, &l.UnitPrice, &l.Amount, &l.Month, &l.ExtraCoreDays); err != nil {
			return err
		}
		at[id].Lines = append(at[id].Lines, l)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	prows, err := tx.QueryContext(ctx, paymentSelect+` WHERE invoice_id IN `+in+` ORDER BY id`, ids(idList)...)
	if err != nil {
		return err
	}
	defer prows.Close()
	for prows.Next() {
		p, err := scanPayment(prows)
		if err != nil {
			return err
		}
		at[p.InvoiceID].Payments = append(at[p.InvoiceID].Payments, p)
	}
	return prows.Err()
}

// InvoicePDF is a PDF version of an issued invoice.
type InvoicePDF struct {
	ID           int64
	InvoiceID    int64
	Source       string // generated (at issue) or uploaded (by the issuer)
	Filename     string // as uploaded, if given
	Size         int
	SHA256       []byte
	Content      []byte // loaded by InvoicePDF and InvoicePDFByID only
	CreatedBy    int64
	CreatedEmail string
	CreatedAt    time.Time
}

// PDF sources.
const (
	PDFGenerated = "generated"
	PDFUploaded  = "uploaded"
)

func scanPDF(row interface{ Scan(...any) error }, p *InvoicePDF, withContent bool) error {
	var created sql.NullInt64
	dest := []any{&p.ID, &p.InvoiceID, &p.Source, &p.Filename, &p.Size, &p.SHA256, &p.CreatedBy, &p.CreatedEmail, &created}
	if withContent {
		dest = append(dest, &p.Content)
	}
	if err := row.Scan(dest...); err != nil {
		return notFoundOr(err)
	}
	p.CreatedAt = fromUnix(created)
	return nil
}

const pdfColumns = `id, invoice_id, source, filename, size, sha256, coalesce(created_by, 0), created_email, created_at`

// InvoicePDFs lists an invoice's PDF versions, newest (the one served) first, without their content.
func (db *DB) InvoicePDFs(ctx context.Context, invoiceID int64) ([]InvoicePDF, error) {
	var ps []InvoicePDF
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+pdfColumns+` FROM invoice_pdfs WHERE invoice_id = ? ORDER BY id DESC`, invoiceID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p InvoicePDF
			if err := scanPDF(rows, &p, false); err != nil {
				return err
			}
			ps = append(ps, p)
		}
		return rows.Err()
	})
	return ps, err
}

// InvoicePDF returns a version of an invoice's PDF with its content: pdfID, or the latest when pdfID is 0.
func (db *DB) InvoicePDF(ctx context.Context, invoiceID, pdfID int64) (InvoicePDF, error) {
	var p InvoicePDF
	err := db.view(ctx, func(tx *Tx) error {
		return scanPDF(tx.QueryRowContext(ctx, `SELECT `+pdfColumns+`, content FROM invoice_pdfs
			WHERE invoice_id = ? AND (? = 0 OR id = ?) ORDER BY id DESC LIMIT 1`, invoiceID, pdfID, pdfID), &p, true)
	})
	return p, err
}

// InvoicePDFByID returns a PDF version with its content, for the email that attaches it.
func (db *DB) InvoicePDFByID(ctx context.Context, pdfID int64) (InvoicePDF, error) {
	var p InvoicePDF
	err := db.view(ctx, func(tx *Tx) error {
		return scanPDF(tx.QueryRowContext(ctx, `SELECT `+pdfColumns+`, content FROM invoice_pdfs WHERE id = ?`, pdfID), &p, true)
	})
	return p, err
}

func insertPDF(ctx context.Context, tx *Tx, p *InvoicePDF) error {
	sum := sha256.Sum256(p.Content)
	p.SHA256, p.Size, p.CreatedAt = sum[:], len(p.Content), tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO invoice_pdfs (invoice_id, source, filename, size, sha256, content, created_by,
		created_email, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, p.InvoiceID, p.Source, p.Filename, p.Size, p.SHA256,
		p.Content, nullID(p.CreatedBy), p.CreatedEmail, tx.now.Unix())
	if err != nil {
		return err
	}
	p.ID, err = res.LastInsertId()
	return err
}

// InvoiceChange is what a change of an invoice writes beside the invoice itself, in its transaction.
type InvoiceChange struct {
	Journal []JournalEntry // on the client's journal; the store sets the organization, the invoice and, for
	// a payment or payment_reversed entry, the payment added or reversed by this change
	PDF    *InvoicePDF  // a new version (Content, Source, Filename, CreatedBy…); the store sets InvoiceID
	Emails []Email      // when PDF is set, each email carries it (Email.InvoicePDFID)
	Audit  []AuditEntry // Target defaults to "invoice N", OrgID to the client
}

// InvoiceTx is what a change of an invoice may ask of the transaction it runs in.
type InvoiceTx struct {
	ctx context.Context
	tx  *Tx
}

// Now is the transaction's time.
func (t InvoiceTx) Now() time.Time { return t.tx.now }

// Settings are the issuer's invoicing settings as this transaction sees them.
func (t InvoiceTx) Settings(issuerID int64) (InvoiceSettings, error) {
	return findInvoiceSettings(t.ctx, t.tx, issuerID)
}

// NextNumber moves the issuer's sequence of a year on by one and returns it (1 for the first).
// Numbers are gapless: if the change fails, the transaction rolls the sequence back.
func (t InvoiceTx) NextNumber(issuerID int64, year int) (int64, error) {
	var n int64
	err := t.tx.QueryRowContext(t.ctx, `INSERT INTO invoice_sequences (issuer_id, year, last) VALUES (?, ?, 1)
		ON CONFLICT (issuer_id, year) DO UPDATE SET last = invoice_sequences.last + 1 RETURNING last`, issuerID, year).Scan(&n)
	return n, err
}

// CreditTotals are what a client received and what its invoices absorbed in a currency, for
// invoice.AvailableCredit: received = its standing payments (not from credit) plus manual credits
// less manual debits; allocated = over its issued and paid invoices, each one's standing payments
// up to its total.
func (t InvoiceTx) CreditTotals(orgID int64, currency string) (received, allocated int64, err error) {
	err = t.tx.QueryRowContext(t.ctx, `SELECT
		(SELECT coalesce(sum(p.amount), 0) FROM invoice_payments p JOIN invoices i ON i.id = p.invoice_id
			WHERE i.organization_id = ?1 AND i.currency = ?2 AND p.reversed_at IS NULL AND p.from_credit = 0)
		+ (SELECT coalesce(sum(credit - debit), 0) FROM journal_entries
			WHERE organization_id = ?1 AND currency = ?2 AND kind IN ('credit', 'debit')),
		(SELECT coalesce(sum(min(i.total, (SELECT coalesce(sum(p.amount), 0) FROM invoice_payments p
			WHERE p.invoice_id = i.id AND p.reversed_at IS NULL))), 0)
			FROM invoices i WHERE i.organization_id = ?1 AND i.currency = ?2 AND i.status IN ('issued', 'paid'))`,
		orgID, currency).Scan(&received, &allocated)
	return received, allocated, err
}

// ErrImmutable refuses a change to the amounts, lines or number of an invoice that is no longer a
// draft: the app checks first (invoice.CheckEditable), this guards the data.
var ErrImmutable = errors.New("an issued invoice cannot change")

// ChangeInvoice reads an invoice with its lines and payments, lets change modify it and writes it
// back with what change returns, all in one write transaction: a failed change leaves nothing
// behind, not even a number. Payments with ID 0 are added; payments whose ReversedAt change set are
// marked reversed. Lines are rewritten only while the invoice was a draft.
func (db *DB) ChangeInvoice(ctx context.Context, id int64, change func(inv *Invoice, t InvoiceTx) (InvoiceChange, error)) (Invoice, error) {
	var inv Invoice
	err := db.update(ctx, func(tx *Tx) error {
		old, err := findInvoice(ctx, tx, id)
		if err != nil {
			return err
		}
		inv = old
		inv.Lines = append([]InvoiceLine(nil), old.Lines...)
		inv.Payments = append([]Payment(nil), old.Payments...)
		ch, err := change(&inv, InvoiceTx{ctx: ctx, tx: tx})
		if err != nil {
			return err
		}
		if err := writeInvoice(ctx, tx, old, &inv); err != nil {
			return err
		}
		added, reversed, err := writePayments(ctx, tx, old, &inv)
		if err != nil {
			return err
		}
		if ch.PDF != nil {
			ch.PDF.InvoiceID = inv.ID
			if err := insertPDF(ctx, tx, ch.PDF); err != nil {
				return err
			}
			for i := range ch.Emails {
				ch.Emails[i].InvoicePDFID = ch.PDF.ID
			}
		}
		for _, e := range ch.Journal {
			e.OrgID, e.InvoiceID = inv.OrgID, inv.ID
			if e.Currency == "" {
				e.Currency = inv.Currency
			}
			switch e.Kind {
			case JournalPayment:
				e.PaymentID = added
			case JournalPaymentReversed:
				e.PaymentID = reversed
			}
			if err := insertJournalEntry(ctx, tx, &e); err != nil {
				return err
			}
		}
		for _, a := range ch.Audit {
			if a.Target == "" {
				a.Target = fmt.Sprintf("invoice %d", inv.ID)
			}
			if a.OrgID == 0 {
				a.OrgID = inv.OrgID
			}
			if err := insertAudit(ctx, tx, a); err != nil {
				return err
			}
		}
		if err := enqueueEmails(ctx, tx, ch.Emails); err != nil {
			return err
		}
		inv, err = findInvoice(ctx, tx, id)
		if err != nil {
			return err
		}
		return queueInvoiceEvents(ctx, tx, old, inv)
	})
	return inv, err
}

// queueInvoiceEvents queues the webhook events of an invoice's change of status: invoice.issued
// when a draft is issued, invoice.paid when it becomes paid in full.
func queueInvoiceEvents(ctx context.Context, tx *Tx, old, inv Invoice) error {
	var event string
	switch {
	case tx.events == nil || old.Status == inv.Status:
		return nil
	case inv.Status == "issued" && old.Status == "draft":
		event = "invoice.issued"
	case inv.Status == "paid":
		event = "invoice.paid"
	default:
		return nil
	}
	_, err := queueEvent(ctx, tx, event, inv.OrgID, func() (any, error) { return tx.events.Invoice(inv), nil })
	return err
}

// MarkOverdueInvoices queues invoice.overdue, once per invoice, for the issued invoices not paid in
// full whose due date is before today (YYYY-MM-DD), each in its own transaction; it tells how many
// became overdue.
func (db *DB) MarkOverdueInvoices(ctx context.Context, today string) (int, error) {
	var ids []int64
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT i.id FROM invoices i WHERE i.status = 'issued' AND i.due_date < ?
			AND i.total > (SELECT coalesce(sum(p.amount), 0) FROM invoice_payments p WHERE p.invoice_id = i.id AND p.reversed_at IS NULL)
			AND NOT EXISTS (SELECT 1 FROM invoice_overdue_events o WHERE o.invoice_id = i.id) ORDER BY i.id`, today)
		if err != nil {
			return err
		}
		ids, err = scanIDs(rows)
		return err
	})
	if err != nil {
		return 0, err
	}
	for i, id := range ids {
		err := db.update(ctx, func(tx *Tx) error {
			res, err := tx.ExecContext(ctx, `INSERT INTO invoice_overdue_events (invoice_id, at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
				id, tx.now.Unix())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || tx.events == nil {
				return nil // another run marked it
			}
			inv, err := findInvoice(ctx, tx, id)
			if err != nil {
				return err
			}
			_, err = queueEvent(ctx, tx, "invoice.overdue", inv.OrgID, func() (any, error) { return tx.events.Invoice(inv), nil })
			return err
		})
		if err != nil {
			return i, err
		}
	}
	return len(ids), nil
}

func writeInvoice(ctx context.Context, tx *Tx, old Invoice, inv *Invoice) error {
	if old.Status != "draft" && (inv.Number != old.Number || inv.Total != old.Total || inv.Subtotal != old.Subtotal ||
		inv.Tax != old.Tax || inv.TaxRate != old.TaxRate || inv.Currency != old.Currency || inv.OrgID != old.OrgID ||
		inv.IssueDate != old.IssueDate || inv.DueDate != old.DueDate || inv.Status == "draft" || !sameLines(old.Lines, inv.Lines)) {
		return ErrImmutable
	}
	if inv.Status != "draft" && old.Status == "draft" {
		inv.IssuedAt = tx.now
	}
	if inv.Status == "void" && old.Status != "void" {
		inv.VoidedAt = tx.now
	}
	var number any
	if inv.Number != "" {
		number = inv.Number
	}
	_, err := tx.ExecContext(ctx, `UPDATE invoices SET license_id = ?, status = ?, number = ?, year = ?, seq = ?, currency = ?,
		tax_rate = ?, subtotal = ?, tax = ?, total = ?, period_key = ?, period_from = ?, period_to = ?, issue_date = ?, due_date = ?,
		notes = ?, void_reason = ?, voided_at = ?, issued_at = ?, updated_at = ? WHERE id = ?`,
		nullID(inv.LicenseID), inv.Status, number, nullInt64(int64(inv.Year)), nullInt64(inv.Seq), inv.Currency, inv.TaxRate,
		inv.Subtotal, inv.Tax, inv.Total, inv.PeriodKey, nullText(inv.PeriodFrom), nullText(inv.PeriodTo),
		nullText(inv.IssueDate), nullText(inv.DueDate), inv.Notes, inv.VoidReason, unix(inv.VoidedAt), unix(inv.IssuedAt),
		tx.now.Unix(), inv.ID)
	if err != nil {
		return err
	}
	if old.Status == "draft" && !sameLines(old.Lines, inv.Lines) {
		return insertLines(ctx, tx, inv.ID, inv.Lines)
	}
	return nil
}

func sameLines(a, b []InvoiceLine) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func nullInt64(n int64) any {
	if n == 0 {
		return nil
	}
	return n
}

// writePayments adds the new payments and marks the newly reversed ones; it returns the id of the
// (last) payment added and of the (last) one reversed, for their journal entries.
func writePayments(ctx context.Context, tx *Tx, old Invoice, inv *Invoice) (added, reversed int64, err error) {
	was := map[int64]Payment{}
	for _, p := range old.Payments {
		was[p.ID] = p
	}
	for i := range inv.Payments {
		p := &inv.Payments[i]
		if p.ID == 0 {
			p.InvoiceID, p.CreatedAt = inv.ID, tx.now
			res, err := tx.ExecContext(ctx, `INSERT INTO invoice_payments (invoice_id, amount, date, method, reference, from_credit,
				created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, inv.ID, p.Amount, p.Date, p.Method, p.Reference,
				p.FromCredit, nullID(p.CreatedBy), tx.now.Unix())
			if err != nil {
				return 0, 0, err
			}
			if p.ID, err = res.LastInsertId(); err != nil {
				return 0, 0, err
			}
			added = p.ID
			continue
		}
		before, ok := was[p.ID]
		if !ok || before.Amount != p.Amount || before.Date != p.Date || before.FromCredit != p.FromCredit || (before.Reversed() && !p.Reversed()) {
			return 0, 0, fmt.Errorf("payment %d: recorded payments cannot change, only be reversed", p.ID)
		}
		if p.Reversed() && !before.Reversed() {
			p.ReversedAt = tx.now
			if _, err := tx.ExecContext(ctx, `UPDATE invoice_payments SET reversed_at = ?, reversed_by = ? WHERE id = ?`,
				tx.now.Unix(), nullID(p.ReversedBy), p.ID); err != nil {
				return 0, 0, err
			}
			reversed = p.ID
		}
	}
	if len(inv.Payments) < len(old.Payments) {
		return 0, 0, errors.New("payments are never deleted: reverse them")
	}
	return added, reversed, nil
}

// InvoiceableLicenses lists the licenses the daily job may invoice: assigned to a client, with a
// start date.
func (db *DB) InvoiceableLicenses(ctx context.Context) ([]License, error) {
	return db.licensesWhere(ctx, `l.organization_id IS NOT NULL AND l.start_date IS NOT NULL`)
}

// GenerationKey names a period of a license the daily job deals with once.
type GenerationKey struct {
	LicenseID int64
	Kind      string
	PeriodKey string
}

// GeneratedPeriods returns the periods the daily job (or a request) has already dealt with.
func (db *DB) GeneratedPeriods(ctx context.Context) (map[GenerationKey]bool, error) {
	done := map[GenerationKey]bool{}
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT license_id, kind, period_key FROM invoice_generations`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k GenerationKey
			if err := rows.Scan(&k.LicenseID, &k.Kind, &k.PeriodKey); err != nil {
				return err
			}
			done[k] = true
		}
		return rows.Err()
	})
	return done, err
}

// Generation is a period the daily job dealt with, and the draft it gave (nil: nothing to invoice).
type Generation struct {
	GenerationKey
	Invoice *Invoice // its Kind, LicenseID and PeriodKey are the key's
}

// SaveGenerations records a batch of the daily job in one transaction: each period is marked done,
// with its draft when it has one. A period already marked, or already holding a live invoice, is
// left as it is, so two runs never make two drafts. It returns the drafts made.
func (db *DB) SaveGenerations(ctx context.Context, gens []Generation, audit AuditEntry) ([]Invoice, error) {
	var made []Invoice
	err := db.update(ctx, func(tx *Tx) error {
		made = made[:0]
		for _, g := range gens {
			res, err := tx.ExecContext(ctx, `INSERT INTO invoice_generations (license_id, kind, period_key, done_at)
				VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`, g.LicenseID, g.Kind, g.PeriodKey, tx.now.Unix())
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 0 || g.Invoice == nil {
				continue
			}
			var live int
			if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM invoices WHERE license_id = ? AND kind = ? AND period_key = ?
				AND status <> 'void'`, g.LicenseID, g.Kind, g.PeriodKey).Scan(&live); err != nil {
				return err
			}
			if live > 0 {
				continue
			}
			inv := *g.Invoice
			if err := insertGenerated(ctx, tx, &inv); err != nil {
				return err
			}
			a := audit
			a.OrgID, a.Target = inv.OrgID, fmt.Sprintf("invoice %d", inv.ID)
			if err := insertAudit(ctx, tx, a); err != nil {
				return err
			}
			made = append(made, inv)
		}
		return nil
	})
	return made, err
}

func insertGenerated(ctx context.Context, tx *Tx, inv *Invoice) error {
	if err := insertInvoice(ctx, tx, inv); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `INSERT INTO invoice_generations (license_id, kind, period_key, invoice_id, done_at)
		VALUES (?, ?, ?, ?, ?) ON CONFLICT (license_id, kind, period_key) DO UPDATE SET invoice_id = excluded.invoice_id`,
		inv.LicenseID, inv.Kind, inv.PeriodKey, inv.ID, tx.now.Unix())
	return err
}

// CreateGeneratedInvoice stores the draft of one period asked for; ErrConflict when the license
// already has a live (not void) invoice of that kind and period.
func (db *DB) CreateGeneratedInvoice(ctx context.Context, inv *Invoice, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := insertGenerated(ctx, tx, inv); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("invoice %d", inv.ID)
		return insertAudit(ctx, tx, audit)
	})
}

// FindGeneratedInvoice returns the live (not void) invoice of a license's period, if any.
func (db *DB) FindGeneratedInvoice(ctx context.Context, licenseID int64, kind, periodKey string) (Invoice, error) {
	var inv Invoice
	err := db.view(ctx, func(tx *Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM invoices WHERE license_id = ? AND kind = ? AND period_key = ?
			AND status <> 'void'`, licenseID, kind, periodKey).Scan(&id); err != nil {
			return notFoundOr(err)
		}
		var err error
		inv, err = findInvoice(ctx, tx, id)
		return err
	})
	return inv, err
}
