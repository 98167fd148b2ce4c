package app

import (
	"context"
	"fmt"
	"time"

	"keyward/store"
)

// loadDemoLicenses adds a product with features (two floating) and licenses of Northwind's
// clients in every status, with devices, one ending within 30 days with its notification.
func (s *Server) loadDemoLicenses(ctx context.Context) error {
	clients, err := s.db.ClientOrgs(ctx)
	if err != nil {
		return err
	}
	byName := map[string]store.Org{}
	for _, o := range clients {
		byName[o.Name] = o
	}
	contoso, fabrikam := byName["Contoso Hotels"], byName["Fabrikam Clinics"]
	if contoso.ID == 0 || fabrikam.ID == 0 {
		return fmt.Errorf("demo clients missing")
	}
	p := store.Product{Code: "octopus", Name: "Octopus Hospitality", StartThreshold: 5, ExcludedServices: []string{"elasticsearch", "kibana"},
		Features: []store.Feature{
			{Code: "core", Name: "Core platform"},
			{Code: "analytics", Name: "Analytics"},
			{Code: "voice", Name: "Voice assistant", Floating: true, MaxSimultaneousUsers: 5, FloatingTimeoutMinutes: 15},
			{Code: "video", Name: "Video concierge", Floating: true, MaxSimultaneousUsers: 3, FloatingTimeoutMinutes: 30},
		}}
	if err := s.db.CreateProduct(ctx, &p, store.AuditEntry{ActorEmail: demoStaff.email, Action: "product.created"}); err != nil {
		return err
	}
	by := store.Actor{Email: "dora@northwind.example"}
	today := s.clock.Now().UTC()
	day := func(d int) string { return civilDay(today.AddDate(0, 0, d)) }
	intp := func(n int) *int { return &n }
	features := func(codes ...string) []store.LicenseFeature {
		var fs []store.LicenseFeature
		for _, c := range codes {
			f, _ := p.Feature(c)
			fs = append(fs, store.LicenseFeature{Feature: f})
		}
		return fs
	}
	type demoLicense struct {
		org      store.Org
		status   string
		start    string
		location string
		devices  int
		deny     string
		aps      *int
		rooms    *int
		features []string
	}
	demo := []demoLicense{
		{contoso, store.StatusInUse, day(-200), "BER-MITTE", 6, "", intp(120), intp(300), []string{"core", "analytics", "voice", "video"}},
		{contoso, store.StatusPendingStart, "", "BER-AIRPORT", 2, "", intp(40), nil, []string{"core", "voice"}},
		{fabrikam, store.StatusInUse, day(-365 + 20), "MAD-SOL", 5, "", intp(30), intp(60), []string{"core", "video"}}, // ends within 30 days
		// Denied by loadDemoInvoices, once its prepaid invoice is long overdue.
		{fabrikam, store.StatusAccessDenied, day(-100), "MAD-NORTE", 5, "", nil, intp(80), []string{"core"}},
		{contoso, store.StatusContractFinalized, day(-375), "HAM-HAFEN", 5, "", intp(50), nil, []string{"core", "analytics"}},
		{store.Org{ParentID: contoso.ParentID}, store.StatusPendingProvision, "", "SPARE-01", 0, "", nil, nil, []string{"core"}},
	}
	for i, d := range demo {
		l := store.License{ProductID: p.ID, OrgID: d.org.ID, DistributorID: d.org.ParentID, StartThreshold: 5, TermYears: 1,
			Terms: store.Terms{PrepaidCores: 4 + i, PrepaidCorePrice: 10000, ExtraCorePrice: 15000, EscalationFactor: "0.33",
				Currency: "EUR", InvoicingPeriod: "monthly", PaymentPeriod: "annual"},
			Location: d.location, Partner: "Integrator AG", MaxAPs: d.aps, MaxRooms: d.rooms, MaxDevices: intp(20),
			Features: features(d.features...), Status: store.StatusPendingStart}
		if d.org.ID == 0 {
			l.Status = store.StatusPendingProvision
		}
		if d.start != "" {
			l.Status, l.StartDate, l.EndDate = store.StatusInUse, d.start, addYears(d.start, 1)
		}
		s.newLicenseKey(&l)
		if err := s.db.CreateLicense(ctx, &l, by, "demo"); err != nil {
			return err
		}
		var deviceIDs []int64
		for n := range d.devices {
			setup := d.location
			if names := demoDeviceSetups[d.location]; len(names) > 0 {
				setup = names[n%len(names)]
			}
			a := store.Activation{Fingerprint: fmt.Sprintf("%s-node-%02d", d.location, n+1), Setup: setup,
				Name: fmt.Sprintf("Gateway %d", n+1)}
			if n == 0 && (d.aps != nil || d.rooms != nil) {
				a.Elements = &store.Elements{}
				if d.aps != nil {
					a.Elements.APs = *d.aps * 3 / 4
				}
				if d.rooms != nil {
					a.Elements.Rooms = *d.rooms / 2
				}
			}
			dv, _, err := s.db.ActivateDevice(ctx, l.ID, a, func(store.ActivationCheck) error { return nil }, addYears)
			if err != nil {
				return err
			}
			deviceIDs = append(deviceIDs, dv.ID)
		}
		// Two devices hold seats of the floating features the license enables.
		for _, f := range l.Features {
			for _, dv := range deviceIDs[:min(2, len(deviceIDs))] {
				if _, err := s.db.CheckFeature(ctx, l.ID, f.ID, dv, f.Floating, f.Max(), time.Duration(f.Timeout())*time.Minute); err != nil {
					return err
				}
			}
		}
		if d.deny != "" {
			if err := s.denyDemoLicense(ctx, l.ID, d.deny); err != nil {
				return err
			}
		}
	}
	// Cut off the license that has ended and send the due expiry notifications.
	return s.licenseLifecycle(ctx)
}

// denyDemoLicense denies access to a demo license, as its distributor would.
func (s *Server) denyDemoLicense(ctx context.Context, id int64, reason string) error {
	_, err := s.db.ChangeLicense(ctx, id, store.Actor{Email: "dora@northwind.example"}, func(l *store.License, now time.Time) (store.LicenseChange, error) {
		evs, err := applyLifecycle(l, lifecycleRequest{Action: actDeny, Reason: reason}, now)
		return store.LicenseChange{Events: evs}, err
	})
	return err
}

// demoDeviceSetups are the setups the devices of a demo location belong to, the same setups that
// report its usage (demo_usage.go), so a license's devices and its usage tell one story: MAD-SOL
// runs on two setups, MAD-NORTE has moved to its new one. Other locations have one setup, named
// like the location.
var demoDeviceSetups = map[string][]string{
	"MAD-SOL":   {"MAD-SOL-A", "MAD-SOL-B"},
	"MAD-NORTE": {"MAD-NORTE-NEW"},
}
