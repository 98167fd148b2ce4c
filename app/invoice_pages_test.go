package app

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"keyward/store"
)

// signedIn is a browser signed in as one of the world's people.
func (w *invoiceWorld) signedIn(u store.User) *browser {
	w.a.t.Helper()
	b := w.a.browser()
	b.signIn(u.Email, testPassword)
	return b
}

// fieldErrorOf is the message shown beside a form field, "" when there is none.
func fieldErrorOf(page, id string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `-error">([^<]*)</p>`).FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestClientsSeeIssuedInvoicesAndNeverDrafts(t *testing.T) {
	w := newInvoiceWorld(t)
	issued := w.issued("Installation", "1000.00")
	paid := w.issued("Training", "100.00")
	if _, err := w.a.srv.recordPayment(t.Context(), paid.ID, paymentInput{Amount: "119.00"}, w.by); err != nil {
		t.Fatal(err)
	}
	draft := w.draft([3]string{"Secret draft line", "1", "5.00"})

	for _, u := range []store.User{w.owner, w.member} {
		b := w.signedIn(u)
		b.status(b.get("/invoices"), http.StatusOK)
		b.assertContains(issued.Number, paid.Number, "1,190.00 EUR", "119.00 EUR", ">Issued<", ">Paid<")
		if strings.Contains(b.body, "Secret draft") || strings.Contains(b.body, fmt.Sprintf("Draft %d", draft.ID)) || strings.Contains(b.body, "Drafts to review") {
			t.Errorf("%s sees a draft in the list:\n%s", u.Email, b.body)
		}
		for _, path := range []string{fmt.Sprintf("/invoices/%d", draft.ID), fmt.Sprintf("/invoices/%d/pdf", draft.ID),
			fmt.Sprintf("/invoices/%d/edit", draft.ID), "/invoices?status=draft"} {
			resp := b.get(path)
			if path == "/invoices?status=draft" {
				if resp.StatusCode != http.StatusOK || strings.Contains(b.body, "Secret draft") || strings.Contains(b.body, fmt.Sprintf("/invoices/%d\"", draft.ID)) {
					t.Errorf("%s: %s shows the draft (%d)", u.Email, path, resp.StatusCode)
				}
				continue
			}
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s: GET %s = %d, want 404 (drafts do not exist for clients)", u.Email, path, resp.StatusCode)
			}
		}
		b.get("/invoices.csv")
		if strings.Contains(b.body, "Secret") || !strings.Contains(b.body, issued.Number) {
			t.Errorf("%s: CSV\n%s", u.Email, b.body)
		}
		// Their role sees invoices but does not issue, pay or void them.
		b.get(fmt.Sprintf("/invoices/%d", issued.ID))
		if strings.Contains(b.body, "Record payment") || strings.Contains(b.body, "Void invoice") || strings.Contains(b.body, "Upload a PDF") {
			t.Errorf("%s sees the issuer's actions:\n%s", u.Email, b.body)
		}
		if resp := b.post(fmt.Sprintf("/invoices/%d/void", issued.ID), url.Values{"reason": {"no"}}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s voids an invoice: %d, want 403", u.Email, resp.StatusCode)
		}
	}
	foreign := w.signedIn(w.otherOwner)
	foreign.get("/invoices")
	if strings.Contains(foreign.body, issued.Number) {
		t.Error("another client sees the invoice in its list")
	}
	for _, path := range []string{fmt.Sprintf("/invoices/%d", issued.ID), fmt.Sprintf("/invoices/%d/pdf", issued.ID), fmt.Sprintf("/orgs/%d/journal", w.client.ID)} {
		if resp := foreign.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another client: GET %s = %d, want 404", path, resp.StatusCode)
		}
	}
}

