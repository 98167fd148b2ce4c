package app

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// invitationTTL is how long an invitation link works (DESIGN §2).
const invitationTTL = 7 * 24 * time.Hour

var errBadInvitation = &Error{Status: http.StatusNotFound, Code: "NOT_FOUND",
	Message: "This invitation link is invalid, has expired or was used already. Ask the person who invited you to send it again."}

func (s *Server) routeInvitations() {
	s.route(fiber.MethodPost, "/orgs/:id/invitations", guard{Action: ActionInvite, Scope: s.orgParam("id")}, s.invite)
	s.route(fiber.MethodPost, "/orgs/:id/invitations/:inv/resend", guard{Action: ActionInvite, Scope: s.orgParam("id")}, s.resendInvitation)
	s.route(fiber.MethodPost, "/orgs/:id/invitations/:inv/revoke", guard{Action: ActionInvite, Scope: s.orgParam("id")}, s.revokeInvitation)
	s.route(fiber.MethodGet, "/invitations/:token", guard{Action: ActionPublic}, s.invitationPage)
	s.route(fiber.MethodPost, "/invitations/:token", guard{Action: ActionPublic}, s.acceptInvitation)
	s.route(fiber.MethodPost, "/api/v1/organizations/:id/invitations", guard{Action: ActionInvite, Scope: s.orgParam("id")}, s.apiInvite)
}

// invitationInput is an invitation from the org page's form or a JSON body.
type invitationInput struct {
	Email string `json:"email" form:"email"`
	Role  string `json:"role" form:"role"`
}

// invitationResult is what an invitation did: a new pending invitation, or an existing
// account that joined at once.
type invitationResult struct {
	ID             int64      `json:"id,omitempty"`
	OrganizationID int64      `json:"organization_id"`
	Email          string     `json:"email"`
	Role           string     `json:"role"`
	Status         string     `json:"status"` // pending or joined
	ExpiresAt      *time.Time `json:"expires_at,omitempty"`
}

// sendInvitation invites in.Email into org: an existing account joins at once and is told by
// email; otherwise the address gets a link to create its account.
func (s *Server) sendInvitation(c *fiber.Ctx, org store.Org, in invitationInput) (invitationResult, error) {
	ctx := c.UserContext()
	email, err := emailField(in.Email, "email")
	if err != nil {
		return invitationResult{}, err
	}
	a, err := s.accessOf(c)
	if err != nil {
		return invitationResult{}, err
	}
	role := strings.TrimSpace(in.Role)
	switch {
	case role == "":
		role = store.RoleMember
	case role != store.RoleOwner && role != store.RoleMember:
		return invitationResult{}, badInput("role", "The role is owner or member.")
	}
	if role == store.RoleOwner && !a.mayChooseRole(org) {
		return invitationResult{}, &Error{Status: http.StatusForbidden, Code: "FORBIDDEN", Field: "role",
			Message: "Members invite members: choose the member role, or ask an owner."}
	}
	inviter := currentUser(c)
	data := map[string]any{"Org": org.Name, "Inviter": inviter.Name, "InviterEmail": inviter.Email, "Role": role}
	audit := s.auditEntry(c, "invitation.sent")
	audit.Target, audit.Details = email, role
	res := invitationResult{OrganizationID: org.ID, Email: email, Role: role}

	user, err := s.db.FindUserByEmail(ctx, email)
	switch {
	case err == nil:
		data["Name"], data["Link"] = user.Name, fmt.Sprintf("%s/orgs/%d", s.baseURL(), org.ID)
		mail, err := s.email(user.Email, "invitation-joined", data)
		if err != nil {
			return res, err
		}
		audit.Action = "invitation.joined"
		err = s.db.JoinOrg(ctx, user.ID, org.ID, role, []store.Email{mail}, audit)
		if errors.Is(err, store.ErrConflict) {
			return res, &Error{Status: http.StatusConflict, Code: "CONFLICT", Field: "email",
				Message: fmt.Sprintf("%s is already a member of %s.", email, org.Name)}
		}
		if err != nil {
			return res, err
		}
		res.Status = "joined"
	case errors.Is(err, store.ErrNotFound):
		token := randomToken()
		data["Link"] = s.baseURL() + "/invitations/" + token
		data["Days"] = int(invitationTTL.Hours() / 24)
		mail, err := s.email(email, "invitation", data)
		if err != nil {
			return res, err
		}
		inv := store.Invitation{OrgID: org.ID, Email: email, Role: role, InvitedBy: inviter.ID}
		if err := s.db.CreateInvitation(ctx, &inv, digest(token), invitationTTL, []store.Email{mail}, audit); err != nil {
			return res, err
		}
		res.ID, res.Status, res.ExpiresAt = inv.ID, "pending", &inv.ExpiresAt
	default:
		return res, err
	}
	s.wakeOutbox()
	return res, nil
}

func (s *Server) baseURL() string { return strings.TrimRight(s.cfg.BaseURL, "/") }

