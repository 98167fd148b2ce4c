package app

// The clients area of DESIGN §8: the clients dashboard (filters, sorts, card or list view), a
// client's page in tabs, and its users tab (roles, removal, invitations, associating an existing
// user). Impersonation is in impersonate.go, the home dashboards in dashboard.go.

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/store"
)

func (s *Server) routeClients() {
	s.route(fiber.MethodPost, "/preferences/clients-view", guard{Action: ActionSignedIn}, s.setClientsView)
	s.route(fiber.MethodPost, "/orgs/:id/members", guard{Action: ActionManageMembers, Scope: s.orgParam("id")}, s.associateMember)
}

// clientsParams are the query parameters of the clients dashboard and of GET /api/v1/organizations;
// any other is refused, so that a misspelt filter never silently shows everything.
var clientsParams = map[string]bool{"kind": true, "status": true, "country": true, "created_from": true, "created_to": true,
	"parent_id": true, "license_status": true, "overdue": true, "q": true, "sort": true, "page": true, "per_page": true}

var countryCode = regexp.MustCompile(`^[A-Za-z]{2}$`)

// clientsFilter reads the filters and sort of DESIGN §8 from the query into the user's visible
// organizations; each bad value is bad input naming its parameter. extra are parameters a page
// takes besides them (its notice).
func (s *Server) clientsFilter(c *fiber.Ctx, extra ...string) (store.OrgFilter, error) {
	f, err := s.visibleOrgs(c)
	if err != nil {
		return f, err
	}
	var bad error
	c.Request().URI().QueryArgs().VisitAll(func(k, _ []byte) {
		if name := string(k); bad == nil && !clientsParams[name] && !contains(extra, name) {
			bad = badInput(name, "%s is not a filter of the organizations: use kind, status, country, created_from, created_to, "+
				"parent_id, license_status, overdue, q, sort, page or per_page.", name)
		}
	})
	if bad != nil {
		return f, bad
	}
	f.Query = c.Query("q")
	if len(f.Query) > 200 {
		return f, badInput("q", "A search has at most 200 characters.")
	}
	switch f.Kind = c.Query("kind"); f.Kind {
	case "", store.KindDistributor, store.KindClient:
	default:
		return f, badInput("kind", "kind is distributor or client.")
	}
	switch f.Status = c.Query("status"); f.Status {
	case "", "active", "suspended":
	default:
		return f, badInput("status", "status is active or suspended.")
	}
	if f.Country = strings.ToUpper(c.Query("country")); f.Country != "" && !countryCode.MatchString(f.Country) {
		return f, badInput("country", "country is a two-letter country code, such as DE.")
	}
	for _, p := range []struct {
		name string
		dst  *string
	}{{"created_from", &f.CreatedFrom}, {"created_to", &f.CreatedTo}} {
		if v := c.Query(p.name); v != "" {
			d, err := billing.ParseDate(v)
			if err != nil {
				return f, badInput(p.name, "%s is a day written YYYY-MM-DD, such as 2026-10-01.", p.name)
			}
			*p.dst = d.String()
		}
	}
	if f.CreatedFrom != "" && f.CreatedTo != "" && f.CreatedTo < f.CreatedFrom {
		return f, badInput("created_to", "created_to is on or after created_from.")
	}
	if v := c.Query("parent_id"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return f, badInput("parent_id", "parent_id is the id of a distributor.")
		}
		parent, err := s.db.FindOrg(c.UserContext(), id)
		if err == nil {
			err = s.authorize(c, ActionView, parent)
		}
		if err == nil && parent.Kind == store.KindClient {
			err = errNotFound
		}
		if errors.Is(err, store.ErrNotFound) || err == errNotFound || err == errForbidden {
			return f, badInput("parent_id", "No distributor with the id %d exists for you.", id)
		} else if err != nil {
			return f, err
		}
		f.ParentID = id
	}
	if f.LicenseStatus = c.Query("license_status"); f.LicenseStatus != "" && !contains(licenseStatuses, f.LicenseStatus) {
		return f, badInput("license_status", "license_status is one of %s.", strings.Join(licenseStatuses, ", "))
	}
	switch v := c.Query("overdue"); v {
	case "":
	case "true", "false":
		b := v == "true"
		f.Overdue = &b
	default:
		return f, badInput("overdue", "overdue is true or false.")
	}
	if v := c.Query("sort"); v != "" {
		f.Sort, f.Desc = strings.CutPrefix(v, "-")
		if _, ok := store.OrgSorts[f.Sort]; !ok {
			return f, badInput("sort", "sort is one of name, created_at, country, balance, licenses, each optionally after - for descending.")
		}
	}
	return f, nil
}

