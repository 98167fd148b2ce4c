package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/store"
)

func (s *Server) routeOrgs() {
	s.route(fiber.MethodGet, "/orgs", guard{Action: ActionSignedIn}, s.orgList)
	s.route(fiber.MethodGet, "/distributors/new", guard{Action: ActionAdminister}, s.newDistributorForm)
	s.route(fiber.MethodPost, "/distributors", guard{Action: ActionAdminister}, s.createDistributor)
	s.route(fiber.MethodGet, "/orgs/:id", guard{Action: ActionView, Scope: s.orgParam("id")}, s.orgPage)
	s.route(fiber.MethodGet, "/orgs/:id/clients/new", guard{Action: ActionManageClients, Scope: s.parentParam("id")}, s.newClientForm)
	s.route(fiber.MethodPost, "/orgs/:id/clients", guard{Action: ActionManageClients, Scope: s.parentParam("id")}, s.createClient)
	// A client's details are its distributor's to edit; a distributor's (or the vendor's) are its owners'.
	s.route(fiber.MethodGet, "/orgs/:id/edit", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.editOrgForm)
	s.route(fiber.MethodPost, "/orgs/:id", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.updateOrg)
	s.route(fiber.MethodGet, "/orgs/:id/settings", guard{Action: ActionManageMembers, Scope: s.parentParam("id")}, s.editOrgForm)
	s.route(fiber.MethodPost, "/orgs/:id/settings", guard{Action: ActionManageMembers, Scope: s.parentParam("id")}, s.updateOrg)
	s.route(fiber.MethodPost, "/orgs/:id/suspend", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.suspendOrg)
	s.route(fiber.MethodPost, "/orgs/:id/reactivate", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.reactivateOrg)
	s.route(fiber.MethodPost, "/orgs/:id/members/:uid/role", guard{Action: ActionManageMembers, Scope: s.orgParam("id")}, s.changeRole)
	s.route(fiber.MethodPost, "/orgs/:id/members/:uid/remove", guard{Action: ActionManageMembers, Scope: s.orgParam("id")}, s.removeMember)
	s.route(fiber.MethodPost, "/orgs/:id/members/:uid/impersonate", guard{Action: ActionImpersonate, Scope: s.orgParam("id")}, s.startImpersonation)
	s.route(fiber.MethodPost, "/switch-org", guard{Action: ActionSignedIn}, s.switchOrg)
	s.routeClients()

	s.route(fiber.MethodGet, "/api/v1/organizations", guard{Action: ActionSignedIn}, s.apiOrgList)
	s.route(fiber.MethodPost, "/api/v1/organizations", guard{Action: ActionSignedIn}, s.apiCreateOrg)
	s.route(fiber.MethodGet, "/api/v1/organizations/:id", guard{Action: ActionView, Scope: s.orgParam("id")}, s.apiOrg)
	s.route(fiber.MethodPost, "/api/v1/organizations/:id/suspend", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.apiSuspendOrg)
	s.route(fiber.MethodPost, "/api/v1/organizations/:id/reactivate", guard{Action: ActionManageClients, Scope: s.clientParam("id")}, s.apiReactivateOrg)
}

// orgInput is the company details of an organization, from a form or a JSON body.
type orgInput struct {
	Name     string `json:"name" form:"name"`
	Kind     string `json:"kind" form:"kind"`
	ParentID int64  `json:"parent_id" form:"parent_id"`
	Email    string `json:"email" form:"email"`
	Phone    string `json:"phone" form:"phone"`
	Address  string `json:"address" form:"address"`
	Zip      string `json:"zip" form:"zip"`
	City     string `json:"city" form:"city"`
	Country  string `json:"country" form:"country"`
	TaxID    string `json:"tax_id" form:"tax_id"`
	Notes    string `json:"notes" form:"notes"`
	Status   string `json:"status" form:"status"`
}