func TestInvoiceListFiltersAndCSV(t *testing.T) {
	w := newInvoiceWorld(t)
	a := w.issued("Alpha", "10.00")
	b2 := w.issued("Beta", "20.00")
	if _, err := w.a.srv.recordPayment(t.Context(), b2.ID, paymentInput{Amount: "23.80"}, w.by); err != nil {
		t.Fatal(err)
	}
	b := w.signedIn(w.owner)
	b.get("/invoices?status=paid")
	if !strings.Contains(b.body, b2.Number) || strings.Contains(b.body, a.Number) {
		t.Errorf("status=paid shows the wrong invoices:\n%s", b.body)
	}
	b.get("/invoices?year=2025")
	b.assertContains("No invoice matches these filters.")
	b.get("/invoices?year=2026&status=issued")
	if !strings.Contains(b.body, a.Number) || strings.Contains(b.body, b2.Number) {
		t.Errorf("year=2026&status=issued shows the wrong invoices:\n%s", b.body)
	}
	if resp := b.get("/invoices?status=bogus"); resp.StatusCode != http.StatusBadRequest {
		t.Errorf("an unknown status: %d, want 400", resp.StatusCode)
	}
	// The issuer filters by client.
	other := w.a.createOrg(store.KindClient, "Tailspin Toys", w.dist.ID)
	otherDraft, err := w.a.srv.createDraft(t.Context(), other, draftInput{Lines: []lineInput{{Description: "T", Quantity: "1", UnitPrice: "1"}}}, w.by)
	if err != nil {
		t.Fatal(err)
	}
	d := w.signedIn(w.distOwner)
	d.get("/invoices")
	d.assertContains(`name="organization_id"`, "Tailspin Toys", a.Number)
	d.get(fmt.Sprintf("/invoices?organization_id=%d", other.ID))
	if !strings.Contains(d.body, fmt.Sprintf("Draft %d", otherDraft.ID)) || strings.Contains(d.body, a.Number) {
		t.Errorf("organization_id=%d shows the wrong invoices:\n%s", other.ID, d.body)
	}
	resp := b.get("/invoices.csv?status=paid")
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/csv") {
		t.Fatalf("CSV content type %q", ct)
	}
	rows, err := csv.NewReader(strings.NewReader(b.body)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 2 || rows[1][0] != b2.Number || rows[1][1] != "paid" || rows[1][12] != "23.80" || rows[1][14] != "0.00" {
		t.Errorf("CSV rows %v, want the header and %s, paid, total 23.80, nothing due", rows, b2.Number)
	}
}

func TestInvoiceDownloadsAreTheStoredPDF(t *testing.T) {
	w := newInvoiceWorld(t)
	inv := w.issued("Installation of the Berlin site", "1000.00")
	b := w.signedIn(w.member)
	resp := b.get(fmt.Sprintf("/invoices/%d/pdf", inv.ID))
	b.status(resp, http.StatusOK)
	if ct, cd := resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"); ct != "application/pdf" || !strings.Contains(cd, inv.Number+".pdf") {
		t.Errorf("headers %q %q, want a PDF named %s.pdf", ct, cd, inv.Number)
	}
	first := []byte(b.body)
	text := pdfText(t, first)
	for _, want := range []string{inv.Number, "1,190.00 EUR", "Due date", "2026-12-02", "Contoso Hotels", "Northwind Distribution", "IBAN FR76"} {
		if !strings.Contains(text, want) {
			t.Errorf("the PDF does not show %q:\n%s", want, text)
		}
	}
	b.get(fmt.Sprintf("/invoices/%d/pdf", inv.ID))
	if !bytes.Equal(first, []byte(b.body)) {
		t.Error("two downloads of the same invoice differ")
	}
	// A PDF rendered again from the same invoice is the same bytes: rendering is deterministic.
	doc, err := w.a.srv.invoiceDocOf(t.Context(), inv)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Settings, err = w.a.db.InvoiceSettings(t.Context(), inv.IssuerID); err != nil {
		t.Fatal(err)
	}
	again, err := w.a.srv.invoicePDF(t.Context(), doc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(first, again) {
		t.Error("rendering the invoice again gives other bytes than the stored PDF")
	}
}

