package app

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

func TestSignIn(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()

	resp := b.get("/login")
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Fatalf("GET /login: status %d, want %d", got, want)
	}
	b.assertContains(`name="email"`, `name="password"`, `name="_csrf"`)

	resp = b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if got, want := resp.StatusCode, http.StatusSeeOther; got != want {
		t.Fatalf("POST /login: status %d, want %d", got, want)
	}
	if got, want := resp.Header.Get("Location"), "/"; got != want {
		t.Errorf("redirected to %q, want %q", got, want)
	}
	set := setCookie(resp, sessionCookie)
	for _, flag := range []string{"httponly", "samesite=lax", "path=/"} {
		if !strings.Contains(set, flag) {
			t.Errorf("session cookie %q lacks %s", set, flag)
		}
	}
	if strings.Contains(set, "secure") {
		t.Errorf("session cookie %q is Secure on an http base URL", set)
	}

	b.get("/")
	b.assertContains("Welcome, Administrator", adminEmail, "Vendor", "All distributors")
}

func TestSignInSecureCookieOnHTTPS(t *testing.T) {
	a := newTestApp(t, func(c *Config) { c.BaseURL = "https://licenses.example.com" })
	b := a.browser()
	b.get("/login")
	resp := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, sessionCookie+"=") && !strings.Contains(strings.ToLower(c), "secure") {
			t.Errorf("session cookie %q is not Secure on an https base URL", c)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") == "" {
		t.Error("no Strict-Transport-Security on an https base URL")
	}
}

func TestSignInFailuresReadTheSame(t *testing.T) {
	a := newTestApp(t)
	attempt := func(email, password string) (int, string) {
		b := a.browser()
		b.get("/login")
		before := a.srv.passwords.checks.Load()
		resp := b.post("/login", url.Values{"email": {email}, "password": {password}})
		if got := a.srv.passwords.checks.Load() - before; got != 1 {
			t.Errorf("sign-in as %q computed %d password hashes, want 1 whether the account exists or not", email, got)
		}
		if b.cookie(sessionCookie) != nil {
			t.Errorf("sign-in as %q with a wrong password set a session cookie", email)
		}
		return resp.StatusCode, b.body
	}
	wrongStatus, wrongPage := attempt(adminEmail, "not-the-password")
	unknownStatus, unknownPage := attempt("nobody@keyward.test", "not-the-password")
	if wrongStatus != http.StatusUnauthorized || unknownStatus != wrongStatus {
		t.Errorf("statuses: wrong password %d, unknown email %d; want both 401", wrongStatus, unknownStatus)
	}
	for _, page := range []string{wrongPage, unknownPage} {
		if !strings.Contains(page, "Incorrect email or password.") {
			t.Errorf("failure page does not say \"Incorrect email or password.\":\n%s", page)
		}
	}
	// The pages differ only in the email typed back into the form and the CSRF token.
	normalize := func(page, email string) string {
		page = strings.ReplaceAll(page, email, "EMAIL")
		return csrfField.ReplaceAllString(page, "CSRF")
	}
	if normalize(wrongPage, adminEmail) != normalize(unknownPage, "nobody@keyward.test") {
		t.Error("the answer to an unknown email differs from the answer to a wrong password")
	}
}

func TestSignInRequiresCSRF(t *testing.T) {
	a := newTestApp(t)
	for _, tc := range []struct {
		name string
		csrf []string
	}{
		{"missing", nil},
		{"forged", []string{"forged-token"}},
		{"another visitor's", []string{a.signedOutCSRF()}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := a.browser()
			b.get("/login")
			form := url.Values{"email": {adminEmail}, "password": {adminPassword}}
			if tc.csrf != nil {
				form["_csrf"] = tc.csrf
			} else {
				form["_csrf"] = []string{""}
			}
			resp := b.post("/login", form)
			if got, want := resp.StatusCode, http.StatusForbidden; got != want {
				t.Errorf("status %d, want %d", got, want)
			}
			b.assertContains("This form has expired")
			if b.cookie(sessionCookie) != nil {
				t.Error("signed in without a valid CSRF token")
			}
		})
	}
}

