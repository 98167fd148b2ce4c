package app

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyward/store"
)

func TestSuspendedClientCannotSignIn(t *testing.T) {
	a := newTestApp(t)
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	client := a.createOrg(store.KindClient, "Contoso", dist.ID)
	other := a.createOrg(store.KindClient, "Fabrikam", dist.ID)
	a.createUser("dora@northwind.test", "Dora", dist, store.RoleMember)
	a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	both := a.createUser("max@contoso.test", "Max", client, store.RoleMember)
	if err := a.db.JoinOrg(t.Context(), both.ID, other.ID, store.RoleMember, nil, store.AuditEntry{Action: "test"}); err != nil {
		t.Fatal(err)
	}
	carla := a.browser()
	carla.signIn("carla@contoso.test", testPassword)

	d := a.browser()
	d.signIn("dora@northwind.test", testPassword)
	d.get(fmt.Sprintf("/orgs/%d", client.ID))
	resp := d.post(fmt.Sprintf("/orgs/%d/suspend", client.ID), url.Values{"reason": {""}})
	d.status(resp, http.StatusBadRequest)
	d.assertContains("Enter the reason of the suspension.")
	d.follow(d.post(fmt.Sprintf("/orgs/%d/suspend", client.ID), url.Values{"reason": {"Unpaid invoices since June"}}))
	d.assertContains("Organization suspended", "Unpaid invoices since June")

	if resp := carla.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the session of a suspended client's user: status %d, want 303 to sign-in", resp.StatusCode)
	}
	b := a.browser()
	b.get("/login")
	resp = b.post("/login", url.Values{"email": {"carla@contoso.test"}, "password": {testPassword}})
	b.status(resp, http.StatusForbidden)
	b.assertContains("Contoso is suspended", "Unpaid invoices since June")

	// A user who also belongs to an active organization signs in and sees the suspension.
	m := a.browser()
	m.signIn("max@contoso.test", testPassword)
	m.get("/")
	m.assertContains("Contoso (client, suspended)")

	d.get(fmt.Sprintf("/orgs/%d", client.ID))
	d.follow(d.post(fmt.Sprintf("/orgs/%d/reactivate", client.ID), url.Values{}))
	a.browser().signIn("carla@contoso.test", testPassword)

	// Only clients are suspended.
	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.get(fmt.Sprintf("/orgs/%d", dist.ID))
	staff.status(staff.post(fmt.Sprintf("/orgs/%d/suspend", dist.ID), url.Values{"reason": {"x"}}), http.StatusNotFound)
}

func TestOrgNeverLosesItsLastOwner(t *testing.T) {
	a := newTestApp(t)
	client := a.createOrg(store.KindClient, "Contoso", 0)
	carla := a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	max := a.createUser("max@contoso.test", "Max", client, store.RoleMember)
	b := a.browser()
	b.signIn("carla@contoso.test", testPassword)
	page := fmt.Sprintf("/orgs/%d", client.ID)
	b.get(page + "?tab=users")
	b.assertContains("Users", "Max", "Remove", "Pending invitations")

	b.status(b.post(fmt.Sprintf("%s/members/%d/role", page, carla.ID), url.Values{"role": {"member"}}), http.StatusBadRequest)
	b.assertContains("Carla is the last owner")
	b.status(b.post(fmt.Sprintf("%s/members/%d/remove", page, carla.ID), url.Values{}), http.StatusBadRequest)
	b.assertContains("Carla is the last owner")
	ms, _ := a.db.Members(t.Context(), client.ID)
	if len(ms) != 2 || ms[0].Role != store.RoleOwner {
		t.Fatalf("members after refused changes: %+v", ms)
	}

	b.follow(b.post(fmt.Sprintf("%s/members/%d/role", page, max.ID), url.Values{"role": {"owner"}}))
	b.assertContains("Role changed.")
	b.follow(b.post(fmt.Sprintf("%s/members/%d/role", page, carla.ID), url.Values{"role": {"member"}}))
	ms, _ = a.db.Members(t.Context(), client.ID)
	for _, m := range ms {
		if want := map[int64]string{carla.ID: store.RoleMember, max.ID: store.RoleOwner}[m.User.ID]; m.Role != want {
			t.Errorf("%s is %s, want %s", m.User.Name, m.Role, want)
		}
	}
	// Carla is a member now: managing members is beyond her role.
	if resp := b.post(fmt.Sprintf("%s/members/%d/remove", page, max.ID), url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member removing an owner: status %d, want 403", resp.StatusCode)
	}
}

