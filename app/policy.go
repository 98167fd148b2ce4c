package app

import (
	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// Action is what a user asks to do with an organization or its objects. The policy of
// DESIGN §1 decides, in allowed; nothing else checks roles.
type Action string

// The actions of the role × action table of DESIGN §1.
const (
	ActionPublic         Action = "public"          // anyone, signed in or not (sign-in page, health)
	ActionSignedIn       Action = "signed_in"       // any signed-in user; the handler shows only their own things
	ActionView           Action = "view"            // see the org: licenses, devices, usage, cost, invoices, members
	ActionInvite         Action = "invite"          // invite into the org
	ActionRevokeSeat     Action = "revoke_seat"     // release a device's floating seat
	ActionManageDevices  Action = "manage_devices"  // deactivate a device, download its offline license file (DESIGN §9)
	ActionRevealKey      Action = "reveal_key"      // see the full license key, download the activation PDF
	ActionRequestLicense Action = "request_license" // ask the distributor for a new license or a renewal
	ActionManageLicenses Action = "manage_licenses" // create/edit licenses, regenerate keys, change their status
	ActionManageClients  Action = "manage_clients"  // create (target: the distributor), edit and suspend clients
	ActionManageMembers  Action = "manage_members"  // change roles, remove users, see the org's audit log
	// ActionManageInvoices is the issuer's work on a client's invoices (DESIGN §7): see drafts, create,
	// edit, issue, void, upload PDFs, record payments and journal entries.
	ActionManageInvoices Action = "manage_invoices"
	// ActionInvoicingSettings changes an issuer's invoicing settings (target: the distributor or vendor).
	ActionInvoicingSettings Action = "invoicing_settings"
	ActionAdminister        Action = "administer" // vendor things: products, terms, outbox, whole audit log, distributors
	// ActionOverageAlerts turns a license's overage alerts on or off (DESIGN §11).
	ActionOverageAlerts Action = "overage_alerts"
	// ActionManageWebhooks registers, lists, tests and deletes the webhook endpoints of an organization
	// (DESIGN §11; target: the distributor or vendor the endpoints belong to).
	ActionManageWebhooks Action = "manage_webhooks"
	// ActionImpersonate acts as a member of the organization (DESIGN §8). The policy allows it to
	// staff on any organization but the vendor and to a distributor's owners on its clients; the
	// rule of app/impersonation then decides per member (wholly inside the distributor's clients).
	ActionImpersonate Action = "impersonate"
)

// relation is how a user stands to an organization.
type relation int

const (
	relNone              relation = iota // cannot see it: it does not exist for them (404)
	relStaff                             // member of the vendor: sees and manages everything
	relDistributorOwner                  // owner of the distributor, or of the distributor of the client
	relDistributorMember                 // member of the distributor, or of the distributor of the client
	relClientOwner                       // owner of the client
	relClientMember                      // member of the client
)

// access is what a user's memberships allow, worked out once per request.
type access struct {
	staff bool
	roles map[int64]string // org id → the user's role there
}

func newAccess(ms []store.Membership) access {
	a := access{roles: make(map[int64]string, len(ms))}
	for _, m := range ms {
		a.roles[m.Org.ID] = m.Role
		if m.Org.Kind == store.KindVendor {
			a.staff = true
		}
	}
	return a
}

// relation says how the user stands to org, and whether they are a member of org itself
// (rather than of its distributor).
func (a access) relation(org store.Org) (rel relation, own bool) {
	role, own := a.roles[org.ID]
	switch {
	case a.staff:
		return relStaff, own
	case own && org.Kind == store.KindDistributor:
		return pick(role, relDistributorOwner, relDistributorMember), true
	case own && org.Kind == store.KindClient:
		return pick(role, relClientOwner, relClientMember), true
	case org.Kind == store.KindClient && org.ParentID != 0:
		// A distributor's users act on its clients; a client directly under the vendor has none.
		if role, ok := a.roles[org.ParentID]; ok {
			return pick(role, relDistributorOwner, relDistributorMember), false
		}
	}
	return relNone, false
}

func pick(role string, owner, member relation) relation {
	if role == store.RoleOwner {
		return owner
	}
	return member
}

// allowed is the role × action table of DESIGN §1.
func allowed(rel relation, own bool, action Action) bool {
	distributor := rel == relDistributorOwner || rel == relDistributorMember
	switch action {
	case ActionPublic, ActionSignedIn:
		return true
	case ActionView, ActionInvite:
		return rel != relNone
	case ActionRevokeSeat, ActionRevealKey, ActionRequestLicense, ActionOverageAlerts, ActionManageDevices:
		return rel == relStaff || distributor || rel == relClientOwner
	case ActionManageLicenses, ActionManageClients, ActionManageInvoices:
		return rel == relStaff || distributor
	case ActionInvoicingSettings, ActionManageWebhooks:
		return rel == relStaff || (rel == relDistributorOwner && own)
	case ActionManageMembers:
		// DESIGN §1: staff, a client's owners, a distributor's owners in their own organization
		// and its clients, a distributor's members in its clients.
		return rel == relStaff || rel == relClientOwner || rel == relDistributorOwner || (rel == relDistributorMember && !own)
	case ActionImpersonate:
		return (rel == relStaff || rel == relDistributorOwner) && !own
	case ActionAdminister:
		return rel == relStaff
	}
	return false
}

// authorize answers nil when the user may do action to org's objects, errNotFound when
// the org does not exist for them, and errForbidden when their role does not allow it.
func (a access) authorize(action Action, org store.Org) error {
	rel, own := a.relation(org)
	if rel == relNone && action != ActionPublic && action != ActionSignedIn {
		return errNotFound
	}
	if !allowed(rel, own, action) {
		return errForbidden
	}
	return nil
}

// mayChooseRole tells whether the user picks the role of those they invite into org;
// members of the org itself invite members only.
func (a access) mayChooseRole(org store.Org) bool {
	rel, own := a.relation(org)
	return rel == relStaff || rel == relClientOwner || rel == relDistributorOwner ||
		(rel == relDistributorMember && !own)
}

// accessOf is the signed-in (or token) user's access, loaded once per request.
func (s *Server) accessOf(c *fiber.Ctx) (access, error) {
	if a, ok := c.Locals("access").(access); ok {
		return a, nil
	}
	u := currentUser(c)
	if u == nil {
		return access{}, errUnauthorized
	}
	ms, err := s.db.Memberships(c.UserContext(), u.ID)
	if err != nil {
		return access{}, err
	}
	a := newAccess(ms)
	c.Locals("access", a)
	return a, nil
}

// authorize checks the current user's right to do action to org's objects.
func (s *Server) authorize(c *fiber.Ctx, action Action, org store.Org) error {
	a, err := s.accessOf(c)
	if err != nil {
		return err
	}
	return a.authorize(action, org)
}
