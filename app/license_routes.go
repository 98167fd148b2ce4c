package app

import (
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/licensekey"
	"keyward/app/words"
	"keyward/store"
)

func isConflict(err error) bool { return errors.Is(err, store.ErrConflict) }

// routeLicenses registers the products, licenses and device pages and APIs.
func (s *Server) routeLicenses() {
	lic := s.licenseParam("id")
	s.route(fiber.MethodGet, "/api/v1/products", guard{Action: ActionSignedIn}, s.apiProducts)
	s.route(fiber.MethodPost, "/api/v1/products", guard{Action: ActionAdminister}, s.apiCreateProduct)
	s.route(fiber.MethodGet, "/api/v1/products/:id", guard{Action: ActionSignedIn}, s.apiGetProduct)
	s.route(fiber.MethodPatch, "/api/v1/products/:id", guard{Action: ActionAdminister}, s.apiPatchProduct)
	// Creating a license: the organization comes from the body, and the handler authorizes it.
	s.route(fiber.MethodGet, "/api/v1/licenses", guard{Action: ActionSignedIn}, s.apiLicenses)
	s.route(fiber.MethodPost, "/api/v1/licenses", guard{Action: ActionSignedIn}, s.apiCreateLicense)
	s.route(fiber.MethodGet, "/api/v1/licenses/:id", guard{Action: ActionView, Scope: lic}, s.apiLicense)
	s.route(fiber.MethodPatch, "/api/v1/licenses/:id", guard{Action: ActionManageLicenses, Scope: lic}, s.apiEditLicense)
	s.route(fiber.MethodPost, "/api/v1/licenses/:id/regenerate-key", guard{Action: ActionManageLicenses, Scope: lic}, s.apiRegenerateKey)
	s.route(fiber.MethodGet, "/api/v1/licenses/:id/key", guard{Action: ActionRevealKey, Scope: lic}, s.apiRevealKey)
	s.route(fiber.MethodPost, "/api/v1/licenses/:id/status", guard{Action: ActionManageLicenses, Scope: lic}, s.apiChangeStatus)
	s.deviceRoutes()

	s.route(fiber.MethodGet, "/products", guard{Action: ActionAdminister}, s.productsPage)
	s.route(fiber.MethodGet, "/products/new", guard{Action: ActionAdminister}, s.newProductPage)
	s.route(fiber.MethodPost, "/products", guard{Action: ActionAdminister}, s.createProduct)
	s.route(fiber.MethodGet, "/products/:id", guard{Action: ActionAdminister}, s.productPage)
	s.route(fiber.MethodPost, "/products/:id", guard{Action: ActionAdminister}, s.updateProductPage)
	s.route(fiber.MethodGet, "/licenses", guard{Action: ActionSignedIn}, s.licensesPage)
	s.route(fiber.MethodGet, "/licenses.csv", guard{Action: ActionSignedIn}, s.licensesCSV)
	s.route(fiber.MethodGet, "/licenses/new", guard{Action: ActionSignedIn}, s.newLicensePage)
	s.route(fiber.MethodPost, "/licenses", guard{Action: ActionSignedIn}, s.createLicensePage)
	s.route(fiber.MethodGet, "/licenses/:id", guard{Action: ActionView, Scope: lic}, s.licensePage)
	s.route(fiber.MethodGet, "/licenses/:id/edit", guard{Action: ActionManageLicenses, Scope: lic}, s.editLicensePage)
	s.route(fiber.MethodPost, "/licenses/:id/edit", guard{Action: ActionManageLicenses, Scope: lic}, s.updateLicensePage)
	s.route(fiber.MethodPost, "/licenses/:id/status", guard{Action: ActionManageLicenses, Scope: lic}, s.changeStatusPage)
	s.route(fiber.MethodPost, "/licenses/:id/regenerate-key", guard{Action: ActionManageLicenses, Scope: lic}, s.regenerateKeyPage)
	s.route(fiber.MethodPost, "/licenses/:id/reveal", guard{Action: ActionRevealKey, Scope: lic}, s.revealKeyPage)
	s.route(fiber.MethodGet, "/licenses/:id/activation.pdf", guard{Action: ActionRevealKey, Scope: lic}, s.activationPDF)
	s.route(fiber.MethodPost, "/licenses/:id/seats/revoke", guard{Action: ActionRevokeSeat, Scope: lic}, s.revokeSeat)
	s.route(fiber.MethodPost, "/licenses/:id/devices/:device/deactivate", guard{Action: ActionManageDevices, Scope: lic}, s.deactivateDevicePage)
	s.route(fiber.MethodPost, "/licenses/:id/devices/:device/license-file", guard{Action: ActionManageDevices, Scope: lic}, s.downloadLicenseFile)
	s.routeLicenseRequests()
}

