package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

func (s *Server) routeLicenseRequests() {
	req := s.requestParam("id")
	s.route(fiber.MethodGet, "/license-requests", guard{Action: ActionSignedIn}, s.licenseRequestsPage)
	s.route(fiber.MethodGet, "/license-requests/new", guard{Action: ActionSignedIn}, s.newLicenseRequestPage)
	// The client comes from the form; the handler authorizes it.
	s.route(fiber.MethodPost, "/license-requests", guard{Action: ActionSignedIn}, s.createLicenseRequest)
	s.route(fiber.MethodPost, "/license-requests/:id/decline", guard{Action: ActionManageLicenses, Scope: req}, s.declineLicenseRequest)
	s.route(fiber.MethodPost, "/license-requests/:id/renew", guard{Action: ActionManageLicenses, Scope: req}, s.renewFromRequest)
}

// requestParam is the scope of routes whose parameter names a license request: its client.
func (s *Server) requestParam(name string) scope {
	return scope{Name: "license_request:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := idParam(c, name)
		if err != nil {
			return store.Org{}, err
		}
		r, err := s.db.FindLicenseRequest(c.UserContext(), id)
		if err != nil {
			return store.Org{}, err
		}
		c.Locals("request", r)
		return s.db.FindOrg(c.UserContext(), r.ClientID)
	}}
}

// requestForManager reads a request named in a form or query, for a user who manages its client's licenses.
func (s *Server) requestForManager(c *fiber.Ctx, raw string) (store.LicenseRequest, error) {
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return store.LicenseRequest{}, errNotFound
	}
	r, err := s.db.FindLicenseRequest(c.UserContext(), id)
	if err != nil {
		return r, err
	}
	org, err := s.db.FindOrg(c.UserContext(), r.ClientID)
	if err != nil {
		return r, err
	}
	if err := s.authorize(c, ActionManageLicenses, org); err != nil {
		return r, err
	}
	if r.Status != "open" {
		return r, errRequestDecided
	}
	return r, nil
}

func prefillFromRequest(f *licenseForm, r store.LicenseRequest) {
	f.Vals["organization_id"] = strconv.FormatInt(r.ClientID, 10)
	f.Vals["product"] = r.ProductCode
	f.Vals["location"], f.Vals["partner"] = r.Location, r.Partner
	f.Vals["term_years"], f.Vals["payment_period"] = strconv.Itoa(r.TermYears), r.PaymentPeriod
	f.Vals["max_aps"], f.Vals["max_rooms"] = optNum(r.APs), optNum(r.Rooms)
	for _, code := range r.Features {
		f.Features[code] = true
	}
}

// errRequestDecided answers an action on a request that is no longer open.
var errRequestDecided = &Error{Status: fiber.StatusConflict, Code: "CONFLICT", Message: "This request has been decided already."}

// fulfilment accepts a request in the transaction that writes its license, telling the client.
func (s *Server) fulfilment(ctx context.Context, r store.LicenseRequest) store.Fulfilment {
	return store.Fulfilment{RequestID: r.ID, Emails: func(licenseID int64) ([]store.Email, error) {
		return s.decisionEmails(ctx, r, "accepted", "", licenseID)
	}}
}

// decisionEmails tell a request's client owners, and whoever asked, how it was decided.
func (s *Server) decisionEmails(ctx context.Context, r store.LicenseRequest, status, reason string, licenseID int64) ([]store.Email, error) {
	to, err := s.db.OrgEmails(ctx, r.ClientID, store.RoleOwner)
	if err != nil {
		return nil, err
	}
	if r.CreatedByEmail != "" && !contains(to, r.CreatedByEmail) {
		to = append(to, r.CreatedByEmail)
	}
	var emails []store.Email
	for _, addr := range to {
		e, err := s.email(addr, "license-request-decided", map[string]any{"R": r, "Status": status, "Reason": reason,
			"URL": licenseURL(licenseID)})
		if err != nil {
			return nil, err
		}
		emails = append(emails, e)
	}
	return emails, nil
}

// declineRequest closes a request without a license and tells the client why.
func (s *Server) declineRequest(c *fiber.Ctx, r store.LicenseRequest, reason string) error {
	ctx := c.UserContext()
	emails, err := s.decisionEmails(ctx, r, "declined", reason, 0)
	if err != nil {
		return err
	}
	err = s.db.DecideLicenseRequest(ctx, r.ID, "declined", reason, 0, actor(c), emails)
	if isConflict(err) {
		return errRequestDecided
	}
	if err == nil {
		s.wakeOutbox()
	}
	return err
}

func licenseURL(id int64) string {
	if id == 0 {
		return "/license-requests"
	}
	return fmt.Sprintf("/licenses/%d", id)
}

