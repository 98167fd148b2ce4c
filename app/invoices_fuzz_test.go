package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"keyward/store"
)

// invoiceBench is a server (not listening: requests go through fiber's Test) with a distributor,
// its client and the distributor owner's API token, for fuzzing and benchmarks.
type invoiceBench struct {
	srv    *Server
	db     *store.DB
	clock  *clockwork.FakeClock
	dist   store.Org
	client store.Org
	token  string
}

// newInvoiceBench builds the world with the clock at the given time.
func newInvoiceBench(tb testing.TB, at time.Time) *invoiceBench {
	tb.Helper()
	ctx := context.Background()
	s, db, clock := newBenchServer(tb, at)
	b := &invoiceBench{srv: s, db: db, clock: clock}
	vendor, _ := db.FindVendor(ctx)
	b.dist = store.Org{Kind: store.KindDistributor, ParentID: vendor.ID, Name: "Northwind"}
	if err := db.CreateOrg(ctx, &b.dist); err != nil {
		tb.Fatal(err)
	}
	b.client = store.Org{Kind: store.KindClient, ParentID: b.dist.ID, Name: "Contoso"}
	if err := db.CreateOrg(ctx, &b.client); err != nil {
		tb.Fatal(err)
	}
	u := store.User{Email: "dora@dist.test", Name: "Dora", PasswordHash: "x"}
	if err := db.CreateUser(ctx, &u, b.dist.ID, store.RoleOwner); err != nil {
		tb.Fatal(err)
	}
	var err error
	if b.token, err = NewAPIToken(ctx, db, u.ID, "bench"); err != nil {
		tb.Fatal(err)
	}
	return b
}

// do sends a request through the app's handlers (fiber's Test) as the distributor owner.
func (b *invoiceBench) do(tb testing.TB, method, path string, body []byte) (int, []byte) {
	tb.Helper()
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+b.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.srv.fiber.Test(req, -1)
	if err != nil {
		tb.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// FuzzInvoiceJSON sends arbitrary bodies to the invoice APIs that parse JSON: no answer is a 500,
// and a refused body writes nothing (no invoice, line, payment, journal or audit entry changes).
func FuzzInvoiceJSON(f *testing.F) {
	b := newInvoiceBench(f, time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))
	ctx := context.Background()
	draft, err := b.srv.createDraft(ctx, b.client, draftInput{Lines: []lineInput{{Description: "Seed", Quantity: "1", UnitPrice: "10.00"}}}, store.Actor{})
	if err != nil {
		f.Fatal(err)
	}
	issued, err := b.srv.createDraft(ctx, b.client, draftInput{Lines: []lineInput{{Description: "Seed", Quantity: "1", UnitPrice: "10.00"}}}, store.Actor{})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := b.srv.issueInvoice(ctx, issued.ID, store.Actor{}); err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		fmt.Sprintf(`{"organization_id":%d,"lines":[{"description":"A","quantity":"1.5","unit_price":"-10.00"},{"description":"B","unit_price":"20"}]}`, b.client.ID),
		fmt.Sprintf(`{"organization_id":"%d","tax_rate":20,"due_date":null,"notes":"x","lines":[{"description":"A","quantity":2,"unit_price":1e3}]}`, b.client.ID),
		`{"lines":[{"description":"A","quantity":"0.00001","unit_price":"1"}]}`,
		`{"amount":"10.00","date":"2026-11-03","method":"transfer","reference":"R","from_credit":false}`,
		`{"amount":"5","from_credit":true}`,
		`{"kind":"credit","amount":"1.00","currency":"EUR","description":"Goodwill","date":"2026-11-01"}`,
		`{"prefix":"NW","payment_terms":"14","tax_rate":"7.5","auto_issue":true}`,
		`{"reason":"Issued twice"}`, `[]`, `null`, `{"lines":null}`, `{"lines":[null]}`, `{"organization_id":-1}`, `"`,
	} {
		f.Add([]byte(seed))
	}
	type snapshot struct {
		Draft, Issued store.Invoice
		Invoices      int
		Journal       int
		Audit         int
		Settings      store.InvoiceSettings
	}
	take := func(t *testing.T) snapshot {
		var s snapshot
		var err error
		if s.Draft, err = b.db.FindInvoice(ctx, draft.ID); err != nil {
			t.Fatal(err)
		}
		if s.Issued, err = b.db.FindInvoice(ctx, issued.ID); err != nil {
			t.Fatal(err)
		}
		if _, s.Invoices, err = b.db.Invoices(ctx, store.InvoiceFilter{All: true}); err != nil {
			t.Fatal(err)
		}
		j, err := b.db.Journal(ctx, b.client.ID)
		if err != nil {
			t.Fatal(err)
		}
		s.Journal = len(j)
		_, s.Audit, err = b.db.ListAudit(ctx, store.AuditFilter{Limit: 1})
		if err != nil {
			t.Fatal(err)
		}
		if s.Settings, err = b.db.InvoiceSettings(ctx, b.dist.ID); err != nil {
			t.Fatal(err)
		}
		return s
	}
	routes := []struct {
		method, path string
		ok           int
	}{
		{http.MethodPost, "/api/v1/invoices", http.StatusCreated},
		{http.MethodPatch, fmt.Sprintf("/api/v1/invoices/%d", draft.ID), http.StatusOK},
		{http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/payments", issued.ID), http.StatusCreated},
		{http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/journal", b.client.ID), http.StatusCreated},
		{http.MethodPatch, fmt.Sprintf("/api/v1/organizations/%d/invoicing", b.dist.ID), http.StatusOK},
		{http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/void", draft.ID), http.StatusOK},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, r := range routes {
			before := take(t)
			status, out := b.do(t, r.method, r.path, body)
			if status >= 500 {
				t.Fatalf("%s %s %q: %d %s", r.method, r.path, body, status, out)
			}
			if status == r.ok {
				continue
			}
			if after := take(t); !reflect.DeepEqual(before, after) {
				t.Fatalf("%s %s %q refused (%d %s) but something was written:\nbefore %+v\nafter  %+v", r.method, r.path, body, status, out, before, after)
			}
		}
	})
}
