package app

import (
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// accessFixture is the world of the access matrix: the vendor, a distributor with a client
// (the users' own), and a foreign distributor with its client.
type accessFixture struct {
	a                    *testApp
	vendor, dist, client store.Org
	otherDist, other     store.Org
	users                map[string]store.User // role → user
	tokens               map[string]string     // role → API token
	n                    int                   // counter for fresh emails
	licenses             []scopeTarget         // made on first use, one per organization
	requests             []scopeTarget
	invoices             []scopeTarget
}

// matrixRoles are the roles of DESIGN §1's table, with how each stands to each fixture org
// (written here by hand, not asked from the policy under test).
var matrixRoles = []string{"staff", "distributor owner", "distributor member", "client owner", "client member"}

func (f *accessFixture) relation(role string, org store.Org) (relation, bool) {
	switch role {
	case "staff":
		return relStaff, org.ID == f.vendor.ID
	case "distributor owner", "distributor member":
		rel := relDistributorOwner
		if role == "distributor member" {
			rel = relDistributorMember
		}
		switch org.ID {
		case f.dist.ID:
			return rel, true
		case f.client.ID:
			return rel, false
		}
	case "client owner", "client member":
		if org.ID == f.client.ID {
			if role == "client owner" {
				return relClientOwner, true
			}
			return relClientMember, true
		}
	}
	return relNone, false
}

func newAccessFixture(t *testing.T) *accessFixture {
	a := newTestApp(t)
	f := &accessFixture{a: a, users: map[string]store.User{}, tokens: map[string]string{}}
	var err error
	if f.vendor, err = a.db.FindVendor(t.Context()); err != nil {
		t.Fatal(err)
	}
	f.dist = a.createOrg(store.KindDistributor, "Own distributor", 0)
	f.client = a.createOrg(store.KindClient, "Own client", f.dist.ID)
	f.otherDist = a.createOrg(store.KindDistributor, "Foreign distributor", 0)
	f.other = a.createOrg(store.KindClient, "Foreign client", f.otherDist.ID)
	a.createUser("owner@foreign-dist.test", "Foreign distributor owner", f.otherDist, store.RoleOwner)
	a.createUser("owner@foreign-client.test", "Foreign client owner", f.other, store.RoleOwner)
	for role, place := range map[string]struct {
		org  store.Org
		role string
	}{
		"staff":              {f.vendor, store.RoleMember},
		"distributor owner":  {f.dist, store.RoleOwner},
		"distributor member": {f.dist, store.RoleMember},
		"client owner":       {f.client, store.RoleOwner},
		"client member":      {f.client, store.RoleMember},
	} {
		u := a.createUser(strings.ReplaceAll(role, " ", ".")+"@matrix.test", role, place.org, place.role)
		f.users[role] = u
		if f.tokens[role], err = NewAPIToken(t.Context(), a.db, u.ID, "matrix"); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// fresh makes a new user in org, so that a request that removes or deactivates one
// leaves the fixture whole for the next.
func (f *accessFixture) freshUser(org store.Org) store.User {
	f.n++
	return f.a.createUser(fmt.Sprintf("victim%d@matrix.test", f.n), "Victim", org, store.RoleMember)
}

// paramFillers fill the route parameters other than the scope's, per request, with fresh
// objects of the fixture org. A parameter without a filler fails the test.
func (f *accessFixture) fill(t *testing.T, path, param, role string, org store.Org) string {
	t.Helper()
	ctx, db := t.Context(), f.a.db
	switch param {
	case "uid":
		return fmt.Sprint(f.freshUser(org).ID)
	case "inv":
		f.n++
		inv := store.Invitation{OrgID: org.ID, Email: fmt.Sprintf("invitee%d@matrix.test", f.n), Role: store.RoleMember}
		if err := db.CreateInvitation(ctx, &inv, digest(randomToken()), invitationTTL, nil, store.AuditEntry{Action: "invitation.sent"}); err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(inv.ID)
	case "pid": // a fresh payment on the invoice the path names
		var id int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(strings.TrimPrefix(path, "/api/v1"), "/invoices/"), "%d/", &id); err != nil {
			t.Fatalf("%s: no invoice id before :pid", path)
		}
		inv, err := f.a.srv.recordPayment(ctx, id, paymentInput{Amount: "10.00", Method: "matrix"}, store.Actor{})
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(inv.Payments[len(inv.Payments)-1].ID)
	case "n": // a PDF version of an invoice: every issued one has its first, generated at issue
		return "1"
	case "device": // a fresh active device of the license the path names
		var lic int64
		if _, err := fmt.Sscanf(strings.TrimPrefix(path, "/licenses/"), "%d/", &lic); err != nil {
			t.Fatalf("%s: no license id before :device", path)
		}
		f.n++
		d, _, err := db.ActivateDevice(ctx, lic, store.Activation{Fingerprint: fmt.Sprintf("matrix-%d", f.n)},
			func(store.ActivationCheck) error { return nil }, addYears)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(d.ID)
	case "id": // a product: the vendor's, outside any organization scope
		if strings.Contains(path, "/products/") {
			f.licenseTargets() // the product
			p, err := db.FindProductByCode(ctx, "matrix")
			if err != nil {
				t.Fatal(err)
			}
			return fmt.Sprint(p.ID)
		}
	case "tid":
		if role == "" {
			return "1"
		}
		if _, err := NewAPIToken(ctx, db, f.users[role].ID, "to revoke"); err != nil {
			t.Fatal(err)
		}
		ts, err := db.APITokens(ctx, f.users[role].ID)
		if err != nil {
			t.Fatal(err)
		}
		return fmt.Sprint(ts[0].ID)
	case "token":
		token := randomToken()
		switch {
		case strings.HasPrefix(path, "/invitations/"):
			f.n++
			inv := store.Invitation{OrgID: f.client.ID, Email: fmt.Sprintf("new%d@matrix.test", f.n), Role: store.RoleMember}
			if err := db.CreateInvitation(ctx, &inv, digest(token), invitationTTL, nil, store.AuditEntry{Action: "invitation.sent"}); err != nil {
				t.Fatal(err)
			}
		case strings.HasPrefix(path, "/reset-password/"), strings.HasPrefix(path, "/email-change/"):
			purpose := store.PurposePasswordReset
			if strings.HasPrefix(path, "/email-change/") {
				purpose = store.PurposeEmailChange
			}
			f.n++
			et := store.EmailToken{UserID: f.freshUser(f.client).ID, Purpose: purpose, NewEmail: fmt.Sprintf("changed%d@matrix.test", f.n)}
			if err := db.CreateEmailToken(ctx, &et, digest(token), time.Hour, nil, store.AuditEntry{}); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("%s: the access matrix test does not know which token :token is; add it to fill", path)
		}
		return token
	}
	t.Fatalf("%s: the access matrix test cannot fill the parameter :%s; add it to fill", path, param)
	return ""
}

// scopeTarget is one object a scope's route parameter can name, and the organization it belongs to.
type scopeTarget struct {
	org   store.Org
	value string // what goes into the route parameter
	// fresh, when set, makes a new object of org for each request (routes that delete it).
	fresh func() string
}

// scopeFixtures maps each scope kind (the part of a scope name before the colon) to the fixture
// objects that fill it, one per organization it may belong to. A scope kind missing here fails
// the test: a new kind of object (license:id, …) brings its fixtures.
var scopeFixtures = map[string]func(f *accessFixture) []scopeTarget{
	"org": func(f *accessFixture) []scopeTarget {
		return orgTargets(f.vendor, f.dist, f.client, f.otherDist, f.other)
	},
	// Organizations that are not clients: the scope itself answers 404 on a client.
	"parent": func(f *accessFixture) []scopeTarget { return orgTargets(f.vendor, f.dist, f.otherDist) },
	// Client organizations only: the scope answers 404 on the others.
	"client":          func(f *accessFixture) []scopeTarget { return orgTargets(f.client, f.other) },
	"license":         (*accessFixture).licenseTargets,
	"license_request": (*accessFixture).requestTargets,
	"invoice":         (*accessFixture).invoiceTargets,
	"webhook":         (*accessFixture).webhookTargets,
}

// homeScopes are the scopes without a route parameter whose organization is the user's own (the
// webhooks of "their" distributor): the matrix judges each role on its own organization.
var homeScopes = map[string]bool{"webhook_org": true}

// home is a role's own organization.
func (f *accessFixture) home(role string) store.Org {
	switch role {
	case "staff":
		return f.vendor
	case "distributor owner", "distributor member":
		return f.dist
	}
	return f.client
}

// webhookTargets are an endpoint of the vendor and of each distributor, a new one for each request
// (DELETE removes it).
func (f *accessFixture) webhookTargets() []scopeTarget {
	var ts []scopeTarget
	for _, org := range []store.Org{f.vendor, f.dist, f.otherDist} {
		ts = append(ts, scopeTarget{org: org, fresh: func() string {
			e := store.WebhookEndpoint{OrgID: org.ID, URL: "https://hooks.example/" + org.Name, Events: []string{"license.created"},
				SecretEnc: f.a.srv.seal("webhook-secret", []byte("whsec_matrix"), []byte("webhook-secret")), SecretHint: "trix"}
			if err := f.a.db.CreateWebhookEndpoint(f.a.t.Context(), &e, 1000, store.AuditEntry{Action: "webhook.created"}); err != nil {
				f.a.t.Fatal(err)
			}
			return fmt.Sprint(e.ID)
		}})
	}
	return ts
}

// invoiceTargets are an issued invoice of each client (drafts, which clients must not see at all,
// have their own test).
func (f *accessFixture) invoiceTargets() []scopeTarget {
	if f.invoices == nil {
		ctx := f.a.t.Context()
		for _, org := range []store.Org{f.client, f.other} {
			inv, err := f.a.srv.createDraft(ctx, org, draftInput{Lines: []lineInput{{Description: "Matrix", Quantity: "1", UnitPrice: "100.00"}}}, store.Actor{})
			if err != nil {
				f.a.t.Fatal(err)
			}
			if _, err := f.a.srv.issueInvoice(ctx, inv.ID, store.Actor{}); err != nil {
				f.a.t.Fatal(err)
			}
			f.invoices = append(f.invoices, scopeTarget{org: org, value: fmt.Sprint(inv.ID)})
		}
	}
	return f.invoices
}

// licenseTargets are a license of each client, and one not provisioned yet of each distributor
// (which it belongs to), made on first use through the API.
func (f *accessFixture) licenseTargets() []scopeTarget {
	if f.licenses == nil {
		staff := "Bearer " + f.tokens["staff"]
		if status, out := f.a.call(staff, http.MethodPost, "/api/v1/products", map[string]any{"code": "matrix", "name": "Matrix",
			"features": []map[string]any{{"code": "core", "name": "Core"}}}); status != http.StatusCreated {
			f.a.t.Fatalf("product: %d %v", status, out)
		}
		for _, org := range []store.Org{f.client, f.other, f.dist, f.otherDist} {
			body := map[string]any{"product": "matrix", "features": []string{"core"}, "prepaid_cores": 2,
				"prepaid_core_price": "10.00", "extra_core_price": "15.00", "currency": "EUR", "term_years": 1, "payment_period": "annual"}
			if org.Kind == store.KindClient {
				body["organization_id"] = org.ID
			} else {
				body["distributor_id"] = org.ID
			}
			status, out := f.a.call(staff, http.MethodPost, "/api/v1/licenses", body)
			if status != http.StatusCreated {
				f.a.t.Fatalf("license for %s: %d %v", org.Name, status, out)
			}
			f.licenses = append(f.licenses, scopeTarget{org: org, value: fmt.Sprint(out["id"])})
		}
	}
	return f.licenses
}

// requestTargets are an open license request of each client.
func (f *accessFixture) requestTargets() []scopeTarget {
	if f.requests == nil {
		f.licenseTargets() // the product
		product, err := f.a.db.FindProductByCode(f.a.t.Context(), "matrix")
		if err != nil {
			f.a.t.Fatal(err)
		}
		for _, org := range []store.Org{f.client, f.other} {
			r := store.LicenseRequest{ClientID: org.ID, DistributorID: org.ParentID, Kind: "new", ProductID: product.ID,
				TermYears: 1, PaymentPeriod: "annual"}
			if err := f.a.db.CreateLicenseRequest(f.a.t.Context(), &r, store.Actor{}, nil); err != nil {
				f.a.t.Fatal(err)
			}
			f.requests = append(f.requests, scopeTarget{org: org, value: fmt.Sprint(r.ID)})
		}
	}
	return f.requests
}

func orgTargets(orgs ...store.Org) []scopeTarget {
	ts := make([]scopeTarget, len(orgs))
	for i, o := range orgs {
		ts[i] = scopeTarget{org: o, value: fmt.Sprint(o.ID)}
	}
	return ts
}

// request sends one request to path as role (or anonymously when role is ""), with a fresh
// session and a valid CSRF token (portal) or the role's API token (API), and an empty body.
func (f *accessFixture) request(t *testing.T, method, path, role string) int {
	t.Helper()
	var body *strings.Reader
	form := url.Values{}
	jar, _ := cookiejar.New(nil)
	client := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	api := strings.HasPrefix(path, "/api/")
	if role != "" && !api {
		raw := randomToken()
		sess := store.Session{IDHash: digest(raw), UserID: f.users[role].ID}
		if err := f.a.db.CreateSession(t.Context(), &sess); err != nil {
			t.Fatal(err)
		}
		u, _ := url.Parse(f.a.url)
		jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: raw}})
		form.Set("_csrf", f.a.srv.sign("csrf", "session:"+raw))
	} else if !api { // a visitor's pre-session CSRF token, so that only the missing sign-in differs
		pre := randomToken()
		u, _ := url.Parse(f.a.url)
		jar.SetCookies(u, []*http.Cookie{{Name: preCookie, Value: pre}})
		form.Set("_csrf", f.a.srv.sign("csrf", "pre:"+pre))
	}
	if api {
		body = strings.NewReader("{}")
	} else {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, f.a.url+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if api {
		req.Header.Set("Content-Type", "application/json")
		if role != "" {
			req.Header.Set("Authorization", "Bearer "+f.tokens[role])
		}
	} else {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// notOwnedByThePolicy are routes registered outside s.route on purpose: static files and the
// health check, which need neither a session nor the database's answer on rights.
var notOwnedByThePolicy = map[string]bool{"GET /assets/*": true, "HEAD /assets/*": true, "GET /healthz": true, "HEAD /healthz": true}

// TestAccessMatrix walks every registered route for every role of DESIGN §1 and for each
// fixture organization (their own, their clients, foreign ones), and checks the answer against
// the policy table: 404 where the org does not exist for them, 403 where their role does not
// allow the action, anything else where it does.
func TestAccessMatrix(t *testing.T) {
	f := newAccessFixture(t)
	s := f.a.srv

	// Every route fiber serves is in the policy's table.
	inTable := map[string]bool{}
	for _, r := range s.routeTable {
		inTable[r.Method+" "+r.Path] = true
	}
	for _, r := range s.fiber.GetRoutes(true) {
		key := r.Method + " " + r.Path
		if r.Method == http.MethodHead && inTable["GET "+r.Path] {
			continue
		}
		if !inTable[key] && !notOwnedByThePolicy[key] {
			t.Errorf("%s is registered without s.route: it skips the access policy", key)
		}
	}

	checked := 0
	for _, r := range s.routeTable {
		t.Run(r.Method+" "+r.Path, func(t *testing.T) {
			action := r.Guard.Action
			params := routeParams(r.Path)
			scopeParam, targets := "", []scopeTarget{{}}
			home := homeScopes[r.Guard.Scope.Name]
			if name := r.Guard.Scope.Name; name != "" && !home {
				kind, param, _ := strings.Cut(name, ":")
				fixtures, ok := scopeFixtures[kind]
				if !ok {
					t.Fatalf("scope %q has no fixture in the access matrix test: add its kind to scopeFixtures", name)
				}
				scopeParam, targets = param, fixtures(f)
			} else if action != ActionPublic && action != ActionSignedIn && !home {
				if action != ActionAdminister {
					t.Fatalf("action %s without a scope: the guard would judge it on the vendor org", action)
				}
				targets = []scopeTarget{{org: f.vendor}}
			}
			for _, target := range targets {
				for _, role := range append([]string{""}, matrixRoles...) {
					org := target.org
					if home {
						org = f.home(role)
					}
					path := r.Path
					for _, p := range params {
						value := ""
						if p == scopeParam && target.fresh != nil {
							value = target.fresh()
						} else if p == scopeParam {
							value = target.value
						} else {
							value = f.fill(t, path, p, role, org)
						}
						path = strings.Replace(path, ":"+p, value, 1)
					}
					got := f.request(t, r.Method, path, role)
					checked++
					who := role
					if who == "" {
						who = "anonymous"
					}
					where := ""
					if org.ID != 0 {
						where = " on " + org.Name
					}
					switch {
					case action == ActionPublic:
						if got == http.StatusForbidden || got >= 500 {
							t.Errorf("%s %s as %s: %d on a public route", r.Method, path, who, got)
						}
					case role == "":
						want := http.StatusSeeOther
						if strings.HasPrefix(path, "/api/") {
							want = http.StatusUnauthorized
						}
						if got != want {
							t.Errorf("%s %s anonymously: %d, want %d", r.Method, path, got, want)
						}
					case action == ActionSignedIn:
						if got == 401 || got == 403 || got == 404 || got >= 500 {
							t.Errorf("%s %s as %s: %d, want allowed (any signed-in user)", r.Method, path, who, got)
						}
					default:
						rel, own := f.relation(role, org)
						switch {
						case rel == relNone && got != http.StatusNotFound:
							t.Errorf("%s %s as %s%s: %d, want 404 (not theirs: %s)", r.Method, path, who, where, got, action)
						case rel != relNone && !allowed(rel, own, action) && got != http.StatusForbidden:
							t.Errorf("%s %s as %s%s: %d, want 403 (role does not allow %s)", r.Method, path, who, where, got, action)
						case rel != relNone && allowed(rel, own, action) && (got == 401 || got == 403 || got == 404 || got >= 500):
							t.Errorf("%s %s as %s%s: %d, want allowed (%s)", r.Method, path, who, where, got, action)
						}
					}
				}
			}
		})
	}
	t.Logf("%d routes, %d requests", len(s.routeTable), checked)
}

// routeParams lists the :params of a route path in order.
func routeParams(path string) []string {
	var ps []string
	for _, seg := range strings.Split(path, "/") {
		if name, ok := strings.CutPrefix(seg, ":"); ok {
			ps = append(ps, name)
		}
	}
	return ps
}
