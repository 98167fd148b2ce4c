package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
)

// testDraft stores a draft of 100.00 for the test license's client.
func testDraft(t *testing.T, db *DB, licenseID int64) Invoice {
	t.Helper()
	l, err := db.FindLicense(context.Background(), licenseID)
	if err != nil {
		t.Fatal(err)
	}
	inv := Invoice{IssuerID: l.DistributorID, OrgID: l.OrgID, Kind: "manual", Currency: "EUR", Subtotal: 10000, Total: 10000,
		Lines: []InvoiceLine{{Description: "Setup", Quantity: 10000, UnitPrice: 10000, Amount: 10000}}}
	if err := db.CreateInvoice(context.Background(), &inv, AuditEntry{Action: "invoice.created"}); err != nil {
		t.Fatal(err)
	}
	return inv
}

// issue numbers a draft as the app does: the next of the issuer's year, a PDF and a journal debit.
func issue(db *DB, id int64) (Invoice, error) {
	return db.ChangeInvoice(context.Background(), id, func(inv *Invoice, t InvoiceTx) (InvoiceChange, error) {
		seq, err := t.NextNumber(inv.IssuerID, 2026)
		if err != nil {
			return InvoiceChange{}, err
		}
		inv.Status, inv.Year, inv.Seq, inv.Number = "issued", 2026, seq, fmt.Sprintf("INV-2026-%04d", seq)
		inv.IssueDate, inv.DueDate = "2026-10-20", "2026-11-19"
		return InvoiceChange{
			PDF:     &InvoicePDF{Source: PDFGenerated, Content: []byte("%PDF-1.4 " + inv.Number)},
			Journal: []JournalEntry{{Date: inv.IssueDate, Kind: JournalInvoice, Description: "Invoice " + inv.Number, Debit: inv.Total}},
			Emails:  []Email{{MessageID: fmt.Sprintf("<%d@k>", inv.ID), To: "c@k.test", Subject: inv.Number, Template: "t"}},
		}, nil
	})
}

