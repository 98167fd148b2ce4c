package impersonation

import (
	"testing"
	"time"
)

func TestMay(t *testing.T) {
	const vendor, northwind, southwind, contoso, fabrikam, other = 1, 2, 3, 10, 11, 20
	staff := Person{ID: 1, Active: true, Memberships: []Membership{{OrgID: vendor, Kind: KindVendor, Role: "member"}}}
	distOwner := Person{ID: 2, Active: true, Memberships: []Membership{{OrgID: northwind, Kind: KindDistributor, ParentID: vendor, Role: RoleOwner}}}
	distMember := Person{ID: 3, Active: true, Memberships: []Membership{{OrgID: northwind, Kind: KindDistributor, ParentID: vendor, Role: "member"}}}
	client := func(id int64, orgs ...Membership) Person { return Person{ID: id, Active: true, Memberships: orgs} }
	contosoM := Membership{OrgID: contoso, Kind: KindClient, ParentID: northwind, Role: RoleOwner}
	fabrikamM := Membership{OrgID: fabrikam, Kind: KindClient, ParentID: northwind, Role: "member"}
	otherM := Membership{OrgID: other, Kind: KindClient, ParentID: southwind, Role: "member"}
	carla := client(10, contosoM)
	max := client(11, contosoM, fabrikamM)
	split := client(12, contosoM, otherM)
	deactivated := client(13, contosoM)
	deactivated.Active = false
	otherStaff := Person{ID: 4, Active: true, Memberships: []Membership{{OrgID: vendor, Kind: KindVendor, Role: RoleOwner}}}
	loner := client(14)

	tests := []struct {
		name          string
		actor, target Person
		allowed       bool
	}{
		{"staff → client owner", staff, carla, true},
		{"staff → distributor owner", staff, distOwner, true},
		{"staff → user of no organization", staff, loner, true},
		{"staff → staff", staff, otherStaff, false},
		{"staff → themselves", staff, staff, false},
		{"staff → deactivated account", staff, deactivated, false},
		{"distributor owner → its client's owner", distOwner, carla, true},
		{"distributor owner → user of two of its clients", distOwner, max, true},
		{"distributor owner → user also of a foreign client", distOwner, split, false},
		{"distributor owner → its own distributor's member", distOwner, distMember, false},
		{"distributor owner → staff", distOwner, staff, false},
		{"distributor owner → user of no organization", distOwner, loner, false},
		{"distributor member → its client's owner", distMember, carla, false},
		{"client owner → its colleague", carla, max, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := May(tt.actor, tt.target)
			if got := v == Allowed; got != tt.allowed {
				t.Errorf("May = %q, want allowed %v", v, tt.allowed)
			}
		})
	}
}

func TestExpired(t *testing.T) {
	since := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	for _, tt := range []struct {
		after time.Duration
		want  bool
	}{{0, false}, {59*time.Minute + 59*time.Second, false}, {time.Hour, true}, {2 * time.Hour, true}} {
		if got := Expired(since, since.Add(tt.after)); got != tt.want {
			t.Errorf("Expired after %v = %v, want %v", tt.after, got, tt.want)
		}
	}
}
