package app

import (
	"context"

	"keyward/store"
)

// demoTerms is the demo's published terms: every demo user accepts them at first sign-in.
const demoTerms = `# Keyward demo terms

These are **demo** terms and conditions. Accept them to use the portal.

## What you agree to
- Licenses are used by the organization they were issued to.
- Usage is reported honestly, every 20 seconds.
- Invoices are paid within *30 days*.

Questions? See [the Keyward website](https://keyward.example/terms).`

// demoAccountsNote ends the list of demo sign-ins.
const demoAccountsNote = `  max@contoso.example is also a member of Fabrikam Clinics (see the organization switcher).
  Every demo user accepts the terms at first sign-in. A pending invitation of new.colleague@contoso.example
  waits in Contoso Hotels; its link is on the staff Outbox page.`

// loadDemoAccounts adds what issue 3 shows: a user in two organizations, a pending invitation
// (its link is in the outbox page and the log) and published terms.
func (s *Server) loadDemoAccounts(ctx context.Context, orgs map[string]store.Org) error {
	contoso, fabrikam := orgs["Contoso Hotels"], orgs["Fabrikam Clinics"]
	maxUser, err := s.db.FindUserByEmail(ctx, "max@contoso.example")
	if err != nil {
		return err
	}
	if err := s.db.JoinOrg(ctx, maxUser.ID, fabrikam.ID, store.RoleMember, nil,
		store.AuditEntry{Action: "invitation.joined", Target: maxUser.Email, Details: store.RoleMember}); err != nil {
		return err
	}
	carla, err := s.db.FindUserByEmail(ctx, "carla@contoso.example")
	if err != nil {
		return err
	}
	token := randomToken()
	mail, err := s.email("new.colleague@contoso.example", "invitation", map[string]any{"Org": contoso.Name, "Inviter": carla.Name,
		"InviterEmail": carla.Email, "Role": store.RoleMember, "Link": s.baseURL() + "/invitations/" + token,
		"Days": int(invitationTTL.Hours() / 24)})
	if err != nil {
		return err
	}
	inv := store.Invitation{OrgID: contoso.ID, Email: "new.colleague@contoso.example", Role: store.RoleMember, InvitedBy: carla.ID}
	if err := s.db.CreateInvitation(ctx, &inv, digest(token), invitationTTL, []store.Email{mail},
		store.AuditEntry{ActorUserID: carla.ID, ActorEmail: carla.Email, Action: "invitation.sent", Target: inv.Email, Details: inv.Role}); err != nil {
		return err
	}
	terms := store.TermsVersion{Label: "2026-11", EffectiveOn: s.clock.Now().UTC().Format("2006-01-02"), Format: "markdown", Body: demoTerms}
	return s.db.PublishTerms(ctx, &terms, store.AuditEntry{ActorEmail: demoStaff.email, Action: "terms.published"})
}
