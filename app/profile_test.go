package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"keyward/store"
)

func TestProfile(t *testing.T) {
	a := newTestApp(t)
	org := a.createOrg(store.KindClient, "Contoso", 0)
	a.createUser("carla@contoso.test", "Carla", org, store.RoleOwner)
	other := a.browser()
	other.signIn("carla@contoso.test", testPassword)
	b := a.browser()
	b.signIn("carla@contoso.test", testPassword)

	b.get("/profile")
	b.follow(b.post("/profile/name", url.Values{"name": {"Carla Cruz"}}))
	b.assertContains("Name changed.", `value="Carla Cruz"`, "Carla Cruz</span>")

	// A token is shown once, listed by name with its last use, works, and stops when revoked.
	b.status(b.post("/profile/tokens", url.Values{"token_name": {"usage export"}}), http.StatusOK)
	token := regexp.MustCompile(`id="new-token">(kwp_[A-Za-z0-9_-]+)<`).FindStringSubmatch(b.body)
	if token == nil {
		t.Fatalf("the new token is not shown:\n%s", b.body)
	}
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/me", token[1], ""); got != http.StatusOK {
		t.Fatalf("the new token: status %d, want 200", got)
	}
	b.get("/profile")
	if strings.Contains(b.body, token[1]) {
		t.Error("the token is shown again")
	}
	b.assertContains("usage export", "…"+token[1][len(token[1])-4:], "2 Nov 2026, 09:00 UTC")
	id := regexp.MustCompile(`/profile/tokens/(\d+)/revoke`).FindStringSubmatch(b.body)
	b.follow(b.post("/profile/tokens/"+id[1]+"/revoke", url.Values{}))
	b.assertContains("API token revoked.", "No API tokens yet.")
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/me", token[1], ""); got != http.StatusUnauthorized {
		t.Errorf("a revoked token: status %d, want 401", got)
	}
	// Someone else's token id is not theirs to revoke.
	if resp := other.post("/profile/tokens/"+id[1]+"/revoke", url.Values{"_csrf": {other.csrfFromPage("/profile")}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("revoking a token twice: %d, want 404", resp.StatusCode)
	}

	// A new password ends the other sessions and keeps this one.
	b.get("/profile")
	b.follow(b.post("/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"a-brand-new-secret"}}))
	b.assertContains("Password changed.")
	if resp := other.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the other session after a password change: %d, want 303", resp.StatusCode)
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("this session after a password change: %d, want 200", resp.StatusCode)
	}
	a.browser().signIn("carla@contoso.test", "a-brand-new-secret")
}

// csrfFromPage loads a page and returns its CSRF token.
func (b *browser) csrfFromPage(path string) string {
	b.t.Helper()
	b.get(path)
	return b.csrf()
}

func TestTermsMustBeAccepted(t *testing.T) {
	a := newTestApp(t)
	org := a.createOrg(store.KindClient, "Contoso", 0)
	carla := a.createUser("carla@contoso.test", "Carla", org, store.RoleOwner)
	token, _ := NewAPIToken(t.Context(), a.db, carla.ID, "t")

	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.get("/admin/terms")
	staff.assertContains("No version published yet")
	resp := staff.post("/admin/terms", url.Values{"label": {"2026-11"}, "effective_on": {"2026-11-02"}, "format": {"markdown"},
		"body": {"# Our terms\n\nYou agree to *everything*.\n\n- one\n- two\n\n<script>alert(1)</script> [site](https://example.com) [bad](javascript:alert(1))"}})
	// Staff must accept the version they published, too.
	resp = staff.follow(resp)
	if got := resp.Header.Get("Location"); !strings.HasPrefix(got, "/terms") {
		t.Fatalf("after publishing, staff went to %q, want the terms", got)
	}
	staff.follow(resp)
	staff.assertContains("<h2>Our terms</h2>", "<em>everything</em>", "<li>one</li>", "&lt;script&gt;", `<a href="https://example.com"`)
	if strings.Contains(staff.body, "<script>alert") || strings.Contains(staff.body, `href="javascript:`) {
		t.Error("the terms page carries raw HTML or a javascript: link")
	}
	staff.acceptTerms()

	// The API keeps working for a user who has not accepted yet; the portal waits for it.
	if got := apiStatus(t, a, http.MethodGet, "/api/v1/me", token, ""); got != http.StatusOK {
		t.Errorf("API before accepting: %d, want 200", got)
	}
	c := a.browser()
	c.signIn("carla@contoso.test", testPassword)
	for _, path := range []string{"/", "/orgs", "/profile"} {
		if resp := c.get(path); !strings.HasPrefix(resp.Header.Get("Location"), "/terms?next=") {
			t.Errorf("GET %s before accepting: %d to %q, want the terms", path, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	c.follow(c.get("/orgs"))
	if resp := c.acceptTerms(); resp.Request.URL.Path != "/orgs" || resp.StatusCode != http.StatusOK {
		t.Errorf("after accepting: %s %d, want /orgs", resp.Request.URL.Path, resp.StatusCode)
	}

	// Staff see who accepted, when and from where.
	staff.get("/admin/terms")
	staff.assertContains("Acceptances of version 2026-11", "carla@contoso.test", "127.0.0.1", "2 Nov 2026, 09:00 UTC")

	// A new version must be accepted again.
	a.publishTerms("2026-12")
	if resp := c.get("/"); !strings.HasPrefix(resp.Header.Get("Location"), "/terms") {
		t.Errorf("after a new version: %d to %q, want the terms", resp.StatusCode, resp.Header.Get("Location"))
	}
	c.follow(c.get("/"))
	c.assertContains("Version 2026-12")
	c.acceptTerms()
	if resp := c.get("/"); resp.StatusCode != http.StatusOK {
		t.Errorf("after accepting the new version: %d", resp.StatusCode)
	}
}

func TestRenderTermsIsSafe(t *testing.T) {
	for _, tc := range []struct {
		name, format, in, want string
	}{
		{"paragraphs", "markdown", "one\ntwo\n\nthree", "<p>one two</p>\n<p>three</p>\n"},
		{"heading", "markdown", "## Scope", "<h3>Scope</h3>\n"},
		{"lists", "markdown", "- a\n- b\n\n1. c", "<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n<ol>\n<li>c</li>\n</ol>\n"},
		{"emphasis", "markdown", "**bold** and _it_ and *em*", "<p><strong>bold</strong> and <em>it</em> and <em>em</em></p>\n"},
		{"link", "markdown", "[docs](https://x.test/a?b=1&c=2)", `<p><a href="https://x.test/a?b=1&amp;c=2" rel="noopener noreferrer">docs</a></p>` + "\n"},
		{"javascript link", "markdown", "[x](javascript:alert(1))", "<p>[x](javascript:alert(1))</p>\n"},
		{"raw html", "markdown", `<img src=x onerror="alert(1)">`, "<p>&lt;img src=x onerror=&#34;alert(1)&#34;&gt;</p>\n"},
		{"quote in link", "markdown", `[x](https://a.test/"onmouseover=alert(1))`, "<p>[x](https://a.test/&#34;onmouseover=alert(1))</p>\n"},
		{"unclosed emphasis", "markdown", "2 * 3", "<p>2 * 3</p>\n"},
		{"plain text", "text", "a <b>\nb\n\nc", "<p>a &lt;b&gt;<br>\nb</p>\n<p>c</p>\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := string(renderTerms(tc.format, tc.in)); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestAuditLogPages(t *testing.T) {
	a := newTestApp(t)
	client := a.createOrg(store.KindClient, "Contoso", 0)
	other := a.createOrg(store.KindClient, "Fabrikam", 0)
	a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	a.createUser("max@contoso.test", "Max", client, store.RoleMember)
	a.createUser("fiona@fabrikam.test", "Fiona", other, store.RoleOwner)
	c := a.browser()
	c.signIn("carla@contoso.test", testPassword)
	c.get("/orgs/1")
	c.post("/orgs/"+itoa(client.ID)+"/invitations", url.Values{"email": {"x@contoso.test"}, "_csrf": {c.csrfFromPage("/orgs/" + itoa(client.ID))}})
	f := a.browser()
	f.signIn("fiona@fabrikam.test", testPassword)
	f.post("/orgs/"+itoa(other.ID)+"/invitations", url.Values{"email": {"y@fabrikam.test"}, "_csrf": {f.csrfFromPage("/orgs/" + itoa(other.ID))}})

	// An owner sees their org's entries only.
	c.get("/orgs/" + itoa(client.ID) + "/audit")
	c.assertContains("invitation.sent", "x@contoso.test")
	if strings.Contains(c.body, "y@fabrikam.test") {
		t.Error("an owner sees another organization's audit entries")
	}
	if resp := c.get("/audit"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an owner on the whole audit log: %d, want 404", resp.StatusCode)
	}
	m := a.browser()
	m.signIn("max@contoso.test", testPassword)
	if resp := m.get("/orgs/" + itoa(client.ID) + "/audit"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a member on the org's audit log: %d, want 403", resp.StatusCode)
	}

	// Staff see everything, and filter.
	s := a.browser()
	s.signIn(adminEmail, adminPassword)
	s.get("/audit")
	s.assertContains("x@contoso.test", "y@fabrikam.test", "login")
	s.get("/audit?actor=fiona&action=invitation")
	s.assertContains("y@fabrikam.test")
	if strings.Contains(s.body, "x@contoso.test") {
		t.Error("the actor filter let another actor's entries through")
	}
	s.get("/audit?from=2026-11-03")
	s.assertContains("No entries match.")
	s.get("/audit?from=2026-11-02&to=2026-11-02&per_page=1")
	s.assertContains("Page 1 of", "Next →")
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }
