package app

// The invoice pages of DESIGN §7: clients see their issued invoices, their PDFs and their journal;
// issuers (distributor users, staff) also review drafts, write and issue invoices, record and reverse
// payments, void, upload their own PDFs and keep their invoicing settings. Every action goes through
// the functions of invoices.go, which the API shares.

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/app/words"
	"keyward/store"
)

// routeInvoicePages registers the invoice pages.
func (s *Server) routeInvoicePages() {
	inv, client, issuer, lic := s.invoiceParam("id"), s.clientParam("id"), s.parentParam("id"), s.licenseParam("id")
	// The lists show only what the user sees: their handlers filter, as the license list does.
	s.route(fiber.MethodGet, "/invoices", guard{Action: ActionSignedIn}, s.invoicesPage)
	s.route(fiber.MethodGet, "/invoices.csv", guard{Action: ActionSignedIn}, s.invoicesCSV)
	s.route(fiber.MethodGet, "/invoices/new", guard{Action: ActionSignedIn}, s.chooseInvoiceClient)
	s.route(fiber.MethodGet, "/invoices/:id", guard{Action: ActionView, Scope: inv}, s.invoicePage)
	s.route(fiber.MethodGet, "/invoices/:id/pdf", guard{Action: ActionView, Scope: inv}, s.invoicePDFPage)
	s.route(fiber.MethodGet, "/invoices/:id/pdfs/:n", guard{Action: ActionManageInvoices, Scope: inv}, s.invoicePDFVersionPage)
	s.routeUpload(fiber.MethodPost, "/invoices/:id/pdf", guard{Action: ActionManageInvoices, Scope: inv}, s.uploadInvoicePDFPage)
	s.route(fiber.MethodGet, "/invoices/:id/edit", guard{Action: ActionManageInvoices, Scope: inv}, s.editInvoicePage)
	s.route(fiber.MethodPost, "/invoices/:id/edit", guard{Action: ActionManageInvoices, Scope: inv}, s.saveInvoicePage)
	s.route(fiber.MethodPost, "/invoices/:id/issue", guard{Action: ActionManageInvoices, Scope: inv}, s.issueInvoicePage)
	s.route(fiber.MethodPost, "/invoices/:id/delete", guard{Action: ActionManageInvoices, Scope: inv}, s.deleteDraftPage)
	s.route(fiber.MethodPost, "/invoices/:id/void", guard{Action: ActionManageInvoices, Scope: inv}, s.voidInvoicePage)
	s.route(fiber.MethodPost, "/invoices/:id/payments", guard{Action: ActionManageInvoices, Scope: inv}, s.recordPaymentPage)
	s.route(fiber.MethodPost, "/invoices/:id/payments/:pid/reverse", guard{Action: ActionManageInvoices, Scope: inv}, s.reversePaymentPage)
	s.route(fiber.MethodGet, "/orgs/:id/invoices/new", guard{Action: ActionManageInvoices, Scope: client}, s.newInvoicePage)
	s.route(fiber.MethodPost, "/orgs/:id/invoices", guard{Action: ActionManageInvoices, Scope: client}, s.createInvoicePage)
	s.route(fiber.MethodGet, "/orgs/:id/invoices/issue-all", guard{Action: ActionManageInvoices, Scope: client}, s.confirmIssueAllPage)
	s.route(fiber.MethodPost, "/orgs/:id/invoices/issue-all", guard{Action: ActionManageInvoices, Scope: client}, s.issueAllPage)
	s.route(fiber.MethodGet, "/orgs/:id/journal", guard{Action: ActionView, Scope: client}, s.journalPage)
	s.route(fiber.MethodPost, "/orgs/:id/journal", guard{Action: ActionManageInvoices, Scope: client}, s.addJournalEntryPage)
	s.route(fiber.MethodGet, "/orgs/:id/invoicing", guard{Action: ActionInvoicingSettings, Scope: issuer}, s.invoicingSettingsPage)
	s.route(fiber.MethodPost, "/orgs/:id/invoicing", guard{Action: ActionInvoicingSettings, Scope: issuer}, s.saveInvoicingSettingsPage)
	s.route(fiber.MethodGet, "/licenses/:id/invoices", guard{Action: ActionView, Scope: lic}, s.licenseInvoicesPage)
	s.route(fiber.MethodPost, "/licenses/:id/invoices", guard{Action: ActionManageInvoices, Scope: lic}, s.requestPeriodInvoicePage)
}

// Notices of the invoice pages, shown after a redirect.
func init() {
	for k, v := range map[string]string{
		"invoice-saved":     "Draft saved.",
		"invoice-created":   "Draft created: check it, then issue it.",
		"invoice-issued":    "Invoice issued: the client's owners receive it by email with its PDF.",
		"invoice-voided":    "Invoice void: it keeps its number and leaves the balance.",
		"invoice-deleted":   "Draft deleted.",
		"payment-recorded":  "Payment recorded.",
		"payment-reversed":  "Payment reversed: the amount is due again.",
		"pdf-uploaded":      "PDF uploaded: it is now the version clients download.",
		"settings-saved":    "Invoicing settings saved.",
		"journal-entry":     "Journal entry recorded.",
		"drafts-issued":     "Drafts issued: the client's owners receive them by email.",
		"already-issued":    "This invoice is issued: it can no longer change. Void it and write another.",
		"period-invoiced":   "Draft created for the period: check it, then issue it.",
		"nothing-to-review": "No drafts left to issue for this organization.",
	} {
		notices[k] = v
	}
}