// apiLicenseJSON is a license in the management API; the key is never in it but masked.
func (s *Server) apiLicenseJSON(l store.License) fiber.Map {
	cur := l.Terms.Currency
	return fiber.Map{"id": l.ID, "status": l.Status, "product": l.ProductCode, "organization_id": nullableID(l.OrgID),
		"organization": l.OrgName, "distributor_id": l.DistributorID, "key_masked": licensekey.Mask("KW-XXXXX-XXXXX-XXXXX-XXXXX-" + l.KeySuffix),
		"features": apiFeatures(l.Features), "prepaid_cores": l.Terms.PrepaidCores,
		"prepaid_core_price": formatMoney(l.Terms.PrepaidCorePrice, cur), "extra_core_price": formatMoney(l.Terms.ExtraCorePrice, cur),
		"escalation_factor": l.Terms.EscalationFactor, "currency": cur, "payment_period": l.Terms.PaymentPeriod,
		"invoicing_period": l.Terms.InvoicingPeriod, "term_years": l.TermYears, "start_date": optDate(l.StartDate),
		"end_date": optDate(l.EndDate), "location": l.Location, "partner": l.Partner, "max_aps": l.MaxAPs,
		"max_rooms": l.MaxRooms, "max_devices": l.MaxDevices, "start_threshold": l.StartThreshold, "heartbeat_minutes": l.Heartbeat(),
		"deny_reason": l.DenyReason, "used": apiUsed{l.UsedAPs, l.UsedRooms, l.ActiveDevices}, "overage_alerts": !l.OverageAlertsOff,
		"created_at": l.CreatedAt, "updated_at": l.UpdatedAt}
}

func nullableID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// licenseFilter reads the list's filters from the query string and limits it to what the user sees.
func (s *Server) licenseFilter(c *fiber.Ctx) (store.LicenseFilter, error) {
	a, err := s.accessOf(c)
	if err != nil {
		return store.LicenseFilter{}, err
	}
	f := store.LicenseFilter{All: a.staff, Status: c.Query("status"), Feature: c.Query("feature"), Query: c.Query("q"),
		Sort: c.Query("sort", "id"), Desc: c.Query("dir") == "desc"}
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return f, err
	}
	for _, m := range ms {
		f.OrgIDs = append(f.OrgIDs, m.Org.ID)
		if m.Org.Kind == store.KindDistributor {
			f.DistributorIDs = append(f.DistributorIDs, m.Org.ID)
		}
	}
	if f.Status != "" && !contains(licenseStatuses, f.Status) {
		return f, badInput("status", "Unknown status %q.", f.Status)
	}
	if !store.ValidLicenseSort(f.Sort) {
		return f, badInput("sort", "Sort by key, organization, modules, aps, rooms, status, start or end.")
	}
	for _, d := range []struct {
		name string
		dst  *string
	}{{"end_from", &f.EndFrom}, {"end_to", &f.EndTo}} {
		if v := c.Query(d.name); v != "" {
			if _, err := time.Parse(time.DateOnly, v); err != nil {
				return f, badInput(d.name, "Enter a date as YYYY-MM-DD.")
			}
			*d.dst = v
		}
	}
	if v := c.Query("ending_within"); v != "" {
		days, err := strconv.Atoi(v)
		if err != nil || days < 1 || days > 3660 {
			return f, badInput("ending_within", "Enter a number of days such as 30, 60 or 90.")
		}
		today := civilDay(s.clock.Now())
		f.EndFrom, f.EndTo = today, addDays(today, days)
	}
	for _, n := range []struct {
		name string
		dst  *int64
	}{{"organization", &f.OrgID}, {"product", &f.ProductID}} {
		if v := c.Query(n.name); v != "" {
			id, err := strconv.ParseInt(v, 10, 64)
			if err != nil || id <= 0 {
				return f, badInput(n.name, "Choose from the list.")
			}
			*n.dst = id
		}
	}
	return f, nil
}