// clientRow is an organization of the clients dashboard with its figures in words.
type clientRow struct {
	store.Org
	store.OrgStats
	BalanceText string // per currency, "1,200.00 EUR · 30.00 USD", or "—"
	Owes        bool
}

func clientRows(orgs []store.Org, stats []store.OrgStats) []clientRow {
	rows := make([]clientRow, len(orgs))
	for i, o := range orgs {
		rows[i] = clientRow{Org: o, OrgStats: stats[i], BalanceText: "—"}
		var parts []string
		for _, b := range stats[i].Balances {
			parts = append(parts, amountText(billing.Money{Minor: b.Minor, Currency: billing.Currency(b.Currency)}))
			rows[i].Owes = rows[i].Owes || b.Minor > 0
		}
		if len(parts) > 0 {
			rows[i].BalanceText = strings.Join(parts, " · ")
		}
	}
	return rows
}

// clientsSort is a sort the dashboard's select offers.
type clientsSort struct{ Value, Label string }

var clientsSorts = []clientsSort{{"", "Kind, then name"}, {"name", "Company A–Z"}, {"-name", "Company Z–A"},
	{"country", "Country"}, {"-created_at", "Newest first"}, {"created_at", "Oldest first"},
	{"-balance", "Highest balance"}, {"balance", "Lowest balance"}, {"-licenses", "Most licenses"}, {"licenses", "Fewest licenses"}}

// orgList is the clients dashboard: the organizations the user may see, filtered, sorted and
// paginated, as cards or as a table (the user's choice, remembered).
// GET /orgs
func (s *Server) orgList(c *fiber.Ctx) error {
	ctx := c.UserContext()
	ms, err := s.db.Memberships(ctx, currentUser(c).ID)
	if err != nil {
		return err
	}
	// Where the user may create clients: under their distributors, and under the vendor for staff.
	var parents []store.Org
	for _, m := range ms {
		if m.Org.Kind != store.KindClient {
			parents = append(parents, m.Org)
		}
	}
	data := fiber.Map{"Title": "Organizations", "Parents": parents, "Sorts": clientsSorts, "LicenseStatuses": licenseStatuses,
		"View": currentUser(c).ClientsView, "Q": queryValues(c), "Return": c.OriginalURL()}
	f, err := s.clientsFilter(c, "notice")
	if err == nil {
		var p pager
		if p, err = newPager(c, 24, 200); err == nil {
			f.Limit, f.Offset = p.PerPage, p.Offset()
			var orgs []store.Org
			var stats []store.OrgStats
			var total int
			if orgs, stats, total, err = s.db.ListOrgs(ctx, f); err != nil {
				return err
			}
			data["Orgs"], data["Pager"] = clientRows(orgs, stats), p.done(c, total)
		}
	}
	if err != nil {
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		data["Pager"] = pager{}
	}
	vis, err := s.visibleOrgs(c)
	if err != nil {
		return err
	}
	if data["Countries"], err = s.db.Countries(ctx, vis); err != nil {
		return err
	}
	if newAccess(ms).staff {
		vis.Kind = store.KindDistributor
		if data["Distributors"], _, _, err = s.db.ListOrgs(ctx, vis); err != nil {
			return err
		}
	}
	data["Filtered"] = len(c.Request().URI().QueryArgs().QueryString()) > 0
	return s.render(c, "orgs", data)
}

// queryValues is the query of the request, one value a parameter, for a page's filter form.
func queryValues(c *fiber.Ctx) map[string]string {
	out := map[string]string{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { out[string(k)] = string(v) })
	return out
}

// setClientsView remembers whether the user sees the clients dashboard as cards or as a list,
// and returns to it.
// POST /preferences/clients-view
func (s *Server) setClientsView(c *fiber.Ctx) error {
	view := c.FormValue("view")
	if view != "list" && view != "cards" {
		return badInput("view", "Choose list or cards.")
	}
	if err := s.db.SetClientsView(c.UserContext(), currentUser(c).ID, view); err != nil {
		return err
	}
	back := localPath(c.FormValue("return"))
	if !strings.HasPrefix(back, "/orgs") {
		back = "/orgs"
	}
	return c.Redirect(back, http.StatusSeeOther)
}