// invoiceFuncs are the template functions of the invoice pages.
func invoiceFuncs() map[string]any {
	return map[string]any{
		"invoiceStatusLabel": invoiceStatusLabel,
		"invoiceKindLabel":   invoiceKindLabel,
	}
}

// invoiceStatusLabel is a status in words, overdue included: Draft, Issued, Paid, Void, Overdue.
func invoiceStatusLabel(status string) string {
	if status == "" {
		return ""
	}
	return strings.ToUpper(status[:1]) + status[1:]
}

// invoiceKindLabel is a kind in words.
func invoiceKindLabel(kind string) string {
	switch kind {
	case invoice.KindPrepaid:
		return "Prepaid cores"
	case invoice.KindUsage:
		return "Extra cores"
	}
	return "Manual"
}

// invoiceView is an invoice as the pages show it: its status and amounts in words.
type invoiceView struct {
	store.Invoice
	State                                               invoiceState
	Title                                               string // its number, or "Draft 12"
	StatusKey, StatusText                               string // "overdue" is a status of its own on screen
	PeriodText                                          string
	TaxRateText                                         string
	TotalText, SubtotalText, TaxText, PaidText, DueText string
	LineRows                                            []invoiceLineRow
	PaymentRows                                         []invoicePaymentRow
}

type invoiceLineRow struct{ Description, Quantity, UnitPrice, Amount string }

type invoicePaymentRow struct {
	store.Payment
	AmountText string
}

func (s *Server) invoiceViewOf(inv store.Invoice) invoiceView {
	cur := billing.Currency(inv.Currency)
	money := func(minor int64) string { return amountText(billing.Money{Minor: minor, Currency: cur}) }
	st := invoiceStateOf(inv, s.today())
	v := invoiceView{Invoice: inv, State: st, Title: inv.Number, StatusKey: inv.Status, PeriodText: invoicePeriodText(inv),
		TaxRateText: formatTaxRate(inv.TaxRate), TotalText: money(inv.Total), SubtotalText: money(inv.Subtotal), TaxText: money(inv.Tax),
		PaidText: amountText(st.Paid), DueText: amountText(st.Due)}
	if inv.Number == "" {
		v.Title = fmt.Sprintf("Draft %d", inv.ID)
	}
	if st.Overdue {
		v.StatusKey = "overdue"
	}
	if inv.Status == invoice.StatusDraft || inv.Status == invoice.StatusVoid {
		v.DueText = "—" // nothing is owed on it
	}
	v.StatusText = invoiceStatusLabel(v.StatusKey)
	for _, l := range inv.Lines {
		v.LineRows = append(v.LineRows, invoiceLineRow{Description: l.Description, Quantity: formatQuantity(l.Quantity),
			UnitPrice: money(l.UnitPrice), Amount: money(l.Amount)})
	}
	for _, p := range inv.Payments {
		v.PaymentRows = append(v.PaymentRows, invoicePaymentRow{Payment: p, AmountText: money(p.Amount)})
	}
	return v
}

// invoiceListData is what the list and its CSV share: the filter of the query and who looks.
type invoiceListData struct {
	filter  store.InvoiceFilter
	issuers []store.Org // the organizations whose invoices the user issues (staff: the vendor)
	clients []store.Org // the client organizations the user sees invoices of
}

// invoiceList reads the list's filters (the API's: status, kind, year, organization_id).
func (s *Server) invoiceList(c *fiber.Ctx) (invoiceListData, error) {
	f, err := s.invoiceFilter(c)
	if err != nil {
		return invoiceListData{}, err
	}
	d := invoiceListData{filter: f}
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return d, err
	}
	for _, m := range ms {
		if m.Org.Kind != store.KindClient {
			d.issuers = append(d.issuers, m.Org)
		}
	}
	d.clients, err = s.visibleClients(c)
	return d, err
}

// invoicesPage lists the invoices the user sees: for a client, its issued invoices; for an
// issuer, also its drafts, with what waits for review.
// GET /invoices
func (s *Server) invoicesPage(c *fiber.Ctx) error {
	d, err := s.invoiceList(c)
	if err != nil {
		return err
	}
	p, err := newPager(c, 50, 500)
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	f := d.filter
	f.Limit, f.Offset = p.PerPage, p.Offset()
	rows, total, err := s.db.Invoices(ctx, f)
	if err != nil {
		return err
	}
	views := make([]invoiceView, len(rows))
	for i, inv := range rows {
		views[i] = s.invoiceViewOf(inv)
	}
	a, err := s.accessOf(c)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Invoices", "Rows": views, "Pager": p.done(c, total), "Filter": f, "Orgs": d.clients,
		"Kinds": []string{invoice.KindPrepaid, invoice.KindUsage, invoice.KindManual}, "Years": s.invoiceYears(),
		"CSV": "/invoices.csv?" + withoutPage(c), "Issuer": a.staff || len(d.issuers) > 0,
		"Filtered": f.Status != "" || f.Kind != "" || f.Year != 0 || f.OrgID != 0, "ShowOrg": len(d.clients) > 1}
	statuses := []string{invoice.StatusIssued, invoice.StatusPaid, invoice.StatusVoid, "overdue"}
	var journals, settings []store.Org
	for _, o := range d.clients {
		if _, own := a.relation(o); own {
			journals = append(journals, o)
		}
	}
	for _, o := range d.issuers {
		if a.authorize(ActionInvoicingSettings, o) == nil {
			settings = append(settings, o)
		}
	}
	data["Journals"], data["Settings"] = journals, settings
	if data["Issuer"] == true {
		statuses = append([]string{invoice.StatusDraft}, statuses...)
		base := d.filter
		base.Status, base.Kind, base.Year, base.Limit, base.Offset = invoice.StatusDraft, "", 0, 1, 0
		if f.Status == invoice.StatusDraft {
			base.Limit = 0 // all of them, to group them by client
		}
		drafts, n, err := s.db.Invoices(ctx, base)
		if err != nil {
			return err
		}
		data["Drafts"] = n
		if f.Status == invoice.StatusDraft {
			data["DraftGroups"] = draftGroups(drafts)
		}
		base.Status, base.Limit = "overdue", 1
		if _, data["OverdueCount"], err = s.db.Invoices(ctx, base); err != nil {
			return err
		}
		manageable, err := s.invoicingClients(c)
		if err != nil {
			return err
		}
		data["CanCreate"] = len(manageable) > 0
	}
	data["Statuses"] = statuses
	return s.render(c, "invoices", data)
}