func TestInvoiceEditorIssuePayVoid(t *testing.T) {
	w := newInvoiceWorld(t)
	b := w.signedIn(w.distOwner)
	newPath := fmt.Sprintf("/orgs/%d/invoices/new", w.client.ID)
	b.status(b.get(newPath), http.StatusOK)
	b.assertContains("New invoice for Contoso Hotels", `value="19"`) // the issuer's default tax rate
	create := fmt.Sprintf("/orgs/%d/invoices", w.client.ID)
	form := url.Values{"currency": {"EUR"}, "tax_rate": {"19"}, "due_date": {""}, "notes": {"Thank you."}, "license_id": {""},
		"description": {"Setup"}, "quantity": {"2"}, "unit_price": {"150.00"}}
	// Add a line without JavaScript: the form comes back with one more, nothing saved.
	add := url.Values{}
	for k, v := range form {
		add[k] = v
	}
	add.Set("step", "add")
	b.status(b.post(create, add), http.StatusOK)
	if got := strings.Count(b.body, `name="description"`); got != 2 {
		t.Fatalf("%d lines after adding one, want 2", got)
	}
	if list, _, _ := w.a.db.Invoices(t.Context(), store.InvoiceFilter{All: true}); len(list) != 0 {
		t.Fatalf("adding a line saved %d invoices", len(list))
	}
	// A bad price is shown beside its field, and nothing is saved.
	bad := url.Values{"currency": {"EUR"}, "tax_rate": {"19"}, "description": {"Setup", "Discount"}, "quantity": {"2", "1"},
		"unit_price": {"150.00", "ten"}}
	b.status(b.post(create, bad), http.StatusBadRequest)
	if msg := fieldErrorOf(b.body, "unit-price-1"); msg == "" {
		t.Errorf("no message beside the second line's unit price:\n%s", b.body)
	}
	if list, _, _ := w.a.db.Invoices(t.Context(), store.InvoiceFilter{All: true}); len(list) != 0 {
		t.Fatalf("a refused form saved %d invoices", len(list))
	}
	// Remove the bad line, then save: a draft of 2 × 150.00 with 19 % tax.
	bad.Set("step", "remove:1")
	b.status(b.post(create, bad), http.StatusOK)
	if got := strings.Count(b.body, `name="description"`); got != 1 {
		t.Fatalf("%d lines after removing one, want 1", got)
	}
	good := url.Values{"currency": {"EUR"}, "tax_rate": {"19"}, "description": {"Setup", "Loyalty discount"}, "quantity": {"2", "1"},
		"unit_price": {"150.00", "-20.00"}, "notes": {"Thank you."}}
	resp := b.post(create, good)
	b.status(resp, http.StatusSeeOther)
	draftPath := strings.Split(resp.Header.Get("Location"), "?")[0]
	b.get(draftPath)
	b.assertContains("Draft invoice", "280.00 EUR", "53.20 EUR", "333.20 EUR", "does not see it")

	// Issue it: a number, and the client's owners are told.
	b.follow(b.post(draftPath+"/issue", url.Values{}))
	b.assertContains("Invoice NW-2026-0001", "Invoice issued", ">Issued<", "Record a payment")
	// An issued invoice no longer changes.
	resp = b.get(draftPath + "/edit")
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "already-issued") {
		t.Errorf("editing an issued invoice: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// A payment with a bad amount is refused beside its field; a partial one is recorded.
	b.get(draftPath)
	b.status(b.post(draftPath+"/payments", url.Values{"amount": {"-5"}, "date": {"2026-11-03"}}), http.StatusBadRequest)
	if fieldErrorOf(b.body, "amount") == "" {
		t.Errorf("no message beside the payment's amount:\n%s", b.body)
	}
	b.status(b.post(draftPath+"/payments", url.Values{"amount": {"100.00"}, "date": {"2026-11-03"}, "method": {"Bank transfer"},
		"reference": {"SEPA 42"}}), http.StatusSeeOther)
	b.get(draftPath)
	b.assertContains("SEPA 42", "233.20 EUR", "reverse them before voiding it")

	// Voiding waits until the payment is reversed; then a reason is required.
	inv, err := w.a.db.FindInvoice(t.Context(), pathID(t, draftPath))
	if err != nil {
		t.Fatal(err)
	}
	b.status(b.post(draftPath+"/void", url.Values{"reason": {"Wrong client"}}), http.StatusConflict)
	b.assertContains("reverse them first")
	b.follow(b.post(fmt.Sprintf("%s/payments/%d/reverse", draftPath, inv.Payments[0].ID), url.Values{}))
	b.assertContains("Reversed", "Payment reversed")
	b.status(b.post(draftPath+"/void", url.Values{"reason": {"  "}}), http.StatusBadRequest)
	if fieldErrorOf(b.body, "reason") == "" {
		t.Errorf("no message beside the void reason:\n%s", b.body)
	}
	b.status(b.post(draftPath+"/void", url.Values{"reason": {"Wrong client"}}), http.StatusSeeOther)
	b.get(draftPath)
	b.assertContains(">Void<", "This invoice is void: Wrong client")
}

// pathID is the id at the end of a path such as /invoices/12.
func pathID(t *testing.T, path string) int64 {
	t.Helper()
	var id int64
	if _, err := fmt.Sscanf(path[strings.LastIndex(path, "/")+1:], "%d", &id); err != nil {
		t.Fatalf("no id in %q", path)
	}
	return id
}

func TestIssueAllDraftsOfAClient(t *testing.T) {
	w := newInvoiceWorld(t)
	d1 := w.draft([3]string{"One", "1", "10.00"})
	d2 := w.draft([3]string{"Two", "1", "20.00"})
	b := w.signedIn(w.distOwner)
	b.get("/invoices?status=draft")
	b.assertContains("Drafts to review", "Contoso Hotels", "Issue all 2…")
	confirm := fmt.Sprintf("/orgs/%d/invoices/issue-all", w.client.ID)
	b.status(b.get(confirm), http.StatusOK)
	b.assertContains("Issue 2 invoices", "11.90 EUR", "23.80 EUR", "35.70 EUR")
	// A draft written after the confirmation page was shown waits for the next review.
	late := w.draft([3]string{"Late", "1", "5.00"})
	resp := b.post(confirm, url.Values{"invoice": {fmt.Sprint(d1.ID), fmt.Sprint(d2.ID)}})
	b.status(resp, http.StatusSeeOther)
	for i, d := range []store.Invoice{d1, d2} {
		got, err := w.a.db.FindInvoice(t.Context(), d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("NW-2026-%04d", i+1); got.Number != want || got.Status != "issued" {
			t.Errorf("draft %d: %s %s, want %s issued", d.ID, got.Number, got.Status, want)
		}
	}
	if got, _ := w.a.db.FindInvoice(t.Context(), late.ID); got.Status != "draft" {
		t.Errorf("the late draft is %s, want still a draft", got.Status)
	}
}

func TestInvoicingSettingsPage(t *testing.T) {
	w := newInvoiceWorld(t)
	member := w.a.createUser("dan@northwind.test", "Dan", w.dist, store.RoleMember)
	path := fmt.Sprintf("/orgs/%d/invoicing", w.dist.ID)
	if resp := w.signedIn(member).get(path); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a distributor member opens the settings: %d, want 403", resp.StatusCode)
	}
	b := w.signedIn(w.distOwner)
	b.status(b.get(path), http.StatusOK)
	b.assertContains(`value="NW"`, "IBAN FR76")
	form := url.Values{"prefix": {"north wind!"}, "payment_terms": {"400"}, "tax_rate": {"19"}, "currency": {"EUR"},
		"bank_details": {"IBAN DE00"}, "footer": {"Footer"}}
	b.status(b.post(path, form), http.StatusBadRequest)
	if fieldErrorOf(b.body, "prefix") == "" {
		t.Errorf("no message beside the prefix:\n%s", b.body)
	}
	if st, _ := w.a.db.InvoiceSettings(t.Context(), w.dist.ID); st.Prefix != "NW" || st.BankDetails == "IBAN DE00" {
		t.Errorf("a refused form changed the settings: %+v", st)
	}
	form.Set("prefix", "NWD")
	b.status(b.post(path, form), http.StatusBadRequest)
	if fieldErrorOf(b.body, "payment_terms") == "" {
		t.Errorf("no message beside the payment terms:\n%s", b.body)
	}
	form.Set("payment_terms", "14")
	form.Set("auto_issue", "true")
	b.status(b.post(path, form), http.StatusSeeOther)
	st, err := w.a.db.InvoiceSettings(t.Context(), w.dist.ID)
	if err != nil {
		t.Fatal(err)
	}
	if st.Prefix != "NWD" || st.PaymentTerms != 14 || st.BankDetails != "IBAN DE00" || !st.AutoIssue {
		t.Errorf("settings %+v, want NWD, 14 days, IBAN DE00, auto-issue", st)
	}
	form.Del("auto_issue") // an unticked box is not sent: it turns auto-issue off
	b.status(b.post(path, form), http.StatusSeeOther)
	if st, _ := w.a.db.InvoiceSettings(t.Context(), w.dist.ID); st.AutoIssue {
		t.Error("unticking auto-issue left it on")
	}
	// Staff keep every issuer's settings.
	staff := w.a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.status(staff.get(path), http.StatusOK)
}

// postFile submits a multipart form with one file field, with the CSRF token of the last page.
func (b *browser) postFile(path, field, filename string, content []byte) *http.Response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("_csrf", b.csrf())
	fw, err := mw.CreateFormFile(field, filename)
	if err != nil {
		b.t.Fatal(err)
	}
	fw.Write(content)
	mw.Close()
	req, _ := http.NewRequest(http.MethodPost, b.app.url+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func TestUploadTheIssuersOwnPDF(t *testing.T) {
	w := newInvoiceWorld(t)
	inv := w.issued("Installation", "1000.00")
	path := fmt.Sprintf("/invoices/%d", inv.ID)
	b := w.signedIn(w.distOwner)
	b.get(path)
	b.status(b.postFile(path+"/pdf", "file", "scan.txt", []byte("hello, not a PDF")), http.StatusBadRequest)
	if msg := fieldErrorOf(b.body, "file"); !strings.Contains(msg, "not a PDF") {
		t.Errorf("message beside the file %q, want that it is not a PDF", msg)
	}
	big := append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte("x"), 10<<20)...)
	b.status(b.postFile(path+"/pdf", "file", "big.pdf", big), http.StatusBadRequest)
	if msg := fieldErrorOf(b.body, "file"); !strings.Contains(msg, "10 MiB") {
		t.Errorf("message beside a too large file %q, want the 10 MiB bound", msg)
	}
	own := []byte("%PDF-1.4\n% the accounting system's own invoice\n%%EOF\n")
	b.status(b.postFile(path+"/pdf", "file", "accounting.pdf", own), http.StatusSeeOther)
	b.get(path)
	b.assertContains("Version 2", "uploaded (accounting.pdf)", w.distOwner.Email, "Version 1", "generated at issue")

	// The client gets the latest version; the issuer keeps every one.
	client := w.signedIn(w.owner)
	client.status(client.get(path+"/pdf"), http.StatusOK)
	if !bytes.Equal([]byte(client.body), own) {
		t.Error("the client does not download the uploaded version")
	}
	if resp := client.get(path + "/pdfs/1"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the client opens an old version: %d, want 403", resp.StatusCode)
	}
	b.status(b.get(path+"/pdfs/1"), http.StatusOK)
	if !strings.Contains(pdfText(t, []byte(b.body)), inv.Number) {
		t.Error("version 1 is not the generated PDF")
	}
	b.status(b.get(path+"/pdfs/2"), http.StatusOK)
	if !bytes.Equal([]byte(b.body), own) {
		t.Error("version 2 is not the uploaded PDF")
	}
	if resp := b.get(path + "/pdfs/3"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a version that does not exist: %d, want 404", resp.StatusCode)
	}
	// Every other route still refuses multipart bodies before reading them.
	b.get(path)
	if resp := b.postFile(path+"/void", "file", "x.pdf", own); resp.StatusCode != http.StatusUnsupportedMediaType {
		t.Errorf("multipart on the void route: %d, want 415", resp.StatusCode)
	}
}

