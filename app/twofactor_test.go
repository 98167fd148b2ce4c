package app

import (
	"bytes"
	"encoding/base64"
	"html"
	"image/png"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"keyward/app/totp"
	"keyward/store"
)

var (
	secretOnPage   = regexp.MustCompile(`id="totp-secret">([A-Z2-7 ]+)</code>`)
	recoveryOnPage = regexp.MustCompile(`<li><code>([a-z2-9]{4}-[a-z2-9]{4})</code></li>`)
	qrOnPage       = regexp.MustCompile(`<img src="data:image/png;base64,([^"]+)"`)
	otpauthOnPage  = regexp.MustCompile(`href="(otpauth://[^"]+)"`)
)

// shownSecret reads the secret of the enrollment page as a person copies it.
func (b *browser) shownSecret() []byte {
	b.t.Helper()
	m := secretOnPage.FindStringSubmatch(b.body)
	if m == nil {
		b.t.Fatalf("the page shows no secret:\n%s", b.body)
	}
	secret, err := totp.DecodeSecret(m[1])
	if err != nil {
		b.t.Fatalf("secret %q: %v", m[1], err)
	}
	return secret
}

// enrollTwoFactor turns two-factor sign-in on through the enrollment page (page, or
// /profile/2fa) with a code computed from the secret shown, and returns the secret and the
// recovery codes shown.
func (b *browser) enrollTwoFactor(page ...string) ([]byte, []string) {
	b.t.Helper()
	b.status(b.get(append(page, "/profile/2fa")[0]), http.StatusOK)
	secret := b.shownSecret()
	next := ""
	if m := nextField.FindStringSubmatch(b.body); m != nil {
		next = html.UnescapeString(m[1])
	}
	b.status(b.post("/profile/2fa", url.Values{"code": {totp.Code(secret, b.app.clock.Now())}, "next": {next}}), http.StatusOK)
	var codes []string
	for _, m := range recoveryOnPage.FindAllStringSubmatch(b.body, -1) {
		codes = append(codes, m[1])
	}
	if len(codes) != 10 {
		b.t.Fatalf("%d recovery codes shown, want 10:\n%s", len(codes), b.body)
	}
	return secret, codes
}

// passwordStep sends the sign-in form and expects to be asked for the code, at /login/2fa.
func (b *browser) passwordStep(email, password, next string) {
	b.t.Helper()
	b.get("/login")
	resp := b.post("/login", url.Values{"email": {email}, "password": {password}, "next": {next}})
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/login/2fa" {
		b.t.Fatalf("password step: %d to %q, want 303 to /login/2fa\n%s", resp.StatusCode, got, b.body)
	}
	b.status(b.get("/login/2fa"), http.StatusOK)
}

// codeStep sends the code form of /login/2fa.
func (b *browser) codeStep(code string) *http.Response {
	b.t.Helper()
	return b.post("/login/2fa", url.Values{"code": {code}})
}

// signOut sends the sign-out form from the profile page.
func (b *browser) signOut() {
	b.t.Helper()
	b.get("/profile")
	b.status(b.post("/logout", url.Values{}), http.StatusSeeOther)
}

// codeAt is the code of the step offset steps from now.
func (a *testApp) codeAt(secret []byte, steps int) string {
	return totp.Code(secret, a.clock.Now().Add(time.Duration(steps)*totp.Period))
}

// lastAudit is the newest audit entry with that action, failing the test without one.
func (a *testApp) lastAudit(action string) store.AuditEntry {
	a.t.Helper()
	es, err := a.db.AuditEntries(a.t.Context(), 200)
	if err != nil {
		a.t.Fatal(err)
	}
	for _, e := range es {
		if e.Action == action {
			return e
		}
	}
	a.t.Fatalf("no audit entry %q", action)
	return store.AuditEntry{}
}

