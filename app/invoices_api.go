package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// routeInvoices registers the invoicing API of DESIGN §7.
func (s *Server) routeInvoices() {
	inv, lic := s.invoiceParam("id"), s.licenseParam("id")
	client, issuer := s.clientParam("id"), s.parentParam("id")
	// Creating an invoice: the organization comes from the body, and the handler authorizes it.
	s.route(fiber.MethodGet, "/api/v1/invoices", guard{Action: ActionSignedIn}, s.apiInvoices)
	s.route(fiber.MethodPost, "/api/v1/invoices", guard{Action: ActionSignedIn}, s.apiCreateInvoice)
	s.route(fiber.MethodGet, "/api/v1/invoices/:id", guard{Action: ActionView, Scope: inv}, s.apiInvoice)
	s.route(fiber.MethodPatch, "/api/v1/invoices/:id", guard{Action: ActionManageInvoices, Scope: inv}, s.apiEditInvoice)
	s.route(fiber.MethodPost, "/api/v1/invoices/:id/issue", guard{Action: ActionManageInvoices, Scope: inv}, s.apiIssueInvoice)
	s.route(fiber.MethodPost, "/api/v1/invoices/:id/void", guard{Action: ActionManageInvoices, Scope: inv}, s.apiVoidInvoice)
	s.route(fiber.MethodPost, "/api/v1/invoices/:id/payments", guard{Action: ActionManageInvoices, Scope: inv}, s.apiRecordPayment)
	s.route(fiber.MethodPost, "/api/v1/invoices/:id/payments/:pid/reverse", guard{Action: ActionManageInvoices, Scope: inv}, s.apiReversePayment)
	s.route(fiber.MethodGet, "/api/v1/invoices/:id/pdf", guard{Action: ActionView, Scope: inv}, s.apiInvoicePDF)
	s.route(fiber.MethodPut, "/api/v1/invoices/:id/pdf", guard{Action: ActionManageInvoices, Scope: inv}, s.apiUploadInvoicePDF)
	s.route(fiber.MethodGet, "/api/v1/invoices/:id/pdfs", guard{Action: ActionManageInvoices, Scope: inv}, s.apiInvoicePDFs)
	s.route(fiber.MethodGet, "/api/v1/organizations/:id/journal", guard{Action: ActionView, Scope: client}, s.apiJournal)
	s.route(fiber.MethodPost, "/api/v1/organizations/:id/journal", guard{Action: ActionManageInvoices, Scope: client}, s.apiAddJournalEntry)
	s.route(fiber.MethodGet, "/api/v1/organizations/:id/invoicing", guard{Action: ActionView, Scope: issuer}, s.apiInvoicingSettings)
	s.route(fiber.MethodPatch, "/api/v1/organizations/:id/invoicing", guard{Action: ActionInvoicingSettings, Scope: issuer}, s.apiEditInvoicingSettings)
	s.route(fiber.MethodPost, "/api/v1/licenses/:id/invoices", guard{Action: ActionManageInvoices, Scope: lic}, s.apiRequestPeriodInvoice)
}

// invoiceParam is the scope of routes whose parameter names an invoice: its client organization.
// A draft does not exist for those who may not manage the client's invoices (404, never 403).
func (s *Server) invoiceParam(name string) scope {
	return scope{Name: "invoice:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := idParam(c, name)
		if err != nil {
			return store.Org{}, err
		}
		inv, err := s.db.FindInvoice(c.UserContext(), id)
		if err != nil {
			return store.Org{}, err
		}
		org, err := s.db.FindOrg(c.UserContext(), inv.OrgID)
		if err != nil {
			return store.Org{}, err
		}
		if inv.Status == invoice.StatusDraft && !s.seesDrafts(c, org) {
			return store.Org{}, errNotFound
		}
		c.Locals("invoice", inv)
		return org, nil
	}}
}

// seesDrafts tells whether the user may see a client's drafts: those who manage its invoices.
func (s *Server) seesDrafts(c *fiber.Ctx, client store.Org) bool {
	return s.authorize(c, ActionManageInvoices, client) == nil
}

// guardedInvoice is the invoice an invoice:id route is about, read by its scope.
func guardedInvoice(c *fiber.Ctx) store.Invoice {
	inv, _ := c.Locals("invoice").(store.Invoice)
	return inv
}

