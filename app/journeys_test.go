package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// withSMTP points the app at an in-process SMTP server.
func withSMTP(m *mailServer) func(*Config) {
	return func(c *Config) { c.SMTPURL = m.url() }
}

func TestInvitationJourneyNewUser(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	a.createUser("dora@northwind.test", "Dora", dist, store.RoleOwner)
	a.publishTerms("v1")

	// The distributor signs in, accepts the terms, and creates a client.
	b := a.browser()
	b.signIn("dora@northwind.test", testPassword)
	resp := b.get(fmt.Sprintf("/orgs/%d/clients/new", dist.ID))
	if got := resp.Header.Get("Location"); !strings.HasPrefix(got, "/terms?next=") {
		t.Fatalf("before accepting the terms, a page went to %q, want the terms", got)
	}
	b.follow(resp)
	b.assertContains("Terms v1", "<strong>nice</strong>", "I accept")
	b.status(b.acceptTerms(), http.StatusOK)
	b.assertContains("New client of Northwind")
	resp = b.post(fmt.Sprintf("/orgs/%d/clients", dist.ID), url.Values{"name": {"Contoso Hotels"}, "email": {"it@contoso.test"},
		"phone": {"+49 30 1234"}, "address": {"Unter den Linden 5"}, "zip": {"10117"}, "city": {"Berlin"}, "country": {"DE"},
		"tax_id": {"DE123"}, "notes": {"Key account"}})
	b.status(b.follow(resp), http.StatusOK)
	b.assertContains("Contoso Hotels", "Berlin", "DE123", "Organization saved.")
	clientPath := resp.Header.Get("Location")
	clientPath = clientPath[:strings.IndexByte(clientPath, '?')]

	// It invites a new user as owner.
	resp = b.post(clientPath+"/invitations", url.Values{"email": {"carla@contoso.test"}, "role": {"owner"}})
	b.status(b.follow(resp), http.StatusOK)
	b.assertContains("Invitation sent.", "carla@contoso.test")

	// The invitee reads the email and follows the link.
	msg := mail.waitFor("carla@contoso.test", "invites you to Contoso Hotels")
	if !strings.Contains(msg.HTML, "Create your account") {
		t.Errorf("the HTML part lacks the button:\n%s", msg.HTML)
	}
	link := msg.link(t)
	carla := a.browser()
	b.status(carla.get(link), http.StatusOK)
	carla.assertContains("Join Contoso Hotels", "carla@contoso.test", `name="name"`, `name="password"`, `name="_csrf"`)
	resp = carla.post(link, url.Values{"name": {"Carla Client"}, "password": {"carla-strong-password"}})
	if got, want := resp.Header.Get("Location"), clientPath; got != want {
		t.Fatalf("after creating the account: redirected to %q, want %q\n%s", got, want, carla.body)
	}
	// The terms come first, then the organization.
	resp = carla.get(clientPath)
	carla.follow(resp)
	carla.status(carla.acceptTerms(), http.StatusOK)
	carla.assertContains("<h1>Contoso Hotels")
	carla.get(clientPath + "?tab=users")
	carla.assertContains("Carla Client", "owner")

	// The link works once.
	again := a.browser()
	if resp := again.get(link); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reused invitation link: status %d, want 404", resp.StatusCode)
	}
	again.assertContains("invalid, has expired or was used already")

	// A link older than 7 days no longer works.
	b.get(clientPath)
	b.post(clientPath+"/invitations", url.Values{"email": {"late@contoso.test"}, "role": {"member"}})
	late := mail.waitFor("late@contoso.test", "invites you").link(t)
	a.clock.Advance(7*24*time.Hour + time.Second)
	if resp := again.get(late); resp.StatusCode != http.StatusNotFound {
		t.Errorf("invitation link after 7 days: status %d, want 404", resp.StatusCode)
	}
	if resp := again.post(late, url.Values{"name": {"Late"}, "password": {"late-strong-password"}, "_csrf": {a.signedOutCSRF()}}); resp.StatusCode == http.StatusSeeOther {
		t.Error("an expired invitation created an account")
	}
	if _, err := a.db.FindUserByEmail(t.Context(), "late@contoso.test"); err == nil {
		t.Error("an expired invitation created an account")
	}
}