// apply checks the details and copies them into o, naming the first field at fault.
func (in orgInput) apply(o *store.Org) error {
	fields := []struct {
		dst             *string
		value, name, lb string
		required        bool
		max             int
	}{
		{&o.Name, in.Name, "name", "name", true, 200},
		{&o.Phone, in.Phone, "phone", "phone number", false, 50},
		{&o.Address, in.Address, "address", "address", false, 300},
		{&o.Zip, in.Zip, "zip", "postal code", false, 20},
		{&o.City, in.City, "city", "city", false, 100},
		{&o.Country, in.Country, "country", "country", false, 100},
		{&o.TaxID, in.TaxID, "tax_id", "tax ID", false, 50},
		{&o.Notes, in.Notes, "notes", "notes", false, 5000},
	}
	for _, f := range fields {
		v, err := text(f.value, f.name, f.lb, f.required, f.max)
		if err != nil {
			return err
		}
		*f.dst = v
	}
	o.Email = ""
	if in.Email != "" {
		email, err := emailField(in.Email, "email")
		if err != nil {
			return err
		}
		o.Email = email
	}
	if in.Status != "" && in.Status != o.Status && !(o.ID == 0 && in.Status == "active") {
		return badInput("status", "The status changes by suspending or reactivating the organization, with a reason.")
	}
	return nil
}

func orgDetails(o store.Org) orgInput {
	return orgInput{Name: o.Name, Kind: o.Kind, ParentID: o.ParentID, Email: o.Email, Phone: o.Phone, Address: o.Address,
		Zip: o.Zip, City: o.City, Country: o.Country, TaxID: o.TaxID, Notes: o.Notes}
}

// visibleOrgs is the filter of the organizations the user may see: all for staff, else their
// own organizations and their distributors' clients.
func (s *Server) visibleOrgs(c *fiber.Ctx) (store.OrgFilter, error) {
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return store.OrgFilter{}, err
	}
	f := store.OrgFilter{All: newAccess(ms).staff}
	for _, m := range ms {
		f.IDs = append(f.IDs, m.Org.ID)
		if m.Org.Kind == store.KindDistributor {
			f.ParentIDs = append(f.ParentIDs, m.Org.ID)
		}
	}
	return f, nil
}

// newDistributorForm shows the form of a new distributor.
// GET /distributors/new
func (s *Server) newDistributorForm(c *fiber.Ctx) error {
	return s.render(c, "org-form", fiber.Map{"Title": "New distributor", "Action": "/distributors", "Form": orgInput{}})
}

// createDistributor creates a distributor under the vendor.
// POST /distributors
func (s *Server) createDistributor(c *fiber.Ctx) error {
	return s.createOrgForm(c, store.KindDistributor, guardedOrg(c), "New distributor", "/distributors")
}

// newClientForm shows the form of a new client under the organization.
// GET /orgs/:id/clients/new
func (s *Server) newClientForm(c *fiber.Ctx) error {
	parent := guardedOrg(c)
	return s.render(c, "org-form", fiber.Map{"Title": "New client of " + parent.Name,
		"Action": fmt.Sprintf("/orgs/%d/clients", parent.ID), "Form": orgInput{}})
}

// createClient creates a client organization under a distributor (or the vendor).
// POST /orgs/:id/clients
func (s *Server) createClient(c *fiber.Ctx) error {
	parent := guardedOrg(c)
	return s.createOrgForm(c, store.KindClient, parent, "New client of "+parent.Name, fmt.Sprintf("/orgs/%d/clients", parent.ID))
}

func (s *Server) createOrgForm(c *fiber.Ctx, kind string, parent store.Org, title, action string) error {
	var in orgInput
	if err := parseBody(c, &in); err != nil {
		return err
	}
	org := store.Org{Kind: kind, ParentID: parent.ID}
	data := fiber.Map{"Title": title, "Action": action, "Form": in}
	if err := in.apply(&org); err != nil {
		return s.formError(c, "org-form", data, err)
	}
	if err := s.db.SaveOrg(c.UserContext(), &org, s.auditEntry(c, kind+".created")); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?notice=org-saved", org.ID), http.StatusSeeOther)
}

