package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// clientsWorld is licenseWorld with more clients of Northwind, made on different days, in
// different countries, with licenses, balances and an overdue invoice, for the filters and sorts.
type clientsWorld struct {
	*licenseWorld
	alpha, bravo, charlie store.Org // Northwind's, besides Contoso Hotels
}

func newClientsWorld(t *testing.T) *clientsWorld {
	w := &clientsWorld{licenseWorld: newLicenseWorld(t)}
	ctx := t.Context()
	mk := func(name, country string) store.Org {
		w.a.clock.Advance(24 * time.Hour)
		o := store.Org{Kind: store.KindClient, ParentID: w.dist.ID, Name: name, Country: country}
		if err := w.a.db.CreateOrg(ctx, &o); err != nil {
			t.Fatal(err)
		}
		return o
	}
	w.alpha = mk("Alpha Clinics", "DE")   // created 2026-11-03
	w.bravo = mk("Bravo Bank", "FR")      // 2026-11-04
	w.charlie = mk("Charlie Cafés", "de") // 2026-11-05
	// Licenses: two for Bravo (one started), one for Contoso Hotels.
	w.newLicense(map[string]any{"organization_id": w.bravo.ID})
	w.newLicense(map[string]any{"organization_id": w.bravo.ID, "start_date": "2026-11-01"})
	w.newLicense(nil)
	// Balances: Alpha owes 500.00 EUR after an issued invoice, Charlie 20.00 EUR after a debit.
	inv, err := w.a.srv.createDraft(ctx, w.alpha, draftInput{Lines: []lineInput{{Description: "Setup", Quantity: "1", UnitPrice: "500.00"}}}, store.Actor{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.srv.issueInvoice(ctx, inv.ID, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.a.srv.addJournalEntry(ctx, w.charlie, journalInput{Kind: "debit", Amount: "20.00", Currency: "EUR",
		Description: "Cables"}, store.Actor{}); err != nil {
		t.Fatal(err)
	}
	if err := w.a.db.SetOrgStatus(ctx, w.charlie.ID, "suspended", "unpaid", store.AuditEntry{Action: "org.suspended"}); err != nil {
		t.Fatal(err)
	}
	// 31 days later Alpha's invoice (30 days' terms) is overdue.
	w.a.clock.Advance(31 * 24 * time.Hour)
	return w
}

// names lists the organization names of a list answer, in order.
func names(out map[string]any) string {
	var ns []string
	for _, o := range out["organizations"].([]any) {
		ns = append(ns, o.(map[string]any)["name"].(string))
	}
	return strings.Join(ns, ", ")
}

func TestClientsAPIFiltersAndSorts(t *testing.T) {
	w := newClientsWorld(t)
	all := "kind=client&"
	tests := []struct {
		name, query, token, want string
	}{
		{"distributor sees its own and its clients, distributors first", "", w.distToken, "Northwind, Alpha Clinics, Bravo Bank, Charlie Cafés, Contoso Hotels"},
		{"kind", "kind=client", w.distToken, "Alpha Clinics, Bravo Bank, Charlie Cafés, Contoso Hotels"},
		{"status suspended", all + "status=suspended", w.distToken, "Charlie Cafés"},
		{"status active", all + "status=active", w.distToken, "Alpha Clinics, Bravo Bank, Contoso Hotels"},
		{"country, any case", all + "country=de", w.distToken, "Alpha Clinics, Charlie Cafés"},
		{"created from (inclusive)", all + "created_from=2026-11-04", w.distToken, "Bravo Bank, Charlie Cafés"},
		{"created to (inclusive)", all + "created_to=2026-11-04", w.distToken, "Alpha Clinics, Bravo Bank, Contoso Hotels"},
		{"created within", all + "created_from=2026-11-03&created_to=2026-11-03", w.distToken, "Alpha Clinics"},
		{"staff by distributor", fmt.Sprintf("parent_id=%d", w.otherDist.ID), w.admin, "Fabrikam"},
		{"license status in use", all + "license_status=in_use", w.distToken, "Bravo Bank"},
		{"license status pending start", all + "license_status=pending_start", w.distToken, "Bravo Bank, Contoso Hotels"},
		{"license status nobody has", all + "license_status=access_denied", w.distToken, ""},
		{"overdue", all + "overdue=true", w.distToken, "Alpha Clinics"},
		{"nothing overdue", all + "overdue=false", w.distToken, "Bravo Bank, Charlie Cafés, Contoso Hotels"},
		{"text search", "q=bank", w.distToken, "Bravo Bank"},
		{"sort by company", all + "sort=name", w.distToken, "Alpha Clinics, Bravo Bank, Charlie Cafés, Contoso Hotels"},
		{"sort by company, descending", all + "sort=-name", w.distToken, "Contoso Hotels, Charlie Cafés, Bravo Bank, Alpha Clinics"},
		{"sort by created", all + "sort=-created_at", w.distToken, "Charlie Cafés, Bravo Bank, Alpha Clinics, Contoso Hotels"},
		{"sort by country", all + "sort=country&status=active", w.distToken, "Contoso Hotels, Alpha Clinics, Bravo Bank"},
		{"sort by balance", all + "sort=-balance", w.distToken, "Alpha Clinics, Charlie Cafés, Bravo Bank, Contoso Hotels"},
		{"sort by licenses", all + "sort=-licenses", w.distToken, "Bravo Bank, Contoso Hotels, Charlie Cafés, Alpha Clinics"},
		{"filters together", all + "country=DE&status=active&overdue=true&sort=name", w.distToken, "Alpha Clinics"},
		{"a client owner sees its own", "", w.clientOwnerTok, "Contoso Hotels"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := w.mustAPI(tt.token, http.MethodGet, "/api/v1/organizations?"+tt.query, http.StatusOK, nil)
			if got := names(out); got != tt.want {
				t.Errorf("?%s: %q, want %q", tt.query, got, tt.want)
			}
		})
	}

	// Each organization carries its creation, its license count and its balances per currency.
	out := w.mustAPI(w.distToken, http.MethodGet, "/api/v1/organizations?q=alpha", http.StatusOK, nil)
	alpha := out["organizations"].([]any)[0].(map[string]any)
	if alpha["licenses"] != 0.0 || alpha["overdue"] != true || !strings.HasPrefix(alpha["created_at"].(string), "2026-11-03") {
		t.Errorf("alpha: %v", alpha)
	}
	if b := alpha["balances"].(map[string]any); b["EUR"] != "500.00" {
		t.Errorf("alpha's balances %v, want EUR 500.00", b)
	}
	one := w.mustAPI(w.distToken, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d", w.bravo.ID), http.StatusOK, nil)
	if one["licenses"] != 2.0 {
		t.Errorf("bravo: %v licenses, want 2", one["licenses"])
	}

	// An unknown value, sort or parameter is a 400 naming the parameter: never silently ignored.
	for _, tt := range []struct{ query, field string }{
		{"kind=vendor", "kind"}, {"status=paused", "status"}, {"country=Germany", "country"},
		{"created_from=2026-13-01", "created_from"}, {"created_to=yesterday", "created_to"},
		{"created_from=2026-11-05&created_to=2026-11-01", "created_to"},
		{fmt.Sprintf("parent_id=%d", w.otherDist.ID), "parent_id"}, {"parent_id=abc", "parent_id"},
		{fmt.Sprintf("parent_id=%d", w.client.ID), "parent_id"},
		{"license_status=active", "license_status"}, {"overdue=yes", "overdue"},
		{"sort=city", "sort"}, {"sort=-", "sort"}, {"sort=--name", "sort"}, {"stauts=active", "stauts"}, {"page=0", "page"},
	} {
		status, out := w.api(w.distToken, http.MethodGet, "/api/v1/organizations?"+tt.query, nil)
		if _, field := errorOf(out); status != http.StatusBadRequest || field != tt.field {
			t.Errorf("?%s: %d %v, want 400 naming %s", tt.query, status, out, tt.field)
		}
	}
}

func TestClientsPage(t *testing.T) {
	w := newClientsWorld(t)
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.status(b.get("/orgs?kind=client&sort=-balance"), http.StatusOK)
	b.assertContains("Alpha Clinics", "500.00 EUR", "Invoices overdue", `<th scope="col">Company</th>`)
	if strings.Contains(b.body, "Distributor</th>") {
		t.Error("a distributor sees a distributor column")
	}
	if i, j := strings.Index(b.body, "Alpha Clinics"), strings.Index(b.body, "Contoso Hotels"); i < 0 || j < i {
		t.Error("the balance sort does not put Alpha first")
	}
	// A bad filter says so beside the filters, and shows no list rather than everything.
	b.status(b.get("/orgs?status=paused"), http.StatusBadRequest)
	b.assertContains("status is active or suspended.")
	if strings.Contains(b.body, "Alpha Clinics</a>") {
		t.Error("a refused filter still lists organizations")
	}
	// The view chosen is remembered for the user, across pages and sessions.
	resp := b.post("/preferences/clients-view", url.Values{"view": {"cards"}, "return": {"/orgs?country=DE"}})
	if got := resp.Header.Get("Location"); got != "/orgs?country=DE" {
		t.Errorf("after choosing cards: redirected to %q", got)
	}
	again := w.a.browser()
	again.signIn(w.distOwner, adminPassword)
	again.get("/orgs")
	again.assertContains(`class="client-cards"`, `value="cards" class="button button-secondary button-small" aria-pressed="true"`)
	b.get("/orgs")
	b.status(b.post("/preferences/clients-view", url.Values{"view": {"grid"}}), http.StatusBadRequest)
	b.get("/orgs")
	if resp := b.post("/preferences/clients-view", url.Values{"view": {"list"}, "return": {"https://evil.example/"}}); resp.Header.Get("Location") != "/orgs" {
		t.Errorf("return to another site: %q", resp.Header.Get("Location"))
	}

	// Staff see the distributor of each client.
	s := w.a.browser()
	s.signIn(adminEmail, adminPassword)
	s.get("/orgs?kind=client")
	s.assertContains("Distributor</th>", `data-label="Distributor">Northwind</td>`, `data-label="Distributor">Southwind</td>`)
}

func TestClientTabs(t *testing.T) {
	w := newClientsWorld(t)
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	page := fmt.Sprintf("/orgs/%d", w.bravo.ID)
	b.get(page)
	b.assertContains("Company details", fmt.Sprintf("<dt>Id</dt><dd>%d</dd>", w.bravo.ID), "<dt>Created</dt><dd>4 Nov 2026</dd>",
		"In use 1", "Pending start 1")
	b.get(page + "?tab=licenses")
	b.assertContains(fmt.Sprintf(`href="/licenses/new?organization_id=%d">New license`, w.bravo.ID), "LOC-1")
	b.get(fmt.Sprintf("/orgs/%d?tab=invoices", w.alpha.ID))
	b.assertContains("INV-2026-0001", "500.00 EUR", "Overdue")
	b.get(fmt.Sprintf("/orgs/%d?tab=journal", w.charlie.ID))
	b.assertContains("Cables", "20.00 EUR")
	b.get(page + "?tab=users")
	b.assertContains("Add an existing user", "Invite someone")
	b.get(page + "?tab=activity")
	b.status(b.get(page+"?tab=secrets"), http.StatusNotFound)

	// Activity reads as sentences.
	b.get(page)
	b.post(fmt.Sprintf("/orgs/%d/suspend", w.bravo.ID), url.Values{"reason": {"Audit"}})
	b.get(page + "?tab=activity")
	b.assertContains("dora@dist.test suspended the organization Bravo Bank")

	// A client member sees the tabs of its own organization, without the activity.
	m := w.a.browser()
	m.signIn(w.clientMember, adminPassword)
	m.get(fmt.Sprintf("/orgs/%d", w.client.ID))
	if strings.Contains(m.body, "tab=activity") || strings.Contains(m.body, "New license") {
		t.Error("a client member sees the activity tab or New license")
	}
	m.status(m.get(fmt.Sprintf("/orgs/%d?tab=activity", w.client.ID)), http.StatusNotFound)
}

func TestAssociateExistingUser(t *testing.T) {
	w := newClientsWorld(t)
	ctx := context.Background()
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	path := fmt.Sprintf("/orgs/%d/members", w.alpha.ID)

	// Max of Contoso Hotels, a client of Northwind, is someone Dora may see: added at once.
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.alpha.ID))
	b.follow(b.post(path, url.Values{"email": {"MAX@client.test"}, "role": {"owner"}}))
	b.assertContains("Added: they belong to this organization now")
	max, _ := w.a.db.FindUserByEmail(ctx, w.clientMember)
	if m, err := w.a.db.FindMember(ctx, w.alpha.ID, max.ID); err != nil || m.Role != store.RoleOwner {
		t.Fatalf("max in alpha: %+v %v", m, err)
	}
	// Olga of Fabrikam (Southwind's) exists, but not for Dora: the answer is the one of an
	// email without an account, and nothing changes.
	for _, email := range []string{w.otherOwner, "nobody@nowhere.test"} {
		b.status(b.post(path, url.Values{"email": {email}, "role": {"member"}}), http.StatusBadRequest)
		b.assertContains("None of the people you can see has this email.", `id="associate_email-error"`)
	}
	olga, _ := w.a.db.FindUserByEmail(ctx, w.otherOwner)
	if _, err := w.a.db.FindMember(ctx, w.alpha.ID, olga.ID); err == nil {
		t.Error("a user of a foreign distributor's client was added")
	}
	b.status(b.post(path, url.Values{"email": {w.clientMember}, "role": {"member"}}), http.StatusBadRequest)
	b.assertContains("already belongs to Alpha Clinics")
	b.status(b.post(path, url.Values{"email": {w.clientOwner}, "role": {"boss"}}), http.StatusBadRequest)
	b.assertContains("Choose the role")
}

func TestSuspendAndReactivateThroughTheAPI(t *testing.T) {
	w := newLicenseWorld(t)
	path := fmt.Sprintf("/api/v1/organizations/%d/", w.client.ID)
	status, out := w.api(w.distToken, http.MethodPost, path+"suspend", map[string]any{})
	if _, field := errorOf(out); status != http.StatusBadRequest || field != "reason" {
		t.Errorf("suspend without a reason: %d %v", status, out)
	}
	out = w.mustAPI(w.distToken, http.MethodPost, path+"suspend", http.StatusOK, map[string]any{"reason": "Unpaid invoices"})
	if out["status"] != "suspended" || out["suspend_reason"] != "Unpaid invoices" {
		t.Errorf("after suspending: %v", out)
	}
	w.mustAPI(w.clientOwnerTok, http.MethodPost, path+"reactivate", http.StatusForbidden, nil)
	w.mustAPI(w.otherTok, http.MethodPost, path+"reactivate", http.StatusNotFound, nil)
	if out = w.mustAPI(w.distToken, http.MethodPost, path+"reactivate", http.StatusOK, nil); out["status"] != "active" {
		t.Errorf("after reactivating: %v", out)
	}
	w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/suspend", w.dist.ID), http.StatusNotFound, map[string]any{"reason": "x"})
	es, _, _ := w.a.db.ListAudit(t.Context(), store.AuditFilter{OrgID: w.client.ID, Action: "org.", Limit: 10})
	if len(es) != 2 || es[1].Action != "org.suspended" || es[1].Details != "Unpaid invoices" {
		t.Errorf("audit: %+v", es)
	}
}

// FuzzClientsQuery: the filters and sorts of the organizations list (GET /api/v1/organizations
// and the clients page), as a distributor sends them: never a 5xx, and nothing written.
func FuzzClientsQuery(f *testing.F) {
	fz := newFormFuzz(f)
	w := fz.w
	for _, seed := range []string{
		"kind=client&status=active&country=DE&created_from=2026-01-01&created_to=2026-12-31&license_status=in_use&overdue=false&sort=-balance",
		fmt.Sprintf("parent_id=%d&sort=licenses&q=hotel", w.dist.ID), fmt.Sprintf("parent_id=%d", w.otherDist.ID),
		"sort=-", "sort=--name", "country=%00%FF", "created_from=2026-02-30", "overdue=TRUE", "page=999999&per_page=200",
		"q=" + strings.Repeat("%", 300), "kind=client&kind=distributor", "x=1", "", "&&==",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	fz.report(f)
	f.Fuzz(func(t *testing.T, query string, page bool) {
		if strings.ContainsAny(query, "# \t\r\n") {
			return // not a query string a client sends as it is
		}
		if page {
			fz.send(t, fz.dist.client, http.MethodGet, "/orgs?"+query, "", "", "") // the signed-in distributor's cookie
			return
		}
		fz.send(t, http.DefaultClient, http.MethodGet, "/api/v1/organizations?"+query, "application/json", "Bearer "+w.distToken, "")
	})
}
