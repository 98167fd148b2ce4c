package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyward/store"
)

// snapshot is what a refused form must leave unchanged.
func (a *testApp) snapshot() string {
	a.t.Helper()
	ctx := a.t.Context()
	var b strings.Builder
	orgs, _, _, err := a.db.ListOrgs(ctx, store.OrgFilter{All: true, Limit: 1000})
	if err != nil {
		a.t.Fatal(err)
	}
	for _, o := range orgs {
		fmt.Fprintf(&b, "org %d %q %q %q %s %q\n", o.ID, o.Name, o.Email, o.City, o.Status, o.SuspendReason)
		ms, _ := a.db.Members(ctx, o.ID)
		for _, m := range ms {
			fmt.Fprintf(&b, "  member %d %s\n", m.User.ID, m.Role)
		}
		invs, _ := a.db.PendingInvitations(ctx, o.ID)
		for _, i := range invs {
			fmt.Fprintf(&b, "  invitation %d %s\n", i.ID, i.Email)
		}
	}
	users, _, _ := a.db.ListUsers(ctx, "", 1000, 0)
	for _, u := range users {
		fmt.Fprintf(&b, "user %d %q %q %s %v\n", u.ID, u.Name, u.Email, u.PasswordHash, u.Active)
		ts, _ := a.db.APITokens(ctx, u.ID)
		fmt.Fprintf(&b, "  %d tokens\n", len(ts))
	}
	terms, _ := a.db.AllTerms(ctx)
	_, emails, _ := a.db.ListEmails(ctx, "", 1, 0)
	fmt.Fprintf(&b, "%d terms, %d emails\n", len(terms), emails)
	return b.String()
}

