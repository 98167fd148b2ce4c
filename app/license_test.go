package app

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"keyward/store"
)

// licenseWorld is a vendor with a distributor and its client, and a foreign distributor with its
// client, their users (password adminPassword), and a product with features (two floating).
type licenseWorld struct {
	a                         *testApp
	admin                     string // staff API token
	dist, client, otherDist   store.Org
	otherClient               store.Org
	distOwner, clientOwner    string // emails
	clientMember, otherOwner  string
	distToken, clientOwnerTok string
	clientMemberTok, otherTok string
	product                   string
}

func newLicenseWorld(t testing.TB, options ...func(*Config)) *licenseWorld {
	t.Helper()
	a := newTestApp(t, options...)
	ctx := context.Background()
	w := &licenseWorld{a: a, product: "octo"}
	vendor, err := a.db.FindVendor(ctx)
	if err != nil {
		t.Fatal(err)
	}
	mk := func(o *store.Org) {
		if err := a.db.CreateOrg(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	w.dist = store.Org{Kind: store.KindDistributor, ParentID: vendor.ID, Name: "Northwind"}
	mk(&w.dist)
	w.client = store.Org{Kind: store.KindClient, ParentID: w.dist.ID, Name: "Contoso Hotels", City: "Berlin"}
	mk(&w.client)
	w.otherDist = store.Org{Kind: store.KindDistributor, ParentID: vendor.ID, Name: "Southwind"}
	mk(&w.otherDist)
	w.otherClient = store.Org{Kind: store.KindClient, ParentID: w.otherDist.ID, Name: "Fabrikam"}
	mk(&w.otherClient)
	hash := a.srv.passwords.hash(adminPassword)
	user := func(email string, org store.Org, role string) string {
		u := store.User{Email: email, Name: email, PasswordHash: hash}
		if err := a.db.CreateUser(ctx, &u, org.ID, role); err != nil {
			t.Fatal(err)
		}
		tok, err := NewAPIToken(ctx, a.db, u.ID, "test")
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	w.distOwner, w.clientOwner, w.clientMember, w.otherOwner = "dora@dist.test", "carla@client.test", "max@client.test", "olga@other.test"
	w.distToken = user(w.distOwner, w.dist, store.RoleOwner)
	w.clientOwnerTok = user(w.clientOwner, w.client, store.RoleOwner)
	w.clientMemberTok = user(w.clientMember, w.client, store.RoleMember)
	w.otherTok = user(w.otherOwner, w.otherClient, store.RoleOwner)
	admin, err := a.db.FindUserByEmail(ctx, adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	if w.admin, err = NewAPIToken(ctx, a.db, admin.ID, "test"); err != nil {
		t.Fatal(err)
	}
	w.mustAPI(w.admin, http.MethodPost, "/api/v1/products", http.StatusCreated, map[string]any{
		"code": "octo", "name": "Octopus", "features": []map[string]any{
			{"code": "core", "name": "Core"},
			{"code": "voice", "name": "Voice", "floating": true, "max_simultaneous_users": 3, "floating_timeout_minutes": 15},
			{"code": "video", "name": "Video", "floating": true, "max_simultaneous_users": 2, "floating_timeout_minutes": 30},
		}})
	return w
}

// call sends a JSON request with an Authorization header and decodes the JSON answer.
func (a *testApp) call(auth, method, path string, body any) (int, map[string]any) {
	a.t.Helper()
	var r io.Reader
	if raw, ok := body.(rawJSON); ok {
		r = strings.NewReader(string(raw))
	} else if body != nil {
		b, _ := json.Marshal(body)
		r = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, a.url+path, r)
	req.Header.Set("Content-Type", "application/json")
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		a.t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &out); err != nil {
			a.t.Fatalf("%s %s: status %d, not JSON: %s", method, path, resp.StatusCode, raw)
		}
	}
	return resp.StatusCode, out
}

// rawJSON is a body sent as written, for what json.Marshal would not write (1e30 for an int).
type rawJSON string

func (w *licenseWorld) api(token, method, path string, body any) (int, map[string]any) {
	w.a.t.Helper()
	return w.a.call("Bearer "+token, method, path, body)
}

func (w *licenseWorld) mustAPI(token, method, path string, want int, body any) map[string]any {
	w.a.t.Helper()
	got, out := w.api(token, method, path, body)
	if got != want {
		w.a.t.Fatalf("%s %s: status %d, want %d: %v", method, path, got, want, out)
	}
	return out
}

func (w *licenseWorld) device(key, path string, body any) (int, map[string]any) {
	w.a.t.Helper()
	return w.a.call("License "+key, http.MethodPost, path, body)
}

// newLicense creates a license for the client through the API; fields override the defaults.
func (w *licenseWorld) newLicense(fields map[string]any) (id int64, key string) {
	w.a.t.Helper()
	body := map[string]any{"organization_id": w.client.ID, "product": w.product, "features": []any{"core", "voice"},
		"prepaid_cores": 5, "prepaid_core_price": "100.00", "extra_core_price": "150.00", "escalation_factor": "0.33",
		"currency": "EUR", "term_years": 1, "payment_period": "annual", "location": "LOC-1", "partner": "Integrator AG"}
	for k, v := range fields {
		if v == nil {
			delete(body, k)
		} else {
			body[k] = v
		}
	}
	out := w.mustAPI(w.distToken, http.MethodPost, "/api/v1/licenses", http.StatusCreated, body)
	return int64(out["id"].(float64)), out["key"].(string)
}

func (w *licenseWorld) license(id int64) map[string]any {
	w.a.t.Helper()
	return w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d", id), http.StatusOK, nil)
}

func errorOf(out map[string]any) (code, field string) {
	e, _ := out["error"].(map[string]any)
	code, _ = e["code"].(string)
	field, _ = e["field"].(string)
	return code, field
}

func TestCreateLicenseValidation(t *testing.T) {
	w := newLicenseWorld(t)
	base := map[string]any{"organization_id": w.client.ID, "product": "octo", "currency": "EUR", "term_years": 1, "payment_period": "annual"}
	tests := []struct {
		name   string
		change map[string]any
		field  string
	}{
		{"term too long", map[string]any{"term_years": 6}, "term_years"},
		{"term zero", map[string]any{"term_years": 0}, "term_years"},
		{"negative price", map[string]any{"prepaid_core_price": "-1.00"}, "prepaid_core_price"},
		{"too many decimals", map[string]any{"extra_core_price": "150.001"}, "extra_core_price"},
		{"decimals in yen", map[string]any{"currency": "JPY", "extra_core_price": "150.5"}, "extra_core_price"},
		{"unknown currency", map[string]any{"currency": "EUX"}, "currency"},
		{"factor too big", map[string]any{"escalation_factor": "10.5"}, "escalation_factor"},
		{"factor not decimal", map[string]any{"escalation_factor": "abc"}, "escalation_factor"},
		{"unknown feature", map[string]any{"features": []any{"fax"}}, "features"},
		{"unknown product", map[string]any{"product": "nope"}, "product"},
		{"bad payment", map[string]any{"payment_period": "weekly"}, "payment_period"},
		{"bad start date", map[string]any{"start_date": "2026-13-01"}, "start_date"},
		{"negative limit", map[string]any{"max_aps": -1}, "max_aps"},
		{"missing currency", map[string]any{"currency": nil}, "currency"},
		{"unknown field", map[string]any{"status": "in_use"}, "status"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := map[string]any{}
			for k, v := range base {
				body[k] = v
			}
			for k, v := range tt.change {
				if v == nil {
					delete(body, k)
				} else {
					body[k] = v
				}
			}
			status, out := w.api(w.distToken, http.MethodPost, "/api/v1/licenses", body)
			code, field := errorOf(out)
			if status != http.StatusBadRequest || code != "INVALID_INPUT" || field != tt.field {
				t.Errorf("status %d, code %q, field %q; want 400 INVALID_INPUT %q (%v)", status, code, field, tt.field, out)
			}
		})
	}
	ok := map[string]any{"currency": "JPY", "prepaid_core_price": "1500", "extra_core_price": "2000", "escalation_factor": "10"}
	body := map[string]any{}
	for k, v := range base {
		body[k] = v
	}
	for k, v := range ok {
		body[k] = v
	}
	out := w.mustAPI(w.distToken, http.MethodPost, "/api/v1/licenses", http.StatusCreated, body)
	if got, want := out["prepaid_core_price"], "1500"; got != want {
		t.Errorf("JPY price %v, want %v", got, want)
	}
	// The organization is checked before the rest: no 400 that tells a stranger what exists.
	if status, _ := w.api(w.otherTok, http.MethodPost, "/api/v1/licenses", map[string]any{"organization_id": w.client.ID, "term_years": 9}); status != http.StatusNotFound {
		t.Errorf("a foreign client creating a license for another client: %d, want 404", status)
	}
	if status, _ := w.api(w.clientOwnerTok, http.MethodPost, "/api/v1/licenses", map[string]any{"organization_id": w.client.ID, "term_years": 9}); status != http.StatusForbidden {
		t.Errorf("a client owner creating its own license: %d, want 403", status)
	}
	if status, _ := w.api(w.clientOwnerTok, http.MethodPost, "/api/v1/products", map[string]any{"code": "x", "name": "X"}); status != http.StatusNotFound {
		t.Errorf("a client creating a product: %d, want 404 (vendor things do not exist for others)", status)
	}
}

func TestLicenseStatusAtCreation(t *testing.T) {
	w := newLicenseWorld(t) // today is 2026-11-02
	tests := []struct {
		name       string
		fields     map[string]any
		status     string
		start, end any
	}{
		{"for a client", nil, store.StatusPendingStart, nil, nil},
		{"without a client", map[string]any{"organization_id": nil}, store.StatusPendingProvision, nil, nil},
		{"start date come", map[string]any{"start_date": "2026-01-01"}, store.StatusInUse, "2026-01-01", "2027-01-01"},
		{"start date to come", map[string]any{"start_date": "2026-12-01", "term_years": 2}, store.StatusPendingStart, "2026-12-01", "2028-12-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, key := w.newLicense(tt.fields)
			if !strings.HasPrefix(key, "KW-") || len(key) != 32 {
				t.Errorf("key %q", key)
			}
			l := w.license(id)
			if l["status"] != tt.status || l["start_date"] != tt.start || l["end_date"] != tt.end {
				t.Errorf("status %v, dates %v–%v; want %s, %v–%v", l["status"], l["start_date"], l["end_date"], tt.status, tt.start, tt.end)
			}
			if strings.Contains(fmt.Sprint(l), key) {
				t.Error("GET shows the full key")
			}
		})
	}
}
