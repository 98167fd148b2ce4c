package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestLicenseRequestJourney(t *testing.T) {
	catcher, withSMTP := newLicenseMailCatcher(t)
	w := newLicenseWorld(t, withSMTP)
	client := w.a.browser()
	client.signIn(w.clientOwner, adminPassword)
	client.get("/license-requests/new")
	form := url.Values{"organization_id": {fmt.Sprint(w.client.ID)}, "kind": {"new"}, "product": {"octo"},
		"location": {"HQ-7"}, "partner": {"Integrator AG"}, "term_years": {"3"}, "payment_period": {"monthly"},
		"features": {"core", "video"}}
	if resp := client.post("/license-requests", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("no APs nor rooms: %d", resp.StatusCode)
	}
	client.assertContains("Say how many APs or rooms", `value="HQ-7"`)
	form.Set("aps", "25")
	if resp := client.post("/license-requests", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d\n%s", resp.StatusCode, client.body)
	}
	mails := catcher.delivered(t, w.a)
	if len(mails) != 1 || mails[0].To != w.distOwner || !strings.Contains(mails[0].Subject, "License request from Contoso Hotels") ||
		!strings.Contains(mails[0].Body, "HQ-7") {
		t.Fatalf("emails %+v", mails)
	}

	member := w.a.browser()
	member.signIn(w.clientMember, adminPassword)
	member.get("/license-requests/new")
	if resp := member.post("/license-requests", form); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a client member requests: %d, want 403", resp.StatusCode)
	}
	other := w.a.browser()
	other.signIn(w.otherOwner, adminPassword)
	other.get("/license-requests")
	if strings.Contains(other.body, "HQ-7") {
		t.Error("a foreign client sees the request")
	}

	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get("/license-requests")
	dist.assertContains("HQ-7", "Create license", "/licenses/new?request=1")
	dist.get("/licenses/new?request=1")
	dist.assertContains(`name="request_id" value="1"`, `value="HQ-7"`, `value="25"`)
	create := url.Values{"request_id": {"1"}, "organization_id": {fmt.Sprint(w.client.ID)}, "product": {"octo"}, "features": {"core", "video"},
		"prepaid_cores": {"2"}, "currency": {"EUR"}, "prepaid_core_price": {"90.00"}, "extra_core_price": {"120.00"},
		"escalation_factor": {"0.33"}, "term_years": {"3"}, "payment_period": {"monthly"}, "invoicing_period": {"monthly"},
		"start_threshold": {"5"}, "location": {"HQ-7"}, "max_aps": {"25"}}
	if resp := dist.post("/licenses", create); resp.StatusCode != http.StatusCreated {
		t.Fatalf("create from the request: %d\n%s", resp.StatusCode, dist.body)
	}
	dist.get("/license-requests")
	dist.assertContains("accepted", "license 1")
	mails = catcher.delivered(t, w.a)
	if len(mails) != 2 || mails[1].To != w.clientOwner || mails[1].Subject != "Your license request was accepted" {
		t.Errorf("emails %+v", mails)
	}

	// A renewal request, declined with a reason.
	client.get("/licenses/1")
	client.assertContains(`href="/license-requests/new?license=1"`)
	client.get("/license-requests/new?license=1")
	client.assertContains(`<option value="1" selected>`)
	client.post("/license-requests", url.Values{"organization_id": {fmt.Sprint(w.client.ID)}, "kind": {"renewal"}, "license_id": {"1"},
		"term_years": {"1"}, "payment_period": {"annual"}, "product": {"octo"}})
	dist.get("/license-requests")
	if resp := dist.post("/license-requests/2/decline", url.Values{"reason": {"Contract under review"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("decline: %d", resp.StatusCode)
	}
	mails = catcher.delivered(t, w.a)
	last := mails[len(mails)-1]
	if last.Subject != "Your license request was declined" || !strings.Contains(last.Body, "Contract under review") {
		t.Errorf("last email %+v", last)
	}
	if resp := other.post("/license-requests/2/decline", url.Values{"reason": {"x"}, "_csrf": {other.csrf()}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a foreign client declines: %d, want 404", resp.StatusCode)
	}
}

func TestProductsPortal(t *testing.T) {
	w := newLicenseWorld(t)
	staff := w.a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.get("/products/new")
	form := url.Values{"code": {"Bad Code"}, "name": {"Beacon"}, "start_threshold": {"3"}, "excluded_services": {"Elasticsearch, kibana"},
		"feature_code.0": {"maps"}, "feature_name.0": {"Maps"}, "feature_code.1": {"seat"}, "feature_name.1": {"Seat"},
		"feature_floating.1": {"1"}, "feature_max.1": {"4"}, "feature_timeout.1": {"20"}}
	if resp := staff.post("/products", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("bad code: %d", resp.StatusCode)
	}
	staff.assertContains("lower-case letters", `value="Beacon"`)
	form.Set("code", "beacon")
	if resp := staff.post("/products", form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("create: %d\n%s", resp.StatusCode, staff.body)
	}
	if resp := staff.post("/products", form); resp.StatusCode != http.StatusConflict {
		t.Errorf("the same code twice: %d", resp.StatusCode)
	}
	staff.get("/products")
	staff.assertContains("Beacon", "Seat", "elasticsearch, kibana")
	out := w.mustAPI(w.clientMemberTok, http.MethodGet, "/api/v1/products", http.StatusOK, nil)
	if n := len(out["products"].([]any)); n != 2 {
		t.Errorf("%d products listed", n)
	}
	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	if resp := dist.get("/products"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a distributor on /products: %d", resp.StatusCode)
	}
}

// TestRenewalRequestIsPrefilled: asking for the renewal of a license starts from that license:
// its location, partner, term, payment, limits and modules; a license of another client does not.
func TestRenewalRequestIsPrefilled(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"term_years": 3, "payment_period": "monthly", "max_aps": 40, "location": "RENEW-9"})
	out := w.mustAPI(w.admin, http.MethodPost, "/api/v1/licenses", http.StatusCreated, map[string]any{"organization_id": w.otherClient.ID,
		"product": w.product, "features": []any{"core"}, "currency": "EUR", "term_years": 1, "payment_period": "annual", "location": "FOREIGN-1"})
	other := int64(out["id"].(float64))
	client := w.a.browser()
	client.signIn(w.clientOwner, adminPassword)
	client.get(fmt.Sprintf("/license-requests/new?license=%d", id))
	client.assertContains(`<option value="renewal" selected>`, `value="RENEW-9"`, `value="Integrator AG"`,
		`<option value="3" selected>`, `<option value="monthly" selected>`, `id="aps" name="aps" type="number" min="0" value="40"`,
		`value="core" checked`, `value="voice" checked`)
	if strings.Contains(client.body, `value="video" checked`) {
		t.Error("a module the license lacks is ticked")
	}
	client.get(fmt.Sprintf("/license-requests/new?license=%d", other))
	if strings.Contains(client.body, "FOREIGN-1") {
		t.Error("the form is prefilled from another client's license")
	}
}
