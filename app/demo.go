package app

import (
	"context"
	"errors"
	"fmt"
	"io"

	"keyward/store"
)

// DemoPassword is the password of every demo account; it is printed at start and in the README.
const DemoPassword = "keyward-demo"

type demoUser struct{ email, name, role string }

type demoOrg struct {
	org   store.Org
	users []demoUser
}

// demoStaff is the demo's vendor staff member; the distributor and its clients follow.
var demoStaff = demoUser{"sam@keyward.example", "Sam Support", store.RoleOwner}

func demoOrgs() []demoOrg {
	return []demoOrg{
		{store.Org{Kind: store.KindDistributor, Name: "Northwind Distribution", Email: "office@northwind.example",
			Phone: "+33 1 44 55 66 77", Address: "12 rue de la Paix", Zip: "75002", City: "Paris", Country: "FR", TaxID: "FR40303265045"},
			[]demoUser{{"dora@northwind.example", "Dora Distributor", store.RoleOwner}, {"dan@northwind.example", "Dan Sales", store.RoleMember}}},
		{store.Org{Kind: store.KindClient, Name: "Contoso Hotels", Email: "it@contoso.example",
			Phone: "+49 30 1234567", Address: "Unter den Linden 5", Zip: "10117", City: "Berlin", Country: "DE", TaxID: "DE123456789"},
			[]demoUser{{"carla@contoso.example", "Carla Client", store.RoleOwner}, {"max@contoso.example", "Max Member", store.RoleMember}}},
		{store.Org{Kind: store.KindClient, Name: "Fabrikam Clinics", Email: "admin@fabrikam.example",
			Phone: "+34 91 555 0101", Address: "Calle Mayor 1", Zip: "28013", City: "Madrid", Country: "ES", TaxID: "ESB12345678"},
			[]demoUser{{"fiona@fabrikam.example", "Fiona Owner", store.RoleOwner}}},
	}
}

// LoadDemo fills a freshly bootstrapped database with demo organizations and users.
func (s *Server) LoadDemo(ctx context.Context) error {
	vendor, err := s.db.FindVendor(ctx)
	if err != nil {
		return err
	}
	hash := s.passwords.hash(DemoPassword)
	if err := s.db.CreateUser(ctx, &store.User{Email: demoStaff.email, Name: demoStaff.name, PasswordHash: hash}, vendor.ID, demoStaff.role); err != nil {
		return err
	}
	var distributorID int64
	created := map[string]store.Org{}
	for _, d := range demoOrgs() {
		d.org.ParentID = vendor.ID
		if d.org.Kind == store.KindClient {
			d.org.ParentID = distributorID
		}
		if err := s.db.CreateOrg(ctx, &d.org); err != nil {
			return err
		}
		if d.org.Kind == store.KindDistributor {
			distributorID = d.org.ID
		}
		created[d.org.Name] = d.org
		for _, u := range d.users {
			if err := s.db.CreateUser(ctx, &store.User{Email: u.email, Name: u.name, PasswordHash: hash}, d.org.ID, u.role); err != nil {
				return err
			}
		}
	}
	if err := s.loadDemoAccounts(ctx, created); err != nil {
		return err
	}
	if err := s.loadDemoLicenses(ctx); err != nil {
		return err
	}
	if err := s.loadDemoUsage(ctx); err != nil {
		return err
	}
	return s.loadDemoInvoices(ctx)
}

// PrintDemoSignIns lists the demo accounts, if this database holds them.
func (s *Server) PrintDemoSignIns(ctx context.Context, out io.Writer) error {
	if _, err := s.db.FindUserByEmail(ctx, demoStaff.email); errors.Is(err, store.ErrNotFound) {
		return nil
	} else if err != nil {
		return err
	}
	fmt.Fprintf(out, "Demo sign-ins (password %q for all):\n", DemoPassword)
	fmt.Fprintf(out, "  %-26s %s, vendor staff (%s)\n", demoStaff.email, demoStaff.name, demoStaff.role)
	for _, d := range demoOrgs() {
		for _, u := range d.users {
			fmt.Fprintf(out, "  %-26s %s, %s of %s (%s)\n", u.email, u.name, u.role, d.org.Name, d.org.Kind)
		}
	}
	fmt.Fprintln(out, demoAccountsNote)
	return nil
}