func TestDeactivatedUser(t *testing.T) {
	a := newTestApp(t)
	client := a.createOrg(store.KindClient, "Contoso", 0)
	carla := a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	token, err := NewAPIToken(t.Context(), a.db, carla.ID, "script")
	if err != nil {
		t.Fatal(err)
	}
	c := a.browser()
	c.signIn("carla@contoso.test", testPassword)

	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.get("/admin/users?q=carla")
	staff.assertContains("carla@contoso.test", "Deactivate")
	staff.follow(staff.post(fmt.Sprintf("/admin/users/%d/deactivate", carla.ID), url.Values{}))
	staff.assertContains("Account deactivated", "deactivated")

	if resp := c.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("session after deactivation: status %d, want 303", resp.StatusCode)
	}
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/me", token, ""); got != http.StatusUnauthorized {
		t.Errorf("API token after deactivation: status %d, want 401", got)
	}
	b := a.browser()
	b.get("/login")
	b.status(b.post("/login", url.Values{"email": {"carla@contoso.test"}, "password": {testPassword}}), http.StatusForbidden)
	b.assertContains("This account has been deactivated")

	staff.get("/admin/users")
	staff.follow(staff.post(fmt.Sprintf("/admin/users/%d/reactivate", carla.ID), url.Values{}))
	// Deactivation revoked the token for good: reactivating the account does not bring it back.
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/me", token, ""); got != http.StatusUnauthorized {
		t.Errorf("API token after reactivation: status %d, want 401", got)
	}
	back := a.browser()
	back.signIn("carla@contoso.test", testPassword)
	back.get("/profile")
	back.assertContains("No API tokens yet.")
}

// apiCall sends a JSON request with a Bearer token and decodes the answer into out (if not nil).
func apiCall(t *testing.T, a *testApp, method, path, token, body string, out any) int {
	t.Helper()
	req, _ := http.NewRequest(method, a.url+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if out != nil {
		if err := json.Unmarshal(raw, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, raw)
		}
	}
	return resp.StatusCode
}

func apiStatus(t *testing.T, a *testApp, method, path, token, body string) int {
	t.Helper()
	return apiCall(t, a, method, path, token, body, nil)
}

