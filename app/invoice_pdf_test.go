package app

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// sampleInvoiceDoc is a usage invoice with every block of the layout filled.
func sampleInvoiceDoc(lines int) invoiceLayout {
	d := invoiceLayout{Number: "INV-2026-0007", IssueDate: "2026-11-02", DueDate: "2026-12-02", Period: "2026-05-01 – 2026-10-31",
		Issuer:    docParty{Name: "Northwind Distribution", Lines: []string{"12 rue de la Paix, 75002 Paris, FR", "Tax ID FR40303265045", "office@northwind.example · +33 1 44 55 66 77"}},
		Client:    docParty{Name: "Contoso Hotels", Lines: []string{"Unter den Linden 5", "10117 Berlin, DE", "Tax ID DE123456789"}},
		Reference: "License 12 · Octopus Hospitality · BER-MITTE", Currency: "EUR",
		Subtotal: "1,098.50 EUR", TaxLabel: "Tax (19%)", Tax: "208.72 EUR", Total: "1,307.22 EUR",
		UsageTitle: "Extra cores per month", UsageExplanation: "Each day's billed cores beyond the prepaid ones, summed over the month.",
		PaymentNote: "Please pay 1,307.22 EUR by 2026-12-02, quoting INV-2026-0007.",
		BankDetails: "Northwind Distribution SARL\nIBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP",
		Notes:       "Thank you for your business. Straße, café, naïve — and 東京 which the font lacks.",
		Footer:      "Northwind Distribution SARL · capital 50,000 EUR · RCS Paris 303 265 045 · VAT FR40303265045"}
	for i := range lines {
		d.Lines = append(d.Lines, docLine{Description: fmt.Sprintf("Extra cores, %s 2026: %d extra core-days", []string{"May", "June", "July", "August", "September", "October"}[i%6], 10+i),
			Quantity: "1", UnitPrice: "183.08 EUR", Amount: "183.08 EUR"})
		d.Usage = append(d.Usage, docUsage{Month: fmt.Sprintf("2026-%02d", 5+i%6), CoreDays: fmt.Sprint(10 + i), Amount: "183.08 EUR"})
	}
	if lines > 0 {
		d.Lines[0].Description += ", with a description long enough to wrap on two lines of the table"
	}
	return d
}

// pdfText is the text of a PDF as pdftotext (poppler) reads it, keeping the layout.
func pdfText(t *testing.T, doc []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed, and CI must read the invoices back (apt-get install poppler-utils)")
		}
		t.Skip("pdftotext is not installed (apt-get install poppler-utils)")
	}
	cmd := exec.Command("pdftotext", "-layout", "-", "-")
	cmd.Stdin = bytes.NewReader(doc)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("pdftotext: %v: %s", err, errOut.String())
	}
	if errOut.Len() > 0 {
		t.Errorf("pdftotext complains about the PDF: %s", errOut.String())
	}
	return out.String()
}

func TestInvoicePDFLayout(t *testing.T) {
	for _, tc := range []struct {
		name  string
		lines int
		pages int
	}{{"one line", 1, 1}, {"six months", 6, 1}, {"a long invoice", 40, 3}} {
		t.Run(tc.name, func(t *testing.T) {
			d := sampleInvoiceDoc(tc.lines)
			doc, err := renderInvoicePDF(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(doc, []byte("%PDF-")) {
				t.Fatalf("not a PDF: %q", doc[:min(len(doc), 20)])
			}
			text := pdfText(t, doc)
			for _, want := range []string{"INVOICE", "INV-2026-0007", "Northwind Distribution", "Contoso Hotels", "Due date", "2026-12-02",
				"Tax (19%)", "208.72 EUR", "1,307.22 EUR", "IBAN FR76 3000 6000 0112 3456 7890 189", "RCS Paris", "Extra core-days",
				"Straße, café, naïve", fmt.Sprintf("page %d of %d", tc.pages, tc.pages)} {
				if !strings.Contains(text, want) {
					t.Errorf("the PDF does not show %q:\n%s", want, text)
				}
			}
			if got := strings.Count(text, "\f"); got != tc.pages {
				t.Errorf("%d pages, want %d", got, tc.pages)
			}
			if tc.pages > 1 && strings.Count(text, "Unit price") < 2 {
				t.Errorf("the lines table runs over pages without its header:\n%s", text)
			}
			again, err := renderInvoicePDF(d)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(doc, again) {
				t.Error("the same invoice rendered twice gives different bytes")
			}
			if dir := os.Getenv("KEYWARD_PDF_DIR"); dir != "" { // to look at the layout
				os.WriteFile(fmt.Sprintf("%s/invoice-%d.pdf", dir, tc.lines), doc, 0o644)
			}
		})
	}
}

// BenchmarkInvoicePDF measures the rendering of a one-page usage invoice of six months.
func BenchmarkInvoicePDF(b *testing.B) {
	d := sampleInvoiceDoc(6)
	for b.Loop() {
		if _, err := renderInvoicePDF(d); err != nil {
			b.Fatal(err)
		}
	}
}
