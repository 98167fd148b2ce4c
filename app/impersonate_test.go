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

// impersonate signs in as email and asks to act as uid from org's users tab; it returns the
// browser and the answer's status.
func impersonate(t *testing.T, a *testApp, email, password string, org store.Org, uid int64) (*browser, int) {
	t.Helper()
	b := a.browser()
	b.signIn(email, password)
	b.get(fmt.Sprintf("/orgs/%d", org.ID))
	resp := b.post(fmt.Sprintf("/orgs/%d/members/%d/impersonate", org.ID, uid), url.Values{})
	return b, resp.StatusCode
}

func TestImpersonationWhoMayWhom(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := t.Context()
	find := func(email string) store.User {
		u, err := w.a.db.FindUserByEmail(ctx, email)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	vendor, _ := w.a.db.FindVendor(ctx)
	carla, max, dora := find(w.clientOwner), find(w.clientMember), find(w.distOwner)
	dan := w.a.createUser("dan@dist.test", "Dan", w.dist, store.RoleMember)
	sam := w.a.createUser("sam@vendor.test", "Sam", vendor, store.RoleMember)
	// Split belongs to Contoso Hotels (Northwind's) and to Fabrikam (Southwind's).
	split := w.a.createUser("split@both.test", "Split", w.client, store.RoleMember)
	if err := w.a.db.JoinOrg(ctx, split.ID, w.otherClient.ID, store.RoleMember, nil, store.AuditEntry{Action: "invitation.joined"}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name            string
		actor, password string
		org             store.Org
		target          int64
		want            int
	}{
		{"staff → a client's owner", adminEmail, adminPassword, w.client, carla.ID, http.StatusSeeOther},
		{"staff → a distributor's owner", adminEmail, adminPassword, w.dist, dora.ID, http.StatusSeeOther},
		{"staff → staff", adminEmail, adminPassword, vendor, sam.ID, http.StatusForbidden},
		{"staff → a user not in that organization", adminEmail, adminPassword, w.client, dora.ID, http.StatusNotFound},
		{"distributor owner → its client's owner", w.distOwner, adminPassword, w.client, carla.ID, http.StatusSeeOther},
		{"distributor owner → its client's member", w.distOwner, adminPassword, w.client, max.ID, http.StatusSeeOther},
		{"distributor owner → a user also of a foreign client", w.distOwner, adminPassword, w.client, split.ID, http.StatusForbidden},
		{"distributor owner → its own distributor's member", w.distOwner, adminPassword, w.dist, dan.ID, http.StatusForbidden},
		{"distributor owner → a foreign client's owner", w.distOwner, adminPassword, w.otherClient, find(w.otherOwner).ID, http.StatusNotFound},
		{"distributor member → its client's owner", "dan@dist.test", testPassword, w.client, carla.ID, http.StatusForbidden},
		{"client owner → its member", w.clientOwner, adminPassword, w.client, max.ID, http.StatusForbidden},
		{"client member → its owner", w.clientMember, adminPassword, w.client, carla.ID, http.StatusForbidden},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, got := impersonate(t, w.a, tt.actor, tt.password, tt.org, tt.target)
			if got != tt.want {
				t.Fatalf("status %d, want %d", got, tt.want)
			}
			b.get("/")
			if acting := strings.Contains(b.body, "you are acting as"); acting != (tt.want == http.StatusSeeOther) {
				t.Errorf("banner shown: %v", acting)
			}
		})
	}
	// The button shows only where the rule allows it.
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.client.ID))
	if !strings.Contains(b.body, fmt.Sprintf("/members/%d/impersonate", carla.ID)) || strings.Contains(b.body, fmt.Sprintf("/members/%d/impersonate", split.ID)) {
		t.Error("the Impersonate buttons do not follow the rule")
	}
}