func TestOrganizationsAPI(t *testing.T) {
	a := newTestApp(t)
	admin, _ := a.db.FindUserByEmail(t.Context(), adminEmail)
	staff, _ := NewAPIToken(t.Context(), a.db, admin.ID, "t")
	tokenOf := func(u store.User) string {
		tok, err := NewAPIToken(t.Context(), a.db, u.ID, "t")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}

	var dist map[string]any
	if got := apiCall(t, a, http.MethodPost, "/api/v1/organizations", staff,
		`{"name":"Northwind","kind":"distributor","email":"office@northwind.test","country":"FR"}`, &dist); got != http.StatusCreated {
		t.Fatalf("staff creates a distributor: %d %v", got, dist)
	}
	for _, key := range []string{"id", "name", "kind", "parent_id", "email", "phone", "address", "zip", "city", "country", "tax_id", "notes", "status"} {
		if _, ok := dist[key]; !ok {
			t.Errorf("organization JSON lacks %q: %v", key, dist)
		}
	}
	distID := int64(dist["id"].(float64))
	distOrg, _ := a.db.FindOrg(t.Context(), distID)
	dora := tokenOf(a.createUser("dora@northwind.test", "Dora", distOrg, store.RoleMember))
	foreign := a.createOrg(store.KindDistributor, "Foreign", 0)

	var client map[string]any
	if got := apiCall(t, a, http.MethodPost, "/api/v1/organizations", dora,
		fmt.Sprintf(`{"name":"Contoso","kind":"client","parent_id":%d,"city":"Berlin","tax_id":"DE1"}`, distID), &client); got != http.StatusCreated {
		t.Fatalf("a distributor member creates a client: %d %v", got, client)
	}
	if client["status"] != "active" || client["parent_id"] != float64(distID) || client["city"] != "Berlin" {
		t.Errorf("client %v", client)
	}
	clientID := int64(client["id"].(float64))
	clientOrg, _ := a.db.FindOrg(t.Context(), clientID)
	carla := tokenOf(a.createUser("carla@contoso.test", "Carla", clientOrg, store.RoleOwner))
	max := tokenOf(a.createUser("max@contoso.test", "Max", clientOrg, store.RoleMember))

	for _, tc := range []struct {
		name, token, body string
		status            int
		field             string
	}{
		{"a distributor creates a distributor", dora, `{"name":"X","kind":"distributor"}`, http.StatusForbidden, ""},
		{"under a foreign distributor", dora, fmt.Sprintf(`{"name":"X","kind":"client","parent_id":%d}`, foreign.ID), http.StatusNotFound, "parent_id"},
		{"a client owner creates a client", carla, fmt.Sprintf(`{"name":"X","kind":"client","parent_id":%d}`, clientID), http.StatusForbidden, ""},
		{"a client under a client", dora, fmt.Sprintf(`{"name":"X","kind":"client","parent_id":%d}`, clientID), http.StatusBadRequest, "parent_id"},
		{"no name", dora, fmt.Sprintf(`{"kind":"client","parent_id":%d}`, distID), http.StatusBadRequest, "name"},
		{"bad email", dora, fmt.Sprintf(`{"name":"X","kind":"client","parent_id":%d,"email":"nope"}`, distID), http.StatusBadRequest, "email"},
		{"bad kind", dora, `{"name":"X","kind":"vendor"}`, http.StatusBadRequest, "kind"},
		{"not JSON", dora, `{"name":`, http.StatusBadRequest, ""},
		{"wrong type", dora, `{"name":"X","kind":"client","parent_id":"two"}`, http.StatusBadRequest, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var body struct{ Error *Error }
			if got := apiCall(t, a, http.MethodPost, "/api/v1/organizations", tc.token, tc.body, &body); got != tc.status {
				t.Errorf("status %d, want %d (%+v)", got, tc.status, body.Error)
			}
			if body.Error == nil || body.Error.Message == "" || body.Error.Field != tc.field {
				t.Errorf("error %+v, want a message and field %q", body.Error, tc.field)
			}
		})
	}

	// Lists show what the user may see, paginated.
	var list struct {
		Organizations []map[string]any `json:"organizations"`
		Total         int              `json:"total"`
	}
	apiCall(t, a, http.MethodGet, "/api/v1/organizations", dora, "", &list)
	if len(list.Organizations) != 2 || list.Total != 2 {
		t.Errorf("the distributor sees %d organizations (total %d), want its own and its client", len(list.Organizations), list.Total)
	}
	apiCall(t, a, http.MethodGet, "/api/v1/organizations?per_page=1&page=2", staff, "", &list)
	if len(list.Organizations) != 1 || list.Total != 4 {
		t.Errorf("staff page 2 of 1: %d organizations, total %d; want 1 of 4", len(list.Organizations), list.Total)
	}
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/organizations?per_page=1000", staff, ""); got != http.StatusBadRequest {
		t.Errorf("per_page=1000: %d, want 400", got)
	}
	if got := apiStatus(t, a, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d", foreign.ID), carla, ""); got != http.StatusNotFound {
		t.Errorf("a foreign organization: %d, want 404", got)
	}
	var one map[string]any
	if got := apiCall(t, a, http.MethodGet, fmt.Sprintf("/api/v1/organizations/%d", clientID), max, "", &one); got != http.StatusOK || one["name"] != "Contoso" {
		t.Errorf("own organization: %d %v", got, one)
	}

	// Invitations: members invite members; owners choose.
	inv := fmt.Sprintf("/api/v1/organizations/%d/invitations", clientID)
	if got := apiStatus(t, a, http.MethodPost, inv, max, `{"email":"new@contoso.test","role":"owner"}`); got != http.StatusForbidden {
		t.Errorf("a member invites an owner: %d, want 403", got)
	}
	var res map[string]any
	if got := apiCall(t, a, http.MethodPost, inv, max, `{"email":"new@contoso.test","role":"member"}`, &res); got != http.StatusCreated || res["status"] != "pending" {
		t.Errorf("a member invites a member: %d %v", got, res)
	}
	if got := apiCall(t, a, http.MethodPost, inv, carla, `{"email":"dora@northwind.test","role":"owner"}`, &res); got != http.StatusCreated || res["status"] != "joined" {
		t.Errorf("an owner invites an existing account as owner: %d %v", got, res)
	}
	var bad struct{ Error *Error }
	if got := apiCall(t, a, http.MethodPost, inv, carla, `{"email":"not an email","role":"member"}`, &bad); got != http.StatusBadRequest || bad.Error.Field != "email" {
		t.Errorf("bad email: %d %+v", got, bad.Error)
	}
	if got := apiStatus(t, a, http.MethodPost, fmt.Sprintf("/api/v1/organizations/%d/invitations", foreign.ID), carla, `{"email":"x@y.test"}`); got != http.StatusNotFound {
		t.Errorf("inviting into a foreign organization: %d, want 404", got)
	}
}

