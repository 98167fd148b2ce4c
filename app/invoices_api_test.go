package app

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"keyward/store"
)

// newDraft creates a manual draft for the world's client through the API and returns it.
func (w *licenseWorld) newDraft(body map[string]any) map[string]any {
	w.a.t.Helper()
	if body == nil {
		body = map[string]any{}
	}
	if _, ok := body["organization_id"]; !ok {
		body["organization_id"] = w.client.ID
	}
	if _, ok := body["lines"]; !ok {
		body["lines"] = []map[string]any{{"description": "Installation", "quantity": "2", "unit_price": "150.00"}}
	}
	return w.mustAPI(w.distToken, http.MethodPost, "/api/v1/invoices", http.StatusCreated, body)
}

func idOf(out map[string]any) int64 { return int64(out["id"].(float64)) }

// TestInvoiceLifecycle follows an invoice through the API as its distributor and its client see
// it: a draft the client cannot see, issued with a number and a PDF, paid in part, overpaid into
// credit, the credit applied to another invoice, a reversal, a void, and the client's journal.
func TestInvoiceLifecycle(t *testing.T) {
	w := newLicenseWorld(t)
	draft := w.newDraft(map[string]any{"tax_rate": "20", "notes": "Thank you.", "lines": []map[string]any{
		{"description": "Installation", "quantity": "2", "unit_price": "150.00"},
		{"description": "Loyalty discount", "quantity": 1, "unit_price": "-50.00"},
	}})
	id := idOf(draft)
	if draft["status"] != "draft" || draft["number"] != nil || draft["subtotal"] != "250.00" || draft["tax"] != "50.00" || draft["total"] != "300.00" {
		t.Fatalf("draft: %v", draft)
	}
	path := fmt.Sprintf("/api/v1/invoices/%d", id)

	// The client does not see drafts: not in its list, 404 on it and its PDF.
	for _, tok := range []string{w.clientOwnerTok, w.clientMemberTok} {
		w.mustAPI(tok, http.MethodGet, path, http.StatusNotFound, nil)
		w.mustAPI(tok, http.MethodGet, path+"/pdf", http.StatusNotFound, nil)
		w.mustAPI(tok, http.MethodPost, path+"/issue", http.StatusNotFound, nil)
		if list := w.mustAPI(tok, http.MethodGet, "/api/v1/invoices", http.StatusOK, nil); len(list["invoices"].([]any)) != 0 {
			t.Errorf("the client lists drafts: %v", list)
		}
	}
	w.mustAPI(w.otherTok, http.MethodGet, path, http.StatusNotFound, nil)
	w.mustAPI(w.distToken, http.MethodGet, path+"/pdf", http.StatusConflict, nil)

	// Edit the draft, then issue it.
	edited := w.mustAPI(w.distToken, http.MethodPatch, path, http.StatusOK, map[string]any{"tax_rate": "0"})
	if edited["total"] != "250.00" {
		t.Fatalf("after setting the tax rate to 0: %v", edited)
	}
	issued := w.mustAPI(w.distToken, http.MethodPost, path+"/issue", http.StatusOK, nil)
	if issued["number"] != "INV-2026-0001" || issued["status"] != "issued" || issued["issue_date"] != "2026-11-02" ||
		issued["due_date"] != "2026-12-02" || issued["due"] != "250.00" || issued["overdue"] != false {
		t.Fatalf("issued: %v", issued)
	}
	w.mustAPI(w.distToken, http.MethodPatch, path, http.StatusConflict, map[string]any{"notes": "late"})
	w.mustAPI(w.distToken, http.MethodPost, path+"/issue", http.StatusConflict, nil)
	w.mustAPI(w.clientMemberTok, http.MethodGet, path, http.StatusOK, nil)
	w.mustAPI(w.clientOwnerTok, http.MethodPost, path+"/payments", http.StatusForbidden, map[string]any{"amount": "1.00"})

	// The PDF is stored at issue: every download gives the same bytes.
	first, second := w.download(w.clientMemberTok, path+"/pdf"), w.download(w.distToken, path+"/pdf")
	if !bytes.HasPrefix(first, []byte("%PDF-")) || !bytes.Equal(first, second) {
		t.Errorf("PDF downloads differ or are not PDFs (%d and %d bytes)", len(first), len(second))
	}

	// Partial payment, then an overpayment: due never below zero, the rest is credit.
	paid := w.mustAPI(w.distToken, http.MethodPost, path+"/payments", http.StatusCreated,
		map[string]any{"amount": "100.00", "date": "2026-11-10", "method": "Bank transfer", "reference": "TX-1"})
	if paid["paid"] != "100.00" || paid["due"] != "150.00" || paid["status"] != "issued" {
		t.Fatalf("after a partial payment: %v", paid)
	}
	paid = w.mustAPI(w.distToken, http.MethodPost, path+"/payments", http.StatusCreated, map[string]any{"amount": 200, "date": "2026-11-12"})
	if paid["paid"] != "300.00" || paid["due"] != "0.00" || paid["credit"] != "50.00" || paid["status"] != "paid" {
		t.Fatalf("after an overpayment: %v", paid)
	}
	overpayment := int64(paid["payments"].([]any)[1].(map[string]any)["id"].(float64))

	// A second invoice takes the credit: the journal does not count it twice.
	second2 := idOf(w.newDraft(nil))
	path2 := fmt.Sprintf("/api/v1/invoices/%d", second2)
	if out := w.mustAPI(w.distToken, http.MethodPost, path2+"/issue", http.StatusOK, nil); out["number"] != "INV-2026-0002" {
		t.Fatalf("second number: %v", out["number"])
	}
	status, out := w.api(w.distToken, http.MethodPost, path2+"/payments", map[string]any{"amount": "50.01", "from_credit": true})
	if code, field := errorOf(out); status != http.StatusBadRequest || field != "amount" {
		t.Errorf("applying more credit than there is: %d %s %s", status, code, field)
	}
	applied := w.mustAPI(w.distToken, http.MethodPost, path2+"/payments", http.StatusCreated, map[string]any{"amount": "50.00", "from_credit": true})
	if applied["due"] != "250.00" {
		t.Fatalf("after applying the credit: %v", applied)
	}
	// The overpayment's excess now pays the second invoice: it cannot be reversed first.
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("%s/payments/%d/reverse", path, overpayment), http.StatusConflict, nil)

	// Voiding needs every payment reversed; reversal is an entry of its own.
	w.mustAPI(w.distToken, http.MethodPost, path2+"/void", http.StatusBadRequest, map[string]any{"reason": " "})
	w.mustAPI(w.distToken, http.MethodPost, path2+"/void", http.StatusConflict, map[string]any{"reason": "Issued twice"})
	creditPayment := int64(applied["payments"].([]any)[0].(map[string]any)["id"].(float64))
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("%s/payments/%d/reverse", path2, creditPayment), http.StatusOK, nil)
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("%s/payments/%d/reverse", path2, creditPayment), http.StatusConflict, nil)
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("%s/payments/%d/reverse", path2, 999999), http.StatusNotFound, nil)
	voided := w.mustAPI(w.distToken, http.MethodPost, path2+"/void", http.StatusOK, map[string]any{"reason": "Issued twice"})
	if voided["status"] != "void" || voided["number"] != "INV-2026-0002" || voided["due"] != "0.00" {
		t.Fatalf("voided: %v", voided)
	}
	w.mustAPI(w.distToken, http.MethodPost, path2+"/payments", http.StatusConflict, map[string]any{"amount": "1.00"})

	// A manual credit note, then the journal as the client sees it.
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/journal", w.client.ID), http.StatusCreated,
		map[string]any{"kind": "credit", "amount": "20.00", "currency": "EUR", "date": "2026-11-20", "description": "Goodwill"})
	w.mustAPI(w.clientOwnerTok, http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/journal", w.client.ID), http.StatusForbidden,
		map[string]any{"kind": "credit", "amount": "20.00", "currency": "EUR", "description": "Self-service"})
	j := w.mustAPI(w.clientMemberTok, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d/journal", w.client.ID), http.StatusOK, nil)
	type row struct{ kind, debit, credit, balance string }
	var got []row
	for _, e := range j["entries"].([]any) {
		m := e.(map[string]any)
		got = append(got, row{m["kind"].(string), m["debit"].(string), m["credit"].(string), m["balance"].(string)})
	}
	want := []row{
		{"invoice", "250.00", "0.00", "250.00"}, // INV-2026-0001, 2 November
		{"invoice", "300.00", "0.00", "550.00"}, // INV-2026-0002
		{"void", "0.00", "300.00", "250.00"},    // INV-2026-0002 void (today, 2 November)
		{"payment", "0.00", "100.00", "150.00"}, // 10 November
		{"payment", "0.00", "200.00", "-50.00"}, // 12 November: credit
		{"credit", "0.00", "20.00", "-70.00"},   // 20 November
	}
	if !slices.Equal(got, want) {
		t.Errorf("journal:\n got %v\nwant %v", got, want)
	}
	if b := j["balances"].(map[string]any)["EUR"]; b != "-70.00" {
		t.Errorf("balance %v, want -70.00", b)
	}
}

