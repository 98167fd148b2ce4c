package app

import (
	"bytes"
	"context"
	"fmt"

	"github.com/signintech/gopdf"
)

// invoicePDF renders an invoice's PDF at issue; the bytes are stored, so every download is the same.
// It runs inside the transaction that issues the invoice: doc.Invoice already has its number and dates.
//
// This is a plain first layout (number, dates, parties, lines, totals, bank details, footer); the
// invoice pages' owner replaces it with the full one.
func (s *Server) invoicePDF(_ context.Context, doc invoiceDoc) ([]byte, error) {
	inv := doc.Invoice
	pdf, err := newPDF("Invoice " + inv.Number)
	if err != nil {
		return nil, err
	}
	y := 60.0
	line := func(font string, size float64, text string) error {
		if err := pdf.SetFont(font, "", size); err != nil {
			return err
		}
		pdf.SetXY(56, y)
		y += size * 1.5
		return pdf.Cell(&gopdf.Rect{W: 483, H: size * 1.4}, text)
	}
	cur := inv.Currency
	type text struct {
		font string
		size float64
		s    string
	}
	texts := []text{
		{"bold", 20, "Invoice " + inv.Number},
		{"regular", 11, "From: " + doc.Issuer.Name},
		{"regular", 11, "To: " + doc.Client.Name},
		{"regular", 11, fmt.Sprintf("Issue date: %s    Due date: %s", inv.IssueDate, inv.DueDate)},
	}
	for _, l := range inv.Lines {
		texts = append(texts, text{"regular", 10, fmt.Sprintf("%s — %s × %s = %s", l.Description,
			formatQuantity(l.Quantity), formatMoney(l.UnitPrice, cur), formatMoney(l.Amount, cur))})
	}
	texts = append(texts,
		text{"regular", 11, "Subtotal: " + formatMoney(inv.Subtotal, cur) + " " + cur},
		text{"regular", 11, fmt.Sprintf("Tax (%s%%): %s %s", formatTaxRate(inv.TaxRate), formatMoney(inv.Tax, cur), cur)},
		text{"bold", 12, "Total: " + formatMoney(inv.Total, cur) + " " + cur},
		text{"regular", 10, doc.Settings.BankDetails},
		text{"regular", 9, doc.Settings.Footer})
	for _, t := range texts {
		if err := line(t.font, t.size, t.s); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := pdf.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}
