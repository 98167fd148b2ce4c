package app

// Impersonation (DESIGN §8): staff, and the owners of a distributor for users wholly inside its
// clients, act as another user to see what they see. The rule of who may act as whom is
// app/impersonation's; this file keeps the session's side: start, stop, the one-hour limit, the
// audit mark on every write (store.WithImpersonator) and, in guarded, the one refusal of every
// route marked Credentials.

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/impersonation"
	"keyward/store"
)

const (
	localImpersonator = "impersonator"   // *store.User really acting, while the session acts as another
	localActingUntil  = "acting_until"   // time.Time the impersonation ends
	localActingOrg    = "acting_org"     // int64: the organization it was started from
	localActingEnded  = "acting_expired" // string: whom an impersonation that just ran out was of
)

func (s *Server) routeImpersonation() {
	s.route(fiber.MethodPost, "/impersonation/stop", guard{Action: ActionSignedIn, BeforeTerms: true, BeforeTwoFactor: true},
		s.stopImpersonation)
}

// errImpersonating refuses what nobody may do as someone else: change their password, email, API
// tokens, second factor or terms acceptance.
var errImpersonating = &Error{Status: http.StatusForbidden, Code: "IMPERSONATING",
	Message: "While acting as someone else you cannot change their password, email, API tokens, two-factor sign-in or terms acceptance. Stop impersonating first."}

// impersonatorOf is the user really acting when the session acts as another, or nil.
func impersonatorOf(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(localImpersonator).(*store.User)
	return u
}

// actAs applies a session's impersonation to the request: the user it acts as becomes the
// current user, and every audit entry written names the impersonator too. An impersonation past
// its hour, or of an account since deactivated, ends here, audited, and the session is its own
// user's again. It returns the user the request runs as.
func (s *Server) actAs(c *fiber.Ctx, sess store.Session, real *store.User) (*store.User, error) {
	ctx := c.UserContext()
	target, err := s.db.FindUser(ctx, sess.ActingAs)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return nil, err
	}
	expired := impersonation.Expired(sess.ActingSince, s.clock.Now())
	if err == nil && target.Active && !expired {
		c.Locals(localImpersonator, real)
		c.Locals(localActingUntil, sess.ActingSince.Add(impersonation.Limit))
		c.Locals(localActingOrg, sess.ActingOrgID)
		c.SetUserContext(store.WithImpersonator(ctx, real.ID, real.Email))
		return &target, nil
	}
	audit := store.AuditEntry{ActorUserID: real.ID, ActorEmail: real.Email, OrgID: sess.ActingOrgID, IP: clientIP(c),
		Action: "impersonation.ended", Target: target.Name, Details: target.Email}
	if !expired {
		audit.Details += " (account deactivated)"
	}
	if err := s.db.StopImpersonation(ctx, sess.IDHash, audit); err != nil {
		return nil, err
	}
	c.Locals(localActingEnded, target.Name)
	return real, nil
}

// personOf is a user with their memberships, as the impersonation rule sees them.
func (s *Server) personOf(c *fiber.Ctx, u store.User) (impersonation.Person, error) {
	ms, err := s.db.Memberships(c.UserContext(), u.ID)
	if err != nil {
		return impersonation.Person{}, err
	}
	p := impersonation.Person{ID: u.ID, Active: u.Active}
	for _, m := range ms {
		p.Memberships = append(p.Memberships, impersonation.Membership{OrgID: m.Org.ID, Kind: m.Org.Kind,
			ParentID: m.Org.ParentID, Role: m.Role})
	}
	return p, nil
}

func mayImpersonate(actor, target impersonation.Person) bool {
	return impersonation.May(actor, target) == impersonation.Allowed
}

// startImpersonation makes the session act as a member of the organization, when the rule
// allows it; a user who is not a member of it does not exist here (404).
// POST /orgs/:id/members/:uid/impersonate
func (s *Server) startImpersonation(c *fiber.Ctx) error {
	if impersonatorOf(c) != nil {
		return &Error{Status: http.StatusForbidden, Code: "IMPERSONATING", Message: "You are already acting as someone else: stop first."}
	}
	org := guardedOrg(c)
	uid, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	ctx := c.UserContext()
	m, err := s.db.FindMember(ctx, org.ID, uid)
	if err != nil {
		return err
	}
	actorPerson, err := s.personOf(c, *currentUser(c))
	if err != nil {
		return err
	}
	targetPerson, err := s.personOf(c, m.User)
	if err != nil {
		return err
	}
	if v := impersonation.May(actorPerson, targetPerson); v != impersonation.Allowed {
		return &Error{Status: http.StatusForbidden, Code: "FORBIDDEN", Message: string(v)}
	}
	raw, _ := c.Locals(localSessionID).(string)
	audit := s.auditEntry(c, "impersonation.started")
	audit.OrgID, audit.Target, audit.Details = org.ID, m.User.Name, m.User.Email
	if err := s.db.StartImpersonation(ctx, digest(raw), m.User.ID, org.ID, audit); err != nil {
		return err
	}
	return c.Redirect("/?notice=impersonating", http.StatusSeeOther)
}

// stopImpersonation returns the session to its own user, back on the users tab it started from.
// POST /impersonation/stop
func (s *Server) stopImpersonation(c *fiber.Ctx) error {
	real := impersonatorOf(c)
	if real == nil {
		return c.Redirect("/", http.StatusSeeOther)
	}
	target := currentUser(c)
	orgID, _ := c.Locals(localActingOrg).(int64)
	raw, _ := c.Locals(localSessionID).(string)
	audit := store.AuditEntry{ActorUserID: real.ID, ActorEmail: real.Email, OrgID: orgID, IP: clientIP(c),
		Action: "impersonation.stopped", Target: target.Name, Details: target.Email}
	if err := s.db.StopImpersonation(c.UserContext(), digest(raw), audit); err != nil {
		return err
	}
	if orgID != 0 {
		return c.Redirect(fmt.Sprintf("/orgs/%d?tab=users&notice=impersonation-stopped", orgID), http.StatusSeeOther)
	}
	return c.Redirect("/?notice=impersonation-stopped", http.StatusSeeOther)
}

// impersonationBanner is what the layout's banner says while the session acts as someone else.
type impersonationBanner struct {
	Impersonator, User string
	Until              time.Time
}
