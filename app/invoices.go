package app

// The invoice actions of DESIGN §7 that the API (invoices_api.go), the pages (invoice_pages.go)
// and the daily job (invoice_job.go) share. Each is one function here, so that a page and the API
// can never issue, void or pay differently:
//
//   - s.createDraft(ctx, client, in, by) / s.editDraft(ctx, id, in, by): a manual draft from a draftInput
//     (parseInvoiceJSON reads one from JSON; pages fill one from their form).
//   - s.issueInvoice(ctx, id, by): number, dates, the PDF (s.invoicePDF) and the emails
//     (s.invoiceIssuedEmails), one transaction.
//   - s.voidInvoice, s.recordPayment, s.reversePayment, s.uploadInvoicePDF, s.addJournalEntry.
//   - s.clientJournal(ctx, client): the journal with running balances, balances and what is overdue.
//   - s.requestPeriodInvoice(ctx, license, kind, month, by): the generated draft of one period.
//   - invoiceStateOf(inv, today): paid, due, credit, overdue; invoiceDoc: what a PDF or email shows.
//
// Errors are *Error values ready for the API: bad input names its field (lines[2].unit_price),
// a status that forbids the action is 409.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// invoiceDoc is an invoice with what its PDF and emails show besides it.
type invoiceDoc struct {
	Invoice  store.Invoice
	Issuer   store.Org
	Client   store.Org
	Settings store.InvoiceSettings
	License  store.License // zero when the invoice has none
}

// invoiceState is what an invoice's payments make of it; overdue is derived, never stored.
type invoiceState struct {
	Paid    billing.Money
	Due     billing.Money // never below zero
	Credit  billing.Money // paid beyond the total: credit on the client's journal
	Overdue bool
}

func invoiceStateOf(inv store.Invoice, today billing.Date) invoiceState {
	cur := billing.Currency(inv.Currency)
	st := invoiceState{Paid: billing.Money{Minor: inv.Paid, Currency: cur}}
	st.Due, st.Credit = invoice.Settle(billing.Money{Minor: inv.Total, Currency: cur}, st.Paid)
	if inv.Status == invoice.StatusVoid || inv.Status == invoice.StatusDraft {
		st.Due = billing.Money{Currency: cur}
	}
	st.Overdue = invoice.IsOverdue(inv.Status, parseDay(inv.DueDate), st.Due, today)
	return st
}

// parseDay reads a stored YYYY-MM-DD day; "" (or anything unreadable) is the zero Date.
func parseDay(s string) billing.Date {
	d, _ := billing.ParseDate(s)
	return d
}

func formatQuantity(q int64) string { return invoice.Quantity(q).String() }
func formatTaxRate(r int64) string  { return invoice.TaxRate(r).String() }

func (s *Server) today() billing.Date { return billing.DateOf(s.clock.Now()) }

// asInvoiceError turns the invoice package's refusals into API errors: a field at fault is 400,
// a status that forbids the action 409.
func asInvoiceError(err error) error {
	var fe *invoice.FieldError
	var se *invoice.StateError
	switch {
	case errors.As(err, &fe):
		return badInput(fe.Field, "%s", fe.Message)
	case errors.As(err, &se):
		return &Error{Status: http.StatusConflict, Code: "INVALID_STATE", Message: se.Message}
	case errors.Is(err, store.ErrImmutable):
		return &Error{Status: http.StatusConflict, Code: "INVALID_STATE", Message: "An issued invoice cannot change: void it and write another."}
	}
	return err
}

// invoiceDocOf loads the parties of an invoice (outside the transaction that changes it: they do not
// change with it); Settings are filled inside it.
func (s *Server) invoiceDocOf(ctx context.Context, inv store.Invoice) (invoiceDoc, error) {
	doc := invoiceDoc{Invoice: inv}
	var err error
	if doc.Client, err = s.db.FindOrg(ctx, inv.OrgID); err != nil {
		return doc, err
	}
	if doc.Issuer, err = s.db.FindOrg(ctx, inv.IssuerID); err != nil {
		return doc, err
	}
	if inv.LicenseID != 0 {
		if doc.License, err = s.db.FindLicense(ctx, inv.LicenseID); err != nil && !errors.Is(err, store.ErrNotFound) {
			return doc, err
		}
	}
	return doc, nil
}