// signedOutCSRF is the CSRF token of some other visitor's sign-in form.
func (a *testApp) signedOutCSRF() string {
	b := a.browser()
	b.get("/login")
	return b.csrf()
}

func TestSignInRateLimit(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.get("/login")
	for i := range 10 {
		if resp := b.post("/login", url.Values{"email": {adminEmail}, "password": {"wrong-password"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: status %d, want 401", i+1, resp.StatusCode)
		}
	}
	resp := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
	if got, want := resp.StatusCode, http.StatusTooManyRequests; got != want {
		t.Fatalf("11th attempt: status %d, want %d", got, want)
	}
	b.assertContains("Too many sign-in attempts")
	if b.cookie(sessionCookie) != nil {
		t.Fatal("signed in past the rate limit")
	}

	// Unknown emails are limited the same way, so the limit tells nothing either.
	for range 10 {
		b.post("/login", url.Values{"email": {"ghost@keyward.test"}, "password": {"wrong-password"}})
	}
	if resp := b.post("/login", url.Values{"email": {"ghost@keyward.test"}, "password": {"x"}}); resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("unknown email: status %d after 10 failures, want 429", resp.StatusCode)
	}

	a.clock.Advance(15 * time.Minute)
	b.signIn(adminEmail, adminPassword)
}

func TestSessionSurvivesRestartAndSignOutEndsIt(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	stolen := b.cookie(sessionCookie).Value

	a.restart()
	if resp := b.get("/"); resp.StatusCode != http.StatusOK {
		t.Fatalf("after a restart: status %d, want 200 (still signed in)", resp.StatusCode)
	}
	b.assertContains("Welcome, Administrator")

	if resp := b.post("/logout", url.Values{}); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Fatalf("sign-out: status %d to %q, want 303 to /login", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: status %d, want 303 to the sign-in page", resp.StatusCode)
	}

	// The old cookie value opens nothing: the session is gone on the server.
	replay := a.browser()
	u, _ := url.Parse(a.url)
	replay.client.Jar.SetCookies(u, []*http.Cookie{{Name: sessionCookie, Value: stolen}})
	if resp := replay.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("replayed session cookie: status %d, want 303", resp.StatusCode)
	}
}

func TestSessionTimeouts(t *testing.T) {
	t.Run("idle", func(t *testing.T) {
		a := newTestApp(t)
		b := a.browser()
		b.signIn(adminEmail, adminPassword)
		a.clock.Advance(sessionIdleTimeout - time.Minute)
		if resp := b.get("/"); resp.StatusCode != http.StatusOK {
			t.Fatalf("before the idle timeout: status %d, want 200", resp.StatusCode)
		}
		a.clock.Advance(sessionIdleTimeout)
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after 12 idle hours: status %d, want 303 to the sign-in page", resp.StatusCode)
		}
	})
	t.Run("absolute", func(t *testing.T) {
		a := newTestApp(t)
		b := a.browser()
		b.signIn(adminEmail, adminPassword)
		for elapsed := time.Duration(0); elapsed+11*time.Hour < sessionAbsoluteTimeout; elapsed += 11 * time.Hour {
			a.clock.Advance(11 * time.Hour)
			if resp := b.get("/"); resp.StatusCode != http.StatusOK {
				t.Fatalf("after %s of activity: status %d, want 200", elapsed+11*time.Hour, resp.StatusCode)
			}
		}
		a.clock.Advance(11 * time.Hour)
		if resp := b.get("/"); resp.StatusCode != http.StatusSeeOther {
			t.Errorf("after 7 days: status %d, want 303 to the sign-in page", resp.StatusCode)
		}
	})
}

func TestSignInRedirectsBackToThePageAsked(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	resp := b.get("/?tab=orgs")
	if got, want := resp.Header.Get("Location"), "/login?next=/?tab=orgs"; got != want {
		t.Fatalf("redirected to %q, want %q", got, want)
	}
	b.get("/login?next=" + url.QueryEscape("/?tab=orgs"))
	resp = b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"/?tab=orgs"}})
	if got, want := resp.Header.Get("Location"), "/?tab=orgs"; got != want {
		t.Errorf("after sign-in redirected to %q, want %q", got, want)
	}
	b = a.browser()
	b.get("/login")
	resp = b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}, "next": {"//evil.example/"}})
	if got, want := resp.Header.Get("Location"), "/"; got != want {
		t.Errorf("next=//evil.example/ redirected to %q, want %q", got, want)
	}
}