// licenseRequestsPage lists the requests the user's organizations made or received.
// GET /license-requests
func (s *Server) licenseRequestsPage(c *fiber.Ctx) error {
	a, err := s.accessOf(c)
	if err != nil {
		return err
	}
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	var ids []int64
	canAsk := false
	for _, m := range ms {
		ids = append(ids, m.Org.ID)
		canAsk = canAsk || (m.Org.Kind == store.KindClient && m.Role == store.RoleOwner)
	}
	rs, err := s.db.LicenseRequests(c.UserContext(), a.staff, ids)
	if err != nil {
		return err
	}
	type row struct {
		store.LicenseRequest
		CanDecide bool
	}
	rows := make([]row, 0, len(rs))
	for _, r := range rs {
		org := store.Org{ID: r.ClientID, Kind: store.KindClient, ParentID: r.DistributorID}
		rows = append(rows, row{r, r.Status == "open" && a.authorize(ActionManageLicenses, org) == nil})
	}
	return s.render(c, "license_requests", fiber.Map{"Title": "License requests", "Rows": rows, "CanAsk": canAsk, "Sent": c.Query("sent") != ""})
}

// requestClients are the client organizations the user may ask licenses for (as their owner).
func (s *Server) requestClients(c *fiber.Ctx) ([]store.Org, error) {
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	var out []store.Org
	for _, m := range ms {
		if m.Org.Kind == store.KindClient && m.Role == store.RoleOwner {
			out = append(out, m.Org)
		}
	}
	return out, nil
}

// newLicenseRequestPage shows the request form of a client owner.
// GET /license-requests/new
func (s *Server) newLicenseRequestPage(c *fiber.Ctx) error {
	vals := map[string]string{"term_years": "1", "payment_period": "annual", "kind": "new", "license_id": c.Query("license")}
	features := map[string]bool{}
	if vals["license_id"] != "" {
		vals["kind"] = "renewal"
		if err := s.prefillRenewal(c, vals, features); err != nil {
			return err
		}
	}
	return s.renderRequestForm(c, vals, features, nil)
}

