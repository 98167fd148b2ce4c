package app

import (
	"testing"

	"keyward/store"
)

// TestPolicyTable checks the role × action table of DESIGN §1, row by row.
func TestPolicyTable(t *testing.T) {
	vendor := store.Org{ID: 1, Kind: store.KindVendor}
	dist := store.Org{ID: 2, Kind: store.KindDistributor, ParentID: 1}
	client := store.Org{ID: 3, Kind: store.KindClient, ParentID: 2}
	otherDist := store.Org{ID: 4, Kind: store.KindDistributor, ParentID: 1}
	otherClient := store.Org{ID: 5, Kind: store.KindClient, ParentID: 4}
	member := func(org store.Org, role string) access {
		return newAccess([]store.Membership{{Org: org, Role: role}})
	}
	users := map[string]access{
		"staff":              member(vendor, store.RoleMember),
		"distributor owner":  member(dist, store.RoleOwner),
		"distributor member": member(dist, store.RoleMember),
		"client owner":       member(client, store.RoleOwner),
		"client member":      member(client, store.RoleMember),
	}
	// The expected answer on the client org, in the order staff, distributor owner, distributor
	// member, client owner, client member: "y" allowed, "-" forbidden (403).
	table := []struct {
		action Action
		want   string
	}{
		{ActionAdminister, "y----"},
		{ActionManageClients, "yyy--"},
		{ActionManageLicenses, "yyy--"},
		{ActionRevealKey, "yyyy-"},
		{ActionView, "yyyyy"},
		{ActionRevokeSeat, "yyyy-"},
		{ActionManageDevices, "yyyy-"}, // owners and distributors deactivate devices and download license files (DESIGN §9)
		{ActionInvite, "yyyyy"},
		{ActionManageMembers, "yyyy-"},     // DESIGN §1: a distributor's owners and members manage its clients' users too
		{ActionImpersonate, "yy---"},       // DESIGN §1, §8: staff, and a distributor's owners in its clients
		{ActionManageInvoices, "yyy--"},    // the issuer's users: clients see issued invoices only (ActionView)
		{ActionInvoicingSettings, "y----"}, // settings are the issuer's, not the client's
		{ActionOverageAlerts, "yyyy-"},     // DESIGN §1's row on overage alerts
		{ActionManageWebhooks, "y----"},    // on a client: nobody but staff (and the handler refuses clients' endpoints)
	}
	order := []string{"staff", "distributor owner", "distributor member", "client owner", "client member"}
	for _, row := range table {
		for i, who := range order {
			err := users[who].authorize(row.action, client)
			want := row.want[i] == 'y'
			if (err == nil) != want || (!want && err != errForbidden) {
				t.Errorf("%s, %s on the client: %v, want allowed=%v (else 403)", who, row.action, err, want)
			}
			// Nobody but staff sees another distributor's client: it does not exist for them (404).
			err = users[who].authorize(row.action, otherClient)
			if who == "staff" && want && err != nil {
				t.Errorf("staff, %s on a foreign client: %v", row.action, err)
			}
			if who != "staff" && err != errNotFound {
				t.Errorf("%s, %s on a foreign client: %v, want 404", who, row.action, err)
			}
		}
	}
	if err := users["distributor owner"].authorize(ActionManageMembers, dist); err != nil {
		t.Errorf("a distributor owner may manage its own org's members: %v", err)
	}
	if err := users["distributor member"].authorize(ActionManageMembers, dist); err != errForbidden {
		t.Errorf("a distributor member manages its own org's members: %v, want 403", err)
	}
	// Impersonation is of users inside clients (distributors) or of anyone but staff.
	for who, org := range map[string]store.Org{"distributor owner": dist, "staff": vendor} {
		if err := users[who].authorize(ActionImpersonate, org); err != errForbidden {
			t.Errorf("%s impersonates in %s: %v, want 403", who, org.Kind, err)
		}
	}
	if err := users["staff"].authorize(ActionImpersonate, dist); err != nil {
		t.Errorf("staff impersonate a distributor's user: %v", err)
	}
	// Invoicing settings are the issuer's owners' (and staff's): not its members'.
	for who, want := range map[string]error{"staff": nil, "distributor owner": nil, "distributor member": errForbidden,
		"client owner": errNotFound, "client member": errNotFound} {
		if err := users[who].authorize(ActionInvoicingSettings, dist); err != want {
			t.Errorf("%s changes the distributor's invoicing settings: %v, want %v", who, err, want)
		}
	}
	// Webhook endpoints are staff's and distributor owners' (DESIGN §11), of their own organization.
	for who, want := range map[string]error{"staff": nil, "distributor owner": nil, "distributor member": errForbidden,
		"client owner": errNotFound, "client member": errNotFound} {
		if err := users[who].authorize(ActionManageWebhooks, dist); err != want {
			t.Errorf("%s manages the distributor's webhooks: %v, want %v", who, err, want)
		}
	}
	if err := users["distributor owner"].authorize(ActionManageWebhooks, otherDist); err != errNotFound {
		t.Errorf("a distributor owner manages another distributor's webhooks: %v, want 404", err)
	}
	if err := users["distributor owner"].authorize(ActionInvoicingSettings, vendor); err != errNotFound {
		t.Errorf("a distributor owner changes the vendor's invoicing settings: %v, want 404", err)
	}
	if err := users["client owner"].authorize(ActionView, dist); err != errNotFound {
		t.Errorf("a client owner sees its distributor: %v, want 404", err)
	}
	if err := users["distributor owner"].authorize(ActionView, otherDist); err != errNotFound {
		t.Errorf("a distributor sees another distributor: %v, want 404", err)
	}
	if err := users["distributor owner"].authorize(ActionView, vendor); err != errNotFound {
		t.Errorf("a distributor sees the vendor org: %v, want 404", err)
	}
	for who, want := range map[string]bool{"staff": true, "distributor owner": true, "distributor member": true, "client owner": true, "client member": false} {
		if got := users[who].mayChooseRole(client); got != want {
			t.Errorf("%s chooses the role of invitees to the client: %v, want %v", who, got, want)
		}
	}
	if users["distributor member"].mayChooseRole(dist) {
		t.Error("a distributor member chooses roles in its own org; members invite members")
	}
}
