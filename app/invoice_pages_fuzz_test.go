package app

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// FuzzInvoiceForms posts arbitrary form bodies to the invoice pages' forms as the distributor
// owner: no answer is a 500, and a form the page refuses (shown again with its message) writes
// nothing: no invoice, line, payment, journal entry, audit entry or setting changes.
func FuzzInvoiceForms(f *testing.F) {
	b := newInvoiceBench(f, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	line := []lineInput{{Description: "Seed", Quantity: "1", UnitPrice: "10.00"}}
	draft, err := b.srv.createDraft(ctx, b.client, draftInput{Lines: line}, store.Actor{})
	if err != nil {
		f.Fatal(err)
	}
	issued, err := b.srv.createDraft(ctx, b.client, draftInput{Lines: line}, store.Actor{})
	if err == nil {
		_, err = b.srv.issueInvoice(ctx, issued.ID, store.Actor{})
	}
	if err != nil {
		f.Fatal(err)
	}
	owner, err := b.db.FindUserByEmail(ctx, "dora@dist.test")
	if err != nil {
		f.Fatal(err)
	}
	raw := b.session(f, owner.ID)
	csrf := b.srv.sign("csrf", "session:"+raw)
	for _, seed := range []string{
		"description=Setup&quantity=2&unit_price=150.00&description=Discount&quantity=1&unit_price=-20&currency=EUR&tax_rate=19",
		"description=A&quantity=0.00001&unit_price=1&currency=eur&tax_rate=7.5&due_date=2026-13-01",
		"description=A&quantity=1&unit_price=1&step=remove:0&description=&quantity=&unit_price=",
		"description=A&quantity=1&unit_price=1&step=add&license_id=999",
		"amount=10.00&date=2026-11-03&method=transfer&reference=R&from_credit=1",
		"kind=credit&amount=1.00&currency=EUR&description=Goodwill&date=2026-11-01",
		"prefix=NW&payment_terms=14&tax_rate=7.5&currency=EUR&bank_details=IBAN&footer=F&auto_issue=true",
		"reason=Issued+twice", "reason=", "%zz", "description=%00&quantity=1e9&unit_price=9999999999999999999",
	} {
		f.Add(seed)
	}
	fingerprint := func(t *testing.T) string {
		var out []string
		for _, id := range []int64{draft.ID, issued.ID} {
			inv, err := b.db.FindInvoice(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s %s %d %d %d %q %q %+v %+v", inv.Status, inv.Currency, inv.TaxRate, inv.Total, inv.Paid,
				inv.DueDate, inv.Notes, inv.Lines, inv.Payments))
		}
		_, n, err := b.db.Invoices(ctx, store.InvoiceFilter{All: true})
		if err != nil {
			t.Fatal(err)
		}
		j, err := b.db.Journal(ctx, b.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		_, audit, err := b.db.ListAudit(ctx, store.AuditFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		st, err := b.db.InvoiceSettings(ctx, b.dist.ID)
		if err != nil {
			t.Fatal(err)
		}
		return strings.Join(out, "\n") + fmt.Sprintf("\n%d invoices, %d journal entries, %d audit entries, settings %+v", n, len(j), audit, st)
	}
	forms := []string{
		fmt.Sprintf("/orgs/%d/invoices", b.client.ID),
		fmt.Sprintf("/invoices/%d/edit", draft.ID),
		fmt.Sprintf("/invoices/%d/payments", issued.ID),
		fmt.Sprintf("/orgs/%d/journal", b.client.ID),
		fmt.Sprintf("/orgs/%d/invoicing", b.dist.ID),
		fmt.Sprintf("/invoices/%d/void", issued.ID),
	}
	f.Fuzz(func(t *testing.T, body string) {
		body += "&_csrf=" + url.QueryEscape(csrf)
		for _, path := range forms {
			before := fingerprint(t)
			req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.AddCookie(&http.Cookie{Name: sessionCookie, Value: raw})
			resp, err := b.srv.fiber.Test(req, -1)
			if err != nil {
				t.Fatal(err)
			}
			page, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode >= 500 {
				t.Fatalf("POST %s %q: %d\n%s", path, body, resp.StatusCode, page)
			}
			if resp.StatusCode == http.StatusSeeOther {
				continue // saved, as the form asked
			}
			if after := fingerprint(t); after != before {
				t.Fatalf("POST %s %q refused (%d) but something was written:\nbefore %s\nafter  %s", path, body, resp.StatusCode, before, after)
			}
		}
	})
}
