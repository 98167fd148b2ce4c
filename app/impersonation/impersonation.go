// Package impersonation holds the rules of acting as another user (DESIGN §8): who may
// impersonate whom, and for how long. It knows neither HTTP nor SQL.
package impersonation

import "time"

// Limit is how long an impersonation lasts before the session returns to its own user.
const Limit = time.Hour

// Organization kinds and roles, as the store names them.
const (
	KindVendor      = "vendor"
	KindDistributor = "distributor"
	KindClient      = "client"
	RoleOwner       = "owner"
)

// Membership is a person's place in one organization.
type Membership struct {
	OrgID    int64
	Kind     string
	ParentID int64 // the organization above; 0 for the vendor
	Role     string
}

// Person is a user with their memberships.
type Person struct {
	ID          int64
	Active      bool
	Memberships []Membership
}

// Verdict is the answer to "may this person act as that one?": "" when they may, else why not,
// in a sentence the refused person reads.
type Verdict string

// Allowed is the verdict of a permitted impersonation.
const Allowed Verdict = ""

// May decides whether actor may impersonate target. Staff may act as anyone who is not staff; an
// owner of a distributor may act as a user all of whose organizations are that distributor's
// clients; nobody else may, and nobody acts as themselves or as a deactivated account.
func May(actor, target Person) Verdict {
	switch {
	case actor.ID == target.ID:
		return "You cannot impersonate yourself."
	case !target.Active:
		return "This account is deactivated: it cannot be used, even by impersonation."
	case isStaff(target):
		return "Nobody may impersonate staff."
	case isStaff(actor):
		return Allowed
	}
	for _, m := range actor.Memberships {
		if m.Kind == KindDistributor && m.Role == RoleOwner && whollyInside(target, m.OrgID) {
			return Allowed
		}
	}
	return "You may impersonate only users all of whose organizations are clients of a distributor you own."
}

// whollyInside tells whether every organization of p is a client of the distributor.
func whollyInside(p Person, distributorID int64) bool {
	if len(p.Memberships) == 0 {
		return false
	}
	for _, m := range p.Memberships {
		if m.Kind != KindClient || m.ParentID != distributorID {
			return false
		}
	}
	return true
}

func isStaff(p Person) bool {
	for _, m := range p.Memberships {
		if m.Kind == KindVendor {
			return true
		}
	}
	return false
}

// Expired tells whether an impersonation started at since is over at now.
func Expired(since, now time.Time) bool {
	return !now.Before(since.Add(Limit))
}