// twoFactorUser is a client owner with two-factor sign-in on, and a browser signed out.
func twoFactorUser(t *testing.T, a *testApp) (store.User, *browser, []byte, []string) {
	t.Helper()
	client := a.createOrg(store.KindClient, "Contoso Hotels", 0)
	u := a.createUser("carla@contoso.test", "Carla Client", client, store.RoleOwner)
	b := a.browser()
	b.signIn(u.Email, testPassword)
	secret, codes := b.enrollTwoFactor()
	b.signOut()
	a.clock.Advance(5 * time.Minute) // later sign-ins use steps after the enrollment's
	return u, b, secret, codes
}

func TestTwoFactorEnrollAndSignIn(t *testing.T) {
	a := newTestApp(t)
	client := a.createOrg(store.KindClient, "Contoso Hotels", 0)
	u := a.createUser("carla@contoso.test", "Carla Client", client, store.RoleOwner)
	b := a.browser()
	b.signIn(u.Email, testPassword)

	b.get("/profile")
	b.assertContains("Turn on two-factor sign-in")
	b.status(b.get("/profile/2fa"), http.StatusOK)
	secret := b.shownSecret()
	// The QR code is a PNG drawn by the server, inline, and carries the otpauth URI.
	m := qrOnPage.FindStringSubmatch(b.body)
	if m == nil {
		t.Fatalf("no QR code image on the page:\n%s", b.body)
	}
	raw, err := base64.StdEncoding.DecodeString(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(raw))
	if err != nil || img.Bounds().Dx() < 200 {
		t.Fatalf("QR code: %v, %v", err, img)
	}
	link := otpauthOnPage.FindStringSubmatch(b.body)
	if link == nil {
		t.Fatal("no otpauth link on the page")
	}
	if got, want := html.UnescapeString(link[1]), totp.URI("Keyward", u.Email, secret); got != want {
		t.Errorf("otpauth link %q, want %q", got, want)
	}
	// Shown again, the secret stays the same, so an app set up from the first showing works.
	b.get("/profile/2fa")
	if again := b.shownSecret(); !bytes.Equal(again, secret) {
		t.Fatal("the secret changed between two showings")
	}

	// A wrong code leaves it off, with the reason beside the field.
	wrong := wrongCode(a, secret)
	b.status(b.post("/profile/2fa", url.Values{"code": {wrong}}), http.StatusBadRequest)
	b.assertContains(`id="code-error"`, "This code is not right")
	b.status(b.post("/profile/2fa", url.Values{"code": {"12ab"}}), http.StatusBadRequest)
	b.assertContains("Type the 6 digits")
	if got, _ := a.db.FindUser(t.Context(), u.ID); got.TwoFactor {
		t.Fatal("a wrong code turned two-factor sign-in on")
	}

	b.status(b.post("/profile/2fa", url.Values{"code": {totp.Code(secret, a.clock.Now())}}), http.StatusOK)
	b.assertContains("Two-factor sign-in is on.", "shown only this once", `href="/profile">I have saved them, continue`)
	codes := recoveryOnPage.FindAllStringSubmatch(b.body, -1)
	if len(codes) != 10 {
		t.Fatalf("%d recovery codes shown, want 10", len(codes))
	}
	if e := a.lastAudit("two_factor.enabled"); e.ActorEmail != u.Email {
		t.Errorf("audit entry %+v", e)
	}
	// The codes are shown once, and the secret no more.
	b.get("/profile/2fa")
	if strings.Contains(b.body, codes[0][1]) || secretOnPage.MatchString(b.body) {
		t.Error("the recovery codes or the secret are shown again")
	}
	b.assertContains("Two-factor sign-in is on", "Recovery codes left: <strong>10 of 10</strong>")
	// At rest the secret is sealed, and the codes are hashed.
	tf, err := a.db.FindTwoFactor(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(tf.SecretEnc, secret) || bytes.Contains(tf.SecretEnc, []byte(totp.EncodeSecret(secret))) {
		t.Error("the secret is stored in the clear")
	}
	if _, err := a.srv.unseal("totp-secret", tf.SecretEnc, totpSecretAD(u.ID+1)); err == nil {
		t.Error("the sealed secret opens as another user's")
	}

	// Sign-in now takes the password, then a code, and goes where it was going.
	b.signOut()
	a.clock.Advance(totp.Period)
	resp := b.get("/licenses")
	b.status(resp, http.StatusSeeOther)
	b.passwordStep(u.Email, testPassword, "/licenses")
	if b.cookie(sessionCookie) != nil {
		t.Fatal("a session started before the code")
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Fatalf("between the password and the code, / answered %d to %q: the half-session opens pages", resp.StatusCode, resp.Header.Get("Location"))
	}
	b.get("/login/2fa")
	b.assertContains("Type the 6-digit code", "recovery codes")
	resp = b.codeStep(a.codeAt(secret, 0))
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/licenses" {
		t.Fatalf("code step: %d to %q, want 303 to /licenses\n%s", resp.StatusCode, got, b.body)
	}
	if b.cookie(sessionCookie) == nil || b.cookie(challengeCookie) != nil {
		t.Fatal("after the code: no session, or the half-session is still there")
	}
	b.status(b.get("/licenses"), http.StatusOK)
	if e := a.lastAudit("login.two_factor"); e.ActorEmail != u.Email {
		t.Errorf("audit entry %+v", e)
	}
	// The half-session is spent: sending the code form again goes back to the password.
	b2 := a.browser()
	b2.status(b2.get("/login/2fa"), http.StatusSeeOther)
}