// draftInput is a manual invoice as a form or payload gives it; a nil field was not sent.
type draftInput struct {
	OrgID     *int64
	LicenseID *int64 // 0: none
	Currency  *string
	TaxRate   *string
	DueDate   *string // "": none
	Notes     *string
	Lines     []lineInput // nil: not sent
}

// lineInput is a line as sent: text, parsed with the invoice's currency.
type lineInput struct {
	Description string
	Quantity    string
	UnitPrice   string
}

// applyDraft validates what in sets on a draft and prices it: nothing is stored before all of it holds.
func (s *Server) applyDraft(ctx context.Context, inv *store.Invoice, in draftInput) error {
	if in.Currency != nil {
		cur, err := parseCurrency("currency", *in.Currency)
		if err != nil {
			return err
		}
		if cur != inv.Currency && in.Lines == nil && len(inv.Lines) > 0 {
			return badInput("lines", "Send the lines again with the new currency: their prices are in %s.", inv.Currency)
		}
		inv.Currency = cur
	}
	if in.TaxRate != nil {
		r, err := invoice.ParseTaxRate(*in.TaxRate)
		if err != nil {
			return badInput("tax_rate", "%s", sentence(err))
		}
		inv.TaxRate = int64(r)
	}
	if in.DueDate != nil {
		inv.DueDate = strings.TrimSpace(*in.DueDate)
		if inv.DueDate != "" {
			d, err := billing.ParseDate(inv.DueDate)
			if err != nil {
				return badInput("due_date", "Write the due date as YYYY-MM-DD, such as 2026-12-31.")
			}
			inv.DueDate = d.String()
		}
	}
	if in.Notes != nil {
		inv.Notes = strings.TrimSpace(*in.Notes)
		if utf8.RuneCountInString(inv.Notes) > invoice.MaxNotes || !utf8.ValidString(inv.Notes) {
			return badInput("notes", "Notes have at most %d characters.", invoice.MaxNotes)
		}
	}
	if in.LicenseID != nil {
		inv.LicenseID = *in.LicenseID
		if inv.LicenseID != 0 {
			l, err := s.db.FindLicense(ctx, inv.LicenseID)
			if (err == nil && l.OrgID != inv.OrgID) || errors.Is(err, store.ErrNotFound) {
				return badInput("license_id", "Choose a license of the invoice's organization, or none.")
			} else if err != nil {
				return err
			}
		}
	}
	cur := billing.Currency(inv.Currency)
	lines := make([]invoice.Line, 0, max(len(in.Lines), len(inv.Lines)))
	if in.Lines != nil {
		if len(in.Lines) > invoice.MaxLines {
			return badInput("lines", "An invoice has at most %d lines.", invoice.MaxLines)
		}
		for i, li := range in.Lines {
			l, err := invoice.ParseLine(i, li.Description, li.Quantity, li.UnitPrice, cur)
			if err != nil {
				return asInvoiceError(err)
			}
			lines = append(lines, l)
		}
	} else {
		for _, l := range inv.Lines {
			lines = append(lines, lineOf(l, cur))
		}
	}
	return priceInvoice(inv, lines)
}

// lineOf is a stored line in the invoice package's terms.
func lineOf(l store.InvoiceLine, cur billing.Currency) invoice.Line {
	m, _ := billing.ParseMonth(l.Month)
	return invoice.Line{Description: l.Description, Quantity: invoice.Quantity(l.Quantity),
		UnitPrice: billing.Money{Minor: l.UnitPrice, Currency: cur}, Month: m, ExtraCoreDays: l.ExtraCoreDays}
}