// apiInvoiceLine is a line of an invoice in the API.
type apiInvoiceLine struct {
	Description   string           `json:"description"`
	Quantity      invoice.Quantity `json:"quantity"`
	UnitPrice     billing.Money    `json:"unit_price"`
	Amount        billing.Money    `json:"amount"`
	Month         string           `json:"month,omitempty"`           // generated usage lines
	ExtraCoreDays int64            `json:"extra_core_days,omitempty"` // generated usage lines
}

// apiPayment is a payment in the API.
type apiPayment struct {
	ID         int64         `json:"id"`
	Amount     billing.Money `json:"amount"`
	Date       string        `json:"date"`
	Method     string        `json:"method"`
	Reference  string        `json:"reference"`
	Reversed   bool          `json:"reversed"`
	FromCredit bool          `json:"from_credit"`
}

// apiInvoice is an invoice in the API, as DESIGN §7 writes it.
type apiInvoice struct {
	ID             int64            `json:"id"`
	Number         *string          `json:"number"`
	Status         string           `json:"status"`
	Kind           string           `json:"kind"`
	OrganizationID int64            `json:"organization_id"`
	Organization   string           `json:"organization"`
	IssuerID       int64            `json:"issuer_id"`
	LicenseID      *int64           `json:"license_id"`
	Currency       string           `json:"currency"`
	IssueDate      *string          `json:"issue_date"`
	DueDate        *string          `json:"due_date"`
	PeriodFrom     *string          `json:"period_from"`
	PeriodTo       *string          `json:"period_to"`
	Lines          []apiInvoiceLine `json:"lines"`
	Subtotal       billing.Money    `json:"subtotal"`
	TaxRate        invoice.TaxRate  `json:"tax_rate"`
	Tax            billing.Money    `json:"tax"`
	Total          billing.Money    `json:"total"`
	Paid           billing.Money    `json:"paid"`
	Due            billing.Money    `json:"due"`
	Credit         billing.Money    `json:"credit"`
	Overdue        bool             `json:"overdue"`
	Notes          string           `json:"notes"`
	VoidReason     string           `json:"void_reason,omitempty"`
	Payments       []apiPayment     `json:"payments"`
}

func optText(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optID(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return &id
}

func (s *Server) apiInvoiceOf(inv store.Invoice) apiInvoice {
	cur := billing.Currency(inv.Currency)
	money := func(minor int64) billing.Money { return billing.Money{Minor: minor, Currency: cur} }
	st := invoiceStateOf(inv, s.today())
	out := apiInvoice{ID: inv.ID, Number: optText(inv.Number), Status: inv.Status, Kind: inv.Kind, OrganizationID: inv.OrgID,
		Organization: inv.OrgName, IssuerID: inv.IssuerID, LicenseID: optID(inv.LicenseID), Currency: inv.Currency,
		IssueDate: optText(inv.IssueDate), DueDate: optText(inv.DueDate), PeriodFrom: optText(inv.PeriodFrom), PeriodTo: optText(inv.PeriodTo),
		Lines: make([]apiInvoiceLine, len(inv.Lines)), Subtotal: money(inv.Subtotal), TaxRate: invoice.TaxRate(inv.TaxRate),
		Tax: money(inv.Tax), Total: money(inv.Total), Paid: st.Paid, Due: st.Due, Credit: st.Credit, Overdue: st.Overdue,
		Notes: inv.Notes, VoidReason: inv.VoidReason, Payments: make([]apiPayment, len(inv.Payments))}
	for i, l := range inv.Lines {
		out.Lines[i] = apiInvoiceLine{Description: l.Description, Quantity: invoice.Quantity(l.Quantity), UnitPrice: money(l.UnitPrice),
			Amount: money(l.Amount), Month: l.Month, ExtraCoreDays: l.ExtraCoreDays}
	}
	for i, p := range inv.Payments {
		out.Payments[i] = apiPayment{ID: p.ID, Amount: money(p.Amount), Date: p.Date, Method: p.Method, Reference: p.Reference,
			Reversed: p.Reversed(), FromCredit: p.FromCredit}
	}
	return out
}

// invoiceFilter limits a list to what the user sees: staff everything, a distributor's users the
// invoices it issues (drafts included), a client's users its issued invoices.
func (s *Server) invoiceFilter(c *fiber.Ctx) (store.InvoiceFilter, error) {
	a, err := s.accessOf(c)
	if err != nil {
		return store.InvoiceFilter{}, err
	}
	f := store.InvoiceFilter{All: a.staff, Today: s.today().String()}
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return f, err
	}
	for _, m := range ms {
		if m.Org.Kind == store.KindClient {
			f.ClientIDs = append(f.ClientIDs, m.Org.ID)
		} else {
			f.IssuerIDs = append(f.IssuerIDs, m.Org.ID)
		}
	}
	if f.Status = c.Query("status"); f.Status != "" && !contains(invoiceStatusFilters, f.Status) {
		return f, badInput("status", "Choose draft, issued, paid, void or overdue.")
	}
	if f.Kind = c.Query("kind"); f.Kind != "" && !contains([]string{invoice.KindPrepaid, invoice.KindUsage, invoice.KindManual}, f.Kind) {
		return f, badInput("kind", "Choose prepaid, usage or manual.")
	}
	for _, q := range []struct {
		name string
		dst  *int64
	}{{"organization_id", &f.OrgID}, {"license_id", &f.LicenseID}} {
		if v := c.Query(q.name); v != "" {
			if *q.dst, err = strconv.ParseInt(v, 10, 64); err != nil || *q.dst <= 0 {
				return f, badInput(q.name, "Give an id, such as 12.")
			}
		}
	}
	if v := c.Query("year"); v != "" {
		if f.Year, err = strconv.Atoi(v); err != nil || f.Year < 2000 || f.Year > 9999 {
			return f, badInput("year", "Give a year, such as 2026.")
		}
	}
	return f, nil
}