func TestAPIRequiresToken(t *testing.T) {
	a := newTestApp(t)
	user, err := a.db.FindUserByEmail(t.Context(), adminEmail)
	if err != nil {
		t.Fatal(err)
	}
	token, err := NewAPIToken(t.Context(), a.db, user.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(token, "kwp_") {
		t.Errorf("token %q does not start with kwp_", token)
	}
	for _, tc := range []struct {
		name, auth string
		status     int
	}{
		{"no token", "", http.StatusUnauthorized},
		{"bad token", "Bearer kwp_not-a-real-token", http.StatusUnauthorized},
		{"not a kwp_ token", "Bearer abc", http.StatusUnauthorized},
		{"good token", "Bearer " + token, http.StatusOK},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, a.url+"/api/v1/me", nil)
			if tc.auth != "" {
				req.Header.Set("Authorization", tc.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if got := resp.StatusCode; got != tc.status {
				t.Errorf("status %d, want %d", got, tc.status)
			}
			if got, want := resp.Header.Get("Content-Type"), "application/json"; !strings.HasPrefix(got, want) {
				t.Errorf("Content-Type %q, want %q", got, want)
			}
			var body struct {
				Email string `json:"email"`
				Error *Error `json:"error"`
			}
			if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
				t.Fatal(err)
			}
			if tc.status == http.StatusOK && body.Email != adminEmail {
				t.Errorf("email %q, want %q", body.Email, adminEmail)
			}
			if tc.status != http.StatusOK && (body.Error == nil || body.Error.Code != "UNAUTHORIZED" || body.Error.Message == "") {
				t.Errorf("error %+v, want code UNAUTHORIZED with a message", body.Error)
			}
		})
	}
}

func TestErrorPagesAndHeaders(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	resp := b.get("/no-such-page")
	if got, want := resp.StatusCode, http.StatusNotFound; got != want {
		t.Errorf("status %d, want %d", got, want)
	}
	b.assertContains("This page does not exist", "Go to the home page")
	for header, want := range map[string]string{
		"Content-Security-Policy": "script-src 'self'",
		"X-Content-Type-Options":  "nosniff",
		"Referrer-Policy":         "same-origin",
		"X-Request-Id":            "",
	} {
		got := resp.Header.Get(header)
		if got == "" || !strings.Contains(got, want) {
			t.Errorf("%s: %q, want it to contain %q", header, got, want)
		}
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q: want frame-ancestors 'none' and no unsafe-inline", csp)
	}

	resp, err := http.Get(a.url + "/api/v1/no-such-endpoint")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound || !strings.Contains(string(body), `"code":"NOT_FOUND"`) {
		t.Errorf("API 404: status %d body %s, want 404 with a JSON error", resp.StatusCode, body)
	}
}

func TestAssetsAreHashedAndCached(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.get("/login")
	css := regexpFind(t, b.body, `href="(/assets/css/app\.[0-9a-f]{10}\.css)"`)
	resp := b.get(css)
	if resp.StatusCode != http.StatusOK || !strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
		t.Errorf("%s: status %d, Cache-Control %q; want 200 and immutable", css, resp.StatusCode, resp.Header.Get("Cache-Control"))
	}
	if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, "text/css") {
		t.Errorf("Content-Type %q, want text/css", got)
	}
	if resp := b.get("/assets/css/app.0000000000.css"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("stale asset URL: status %d, want 404", resp.StatusCode)
	}
}

func TestHealthz(t *testing.T) {
	a := newTestApp(t)
	resp, err := http.Get(a.url + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if got, want := resp.StatusCode, http.StatusOK; got != want {
		t.Errorf("status %d, want %d", got, want)
	}
}