// priceInvoice computes the lines' amounts and the totals (invoice.Price) into inv.
func priceInvoice(inv *store.Invoice, lines []invoice.Line) error {
	t, err := invoice.Price(lines, invoice.TaxRate(inv.TaxRate), billing.Currency(inv.Currency))
	if err != nil {
		return asInvoiceError(err)
	}
	inv.Lines = make([]store.InvoiceLine, len(lines))
	for i, l := range lines {
		inv.Lines[i] = store.InvoiceLine{Description: l.Description, Quantity: int64(l.Quantity), UnitPrice: l.UnitPrice.Minor,
			Amount: l.Amount.Minor, ExtraCoreDays: l.ExtraCoreDays}
		if l.Month != (billing.Month{}) {
			inv.Lines[i].Month = l.Month.String()
		}
	}
	inv.Subtotal, inv.Tax, inv.Total = t.Subtotal.Minor, t.Tax.Minor, t.Total.Minor
	return nil
}

// issuerOf is the organization that issues a client's invoices: the one directly above it.
func (s *Server) issuerOf(ctx context.Context, client store.Org) (store.Org, error) {
	if client.Kind != store.KindClient {
		return store.Org{}, badInput("organization_id", "Invoices are for client organizations; %s is a %s.", client.Name, client.Kind)
	}
	return s.db.FindOrg(ctx, client.ParentID)
}

// createDraft stores a manual draft for a client the caller manages (the caller authorizes).
func (s *Server) createDraft(ctx context.Context, client store.Org, in draftInput, by store.Actor) (store.Invoice, error) {
	issuer, err := s.issuerOf(ctx, client)
	if err != nil {
		return store.Invoice{}, err
	}
	settings, err := s.db.InvoiceSettings(ctx, issuer.ID)
	if err != nil {
		return store.Invoice{}, err
	}
	if in.Lines == nil {
		return store.Invoice{}, badInput("lines", "Add at least one line.")
	}
	inv := store.Invoice{IssuerID: issuer.ID, OrgID: client.ID, Kind: invoice.KindManual, Currency: settings.Currency,
		TaxRate: settings.TaxRate, CreatedBy: by.UserID}
	if err := s.applyDraft(ctx, &inv, in); err != nil {
		return inv, err
	}
	err = s.db.CreateInvoice(ctx, &inv, store.AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, OrgID: client.ID,
		Action: "invoice.created", Details: fmt.Sprintf("draft of %s %s", formatMoney(inv.Total, inv.Currency), inv.Currency)})
	if err != nil {
		return inv, err
	}
	return s.db.FindInvoice(ctx, inv.ID)
}

// editDraft changes the fields in sets on a draft; issued invoices answer 409.
func (s *Server) editDraft(ctx context.Context, id int64, in draftInput, by store.Actor) (store.Invoice, error) {
	if in.OrgID != nil {
		return store.Invoice{}, badInput("organization_id", "An invoice's organization cannot change: write a new invoice.")
	}
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, _ store.InvoiceTx) (store.InvoiceChange, error) {
		if err := invoice.CheckEditable(inv.Status); err != nil {
			return store.InvoiceChange{}, err
		}
		if err := s.applyDraft(ctx, inv, in); err != nil {
			return store.InvoiceChange{}, err
		}
		return store.InvoiceChange{Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP,
			Action: "invoice.edited", Details: fmt.Sprintf("draft of %s %s", formatMoney(inv.Total, inv.Currency), inv.Currency)}}}, nil
	})
	return inv, asInvoiceError(err)
}