// withoutPage is the current query without its page, for links that keep the filters.
func withoutPage(c *fiber.Ctx) string {
	q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
	q.Del("page")
	q.Del("notice")
	return q.Encode()
}

// invoiceYears are the years the list filters by: this one and the five before.
func (s *Server) invoiceYears() []int {
	y := s.today().Year
	return []int{y, y - 1, y - 2, y - 3, y - 4, y - 5}
}

// draftGroup is the drafts of one client: how many, and their totals per currency.
type draftGroup struct {
	OrgID   int64
	OrgName string
	Count   int
	Totals  string
}

func draftGroups(drafts []store.Invoice) []draftGroup {
	var groups []draftGroup
	sums := map[int64]map[string]int64{}
	for _, d := range drafts {
		i := slices.IndexFunc(groups, func(g draftGroup) bool { return g.OrgID == d.OrgID })
		if i < 0 {
			groups = append(groups, draftGroup{OrgID: d.OrgID, OrgName: d.OrgName})
			i = len(groups) - 1
			sums[d.OrgID] = map[string]int64{}
		}
		groups[i].Count++
		sums[d.OrgID][d.Currency] += d.Total
	}
	for i := range groups {
		groups[i].Totals = moneyList(sums[groups[i].OrgID])
	}
	slices.SortFunc(groups, func(a, b draftGroup) int { return strings.Compare(a.OrgName, b.OrgName) })
	return groups
}

// moneyList writes sums per currency as "1,200.00 EUR + 30.00 USD", currencies in order.
func moneyList(sums map[string]int64) string {
	curs := make([]string, 0, len(sums))
	for c := range sums {
		curs = append(curs, c)
	}
	slices.Sort(curs)
	parts := make([]string, len(curs))
	for i, c := range curs {
		parts[i] = amountText(billing.Money{Minor: sums[c], Currency: billing.Currency(c)})
	}
	return strings.Join(parts, " + ")
}

// invoicesCSV exports the filtered list, every page of it.
// GET /invoices.csv
func (s *Server) invoicesCSV(c *fiber.Ctx) error {
	d, err := s.invoiceList(c)
	if err != nil {
		return err
	}
	rows, _, err := s.db.Invoices(c.UserContext(), d.filter)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="invoices.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Write([]string{"number", "status", "kind", "organization", "issue_date", "due_date", "period_from", "period_to",
		"currency", "subtotal", "tax_rate", "tax", "total", "paid", "due"})
	for _, inv := range rows {
		v := s.invoiceViewOf(inv)
		w.Write([]string{v.Number, v.StatusKey, v.Kind, csvSafe(v.OrgName), v.IssueDate, v.DueDate, v.PeriodFrom, v.PeriodTo,
			v.Currency, formatMoney(v.Subtotal, v.Currency), v.TaxRateText, formatMoney(v.Tax, v.Currency),
			formatMoney(v.Total, v.Currency), v.State.Paid.String(), v.State.Due.String()})
	}
	w.Flush()
	return w.Error()
}

// invoicingClients are the clients whose invoices the user writes.
func (s *Server) invoicingClients(c *fiber.Ctx) ([]store.Org, error) {
	return s.clientsAllowed(c, ActionManageInvoices)
}

// chooseInvoiceClient asks which client a new invoice is for, then goes to its form.
// GET /invoices/new
func (s *Server) chooseInvoiceClient(c *fiber.Ctx) error {
	clients, err := s.invoicingClients(c)
	if err != nil {
		return err
	}
	if id := c.Query("organization_id"); id != "" {
		for _, o := range clients {
			if strconv.FormatInt(o.ID, 10) == id {
				return c.Redirect(fmt.Sprintf("/orgs/%d/invoices/new", o.ID), http.StatusSeeOther)
			}
		}
	}
	if len(clients) == 1 {
		return c.Redirect(fmt.Sprintf("/orgs/%d/invoices/new", clients[0].ID), http.StatusSeeOther)
	}
	return s.render(c, "invoice_client", fiber.Map{"Title": "New invoice", "Clients": clients})
}

// invoicePage shows an invoice; to its issuer, with the actions its status allows.
// GET /invoices/:id
func (s *Server) invoicePage(c *fiber.Ctx) error {
	return s.showInvoice(c, fiber.Map{})
}

