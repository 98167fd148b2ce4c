package app

import (
	"net/http"
	"net/url"
	"regexp"

	"keyward/store"
)

// testPassword is the password of the users tests create.
const testPassword = "a-test-password-42"

// createOrg stores an organization under parent (0: under the vendor).
func (a *testApp) createOrg(kind, name string, parent int64) store.Org {
	a.t.Helper()
	if parent == 0 {
		v, err := a.db.FindVendor(a.t.Context())
		if err != nil {
			a.t.Fatal(err)
		}
		parent = v.ID
	}
	o := store.Org{Kind: kind, Name: name, ParentID: parent}
	if err := a.db.CreateOrg(a.t.Context(), &o); err != nil {
		a.t.Fatal(err)
	}
	return o
}

var testPasswordHash string

// createUser stores a user with testPassword as a member of org.
func (a *testApp) createUser(email, name string, org store.Org, role string) store.User {
	a.t.Helper()
	if testPasswordHash == "" {
		testPasswordHash = a.srv.passwords.hash(testPassword)
	}
	u := store.User{Email: email, Name: name, PasswordHash: testPasswordHash}
	if err := a.db.CreateUser(a.t.Context(), &u, org.ID, role); err != nil {
		a.t.Fatal(err)
	}
	return u
}

// publishTerms publishes a version of the terms that every user must accept.
func (a *testApp) publishTerms(label string) store.TermsVersion {
	a.t.Helper()
	t := store.TermsVersion{Label: label, EffectiveOn: "2026-11-01", Format: "markdown", Body: "# Terms " + label + "\n\nBe **nice**."}
	if err := a.db.PublishTerms(a.t.Context(), &t, store.AuditEntry{Action: "terms.published"}); err != nil {
		a.t.Fatal(err)
	}
	return t
}

// follow GETs the Location of a redirect.
func (b *browser) follow(resp *http.Response) *http.Response {
	b.t.Helper()
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || loc == "" {
		b.t.Fatalf("status %d to %q, want a 303 redirect\n%s", resp.StatusCode, loc, b.body)
	}
	return b.get(loc)
}

var termsIDField = regexp.MustCompile(`name="terms_id" value="(\d+)"`)
var nextField = regexp.MustCompile(`name="next" value="([^"]*)"`)

// acceptTerms accepts the terms shown on the last page (the terms page) and follows to where
// the user was going.
func (b *browser) acceptTerms() *http.Response {
	b.t.Helper()
	id := termsIDField.FindStringSubmatch(b.body)
	if id == nil {
		b.t.Fatalf("the page has no terms to accept:\n%s", b.body)
	}
	next := ""
	if m := nextField.FindStringSubmatch(b.body); m != nil {
		next = m[1]
	}
	resp := b.post("/terms", url.Values{"terms_id": {id[1]}, "next": {next}})
	return b.follow(resp)
}

// status fails the test unless resp has the status want.
func (b *browser) status(resp *http.Response, want int) {
	b.t.Helper()
	if resp.StatusCode != want {
		b.t.Fatalf("%s %s: status %d, want %d\n%s", resp.Request.Method, resp.Request.URL.Path, resp.StatusCode, want, b.body)
	}
}
