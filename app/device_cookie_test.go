package app

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyward/store"
)

// TestDeviceCookieKeepsTheOwnerSignedIn: an attacker's wrong passwords lock an account for new
// browsers, but not for the browser its owner signed in with before (DESIGN §2).
func TestDeviceCookieKeepsTheOwnerSignedIn(t *testing.T) {
	for _, tc := range []struct {
		name, baseURL string
		secure        bool
	}{{"http", "http://localhost:8080", false}, {"https", "https://licenses.example.com", true}} {
		t.Run(tc.name, func(t *testing.T) {
			a := newTestApp(t, func(c *Config) { c.BaseURL = tc.baseURL })
			owner := a.browser()
			owner.get("/login")
			resp := owner.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}})
			owner.status(resp, http.StatusSeeOther)
			set := setCookie(resp, deviceCookie)
			for _, flag := range []string{"httponly", "samesite=lax", "max-age="} {
				if !strings.Contains(set, flag) {
					t.Errorf("device cookie %q lacks %s", set, flag)
				}
			}
			if strings.Contains(set, "secure") != tc.secure {
				t.Errorf("device cookie %q: Secure should be %v", set, tc.secure)
			}
			owner.get("/")
			owner.post("/logout", url.Values{})

			// Someone else, from another address, tries ten passwords.
			attacker := a.browser()
			attacker.get("/login")
			for i := range 10 {
				req := formRequest(a, "/login", url.Values{"email": {adminEmail}, "password": {"guess-" + fmt.Sprint(i)}, "_csrf": {attacker.csrf()}})
				req.Header.Set("X-Forwarded-For", "203.0.113.7")
				if resp := attacker.do(req); resp.StatusCode != http.StatusUnauthorized && resp.StatusCode != http.StatusTooManyRequests {
					t.Fatalf("guess %d: %d", i+1, resp.StatusCode)
				}
			}
			// A new browser is locked out of the account; the owner's browser is not.
			fresh := a.browser()
			fresh.get("/login")
			if resp := fresh.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("a new browser after ten failures: %d, want 429", resp.StatusCode)
			}
			owner.signIn(adminEmail, adminPassword)

			// A forged cookie, or one for another account, has no limit of its own.
			other := a.createUser("olga@example.test", "Olga", a.createOrg(store.KindClient, "Other", 0), store.RoleOwner)
			olga := a.browser()
			olga.signIn(other.Email, testPassword)
			olga.get("/")
			olga.post("/logout", url.Values{})
			u, _ := url.Parse(a.url)
			forged := *owner.cookie(deviceCookie)
			forged.Value = forged.Value[:len(forged.Value)-2] + "xx"
			for name, b := range map[string]*browser{"forged": a.browser(), "another account's": olga} {
				if name == "forged" {
					b.client.Jar.SetCookies(u, []*http.Cookie{&forged})
				}
				b.get("/login")
				if resp := b.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); resp.StatusCode != http.StatusTooManyRequests {
					t.Errorf("%s device cookie: %d, want 429", name, resp.StatusCode)
				}
			}

			// The owner's browser has a limit of its own.
			owner.get("/")
			owner.post("/logout", url.Values{})
			owner.get("/login")
			for range 10 {
				owner.post("/login", url.Values{"email": {adminEmail}, "password": {"typo"}})
			}
			if resp := owner.post("/login", url.Values{"email": {adminEmail}, "password": {adminPassword}}); resp.StatusCode != http.StatusTooManyRequests {
				t.Errorf("the owner's browser after ten failures of its own: %d, want 429", resp.StatusCode)
			}
		})
	}
}

// formRequest is a form POST to the app, for requests a test shapes itself (headers).
func formRequest(a *testApp, path string, form url.Values) *http.Request {
	req, _ := http.NewRequest(http.MethodPost, a.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req
}