// showInvoice renders an invoice page, with data (a form's values and errors) added.
func (s *Server) showInvoice(c *fiber.Ctx, data fiber.Map) error {
	ctx := c.UserContext()
	inv, err := s.db.FindInvoice(ctx, guardedInvoice(c).ID)
	if err != nil {
		return err
	}
	v := s.invoiceViewOf(inv)
	manage := s.authorize(c, ActionManageInvoices, guardedOrg(c)) == nil
	data["Title"], data["Inv"], data["CanManage"] = v.Title, v, manage
	if inv.DueDate == "" {
		st, err := s.db.InvoiceSettings(ctx, inv.IssuerID)
		if err != nil {
			return err
		}
		data["PaymentTerms"] = st.PaymentTerms
	}
	if data["Payment"] == nil {
		data["Payment"] = paymentInput{Amount: v.State.Due.String(), Date: s.today().String(), Method: "Bank transfer"}
	}
	if manage && inv.Number != "" {
		pdfs, err := s.db.InvoicePDFs(ctx, inv.ID)
		if err != nil {
			return err
		}
		data["PDFs"] = pdfVersions(pdfs)
		if data["Reminders"], err = s.db.InvoiceReminders(ctx, inv.ID); err != nil {
			return err
		}
		standing := 0
		for _, p := range inv.Payments {
			if !p.Reversed() {
				standing++
			}
		}
		data["StandingPayments"] = standing
		received, allocated, err := s.db.CreditTotals(ctx, inv.OrgID, inv.Currency)
		if err != nil {
			return err
		}
		if credit := invoice.AvailableCredit(received, allocated); credit > 0 && v.State.Due.Minor > 0 {
			data["Credit"] = amountText(billing.Money{Minor: credit, Currency: billing.Currency(inv.Currency)})
		}
	}
	return s.render(c, "invoice", data)
}

// pdfVersion is a stored PDF of an invoice as its page lists it: numbered from the first.
type pdfVersion struct {
	store.InvoicePDF
	Version  int
	Latest   bool
	SizeText string
}