func TestImpersonationAuditRefusalsAndExpiry(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := t.Context()
	carla, _ := w.a.db.FindUserByEmail(ctx, w.clientOwner)
	w.a.publishTerms("2026-11") // Carla has not accepted them; the administrator neither
	b := w.a.browser()
	b.signIn(adminEmail, adminPassword)
	b.follow(b.get("/"))
	b.acceptTerms()
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.client.ID))
	b.follow(b.post(fmt.Sprintf("/orgs/%d/members/%d/impersonate", w.client.ID, carla.ID), url.Values{}))

	// Carla's pending terms do not hold the administrator back; the banner says who is who.
	b.status(b.get("/"), http.StatusOK)
	b.assertContains("<strong>Administrator</strong>, you are acting as <strong>carla@client.test</strong>", "Stop impersonating",
		"Contoso Hotels")

	// What the impersonator does is recorded under both names.
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.client.ID))
	b.status(b.post(fmt.Sprintf("/orgs/%d/invitations", w.client.ID), url.Values{"email": {"new@client.test"}, "role": {"member"}}), http.StatusSeeOther)
	es, _, err := w.a.db.ListAudit(ctx, store.AuditFilter{Action: "invitation.sent", Limit: 10})
	if err != nil || len(es) != 1 {
		t.Fatalf("invitation entries: %v %v", es, err)
	}
	if e := es[0]; e.ActorUserID != carla.ID || e.ImpersonatorEmail != adminEmail {
		t.Errorf("entry while impersonating: actor %d, impersonator %q", e.ActorUserID, e.ImpersonatorEmail)
	}
	if got, want := auditSentence(es[0]), "Administrator, acting as carla@client.test, invited new@client.test"; got != want {
		t.Errorf("sentence %q, want %q", got, want)
	}

	// Password, email, API tokens, second factor and terms cannot be changed for Carla: 403 each,
	// and nothing is written.
	b.get("/profile")
	for path, form := range map[string]url.Values{
		"/profile/password":         {"current_password": {adminPassword}, "password": {"another-password-1"}, "confirm": {"another-password-1"}},
		"/profile/email":            {"password": {adminPassword}, "email": {"carla@elsewhere.test"}},
		"/profile/tokens":           {"name": {"stolen"}},
		"/profile/tokens/1/revoke":  {},
		"/profile/2fa":              {"code": {"123456"}},
		"/profile/2fa/disable":      {"password": {adminPassword}, "code": {"123456"}},
		"/terms":                    {},
		"/reset-password/whatever":  {"password": {"another-password-1"}},
		"/email-change/whatever-to": {},
	} {
		if resp := b.post(path, form); resp.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s while impersonating: %d, want 403", path, resp.StatusCode)
		}
		b.get("/profile")
	}
	if ts, _ := w.a.db.APITokens(ctx, carla.ID); len(ts) != 1 { // the one newLicenseWorld made
		t.Errorf("Carla has %d tokens", len(ts))
	}
	if pending, _ := w.a.db.TermsPending(ctx, carla.ID); !pending {
		t.Error("the terms were accepted for Carla")
	}
	// Nobody acts as two people at once.
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.client.ID))
	if resp := b.post(fmt.Sprintf("/orgs/%d/members/%d/impersonate", w.client.ID, carla.ID), url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("impersonating while impersonating: %d, want 403", resp.StatusCode)
	}

	// Stop returns to the administrator, on the users tab it started from.
	b.get("/")
	resp := b.post("/impersonation/stop", url.Values{})
	if got, want := resp.Header.Get("Location"), fmt.Sprintf("/orgs/%d?tab=users&notice=impersonation-stopped", w.client.ID); got != want {
		t.Errorf("stop went to %q, want %q", got, want)
	}
	b.follow(resp)
	if strings.Contains(b.body, "you are acting as") {
		t.Error("the banner stays after Stop")
	}
	b.get(fmt.Sprintf("/orgs/%d?tab=activity", w.client.ID))
	b.assertContains("Administrator started impersonating carla@client.test", "Administrator, acting as carla@client.test, invited new@client.test",
		"Administrator stopped impersonating carla@client.test")

	// An impersonation ends by itself after an hour, audited; a minute before, it still holds.
	b.get(fmt.Sprintf("/orgs/%d?tab=users", w.client.ID))
	b.follow(b.post(fmt.Sprintf("/orgs/%d/members/%d/impersonate", w.client.ID, carla.ID), url.Values{}))
	w.a.clock.Advance(59 * time.Minute)
	b.get("/")
	b.assertContains("you are acting as")
	w.a.clock.Advance(time.Minute)
	b.get("/")
	if strings.Contains(b.body, "you are acting as") {
		t.Error("the impersonation outlived its hour")
	}
	b.assertContains("Your hour acting as carla@client.test is over")
	if es, _, _ := w.a.db.ListAudit(ctx, store.AuditFilter{Action: "impersonation.ended", Limit: 10}); len(es) != 1 || es[0].ActorEmail != adminEmail {
		t.Errorf("end entries: %+v", es)
	}
}
