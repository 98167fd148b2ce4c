package app

import (
	"context"
	"errors"
	"fmt"

	simplemail "github.com/xhit/go-simple-mail/v2"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// invoiceIssuedEmails are the emails an issued invoice sends to the client's owners. They are
// written to the outbox in the transaction that issues the invoice, and each carries the PDF stored
// with it (store.InvoiceChange sets Email.InvoicePDFID). doc.Invoice has its number and dates.
func (s *Server) invoiceIssuedEmails(ctx context.Context, doc invoiceDoc) ([]store.Email, error) {
	to, err := s.db.OrgOwnerEmails(ctx, doc.Client.ID)
	if err != nil {
		return nil, err
	}
	inv := doc.Invoice
	emails := make([]store.Email, 0, len(to))
	for _, addr := range to {
		e, err := s.email(addr, "invoice-issued", invoiceMailData(inv, doc.Issuer.Name, doc.Client.Name))
		if err != nil {
			return nil, err
		}
		emails = append(emails, e)
	}
	return emails, nil
}

// invoiceMailData is what every email about an invoice shows: its number above all.
func invoiceMailData(inv store.Invoice, issuer, client string) map[string]any {
	money := func(minor int64) string {
		return amountText(billing.Money{Minor: minor, Currency: billing.Currency(inv.Currency)})
	}
	return map[string]any{"Number": inv.Number, "Issuer": issuer, "Client": client, "Period": invoicePeriodText(inv),
		"Total": money(inv.Total), "Due": money(max(0, inv.Total-inv.Paid)), "IssueDate": inv.IssueDate, "DueDate": inv.DueDate,
		"URL": fmt.Sprintf("/invoices/%d", inv.ID)}
}

// attachFiles adds an outbox email's invoice PDF, if it carries one, to the message being sent; a
// PDF that cannot be read sets msg.Error, which fails the attempt (it is tried again later).
// It is loaded here, one email at a time, so that the outbox's batches stay small.
func (s *Server) attachFiles(msg *simplemail.Email, e store.Email) {
	if e.InvoicePDFID == 0 || msg.Error != nil {
		return
	}
	// Local reads of rows written with the email: the delivery's own context is not needed.
	ctx := context.Background()
	pdf, err := s.db.InvoicePDFByID(ctx, e.InvoicePDFID)
	if err != nil {
		msg.Error = fmt.Errorf("the PDF of outbox email %d: %w", e.ID, err)
		return
	}
	inv, err := s.db.FindInvoice(ctx, pdf.InvoiceID)
	if err != nil {
		msg.Error = fmt.Errorf("the invoice of outbox email %d: %w", e.ID, err)
		return
	}
	msg.Attach(&simplemail.File{Name: invoiceFilename(inv), MimeType: "application/pdf", Data: pdf.Content})
}

// invoiceFilename is the name an invoice's PDF is saved under: its number, which the issuer's
// prefix keeps to letters, digits, - and _.
func invoiceFilename(inv store.Invoice) string {
	if inv.Number == "" {
		return fmt.Sprintf("invoice-%d.pdf", inv.ID)
	}
	return inv.Number + ".pdf"
}

// invoiceReminders is the daily job of overdue reminders: each overdue invoice owed one today
// (invoice.ReminderDue) emails the client's owners, and the reminder is recorded with its emails, so
// a second run the same day sends nothing.
func (s *Server) invoiceReminders(ctx context.Context) error {
	today := s.today()
	candidates, err := s.db.OverdueInvoices(ctx, today.String(), invoice.MaxReminders)
	if err != nil {
		return err
	}
	sent := false
	for _, c := range candidates {
		nth, ok := invoice.ReminderDue(parseDay(c.DueDate), c.Sent, parseDay(c.LastSent), today)
		if !ok {
			continue
		}
		done, err := s.remind(ctx, c.InvoiceID, nth, today)
		if err != nil {
			return err
		}
		sent = sent || done
	}
	if sent {
		s.wakeOutbox()
	}
	return nil
}

// remind sends the nth reminder of an invoice, unless it is no longer overdue, its client has no
// owner to tell, or another run sent it.
func (s *Server) remind(ctx context.Context, invoiceID int64, nth int, today billing.Date) (bool, error) {
	inv, err := s.db.FindInvoice(ctx, invoiceID)
	if err != nil {
		return false, err
	}
	if !invoiceStateOf(inv, today).Overdue {
		return false, nil
	}
	to, err := s.db.OrgOwnerEmails(ctx, inv.OrgID)
	if err != nil || len(to) == 0 {
		return false, err
	}
	data := invoiceMailData(inv, inv.IssuerName, inv.OrgName)
	data["Nth"] = nth
	emails := make([]store.Email, 0, len(to))
	for _, addr := range to {
		e, err := s.email(addr, "invoice-reminder", data)
		if err != nil {
			return false, err
		}
		emails = append(emails, e)
	}
	err = s.db.RecordInvoiceReminder(ctx, store.InvoiceReminder{InvoiceID: inv.ID, Nth: nth, SentOn: today.String(), Recipients: to}, emails)
	if errors.Is(err, store.ErrConflict) {
		return false, nil
	}
	return err == nil, err
}