func (w *licenseWorld) download(token, path string) []byte {
	w.a.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.a.url+path, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.a.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" {
		w.a.t.Fatalf("GET %s: %d %s %s", path, resp.StatusCode, resp.Header.Get("Content-Type"), body)
	}
	return body
}

// TestOverdueIsDerivedInTheAPI: an issued invoice is overdue the day after its due date, and the
// journal says since when.
func TestOverdueIsDerivedInTheAPI(t *testing.T) {
	w := newLicenseWorld(t)
	id := idOf(w.newDraft(map[string]any{"due_date": "2026-11-05"}))
	path := fmt.Sprintf("/api/v1/invoices/%d", id)
	if out := w.mustAPI(w.distToken, http.MethodPost, path+"/issue", http.StatusOK, nil); out["due_date"] != "2026-11-05" {
		t.Fatalf("a draft's own due date was not kept: %v", out["due_date"])
	}
	w.a.clock.Advance(3 * 24 * time.Hour) // 5 November: due today
	if out := w.mustAPI(w.clientOwnerTok, http.MethodGet, path, http.StatusOK, nil); out["overdue"] != false {
		t.Errorf("overdue on its due date")
	}
	w.a.clock.Advance(24 * time.Hour)
	if out := w.mustAPI(w.clientOwnerTok, http.MethodGet, path, http.StatusOK, nil); out["overdue"] != true {
		t.Errorf("not overdue the day after its due date")
	}
	list := w.mustAPI(w.clientOwnerTok, http.MethodGet, "/api/v1/invoices?status=overdue", http.StatusOK, nil)
	if n := len(list["invoices"].([]any)); n != 1 {
		t.Errorf("%d overdue invoices listed, want 1", n)
	}
	j := w.mustAPI(w.clientOwnerTok, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d/journal", w.client.ID), http.StatusOK, nil)
	overdue := j["overdue"].(map[string]any)["EUR"].(map[string]any)
	if overdue["amount"] != "300.00" || overdue["since"] != "2026-11-05" {
		t.Errorf("overdue %v", overdue)
	}
	w.mustAPI(w.distToken, http.MethodPost, path+"/payments", http.StatusCreated, map[string]any{"amount": "300.00"})
	if out := w.mustAPI(w.clientOwnerTok, http.MethodGet, path, http.StatusOK, nil); out["overdue"] != false || out["status"] != "paid" {
		t.Errorf("a paid invoice: %v %v", out["status"], out["overdue"])
	}
}

// TestInvoiceBadInput: every refusal is a 400 naming its field, and writes nothing.
func TestInvoiceBadInput(t *testing.T) {
	w := newLicenseWorld(t)
	lic, _ := w.newLicense(nil)
	otherLic := idOf(w.mustAPI(w.admin, http.MethodPost, "/api/v1/licenses", http.StatusCreated, map[string]any{
		"organization_id": w.otherClient.ID, "product": "octo", "currency": "EUR", "term_years": 1, "payment_period": "annual"}))
	line := func(q, price any) []map[string]any {
		return []map[string]any{{"description": "A", "quantity": "1", "unit_price": "1.00"}, {"description": "B", "quantity": q, "unit_price": price}}
	}
	tests := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"no organization", map[string]any{"organization_id": nil}, "organization_id"},
		{"no lines", map[string]any{"lines": []any{}}, "lines"},
		{"lines not a list", map[string]any{"lines": "many"}, "lines"},
		{"five decimals of quantity", map[string]any{"lines": line("1.00001", "1.00")}, "lines[1].quantity"},
		{"three decimals of euro", map[string]any{"lines": line("1", "1.001")}, "lines[1].unit_price"},
		{"no unit price", map[string]any{"lines": []map[string]any{{"description": "A"}}}, "lines[0].unit_price"},
		{"unknown line field", map[string]any{"lines": []map[string]any{{"description": "A", "unit_price": "1", "vat": "20"}}}, "lines[0].vat"},
		{"negative total", map[string]any{"lines": line("1", "-1.01")}, "lines"},
		{"tax rate with three decimals", map[string]any{"tax_rate": "7.125"}, "tax_rate"},
		{"tax rate above 100", map[string]any{"tax_rate": "101"}, "tax_rate"},
		{"unknown currency", map[string]any{"currency": "EUX"}, "currency"},
		{"bad due date", map[string]any{"due_date": "2026-02-30"}, "due_date"},
		{"foreign license", map[string]any{"license_id": otherLic}, "license_id"},
		{"unknown field", map[string]any{"status": "paid"}, "status"},
		{"a distributor is not a client", map[string]any{"organization_id": w.dist.ID}, "organization_id"},
	}
	count := func() int {
		_, n, err := w.a.db.Invoices(context.Background(), store.InvoiceFilter{All: true})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{"organization_id": w.client.ID, "license_id": lic,
				"lines": []map[string]any{{"description": "A", "quantity": "1", "unit_price": "1.00"}}}
			for k, v := range tt.body {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			status, out := w.api(w.distToken, http.MethodPost, "/api/v1/invoices", body)
			if code, field := errorOf(out); status != http.StatusBadRequest || code != "INVALID_INPUT" || field != tt.field {
				t.Errorf("status %d, error %s on %q, want 400 on %q: %v", status, code, field, tt.field, out)
			}
			if n := count(); n != 0 {
				t.Errorf("%d invoices written", n)
			}
		})
	}
	// A foreign client's organization does not exist for the distributor.
	w.mustAPI(w.distToken, http.MethodPost, "/api/v1/invoices", http.StatusNotFound, map[string]any{"organization_id": w.otherClient.ID,
		"lines": []map[string]any{{"description": "A", "unit_price": "1.00"}}})
	w.mustAPI(w.clientOwnerTok, http.MethodPost, "/api/v1/invoices", http.StatusForbidden, map[string]any{"organization_id": w.client.ID,
		"lines": []map[string]any{{"description": "A", "unit_price": "1.00"}}})

	// Payments and journal entries.
	id := idOf(w.newDraft(nil))
	path := fmt.Sprintf("/api/v1/invoices/%d", id)
	w.mustAPI(w.distToken, http.MethodPost, path+"/payments", http.StatusConflict, map[string]any{"amount": "1.00"})
	w.mustAPI(w.distToken, http.MethodPost, path+"/issue", http.StatusOK, nil)
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"amount": "0"}, "amount"},
		{map[string]any{"amount": "-5.00"}, "amount"},
		{map[string]any{"amount": "1.001"}, "amount"},
		{map[string]any{"amount": "1", "date": "yesterday"}, "date"},
		{map[string]any{"amount": "1", "method": strings.Repeat("x", 101)}, "method"},
		{map[string]any{"amount": "1", "from_credit": "perhaps"}, "from_credit"},
		{map[string]any{"amount": "1", "from_credit": true}, "amount"}, // no credit
		{map[string]any{"amount": "1", "extra": 1}, "extra"},
	} {
		status, out := w.api(w.distToken, http.MethodPost, path+"/payments", tt.body)
		if _, field := errorOf(out); status != http.StatusBadRequest || field != tt.field {
			t.Errorf("payment %v: %d on %q, want 400 on %q", tt.body, status, field, tt.field)
		}
	}
	if out := w.mustAPI(w.distToken, http.MethodGet, path, http.StatusOK, nil); len(out["payments"].([]any)) != 0 {
		t.Errorf("refused payments were written: %v", out["payments"])
	}
	journal := fmt.Sprintf("/api/v1/organizations/%d/journal", w.client.ID)
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"kind": "refund", "amount": "1", "currency": "EUR", "description": "x"}, "kind"},
		{map[string]any{"kind": "credit", "amount": "1", "currency": "XXX", "description": "x"}, "currency"},
		{map[string]any{"kind": "credit", "amount": "-1", "currency": "EUR", "description": "x"}, "amount"},
		{map[string]any{"kind": "credit", "amount": "1", "currency": "EUR", "description": ""}, "description"},
	} {
		status, out := w.api(w.distToken, http.MethodPost, journal, tt.body)
		if _, field := errorOf(out); status != http.StatusBadRequest || field != tt.field {
			t.Errorf("journal entry %v: %d on %q, want 400 on %q", tt.body, status, field, tt.field)
		}
	}
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/journal", w.dist.ID), http.StatusNotFound,
		map[string]any{"kind": "credit", "amount": "1", "currency": "EUR", "description": "a distributor has no journal"})
	j := w.mustAPI(w.distToken, http.MethodGet, journal, http.StatusOK, nil)
	if n := len(j["entries"].([]any)); n != 1 {
		t.Errorf("journal has %d entries, want only the issued invoice", n)
	}
}

