package app

import (
	"context"

	"keyward/store"
)

// invoiceIssuedEmails are the emails an issued invoice sends to the client's owners. They are
// written to the outbox in the transaction that issues the invoice, and each carries the PDF stored
// with it (store.InvoiceChange sets Email.InvoicePDFID). doc.Invoice has its number and dates.
//
// Until the invoice email templates exist, issuing sends none; their owner fills this in.
func (s *Server) invoiceIssuedEmails(_ context.Context, _ invoiceDoc) ([]store.Email, error) {
	return nil, nil
}
