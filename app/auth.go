package app

import (
	"crypto/subtle"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

const (
	sessionCookie = "kw_session"
	preCookie     = "kw_pre"    // keys the CSRF token of visitors not signed in yet
	deviceCookie  = "kw_device" // marks a browser that signed in to an account before

	// deviceCookieAge is how long a browser is remembered after its last sign-in.
	deviceCookieAge = 365 * 24 * time.Hour

	localUser      = "user"
	localSessionID = "session_id"
	localCSRF      = "csrf"
)

func (s *Server) routeAuth() {
	s.route(fiber.MethodGet, "/login", guard{Action: ActionPublic}, s.loginForm)
	s.route(fiber.MethodPost, "/login", guard{Action: ActionPublic}, s.login)
	s.route(fiber.MethodPost, "/logout", guard{Action: ActionPublic}, s.logout)
}

// currentUser is the signed-in user (portal) or the token's user (API), or nil.
func currentUser(c *fiber.Ctx) *store.User {
	u, _ := c.Locals(localUser).(*store.User)
	return u
}

// loadSession finds the session of the cookie and ends it when it has timed out.
func (s *Server) loadSession(c *fiber.Ctx) error {
	raw := c.Cookies(sessionCookie)
	if raw == "" {
		return c.Next()
	}
	ctx := c.UserContext()
	sess, user, err := s.db.FindSession(ctx, digest(raw))
	if errors.Is(err, store.ErrNotFound) {
		s.clearCookie(c, sessionCookie)
		return c.Next()
	}
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if !user.Active || now.Sub(sess.LastSeenAt) >= sessionIdleTimeout || now.Sub(sess.CreatedAt) >= sessionAbsoluteTimeout {
		if err := s.db.DeleteSession(ctx, sess.IDHash); err != nil {
			return err
		}
		s.clearCookie(c, sessionCookie)
		return c.Next()
	}
	// A write a minute at most keeps the idle timeout true without a write on every page.
	if now.Sub(sess.LastSeenAt) >= time.Minute {
		if err := s.db.TouchSession(ctx, sess.IDHash); err != nil {
			return err
		}
	}
	acting := &user
	if sess.ActingAs != 0 {
		if acting, err = s.actAs(c, sess, &user); err != nil {
			return err
		}
	}
	c.Locals(localUser, acting)
	c.Locals(localSessionID, raw)
	return c.Next()
}

// csrfKey is what a CSRF token is bound to: the session, or before sign-in the pre-session cookie.
func csrfKey(c *fiber.Ctx) string {
	if id, _ := c.Locals(localSessionID).(string); id != "" {
		return "session:" + id
	}
	if v := c.Cookies(preCookie); v != "" {
		return "pre:" + v
	}
	return ""
}

// csrfToken is the value of the _csrf field of this visitor's forms.
func (s *Server) csrfToken(c *fiber.Ctx) string {
	if t, _ := c.Locals(localCSRF).(string); t != "" {
		return t
	}
	key := csrfKey(c)
	if key == "" {
		v := randomToken()
		s.setCookie(c, preCookie, v, 0)
		key = "pre:" + v
	}
	t := s.sign("csrf", key)
	c.Locals(localCSRF, t)
	return t
}

// checkCSRF refuses any state-changing request whose _csrf field does not match the visitor's token.
func (s *Server) checkCSRF(c *fiber.Ctx) error {
	switch c.Method() {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return c.Next()
	}
	key := csrfKey(c)
	sent := c.FormValue("_csrf")
	if key == "" || subtle.ConstantTimeCompare([]byte(sent), []byte(s.sign("csrf", key))) != 1 {
		return errBadCSRF
	}
	return c.Next()
}

// setCookie sets an HttpOnly, SameSite=Lax cookie; a maxAge of 0 makes it last as long as the browser.
// Max-Age rather than Expires, so that a browser whose clock is off keeps it for the right time.
func (s *Server) setCookie(c *fiber.Ctx, name, value string, maxAge time.Duration) {
	c.Cookie(&fiber.Cookie{Name: name, Value: value, Path: "/", MaxAge: int(maxAge.Seconds()), HTTPOnly: true,
		Secure: s.cfg.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
}

func (s *Server) clearCookie(c *fiber.Ctx, name string) {
	c.Cookie(&fiber.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Expires: time.Unix(1, 0), HTTPOnly: true,
		Secure: s.cfg.secureCookies(), SameSite: fiber.CookieSameSiteLaxMode})
}

// loginForm shows the sign-in form.
// GET /login
func (s *Server) loginForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect(localPath(c.Query("next")), http.StatusSeeOther)
	}
	return s.render(c, "login", fiber.Map{"Title": "Sign in", "Next": localPath(c.Query("next"))})
}

