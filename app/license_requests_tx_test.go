package app

import (
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"keyward/store"
)

// writeCounts are the rows a refused license form must leave as they were.
type writeCounts struct {
	licenses, emails, audit, open int
}

func (w *licenseWorld) writeCounts(t *testing.T) writeCounts {
	t.Helper()
	ctx := t.Context()
	var n writeCounts
	var err error
	if _, n.licenses, err = w.a.db.Licenses(ctx, store.LicenseFilter{All: true}); err != nil {
		t.Fatal(err)
	}
	if _, n.emails, err = w.a.db.ListEmails(ctx, "", 1, 0); err != nil {
		t.Fatal(err)
	}
	if _, n.audit, err = w.a.db.ListAudit(ctx, store.AuditFilter{Limit: 1}); err != nil {
		t.Fatal(err)
	}
	rs, err := w.a.db.LicenseRequests(ctx, true, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		if r.Status == "open" {
			n.open++
		}
	}
	return n
}

// licenseForm is the portal's new-license form for the world's client, as a distributor fills it.
func (w *licenseWorld) licenseForm(orgID int64, requestID string) url.Values {
	return url.Values{"request_id": {requestID}, "organization_id": {fmt.Sprint(orgID)}, "product": {"octo"},
		"features": {"core"}, "prepaid_cores": {"2"}, "currency": {"EUR"}, "prepaid_core_price": {"90.00"},
		"extra_core_price": {"120.00"}, "escalation_factor": {"0.33"}, "term_years": {"1"}, "payment_period": {"annual"},
		"invoicing_period": {"monthly"}, "start_threshold": {"5"}, "location": {"HQ-9"}}
}

// requestLicense makes a license request as a client owner through the portal and answers its id.
func (w *licenseWorld) requestLicense(t testing.TB, email, password string, client store.Org) string {
	t.Helper()
	b := w.a.browser()
	b.signIn(email, password)
	b.get("/license-requests/new")
	b.status(b.post("/license-requests", url.Values{"organization_id": {fmt.Sprint(client.ID)}, "kind": {"new"},
		"product": {"octo"}, "location": {"HQ-9"}, "term_years": {"1"}, "payment_period": {"annual"}, "aps": {"10"},
		"features": {"core"}}), http.StatusSeeOther)
	rs, err := w.a.db.LicenseRequests(t.Context(), false, []int64{client.ID})
	if err != nil || len(rs) == 0 {
		t.Fatalf("the request of %s was not stored: %v", client.Name, err)
	}
	return fmt.Sprint(rs[0].ID)
}

// TestLicenseFormWithBadRequestWritesNothing: a license form naming a request that does not exist
// (or was decided already) is refused, and no license is created whose key nobody would ever see.
func TestLicenseFormWithBadRequestWritesNothing(t *testing.T) {
	w := newLicenseWorld(t)
	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	decided := w.requestLicense(t, w.clientOwner, adminPassword, w.client)
	dist.get("/licenses/new?request=" + decided)
	dist.status(dist.post("/licenses", w.licenseForm(w.client.ID, decided)), http.StatusCreated)

	for _, tc := range []struct {
		name, requestID string
		status          int
	}{
		{"unknown request", "999", http.StatusNotFound},
		{"not a number", "abc", http.StatusNotFound},
		{"request decided already", decided, http.StatusConflict},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := w.writeCounts(t)
			dist.get("/licenses/new")
			if resp := dist.post("/licenses", w.licenseForm(w.client.ID, tc.requestID)); resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if after := w.writeCounts(t); after != before {
				t.Errorf("a refused form wrote: before %+v, after %+v", before, after)
			}
		})
	}
}

// TestLicenseForOneClientCannotFulfilAnothersRequest: a distributor's license for client A naming
// client B's request is refused beside the organization field; nothing is written, no one is emailed.
func TestLicenseForOneClientCannotFulfilAnothersRequest(t *testing.T) {
	w := newLicenseWorld(t)
	tailspin := w.a.createOrg(store.KindClient, "Tailspin Toys", w.dist.ID)
	w.a.createUser("tina@tailspin.test", "Tina", tailspin, store.RoleOwner)
	req := w.requestLicense(t, "tina@tailspin.test", testPassword, tailspin)

	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get("/licenses/new?request=" + req)
	before := w.writeCounts(t)
	resp := dist.post("/licenses", w.licenseForm(w.client.ID, req))
	if got, want := resp.StatusCode, http.StatusBadRequest; got != want {
		t.Fatalf("license for Contoso fulfilling Tailspin's request: status %d, want %d", got, want)
	}
	dist.assertContains("This request is from Tailspin Toys", `name="request_id" value="`+req+`"`)
	if after := w.writeCounts(t); after != before {
		t.Errorf("a refused form wrote: before %+v, after %+v", before, after)
	}

	// Chosen right, the same form creates Tailspin's license and closes the request.
	dist.status(dist.post("/licenses", w.licenseForm(tailspin.ID, req)), http.StatusCreated)
	dist.get("/license-requests")
	dist.assertContains("accepted")
}

// TestRenewalRequestFulfilledWithTheRenewal: renewing from a client's renewal request moves the
// end date and closes the request together, once.
func TestRenewalRequestFulfilledWithTheRenewal(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(map[string]any{"start_date": "2026-01-01"})
	client := w.a.browser()
	client.signIn(w.clientOwner, adminPassword)
	client.get(fmt.Sprintf("/license-requests/new?license=%d", id))
	client.status(client.post("/license-requests", url.Values{"organization_id": {fmt.Sprint(w.client.ID)}, "kind": {"renewal"},
		"license_id": {fmt.Sprint(id)}, "term_years": {"2"}, "payment_period": {"annual"}, "product": {"octo"}}), http.StatusSeeOther)
	rs, err := w.a.db.LicenseRequests(t.Context(), false, []int64{w.client.ID})
	if err != nil || len(rs) != 1 {
		t.Fatalf("requests %v, %v", rs, err)
	}

	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get("/license-requests")
	renew := fmt.Sprintf("/license-requests/%d/renew", rs[0].ID)
	dist.status(dist.post(renew, url.Values{}), http.StatusSeeOther)
	if l := w.license(id); l["end_date"] != "2029-01-01" || l["term_years"] != float64(3) {
		t.Errorf("after the renewal: end %v, term %v; want 2029-01-01, 3", l["end_date"], l["term_years"])
	}
	dist.get("/license-requests")
	dist.assertContains("accepted")

	before := w.writeCounts(t)
	if resp := dist.post(renew, url.Values{}); resp.StatusCode != http.StatusConflict {
		t.Errorf("renewing from the same request again: %d, want 409", resp.StatusCode)
	}
	if after := w.writeCounts(t); after != before || w.license(id)["end_date"] != "2029-01-01" {
		t.Errorf("a refused renewal wrote: before %+v, after %+v", before, after)
	}
}