// TestConcurrentIssuesNumberWithoutGaps issues many drafts at once from many goroutines: the
// numbers are 0001 … N, each once, and every PDF and email belongs to its invoice.
func TestConcurrentIssuesNumberWithoutGaps(t *testing.T) {
	db, licenseID := testLicense(t)
	const n = 40
	drafts := make([]Invoice, n)
	for i := range drafts {
		drafts[i] = testDraft(t, db, licenseID)
	}
	var wg sync.WaitGroup
	numbers := make([]string, n)
	errs := make([]error, n)
	for i, d := range drafts {
		wg.Go(func() {
			inv, err := issue(db, d.ID)
			numbers[i], errs[i] = inv.Number, err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	slices.Sort(numbers)
	for i, got := range numbers {
		if want := fmt.Sprintf("INV-2026-%04d", i+1); got != want {
			t.Fatalf("numbers %v: position %d is %s, want %s", numbers, i, got, want)
		}
	}
	for _, d := range drafts {
		pdf, err := db.InvoicePDF(context.Background(), d.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		inv, _ := db.FindInvoice(context.Background(), d.ID)
		if want := "%PDF-1.4 " + inv.Number; string(pdf.Content) != want {
			t.Errorf("invoice %d serves %q, want %q", d.ID, pdf.Content, want)
		}
	}
	var attached int
	db.read.QueryRow(`SELECT count(*) FROM outbox WHERE invoice_pdf_id IS NOT NULL`).Scan(&attached)
	if attached != n {
		t.Errorf("%d emails carry a PDF, want %d", attached, n)
	}
}

// TestFailedIssueLeavesNoGap fails an issue after taking a number: the next issue gets that number.
func TestFailedIssueLeavesNoGap(t *testing.T) {
	db, licenseID := testLicense(t)
	a, b := testDraft(t, db, licenseID), testDraft(t, db, licenseID)
	_, err := db.ChangeInvoice(context.Background(), a.ID, func(inv *Invoice, tx InvoiceTx) (InvoiceChange, error) {
		if _, err := tx.NextNumber(inv.IssuerID, 2026); err != nil {
			return InvoiceChange{}, err
		}
		return InvoiceChange{}, errors.New("the PDF did not render")
	})
	if err == nil {
		t.Fatal("the failed change was committed")
	}
	inv, err := issue(db, b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if inv.Number != "INV-2026-0001" {
		t.Errorf("after a failed issue the next number is %s, want INV-2026-0001", inv.Number)
	}
	if a, _ := db.FindInvoice(context.Background(), a.ID); a.Status != "draft" || a.Number != "" {
		t.Errorf("the failed issue left %s %q", a.Status, a.Number)
	}
}

// TestIssuedInvoicesAreImmutable refuses changing an issued invoice's lines or total, and deleting
// or rewriting a payment, while reversing one is allowed and counted out of Paid.
func TestIssuedInvoicesAreImmutable(t *testing.T) {
	db, licenseID := testLicense(t)
	d := testDraft(t, db, licenseID)
	if _, err := issue(db, d.ID); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	_, err := db.ChangeInvoice(ctx, d.ID, func(inv *Invoice, _ InvoiceTx) (InvoiceChange, error) {
		inv.Lines[0].Amount, inv.Total = 1, 1
		return InvoiceChange{}, nil
	})
	if !errors.Is(err, ErrImmutable) {
		t.Errorf("changing an issued invoice's total: %v, want ErrImmutable", err)
	}
	inv, err := db.ChangeInvoice(ctx, d.ID, func(inv *Invoice, _ InvoiceTx) (InvoiceChange, error) {
		inv.Payments = append(inv.Payments, Payment{Amount: 4000, Date: "2026-10-21", Method: "transfer"})
		return InvoiceChange{Journal: []JournalEntry{{Date: "2026-10-21", Kind: JournalPayment, Credit: 4000, Description: "Payment"}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Paid != 4000 || len(inv.Payments) != 1 {
		t.Fatalf("paid %d with %d payments, want 4000 with 1", inv.Paid, len(inv.Payments))
	}
	if _, err := db.ChangeInvoice(ctx, d.ID, func(inv *Invoice, _ InvoiceTx) (InvoiceChange, error) {
		inv.Payments = nil
		return InvoiceChange{}, nil
	}); err == nil {
		t.Error("a payment was deleted")
	}
	inv, err = db.ChangeInvoice(ctx, d.ID, func(inv *Invoice, _ InvoiceTx) (InvoiceChange, error) {
		inv.Payments[0].ReversedAt = db.Now()
		return InvoiceChange{Journal: []JournalEntry{{Date: "2026-10-22", Kind: JournalPaymentReversed, Debit: 4000, Description: "Reversed"}}}, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if inv.Paid != 0 || !inv.Payments[0].Reversed() {
		t.Errorf("after the reversal: paid %d, reversed %v", inv.Paid, inv.Payments[0].Reversed())
	}
	es, err := db.Journal(ctx, inv.OrgID)
	if err != nil {
		t.Fatal(err)
	}
	kinds := []string{}
	for _, e := range es {
		kinds = append(kinds, e.Kind)
		if e.Kind == JournalPaymentReversed && e.PaymentID != inv.Payments[0].ID {
			t.Errorf("the reversal entry names payment %d, want %d", e.PaymentID, inv.Payments[0].ID)
		}
	}
	if want := []string{"invoice", "payment", "payment_reversed"}; !slices.Equal(kinds, want) {
		t.Errorf("journal %v, want %v", kinds, want)
	}
}

// TestGenerationsAreIdempotent saves the same period twice, and a period with nothing to invoice:
// one draft, and no period is looked at again.
func TestGenerationsAreIdempotent(t *testing.T) {
	db, licenseID := testLicense(t)
	ctx := context.Background()
	l, _ := db.FindLicense(ctx, licenseID)
	draft := func() *Invoice {
		return &Invoice{IssuerID: l.DistributorID, OrgID: l.OrgID, LicenseID: l.ID, Kind: "usage", Currency: "EUR",
			PeriodKey: "2026-09", PeriodFrom: "2026-09-01", PeriodTo: "2026-09-30", Subtotal: 500, Total: 500,
			Lines: []InvoiceLine{{Description: "Extra cores", Quantity: 10000, UnitPrice: 500, Amount: 500, Month: "2026-09", ExtraCoreDays: 3}}}
	}
	batch := []Generation{
		{GenerationKey{l.ID, "usage", "2026-09"}, draft()},
		{GenerationKey{l.ID, "prepaid", "2026-10"}, nil},
	}
	for run := range 2 {
		made, err := db.SaveGenerations(ctx, batch, AuditEntry{Action: "invoice.generated"})
		if err != nil {
			t.Fatal(err)
		}
		if want := 1 - run; len(made) != want {
			t.Errorf("run %d made %d drafts, want %d", run+1, len(made), want)
		}
	}
	done, err := db.GeneratedPeriods(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(done) != 2 {
		t.Errorf("periods done: %v, want both", done)
	}
	// Asked for again, the period holds a live invoice.
	if err := db.CreateGeneratedInvoice(ctx, draft(), AuditEntry{}); !errors.Is(err, ErrConflict) {
		t.Errorf("a second draft of the period: %v, want ErrConflict", err)
	}
	inv, err := db.FindGeneratedInvoice(ctx, l.ID, "usage", "2026-09")
	if err != nil || inv.Lines[0].ExtraCoreDays != 3 || inv.Lines[0].Month != "2026-09" {
		t.Errorf("the generated draft: %+v, %v", inv, err)
	}
}