// issueInvoice numbers a draft, dates it, stores its PDF and writes its emails, all in one
// transaction: a failure leaves the draft as it was and the number free.
func (s *Server) issueInvoice(ctx context.Context, id int64, by store.Actor) (store.Invoice, error) {
	current, err := s.db.FindInvoice(ctx, id)
	if err != nil {
		return current, err
	}
	if err := invoice.CheckIssuable(current.Status); err != nil {
		return current, asInvoiceError(err)
	}
	doc, err := s.invoiceDocOf(ctx, current)
	if err != nil {
		return current, err
	}
	today := s.today()
	sent := false
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, t store.InvoiceTx) (store.InvoiceChange, error) {
		if err := invoice.CheckIssuable(inv.Status); err != nil {
			return store.InvoiceChange{}, err
		}
		settings, err := t.Settings(inv.IssuerID)
		if err != nil {
			return store.InvoiceChange{}, err
		}
		seq, err := t.NextNumber(inv.IssuerID, today.Year)
		if err != nil {
			return store.InvoiceChange{}, err
		}
		inv.Year, inv.Seq, inv.Number = today.Year, seq, invoice.Number(settings.Prefix, today.Year, seq)
		inv.IssueDate = today.String()
		inv.DueDate = invoice.DueDate(today, settings.PaymentTerms, parseDay(inv.DueDate)).String()
		cur := billing.Currency(inv.Currency)
		inv.Status = invoice.StatusAfterPayments(invoice.StatusIssued, billing.Money{Minor: inv.Total, Currency: cur}, billing.Money{Currency: cur})
		doc.Invoice, doc.Settings = *inv, settings
		pdf, err := s.invoicePDF(ctx, doc)
		if err != nil {
			return store.InvoiceChange{}, fmt.Errorf("render invoice %d: %w", inv.ID, err)
		}
		emails, err := s.invoiceIssuedEmails(ctx, doc)
		if err != nil {
			return store.InvoiceChange{}, err
		}
		sent = len(emails) > 0
		return store.InvoiceChange{
			PDF:    &store.InvoicePDF{Source: store.PDFGenerated, Content: pdf, CreatedBy: by.UserID, CreatedEmail: by.Email},
			Emails: emails,
			Journal: []store.JournalEntry{{Date: inv.IssueDate, Kind: store.JournalInvoice, Description: "Invoice " + inv.Number,
				Debit: inv.Total, CreatedBy: by.UserID}},
			Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, Action: "invoice.issued",
				Details: fmt.Sprintf("%s, %s %s, due %s", inv.Number, formatMoney(inv.Total, inv.Currency), inv.Currency, inv.DueDate)}},
		}, nil
	})
	if err != nil {
		return inv, asInvoiceError(err)
	}
	if sent {
		s.wakeOutbox()
	}
	return inv, nil
}

// voidInvoice voids an issued invoice without standing payments: it keeps its number, and its
// debit is reversed on the journal.
func (s *Server) voidInvoice(ctx context.Context, id int64, reason string, by store.Actor) (store.Invoice, error) {
	reason, err := invoice.CheckVoidReason(reason)
	if err != nil {
		return store.Invoice{}, asInvoiceError(err)
	}
	today := s.today()
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, _ store.InvoiceTx) (store.InvoiceChange, error) {
		standing := 0
		for _, p := range inv.Payments {
			if !p.Reversed() {
				standing++
			}
		}
		if err := invoice.CheckVoidable(inv.Status, standing); err != nil {
			return store.InvoiceChange{}, err
		}
		inv.Status, inv.VoidReason = invoice.StatusVoid, reason
		return store.InvoiceChange{
			Journal: []store.JournalEntry{{Date: today.String(), Kind: store.JournalVoid, Credit: inv.Total, CreatedBy: by.UserID,
				Description: fmt.Sprintf("Invoice %s void: %s", inv.Number, reason)}},
			Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, Action: "invoice.voided",
				Details: inv.Number + ": " + reason}},
		}, nil
	})
	return inv, asInvoiceError(err)
}

// paymentInput is a payment as sent.
type paymentInput struct {
	Amount     string
	Date       string // "": today
	Method     string
	Reference  string
	FromCredit bool // apply the client's credit rather than money received
}

// Bounds of a payment's free text.
const (
	maxPaymentMethod    = 100
	maxPaymentReference = 200
)