var licenseStatuses = []string{store.StatusPendingProvision, store.StatusPendingStart, store.StatusInUse,
	store.StatusAccessDenied, store.StatusContractFinalized}

// pagination reads ?page=&per_page= (default 50, at most 500).
func pagination(c *fiber.Ctx) (page, perPage int) {
	page, _ = strconv.Atoi(c.Query("page"))
	perPage, _ = strconv.Atoi(c.Query("per_page"))
	if page < 1 {
		page = 1
	}
	if perPage < 1 || perPage > 500 {
		perPage = 50
	}
	return page, perPage
}

// apiLicenses lists the licenses the user sees, with the list's filters.
// GET /api/v1/licenses
func (s *Server) apiLicenses(c *fiber.Ctx) error {
	f, err := s.licenseFilter(c)
	if err != nil {
		return err
	}
	page, per := pagination(c)
	f.Limit, f.Offset = per, (page-1)*per
	ls, total, err := s.db.Licenses(c.UserContext(), f)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(ls))
	for _, l := range ls {
		out = append(out, s.apiLicenseJSON(l))
	}
	return c.JSON(fiber.Map{"licenses": out, "page": page, "per_page": per, "total": total})
}

// apiCreateLicense creates a license; the answer holds its key, shown in full this once.
// POST /api/v1/licenses
func (s *Server) apiCreateLicense(c *fiber.Ctx) error {
	f, err := jsonLicenseFields(c.Body())
	if err != nil {
		return err
	}
	l, key, err := s.createLicense(c, f, nil)
	if err != nil {
		return err
	}
	out := s.apiLicenseJSON(l)
	out["key"] = key
	return c.Status(fiber.StatusCreated).JSON(out)
}

// apiLicense shows a license.
// GET /api/v1/licenses/:id
func (s *Server) apiLicense(c *fiber.Ctx) error {
	return c.JSON(s.apiLicenseJSON(guardedLicense(c)))
}

// apiEditLicense changes the fields sent; organization and product stay.
// PATCH /api/v1/licenses/:id
func (s *Server) apiEditLicense(c *fiber.Ctx) error {
	f, err := jsonLicenseFields(c.Body())
	if err != nil {
		return err
	}
	for _, name := range []string{"organization_id", "distributor_id", "product"} {
		if f.has(name) {
			return badInput(name, "This cannot change: provision a license with POST /api/v1/licenses/{id}/status, or create another.")
		}
	}
	l, err := s.editLicense(c, guardedLicense(c).ID, f)
	if err != nil {
		return err
	}
	return c.JSON(s.apiLicenseJSON(l))
}

// apiRegenerateKey gives the license a new key; the old one fails at once.
// POST /api/v1/licenses/:id/regenerate-key
func (s *Server) apiRegenerateKey(c *fiber.Ctx) error {
	key, err := s.regenerateKey(c, guardedLicense(c).ID)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"key": key})
}

// apiRevealKey answers the full key; revealing it is audited.
// GET /api/v1/licenses/:id/key
func (s *Server) apiRevealKey(c *fiber.Ctx) error {
	l := guardedLicense(c)
	key, err := s.revealKey(l)
	if err != nil {
		return err
	}
	if err := s.auditReveal(c.UserContext(), c, l, "api"); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"key": key})
}

type statusInput struct {
	Action         string `json:"action"`
	Reason         string `json:"reason"`
	OrganizationID int64  `json:"organization_id"`
	Years          int    `json:"years"`
}