// pdfVersions numbers the versions 1, 2, … from the oldest and lists them newest first.
func pdfVersions(pdfs []store.InvoicePDF) []pdfVersion {
	out := make([]pdfVersion, len(pdfs))
	for i, p := range pdfs {
		out[i] = pdfVersion{InvoicePDF: p, SizeText: byteSize(p.Size)}
	}
	slices.SortFunc(out, func(a, b pdfVersion) int { return int(a.ID - b.ID) })
	for i := range out {
		out[i].Version = i + 1
	}
	slices.Reverse(out)
	if len(out) > 0 {
		out[0].Latest = true
	}
	return out
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20:
		return strings.TrimSuffix(fmt.Sprintf("%.1f", float64(n)/(1<<20)), ".0") + " MiB"
	case n >= 1<<10:
		return fmt.Sprintf("%d KiB", (n+512)>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// invoicePDFPage downloads the invoice's PDF: the latest version, the same bytes every time.
// GET /invoices/:id/pdf
func (s *Server) invoicePDFPage(c *fiber.Ctx) error {
	return s.sendInvoicePDF(c, guardedInvoice(c), 0)
}

// invoicePDFVersionPage downloads one PDF version, numbered from 1 as the invoice page lists them.
// GET /invoices/:id/pdfs/:n
func (s *Server) invoicePDFVersionPage(c *fiber.Ctx) error {
	inv := guardedInvoice(c)
	n, err := idParam(c, "n")
	if err != nil {
		return err
	}
	pdfs, err := s.db.InvoicePDFs(c.UserContext(), inv.ID)
	if err != nil {
		return err
	}
	for _, v := range pdfVersions(pdfs) {
		if int64(v.Version) == n {
			return s.sendInvoicePDF(c, inv, v.ID)
		}
	}
	return errNotFound
}

// uploadInvoicePDFPage stores the issuer's own PDF, sent from the invoice page's file field.
// The one route that takes a multipart body: its size is bounded before it is parsed.
// POST /invoices/:id/pdf
func (s *Server) uploadInvoicePDFPage(c *fiber.Ctx) error {
	inv := guardedInvoice(c)
	content, filename, err := uploadedFile(c, "file", maxInvoicePDF)
	if err == nil {
		_, err = s.uploadInvoicePDF(c.UserContext(), inv.ID, "file", content, filename, actor(c))
	}
	if err != nil {
		return s.invoiceFormError(c, err, fiber.Map{})
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=pdf-uploaded", inv.ID), http.StatusSeeOther)
}

// uploadedFile reads the file of a multipart form field, refusing one above limit bytes.
func uploadedFile(c *fiber.Ctx, field string, limit int64) ([]byte, string, error) {
	fh, err := c.FormFile(field)
	if err != nil {
		return nil, "", badInput(field, "Choose a PDF file.")
	}
	if fh.Size > limit {
		return nil, "", badInput(field, "This file is larger than %s, the most a PDF may be here.", byteSize(int(limit)))
	}
	f, err := fh.Open()
	if err != nil {
		return nil, "", err
	}
	defer f.Close()
	content, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, "", err
	}
	return content, fh.Filename, nil
}

// invoiceFormError shows the invoice page again with a refused form's message beside its field;
// a refusal of the invoice's status (409) shows as the page's alert.
func (s *Server) invoiceFormError(c *fiber.Ctx, err error, data fiber.Map) error {
	var e *Error
	if errors.As(err, &e) && e.Status == http.StatusRequestEntityTooLarge {
		err = badInput("file", "%s", e.Message)
	}
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.showInvoice(c, data)
}

// issueInvoicePage issues a draft: its number, its PDF and its email to the client's owners.
// POST /invoices/:id/issue
func (s *Server) issueInvoicePage(c *fiber.Ctx) error {
	inv, err := s.issueInvoice(c.UserContext(), guardedInvoice(c).ID, actor(c))
	if err != nil {
		return s.invoiceFormError(c, err, fiber.Map{})
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=invoice-issued", inv.ID), http.StatusSeeOther)
}

// deleteDraftPage deletes a draft, which was never issued and has no number.
// POST /invoices/:id/delete
func (s *Server) deleteDraftPage(c *fiber.Ctx) error {
	inv := guardedInvoice(c)
	if err := invoice.CheckEditable(inv.Status); err != nil {
		return s.invoiceFormError(c, asInvoiceError(err), fiber.Map{})
	}
	audit := s.auditEntry(c, "invoice.deleted")
	audit.OrgID, audit.Target, audit.Details = inv.OrgID, fmt.Sprintf("invoice %d", inv.ID),
		fmt.Sprintf("draft of %s", amountText(billing.Money{Minor: inv.Total, Currency: billing.Currency(inv.Currency)}))
	if err := s.db.DeleteDraft(c.UserContext(), inv.ID, audit); err != nil {
		return s.invoiceFormError(c, asInvoiceError(err), fiber.Map{})
	}
	return c.Redirect("/invoices?status=draft&notice=invoice-deleted", http.StatusSeeOther)
}

// voidInvoicePage voids an issued invoice with the reason given.
// POST /invoices/:id/void
func (s *Server) voidInvoicePage(c *fiber.Ctx) error {
	inv, err := s.voidInvoice(c.UserContext(), guardedInvoice(c).ID, c.FormValue("reason"), actor(c))
	if err != nil {
		return s.invoiceFormError(c, err, fiber.Map{"VoidReason": c.FormValue("reason")})
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=invoice-voided", inv.ID), http.StatusSeeOther)
}

// recordPaymentPage records a payment from the invoice page's form.
// POST /invoices/:id/payments
func (s *Server) recordPaymentPage(c *fiber.Ctx) error {
	in := paymentInput{Amount: c.FormValue("amount"), Date: c.FormValue("date"), Method: c.FormValue("method"),
		Reference: c.FormValue("reference"), FromCredit: c.FormValue("from_credit") != ""}
	inv, err := s.recordPayment(c.UserContext(), guardedInvoice(c).ID, in, actor(c))
	if err != nil {
		return s.invoiceFormError(c, err, fiber.Map{"Payment": in})
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=payment-recorded", inv.ID), http.StatusSeeOther)
}

// reversePaymentPage reverses a payment recorded by mistake.
// POST /invoices/:id/payments/:pid/reverse
func (s *Server) reversePaymentPage(c *fiber.Ctx) error {
	pid, err := idParam(c, "pid")
	if err != nil {
		return err
	}
	inv, err := s.reversePayment(c.UserContext(), guardedInvoice(c).ID, pid, actor(c))
	if err != nil {
		return s.invoiceFormError(c, err, fiber.Map{})
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=payment-reversed", inv.ID), http.StatusSeeOther)
}

// invoiceForm is what the invoice editor shows: the fields as typed, and the lines.
type invoiceForm struct {
	LicenseID, Currency, TaxRate, DueDate, Notes string
	Lines                                        []lineInput
}

// invoiceFormOf fills the editor from a stored draft.
func invoiceFormOf(inv store.Invoice) invoiceForm {
	f := invoiceForm{Currency: inv.Currency, TaxRate: formatTaxRate(inv.TaxRate), DueDate: inv.DueDate, Notes: inv.Notes}
	if inv.LicenseID != 0 {
		f.LicenseID = strconv.FormatInt(inv.LicenseID, 10)
	}
	for _, l := range inv.Lines {
		f.Lines = append(f.Lines, lineInput{Description: l.Description, Quantity: formatQuantity(l.Quantity),
			UnitPrice: formatMoney(l.UnitPrice, inv.Currency)})
	}
	return f
}

// maxFormLines bounds the lines a form may send, before the invoice package's own bound.
const maxFormLines = 200

// invoiceFormFrom reads the editor's fields: lines come as description, quantity and unit_price in
// the order of the page's rows; a row left wholly empty is dropped unless keepEmpty.
func invoiceFormFrom(c *fiber.Ctx, keepEmpty bool) invoiceForm {
	f := invoiceForm{LicenseID: c.FormValue("license_id"), Currency: c.FormValue("currency"), TaxRate: c.FormValue("tax_rate"),
		DueDate: c.FormValue("due_date"), Notes: c.FormValue("notes")}
	args := c.Context().PostArgs()
	descs, qtys, prices := args.PeekMulti("description"), args.PeekMulti("quantity"), args.PeekMulti("unit_price")
	for i := range min(max(len(descs), len(qtys), len(prices)), maxFormLines) {
		at := func(vs [][]byte) string {
			if i < len(vs) {
				return string(vs[i])
			}
			return ""
		}
		l := lineInput{Description: at(descs), Quantity: at(qtys), UnitPrice: at(prices)}
		if keepEmpty || strings.TrimSpace(l.Description+l.Quantity+l.UnitPrice) != "" {
			f.Lines = append(f.Lines, l)
		}
	}
	return f
}

// input is the form as the shared invoice functions take it.
func (f invoiceForm) input() (draftInput, error) {
	in := draftInput{Currency: &f.Currency, TaxRate: &f.TaxRate, DueDate: &f.DueDate, Notes: &f.Notes, Lines: f.Lines}
	if in.Lines == nil {
		in.Lines = []lineInput{}
	}
	var lic int64
	if v := strings.TrimSpace(f.LicenseID); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id < 0 {
			return in, badInput("license_id", "Choose a license of the list, or none.")
		}
		lic = id
	}
	in.LicenseID = &lic
	return in, nil
}

// newInvoicePage shows the editor of a new manual invoice for a client, with the issuer's defaults.
// GET /orgs/:id/invoices/new
func (s *Server) newInvoicePage(c *fiber.Ctx) error {
	client := guardedOrg(c)
	issuer, err := s.issuerOf(c.UserContext(), client)
	if err != nil {
		return err
	}
	st, err := s.db.InvoiceSettings(c.UserContext(), issuer.ID)
	if err != nil {
		return err
	}
	form := invoiceForm{Currency: st.Currency, TaxRate: formatTaxRate(st.TaxRate), LicenseID: c.Query("license_id"),
		Lines: []lineInput{{Quantity: "1"}}}
	return s.renderInvoiceForm(c, client, nil, form, fiber.Map{})
}

// renderInvoiceForm shows the editor; inv is nil for a new invoice.
func (s *Server) renderInvoiceForm(c *fiber.Ctx, client store.Org, inv *store.Invoice, form invoiceForm, data fiber.Map) error {
	ls, _, err := s.db.Licenses(c.UserContext(), store.LicenseFilter{All: true, OrgID: client.ID, Limit: 500})
	if err != nil {
		return err
	}
	if len(form.Lines) == 0 {
		form.Lines = []lineInput{{Quantity: "1"}}
	}
	issuer, err := s.issuerOf(c.UserContext(), client)
	if err != nil {
		return err
	}
	st, err := s.db.InvoiceSettings(c.UserContext(), issuer.ID)
	if err != nil {
		return err
	}
	data["Client"], data["Form"], data["Licenses"], data["PaymentTerms"] = client, form, ls, st.PaymentTerms
	data["Currencies"] = []string{"EUR", "USD", "GBP", "CHF", "JPY", "KWD"}
	if !slices.Contains(data["Currencies"].([]string), form.Currency) && form.Currency != "" {
		data["Currencies"] = append(data["Currencies"].([]string), form.Currency)
	}
	if inv != nil {
		v := s.invoiceViewOf(*inv)
		data["Title"], data["Inv"], data["Action"] = "Edit "+strings.ToLower(v.Title[:1])+v.Title[1:], v, fmt.Sprintf("/invoices/%d/edit", inv.ID)
	} else {
		data["Title"], data["Action"] = "New invoice for "+client.Name, fmt.Sprintf("/orgs/%d/invoices", client.ID)
	}
	return s.render(c, "invoice_form", data)
}

// editorStep handles the editor's buttons that change the form without saving it (add a line,
// remove one): without JavaScript, the page comes back with the change. It tells whether it did.
func (s *Server) editorStep(c *fiber.Ctx, client store.Org, inv *store.Invoice) (bool, error) {
	form := invoiceFormFrom(c, true)
	step := c.FormValue("step")
	switch {
	case step == "add":
		if len(form.Lines) < maxFormLines {
			form.Lines = append(form.Lines, lineInput{Quantity: "1"})
		}
	case strings.HasPrefix(step, "remove:"):
		// The index is the row's on the page, which sent every row, empty ones too.
		if i, err := strconv.Atoi(strings.TrimPrefix(step, "remove:")); err == nil && i >= 0 && i < len(form.Lines) {
			form.Lines = slices.Delete(form.Lines, i, i+1)
		}
	default:
		return false, nil
	}
	return true, s.renderInvoiceForm(c, client, inv, form, fiber.Map{})
}

// createInvoicePage stores the editor's new draft.
// POST /orgs/:id/invoices
func (s *Server) createInvoicePage(c *fiber.Ctx) error {
	client := guardedOrg(c)
	if done, err := s.editorStep(c, client, nil); done || err != nil {
		return err
	}
	form := invoiceFormFrom(c, false)
	in, err := form.input()
	if err == nil {
		var inv store.Invoice
		if inv, err = s.createDraft(c.UserContext(), client, in, actor(c)); err == nil {
			return c.Redirect(fmt.Sprintf("/invoices/%d?notice=invoice-created", inv.ID), http.StatusSeeOther)
		}
	}
	data := fiber.Map{}
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.renderInvoiceForm(c, client, nil, form, data)
}

// editInvoicePage shows the editor of a draft; an issued invoice cannot change.
// GET /invoices/:id/edit
func (s *Server) editInvoicePage(c *fiber.Ctx) error {
	inv, err := s.db.FindInvoice(c.UserContext(), guardedInvoice(c).ID)
	if err != nil {
		return err
	}
	if inv.Status != invoice.StatusDraft {
		return c.Redirect(fmt.Sprintf("/invoices/%d?notice=already-issued", inv.ID), http.StatusSeeOther)
	}
	return s.renderInvoiceForm(c, guardedOrg(c), &inv, invoiceFormOf(inv), fiber.Map{})
}

// saveInvoicePage saves the editor's changes to a draft.
// POST /invoices/:id/edit
func (s *Server) saveInvoicePage(c *fiber.Ctx) error {
	inv, err := s.db.FindInvoice(c.UserContext(), guardedInvoice(c).ID)
	if err != nil {
		return err
	}
	if done, err := s.editorStep(c, guardedOrg(c), &inv); done || err != nil {
		return err
	}
	form := invoiceFormFrom(c, false)
	in, err := form.input()
	if slices.Equal(form.Lines, invoiceFormOf(inv).Lines) && strings.EqualFold(strings.TrimSpace(form.Currency), inv.Currency) {
		in.Lines = nil // unchanged: generated lines keep their month and extra core-days
	}
	if err == nil {
		if _, err = s.editDraft(c.UserContext(), inv.ID, in, actor(c)); err == nil {
			return c.Redirect(fmt.Sprintf("/invoices/%d?notice=invoice-saved", inv.ID), http.StatusSeeOther)
		}
	}
	data := fiber.Map{}
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.renderInvoiceForm(c, guardedOrg(c), &inv, form, data)
}

// clientDrafts are a client's drafts, oldest first.
func (s *Server) clientDrafts(c *fiber.Ctx, client store.Org) ([]store.Invoice, error) {
	drafts, _, err := s.db.Invoices(c.UserContext(), store.InvoiceFilter{All: true, OrgID: client.ID, Status: invoice.StatusDraft})
	slices.Reverse(drafts)
	return drafts, err
}

// confirmIssueAllPage lists a client's drafts and asks before issuing them all.
// GET /orgs/:id/invoices/issue-all
func (s *Server) confirmIssueAllPage(c *fiber.Ctx) error {
	client := guardedOrg(c)
	drafts, err := s.clientDrafts(c, client)
	if err != nil {
		return err
	}
	views := make([]invoiceView, len(drafts))
	sums := map[string]int64{}
	for i, d := range drafts {
		views[i] = s.invoiceViewOf(d)
		sums[d.Currency] += d.Total
	}
	return s.render(c, "invoice_issue_all", fiber.Map{"Title": "Issue the drafts of " + client.Name, "Client": client,
		"Drafts": views, "Totals": moneyList(sums)})
}

// issueAllPage issues the drafts of a client listed on the confirmation page, oldest first; a
// draft added since is left for the next review.
// POST /orgs/:id/invoices/issue-all
func (s *Server) issueAllPage(c *fiber.Ctx) error {
	client := guardedOrg(c)
	drafts, err := s.clientDrafts(c, client)
	if err != nil {
		return err
	}
	confirmed := map[string]bool{}
	for _, v := range c.Context().PostArgs().PeekMulti("invoice") {
		confirmed[string(v)] = true
	}
	issued := 0
	for _, d := range drafts {
		if !confirmed[strconv.FormatInt(d.ID, 10)] {
			continue
		}
		if _, err := s.issueInvoice(c.UserContext(), d.ID, actor(c)); err != nil {
			var e *Error
			if errors.As(err, &e) && e.Status < 500 {
				continue // issued meanwhile by someone else, or no longer a draft
			}
			return err
		}
		issued++
	}
	if issued == 0 {
		return c.Redirect("/invoices?status=draft&notice=nothing-to-review", http.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/invoices?organization_id=%d&notice=drafts-issued", client.ID), http.StatusSeeOther)
}

// journalSection is one currency of a client's journal.
type journalSection struct {
	Currency                 string
	Balance, Overdue         billing.Money
	BalanceText, OverdueText string
	Owes, InCredit           bool
	OverdueSince             string
	Entries                  []journalRow
}

type journalRow struct {
	journalLine
	DebitText, CreditText, BalanceText string
}

// journalSections splits a journal by currency, in currency order, entries oldest first.
func journalSections(j clientJournal) []journalSection {
	byCur := map[string]*journalSection{}
	var curs []string
	section := func(cur string) *journalSection {
		if s, ok := byCur[cur]; ok {
			return s
		}
		c := billing.Currency(cur)
		s := &journalSection{Currency: cur, Balance: billing.Money{Currency: c}, Overdue: billing.Money{Currency: c}}
		if b, ok := j.Balances[c]; ok {
			s.Balance = b
		}
		if o, ok := j.Overdue[c]; ok {
			s.Overdue, s.OverdueSince = o.Amount, words.Date(o.Since.Time())
		}
		s.Owes, s.InCredit = s.Balance.Minor > 0, s.Balance.Minor < 0
		abs := s.Balance
		abs.Minor = max(abs.Minor, -abs.Minor)
		s.BalanceText, s.OverdueText = amountText(abs), amountText(s.Overdue)
		byCur[cur], curs = s, append(curs, cur)
		return s
	}
	for _, e := range j.Entries {
		s := section(e.Currency)
		c := billing.Currency(e.Currency)
		row := journalRow{journalLine: e, BalanceText: amountText(e.Balance)}
		if e.Debit != 0 {
			row.DebitText = amountText(billing.Money{Minor: e.Debit, Currency: c})
		}
		if e.Credit != 0 {
			row.CreditText = amountText(billing.Money{Minor: e.Credit, Currency: c})
		}
		s.Entries = append(s.Entries, row)
	}
	for c := range j.Overdue {
		section(string(c))
	}
	slices.Sort(curs)
	out := make([]journalSection, len(curs))
	for i, c := range curs {
		out[i] = *byCur[c]
	}
	return out
}

// journalPage shows a client's journal per currency: entries with the running balance, the
// balance, and what is overdue since when.
// GET /orgs/:id/journal
func (s *Server) journalPage(c *fiber.Ctx) error {
	return s.showJournal(c, fiber.Map{})
}

func (s *Server) showJournal(c *fiber.Ctx, data fiber.Map) error {
	client := guardedOrg(c)
	j, err := s.clientJournal(c.UserContext(), client)
	if err != nil {
		return err
	}
	data["Title"], data["Client"], data["Sections"] = "Journal of "+client.Name, client, journalSections(j)
	data["CanManage"] = s.authorize(c, ActionManageInvoices, client) == nil
	if data["Entry"] == nil {
		cur := invoice.DefaultCurrency
		if issuer, err := s.issuerOf(c.UserContext(), client); err == nil {
			if st, err := s.db.InvoiceSettings(c.UserContext(), issuer.ID); err == nil {
				cur = st.Currency
			}
		}
		data["Entry"] = journalInput{Kind: store.JournalCredit, Currency: cur, Date: s.today().String()}
	}
	return s.render(c, "journal", data)
}

// addJournalEntryPage records a credit note or a manual debit from the journal page's form.
// POST /orgs/:id/journal
func (s *Server) addJournalEntryPage(c *fiber.Ctx) error {
	in := journalInput{Kind: c.FormValue("kind"), Amount: c.FormValue("amount"), Currency: c.FormValue("currency"),
		Date: c.FormValue("date"), Description: c.FormValue("description")}
	client := guardedOrg(c)
	if _, err := s.addJournalEntry(c.UserContext(), client, in, actor(c)); err != nil {
		data := fiber.Map{"Entry": in}
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		return s.showJournal(c, data)
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d/journal?notice=journal-entry", client.ID), http.StatusSeeOther)
}

// invoicingSettingsPage shows an issuer's invoicing settings to its owners (and staff).
// GET /orgs/:id/invoicing
func (s *Server) invoicingSettingsPage(c *fiber.Ctx) error {
	st, err := s.db.InvoiceSettings(c.UserContext(), guardedOrg(c).ID)
	if err != nil {
		return err
	}
	vals := map[string]string{"prefix": st.Prefix, "payment_terms": strconv.Itoa(st.PaymentTerms), "tax_rate": formatTaxRate(st.TaxRate),
		"currency": st.Currency, "bank_details": st.BankDetails, "footer": st.Footer}
	if st.AutoIssue {
		vals["auto_issue"] = "true"
	}
	return s.renderSettings(c, vals, fiber.Map{"Saved": !st.UpdatedAt.IsZero()})
}

func (s *Server) renderSettings(c *fiber.Ctx, vals map[string]string, data fiber.Map) error {
	org := guardedOrg(c)
	data["Title"], data["Org"], data["Vals"] = "Invoicing settings of "+org.Name, org, vals
	data["Currencies"] = []string{"EUR", "USD", "GBP", "CHF", "JPY", "KWD"}
	return s.render(c, "invoicing_settings", data)
}

// saveInvoicingSettingsPage saves the settings form through the API's own validation.
// POST /orgs/:id/invoicing
func (s *Server) saveInvoicingSettingsPage(c *fiber.Ctx) error {
	vals := map[string]string{}
	for _, name := range settingsFields {
		vals[name] = c.FormValue(name)
	}
	// An unticked box is not sent: the form always means true or false.
	if vals["auto_issue"] != "" {
		vals["auto_issue"] = "true"
	} else {
		vals["auto_issue"] = "false"
	}
	if _, err := s.saveInvoicingSettings(c, guardedOrg(c), vals); err != nil {
		data := fiber.Map{}
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		if vals["auto_issue"] == "false" {
			vals["auto_issue"] = ""
		}
		return s.renderSettings(c, vals, data)
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d/invoicing?notice=settings-saved", guardedOrg(c).ID), http.StatusSeeOther)
}

// licenseInvoicesPage is the license's invoices tab: its invoices (drafts to its issuer) and, for
// the issuer, the form that invoices a period on request.
// GET /licenses/:id/invoices
func (s *Server) licenseInvoicesPage(c *fiber.Ctx) error {
	return s.showLicenseInvoices(c, fiber.Map{})
}

func (s *Server) showLicenseInvoices(c *fiber.Ctx, data fiber.Map) error {
	l := guardedLicense(c)
	f := store.InvoiceFilter{All: true, LicenseID: l.ID}
	manage := s.authorize(c, ActionManageInvoices, guardedOrg(c)) == nil
	if !manage {
		f.All, f.ClientIDs = false, []int64{l.OrgID}
	}
	rows, _, err := s.db.Invoices(c.UserContext(), f)
	if err != nil {
		return err
	}
	views := make([]invoiceView, len(rows))
	for i, inv := range rows {
		views[i] = s.invoiceViewOf(inv)
	}
	data["Title"], data["L"], data["Tab"], data["Rows"], data["CanManage"] = fmt.Sprintf("License %d", l.ID), l, "invoices", views, manage
	if data["Month"] == nil {
		data["Month"] = billing.MonthOf(s.today()).AddMonths(-1).String()
	}
	if data["Kind"] == nil {
		data["Kind"] = invoice.KindUsage
	}
	return s.render(c, "invoices_license", data)
}

// requestPeriodInvoicePage makes the generated draft of the period holding a month, as the daily
// job would, for a period it did not cover (before the license was created, or skipped).
// POST /licenses/:id/invoices
func (s *Server) requestPeriodInvoicePage(c *fiber.Ctx) error {
	kind, month := c.FormValue("kind"), strings.TrimSpace(c.FormValue("month"))
	data := fiber.Map{"Kind": kind, "Month": month}
	var err error
	if kind != invoice.KindUsage && kind != invoice.KindPrepaid {
		err = badInput("kind", "Choose extra cores (usage) or prepaid cores.")
	}
	var m billing.Month
	if err == nil {
		if m, err = billing.ParseMonth(month); err != nil {
			err = badInput("month", "Choose a month, such as 2026-10.")
		}
	}
	var inv store.Invoice
	if err == nil {
		inv, err = s.requestPeriodInvoice(c.UserContext(), guardedLicense(c), kind, m, actor(c))
	}
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == http.StatusConflict {
			err = badInput("month", "%s", e.Message)
		}
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		return s.showLicenseInvoices(c, data)
	}
	return c.Redirect(fmt.Sprintf("/invoices/%d?notice=period-invoiced", inv.ID), http.StatusSeeOther)
}