// login signs a user in with email and password. Every failure reads the same, whatever
// the reason, so that the form never tells whether an account exists.
// POST /login
func (s *Server) login(c *fiber.Ctx) error {
	ctx := c.UserContext()
	email := strings.TrimSpace(c.FormValue("email"))
	password := c.FormValue("password")
	next := localPath(c.FormValue("next"))
	ip := clientIP(c)
	fail := func(status int, msg string) error {
		c.Status(status)
		return s.render(c, "login", fiber.Map{"Title": "Sign in", "Next": next, "Email": email, "Error": msg})
	}

	user, err := s.db.FindUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if ok, wait := s.allowSignIn(c, user, email); !ok {
		return fail(http.StatusTooManyRequests, tooManyTries(wait))
	}
	if !s.passwords.check(user.PasswordHash, password) {
		if err := s.db.Audit(ctx, store.AuditEntry{ActorUserID: user.ID, ActorEmail: email, Action: "login.failed", IP: ip}); err != nil {
			return err
		}
		return fail(http.StatusUnauthorized, "Incorrect email or password.")
	}
	if !user.Active {
		if err := s.db.Audit(ctx, store.AuditEntry{ActorUserID: user.ID, ActorEmail: user.Email, Action: "login.refused", IP: ip, Details: "account deactivated"}); err != nil {
			return err
		}
		return fail(http.StatusForbidden, "This account has been deactivated. Ask your administrator to reactivate it.")
	}
	if user.TwoFactor {
		return s.startSecondStep(c, user, next)
	}

	if err := s.startSession(c, user, "login", ""); err != nil {
		var refused *Error
		if errors.As(err, &refused) {
			return fail(refused.Status, refused.Message)
		}
		return err
	}
	return c.Redirect(next, http.StatusSeeOther)
}

// allowSignIn takes a sign-in attempt from the limits: those of the address and of the account,
// or for a browser holding a device cookie of the account, that browser's own limit, so that
// guesses from elsewhere never lock the owner out of the browser they use.
func (s *Server) allowSignIn(c *fiber.Ctx, user store.User, email string) (bool, time.Duration) {
	if device := s.deviceOf(c, user); device != "" {
		return s.signInByDevice.Allow(device)
	}
	if ok, wait := s.signInByIP.Allow(clientIP(c)); !ok {
		return false, wait
	}
	return s.signInByEmail.Allow(strings.ToLower(email))
}

// deviceOf is the device cookie the browser holds for user, if it holds a genuine one: the
// user's id and a random id, signed with the instance secret, so it cannot be forged or moved
// to another account. "" otherwise (and for an unknown account, whose user id is 0).
func (s *Server) deviceOf(c *fiber.Ctx, user store.User) string {
	raw := c.Cookies(deviceCookie)
	value, sig, ok := strings.Cut(raw, "~")
	uid, _, _ := strings.Cut(value, ".")
	if !ok || user.ID == 0 || uid != strconv.FormatInt(user.ID, 10) ||
		subtle.ConstantTimeCompare([]byte(sig), []byte(s.sign("device", value))) != 1 {
		return ""
	}
	return value
}

// rememberDevice gives the browser a device cookie of user after a sign-in, keeping the one it
// holds for user (and so its limit) if any.
func (s *Server) rememberDevice(c *fiber.Ctx, user store.User) {
	value := s.deviceOf(c, user)
	if value == "" {
		value = strconv.FormatInt(user.ID, 10) + "." + randomToken()
	}
	s.setCookie(c, deviceCookie, value+"~"+s.sign("device", value), deviceCookieAge)
}

// startSession signs user in: a new session id, its cookie, and the audit entry (action says
// how: "login", or with a second factor). It refuses (403, audited) a user whose organizations
// are all suspended clients, wherever the sign-in comes from: the form, an invitation, a password reset.
func (s *Server) startSession(c *fiber.Ctx, user store.User, action, details string) error {
	ctx, ip := c.UserContext(), clientIP(c)
	if msg, err := s.suspendedOnly(c, user); err != nil {
		return err
	} else if msg != "" {
		if err := s.db.Audit(ctx, store.AuditEntry{ActorUserID: user.ID, ActorEmail: user.Email, Action: "login.refused", IP: ip, Details: "organization suspended"}); err != nil {
			return err
		}
		return &Error{Status: http.StatusForbidden, Code: "ORGANIZATION_SUSPENDED", Message: msg}
	}
	raw := randomToken()
	sess := store.Session{IDHash: digest(raw), UserID: user.ID, IP: ip, UserAgent: truncate(c.Get(fiber.HeaderUserAgent), 255)}
	if err := s.db.CreateSession(ctx, &sess); err != nil {
		return err
	}
	if old := c.Cookies(sessionCookie); old != "" { // a new id at sign-in, and the old one ends
		if err := s.db.DeleteSession(ctx, digest(old)); err != nil {
			return err
		}
	}
	if err := s.db.Audit(ctx, store.AuditEntry{ActorUserID: user.ID, ActorEmail: user.Email, Action: action, IP: ip, Details: details}); err != nil {
		return err
	}
	s.setCookie(c, sessionCookie, raw, sessionAbsoluteTimeout)
	s.rememberDevice(c, user)
	return nil
}

// suspendedOnly says why a user may not sign in when every organization they belong to is a
// suspended client; a user with any other organization signs in and sees the suspended ones marked.
func (s *Server) suspendedOnly(c *fiber.Ctx, user store.User) (string, error) {
	ms, err := s.db.Memberships(c.UserContext(), user.ID)
	if err != nil || len(ms) == 0 {
		return "", err
	}
	for _, m := range ms {
		if m.Org.Status != "suspended" {
			return "", nil
		}
	}
	msg := fmt.Sprintf("Your organization %s is suspended, so you cannot sign in.", ms[0].Org.Name)
	if r := ms[0].Org.SuspendReason; r != "" {
		msg += " Reason: " + r
	}
	return msg + " Contact your distributor.", nil
}

// logout ends the session.
// POST /logout
func (s *Server) logout(c *fiber.Ctx) error {
	if raw := c.Cookies(sessionCookie); raw != "" {
		if err := s.db.DeleteSession(c.UserContext(), digest(raw)); err != nil {
			return err
		}
	}
	if u := currentUser(c); u != nil {
		if err := s.db.Audit(c.UserContext(), store.AuditEntry{ActorUserID: u.ID, ActorEmail: u.Email, Action: "logout", IP: clientIP(c)}); err != nil {
			return err
		}
	}
	s.clearCookie(c, sessionCookie)
	return c.Redirect("/login", http.StatusSeeOther)
}

func tooManyTries(wait time.Duration) string {
	return tooMany("sign-in attempts", wait)
}

// tooMany says that a rate limit was hit, and when to try again.
func tooMany(what string, wait time.Duration) string {
	minutes := int(math.Ceil(wait.Minutes()))
	return fmt.Sprintf("Too many %s. Try again in %d minute%s.", what, minutes, plural(minutes))
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}

// localPath keeps a redirect target on this site: a plain path, never another host, and
// nothing that could end the Location header (control characters) or that browsers read as
// a host ("//", "/\\", tabs they drop).
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\") {
		return "/"
	}
	for i := 0; i < len(p); i++ {
		if p[i] < 0x20 || p[i] == 0x7f {
			return "/"
		}
	}
	if u, err := url.Parse(p); err != nil || u.Scheme != "" || u.Host != "" {
		return "/"
	}
	return p
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