// TestConcurrentIssuesThroughHTTP issues drafts from many clients at once through the API: the
// numbers are 0001 … N with no gap and no duplicate.
func TestConcurrentIssuesThroughHTTP(t *testing.T) {
	w := newLicenseWorld(t)
	const n = 30
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = idOf(w.newDraft(nil))
	}
	numbers := make([]string, n)
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodPost, fmt.Sprintf("%s/api/v1/invoices/%d/issue", w.a.url, id), nil)
			req.Header.Set("Authorization", "Bearer "+w.distToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("issue %d: %d", id, resp.StatusCode)
			}
		})
	}
	wg.Wait()
	for i, id := range ids {
		numbers[i] = w.mustAPI(w.distToken, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d", id), http.StatusOK, nil)["number"].(string)
	}
	slices.Sort(numbers)
	for i, got := range numbers {
		if want := fmt.Sprintf("INV-2026-%04d", i+1); got != want {
			t.Fatalf("numbers %v: %s at %d, want %s", numbers, got, i, want)
		}
	}
}

// TestInvoicingSettings: the issuer's owners set the prefix, terms and tax rate new invoices use;
// its members may read them; clients do not see them.
func TestInvoicingSettings(t *testing.T) {
	w := newLicenseWorld(t)
	path := fmt.Sprintf("/api/v1/organizations/%d/invoicing", w.dist.ID)
	st := w.mustAPI(w.distToken, http.MethodGet, path, http.StatusOK, nil)
	if st["prefix"] != "INV" || st["payment_terms"] != float64(30) || st["tax_rate"] != "0" || st["currency"] != "EUR" || st["auto_issue"] != false {
		t.Errorf("defaults: %v", st)
	}
	w.mustAPI(w.clientOwnerTok, http.MethodGet, path, http.StatusNotFound, nil)
	w.mustAPI(w.clientOwnerTok, http.MethodPatch, path, http.StatusNotFound, map[string]any{"prefix": "X"})
	w.mustAPI(w.otherTok, http.MethodGet, path, http.StatusNotFound, nil)
	w.mustAPI(w.distToken, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d/invoicing", w.client.ID), http.StatusNotFound, nil)
	for _, tt := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"prefix": "IN V"}, "prefix"},
		{map[string]any{"prefix": ""}, "prefix"},
		{map[string]any{"payment_terms": 366}, "payment_terms"},
		{map[string]any{"payment_terms": "thirty"}, "payment_terms"},
		{map[string]any{"tax_rate": "19.999"}, "tax_rate"},
		{map[string]any{"currency": "euro"}, "currency"},
		{map[string]any{"footer": strings.Repeat("x", 2001)}, "footer"},
		{map[string]any{"auto_issue": "maybe"}, "auto_issue"},
		{map[string]any{"logo": "x"}, "logo"},
	} {
		status, out := w.api(w.distToken, http.MethodPatch, path, tt.body)
		if _, field := errorOf(out); status != http.StatusBadRequest || field != tt.field {
			t.Errorf("%v: %d on %q, want 400 on %q", tt.body, status, field, tt.field)
		}
	}
	st = w.mustAPI(w.distToken, http.MethodPatch, path, http.StatusOK, map[string]any{"prefix": "NW", "payment_terms": 14,
		"tax_rate": "19", "bank_details": "IBAN FR76 3000 6000 0112 3456 7890 189\nBIC AGRIFRPP", "footer": "Northwind SAS"})
	if st["prefix"] != "NW" || st["tax_rate"] != "19" {
		t.Errorf("saved: %v", st)
	}
	inv := w.newDraft(nil)
	if inv["tax_rate"] != "19" || inv["total"] != "357.00" {
		t.Errorf("a new draft has tax rate %v and total %v, want the issuer's 19%% (357.00)", inv["tax_rate"], inv["total"])
	}
	issued := w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/issue", idOf(inv)), http.StatusOK, nil)
	if issued["number"] != "NW-2026-0001" || issued["due_date"] != "2026-11-16" {
		t.Errorf("issued %v due %v, want NW-2026-0001 due 2026-11-16", issued["number"], issued["due_date"])
	}
}