// orgTabs are the tabs of an organization's page: a client's, and those of a distributor or the vendor.
var (
	clientTabs = []string{"overview", "licenses", "invoices", "journal", "users", "activity"}
	parentTabs = []string{"overview", "users", "activity"}
)

// orgPage shows an organization in tabs (DESIGN §8): ?tab= one of its tabs, overview by default.
// GET /orgs/:id
func (s *Server) orgPage(c *fiber.Ctx) error {
	return s.renderOrg(c, guardedOrg(c), fiber.Map{})
}

// renderOrg renders a tab of the organization page; data may hold a form's values and errors.
func (s *Server) renderOrg(c *fiber.Ctx, org store.Org, data fiber.Map) error {
	ctx := c.UserContext()
	a, err := s.accessOf(c)
	if err != nil {
		return err
	}
	can := map[string]bool{}
	for _, act := range []Action{ActionInvite, ActionManageClients, ActionManageMembers, ActionInvoicingSettings,
		ActionManageLicenses, ActionManageInvoices, ActionImpersonate} {
		can[string(act)] = a.authorize(act, org) == nil
	}
	tabs := parentTabs
	if org.Kind == store.KindClient {
		tabs = clientTabs
	}
	if !can[string(ActionManageMembers)] {
		tabs = tabs[:len(tabs)-1] // the activity is the audit log of the organization
	}
	tab := c.Query("tab", "overview")
	if t, ok := data["Tab"].(string); ok {
		tab = t
	}
	if !contains(tabs, tab) {
		return errNotFound
	}
	data["Title"], data["Org"], data["Can"], data["Tabs"], data["Tab"] = org.Name, org, can, tabs, tab
	if org.ParentID != 0 {
		if parent, err := s.db.FindOrg(ctx, org.ParentID); err == nil && a.authorize(ActionView, parent) == nil {
			data["Parent"] = parent
		}
	}
	orgs, stats, _, err := s.db.ListOrgs(ctx, store.OrgFilter{IDs: []int64{org.ID}, Limit: 1})
	if err != nil {
		return err
	}
	for i, o := range orgs {
		if o.ID == org.ID {
			data["Stats"] = clientRows(orgs[i:i+1], stats[i:i+1])[0]
		}
	}
	switch tab {
	case "overview":
		err = s.orgOverview(c, org, data)
	case "licenses":
		var ls []store.License
		ls, data["LicenseTotal"], err = s.db.Licenses(ctx, store.LicenseFilter{All: true, OrgID: org.ID, Sort: "end", Limit: 100})
		data["Licenses"] = ls
	case "invoices":
		f := store.InvoiceFilter{All: true, OrgID: org.ID, Limit: 50}
		if !can[string(ActionManageInvoices)] {
			f = store.InvoiceFilter{ClientIDs: []int64{org.ID}, OrgID: org.ID, Limit: 50}
		}
		var invs []store.Invoice
		if invs, data["InvoiceTotal"], err = s.db.Invoices(ctx, f); err == nil {
			views := make([]invoiceView, len(invs))
			for i, inv := range invs {
				views[i] = s.invoiceViewOf(inv)
			}
			data["Invoices"] = views
		}
	case "journal":
		var j clientJournal
		if j, err = s.clientJournal(ctx, org); err == nil {
			data["Sections"], data["Client"] = journalSections(j), org
		}
	case "users":
		err = s.orgUsers(c, org, data)
	case "activity":
		var es []store.AuditEntry
		es, data["ActivityTotal"], err = s.db.ListAudit(ctx, store.AuditFilter{OrgID: org.ID, Limit: 50})
		data["Activity"] = auditSentences(es)
	}
	if err != nil {
		return err
	}
	return s.render(c, "org", data)
}

// orgOverview fills the overview tab: details, balance, overdue since, counts, and a
// distributor's clients.
func (s *Server) orgOverview(c *fiber.Ctx, org store.Org, data fiber.Map) error {
	ctx := c.UserContext()
	members, err := s.db.Members(ctx, org.ID)
	if err != nil {
		return err
	}
	data["MemberCount"] = len(members)
	if org.Kind == store.KindClient {
		j, err := s.clientJournal(ctx, org)
		if err != nil {
			return err
		}
		data["Sections"] = journalSections(j)
		ls, _, err := s.db.Licenses(ctx, store.LicenseFilter{All: true, OrgID: org.ID})
		if err != nil {
			return err
		}
		data["ByStatus"] = statusCounts(ls)
		return nil
	}
	orgs, stats, total, err := s.db.ListOrgs(ctx, store.OrgFilter{ParentIDs: []int64{org.ID}, Kind: store.KindClient, Sort: "name", Limit: 50})
	if err != nil {
		return err
	}
	data["Clients"], data["ClientCount"] = clientRows(orgs, stats), total
	return nil
}