// apiChangeStatus runs a lifecycle action: provision, start, deny, reinstate, terminate or renew.
// POST /api/v1/licenses/:id/status
func (s *Server) apiChangeStatus(c *fiber.Ctx) error {
	var in statusInput
	if err := jsonBody(c, &in); err != nil {
		return err
	}
	l, err := s.changeStatus(c, guardedLicense(c).ID, lifecycleRequest{Action: in.Action, Reason: in.Reason, OrgID: in.OrganizationID, Years: in.Years}, nil)
	if err != nil {
		return err
	}
	return c.JSON(s.apiLicenseJSON(l))
}

func jsonBody(c *fiber.Ctx, v any) error {
	if err := json.Unmarshal(c.Body(), v); err != nil {
		return badInput("", "The body must be a JSON object: %s", jsonProblem(err))
	}
	return nil
}

// licenseRow is a line of the license list.
type licenseRow struct {
	store.License
	Masked      string
	Modules     string // codes, for the CSV
	ModuleNames string // names, for people
}

func licenseRows(ls []store.License) []licenseRow {
	rows := make([]licenseRow, 0, len(ls))
	for _, l := range ls {
		codes, names := make([]string, 0, len(l.Features)), make([]string, 0, len(l.Features))
		for _, f := range l.Features {
			codes, names = append(codes, f.Code), append(names, f.Name)
		}
		rows = append(rows, licenseRow{License: l, Masked: "…" + l.KeySuffix, Modules: strings.Join(codes, ", "), ModuleNames: strings.Join(names, ", ")})
	}
	return rows
}

// licensesPage lists the licenses the user sees, filtered, sorted and paginated.
// GET /licenses
func (s *Server) licensesPage(c *fiber.Ctx) error {
	f, err := s.licenseFilter(c)
	if err != nil {
		return err
	}
	page, per := pagination(c)
	f.Limit, f.Offset = per, (page-1)*per
	ctx := c.UserContext()
	ls, total, err := s.db.Licenses(ctx, f)
	if err != nil {
		return err
	}
	products, err := s.db.Products(ctx)
	if err != nil {
		return err
	}
	orgs, err := s.visibleClients(c)
	if err != nil {
		return err
	}
	q := c.Request().URI().QueryArgs()
	query := func(set map[string]string) string {
		v := url.Values{}
		q.VisitAll(func(k, val []byte) { v.Set(string(k), string(val)) })
		for k, val := range set {
			if val == "" {
				v.Del(k)
			} else {
				v.Set(k, val)
			}
		}
		return v.Encode()
	}
	sortLink := func(col string) string {
		dir := ""
		if f.Sort == col && !f.Desc {
			dir = "desc"
		}
		return "/licenses?" + query(map[string]string{"sort": col, "dir": dir, "page": ""})
	}
	// sortDir is the aria-sort of a column's header, which the stylesheet marks with an arrow.
	sortDir := func(col string) string {
		switch {
		case f.Sort != col:
			return "none"
		case f.Desc:
			return "descending"
		}
		return "ascending"
	}
	var prev, next string
	if page > 1 {
		prev = "/licenses?" + query(map[string]string{"page": strconv.Itoa(page - 1)})
	}
	if page*per < total {
		next = "/licenses?" + query(map[string]string{"page": strconv.Itoa(page + 1)})
	}
	a, _ := s.accessOf(c)
	ds, err := s.userDistributors(c)
	if err != nil {
		return err
	}
	return s.render(c, "licenses", fiber.Map{"Title": "Licenses", "Rows": licenseRows(ls), "Total": total, "Filter": f,
		"Products": products, "Orgs": orgs, "Statuses": licenseStatuses, "Sort": sortLink, "SortDir": sortDir, "Prev": prev, "Next": next,
		"Page": page, "CSV": "/licenses.csv?" + query(map[string]string{"page": ""}), "Q": c.Query("q"),
		"EndingWithin": c.Query("ending_within"), "CanCreate": a.staff || len(ds) > 0,
		"Filtering": slices.ContainsFunc([]string{"status", "ending_within", "end_from", "end_to", "organization", "product", "feature", "q"},
			func(k string) bool { return c.Query(k) != "" })})
}

