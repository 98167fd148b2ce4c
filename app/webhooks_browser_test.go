package app

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"keyward/app/webhook"
)

// TestBrowserWebhookJourney: a distributor owner opens Webhooks from the menu, registers an
// endpoint ticking events by their words, copies the secret shown once, sends a test event, sees
// it delivered with its HTTP status, and deletes the endpoint after confirming.
func TestBrowserWebhookJourney(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	ctx := newChrome(t)
	confirmed := acceptDialogs(ctx)
	do(t, ctx,
		chromedp.Navigate(w.a.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), w.distOwner),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
		chromedp.Click(`//nav//a[normalize-space()="Webhooks"]`),
		chromedp.WaitVisible(`//p[contains(., "No endpoint yet")]`),
		chromedp.SendKeys(chromedp.ID("url"), recv.url()),
		chromedp.Click(`//label[contains(., "A license is created")]/input`),
		chromedp.Click(`//label[contains(., "An invoice is paid in full")]/input`),
		chromedp.Click(`//button[normalize-space()="Register endpoint"]`),
		chromedp.WaitVisible(chromedp.ID("webhook-secret")),
	)
	secret := run(t, ctx, chromedp.Text(chromedp.ID("webhook-secret")))
	if !strings.HasPrefix(secret, "whsec_") {
		t.Fatalf("secret %q", secret)
	}
	list := run(t, ctx, chromedp.Text(`//h2[starts-with(., "Endpoints of")]/following-sibling::table`))
	if !strings.Contains(list, recv.url()) || !strings.Contains(list, "A license is created") || !strings.Contains(list, "An invoice is paid in full") {
		t.Errorf("the list reads %q", list)
	}
	do(t, ctx,
		chromedp.Click(`//a[normalize-space()="`+recv.url()+`"]`),
		chromedp.WaitVisible(`//button[normalize-space()="Send test event"]`),
		chromedp.Click(`//button[normalize-space()="Send test event"]`),
		chromedp.WaitVisible(`//p[contains(., "Test event queued")]`),
	)
	d := recv.wait(1)[0]
	if err := webhook.Verify(secret, d.Header.Get(webhook.SignatureHeader), d.Body, w.a.clock.Now(), time.Minute); err != nil || d.Event.Event != "webhook.test" {
		t.Errorf("the test event %s: %v", d.Event.Event, err)
	}
	w.a.webhooksSettled()
	do(t, ctx, chromedp.Reload(), chromedp.WaitVisible(`//span[contains(@class, "badge-delivery-delivered")]`))
	row := run(t, ctx, chromedp.Text(`//h2[.="Recent deliveries"]/following-sibling::table//tbody/tr`))
	if !strings.Contains(row, "Test event") || !strings.Contains(row, d.Event.ID) || !strings.Contains(row, "200") {
		t.Errorf("the delivery reads %q", row)
	}
	do(t, ctx,
		chromedp.Click(`//button[normalize-space()="Delete endpoint"]`),
		chromedp.WaitVisible(`//p[contains(., "Webhook endpoint deleted")]`),
	)
	if msg := <-confirmed; !strings.Contains(msg, "Delete the endpoint "+recv.url()) {
		t.Errorf("confirmation %q", msg)
	}
	if es, _ := w.a.db.WebhookEndpoints(t.Context(), w.dist.ID); len(es) != 0 {
		t.Errorf("endpoints left: %+v", es)
	}
}
