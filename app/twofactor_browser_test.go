package app

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"keyward/app/totp"
)

// TestBrowserTwoFactorJourney: staff turn two-factor sign-in on from their profile with the
// key the page shows, keep the recovery codes, sign out, and sign in with password and code.
func TestBrowserTwoFactorJourney(t *testing.T) {
	a := newTestApp(t)
	ctx := newChrome(t)
	do(t, ctx,
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
		chromedp.Click(`//a[normalize-space()="Profile"]`),
		chromedp.WaitVisible(`//a[normalize-space()="Turn on two-factor sign-in"]`),
		chromedp.Click(`//a[normalize-space()="Turn on two-factor sign-in"]`),
		chromedp.WaitVisible(chromedp.ID("totp-secret")),
	)
	// The QR code is drawn: the CSP lets the server's inline image through.
	if w := run(t, ctx, chromedp.Evaluate[int](`document.querySelector(".qr img").naturalWidth`)); w < 200 {
		t.Errorf("the QR code did not draw (natural width %d)", w)
	}
	secret, err := totp.DecodeSecret(run(t, ctx, chromedp.Text(chromedp.ID("totp-secret"))))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("code"), totp.Code(secret, a.clock.Now())),
		chromedp.Click(`//button[normalize-space()="Turn on"]`),
		chromedp.WaitVisible(chromedp.ID("recovery-codes")),
	)
	if n := run(t, ctx, chromedp.Evaluate[int](`document.querySelectorAll("#recovery-codes li").length`)); n != 10 {
		t.Errorf("%d recovery codes shown, want 10", n)
	}
	do(t, ctx,
		chromedp.Click(`//a[contains(., "I have saved them")]`),
		chromedp.WaitVisible(`//h1[.="Your profile"]`),
		chromedp.Click(`//button[normalize-space()="Sign out"]`),
		chromedp.WaitVisible(chromedp.ID("email")),
	)

	a.clock.Advance(totp.Period)
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//h1[.="Two-factor sign-in"]`),
	)
	if got := run(t, ctx, chromedp.Location()); !strings.HasSuffix(got, "/login/2fa") {
		t.Errorf("after the password: %q, want /login/2fa", got)
	}
	do(t, ctx,
		chromedp.SendKeys(chromedp.ID("code"), totp.Code(secret, a.clock.Now())+"\n"),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
	)
}