func TestInvitationExistingUser(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	client := a.createOrg(store.KindClient, "Contoso", dist.ID)
	other := a.createOrg(store.KindClient, "Fabrikam", dist.ID)
	a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	a.createUser("fiona@fabrikam.test", "Fiona", other, store.RoleOwner)

	b := a.browser()
	b.signIn("carla@contoso.test", testPassword)
	b.get(fmt.Sprintf("/orgs/%d", client.ID))
	resp := b.post(fmt.Sprintf("/orgs/%d/invitations", client.ID), url.Values{"email": {"FIONA@fabrikam.test"}, "role": {"member"}})
	b.status(b.follow(resp), http.StatusOK)
	b.assertContains("now a member", "Fiona")

	msg := mail.waitFor("fiona@fabrikam.test", "You were added to Contoso")
	if !strings.Contains(msg.Text, "Carla") || msg.link(t) != fmt.Sprintf("/orgs/%d", client.ID) {
		t.Errorf("notice email:\n%s", msg.Text)
	}
	f := a.browser()
	f.signIn("fiona@fabrikam.test", testPassword)
	f.get("/")
	f.assertContains("Contoso", "Fabrikam", `name="org"`)
	// The switcher remembers the organization chosen.
	resp = f.post("/switch-org", url.Values{"org": {fmt.Sprint(client.ID)}})
	if got, want := resp.Header.Get("Location"), fmt.Sprintf("/orgs/%d", client.ID); got != want {
		t.Errorf("switching went to %q, want %q", got, want)
	}
	if u, _ := a.db.FindUserByEmail(t.Context(), "fiona@fabrikam.test"); u.LastOrgID != client.ID {
		t.Errorf("last org %d, want %d", u.LastOrgID, client.ID)
	}
	f.get("/")
	f.assertContains(fmt.Sprintf(`<option value="%d" selected>Contoso`, client.ID))

	// Inviting a member again is refused next to the field, and nothing is sent.
	before := len(mail.received())
	b.get(fmt.Sprintf("/orgs/%d", client.ID))
	resp = b.post(fmt.Sprintf("/orgs/%d/invitations", client.ID), url.Values{"email": {"fiona@fabrikam.test"}, "role": {"member"}})
	if resp.StatusCode != http.StatusConflict {
		t.Errorf("inviting a member again: status %d, want 409", resp.StatusCode)
	}
	b.assertContains("already a member")
	time.Sleep(100 * time.Millisecond)
	if got := len(mail.received()); got != before {
		t.Errorf("%d emails sent for a refused invitation", got-before)
	}
}

func TestForgotPasswordJourney(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	org := a.createOrg(store.KindClient, "Contoso", 0)
	a.createUser("carla@contoso.test", "Carla", org, store.RoleOwner)

	ask := func(email string) (int, string) {
		b := a.browser()
		b.get("/forgot-password")
		resp := b.post("/forgot-password", url.Values{"email": {email}})
		return resp.StatusCode, strings.ReplaceAll(csrfField.ReplaceAllString(b.body, ""), email, "EMAIL")
	}
	knownStatus, knownPage := ask("carla@contoso.test")
	unknownStatus, unknownPage := ask("nobody@contoso.test")
	if knownStatus != http.StatusOK || unknownStatus != knownStatus || knownPage != unknownPage {
		t.Errorf("known and unknown emails answer differently: %d vs %d", knownStatus, unknownStatus)
	}
	if !strings.Contains(knownPage, "If an account uses EMAIL") {
		t.Errorf("answer page:\n%s", knownPage)
	}
	msg := mail.waitFor("carla@contoso.test", "Choose a new Keyward password")
	link := msg.link(t)

	b := a.browser()
	b.status(b.get(link), http.StatusOK)
	resp := b.post(link, url.Values{"password": {"short"}})
	b.status(resp, http.StatusBadRequest)
	b.assertContains("at least 8 characters")
	resp = b.post(link, url.Values{"password": {"brand-new-password-1"}})
	if got := resp.Header.Get("Location"); got != "/login?notice=password-reset" {
		t.Fatalf("after the reset: %d to %q\n%s", resp.StatusCode, got, b.body)
	}
	b.follow(resp)
	b.assertContains("Your password was changed")
	b.signIn("carla@contoso.test", "brand-new-password-1")
	old := a.browser()
	old.get("/login")
	if resp := old.post("/login", url.Values{"email": {"carla@contoso.test"}, "password": {testPassword}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("old password after the reset: status %d, want 401", resp.StatusCode)
	}
	// Used once: the link is dead.
	if resp := a.browser().get(link); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reused reset link: status %d, want 404", resp.StatusCode)
	}
	// A link older than an hour is dead too.
	a.clock.Advance(time.Hour) // past the rate limit as well
	ask("carla@contoso.test")
	var late string
	for late == "" || late == link {
		late = mail.to("carla@contoso.test")[len(mail.to("carla@contoso.test"))-1].link(t)
		if late == link {
			time.Sleep(20 * time.Millisecond)
		}
	}
	a.clock.Advance(time.Hour + time.Second)
	if resp := a.browser().get(late); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reset link after an hour: status %d, want 404", resp.StatusCode)
	}

	// Rate limited, with the same answer for known and unknown addresses.
	for range 3 {
		ask("carla@contoso.test")
		ask("nobody@contoso.test")
	}
	knownStatus, knownPage = ask("carla@contoso.test")
	unknownStatus, unknownPage = ask("nobody@contoso.test")
	if knownStatus != http.StatusTooManyRequests || unknownStatus != knownStatus || knownPage != unknownPage {
		t.Errorf("past the limit: statuses %d and %d, want 429 and the same page", knownStatus, unknownStatus)
	}
}