var invoiceStatusFilters = []string{invoice.StatusDraft, invoice.StatusIssued, invoice.StatusPaid, invoice.StatusVoid, "overdue"}

// apiInvoices lists the invoices the user sees, newest first.
// GET /api/v1/invoices
func (s *Server) apiInvoices(c *fiber.Ctx) error {
	f, err := s.invoiceFilter(c)
	if err != nil {
		return err
	}
	page, per := pagination(c)
	f.Limit, f.Offset, f.WithLines = per, (page-1)*per, true
	invs, total, err := s.db.Invoices(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]apiInvoice, len(invs))
	for i, inv := range invs {
		out[i] = s.apiInvoiceOf(inv)
	}
	return c.JSON(fiber.Map{"invoices": out, "page": page, "per_page": per, "total": total})
}

// apiCreateInvoice creates a manual draft for a client the user manages.
// POST /api/v1/invoices
func (s *Server) apiCreateInvoice(c *fiber.Ctx) error {
	in, err := parseInvoiceJSON(c.Body())
	if err != nil {
		return err
	}
	if in.OrgID == nil || *in.OrgID <= 0 {
		return badInput("organization_id", "Choose the client organization to invoice.")
	}
	org, err := s.db.FindOrg(c.UserContext(), *in.OrgID)
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound
	} else if err != nil {
		return err
	}
	if err := s.authorize(c, ActionManageInvoices, org); err != nil {
		return err
	}
	inv, err := s.createDraft(c.UserContext(), org, in, actor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.apiInvoiceOf(inv))
}

// apiInvoice shows an invoice; drafts only to those who manage the client's invoices.
// GET /api/v1/invoices/:id
func (s *Server) apiInvoice(c *fiber.Ctx) error {
	return c.JSON(s.apiInvoiceOf(guardedInvoice(c)))
}

// apiEditInvoice changes the fields sent on a draft; 409 once issued.
// PATCH /api/v1/invoices/:id
func (s *Server) apiEditInvoice(c *fiber.Ctx) error {
	in, err := parseInvoiceJSON(c.Body())
	if err != nil {
		return err
	}
	inv, err := s.editDraft(c.UserContext(), guardedInvoice(c).ID, in, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiInvoiceOf(inv))
}

// apiIssueInvoice issues a draft: its number, dates, PDF and emails.
// POST /api/v1/invoices/:id/issue
func (s *Server) apiIssueInvoice(c *fiber.Ctx) error {
	inv, err := s.issueInvoice(c.UserContext(), guardedInvoice(c).ID, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiInvoiceOf(inv))
}

// apiVoidInvoice voids an issued invoice without standing payments, with a reason.
// POST /api/v1/invoices/:id/void
func (s *Server) apiVoidInvoice(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), "reason")
	if err != nil {
		return err
	}
	inv, err := s.voidInvoice(c.UserContext(), guardedInvoice(c).ID, vals["reason"], actor(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiInvoiceOf(inv))
}

// apiRecordPayment records a payment, or applies the client's credit ("from_credit": true).
// POST /api/v1/invoices/:id/payments
func (s *Server) apiRecordPayment(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), "amount", "date", "method", "reference", "from_credit")
	if err != nil {
		return err
	}
	in := paymentInput{Amount: vals["amount"], Date: vals["date"], Method: vals["method"], Reference: vals["reference"]}
	if in.FromCredit, err = boolValue("from_credit", vals["from_credit"]); err != nil {
		return err
	}
	inv, err := s.recordPayment(c.UserContext(), guardedInvoice(c).ID, in, actor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.apiInvoiceOf(inv))
}

// apiReversePayment reverses a payment: it stays, marked reversed, with a journal entry of its own.
// POST /api/v1/invoices/:id/payments/:pid/reverse
func (s *Server) apiReversePayment(c *fiber.Ctx) error {
	pid, err := idParam(c, "pid")
	if err != nil {
		return err
	}
	inv, err := s.reversePayment(c.UserContext(), guardedInvoice(c).ID, pid, actor(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiInvoiceOf(inv))
}

// apiInvoicePDF answers the invoice's PDF: the latest version, or ?version=ID for the issuer.
// GET /api/v1/invoices/:id/pdf
func (s *Server) apiInvoicePDF(c *fiber.Ctx) error {
	inv := guardedInvoice(c)
	var version int64
	if v := c.Query("version"); v != "" {
		if err := s.authorize(c, ActionManageInvoices, guardedOrg(c)); err != nil {
			return err
		}
		var err error
		if version, err = strconv.ParseInt(v, 10, 64); err != nil || version <= 0 {
			return badInput("version", "Give a version id from GET /api/v1/invoices/{id}/pdfs.")
		}
	}
	return s.sendInvoicePDF(c, inv, version)
}

// sendInvoicePDF answers a stored PDF version (0: the latest) of an invoice; drafts have none (409).
func (s *Server) sendInvoicePDF(c *fiber.Ctx, inv store.Invoice, version int64) error {
	if inv.Status == invoice.StatusDraft {
		return &Error{Status: http.StatusConflict, Code: "INVALID_STATE", Message: "A draft has no PDF: issue it first."}
	}
	pdf, err := s.db.InvoicePDF(c.UserContext(), inv.ID, version)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="%s.pdf"`, inv.Number))
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	c.Set(fiber.HeaderETag, fmt.Sprintf(`"%x"`, pdf.SHA256))
	return c.Send(pdf.Content)
}

// apiUploadInvoicePDF stores the issuer's own PDF of an issued invoice as its newest version.
// PUT /api/v1/invoices/:id/pdf
func (s *Server) apiUploadInvoicePDF(c *fiber.Ctx) error {
	if ct := strings.ToLower(strings.TrimSpace(strings.Split(c.Get(fiber.HeaderContentType), ";")[0])); ct != "application/pdf" {
		return &Error{Status: http.StatusUnsupportedMediaType, Code: "UNSUPPORTED_MEDIA_TYPE",
			Message: "Send the PDF itself as the body, with Content-Type: application/pdf."}
	}
	body := c.Body()
	if len(body) > maxInvoicePDF {
		return errPDFTooLarge
	}
	inv, err := s.uploadInvoicePDF(c.UserContext(), guardedInvoice(c).ID, "body", bytes.Clone(body), "", actor(c))
	if err != nil {
		return err
	}
	return c.JSON(s.apiInvoiceOf(inv))
}

type apiPDFVersion struct {
	ID        int64  `json:"id"`
	Source    string `json:"source"`
	Filename  string `json:"filename,omitempty"`
	Size      int    `json:"size"`
	SHA256    string `json:"sha256"`
	CreatedBy string `json:"created_by"`
	CreatedAt string `json:"created_at"`
}

// apiInvoicePDFs lists the PDF versions of an invoice, newest (the one served) first.
// GET /api/v1/invoices/:id/pdfs
func (s *Server) apiInvoicePDFs(c *fiber.Ctx) error {
	ps, err := s.db.InvoicePDFs(c.UserContext(), guardedInvoice(c).ID)
	if err != nil {
		return err
	}
	out := make([]apiPDFVersion, len(ps))
	for i, p := range ps {
		out[i] = apiPDFVersion{ID: p.ID, Source: p.Source, Filename: p.Filename, Size: p.Size, SHA256: fmt.Sprintf("%x", p.SHA256),
			CreatedBy: p.CreatedEmail, CreatedAt: p.CreatedAt.Format("2006-01-02T15:04:05Z")}
	}
	return c.JSON(fiber.Map{"versions": out})
}

type apiJournalEntry struct {
	Date        string        `json:"date"`
	Kind        string        `json:"kind"`
	Description string        `json:"description"`
	Debit       billing.Money `json:"debit"`
	Credit      billing.Money `json:"credit"`
	Balance     billing.Money `json:"balance"`
	Currency    string        `json:"currency"`
	InvoiceID   *int64        `json:"invoice_id"`
}

type apiOverdue struct {
	Amount billing.Money `json:"amount"`
	Since  billing.Date  `json:"since"`
}

// apiJournal answers a client's journal: entries oldest first with the running balance of their
// currency, the balances, and what is overdue since when.
// GET /api/v1/organizations/:id/journal
func (s *Server) apiJournal(c *fiber.Ctx) error {
	j, err := s.clientJournal(c.UserContext(), guardedOrg(c))
	if err != nil {
		return err
	}
	entries := make([]apiJournalEntry, len(j.Entries))
	for i, e := range j.Entries {
		cur := billing.Currency(e.Currency)
		entries[i] = apiJournalEntry{Date: e.Date, Kind: e.Kind, Description: e.Description, Debit: billing.Money{Minor: e.Debit, Currency: cur},
			Credit: billing.Money{Minor: e.Credit, Currency: cur}, Balance: e.Balance, Currency: e.Currency, InvoiceID: optID(e.InvoiceID)}
	}
	balances := map[billing.Currency]billing.Money{}
	for cur, b := range j.Balances {
		balances[cur] = b
	}
	overdue := map[billing.Currency]apiOverdue{}
	for cur, o := range j.Overdue {
		overdue[cur] = apiOverdue{Amount: o.Amount, Since: o.Since}
	}
	return c.JSON(fiber.Map{"balances": balances, "overdue": overdue, "entries": entries})
}

// apiAddJournalEntry records a manual adjustment or credit note on a client's journal.
// POST /api/v1/organizations/:id/journal
func (s *Server) apiAddJournalEntry(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), "kind", "amount", "currency", "date", "description")
	if err != nil {
		return err
	}
	e, err := s.addJournalEntry(c.UserContext(), guardedOrg(c), journalInput{Kind: vals["kind"], Amount: vals["amount"],
		Currency: vals["currency"], Date: vals["date"], Description: vals["description"]}, actor(c))
	if err != nil {
		return err
	}
	cur := billing.Currency(e.Currency)
	return c.Status(fiber.StatusCreated).JSON(apiJournalEntry{Date: e.Date, Kind: e.Kind, Description: e.Description,
		Debit: billing.Money{Minor: e.Debit, Currency: cur}, Credit: billing.Money{Minor: e.Credit, Currency: cur},
		Currency: e.Currency, Balance: billing.Money{Currency: cur}})
}

type apiSettings struct {
	OrganizationID int64           `json:"organization_id"`
	Prefix         string          `json:"prefix"`
	PaymentTerms   int             `json:"payment_terms"`
	TaxRate        invoice.TaxRate `json:"tax_rate"`
	Currency       string          `json:"currency"`
	BankDetails    string          `json:"bank_details"`
	Footer         string          `json:"footer"`
	AutoIssue      bool            `json:"auto_issue"`
}

func apiSettingsOf(st store.InvoiceSettings) apiSettings {
	return apiSettings{OrganizationID: st.OrgID, Prefix: st.Prefix, PaymentTerms: st.PaymentTerms, TaxRate: invoice.TaxRate(st.TaxRate),
		Currency: st.Currency, BankDetails: st.BankDetails, Footer: st.Footer, AutoIssue: st.AutoIssue}
}

// apiInvoicingSettings answers an issuer's invoicing settings (the defaults until saved).
// GET /api/v1/organizations/:id/invoicing
func (s *Server) apiInvoicingSettings(c *fiber.Ctx) error {
	st, err := s.db.InvoiceSettings(c.UserContext(), guardedOrg(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(apiSettingsOf(st))
}

// apiEditInvoicingSettings changes the settings sent.
// PATCH /api/v1/organizations/:id/invoicing
func (s *Server) apiEditInvoicingSettings(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), settingsFields...)
	if err != nil {
		return err
	}
	st, err := s.saveInvoicingSettings(c, guardedOrg(c), vals)
	if err != nil {
		return err
	}
	return c.JSON(apiSettingsOf(st))
}

// apiRequestPeriodInvoice makes the generated draft of the period holding a month.
// POST /api/v1/licenses/:id/invoices
func (s *Server) apiRequestPeriodInvoice(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), "kind", "month")
	if err != nil {
		return err
	}
	kind := vals["kind"]
	if kind != invoice.KindUsage && kind != invoice.KindPrepaid {
		return badInput("kind", "Choose usage (the extra cores of a period) or prepaid (the prepaid cores).")
	}
	m, err := billing.ParseMonth(strings.TrimSpace(vals["month"]))
	if err != nil {
		return badInput("month", "Write the month as YYYY-MM, such as 2026-10.")
	}
	inv, err := s.requestPeriodInvoice(c.UserContext(), guardedLicense(c), kind, m, actor(c))
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(s.apiInvoiceOf(inv))
}

// parseInvoiceJSON reads an invoice payload of POST and PATCH /api/v1/invoices: fields not sent
// stay nil; numbers and strings are both taken as text; a bad line names itself (lines[2].quantity).
func parseInvoiceJSON(body []byte) (draftInput, error) {
	var in draftInput
	raw, err := jsonObject(body, "organization_id", "license_id", "currency", "tax_rate", "due_date", "lines", "notes")
	if err != nil {
		return in, err
	}
	text := func(name string) (*string, error) {
		v, ok := raw[name]
		if !ok {
			return nil, nil
		}
		s, err := jsonText(name, v)
		return &s, err
	}
	if in.Currency, err = text("currency"); err != nil {
		return in, err
	}
	if in.TaxRate, err = text("tax_rate"); err != nil {
		return in, err
	}
	if in.DueDate, err = text("due_date"); err != nil {
		return in, err
	}
	if in.Notes, err = text("notes"); err != nil {
		return in, err
	}
	for _, f := range []struct {
		name     string
		dst      **int64
		nullable bool
	}{{"organization_id", &in.OrgID, false}, {"license_id", &in.LicenseID, true}} {
		v, err := text(f.name)
		if err != nil || v == nil {
			if err != nil {
				return in, err
			}
			continue
		}
		id, perr := strconv.ParseInt(strings.TrimSpace(*v), 10, 64)
		if *v == "" && f.nullable {
			id, perr = 0, nil
		}
		if perr != nil || id < 0 || (id == 0 && !f.nullable) {
			return in, badInput(f.name, "Give an id, such as 12.")
		}
		*f.dst = &id
	}
	if v, ok := raw["lines"]; ok {
		var items []json.RawMessage
		if err := json.Unmarshal(v, &items); err != nil || items == nil {
			return in, badInput("lines", "Send a list of lines: [{\"description\", \"quantity\", \"unit_price\"}].")
		}
		if len(items) > invoice.MaxLines {
			return in, badInput("lines", "An invoice has at most %d lines.", invoice.MaxLines)
		}
		in.Lines = make([]lineInput, len(items))
		for i, item := range items {
			prefix := fmt.Sprintf("lines[%d]", i)
			vals, err := jsonScalarsAt(prefix, item, "description", "quantity", "unit_price")
			if err != nil {
				return in, err
			}
			if _, ok := vals["unit_price"]; !ok {
				return in, badInput(prefix+".unit_price", "Give the line's unit price, such as 150.00.")
			}
			q, ok := vals["quantity"]
			if !ok {
				q = "1"
			}
			in.Lines[i] = lineInput{Description: vals["description"], Quantity: q, UnitPrice: vals["unit_price"]}
		}
	}
	return in, nil
}

// jsonObject reads a JSON object whose keys must be among allowed.
func jsonObject(body []byte, allowed ...string) (map[string]json.RawMessage, error) {
	return jsonObjectAt("", body, allowed...)
}

func jsonObjectAt(prefix string, body []byte, allowed ...string) (map[string]json.RawMessage, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil || raw == nil {
		field, what := prefix, "The body"
		if prefix != "" {
			what = "Each line"
		}
		if err == nil {
			return nil, badInput(field, "%s must be a JSON object.", what)
		}
		return nil, badInput(field, "%s must be a JSON object: %s", what, jsonProblem(err))
	}
	for name := range raw {
		if !contains(allowed, name) {
			return nil, badInput(joinField(prefix, name), "Unknown field %q: the fields are %s.", name, strings.Join(allowed, ", "))
		}
	}
	return raw, nil
}

func joinField(prefix, name string) string {
	if prefix == "" {
		return name
	}
	return prefix + "." + name
}

// jsonScalars reads a JSON object of scalars (strings, numbers, booleans, null) as text: numbers
// as written, booleans as "true"/"false", null as "". Fields not sent are absent from the map.
func jsonScalars(body []byte, allowed ...string) (map[string]string, error) {
	return jsonScalarsAt("", body, allowed...)
}

func jsonScalarsAt(prefix string, body []byte, allowed ...string) (map[string]string, error) {
	raw, err := jsonObjectAt(prefix, body, allowed...)
	if err != nil {
		return nil, err
	}
	vals := make(map[string]string, len(raw))
	for name, v := range raw {
		if vals[name], err = jsonText(joinField(prefix, name), v); err != nil {
			return nil, err
		}
	}
	return vals, nil
}

// jsonText reads one scalar as text.
func jsonText(field string, v json.RawMessage) (string, error) {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0:
		return "", badInput(field, "Send a value.")
	case string(v) == "null":
		return "", nil
	case string(v) == "true" || string(v) == "false":
		return string(v), nil
	case v[0] == '"':
		var s string
		if err := json.Unmarshal(v, &s); err != nil {
			return "", badInput(field, "Unreadable text.")
		}
		return s, nil
	case v[0] == '-' || (v[0] >= '0' && v[0] <= '9'):
		return string(v), nil
	}
	return "", badInput(field, "Send a string or a number.")
}

// boolValue reads a checkbox or JSON boolean: "true", "on", "1" are true; "", "false", "0" false.
func boolValue(field, v string) (bool, error) {
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true", "on", "1", "yes":
		return true, nil
	case "", "false", "off", "0", "no":
		return false, nil
	}
	return false, badInput(field, "Send true or false.")
}

// settingsFields are the fields of the invoicing settings, in the API and the settings form.
var settingsFields = []string{"prefix", "payment_terms", "tax_rate", "currency", "bank_details", "footer", "auto_issue"}

// saveInvoicingSettings validates the fields sent (absent ones keep their value) and stores them
// with an audit entry; the API and the settings page both save through here.
func (s *Server) saveInvoicingSettings(c *fiber.Ctx, issuer store.Org, vals map[string]string) (store.InvoiceSettings, error) {
	ctx := c.UserContext()
	st, err := s.db.InvoiceSettings(ctx, issuer.ID)
	if err != nil {
		return st, err
	}
	var changed []string
	for _, name := range settingsFields {
		v, ok := vals[name]
		if !ok {
			continue
		}
		changed = append(changed, name)
		switch name {
		case "prefix":
			if st.Prefix, err = invoice.ParsePrefix(v); err != nil {
				return st, badInput(name, "%s", sentence(err))
			}
		case "payment_terms":
			if st.PaymentTerms, err = invoice.ParsePaymentTerms(v); err != nil {
				return st, badInput(name, "%s", sentence(err))
			}
		case "tax_rate":
			r, err := invoice.ParseTaxRate(v)
			if err != nil {
				return st, badInput(name, "%s", sentence(err))
			}
			st.TaxRate = int64(r)
		case "currency":
			if st.Currency, err = parseCurrency(name, v); err != nil {
				return st, err
			}
		case "bank_details", "footer":
			v = strings.TrimSpace(strings.ReplaceAll(v, "\r\n", "\n"))
			if len([]rune(v)) > invoice.MaxSettingsText || strings.ContainsFunc(v, func(r rune) bool { return r != '\n' && isControlRune(r) }) {
				return st, badInput(name, "At most %d characters, without control characters.", invoice.MaxSettingsText)
			}
			if name == "footer" {
				st.Footer = v
			} else {
				st.BankDetails = v
			}
		case "auto_issue":
			if st.AutoIssue, err = boolValue(name, v); err != nil {
				return st, err
			}
		}
	}
	by := actor(c)
	err = s.db.SaveInvoiceSettings(ctx, &st, store.AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, OrgID: issuer.ID,
		Action: "invoicing.settings", Target: "invoicing settings", Details: strings.Join(changed, ", ")})
	return st, err
}