// prefillRenewal fills the request form from the license to renew: its organization, product,
// location, partner, term, payment, limits and modules, so the client changes only what differs.
// A license the user may not ask about leaves the form as it was (the POST checks it again).
func (s *Server) prefillRenewal(c *fiber.Ctx, vals map[string]string, features map[string]bool) error {
	id, err := strconv.ParseInt(vals["license_id"], 10, 64)
	if err != nil {
		return nil
	}
	l, err := s.db.FindLicense(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	clients, err := s.requestClients(c)
	if err != nil {
		return err
	}
	if !slices.ContainsFunc(clients, func(o store.Org) bool { return o.ID == l.OrgID }) {
		return nil
	}
	vals["organization_id"] = strconv.FormatInt(l.OrgID, 10)
	vals["product"], vals["location"], vals["partner"] = l.ProductCode, l.Location, l.Partner
	vals["term_years"], vals["payment_period"] = strconv.Itoa(l.TermYears), l.Terms.PaymentPeriod
	if l.MaxAPs != nil {
		vals["aps"] = strconv.Itoa(*l.MaxAPs)
	}
	if l.MaxRooms != nil {
		vals["rooms"] = strconv.Itoa(*l.MaxRooms)
	}
	for _, f := range l.Features {
		features[f.Code] = true
	}
	return nil
}

func (s *Server) renderRequestForm(c *fiber.Ctx, vals map[string]string, features map[string]bool, e *Error) error {
	clients, err := s.requestClients(c)
	if err != nil {
		return err
	}
	products, err := s.db.Products(c.UserContext())
	if err != nil {
		return err
	}
	var ids []int64
	for _, o := range clients {
		ids = append(ids, o.ID)
	}
	licenses, _, err := s.db.Licenses(c.UserContext(), store.LicenseFilter{OrgIDs: ids, Sort: "id"})
	if err != nil {
		return err
	}
	return s.render(c, "license_request_new", fiber.Map{"Title": "Request a license", "Clients": clients, "Products": products,
		"Licenses": licenses, "Vals": vals, "Features": features, "Error": e})
}

// createLicenseRequest sends a client's request to its distributor.
// POST /license-requests
func (s *Server) createLicenseRequest(c *fiber.Ctx) error {
	vals := map[string]string{}
	for _, n := range []string{"organization_id", "kind", "license_id", "product", "location", "partner", "term_years",
		"payment_period", "aps", "rooms", "notes"} {
		vals[n] = strings.TrimSpace(c.FormValue(n))
	}
	features := map[string]bool{}
	for _, v := range c.Context().PostArgs().PeekMulti("features") {
		features[string(v)] = true
	}
	r, err := s.readRequest(c, vals, features)
	if err != nil {
		var e *Error
		if errors.As(err, &e) && e.Status == fiber.StatusBadRequest {
			c.Status(e.Status)
			return s.renderRequestForm(c, vals, features, e)
		}
		return err
	}
	ctx := c.UserContext()
	to, err := s.db.OrgEmails(ctx, r.DistributorID, "")
	if err != nil {
		return err
	}
	var emails []store.Email
	for _, addr := range to {
		e, err := s.email(addr, "license-request", map[string]any{"R": r, "By": currentUser(c).Email})
		if err != nil {
			return err
		}
		emails = append(emails, e)
	}
	if err := s.db.CreateLicenseRequest(ctx, &r, actor(c), emails); err != nil {
		return err
	}
	s.wakeOutbox()
	return c.Redirect("/license-requests?sent=1", fiber.StatusSeeOther)
}

// readRequest validates the request form; the client is authorized first.
func (s *Server) readRequest(c *fiber.Ctx, vals map[string]string, features map[string]bool) (store.LicenseRequest, error) {
	ctx := c.UserContext()
	var r store.LicenseRequest
	orgID, _ := strconv.ParseInt(vals["organization_id"], 10, 64)
	org, err := s.db.FindOrg(ctx, orgID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && org.Kind != store.KindClient) {
		return r, badInput("organization_id", "Choose your organization.")
	} else if err != nil {
		return r, err
	}
	if err := s.authorize(c, ActionRequestLicense, org); err != nil {
		return r, err
	}
	r.ClientID, r.DistributorID = org.ID, org.ParentID
	r.Kind = vals["kind"]
	if r.Kind != "new" && r.Kind != "renewal" {
		return r, badInput("kind", "Choose a new license or a renewal.")
	}
	product, err := s.db.FindProductByCode(ctx, vals["product"])
	if r.Kind == "renewal" {
		id, _ := strconv.ParseInt(vals["license_id"], 10, 64)
		l, lerr := s.db.FindLicense(ctx, id)
		if lerr != nil || l.OrgID != org.ID {
			return r, badInput("license_id", "Choose the license to renew.")
		}
		r.LicenseID = l.ID
		product, err = s.db.FindProduct(ctx, l.ProductID)
	}
	if errors.Is(err, store.ErrNotFound) {
		return r, badInput("product", "Choose the product.")
	} else if err != nil {
		return r, err
	}
	r.ProductID, r.ProductCode = product.ID, product.Code
	for code := range features {
		if _, ok := product.Feature(code); !ok {
			return r, badInput("features", "%s has no module %q.", product.Name, code)
		}
		r.Features = append(r.Features, code)
	}
	r.Location, r.Partner, r.Notes = vals["location"], vals["partner"], vals["notes"]
	if len(r.Location) > 64 {
		return r, badInput("location", "A location ID is at most 64 characters.")
	}
	if len(r.Partner) > textLimit || len(r.Notes) > 2000 {
		return r, badInput("partner", "Too long.")
	}
	if r.TermYears, err = strconv.Atoi(vals["term_years"]); err != nil || r.TermYears < 1 || r.TermYears > 5 {
		return r, badInput("term_years", "Choose 1 to 5 years.")
	}
	if r.PaymentPeriod = vals["payment_period"]; r.PaymentPeriod != "monthly" && r.PaymentPeriod != "annual" {
		return r, badInput("payment_period", "Choose monthly or annual.")
	}
	for _, n := range []struct {
		name string
		dst  **int
	}{{"aps", &r.APs}, {"rooms", &r.Rooms}} {
		if v := vals[n.name]; v != "" {
			x, err := strconv.Atoi(v)
			if err != nil || x < 0 {
				return r, badInput(n.name, "Enter a whole number of 0 or more.")
			}
			*n.dst = &x
		}
	}
	if r.APs == nil && r.Rooms == nil && r.Kind == "new" {
		return r, badInput("aps", "Say how many APs or rooms the license is for.")
	}
	r.ClientName, r.ProductName = org.Name, product.Name
	return r, nil
}

// declineLicenseRequest declines a request with a reason; the client is told.
// POST /license-requests/:id/decline
func (s *Server) declineLicenseRequest(c *fiber.Ctx) error {
	r, _ := c.Locals("request").(store.LicenseRequest)
	reason := strings.TrimSpace(c.FormValue("reason"))
	if reason == "" {
		return badInput("reason", "Say why the request is declined: the client reads it.")
	}
	if err := s.declineRequest(c, r, reason); err != nil {
		return err
	}
	return c.Redirect("/license-requests", fiber.StatusSeeOther)
}

// renewFromRequest renews the license a renewal request names, for the years asked.
// POST /license-requests/:id/renew
func (s *Server) renewFromRequest(c *fiber.Ctx) error {
	r, _ := c.Locals("request").(store.LicenseRequest)
	if r.Kind != "renewal" || r.Status != "open" {
		return &Error{Status: fiber.StatusConflict, Code: "CONFLICT", Message: "Only an open renewal request can be renewed."}
	}
	l, err := s.db.FindLicense(c.UserContext(), r.LicenseID)
	if err != nil {
		return err
	}
	c.Locals("license", l)
	if _, err := s.changeStatus(c, l.ID, lifecycleRequest{Action: actRenew, Years: r.TermYears, Reason: "renewal request"}, &r); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?tab=history", l.ID), fiber.StatusSeeOther)
}