func TestEmailChangeJourney(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	org := a.createOrg(store.KindClient, "Contoso", 0)
	a.createUser("carla@contoso.test", "Carla", org, store.RoleOwner)
	a.createUser("max@contoso.test", "Max", org, store.RoleMember)
	b := a.browser()
	b.signIn("carla@contoso.test", testPassword)
	b.get("/profile")

	resp := b.post("/profile/email", url.Values{"email": {"carla@new.test"}, "current_password": {"wrong-password"}})
	b.status(resp, http.StatusBadRequest)
	b.assertContains("This is not your current password.")

	resp = b.post("/profile/email", url.Values{"email": {"carla@new.test"}, "current_password": {testPassword}})
	b.status(resp, http.StatusOK)
	b.assertContains("We sent a confirmation link to carla@new.test")
	confirm := mail.waitFor("carla@new.test", "Confirm your new email")
	notice := mail.waitFor("carla@contoso.test", "Your Keyward email is being changed")
	if !strings.Contains(notice.Text, "carla@new.test") {
		t.Errorf("the notice to the old address does not name the new one:\n%s", notice.Text)
	}
	if u, _ := a.db.FindUserByEmail(t.Context(), "carla@contoso.test"); u.ID == 0 {
		t.Fatal("the email changed before the link was used")
	}

	link := confirm.link(t)
	v := a.browser()
	v.status(v.get(link), http.StatusOK)
	v.assertContains("carla@new.test", "Confirm my new email")
	v.status(v.post(link, url.Values{}), http.StatusOK)
	v.assertContains("Your email is now <strong>carla@new.test</strong>")
	if _, err := a.db.FindUserByEmail(t.Context(), "carla@new.test"); err != nil {
		t.Fatalf("after confirmation: %v", err)
	}
	if resp := a.browser().get(link); resp.StatusCode != http.StatusNotFound {
		t.Errorf("reused email-change link: status %d, want 404", resp.StatusCode)
	}
	a.browser().signIn("carla@new.test", testPassword)

	// An expired link changes nothing.
	m := a.browser()
	m.signIn("max@contoso.test", testPassword)
	m.get("/profile")
	m.post("/profile/email", url.Values{"email": {"max@new.test"}, "current_password": {testPassword}})
	late := mail.waitFor("max@new.test", "Confirm").link(t)
	a.clock.Advance(24*time.Hour + time.Second)
	if resp := a.browser().get(late); resp.StatusCode != http.StatusNotFound {
		t.Errorf("email-change link after 24 h: status %d, want 404", resp.StatusCode)
	}
	if _, err := a.db.FindUserByEmail(t.Context(), "max@contoso.test"); err != nil {
		t.Errorf("an expired link changed the email: %v", err)
	}
}

func TestInvitationResendAndRevoke(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	client := a.createOrg(store.KindClient, "Contoso", 0)
	a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	b := a.browser()
	b.signIn("carla@contoso.test", testPassword)
	page := fmt.Sprintf("/orgs/%d", client.ID)
	b.get(page)
	b.post(page+"/invitations", url.Values{"email": {"new@contoso.test"}, "role": {"member"}})
	first := mail.waitFor("new@contoso.test", "invites you").link(t)
	invs, _ := a.db.PendingInvitations(t.Context(), client.ID)
	if len(invs) != 1 {
		t.Fatalf("%d pending invitations, want 1", len(invs))
	}

	b.get(page)
	b.follow(b.post(fmt.Sprintf("%s/invitations/%d/resend", page, invs[0].ID), url.Values{}))
	b.assertContains("Invitation sent again")
	var second string
	for second == "" {
		if got := mail.to("new@contoso.test"); len(got) == 2 {
			second = got[1].link(t)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	v := a.browser()
	if resp := v.get(first); resp.StatusCode != http.StatusNotFound {
		t.Errorf("the first link after a resend: %d, want 404", resp.StatusCode)
	}
	if resp := v.get(second); resp.StatusCode != http.StatusOK {
		t.Errorf("the resent link: %d, want 200", resp.StatusCode)
	}

	b.get(page)
	b.follow(b.post(fmt.Sprintf("%s/invitations/%d/revoke", page, invs[0].ID), url.Values{}))
	b.assertContains("Invitation revoked", "No pending invitations.")
	if resp := v.get(second); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a revoked invitation's link: %d, want 404", resp.StatusCode)
	}
}
