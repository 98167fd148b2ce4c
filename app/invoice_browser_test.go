package app

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"keyward/store"
)

// TestBrowserClientDownloadsAnInvoice: Carla, the owner of a demo client, opens her invoices,
// downloads one's PDF as her browser saves it, and reads her balance on the journal.
func TestBrowserClientDownloadsAnInvoice(t *testing.T) {
	a := newTestApp(t)
	ctx := newChrome(t)
	bg := context.Background()
	if err := a.srv.LoadDemo(bg); err != nil {
		t.Fatal(err)
	}
	contoso, err := a.db.FindOrg(bg, demoOrgID(t, a, "Contoso Hotels"))
	if err != nil {
		t.Fatal(err)
	}
	issued, _, err := a.db.Invoices(bg, store.InvoiceFilter{All: true, OrgID: contoso.ID, Status: "paid"})
	if err != nil || len(issued) == 0 {
		t.Fatalf("the demo has no paid invoice of Contoso: %v", err)
	}
	inv := issued[len(issued)-1] // the oldest: the year of prepaid cores
	downloads := t.TempDir()
	events := true
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatal(err)
	}

	do(t, ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "carla@contoso.example"),
		chromedp.SendKeys(chromedp.ID("password"), DemoPassword+"\n"),
		chromedp.WaitVisible(`//button[contains(., "accept")] | //button[contains(., "Accept")]`),
		chromedp.Click(`//button[contains(., "accept")] | //button[contains(., "Accept")]`),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
		chromedp.Click(`//nav[@aria-label="Main"]//a[normalize-space()="Invoices"]`),
		chromedp.WaitVisible(`//h1[normalize-space()="Invoices"]`),
	)
	list := run(t, ctx, chromedp.Text(chromedp.CSS("main table")))
	for _, want := range []string{inv.Number, "Paid", "Issued", "EUR"} {
		if !strings.Contains(list, want) {
			t.Errorf("the invoice list does not show %q:\n%s", want, list)
		}
	}
	if strings.Contains(list, "Draft") {
		t.Errorf("the client sees a draft:\n%s", list)
	}
	do(t, ctx,
		chromedp.Click(`//a[normalize-space()="`+inv.Number+`"]`),
		chromedp.WaitVisible(`//h1[contains(., "`+inv.Number+`")]`),
		chromedp.Click(`//a[normalize-space()="Download PDF"]`),
	)
	var pdf []byte
	deadline := time.Now().Add(15 * time.Second)
	for pdf == nil {
		if b, err := os.ReadFile(filepath.Join(downloads, inv.Number+".pdf")); err == nil && len(b) > 0 {
			pdf = b
		} else if time.Now().After(deadline) {
			files, _ := os.ReadDir(downloads)
			t.Fatalf("the browser did not save %s.pdf; the download folder holds %v", inv.Number, files)
		} else {
			time.Sleep(20 * time.Millisecond)
		}
	}
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the download is not a PDF: %q", pdf[:min(len(pdf), 16)])
	}
	if text := pdfText(t, pdf); !strings.Contains(text, inv.Number) || !strings.Contains(text, inv.DueDate) {
		t.Errorf("the downloaded PDF does not show %s due %s:\n%s", inv.Number, inv.DueDate, text)
	}

	// The journal's balance is what the client owes, as the journal API computes it.
	j, err := a.srv.clientJournal(bg, contoso)
	if err != nil {
		t.Fatal(err)
	}
	want := amountText(j.Balances["EUR"])
	do(t, ctx,
		chromedp.Click(`//a[normalize-space()="Journal"]`),
		chromedp.WaitVisible(`//h1[contains(., "Journal of Contoso Hotels")]`),
	)
	balance := run(t, ctx, chromedp.Text(`//p[@class="total"][span[.="Balance"]]`))
	if !strings.Contains(balance, want) || !strings.Contains(balance, "owed") {
		t.Errorf("the journal shows %q, want the balance %s owed", balance, want)
	}
	entries := run(t, ctx, chromedp.Text(chromedp.CSS("main table")))
	if !strings.Contains(entries, "Invoice "+inv.Number) || !strings.Contains(entries, "Payment of "+inv.Number) {
		t.Errorf("the journal does not list the invoice and its payment:\n%s", entries)
	}
}

// demoOrgID is the id of a demo organization by name.
func demoOrgID(t *testing.T, a *testApp, name string) int64 {
	t.Helper()
	orgs, err := a.db.ClientOrgs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range orgs {
		if o.Name == name {
			return o.ID
		}
	}
	t.Fatalf("no demo organization %q", name)
	return 0
}
