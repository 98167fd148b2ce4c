package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserProductAndDeviceJourney: staff edit a product on its page (a new feature, borrowing
// on a floating one) and see the public key; a client owner deactivates a silent device after
// confirming, and sees a borrowed seat with its warning.
func TestBrowserProductAndDeviceJourney(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := newChrome(t)
	confirmed := acceptDialogs(ctx)
	do(t, ctx,
		chromedp.Navigate(w.a.url+"/products"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//a[normalize-space()="Edit Octopus"]`),
		chromedp.Click(`//a[normalize-space()="Edit Octopus"]`),
		chromedp.WaitVisible(`//h2[.="Edit the product"]`),
	)
	if got := run(t, ctx, chromedp.Text(chromedp.ID("public-key"))); got != w.a.srv.signer.PublicKey() {
		t.Errorf("public key shown %q, want %q", got, w.a.srv.signer.PublicKey())
	}
	do(t, ctx,
		chromedp.SetValue(chromedp.ID("name"), "Octopus Suite"),
		chromedp.SetValue(`//input[@name="feature_borrow.1"]`, "24"),
		chromedp.SendKeys(`//input[@name="feature_code.3"]`, "fax"),
		chromedp.SendKeys(`//input[@name="feature_name.3"]`, "Fax"),
		chromedp.Click(`//button[normalize-space()="Save the product"]`),
		chromedp.WaitVisible(`//*[contains(., "The product was saved")]`),
	)
	p := w.mustAPI(w.admin, http.MethodGet, "/api/v1/products", http.StatusOK, nil)["products"].([]any)[0].(map[string]any)
	if fs := p["features"].([]any); p["name"] != "Octopus Suite" || len(fs) != 4 || fs[1].(map[string]any)["max_borrow_hours"] != 24.0 {
		t.Errorf("after the form: %v", p)
	}

	id, key := w.newLicense(nil)
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "old-kiosk"})
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "laptop"})
	if status, out := w.device(key, "/api/v1/features/borrow", map[string]any{"fingerprint": "laptop", "feature": "voice", "hours": 12}); status != 200 {
		t.Fatalf("borrow: %d %v", status, out)
	}
	do(t, ctx,
		chromedp.Click(`//button[normalize-space()="Sign out"]`),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.Navigate(fmt.Sprintf("%s/licenses/%d?tab=modules", w.a.url, id)),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), w.clientOwner),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//td[contains(., "borrowed until")]`),
		chromedp.Navigate(fmt.Sprintf("%s/licenses/%d?tab=assignments", w.a.url, id)),
		chromedp.WaitVisible(`//tr[contains(., "old-kiosk")]//button[normalize-space()="Deactivate"]`),
		chromedp.Click(`//tr[contains(., "old-kiosk")]//button[normalize-space()="Deactivate"]`),
		chromedp.WaitVisible(`//tr[contains(., "old-kiosk") and contains(., "Deactivated")]`),
	)
	if msg := <-confirmed; !strings.Contains(msg, "Deactivate the device old-kiosk?") {
		t.Errorf("confirmation %q", msg)
	}
	if _, out := w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "old-kiosk"}); out["code"] != "DEVICE_NOT_ACTIVATED" {
		t.Errorf("validate after the deactivation: %v", out)
	}
}