func TestOrganizationList(t *testing.T) {
	a := newTestApp(t)
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	a.createOrg(store.KindClient, "Contoso Hotels", dist.ID)
	fabrikam := a.createOrg(store.KindClient, "Fabrikam 100% Clinics", dist.ID)
	a.createOrg(store.KindClient, "Foreign client", a.createOrg(store.KindDistributor, "Southwind", 0).ID)
	a.createUser("dora@northwind.test", "Dora", dist, store.RoleMember)
	a.createUser("fiona@fabrikam.test", "Fiona", fabrikam, store.RoleOwner)

	d := a.browser()
	d.signIn("dora@northwind.test", testPassword)
	d.get("/orgs")
	d.assertContains("Northwind", "Contoso Hotels", "Fabrikam 100% Clinics", "New client")
	if strings.Contains(d.body, "Southwind") || strings.Contains(d.body, "Foreign client") {
		t.Error("a distributor lists another distributor's organizations")
	}
	d.get("/orgs?q=100%25")
	d.assertContains("Fabrikam 100% Clinics")
	if strings.Contains(d.body, "Contoso") {
		t.Error("searching for 100% matched Contoso: the % is not taken literally")
	}
	d.get("/orgs?q=nothing-like-this")
	d.assertContains("No organization matches")
	d.get("/orgs?per_page=1&page=2")
	d.assertContains("Page 2 of 3", "← Previous", "Next →")

	f := a.browser()
	f.signIn("fiona@fabrikam.test", testPassword)
	f.get("/orgs")
	f.assertContains("Fabrikam 100% Clinics")
	if strings.Contains(f.body, "Contoso") || strings.Contains(f.body, "Northwind</a>") || strings.Contains(f.body, "New client") {
		t.Errorf("a client lists more than its own organization:\n%s", f.body)
	}
}
