package app

import (
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserLicenseJourney: a distributor creates a license in the form, finds it in the list,
// and regenerates its key after confirming the dialog.
func TestBrowserLicenseJourney(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := newChrome(t)
	confirmed := acceptDialogs(ctx)
	do(t, ctx,
		chromedp.Navigate(w.a.url+"/licenses/new"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), w.distOwner),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(chromedp.ID("location")),
		chromedp.SendKeys(chromedp.ID("location"), "BROWSER-1"),
		chromedp.Click(`//input[@name="features" and @value="core"]`),
		chromedp.Click(`//input[@name="features" and @value="video"]`),
		chromedp.SetValue(chromedp.ID("max_aps"), "12"),
		chromedp.Click(`//button[normalize-space()="Create license"]`),
		chromedp.WaitVisible(`//h1[contains(., "License 1")]`),
	)
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(got, "BROWSER-1") || !strings.Contains(got, "0 / 12") || !strings.Contains(got, "shown this once") {
		t.Errorf("the license page reads:\n%s", got)
	}
	// The new license's key is shown once, after its creation; the page shows it masked after.
	created := run(t, ctx, chromedp.Text(chromedp.ID("license-key")))
	if !regexp.MustCompile(`^KW(-[0-9A-Z]{5}){5}$`).MatchString(created) {
		t.Errorf("after creation the key reads %q, want it in full once", created)
	}
	do(t, ctx, chromedp.Navigate(w.a.url+"/licenses/1"), chromedp.WaitVisible(chromedp.ID("license-key")))
	masked := run(t, ctx, chromedp.Text(chromedp.ID("license-key")))
	if !strings.Contains(masked, "•") || masked[len(masked)-5:] != created[len(created)-5:] {
		t.Errorf("opened again, the key reads %q, want it masked, ending as %q", masked, created)
	}
	// Regenerating the key sits in the danger zone, behind its summary and a confirmation.
	do(t, ctx,
		chromedp.Click(`//section[contains(@class, "danger-zone")]//summary[normalize-space()="Regenerate the key"]`),
		chromedp.Click(`//button[normalize-space()="Regenerate key"]`),
		chromedp.WaitVisible(`//span[@id="license-key" and not(contains(., "•"))]`),
	)
	if msg := <-confirmed; !strings.Contains(msg, "Regenerate the key?") {
		t.Errorf("confirmation %q", msg)
	}
	key := run(t, ctx, chromedp.Text(chromedp.ID("license-key")))
	if !regexp.MustCompile(`^KW(-[0-9A-Z]{5}){5}$`).MatchString(key) || key[len(key)-5:] == masked[len(masked)-5:] {
		t.Errorf("after regeneration the key reads %q (before %q)", key, masked)
	}
	if _, out := w.device(key, "/api/v1/validate", nil); out["code"] != "VALID" {
		t.Errorf("the new key: %v", out)
	}
	do(t, ctx,
		chromedp.Navigate(w.a.url+"/licenses?q=browser"),
		chromedp.WaitVisible(`//td[contains(., "BROWSER-1")]`),
	)
}