// wrongCode is a code that none of the steps within the drift has.
func wrongCode(a *testApp, secret []byte) string {
	for _, c := range []string{"000000", "111111", "222222", "333333"} {
		if c != a.codeAt(secret, -1) && c != a.codeAt(secret, 0) && c != a.codeAt(secret, 1) {
			return c
		}
	}
	panic("unreachable")
}

func TestTwoFactorReplayRefused(t *testing.T) {
	a := newTestApp(t)
	u, b, secret, _ := twoFactorUser(t, a)
	code := a.codeAt(secret, 0)
	b.passwordStep(u.Email, testPassword, "/")
	b.status(b.codeStep(code), http.StatusSeeOther)
	b.signOut()

	// The same code, within its 30 seconds, does not sign in again; nor does the one before it.
	b.passwordStep(u.Email, testPassword, "/")
	b.status(b.codeStep(code), http.StatusUnauthorized)
	b.assertContains("This code is not right, or it was used already.")
	b.status(b.codeStep(a.codeAt(secret, -1)), http.StatusUnauthorized)
	if b.cookie(sessionCookie) != nil {
		t.Fatal("a replayed code signed in")
	}
	if e := a.lastAudit("login.two_factor_failed"); e.ActorEmail != u.Email || e.Details != "wrong authenticator code" {
		t.Errorf("audit entry %+v", e)
	}
	// The next step's code still works.
	b.status(b.codeStep(a.codeAt(secret, 1)), http.StatusSeeOther)
}

func TestTwoFactorDrift(t *testing.T) {
	a := newTestApp(t)
	u, b, secret, _ := twoFactorUser(t, a)
	b.passwordStep(u.Email, testPassword, "/")
	for _, steps := range []int{-2, 2} {
		if resp := b.codeStep(a.codeAt(secret, steps)); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a code %d steps off: status %d, want 401", steps, resp.StatusCode)
		}
	}
	if resp := b.codeStep(a.codeAt(secret, -1)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a code one step late: status %d, want 303\n%s", resp.StatusCode, b.body)
	}
	b.signOut()
	b.passwordStep(u.Email, testPassword, "/")
	if resp := b.codeStep(a.codeAt(secret, 1)); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("a code one step early: status %d, want 303\n%s", resp.StatusCode, b.body)
	}
}

