package app

import (
	"context"
	"testing"

	"keyward/store"
)

func TestDemoLicensesCoverEveryStatus(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	if err := a.srv.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	ls, _, err := a.db.Licenses(ctx, store.LicenseFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[string]int{}
	notified := 0
	for _, l := range ls {
		statuses[l.Status]++
		ns, err := a.db.LicenseNotifications(ctx, l.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l.Status == store.StatusInUse && l.EndDate <= addDays(civilDay(a.clock.Now()), 30) {
			notified += len(ns)
		}
	}
	for _, s := range licenseStatuses {
		if statuses[s] == 0 {
			t.Errorf("no demo license is %s (%v)", s, statuses)
		}
	}
	if notified == 0 {
		t.Error("no demo license ending within 30 days has its notification")
	}
	if on, err := a.db.TwoFactorRequired(ctx); err != nil || on {
		t.Errorf("the demo requires two-factor sign-in (%v, %v): it must leave it off", on, err)
	}
	b := a.browser()
	b.signIn("dora@northwind.example", DemoPassword)
	b.follow(b.get("/licenses?ending_within=30")) // the demo terms come first
	b.acceptTerms()
	b.assertContains("MAD-SOL", "Fabrikam Clinics")
}