// licensesCSV exports the filtered list, every page of it.
// GET /licenses.csv
func (s *Server) licensesCSV(c *fiber.Ctx) error {
	f, err := s.licenseFilter(c)
	if err != nil {
		return err
	}
	ls, _, err := s.db.Licenses(c.UserContext(), f)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="licenses.csv"`)
	w := csv.NewWriter(c.Response().BodyWriter())
	w.Write([]string{"id", "key", "organization", "product", "modules", "aps", "max_aps", "rooms", "max_rooms", "status", "start_date", "end_date", "location", "partner"})
	for _, r := range licenseRows(ls) {
		w.Write([]string{strconv.FormatInt(r.ID, 10), r.Masked, csvSafe(r.OrgName), r.ProductCode, r.Modules,
			strconv.Itoa(r.UsedAPs), optNum(r.MaxAPs), strconv.Itoa(r.UsedRooms), optNum(r.MaxRooms), r.Status,
			r.StartDate, r.EndDate, csvSafe(r.Location), csvSafe(r.Partner)})
	}
	w.Flush()
	return w.Error()
}

// csvSafe keeps a spreadsheet from reading a cell as a formula.
func csvSafe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func optNum(p *int) string {
	if p == nil {
		return ""
	}
	return strconv.Itoa(*p)
}

// visibleClients are the client organizations the user may pick in filters and forms.
func (s *Server) visibleClients(c *fiber.Ctx) ([]store.Org, error) {
	a, err := s.accessOf(c)
	if err != nil {
		return nil, err
	}
	all, err := s.db.ClientOrgs(c.UserContext())
	if err != nil {
		return nil, err
	}
	var out []store.Org
	for _, o := range all {
		if a.authorize(ActionView, o) == nil {
			out = append(out, o)
		}
	}
	return out, nil
}

// manageableClients are the clients whose licenses the user manages.
func (s *Server) manageableClients(c *fiber.Ctx) ([]store.Org, error) {
	return s.clientsAllowed(c, ActionManageLicenses)
}

// clientsAllowed are the clients on which the user may do action.
func (s *Server) clientsAllowed(c *fiber.Ctx, action Action) ([]store.Org, error) {
	a, err := s.accessOf(c)
	if err != nil {
		return nil, err
	}
	orgs, err := s.visibleClients(c)
	var out []store.Org
	for _, o := range orgs {
		if a.authorize(action, o) == nil {
			out = append(out, o)
		}
	}
	return out, err
}

// licenseForm is what the license form shows.
type licenseForm struct {
	Vals     map[string]string
	Features map[string]bool
	Max      map[string]string
	Timeout  map[string]string
	Borrow   map[string]string
}

func formFromLicense(l store.License) licenseForm {
	f := licenseForm{Vals: map[string]string{
		"organization_id": strconv.FormatInt(l.OrgID, 10), "product": l.ProductCode,
		"prepaid_cores": strconv.Itoa(l.Terms.PrepaidCores), "currency": l.Terms.Currency,
		"prepaid_core_price": formatMoney(l.Terms.PrepaidCorePrice, l.Terms.Currency),
		"extra_core_price":   formatMoney(l.Terms.ExtraCorePrice, l.Terms.Currency),
		"escalation_factor":  l.Terms.EscalationFactor, "invoicing_period": l.Terms.InvoicingPeriod,
		"payment_period": l.Terms.PaymentPeriod, "term_years": strconv.Itoa(l.TermYears), "start_date": l.StartDate,
		"location": l.Location, "partner": l.Partner, "max_aps": optNum(l.MaxAPs), "max_rooms": optNum(l.MaxRooms),
		"max_devices": optNum(l.MaxDevices), "start_threshold": strconv.Itoa(l.StartThreshold),
		"heartbeat_minutes": optNum(l.HeartbeatOverride)},
		Features: map[string]bool{}, Max: map[string]string{}, Timeout: map[string]string{}, Borrow: map[string]string{}}
	for _, ft := range l.Features {
		f.Features[ft.Code] = true
		f.Max[ft.Code], f.Timeout[ft.Code], f.Borrow[ft.Code] = optNum(ft.MaxOverride), optNum(ft.TimeoutOverride), optNum(ft.BorrowOverride)
	}
	return f
}

func formFromRequest(c *fiber.Ctx) licenseForm {
	f := licenseForm{Vals: map[string]string{}, Features: map[string]bool{}, Max: map[string]string{}, Timeout: map[string]string{},
		Borrow: map[string]string{}}
	for _, n := range licenseFieldNames {
		f.Vals[n] = c.FormValue(n)
	}
	for _, v := range c.Context().PostArgs().PeekMulti("features") {
		f.Features[string(v)] = true
	}
	c.Context().PostArgs().VisitAll(func(k, v []byte) {
		if code, ok := strings.CutPrefix(string(k), "max_users."); ok {
			f.Max[code] = string(v)
		}
		if code, ok := strings.CutPrefix(string(k), "max_borrow."); ok {
			f.Borrow[code] = string(v)
		}
		if code, ok := strings.CutPrefix(string(k), "timeout."); ok {
			f.Timeout[code] = string(v)
		}
	})
	return f
}

// renderLicenseForm shows the new or edit form, with an error next to its field.
func (s *Server) renderLicenseForm(c *fiber.Ctx, l *store.License, form licenseForm, e *Error, extra fiber.Map) error {
	ctx := c.UserContext()
	products, err := s.db.Products(ctx)
	if err != nil {
		return err
	}
	clients, err := s.manageableClients(c)
	if err != nil {
		return err
	}
	title := "New license"
	if l != nil {
		title = fmt.Sprintf("Edit license %d", l.ID)
	}
	data := fiber.Map{"Title": title, "License": l, "Form": form, "Products": products, "Clients": clients, "Error": e,
		"Currencies": []string{"EUR", "USD", "GBP", "CHF", "JPY", "KWD"}, "TermChoices": termChoices(form.Vals["term_years"])}
	for k, v := range extra {
		data[k] = v
	}
	return s.render(c, "license_form", data)
}

// termChoices are the terms the form offers: 1 to 5 years, and the term renewals took beyond.
func termChoices(current string) []string {
	choices := []string{"1", "2", "3", "4", "5"}
	if n, err := strconv.Atoi(current); err == nil && n > 5 {
		choices = append(choices, current)
	}
	return choices
}

// newLicensePage shows the form of a new license, prefilled from a license request if one is named.
// GET /licenses/new
func (s *Server) newLicensePage(c *fiber.Ctx) error {
	form := licenseForm{Vals: map[string]string{"term_years": "1", "payment_period": "annual", "invoicing_period": "monthly",
		"escalation_factor": "0.33", "currency": "EUR", "prepaid_cores": "0", "prepaid_core_price": "0.00",
		"extra_core_price": "0.00", "organization_id": c.Query("organization_id")}, Features: map[string]bool{}}
	extra := fiber.Map{}
	if id := c.Query("request"); id != "" {
		r, err := s.requestForManager(c, id)
		if err != nil {
			return err
		}
		prefillFromRequest(&form, r)
		extra["Request"] = r
	}
	return s.renderLicenseForm(c, nil, form, nil, extra)
}

// createLicensePage creates a license from the form and shows it. A form naming a request
// fulfils it; a request that does not exist for the user, or is decided, refuses the whole form.
// POST /licenses
func (s *Server) createLicensePage(c *fiber.Ctx) error {
	var req *store.LicenseRequest
	if rid := c.FormValue("request_id"); rid != "" {
		r, err := s.requestForManager(c, rid)
		if err != nil {
			return err
		}
		req = &r
	}
	f, err := s.formFields(c)
	if err == nil {
		var l store.License
		var key string
		if l, key, err = s.createLicense(c, f, req); err == nil {
			// The page answers the form itself, as key regeneration does, so the new key is
			// shown this once and never travels in a URL or a cookie.
			org, err := s.db.FindOrg(c.UserContext(), licenseOrgID(l))
			if err != nil {
				return err
			}
			c.Locals("license", l)
			c.Locals("org", org)
			c.Status(fiber.StatusCreated)
			return s.showLicense(c, key, nil)
		}
	}
	return s.licenseFormError(c, nil, err)
}

// formFields reads the license form for the product it names.
func (s *Server) formFields(c *fiber.Ctx) (licenseFields, error) {
	product, err := s.db.FindProductByCode(c.UserContext(), c.FormValue("product"))
	if errors.Is(err, store.ErrNotFound) {
		return licenseFields{}, badInput("product", "Choose the product.")
	} else if err != nil {
		return licenseFields{}, err
	}
	return formLicenseFields(c, product)
}

// licenseFormError shows the license form again with the error, or passes on errors that are not the user's input.
func (s *Server) licenseFormError(c *fiber.Ctx, l *store.License, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Status != fiber.StatusBadRequest {
		return err
	}
	c.Status(e.Status)
	extra := fiber.Map{}
	if rid := c.FormValue("request_id"); rid != "" {
		extra["RequestID"] = rid
	}
	return s.renderLicenseForm(c, l, formFromRequest(c), e, extra)
}

// licensePage shows a license with its tabs: general, modules, history, notifications, assignments.
// GET /licenses/:id
func (s *Server) licensePage(c *fiber.Ctx) error {
	return s.showLicense(c, "", nil)
}

func (s *Server) showLicense(c *fiber.Ctx, key string, e *Error) error {
	ctx := c.UserContext()
	l := guardedLicense(c)
	tab := c.Query("tab", "general")
	data := fiber.Map{"Title": fmt.Sprintf("License %d", l.ID), "L": l, "Tab": tab, "Key": key, "Error": e,
		"Masked": "KW-•••••-•••••-•••••-•••••-" + l.KeySuffix, "Created": c.Method() == fiber.MethodPost && c.Route().Path == "/licenses"}
	org := guardedOrg(c)
	data["CanManage"] = s.authorize(c, ActionManageLicenses, org) == nil
	data["CanReveal"] = s.authorize(c, ActionRevealKey, org) == nil
	data["CanAlerts"] = s.authorize(c, ActionOverageAlerts, org) == nil
	data["CanRequest"] = l.OrgID != 0 && org.Kind == store.KindClient && s.authorize(c, ActionRequestLicense, org) == nil && data["CanManage"] != true
	data["Prepaid"] = formatMoney(l.Terms.PrepaidCorePrice, l.Terms.Currency)
	data["Extra"] = formatMoney(l.Terms.ExtraCorePrice, l.Terms.Currency)
	switch tab {
	case "history":
		evs, err := s.db.LicenseEvents(ctx, l.ID)
		if err != nil {
			return err
		}
		data["Events"] = evs
		terms, err := s.db.LicenseTerms(ctx, l.ID)
		if err != nil {
			return err
		}
		data["Terms"] = terms
	case "notifications":
		ns, err := s.db.LicenseNotifications(ctx, l.ID)
		if err != nil {
			return err
		}
		data["Notifications"] = ns
	case "assignments":
		if err := s.flushSeen(ctx); err != nil {
			return err
		}
		ds, err := s.db.LicenseDevices(ctx, l.ID)
		if err != nil {
			return err
		}
		ss, err := s.db.LicenseSetups(ctx, l.ID)
		if err != nil {
			return err
		}
		data["Devices"], data["Setups"] = ds, ss
		data["CanManageDevices"] = s.authorize(c, ActionManageDevices, org) == nil
	case "modules":
		fs, err := s.licenseFeatureSeats(c, l)
		if err != nil {
			return err
		}
		data["FeatureSeats"] = fs
		data["CanRevoke"] = s.authorize(c, ActionRevokeSeat, org) == nil
	case "general":
		if l.Status == store.StatusPendingProvision && data["CanManage"] == true {
			clients, err := s.manageableClients(c)
			if err != nil {
				return err
			}
			var mine []store.Org
			for _, o := range clients {
				if o.ParentID == l.DistributorID {
					mine = append(mine, o)
				}
			}
			data["Clients"] = mine
		}
	default:
		return errNotFound
	}
	return s.render(c, "license", data)
}

// editLicensePage shows the edit form.
// GET /licenses/:id/edit
func (s *Server) editLicensePage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	return s.renderLicenseForm(c, &l, formFromLicense(l), nil, nil)
}

// updateLicensePage saves the edit form.
// POST /licenses/:id/edit
func (s *Server) updateLicensePage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	product, err := s.db.FindProduct(c.UserContext(), l.ProductID)
	if err != nil {
		return err
	}
	f, err := formLicenseFields(c, product)
	if err == nil {
		delete(f.vals, "organization_id")
		delete(f.vals, "distributor_id")
		delete(f.vals, "product")
		_, err = s.editLicense(c, l.ID, f)
	}
	if err != nil {
		return s.licenseFormError(c, &l, err)
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d", l.ID), fiber.StatusSeeOther)
}

// changeStatusPage runs a lifecycle action from the license page.
// POST /licenses/:id/status
func (s *Server) changeStatusPage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	r := lifecycleRequest{Action: c.FormValue("action"), Reason: c.FormValue("reason")}
	r.OrgID, _ = strconv.ParseInt(c.FormValue("organization_id"), 10, 64)
	r.Years, _ = strconv.Atoi(c.FormValue("years"))
	if _, err := s.changeStatus(c, l.ID, r, nil); err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status < 500 {
			c.Status(e.Status)
			return s.showLicense(c, "", e)
		}
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?tab=history", l.ID), fiber.StatusSeeOther)
}

// regenerateKeyPage gives the license a new key and shows it once.
// POST /licenses/:id/regenerate-key
func (s *Server) regenerateKeyPage(c *fiber.Ctx) error {
	id := guardedLicense(c).ID
	key, err := s.regenerateKey(c, id)
	if err != nil {
		return err
	}
	l, err := s.db.FindLicense(c.UserContext(), id)
	if err != nil {
		return err
	}
	c.Locals("license", l)
	return s.showLicense(c, key, nil)
}

// revealKeyPage shows the full key; revealing it is audited.
// POST /licenses/:id/reveal
func (s *Server) revealKeyPage(c *fiber.Ctx) error {
	l := guardedLicense(c)
	key, err := s.revealKey(l)
	if err != nil {
		return err
	}
	if err := s.auditReveal(c.UserContext(), c, l, "portal"); err != nil {
		return err
	}
	return s.showLicense(c, key, nil)
}

// licenseFuncs are the template functions of the license pages.
func licenseFuncs() map[string]any {
	return map[string]any{
		// limit shows an optional maximum, or "—" for none.
		"limit": func(p *int) string {
			if p == nil {
				return "—"
			}
			return strconv.Itoa(*p)
		},
		"statusLabel": words.Status,
		"historyWords": func(kind string) string {
			if w, ok := historyKinds[kind]; ok {
				return w
			}
			return words.Status(kind)
		},
		"statusWords": detailWords,
		"stepLabel":   stepLabel,
		// sentLabel says what a sent notice told: the days really left on the day it went out.
		"sentLabel": func(n store.Notification) string {
			for _, st := range expiryLadder {
				if st.Name == n.Step {
					return expiryLabel(st, n.EndDate, civilDay(n.SentAt))
				}
			}
			return ""
		},
		// fieldError is the message of e when it is about the field name.
		"fieldError": func(e *Error, name string) string {
			if e != nil && e.Field == name {
				return e.Message
			}
			return ""
		},
		"money": formatMoney,
		"join":  strings.Join,
		"list":  func(xs ...string) []string { return xs },
	}
}

// historyKinds name the kinds of a license's history entries as its History tab shows them.
var historyKinds = map[string]string{
	"created":         "Created",
	"status":          "Status changed",
	"provision":       "Provisioned",
	"renewal":         "Renewed",
	"upgrade":         "Features or limits changed",
	"edited":          "Edited",
	"key_regenerated": "Key regenerated",
	"seat_revoked":    "Floating seat revoked",
	// Devices (DESIGN §9).
	"device_deactivated": "Device deactivated",
	"device_culled":      "Silent device deactivated",
	"license_file":       "Offline license file issued",
}