// editOrgForm shows the company details form of an organization.
// GET /orgs/:id/edit (clients), GET /orgs/:id/settings (distributors and the vendor)
func (s *Server) editOrgForm(c *fiber.Ctx) error {
	org := guardedOrg(c)
	return s.render(c, "org-form", fiber.Map{"Title": "Edit " + org.Name, "Action": detailsPath(org),
		"Form": orgDetails(org), "Org": org})
}

// detailsPath is where an organization's details form posts.
func detailsPath(org store.Org) string {
	if org.Kind == store.KindClient {
		return fmt.Sprintf("/orgs/%d", org.ID)
	}
	return fmt.Sprintf("/orgs/%d/settings", org.ID)
}

// updateOrg saves an organization's company details.
// POST /orgs/:id (clients), POST /orgs/:id/settings (distributors and the vendor)
func (s *Server) updateOrg(c *fiber.Ctx) error {
	org := guardedOrg(c)
	var in orgInput
	if err := parseBody(c, &in); err != nil {
		return err
	}
	data := fiber.Map{"Title": "Edit " + org.Name, "Action": detailsPath(org), "Form": in, "Org": org}
	if err := in.apply(&org); err != nil {
		return s.formError(c, "org-form", data, err)
	}
	if err := s.db.SaveOrg(c.UserContext(), &org, s.auditEntry(c, "org.updated")); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?notice=org-saved", org.ID), http.StatusSeeOther)
}

