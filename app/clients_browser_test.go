package app

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyward/store"
)

// TestBrowserClientsJourney: a distributor filters its clients, switches to cards, opens one,
// impersonates its owner after confirming, sees the banner, and stops.
func TestBrowserClientsJourney(t *testing.T) {
	w := newClientsWorld(t)
	w.a.createUser("anna@alpha.test", "Anna Alpha", w.alpha, store.RoleOwner)
	ctx := newChrome(t)
	confirmed := acceptDialogs(ctx)
	do(t, ctx,
		chromedp.Navigate(w.a.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), w.distOwner),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
		chromedp.Click(`//nav//a[normalize-space()="Organizations"]`),
		chromedp.WaitVisible(chromedp.ID("f-country")),
		chromedp.SetValue(chromedp.ID("f-country"), "DE"),
		chromedp.SetValue(chromedp.ID("f-status"), "active"),
		chromedp.Click(`//button[normalize-space()="Apply"]`),
		chromedp.WaitVisible(`//p[contains(., "1 in all")]`),
	)
	if got := run(t, ctx, chromedp.Location()); !strings.Contains(got, "country=DE") || !strings.Contains(got, "status=active") {
		t.Errorf("filtered list at %q", got)
	}
	list := run(t, ctx, chromedp.Text(chromedp.CSS("main")))
	if !strings.Contains(list, "Alpha Clinics") || strings.Contains(list, "Bravo Bank") || strings.Contains(list, "Charlie") {
		t.Errorf("the filtered list reads:\n%s", list)
	}
	do(t, ctx,
		chromedp.Click(`//button[normalize-space()="Cards"]`),
		chromedp.WaitVisible(`//li[@class="client-card"]//a[normalize-space()="Alpha Clinics"]`),
	)
	if got := run(t, ctx, chromedp.Location()); !strings.Contains(got, "country=DE") {
		t.Errorf("after choosing cards the filters were lost: %q", got)
	}
	card := run(t, ctx, chromedp.Text(`//li[@class="client-card"]`))
	if !strings.Contains(card, "500.00 EUR") || !strings.Contains(card, "Invoices overdue") {
		t.Errorf("the card reads %q", card)
	}
	do(t, ctx,
		chromedp.Click(`//li[@class="client-card"]//a[normalize-space()="Alpha Clinics"]`),
		chromedp.WaitVisible(`//h1[contains(., "Alpha Clinics")]`),
		chromedp.Click(`//nav[@class="tabs"]//a[.="users"]`),
		chromedp.WaitVisible(`//h2[.="Users"]`),
		chromedp.Click(`//tr[contains(., "Anna Alpha")]//button[normalize-space()="Impersonate"]`),
		chromedp.WaitVisible(`//div[@class="impersonation-banner"]`),
	)
	if msg := <-confirmed; !strings.Contains(msg, "Act as Anna Alpha") {
		t.Errorf("confirmation %q", msg)
	}
	banner := run(t, ctx, chromedp.Text(`//div[@class="impersonation-banner"]`))
	if !strings.Contains(banner, "you are acting as Anna Alpha") || !strings.Contains(banner, "dora@dist.test") {
		t.Errorf("the banner reads %q", banner)
	}
	if home := run(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(home, "Welcome, Anna Alpha") {
		t.Errorf("while impersonating the home page reads:\n%s", home)
	}
	do(t, ctx,
		chromedp.Click(`//button[normalize-space()="Stop impersonating"]`),
		chromedp.WaitVisible(`//p[contains(., "You stopped impersonating")]`),
	)
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll(".impersonation-banner").length`)); n != 0 {
		t.Error("the banner stays after Stop")
	}
	if got := run(t, ctx, chromedp.Location()); !strings.Contains(got, "tab=users") {
		t.Errorf("after Stop at %q, want the users tab", got)
	}
	// The cards are remembered.
	do(t, ctx, chromedp.Navigate(w.a.url+"/orgs"), chromedp.WaitVisible(`//ul[@class="client-cards"]`))

	// On a phone nothing scrolls sideways: the list, the cards, a client's tabs, the banner.
	do(t, ctx, chromedp.EmulateViewport(390, 844))
	for _, path := range []string{"/orgs", "/orgs?kind=client&sort=-balance", "/", fmt.Sprintf("/orgs/%d", w.alpha.ID),
		fmt.Sprintf("/orgs/%d?tab=users", w.alpha.ID), fmt.Sprintf("/orgs/%d?tab=activity", w.alpha.ID)} {
		do(t, ctx, chromedp.Navigate(w.a.url+path), chromedp.WaitVisible(`//h1`))
		if wide := run(t, ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); wide > 390 {
			t.Errorf("%s at 390 px is %d px wide", path, wide)
		}
	}
	do(t, ctx, chromedp.Navigate(w.a.url+"/orgs"), chromedp.WaitVisible(`//h1`),
		chromedp.Click(`//button[normalize-space()="List"]`), chromedp.WaitVisible(`//table`))
	if wide := run(t, ctx, chromedp.Evaluate[int64](`document.documentElement.scrollWidth`)); wide > 390 {
		t.Errorf("the list at 390 px is %d px wide", wide)
	}
}