// TestInvoicePDFUpload: the issuer uploads its own PDF, which is served from then on; the versions
// stay listed; bad uploads are refused, and multipart bodies only reach upload routes.
func TestInvoicePDFUpload(t *testing.T) {
	w := newLicenseWorld(t)
	id := idOf(w.newDraft(nil))
	path := fmt.Sprintf("/api/v1/invoices/%d/pdf", id)
	put := func(token, contentType string, body []byte) (int, string) {
		req, _ := http.NewRequest(http.MethodPut, w.a.url+path, bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("Content-Type", contentType)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		out, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(out)
	}
	own := []byte("%PDF-1.7\nthe issuer's own invoice\n%%EOF\n")
	if status, body := put(w.distToken, "application/pdf", own); status != http.StatusConflict {
		t.Errorf("upload on a draft: %d %s", status, body)
	}
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/issue", id), http.StatusOK, nil)
	generated := w.download(w.clientOwnerTok, path)
	for _, tt := range []struct {
		name, token, ct string
		body            []byte
		want            int
	}{
		{"not a PDF", w.distToken, "application/pdf", []byte("<html>"), http.StatusBadRequest},
		{"empty", w.distToken, "application/pdf", nil, http.StatusBadRequest},
		{"too large", w.distToken, "application/pdf", append([]byte("%PDF-"), make([]byte, 10<<20)...), http.StatusRequestEntityTooLarge},
		{"JSON", w.distToken, "application/json", own, http.StatusUnsupportedMediaType},
		{"multipart", w.distToken, "multipart/form-data; boundary=x", own, http.StatusUnsupportedMediaType},
		{"by the client", w.clientOwnerTok, "application/pdf", own, http.StatusForbidden},
	} {
		if status, body := put(tt.token, tt.ct, tt.body); status != tt.want {
			t.Errorf("%s: %d, want %d: %s", tt.name, status, tt.want, body)
		}
	}
	if got := w.download(w.clientOwnerTok, path); !bytes.Equal(got, generated) {
		t.Fatal("a refused upload changed the PDF served")
	}
	if status, body := put(w.distToken, "application/pdf", own); status != http.StatusOK {
		t.Fatalf("upload: %d %s", status, body)
	}
	if got := w.download(w.clientOwnerTok, path); !bytes.Equal(got, own) {
		t.Errorf("the client gets %q, want the uploaded PDF", got)
	}
	versions := w.mustAPI(w.distToken, http.MethodGet, path+"s", http.StatusOK, nil)["versions"].([]any)
	if len(versions) != 2 || versions[0].(map[string]any)["source"] != "uploaded" || versions[0].(map[string]any)["created_by"] != w.distOwner {
		t.Fatalf("versions: %v", versions)
	}
	older := int64(versions[1].(map[string]any)["id"].(float64))
	if got := w.download(w.distToken, fmt.Sprintf("%s?version=%d", path, older)); !bytes.Equal(got, generated) {
		t.Error("the generated version is no longer downloadable by the issuer")
	}
	w.mustAPI(w.clientOwnerTok, http.MethodGet, fmt.Sprintf("%s?version=%d", path, older), http.StatusForbidden, nil)
	w.mustAPI(w.clientOwnerTok, http.MethodGet, path+"s", http.StatusForbidden, nil)

	// Multipart bodies reach the routes registered with routeUpload only.
	var form bytes.Buffer
	mw := multipart.NewWriter(&form)
	mw.WriteField("name", "x")
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, w.a.url+"/api/v1/invoices", bytes.NewReader(form.Bytes()))
	req.Header.Set("Authorization", "Bearer "+w.distToken)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("a multipart body on POST /api/v1/invoices: %d, want 415", resp.StatusCode)
	}
	if !routePattern("/invoices/:id/pdf").MatchString("/invoices/12/pdf") || routePattern("/invoices/:id/pdf").MatchString("/invoices/12/pdf/x") ||
		routePattern("/invoices/:id/pdf").MatchString("/invoices//pdf") {
		t.Error("routePattern matches the wrong paths")
	}
}