func TestBadInputOnEveryForm(t *testing.T) {
	a := newTestApp(t)
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	client := a.createOrg(store.KindClient, "Contoso", dist.ID)
	a.createUser("dora@northwind.test", "Dora", dist, store.RoleOwner)
	carla := a.createUser("carla@contoso.test", "Carla", client, store.RoleOwner)
	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)
	dora := a.browser()
	dora.signIn("dora@northwind.test", testPassword)
	owner := a.browser()
	owner.signIn("carla@contoso.test", testPassword)
	visitor := a.browser()

	inviteToken := randomToken()
	inv := store.Invitation{OrgID: client.ID, Email: "new@contoso.test", Role: store.RoleMember}
	if err := a.db.CreateInvitation(t.Context(), &inv, digest(inviteToken), invitationTTL, nil, store.AuditEntry{Action: "t"}); err != nil {
		t.Fatal(err)
	}
	resetToken := randomToken()
	if err := a.db.CreateEmailToken(t.Context(), &store.EmailToken{UserID: carla.ID, Purpose: store.PurposePasswordReset},
		digest(resetToken), passwordResetTTL, nil, store.AuditEntry{}); err != nil {
		t.Fatal(err)
	}

	long := func(n int) string { return strings.Repeat("x", n) }
	clientPage := fmt.Sprintf("/orgs/%d", client.ID)
	newClient := fmt.Sprintf("/orgs/%d/clients/new", dist.ID)
	for _, tc := range []struct {
		name    string
		b       *browser
		page    string // the page holding the form
		action  string
		form    url.Values
		field   string // the field the message sits next to ("" for a message above the form)
		message string
		status  int
	}{
		{"client without name", dora, newClient, fmt.Sprintf("/orgs/%d/clients", dist.ID), url.Values{"name": {" "}}, "name", "Enter the name.", 400},
		{"client name too long", dora, newClient, fmt.Sprintf("/orgs/%d/clients", dist.ID), url.Values{"name": {long(201)}}, "name", "at most 200 characters", 400},
		{"client email malformed", dora, newClient, fmt.Sprintf("/orgs/%d/clients", dist.ID), url.Values{"name": {"X"}, "email": {"not-an-email"}}, "email", "such as name@example.com", 400},
		{"client notes too long", dora, newClient, fmt.Sprintf("/orgs/%d/clients", dist.ID), url.Values{"name": {"X"}, "notes": {long(5001)}}, "notes", "at most 5000 characters", 400},
		{"distributor without name", staff, "/distributors/new", "/distributors", url.Values{"name": {""}}, "name", "Enter the name.", 400},
		{"edit: name emptied", dora, clientPage + "/edit", clientPage, url.Values{"name": {""}, "city": {"Paris"}}, "name", "Enter the name.", 400},
		{"edit: tax ID too long", dora, clientPage + "/edit", clientPage, url.Values{"name": {"Contoso"}, "tax_id": {long(51)}}, "tax_id", "at most 50 characters", 400},
		{"suspend without reason", dora, clientPage, clientPage + "/suspend", url.Values{"reason": {""}}, "reason", "Enter the reason", 400},
		{"suspend reason too long", dora, clientPage, clientPage + "/suspend", url.Values{"reason": {long(501)}}, "reason", "at most 500 characters", 400},
		{"invite without email", owner, clientPage, clientPage + "/invitations", url.Values{"email": {""}}, "email", "Enter an email address.", 400},
		{"invite malformed email", owner, clientPage, clientPage + "/invitations", url.Values{"email": {"carla at contoso"}}, "email", "such as name@example.com", 400},
		{"invite email too long", owner, clientPage, clientPage + "/invitations", url.Values{"email": {long(250) + "@x.test"}}, "email", "at most 254 characters", 400},
		{"invite unknown role", owner, clientPage, clientPage + "/invitations", url.Values{"email": {"a@b.test"}, "role": {"admin"}}, "role", "The role is owner or member.", 400},
		{"role unknown", owner, clientPage, fmt.Sprintf("%s/members/%d/role", clientPage, carla.ID), url.Values{"role": {"boss"}}, "member", "Choose the role", 400},
		{"account without name", visitor, "/invitations/" + inviteToken, "/invitations/" + inviteToken, url.Values{"name": {""}, "password": {"good-password-123"}}, "name", "Enter the name.", 400},
		{"account name too long", visitor, "/invitations/" + inviteToken, "/invitations/" + inviteToken, url.Values{"name": {long(101)}, "password": {"good-password-123"}}, "name", "at most 100 characters", 400},
		{"account password short", visitor, "/invitations/" + inviteToken, "/invitations/" + inviteToken, url.Values{"name": {"New"}, "password": {"short"}}, "password", "at least 8 characters", 400},
		{"account password too long", visitor, "/invitations/" + inviteToken, "/invitations/" + inviteToken, url.Values{"name": {"New"}, "password": {long(129)}}, "password", "at most 128 characters", 400},
		{"account password common", visitor, "/invitations/" + inviteToken, "/invitations/" + inviteToken, url.Values{"name": {"New"}, "password": {"password123"}}, "password", "too common", 400},
		{"name emptied", owner, "/profile", "/profile/name", url.Values{"name": {"  "}}, "name", "Enter the name.", 400},
		{"name too long", owner, "/profile", "/profile/name", url.Values{"name": {long(101)}}, "name", "at most 100 characters", 400},
		{"password: wrong current", owner, "/profile", "/profile/password", url.Values{"current_password": {"wrong"}, "new_password": {"another-password-9"}}, "pw-current", "This is not your current password.", 400},
		{"password: empty current", owner, "/profile", "/profile/password", url.Values{"current_password": {""}, "new_password": {"another-password-9"}}, "pw-current", "This is not your current password.", 400},
		{"password: new too short", owner, "/profile", "/profile/password", url.Values{"current_password": {testPassword}, "new_password": {"short"}}, "new_password", "at least 8 characters", 400},
		{"email: empty", owner, "/profile", "/profile/email", url.Values{"email": {""}, "current_password": {testPassword}}, "new-email", "Enter an email address.", 400},
		{"email: malformed", owner, "/profile", "/profile/email", url.Values{"email": {"carla@"}, "current_password": {testPassword}}, "new-email", "such as name@example.com", 400},
		{"email: the same", owner, "/profile", "/profile/email", url.Values{"email": {"CARLA@contoso.test"}, "current_password": {testPassword}}, "new-email", "This is your email already.", 400},
		{"email: wrong current password", owner, "/profile", "/profile/email", url.Values{"email": {"c@new.test"}, "current_password": {"nope"}}, "email-current", "This is not your current password.", 400},
		{"token without name", owner, "/profile", "/profile/tokens", url.Values{"token_name": {""}}, "token_name", "Enter the token name.", 400},
		{"token name too long", owner, "/profile", "/profile/tokens", url.Values{"token_name": {long(101)}}, "token_name", "at most 100 characters", 400},
		{"forgot: empty", visitor, "/forgot-password", "/forgot-password", url.Values{"email": {""}}, "email", "Enter an email address.", 400},
		{"forgot: malformed", visitor, "/forgot-password", "/forgot-password", url.Values{"email": {"@contoso.test"}}, "email", "such as name@example.com", 400},
		{"reset: short", visitor, "/reset-password/" + resetToken, "/reset-password/" + resetToken, url.Values{"password": {"1234567"}}, "password", "at least 8 characters", 400},
		{"reset: empty", visitor, "/reset-password/" + resetToken, "/reset-password/" + resetToken, url.Values{"password": {""}}, "password", "at least 8 characters", 400},
		{"terms: no label", staff, "/admin/terms", "/admin/terms", url.Values{"label": {""}, "effective_on": {"2026-12-01"}, "format": {"markdown"}, "body": {"x"}}, "label", "Enter the version label.", 400},
		{"terms: bad date", staff, "/admin/terms", "/admin/terms", url.Values{"label": {"v2"}, "effective_on": {"1 Dec"}, "format": {"markdown"}, "body": {"x"}}, "effective_on", "YYYY-MM-DD", 400},
		{"terms: bad format", staff, "/admin/terms", "/admin/terms", url.Values{"label": {"v2"}, "effective_on": {"2026-12-01"}, "format": {"html"}, "body": {"x"}}, "format", "Markdown or plain text", 400},
		{"terms: empty body", staff, "/admin/terms", "/admin/terms", url.Values{"label": {"v2"}, "effective_on": {"2026-12-01"}, "format": {"text"}, "body": {"  "}}, "body", "Enter the text of the terms.", 400},
		{"terms: label too long", staff, "/admin/terms", "/admin/terms", url.Values{"label": {long(101)}, "effective_on": {"2026-12-01"}, "format": {"text"}, "body": {"x"}}, "label", "at most 100 characters", 400},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.b.t = t
			if resp := tc.b.get(tc.page); resp.StatusCode != http.StatusOK {
				t.Fatalf("GET %s: %d", tc.page, resp.StatusCode)
			}
			before := a.snapshot()
			resp := tc.b.post(tc.action, tc.form)
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			want := fmt.Sprintf(`<p class="field-error" id="%s-error">`, tc.field)
			i := strings.Index(tc.b.body, want)
			if i < 0 || !strings.Contains(tc.b.body[i:min(len(tc.b.body), i+len(want)+200)], tc.message) {
				t.Errorf("no message %q next to the field %s:\n%s", tc.message, tc.field, tc.b.body)
			}
			if !strings.Contains(tc.b.body, fmt.Sprintf(`aria-describedby="%s-error"`, tc.field)) {
				t.Errorf("the field %s is not marked invalid", tc.field)
			}
			if after := a.snapshot(); after != before {
				t.Errorf("refused input changed data:\nbefore %s\nafter %s", before, after)
			}
		})
	}

	t.Run("audit filter dates", func(t *testing.T) {
		staff.t = t
		resp := staff.get("/audit?from=yesterday")
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("status %d, want 400", resp.StatusCode)
		}
		staff.assertContains(`id="from-error">Enter the date as YYYY-MM-DD.`)
		staff.get("/audit?from=2026-11-03&to=2026-11-01")
		staff.assertContains(`id="to-error">The end date comes before the start date.`)
	})
}