func TestTwoFactorRecoveryCodes(t *testing.T) {
	a := newTestApp(t)
	u, b, _, codes := twoFactorUser(t, a)

	b.passwordStep(u.Email, testPassword, "/licenses")
	b.status(b.codeStep(strings.ToUpper(codes[0])), http.StatusSeeOther) // typed in capitals: still the code
	b.get("/licenses")
	b.assertContains("You signed in with a recovery code. You have 9 left")
	b.get("/licenses")
	if strings.Contains(b.body, "You signed in with a recovery code") {
		t.Error("the recovery code message shows on every page")
	}
	if e := a.lastAudit("login.recovery_code"); e.ActorEmail != u.Email || e.Details != "9 left" {
		t.Errorf("audit entry %+v", e)
	}
	b.get("/profile/2fa")
	b.assertContains("9 of 10")
	b.signOut()

	// Each code works once.
	b.passwordStep(u.Email, testPassword, "/")
	b.status(b.codeStep(codes[0]), http.StatusUnauthorized)
	if e := a.lastAudit("login.two_factor_failed"); e.Details != "wrong recovery code" {
		t.Errorf("audit entry %+v", e)
	}
	b.status(b.codeStep("nope"), http.StatusBadRequest)
	b.assertContains("Type the 6 digits your authenticator app shows, or one of your recovery codes")

	// New codes replace the old ones.
	b.status(b.codeStep(codes[1]), http.StatusSeeOther)
	b.get("/profile/2fa")
	b.status(b.post("/profile/2fa/recovery-codes", url.Values{"current_password": {"wrong"}}), http.StatusBadRequest)
	b.assertContains(`id="codes-password-error"`, "This is not your current password.")
	b.status(b.post("/profile/2fa/recovery-codes", url.Values{"current_password": {testPassword}}), http.StatusOK)
	fresh := recoveryOnPage.FindAllStringSubmatch(b.body, -1)
	if len(fresh) != 10 {
		t.Fatalf("%d new codes", len(fresh))
	}
	a.lastAudit("two_factor.recovery_codes_replaced")
	b.signOut()
	b.passwordStep(u.Email, testPassword, "/")
	b.status(b.codeStep(codes[2]), http.StatusUnauthorized)
	b.status(b.codeStep(fresh[0][1]), http.StatusSeeOther)
}