func TestJournalPage(t *testing.T) {
	w := newInvoiceWorld(t)
	ctx := context.Background()
	a := w.issued("Alpha", "100.00") // 119.00, due 2026-12-02
	w.a.clock.Advance(40 * 24 * 3600e9)
	b2 := w.issued("Beta", "200.00") // 238.00, issued 2026-12-12
	if _, err := w.a.srv.recordPayment(ctx, b2.ID, paymentInput{Amount: "38.00"}, w.by); err != nil {
		t.Fatal(err)
	}
	b := w.signedIn(w.member)
	path := fmt.Sprintf("/orgs/%d/journal", w.client.ID)
	b.status(b.get(path), http.StatusOK)
	// 119.00 + 238.00 − 38.00 = 319.00 owed; the first invoice is overdue since its due date.
	b.assertContains("Invoice "+a.Number, "Invoice "+b2.Number, "Payment of "+b2.Number, "319.00 EUR", "owed", "119.00 EUR", "since 2 Dec 2026")
	if strings.Contains(b.body, "Add an entry") {
		t.Error("a client member is offered to add journal entries")
	}
	d := w.signedIn(w.distOwner)
	d.get(path)
	d.status(d.post(path, url.Values{"kind": {"credit"}, "amount": {"19.00"}, "currency": {"EUR"}, "date": {""}, "description": {""}}), http.StatusBadRequest)
	if fieldErrorOf(d.body, "description") == "" {
		t.Errorf("no message beside the description:\n%s", d.body)
	}
	d.status(d.post(path, url.Values{"kind": {"credit"}, "amount": {"19.00"}, "currency": {"EUR"}, "description": {"Goodwill"}}), http.StatusSeeOther)
	b.get(path)
	b.assertContains("Goodwill", "300.00 EUR")
}