// recordPayment records a payment (or applies credit) on an issued invoice; payments covering the
// total make it paid, and more than the total leaves credit on the client's journal.
func (s *Server) recordPayment(ctx context.Context, id int64, in paymentInput, by store.Actor) (store.Invoice, error) {
	current, err := s.db.FindInvoice(ctx, id)
	if err != nil {
		return current, err
	}
	if err := invoice.CheckPayable(current.Status); err != nil {
		return current, asInvoiceError(err)
	}
	cur := billing.Currency(current.Currency)
	amount, err := invoice.ParsePayment(in.Amount, cur)
	if err != nil {
		return current, badInput("amount", "%s", sentence(err))
	}
	date := s.today()
	if strings.TrimSpace(in.Date) != "" {
		if date, err = billing.ParseDate(strings.TrimSpace(in.Date)); err != nil {
			return current, badInput("date", "Write the payment date as YYYY-MM-DD, such as 2026-12-03.")
		}
	}
	method, ref := strings.TrimSpace(in.Method), strings.TrimSpace(in.Reference)
	if utf8.RuneCountInString(method) > maxPaymentMethod || strings.ContainsFunc(method, isControlRune) {
		return current, badInput("method", "Name the method in at most %d characters on one line, such as \"Bank transfer\".", maxPaymentMethod)
	}
	if utf8.RuneCountInString(ref) > maxPaymentReference || strings.ContainsFunc(ref, isControlRune) {
		return current, badInput("reference", "A reference has at most %d characters on one line.", maxPaymentReference)
	}
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, t store.InvoiceTx) (store.InvoiceChange, error) {
		if err := invoice.CheckPayable(inv.Status); err != nil {
			return store.InvoiceChange{}, err
		}
		total := billing.Money{Minor: inv.Total, Currency: cur}
		due, _ := invoice.Settle(total, billing.Money{Minor: inv.Paid, Currency: cur})
		if in.FromCredit {
			received, allocated, err := t.CreditTotals(inv.OrgID, inv.Currency)
			if err != nil {
				return store.InvoiceChange{}, err
			}
			credit := invoice.AvailableCredit(received, allocated)
			switch {
			case amount.Minor > credit:
				return store.InvoiceChange{}, badInput("amount", "The client's credit in %s is %s: apply at most that.", cur, formatMoney(credit, inv.Currency))
			case amount.Minor > due.Minor:
				return store.InvoiceChange{}, badInput("amount", "%s %s is due on this invoice: apply at most that.", due, cur)
			}
		}
		inv.Payments = append(inv.Payments, store.Payment{Amount: amount.Minor, Date: date.String(), Method: method, Reference: ref,
			FromCredit: in.FromCredit, CreatedBy: by.UserID})
		inv.Status = invoice.StatusAfterPayments(inv.Status, total, billing.Money{Minor: inv.Paid + amount.Minor, Currency: cur})
		ch := store.InvoiceChange{Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP,
			Action: "invoice.payment", Details: fmt.Sprintf("%s: %s %s on %s", inv.Number, amount, cur, date)}}}
		if in.FromCredit {
			ch.Audit[0].Details += " from credit"
		} else {
			ch.Journal = []store.JournalEntry{{Date: date.String(), Kind: store.JournalPayment, Credit: amount.Minor,
				Description: paymentDescription(inv.Number, method, ref), CreatedBy: by.UserID}}
		}
		return ch, nil
	})
	return inv, asInvoiceError(err)
}

func isControlRune(r rune) bool { return r < 0x20 || r == 0x7f }

// sentence writes an error of the invoice package's parsers ("a quantity is above 0") as a message
// beside a field: "A quantity is above 0."
func sentence(err error) string {
	msg := err.Error()
	if msg == "" {
		return msg
	}
	return strings.ToUpper(msg[:1]) + msg[1:] + "."
}

func paymentDescription(number, method, ref string) string {
	d := "Payment of " + number
	if details := strings.Trim(strings.Join([]string{method, ref}, ", "), ", "); details != "" {
		d += " (" + details + ")"
	}
	return d
}