// statusCount is a number of licenses in one status, as a page shows it: "In use 12".
type statusCount struct {
	Status, Label string
	Count         int
}

// statusCounts counts licenses by status, in the lifecycle's order, leaving out empty statuses.
func statusCounts(ls []store.License) []statusCount {
	n := map[string]int{}
	for _, l := range ls {
		n[l.Status]++
	}
	return countsOf(n)
}

func countsOf(n map[string]int) []statusCount {
	var out []statusCount
	for _, st := range licenseStatuses {
		if n[st] > 0 {
			out = append(out, statusCount{Status: st, Label: sentenceCase(statusLabel(st)), Count: n[st]})
		}
	}
	return out
}

// orgUsers fills the users tab: members, pending invitations, and the forms of the user's rights.
func (s *Server) orgUsers(c *fiber.Ctx, org store.Org, data fiber.Map) error {
	ctx := c.UserContext()
	a, err := s.accessOf(c)
	if err != nil {
		return err
	}
	members, err := s.db.Members(ctx, org.ID)
	if err != nil {
		return err
	}
	data["Members"], data["MayChooseRole"] = members, a.mayChooseRole(org)
	if can, _ := data["Can"].(map[string]bool); can[string(ActionInvite)] {
		if data["Invitations"], err = s.db.PendingInvitations(ctx, org.ID); err != nil {
			return err
		}
	}
	if data["Invite"] == nil {
		data["Invite"] = invitationInput{Role: store.RoleMember}
	}
	if data["Associate"] == nil {
		data["Associate"] = invitationInput{Role: store.RoleMember}
	}
	if data["Now"] == nil {
		data["Now"] = s.clock.Now()
	}
	// Who the user may act as: the policy allows the action on this organization; the rule of
	// app/impersonation decides per member, and the button shows only where it would be allowed.
	may := map[int64]bool{}
	data["MayImpersonate"] = may
	if can, _ := data["Can"].(map[string]bool); can[string(ActionImpersonate)] && impersonatorOf(c) == nil {
		actorPerson, err := s.personOf(c, *currentUser(c))
		if err != nil {
			return err
		}
		for _, m := range members {
			p, err := s.personOf(c, m.User)
			if err != nil {
				return err
			}
			may[m.User.ID] = mayImpersonate(actorPerson, p)
		}
	}
	return nil
}

// associateMember adds an existing user, found by email among those the acting user may see,
// to the organization with a role. Anyone else reads as unknown, whether an account exists or not.
// POST /orgs/:id/members
func (s *Server) associateMember(c *fiber.Ctx) error {
	org := guardedOrg(c)
	ctx := c.UserContext()
	in := invitationInput{Email: c.FormValue("email"), Role: c.FormValue("role")}
	data := fiber.Map{"Tab": "users", "Associate": in}
	fail := func(err error) error {
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		if errs, ok := data["Errors"].(map[string]string); ok {
			// The users tab has two email fields: the error belongs beside this form's.
			for _, k := range []string{"email", "role"} {
				if m, ok := errs[k]; ok {
					delete(errs, k)
					errs["associate_"+k] = m
				}
			}
		}
		return s.renderOrg(c, org, data)
	}
	email, err := emailField(in.Email, "email")
	if err != nil {
		return fail(err)
	}
	if in.Role != store.RoleOwner && in.Role != store.RoleMember {
		return fail(badInput("role", "Choose the role: owner or member."))
	}
	vis, err := s.visibleOrgs(c)
	if err != nil {
		return err
	}
	user, err := s.db.FindVisibleUser(ctx, vis, email)
	if errors.Is(err, store.ErrNotFound) {
		return fail(badInput("email", "None of the people you can see has this email. Invite them instead: the invitation reaches them whether they have an account or not."))
	}
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "member.associated")
	audit.Target, audit.Details = user.Email, in.Role
	err = s.db.JoinOrg(ctx, user.ID, org.ID, in.Role, nil, audit)
	if errors.Is(err, store.ErrConflict) {
		return fail(badInput("email", "%s already belongs to %s.", user.Name, org.Name))
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=member-associated", org.ID), http.StatusSeeOther)
}
