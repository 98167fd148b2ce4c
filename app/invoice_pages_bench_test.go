package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// BenchmarkInvoiceListPage times the invoice list as a client's owner sees it, over real HTTP,
// for a client with 500 issued invoices over two years (a third paid): the first page of 50, and
// all 500 on one page. It reports the median (p50-ms) and the 95th percentile (p95-ms).
func BenchmarkInvoiceListPage(b *testing.B) {
	ib := newInvoiceBench(b, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	seedIssuedInvoices(b, ib, 500)
	owner := store.User{Email: "carla@client.test", Name: "Carla", PasswordHash: "x"}
	if err := ib.db.CreateUser(ctx, &owner, ib.client.ID, store.RoleOwner); err != nil {
		b.Fatal(err)
	}
	raw := ib.session(b, owner.ID)
	if err := ib.srv.Listen("127.0.0.1:0"); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ib.srv.Close(context.Background()) })
	client := &http.Client{}
	get := func(path string) {
		req, _ := http.NewRequest(http.MethodGet, ib.srv.URL()+path, nil)
		req.AddCookie(&http.Cookie{Name: sessionCookie, Value: raw})
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "NW-2026-") {
			b.Fatalf("GET %s: %d\n%s", path, resp.StatusCode, body)
		}
	}
	for _, tc := range []struct{ name, path string }{{"page of 50", "/invoices"}, {"500 on a page", "/invoices?per_page=500"}} {
		b.Run(tc.name, func(b *testing.B) {
			get(tc.path) // warm the caches as a second visit would
			reportLatency(b, func() { get(tc.path) })
		})
	}
}

// session signs a user in: the value of its session cookie.
func (ib *invoiceBench) session(tb testing.TB, userID int64) string {
	tb.Helper()
	raw := randomToken()
	if err := ib.db.CreateSession(context.Background(), &store.Session{IDHash: digest(raw), UserID: userID}); err != nil {
		tb.Fatal(err)
	}
	return raw
}

// seedIssuedInvoices writes n issued invoices of the bench's client, one every day or so back from
// today, through the store as issuing does (a number, a stored PDF, a journal debit); every third
// is paid.
func seedIssuedInvoices(tb testing.TB, ib *invoiceBench, n int) {
	tb.Helper()
	ctx := context.Background()
	st := store.InvoiceSettings{OrgID: ib.dist.ID, Prefix: "NW", PaymentTerms: 30, TaxRate: 2000, Currency: "EUR"}
	if err := ib.db.SaveInvoiceSettings(ctx, &st, store.AuditEntry{Action: "invoicing.settings"}); err != nil {
		tb.Fatal(err)
	}
	start := time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC).AddDate(0, 0, -n*3/2)
	pdf := []byte("%PDF-1.4\n% bench\n")
	for i := range n {
		inv := store.Invoice{IssuerID: ib.dist.ID, OrgID: ib.client.ID, Kind: "manual", Currency: "EUR", TaxRate: 2000,
			Subtotal: 10000 + int64(i), Tax: 2000, Total: 12000 + int64(i),
			Lines: []store.InvoiceLine{{Description: fmt.Sprintf("Service %d", i), Quantity: 10000, UnitPrice: 10000 + int64(i), Amount: 10000 + int64(i)}}}
		if err := ib.db.CreateInvoice(ctx, &inv, store.AuditEntry{Action: "invoice.created"}); err != nil {
			tb.Fatal(err)
		}
		day := start.AddDate(0, 0, i*3/2)
		_, err := ib.db.ChangeInvoice(ctx, inv.ID, func(inv *store.Invoice, t store.InvoiceTx) (store.InvoiceChange, error) {
			seq, err := t.NextNumber(inv.IssuerID, day.Year())
			if err != nil {
				return store.InvoiceChange{}, err
			}
			inv.Status, inv.Year, inv.Seq = "issued", day.Year(), seq
			inv.Number = fmt.Sprintf("NW-%d-%04d", day.Year(), seq)
			inv.IssueDate, inv.DueDate = civilDay(day), civilDay(day.AddDate(0, 0, 30))
			ch := store.InvoiceChange{PDF: &store.InvoicePDF{Source: store.PDFGenerated, Content: pdf},
				Journal: []store.JournalEntry{{Date: inv.IssueDate, Kind: store.JournalInvoice, Description: "Invoice " + inv.Number, Debit: inv.Total}}}
			if i%3 == 0 {
				inv.Status = "paid"
				inv.Payments = append(inv.Payments, store.Payment{Amount: inv.Total, Date: inv.DueDate, Method: "transfer"})
				ch.Journal = append(ch.Journal, store.JournalEntry{Date: inv.DueDate, Kind: store.JournalPayment, Description: "Payment", Credit: inv.Total})
			}
			return ch, nil
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}