func TestTwoFactorWrongCodesRateLimited(t *testing.T) {
	a := newTestApp(t)
	u, b, secret, _ := twoFactorUser(t, a)
	b.passwordStep(u.Email, testPassword, "/")
	wrong := wrongCode(a, secret)
	for i := range 10 {
		if resp := b.codeStep(wrong); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("wrong code %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	b.status(b.codeStep(a.codeAt(secret, 0)), http.StatusTooManyRequests)
	b.assertContains("Too many tries of a code. Try again in")
	if b.cookie(sessionCookie) != nil {
		t.Fatal("signed in past the limit")
	}
	// The limit is the account's: another browser with the password is refused too.
	other := a.browser()
	other.passwordStep(u.Email, testPassword, "/")
	other.status(other.codeStep(a.codeAt(secret, 0)), http.StatusTooManyRequests)

	a.clock.Advance(15 * time.Minute)
	other.passwordStep(u.Email, testPassword, "/") // the half-session expired meanwhile
	other.status(other.codeStep(a.codeAt(secret, 0)), http.StatusSeeOther)
}

func TestTwoFactorChallengeExpires(t *testing.T) {
	a := newTestApp(t)
	u, b, secret, _ := twoFactorUser(t, a)
	b.passwordStep(u.Email, testPassword, "/")
	a.clock.Advance(loginChallengeTTL)
	resp := b.codeStep(a.codeAt(secret, 0))
	if got := resp.Header.Get("Location"); resp.StatusCode != http.StatusSeeOther || got != "/login?notice=two-factor-expired" {
		t.Fatalf("late code: %d to %q", resp.StatusCode, got)
	}
	b.follow(resp)
	b.assertContains("Your sign-in took too long")
	if b.cookie(sessionCookie) != nil {
		t.Fatal("signed in with an expired half-session")
	}
}

func TestTwoFactorTurnOff(t *testing.T) {
	a := newTestApp(t)
	u, b, secret, codes := twoFactorUser(t, a)
	b.passwordStep(u.Email, testPassword, "/")
	b.status(b.codeStep(a.codeAt(secret, 0)), http.StatusSeeOther)
	a.clock.Advance(totp.Period)

	b.get("/profile/2fa")
	b.status(b.post("/profile/2fa/disable", url.Values{"current_password": {"wrong"}, "code": {a.codeAt(secret, 0)}}), http.StatusBadRequest)
	b.assertContains(`id="off-password-error"`, "This is not your current password.")
	b.status(b.post("/profile/2fa/disable", url.Values{"current_password": {testPassword}, "code": {wrongCode(a, secret)}}), http.StatusUnauthorized)
	b.assertContains(`id="off-code-error"`)
	b.status(b.post("/profile/2fa/disable", url.Values{"current_password": {testPassword}}), http.StatusBadRequest)
	if got, _ := a.db.FindUser(t.Context(), u.ID); !got.TwoFactor {
		t.Fatal("turned off without the password and a code")
	}
	// A recovery code does, for a person whose phone is gone.
	resp := b.post("/profile/2fa/disable", url.Values{"current_password": {testPassword}, "code": {codes[3]}})
	if got := resp.Header.Get("Location"); got != "/profile?notice=two-factor-off" {
		t.Fatalf("turn off: %d to %q\n%s", resp.StatusCode, got, b.body)
	}
	b.follow(resp)
	b.assertContains("Two-factor sign-in is off.")
	a.lastAudit("two_factor.disabled")
	b.signOut()
	b.signIn(u.Email, testPassword)
	if b.cookie(sessionCookie) == nil {
		t.Fatal("after turning it off, sign-in still asks for a code")
	}
}

func TestTwoFactorRequiredForStaffAndDistributors(t *testing.T) {
	a := newTestApp(t)
	dist := a.createOrg(store.KindDistributor, "Northwind", 0)
	client := a.createOrg(store.KindClient, "Contoso Hotels", dist.ID)
	dora := a.createUser("dora@northwind.test", "Dora Distributor", dist, store.RoleOwner)
	a.createUser("carla@contoso.test", "Carla Client", client, store.RoleOwner)
	token, err := NewAPIToken(t.Context(), a.db, dora.ID, "scripts")
	if err != nil {
		t.Fatal(err)
	}

	// Off by default: nobody is held back.
	b := a.browser()
	b.signIn(dora.Email, testPassword)
	b.status(b.get("/"), http.StatusOK)
	b.signOut()

	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)
	staff.status(staff.get("/admin/security"), http.StatusOK)
	staff.assertContains("0 of 2</strong> staff and distributor users")
	staff.status(staff.post("/admin/security", url.Values{"require_two_factor": {"maybe"}}), http.StatusBadRequest)
	if on, err := a.db.TwoFactorRequired(t.Context()); err != nil || on {
		t.Fatalf("a bad value turned the setting on (%v, %v)", on, err)
	}
	staff.get("/admin/security")
	resp := staff.post("/admin/security", url.Values{"require_two_factor": {"on"}})
	staff.status(resp, http.StatusSeeOther)
	a.lastAudit("two_factor.required")
	// The staff member who turned it on has no second factor either: they are next.
	resp = staff.get("/admin/security?notice=security-saved")
	if got := resp.Header.Get("Location"); got != "/profile/2fa?next=%2Fadmin%2Fsecurity%3Fnotice%3Dsecurity-saved" {
		t.Errorf("staff without a second factor sent to %q", got)
	}
	if status, _ := a.call("Bearer "+token, http.MethodGet, "/api/v1/me", nil); status != http.StatusOK {
		t.Errorf("API token of a user without a second factor: %d, want 200", status)
	}

	// A distributor user is sent to enroll right after the password, and can reach nothing else.
	b.signIn(dora.Email, testPassword)
	for _, path := range []string{"/", "/licenses", "/orgs", "/profile", "/terms"} {
		resp := b.get(path)
		if got, want := resp.Header.Get("Location"), "/profile/2fa?next="+url.QueryEscape(path); resp.StatusCode != http.StatusSeeOther || got != want {
			t.Errorf("%s: %d to %q, want 303 to %q", path, resp.StatusCode, got, want)
		}
	}
	resp = b.post("/profile/name", url.Values{"name": {"Dora"}, "_csrf": {b.csrfFor()}})
	if got := resp.Header.Get("Location"); got != "/profile/2fa?next=%2F" {
		t.Errorf("a form before enrolling went to %q", got)
	}
	b.get("/profile/2fa?next=%2Flicenses")
	b.assertContains("Two-factor sign-in is required for staff and distributor users")
	b.enrollTwoFactor("/profile/2fa?next=%2Flicenses")
	b.assertContains(`href="/licenses">I have saved them, continue`)
	b.status(b.get("/licenses"), http.StatusOK)

	// Client users are not required.
	c := a.browser()
	c.signIn("carla@contoso.test", testPassword)
	c.status(c.get("/"), http.StatusOK)

	// Turned off again, staff without a second factor go about as before.
	a.clock.Advance(time.Minute)
	staff.status(staff.get("/profile/2fa"), http.StatusOK)
	if err := a.db.SetTwoFactorRequired(t.Context(), false, store.AuditEntry{Action: "two_factor.not_required"}); err != nil {
		t.Fatal(err)
	}
	staff.status(staff.get("/admin/security"), http.StatusOK)
	staff.assertContains("1 of 2</strong>")
}

// csrfFor is the CSRF token of the browser's session, for a form posted without its page.
func (b *browser) csrfFor() string {
	return b.app.srv.sign("csrf", "session:"+b.cookie(sessionCookie).Value)
}

func TestTwoFactorStaffReset(t *testing.T) {
	mail := newMailServer(t)
	a := newTestApp(t, withSMTP(mail))
	u, _, _, _ := twoFactorUser(t, a)
	staff := a.browser()
	staff.signIn(adminEmail, adminPassword)

	staff.get("/admin/users")
	staff.assertContains("not required", `href="/admin/users/`+itoa(u.ID)+`/two-factor/reset"`)
	staff.status(staff.get("/admin/users/"+itoa(u.ID)+"/two-factor/reset"), http.StatusOK)
	staff.assertContains("Reset the two-factor sign-in of <strong>Carla Client</strong>")
	resp := staff.post("/admin/users/"+itoa(u.ID)+"/two-factor/reset", url.Values{})
	if got := resp.Header.Get("Location"); got != "/admin/users?notice=two-factor-reset" {
		t.Fatalf("reset: %d to %q\n%s", resp.StatusCode, got, staff.body)
	}
	if e := a.lastAudit("two_factor.reset"); e.ActorEmail != adminEmail || e.Target != u.Email {
		t.Errorf("audit entry %+v", e)
	}
	m := mail.waitFor(u.Email, "two-factor sign-in was reset")
	if !strings.Contains(m.Text, "Administrator ("+adminEmail+") reset") || m.link(t) != "/profile/2fa" {
		t.Errorf("email:\n%s", m.Text)
	}
	// Reset again: nothing to reset. Their own: refused.
	staff.status(staff.post("/admin/users/"+itoa(u.ID)+"/two-factor/reset", url.Values{"_csrf": {staff.csrfFor()}}), http.StatusBadRequest)
	admin, err := a.db.FindUserByEmail(t.Context(), adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	staff.status(staff.get("/admin/users/"+itoa(admin.ID)+"/two-factor/reset"), http.StatusBadRequest)
	staff.assertContains("You cannot reset your own two-factor sign-in")

	// The user signs in with the password alone.
	b := a.browser()
	b.signIn(u.Email, testPassword)
	if b.cookie(sessionCookie) == nil {
		t.Fatal("after a reset, sign-in still asks for a code")
	}

	// The audit log tells it in words.
	staff.get("/audit")
	staff.assertContains("Turned on two-factor sign-in", "Reset the two-factor sign-in of", "Signed in")
}

// TestTwoFactorRoutesAreCredentials: every route that shows or changes a second factor is
// marked, so that impersonation can refuse them all in guarded.
func TestTwoFactorRoutesAreCredentials(t *testing.T) {
	a := newTestApp(t)
	n := 0
	for _, r := range a.srv.routeTable {
		if strings.HasPrefix(r.Path, "/profile/2fa") || strings.Contains(r.Path, "/two-factor/") {
			n++
			if !r.Guard.Credentials {
				t.Errorf("%s %s changes a second factor but is not marked Credentials", r.Method, r.Path)
			}
		}
	}
	if n < 6 {
		t.Errorf("%d second-factor routes found", n)
	}
}