func TestLicenseInvoicesTab(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"start_date": "2026-10-15", "payment_period": "monthly"})
	path := fmt.Sprintf("/licenses/%d/invoices", id)
	client := w.a.browser()
	client.signIn(w.clientOwner, adminPassword)
	client.status(client.get(path), http.StatusOK)
	client.assertContains("No invoices for this license yet.")
	if strings.Contains(client.body, "Invoice a period") {
		t.Error("a client is offered to invoice a period")
	}
	d := w.a.browser()
	d.signIn(w.distOwner, adminPassword)
	d.get(path)
	d.assertContains("Invoice a period")
	// Prepaid cores of the payment period holding this month: a draft, priced by the job's own code.
	resp := d.post(path, url.Values{"kind": {"prepaid"}, "month": {"2026-11"}})
	d.follow(resp)
	d.assertContains("Draft invoice", "Prepaid cores, November 2026: 5 cores", "500.00 EUR")
	d.get(path)
	d.status(d.post(path, url.Values{"kind": {"prepaid"}, "month": {"2026-11"}}), http.StatusBadRequest)
	if msg := fieldErrorOf(d.body, "month"); !strings.Contains(msg, "already invoiced") {
		t.Errorf("invoicing the period twice: message %q", msg)
	}
	d.status(d.post(path, url.Values{"kind": {"usage"}, "month": {"November"}}), http.StatusBadRequest)
	if fieldErrorOf(d.body, "month") == "" {
		t.Errorf("no message beside a bad month:\n%s", d.body)
	}
	client.get(path)
	if strings.Contains(client.body, "Draft") {
		t.Error("the client sees the draft in the license's tab")
	}
}