// suspendOrg suspends a client with a reason its users are shown when they try to sign in.
// POST /orgs/:id/suspend
func (s *Server) suspendOrg(c *fiber.Ctx) error {
	org := guardedOrg(c)
	if err := s.setOrgStatus(c, org, true, c.FormValue("reason")); err != nil {
		return s.renderOrgError(c, org, err, fiber.Map{})
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?notice=org-suspended", org.ID), http.StatusSeeOther)
}

// reactivateOrg lets a suspended client's users sign in again.
// POST /orgs/:id/reactivate
func (s *Server) reactivateOrg(c *fiber.Ctx) error {
	org := guardedOrg(c)
	if err := s.setOrgStatus(c, org, false, ""); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?notice=org-reactivated", org.ID), http.StatusSeeOther)
}

// setOrgStatus suspends a client (a reason is required) or reactivates it, audited: what the
// portal's buttons and the API do alike.
func (s *Server) setOrgStatus(c *fiber.Ctx, org store.Org, suspend bool, reason string) error {
	action, status := "org.reactivated", "active"
	if suspend {
		r, err := text(reason, "reason", "reason of the suspension", true, 500)
		if err != nil {
			return err
		}
		action, status, reason = "org.suspended", "suspended", r
	} else {
		reason = ""
	}
	audit := s.auditEntry(c, action)
	audit.Target, audit.Details = org.Name, reason
	return s.db.SetOrgStatus(c.UserContext(), org.ID, status, reason, audit)
}

// apiSuspendOrg suspends a client as the portal's button does: {"reason"}.
// POST /api/v1/organizations/:id/suspend
func (s *Server) apiSuspendOrg(c *fiber.Ctx) error {
	vals, err := jsonScalars(c.Body(), "reason")
	if err != nil {
		return err
	}
	if err := s.setOrgStatus(c, guardedOrg(c), true, vals["reason"]); err != nil {
		return err
	}
	return s.apiOrg(c)
}

// apiReactivateOrg reactivates a suspended client.
// POST /api/v1/organizations/:id/reactivate
func (s *Server) apiReactivateOrg(c *fiber.Ctx) error {
	if err := s.setOrgStatus(c, guardedOrg(c), false, ""); err != nil {
		return err
	}
	return s.apiOrg(c)
}

// renderOrgError shows the organization page again with a form's error next to its field.
func (s *Server) renderOrgError(c *fiber.Ctx, org store.Org, err error, data fiber.Map) error {
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.renderOrg(c, org, data)
}

// changeRole makes a member an owner or an owner a member; the last owner stays.
// POST /orgs/:id/members/:uid/role
func (s *Server) changeRole(c *fiber.Ctx) error {
	org := guardedOrg(c)
	uid, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	role := c.FormValue("role")
	if role != store.RoleOwner && role != store.RoleMember {
		return s.renderOrgError(c, org, badInput("member", "Choose the role: owner or member."), fiber.Map{"Tab": "users"})
	}
	user, err := s.db.FindUser(c.UserContext(), uid)
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "member.role_changed")
	audit.Target, audit.Details = user.Email, role
	err = s.db.SetRole(c.UserContext(), org.ID, uid, role, audit)
	if errors.Is(err, store.ErrLastOwner) {
		return s.renderOrgError(c, org, badInput("member", "%s is the last owner: make someone else an owner first.", user.Name), fiber.Map{"Tab": "users"})
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=role-changed", org.ID), http.StatusSeeOther)
}

// removeMember takes a user out of the organization; the last owner stays.
// POST /orgs/:id/members/:uid/remove
func (s *Server) removeMember(c *fiber.Ctx) error {
	org := guardedOrg(c)
	uid, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	user, err := s.db.FindUser(c.UserContext(), uid)
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "member.removed")
	audit.Target = user.Email
	err = s.db.RemoveMember(c.UserContext(), org.ID, uid, audit)
	if errors.Is(err, store.ErrLastOwner) {
		return s.renderOrgError(c, org, badInput("member", "%s is the last owner: make someone else an owner first.", user.Name), fiber.Map{"Tab": "users"})
	}
	if err != nil {
		return err
	}
	if uid == currentUser(c).ID {
		return c.Redirect("/", http.StatusSeeOther)
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=member-removed", org.ID), http.StatusSeeOther)
}

// switchOrg remembers the organization chosen in the top bar and opens it.
// POST /switch-org
func (s *Server) switchOrg(c *fiber.Ctx) error {
	u := currentUser(c)
	id, _ := strconv.ParseInt(c.FormValue("org"), 10, 64)
	ms, err := s.db.Memberships(c.UserContext(), u.ID)
	if err != nil {
		return err
	}
	for _, m := range ms {
		if m.Org.ID == id {
			if err := s.db.SetLastOrg(c.UserContext(), u.ID, id); err != nil {
				return err
			}
			return c.Redirect(fmt.Sprintf("/orgs/%d", id), http.StatusSeeOther)
		}
	}
	return badInput("org", "Choose one of your organizations.")
}

// auditEntry starts an audit entry of the current user's action.
func (s *Server) auditEntry(c *fiber.Ctx, action string) store.AuditEntry {
	e := store.AuditEntry{Action: action, IP: clientIP(c)}
	if u := currentUser(c); u != nil {
		e.ActorUserID, e.ActorEmail = u.ID, u.Email
	}
	return e
}

// apiOrg is an organization as the management API shows it (DESIGN §6).
type apiOrg struct {
	ID            int64     `json:"id"`
	Name          string    `json:"name"`
	Kind          string    `json:"kind"`
	ParentID      *int64    `json:"parent_id"`
	Email         string    `json:"email"`
	Phone         string    `json:"phone"`
	Address       string    `json:"address"`
	Zip           string    `json:"zip"`
	City          string    `json:"city"`
	Country       string    `json:"country"`
	TaxID         string    `json:"tax_id"`
	Notes         string    `json:"notes"`
	Status        string    `json:"status"`
	SuspendReason string    `json:"suspend_reason,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	UpdatedAt     time.Time `json:"updated_at"`
	// Licenses is how many licenses it holds; Balances what it owes per currency, as its journal
	// (DESIGN §8); Overdue whether an issued invoice is unpaid after its due date.
	Licenses int                                `json:"licenses"`
	Balances map[billing.Currency]billing.Money `json:"balances"`
	Overdue  bool                               `json:"overdue"`
}

// toAPIOrg is an organization in JSON, with its figures.
func toAPIOrg(o store.Org, st store.OrgStats) apiOrg {
	a := apiOrg{ID: o.ID, Name: o.Name, Kind: o.Kind, Email: o.Email, Phone: o.Phone, Address: o.Address, Zip: o.Zip,
		City: o.City, Country: o.Country, TaxID: o.TaxID, Notes: o.Notes, Status: o.Status, SuspendReason: o.SuspendReason,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt, Licenses: st.Licenses, Overdue: st.Overdue,
		Balances: map[billing.Currency]billing.Money{}}
	for _, b := range st.Balances {
		a.Balances[billing.Currency(b.Currency)] = billing.Money{Minor: b.Minor, Currency: billing.Currency(b.Currency)}
	}
	if o.ParentID != 0 {
		a.ParentID = &o.ParentID
	}
	return a
}

// apiOrgList lists the organizations the token's user may see, with the filters and sorts of
// DESIGN §8; an unknown parameter or value is a 400 naming the parameter.
// GET /api/v1/organizations
func (s *Server) apiOrgList(c *fiber.Ctx) error {
	f, err := s.clientsFilter(c)
	if err != nil {
		return err
	}
	p, err := newPager(c, 50, 200)
	if err != nil {
		return err
	}
	f.Limit, f.Offset = p.PerPage, p.Offset()
	orgs, stats, total, err := s.db.ListOrgs(c.UserContext(), f)
	if err != nil {
		return err
	}
	p = p.done(c, total)
	out := make([]apiOrg, 0, len(orgs))
	for i, o := range orgs {
		out = append(out, toAPIOrg(o, stats[i]))
	}
	return c.JSON(fiber.Map{"organizations": out, "page": p.Page, "per_page": p.PerPage, "total": p.Total})
}

// apiOrg answers one organization.
// GET /api/v1/organizations/:id
func (s *Server) apiOrg(c *fiber.Ctx) error {
	org := guardedOrg(c)
	orgs, stats, _, err := s.db.ListOrgs(c.UserContext(), store.OrgFilter{IDs: []int64{org.ID}, Limit: 1})
	if err != nil {
		return err
	}
	if len(orgs) == 0 {
		return errNotFound
	}
	return c.JSON(toAPIOrg(orgs[0], stats[0]))
}

// apiCreateOrg creates a distributor (staff) or a client under parent_id, with the portal's rights:
// the parent comes from the body, so the policy is asked here.
// POST /api/v1/organizations
func (s *Server) apiCreateOrg(c *fiber.Ctx) error {
	var in orgInput
	if err := parseBody(c, &in); err != nil {
		return err
	}
	ctx := c.UserContext()
	var parent store.Org
	var err error
	action := ActionManageClients
	switch in.Kind {
	case store.KindDistributor:
		action = ActionAdminister
		parent, err = s.db.FindVendor(ctx)
		if err == nil && in.ParentID != 0 && in.ParentID != parent.ID {
			return badInput("parent_id", "Distributors are under the vendor: leave parent_id out.")
		}
	case store.KindClient:
		if in.ParentID <= 0 {
			return badInput("parent_id", "Name the distributor of the client in parent_id.")
		}
		parent, err = s.db.FindOrg(ctx, in.ParentID)
		if errors.Is(err, store.ErrNotFound) {
			return unknownParent(in.ParentID)
		}
	default:
		return badInput("kind", "kind is distributor or client.")
	}
	if err != nil {
		return err
	}
	if err := s.authorize(c, action, parent); err != nil {
		if in.Kind == store.KindDistributor {
			return &Error{Status: http.StatusForbidden, Code: "FORBIDDEN", Message: "Only staff create distributors."}
		}
		if err == errNotFound {
			return unknownParent(in.ParentID)
		}
		return err
	}
	if parent.Kind == store.KindClient {
		return badInput("parent_id", "A client is under a distributor (or the vendor), not under another client.")
	}
	org := store.Org{Kind: in.Kind, ParentID: parent.ID}
	if err := in.apply(&org); err != nil {
		return err
	}
	if err := s.db.SaveOrg(ctx, &org, s.auditEntry(c, in.Kind+".created")); err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(toAPIOrg(org, store.OrgStats{}))
}

// unknownParent answers a parent_id that does not exist for the user, as a 404 naming the field.
func unknownParent(id int64) error {
	return &Error{Status: http.StatusNotFound, Code: "NOT_FOUND", Field: "parent_id",
		Message: fmt.Sprintf("No organization with the id %d exists for you.", id)}
}
