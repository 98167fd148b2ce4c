package app

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	"keyward/store"
)

// acceptDialogs accepts every confirmation the page asks for (data-confirm), as a person clicking
// OK would, and hands over their messages.
func acceptDialogs(ctx context.Context) <-chan string {
	confirmed := make(chan string, 8)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			confirmed <- ev.Message
			if _, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true}); err != nil {
				return
			}
		}
	}()
	return confirmed
}

// newChrome starts Debian's headless Chromium for a test. Without it the test is skipped on a
// laptop, but fails in CI, where browser journeys must run.
func newChrome(t *testing.T) context.Context {
	t.Helper()
	return newChromeFor(t, 90*time.Second)
}

// newChromeFor is newChrome for a test that needs the browser longer than 90 seconds.
func newChromeFor(t *testing.T, timeout time.Duration) context.Context {
	t.Helper()
	var path string
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			path = p
			break
		}
	}
	if path == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("Chromium is not installed, and CI must run the browser tests (apt-get install chromium)")
		}
		t.Skip("Chromium is not installed (apt-get install chromium)")
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.WindowSize(1280, 900),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, timeout)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// run runs one browser action that returns a value, failing the test on error.
func run[T any](t *testing.T, ctx context.Context, action chromedp.Action[T]) T {
	t.Helper()
	v, err := chromedp.Run(ctx, action)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// do runs browser steps in order, failing the test on the first error.
func do(t *testing.T, ctx context.Context, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

func TestBrowserSignInAndOut(t *testing.T) {
	a := newTestApp(t)
	ctx := newChrome(t)

	do(t, ctx,
		chromedp.Navigate(a.url+"/"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), adminEmail),
		chromedp.SendKeys(chromedp.ID("password"), adminPassword+"\n"),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
	)
	if got, want := strings.TrimSpace(run(t, ctx, chromedp.Text(chromedp.CSS("h1")))), "Welcome, Administrator"; got != want {
		t.Errorf("heading %q, want %q", got, want)
	}
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("main strong"))); got != adminEmail {
		t.Errorf("shown email %q, want %q", got, adminEmail)
	}
	if got := run(t, ctx, chromedp.Evaluate[string](`getComputedStyle(document.querySelector(".button-link")).color`)); got != "rgb(29, 78, 216)" {
		t.Errorf("the stylesheet did not apply: sign-out link colour %q", got)
	}
	// Staff see the dashboard across distributors.
	if home := run(t, ctx, chromedp.Text(chromedp.CSS("main"))); !strings.Contains(home, "All distributors") || !strings.Contains(home, "Ending within 30 days") {
		t.Errorf("home page %q, want the staff dashboard", home)
	}

	do(t, ctx,
		chromedp.Click(`//button[normalize-space()="Sign out"]`),
		chromedp.WaitVisible(chromedp.ID("email")),
	)
	if got := run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); got != "Sign in" {
		t.Errorf("after sign-out the page reads %q, want the sign-in page", got)
	}
	do(t, ctx, chromedp.Navigate(a.url+"/"), chromedp.WaitVisible(chromedp.ID("email")))
	if got := run(t, ctx, chromedp.Location()); !strings.Contains(got, "/login") {
		t.Errorf("after sign-out / went to %q, want the sign-in page", got)
	}
}

func TestBrowserInvitationJourney(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	client := a.createOrg(store.KindClient, "Contoso Hotels", dist.ID)
	a.createUser("dora@northwind.test", "Dora Distributor", dist, store.RoleOwner)
	a.publishTerms("2026-11")
	ctx := newChrome(t)

	// The distributor signs in, accepts the terms, opens the client and invites a new owner.
	do(t, ctx,
		chromedp.Navigate(a.url+"/login"),
		chromedp.WaitVisible(chromedp.ID("email")),
		chromedp.SendKeys(chromedp.ID("email"), "dora@northwind.test"),
		chromedp.SendKeys(chromedp.ID("password"), testPassword+"\n"),
		chromedp.WaitVisible(`//button[contains(., "I accept")]`),
		chromedp.Click(`//button[contains(., "I accept")]`),
		chromedp.WaitVisible(`//h1[contains(., "Welcome")]`),
		chromedp.Click(`//nav//a[normalize-space()="Organizations"]`),
		chromedp.WaitVisible(`//a[normalize-space()="Contoso Hotels"]`),
		chromedp.Click(`//a[normalize-space()="Contoso Hotels"]`),
		chromedp.WaitVisible(`//nav[@class="tabs"]//a[.="users"]`),
		chromedp.Click(`//nav[@class="tabs"]//a[.="users"]`),
		chromedp.WaitVisible(chromedp.ID("invite-email")),
		chromedp.SendKeys(chromedp.ID("invite-email"), "carla@contoso.test"),
		chromedp.SetValue(chromedp.ID("invite-role"), "owner"),
		chromedp.Click(`//button[normalize-space()="Send invitation"]`),
		chromedp.WaitVisible(`//p[contains(., "Invitation sent.")]`),
	)
	pending := run(t, ctx, chromedp.Text(`//h3[.="Pending invitations"]/following-sibling::table`))
	if !strings.Contains(pending, "carla@contoso.test") || !strings.Contains(pending, "owner") {
		t.Errorf("pending invitations %q, want carla as owner", pending)
	}
	do(t, ctx, chromedp.Click(`//button[normalize-space()="Sign out"]`), chromedp.WaitVisible(chromedp.ID("email")))

	// The invitee opens the link of the email, creates the account, accepts the terms, lands in the org.
	link := mail.waitFor("carla@contoso.test", "invites you").link(t)
	do(t, ctx,
		chromedp.Navigate(a.url+link),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "Carla Client"),
		chromedp.SendKeys(chromedp.ID("password"), "carla-strong-password"),
		chromedp.Click(`//button[normalize-space()="Create my account"]`),
		chromedp.WaitVisible(`//button[contains(., "I accept")]`),
		chromedp.Click(`//button[contains(., "I accept")]`),
		chromedp.WaitVisible(`//h2[.="Company details"]`),
	)
	if got := run(t, ctx, chromedp.Location()); !strings.HasSuffix(got, fmt.Sprintf("/orgs/%d", client.ID)) {
		t.Errorf("landed on %q, want the organization", got)
	}
	if h1 := run(t, ctx, chromedp.Text(chromedp.CSS("h1"))); !strings.Contains(h1, "Contoso Hotels") {
		t.Errorf("heading %q, want Contoso Hotels", h1)
	}
	do(t, ctx, chromedp.Click(`//nav[@class="tabs"]//a[.="users"]`), chromedp.WaitVisible(`//h2[.="Users"]`))
	members := run(t, ctx, chromedp.Text(`//h2[.="Users"]/following-sibling::table`))
	if !strings.Contains(members, "Carla Client") || !strings.Contains(members, "carla@contoso.test") {
		t.Errorf("members %q, want Carla", members)
	}
	if got := run(t, ctx, chromedp.Evaluate[string](`document.querySelector("#org-switch option:checked").textContent`)); !strings.Contains(got, "Contoso Hotels") {
		t.Errorf("the switcher shows %q, want Contoso Hotels", got)
	}
}