// reversePayment reverses a payment recorded by mistake: it stays, marked reversed, and the
// journal gets an entry of its own. A payment whose excess was applied as credit elsewhere waits
// until that application is reversed.
func (s *Server) reversePayment(ctx context.Context, id, paymentID int64, by store.Actor) (store.Invoice, error) {
	today := s.today()
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, t store.InvoiceTx) (store.InvoiceChange, error) {
		var p *store.Payment
		for i := range inv.Payments {
			if inv.Payments[i].ID == paymentID {
				p = &inv.Payments[i]
			}
		}
		if p == nil {
			return store.InvoiceChange{}, errNotFound
		}
		if err := invoice.CheckReversible(p.Reversed()); err != nil {
			return store.InvoiceChange{}, err
		}
		if !p.FromCredit {
			// The part of this payment beyond the invoice's total became credit: it must still be there.
			excess := min(p.Amount, max(0, inv.Paid-inv.Total))
			received, allocated, err := t.CreditTotals(inv.OrgID, inv.Currency)
			if err != nil {
				return store.InvoiceChange{}, err
			}
			if excess > invoice.AvailableCredit(received, allocated) {
				return store.InvoiceChange{}, &invoice.StateError{Message: "Part of this payment was applied as credit to another " +
					"invoice: reverse that payment first."}
			}
		}
		p.ReversedAt, p.ReversedBy = s.clock.Now(), by.UserID
		cur := billing.Currency(inv.Currency)
		inv.Status = invoice.StatusAfterPayments(inv.Status, billing.Money{Minor: inv.Total, Currency: cur},
			billing.Money{Minor: inv.Paid - p.Amount, Currency: cur})
		ch := store.InvoiceChange{Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP,
			Action: "invoice.payment_reversed", Details: fmt.Sprintf("%s: payment of %s %s of %s", inv.Number,
				formatMoney(p.Amount, inv.Currency), inv.Currency, p.Date)}}}
		if !p.FromCredit {
			ch.Journal = []store.JournalEntry{{Date: today.String(), Kind: store.JournalPaymentReversed, Debit: p.Amount,
				Description: fmt.Sprintf("Payment of %s of %s reversed", inv.Number, p.Date), CreatedBy: by.UserID}}
		}
		return ch, nil
	})
	return inv, asInvoiceError(err)
}

// maxInvoicePDF is the largest PDF an issuer may upload (DESIGN §7).
const maxInvoicePDF = 10 << 20

var errPDFTooLarge = &Error{Status: http.StatusRequestEntityTooLarge, Code: "TOO_LARGE",
	Message: "An invoice PDF is at most 10 MiB."}

// uploadInvoicePDF stores the issuer's own PDF of an issued invoice as its newest version; field
// names the input that carried it (the form's file field, the API's body) in a refusal.
func (s *Server) uploadInvoicePDF(ctx context.Context, id int64, field string, content []byte, filename string, by store.Actor) (store.Invoice, error) {
	switch {
	case len(content) > maxInvoicePDF:
		return store.Invoice{}, errPDFTooLarge
	case len(content) == 0:
		return store.Invoice{}, badInput(field, "Choose a PDF file.")
	case !bytes.HasPrefix(content, []byte("%PDF-")):
		return store.Invoice{}, badInput(field, "This is not a PDF: a PDF file starts with %%PDF-.")
	}
	filename = strings.TrimSpace(filename)
	if utf8.RuneCountInString(filename) > 200 || strings.ContainsFunc(filename, isControlRune) {
		filename = ""
	}
	inv, err := s.db.ChangeInvoice(ctx, id, func(inv *store.Invoice, _ store.InvoiceTx) (store.InvoiceChange, error) {
		if inv.Status == invoice.StatusDraft {
			return store.InvoiceChange{}, &invoice.StateError{Message: "Issue the invoice first: drafts have no PDF."}
		}
		return store.InvoiceChange{
			PDF: &store.InvoicePDF{Source: store.PDFUploaded, Filename: filename, Content: content, CreatedBy: by.UserID, CreatedEmail: by.Email},
			Audit: []store.AuditEntry{{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, Action: "invoice.pdf_uploaded",
				Details: fmt.Sprintf("%s: %d bytes", inv.Number, len(content))}},
		}, nil
	})
	return inv, asInvoiceError(err)
}