// invite sends an invitation from the organization page.
// POST /orgs/:id/invitations
func (s *Server) invite(c *fiber.Ctx) error {
	org := guardedOrg(c)
	in := invitationInput{Email: c.FormValue("email"), Role: c.FormValue("role")}
	res, err := s.sendInvitation(c, org, in)
	if err != nil {
		return s.renderOrgError(c, org, err, fiber.Map{"Invite": in, "Tab": "users"})
	}
	notice := "invited"
	if res.Status == "joined" {
		notice = "joined"
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=%s", org.ID, notice), http.StatusSeeOther)
}

// apiInvite sends an invitation through the management API.
// POST /api/v1/organizations/:id/invitations
func (s *Server) apiInvite(c *fiber.Ctx) error {
	var in invitationInput
	if err := parseBody(c, &in); err != nil {
		return err
	}
	res, err := s.sendInvitation(c, guardedOrg(c), in)
	if err != nil {
		return err
	}
	return c.Status(http.StatusCreated).JSON(res)
}

// resendInvitation sends a pending invitation again with a new link; the old link stops working.
// POST /orgs/:id/invitations/:inv/resend
func (s *Server) resendInvitation(c *fiber.Ctx) error {
	org := guardedOrg(c)
	id, err := idParam(c, "inv")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	inv, err := s.db.FindPendingInvitation(ctx, org.ID, id)
	if err != nil {
		return err
	}
	inviter := currentUser(c)
	token := randomToken()
	mail, err := s.email(inv.Email, "invitation", map[string]any{"Org": org.Name, "Inviter": inviter.Name,
		"InviterEmail": inviter.Email, "Role": inv.Role, "Link": s.baseURL() + "/invitations/" + token,
		"Days": int(invitationTTL.Hours() / 24)})
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "invitation.resent")
	audit.Target = inv.Email
	if err := s.db.ResendInvitation(ctx, org.ID, id, digest(token), invitationTTL, []store.Email{mail}, audit); err != nil {
		return err
	}
	s.wakeOutbox()
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=invitation-resent", org.ID), http.StatusSeeOther)
}

// revokeInvitation ends a pending invitation.
// POST /orgs/:id/invitations/:inv/revoke
func (s *Server) revokeInvitation(c *fiber.Ctx) error {
	org := guardedOrg(c)
	id, err := idParam(c, "inv")
	if err != nil {
		return err
	}
	inv, err := s.db.FindPendingInvitation(c.UserContext(), org.ID, id)
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "invitation.revoked")
	audit.Target = inv.Email
	if err := s.db.RevokeInvitation(c.UserContext(), org.ID, id, audit); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=invitation-revoked", org.ID), http.StatusSeeOther)
}

// invitationPage shows an invitation and the form that creates the invitee's account.
// GET /invitations/:token
func (s *Server) invitationPage(c *fiber.Ctx) error {
	inv, org, err := s.findInvitation(c)
	if err != nil {
		return err
	}
	return s.render(c, "invitation", fiber.Map{"Title": "Join " + org.Name, "Invitation": inv, "Org": org, "Token": c.Params("token")})
}

func (s *Server) findInvitation(c *fiber.Ctx) (store.Invitation, store.Org, error) {
	inv, err := s.db.FindInvitationByToken(c.UserContext(), digest(c.Params("token")))
	if errors.Is(err, store.ErrNotFound) {
		return inv, store.Org{}, errBadInvitation
	}
	if err != nil {
		return inv, store.Org{}, err
	}
	org, err := s.db.FindOrg(c.UserContext(), inv.OrgID)
	return inv, org, err
}

// acceptInvitation creates the invitee's account with a name and password, signs them in
// and opens the organization.
// POST /invitations/:token
func (s *Server) acceptInvitation(c *fiber.Ctx) error {
	inv, org, err := s.findInvitation(c)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "Join " + org.Name, "Invitation": inv, "Org": org, "Token": c.Params("token"), "Name": c.FormValue("name")}
	name, err := text(c.FormValue("name"), "name", "name", true, 100)
	if err != nil {
		return s.formError(c, "invitation", data, err)
	}
	password := c.FormValue("password")
	if err := s.passwords.validate(password); err != nil {
		return s.formError(c, "invitation", data, badInput("password", "%s", err.Error()))
	}
	user := store.User{Name: name, PasswordHash: s.passwords.hash(password)}
	audit := s.auditEntry(c, "invitation.accepted")
	audit.Target, audit.Details = inv.Email, inv.Role
	_, err = s.db.AcceptInvitation(c.UserContext(), digest(c.Params("token")), &user, audit)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errBadInvitation
	case errors.Is(err, store.ErrConflict):
		return s.formError(c, "invitation", data, &Error{Status: http.StatusConflict, Code: "CONFLICT", Field: "form",
			Message: "An account with this email exists already: sign in with it, and ask to be invited again."})
	case err != nil:
		return err
	}
	if err := s.startSession(c, user, "login", ""); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/orgs/%d", inv.OrgID), http.StatusSeeOther)
}