// journalInput is a manual journal entry as sent.
type journalInput struct {
	Kind        string // credit or debit
	Amount      string
	Currency    string
	Date        string // "": today
	Description string
}

// addJournalEntry records a manual adjustment (debit) or credit note (credit) on a client's journal.
func (s *Server) addJournalEntry(ctx context.Context, client store.Org, in journalInput, by store.Actor) (store.JournalEntry, error) {
	e := store.JournalEntry{OrgID: client.ID, Kind: strings.TrimSpace(in.Kind), CreatedBy: by.UserID}
	if e.Kind != store.JournalCredit && e.Kind != store.JournalDebit {
		return e, badInput("kind", "Choose credit (a credit note: the client owes less) or debit (the client owes more).")
	}
	cur, err := parseCurrency("currency", in.Currency)
	if err != nil {
		return e, err
	}
	e.Currency = cur
	amount, err := invoice.ParsePayment(in.Amount, billing.Currency(cur))
	if err != nil {
		return e, badInput("amount", "%s", sentence(err))
	}
	if e.Kind == store.JournalCredit {
		e.Credit = amount.Minor
	} else {
		e.Debit = amount.Minor
	}
	e.Date = s.today().String()
	if v := strings.TrimSpace(in.Date); v != "" {
		d, err := billing.ParseDate(v)
		if err != nil {
			return e, badInput("date", "Write the date as YYYY-MM-DD, such as 2026-12-03.")
		}
		e.Date = d.String()
	}
	e.Description = strings.TrimSpace(in.Description)
	switch {
	case e.Description == "":
		return e, badInput("description", "Say what the entry is for, such as \"Goodwill credit for the outage of 3 November\".")
	case utf8.RuneCountInString(e.Description) > invoice.MaxDescription || strings.ContainsFunc(e.Description, isControlRune):
		return e, badInput("description", "A description has at most %d characters on one line.", invoice.MaxDescription)
	}
	err = s.db.AddJournalEntry(ctx, &e, store.AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, OrgID: client.ID,
		Action: "journal." + e.Kind, Target: "journal", Details: fmt.Sprintf("%s %s: %s", amount, cur, e.Description)})
	return e, err
}

// journalLine is a journal entry with the balance of its currency after it.
type journalLine struct {
	store.JournalEntry
	Balance billing.Money
}

// clientJournal is a client's journal with its running balance per currency, the balances, and
// per currency what is overdue and since when.
type clientJournal struct {
	Entries  []journalLine
	Balances map[billing.Currency]billing.Money
	Overdue  map[billing.Currency]invoice.Overdue
}

func (s *Server) clientJournal(ctx context.Context, client store.Org) (clientJournal, error) {
	entries, err := s.db.Journal(ctx, client.ID)
	if err != nil {
		return clientJournal{}, err
	}
	in := make([]invoice.Entry, len(entries))
	for i, e := range entries {
		in[i] = invoice.Entry{Currency: billing.Currency(e.Currency), Debit: e.Debit, Credit: e.Credit}
	}
	running, balances := invoice.Running(in)
	j := clientJournal{Entries: make([]journalLine, len(entries)), Balances: balances}
	for i, e := range entries {
		j.Entries[i] = journalLine{JournalEntry: e, Balance: running[i]}
	}
	open, _, err := s.db.Invoices(ctx, store.InvoiceFilter{All: true, OrgID: client.ID, Status: invoice.StatusIssued})
	if err != nil {
		return j, err
	}
	today := s.today()
	opens := make([]invoice.Open, len(open))
	for i, inv := range open {
		opens[i] = invoice.Open{Status: inv.Status, DueDate: parseDay(inv.DueDate), Due: invoiceStateOf(inv, today).Due}
	}
	j.Overdue = invoice.Summarize(opens, today)
	return j, nil
}
