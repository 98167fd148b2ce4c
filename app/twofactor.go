package app

import (
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	qrcode "github.com/skip2/go-qrcode"

	"keyward/app/totp"
	"keyward/store"
)

const (
	// loginChallengeTTL is how long the step between the password and the code may take.
	loginChallengeTTL = 5 * time.Minute
	challengeCookie   = "kw_2fa"
	// flashCookie carries, to the first page after a sign-in, that it used a recovery code.
	flashCookie      = "kw_flash"
	flashRecoveryUse = "recovery-code-used"
	totpIssuer       = "Keyward"
)

func (s *Server) routeTwoFactor() {
	// Every route that shows or changes a second factor is marked Credentials, so that
	// impersonation (DESIGN §8) can refuse them all in one place, guarded.
	enroll := guard{Action: ActionSignedIn, BeforeTerms: true, BeforeTwoFactor: true, Credentials: true}
	own := guard{Action: ActionSignedIn, Credentials: true}
	s.route(fiber.MethodGet, "/profile/2fa", enroll, s.twoFactorPage)
	s.route(fiber.MethodPost, "/profile/2fa", enroll, s.enableTwoFactor)
	s.route(fiber.MethodPost, "/profile/2fa/recovery-codes", own, s.replaceRecoveryCodes)
	s.route(fiber.MethodPost, "/profile/2fa/disable", own, s.disableTwoFactor)
	s.route(fiber.MethodGet, "/login/2fa", guard{Action: ActionPublic}, s.secondStepForm)
	s.route(fiber.MethodPost, "/login/2fa", guard{Action: ActionPublic}, s.secondStep)
	s.route(fiber.MethodGet, "/admin/security", guard{Action: ActionAdminister}, s.securityPage)
	s.route(fiber.MethodPost, "/admin/security", guard{Action: ActionAdminister}, s.saveSecurity)
	reset := guard{Action: ActionAdminister, Credentials: true}
	s.route(fiber.MethodGet, "/admin/users/:uid/two-factor/reset", reset, s.resetTwoFactorForm)
	s.route(fiber.MethodPost, "/admin/users/:uid/two-factor/reset", reset, s.resetTwoFactor)
}

// totpSecretAD binds a sealed TOTP secret to its user: copied onto another row, it does not open.
func totpSecretAD(userID int64) []byte {
	return []byte("totp-secret:" + strconv.FormatInt(userID, 10))
}

func (s *Server) totpSecret(t store.TwoFactor) ([]byte, error) {
	secret, err := s.unseal("totp-secret", t.SecretEnc, totpSecretAD(t.UserID))
	if err != nil {
		return nil, fmt.Errorf("unable to open the TOTP secret of user %d: %w", t.UserID, err)
	}
	return secret, nil
}

// recoveryHash is how a recovery code is kept: an HMAC under the instance secret rather than a
// plain SHA-256, because a code holds about 40 bits, which a stolen database alone would
// let anyone try in full offline.
func (s *Server) recoveryHash(userID int64, code string) []byte {
	return []byte(s.sign("recovery-code", strconv.FormatInt(userID, 10)+":"+code))
}

// newRecoveryCodes makes a user's recovery codes, and their hashes to store.
func (s *Server) newRecoveryCodes(userID int64) (codes []string, hashes [][]byte) {
	codes = totp.NewRecoveryCodes(totp.RecoveryCount)
	for _, c := range codes {
		hashes = append(hashes, s.recoveryHash(userID, c))
	}
	return codes, hashes
}

var (
	errCodeShape = &Error{Status: http.StatusBadRequest, Code: "INVALID_INPUT", Field: "code",
		Message: "Type the 6 digits your authenticator app shows, or one of your recovery codes (xxxx-xxxx)."}
	errWrongCode = &Error{Status: http.StatusUnauthorized, Code: "WRONG_CODE", Field: "code",
		Message: "This code is not right, or it was used already. Type the code your app shows now."}
)

// checkSecondFactor takes a code typed to sign in or to turn two-factor sign-in off: a current
// TOTP code of a step not used before, or an unused recovery code, which it spends. Codes that
// could be right count against the account's limit, as wrong passwords do (DESIGN §2).
func (s *Server) checkSecondFactor(c *fiber.Ctx, t store.TwoFactor, input string) (recovery bool, left int, err error) {
	code, isTOTP := totp.NormalizeCode(input)
	if !isTOTP {
		if code, recovery = totp.NormalizeRecoveryCode(input); !recovery {
			return false, 0, errCodeShape
		}
	}
	if err := s.countCodeTry(t.UserID); err != nil {
		return false, 0, err
	}
	ctx := c.UserContext()
	if recovery {
		left, err := s.db.UseRecoveryCode(ctx, t.UserID, s.recoveryHash(t.UserID, code))
		if errors.Is(err, store.ErrNotFound) {
			return true, 0, errWrongCode
		}
		return true, left, err
	}
	secret, err := s.totpSecret(t)
	if err != nil {
		return false, 0, err
	}
	step, ok := totp.Match(secret, code, s.clock.Now(), t.LastStep)
	if !ok {
		return false, 0, errWrongCode
	}
	if err := s.db.UseTOTPStep(ctx, t.UserID, step); errors.Is(err, store.ErrConflict) {
		return false, 0, errWrongCode // the same code, sent twice at once: only one passes
	} else if err != nil {
		return false, 0, err
	}
	return false, 0, nil
}

// countCodeTry counts one try of a code against the account's limit, and refuses it beyond.
func (s *Server) countCodeTry(userID int64) error {
	if ok, wait := s.codeTries.Allow(strconv.FormatInt(userID, 10)); !ok {
		return &Error{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", Field: "code", Message: tooMany("tries of a code", wait)}
	}
	return nil
}

// mustEnroll tells whether the signed-in user must turn two-factor sign-in on before anything
// else, by the staff setting.
func (s *Server) mustEnroll(c *fiber.Ctx) (bool, error) {
	u := currentUser(c)
	if u == nil || u.TwoFactor {
		return false, nil
	}
	return s.db.MustEnrollTwoFactor(c.UserContext(), u.ID)
}

// twoFactorPage shows the user's second factor: while it is off, the secret to add to an
// authenticator app (as text and as a QR code) and the form that turns it on; once on, how
// many recovery codes are left, new recovery codes, and turning it off.
// GET /profile/2fa
func (s *Server) twoFactorPage(c *fiber.Ctx) error {
	return s.renderTwoFactor(c, fiber.Map{"Next": localPath(c.Query("next", "/profile"))})
}

func (s *Server) renderTwoFactor(c *fiber.Ctx, data fiber.Map) error {
	u := currentUser(c)
	data["Title"] = "Two-factor sign-in"
	if data["Form"] == nil {
		data["Form"] = ""
	}
	if codes, ok := data["RecoveryCodes"].([]string); ok {
		data["CodesFile"] = template.URL("data:text/plain;charset=utf-8," + url.PathEscape(strings.Join(codes, "\n")+"\n"))
	}
	if u.TwoFactor {
		t, err := s.db.FindTwoFactor(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		data["TwoFactor"] = t
		return s.render(c, "two-factor", data)
	}
	// The pending secret is kept on the server from this first showing, as the form that turns
	// it on carries only the code: a write on a GET, but one that changes nothing a person sees.
	t, err := s.db.StartTwoFactor(c.UserContext(), u.ID, s.seal("totp-secret", totp.NewSecret(), totpSecretAD(u.ID)))
	if err != nil {
		return err
	}
	secret, err := s.totpSecret(t)
	if err != nil {
		return err
	}
	uri := totp.URI(totpIssuer, u.Email, secret)
	png, err := qrcode.Encode(uri, qrcode.Medium, 320)
	if err != nil {
		return err
	}
	must, err := s.mustEnroll(c)
	if err != nil {
		return err
	}
	data["Secret"] = groupsOf4(totp.EncodeSecret(secret))
	data["URI"] = template.URL(uri) // otpauth:, which html/template would otherwise blank out
	// A data: URL, which the CSP's img-src allows: the code is drawn here, never by an outside service.
	data["QR"] = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(png))
	data["MustEnroll"] = must
	return s.render(c, "two-factor", data)
}

// groupsOf4 spaces a secret for reading and typing: ABCD EFGH …
func groupsOf4(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i += 4 {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(s[i:min(i+4, len(s))])
	}
	return b.String()
}

// enableTwoFactor turns two-factor sign-in on with a current code of the secret shown, and
// shows the recovery codes this once.
// POST /profile/2fa
func (s *Server) enableTwoFactor(c *fiber.Ctx) error {
	u, ctx := currentUser(c), c.UserContext()
	next := localPath(c.FormValue("next", "/profile"))
	t, err := s.db.FindTwoFactor(ctx, u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && t.Enabled()) {
		return c.Redirect("/profile/2fa", http.StatusSeeOther) // the secret was never shown, or it is on already
	}
	if err != nil {
		return err
	}
	data := fiber.Map{"Next": next}
	code, ok := totp.NormalizeCode(c.FormValue("code"))
	if !ok {
		return s.twoFactorError(c, data, badInput("code", "Type the 6 digits your authenticator app shows."))
	}
	if err := s.countCodeTry(u.ID); err != nil {
		return s.twoFactorError(c, data, err)
	}
	secret, err := s.totpSecret(t)
	if err != nil {
		return err
	}
	step, ok := totp.Match(secret, code, s.clock.Now(), t.LastStep)
	if !ok {
		return s.twoFactorError(c, data, badInput("code",
			"This code is not right. Check that the app shows Keyward (%s) and that your phone sets its clock automatically, then type the code it shows now.", u.Email))
	}
	codes, hashes := s.newRecoveryCodes(u.ID)
	err = s.db.EnableTwoFactor(ctx, u.ID, step, hashes, s.auditEntry(c, "two_factor.enabled"))
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect("/profile/2fa", http.StatusSeeOther) // turned on meanwhile, in another tab
	}
	if err != nil {
		return err
	}
	u.TwoFactor = true
	data["RecoveryCodes"], data["Notice"] = codes, "Two-factor sign-in is on."
	return s.renderTwoFactor(c, data)
}

// twoFactorError shows the two-factor page again with the message beside the field at fault.
func (s *Server) twoFactorError(c *fiber.Ctx, data fiber.Map, err error) error {
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.renderTwoFactor(c, data)
}

// replaceRecoveryCodes shows new recovery codes, once; the old ones stop working.
// POST /profile/2fa/recovery-codes
func (s *Server) replaceRecoveryCodes(c *fiber.Ctx) error {
	u := currentUser(c)
	if !u.TwoFactor {
		return c.Redirect("/profile/2fa", http.StatusSeeOther)
	}
	data := fiber.Map{"Form": "recovery"}
	if err := s.checkCurrentPassword(c); err != nil {
		return s.twoFactorError(c, data, err)
	}
	codes, hashes := s.newRecoveryCodes(u.ID)
	if err := s.db.ReplaceRecoveryCodes(c.UserContext(), u.ID, hashes, s.auditEntry(c, "two_factor.recovery_codes_replaced")); err != nil {
		return err
	}
	data["RecoveryCodes"], data["Notice"] = codes, "New recovery codes made: the old ones no longer work."
	return s.renderTwoFactor(c, data)
}

// disableTwoFactor turns two-factor sign-in off, with the password and a code (or a recovery
// code, for a user whose phone is gone).
// POST /profile/2fa/disable
func (s *Server) disableTwoFactor(c *fiber.Ctx) error {
	u, ctx := currentUser(c), c.UserContext()
	if !u.TwoFactor {
		return c.Redirect("/profile/2fa", http.StatusSeeOther)
	}
	data := fiber.Map{"Form": "disable"}
	if err := s.checkCurrentPassword(c); err != nil {
		return s.twoFactorError(c, data, err)
	}
	t, err := s.db.FindTwoFactor(ctx, u.ID)
	if err != nil {
		return err
	}
	if _, _, err := s.checkSecondFactor(c, t, c.FormValue("code")); err != nil {
		return s.twoFactorError(c, data, err)
	}
	err = s.db.DisableTwoFactor(ctx, u.ID, nil, s.auditEntry(c, "two_factor.disabled"))
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return c.Redirect("/profile?notice=two-factor-off", http.StatusSeeOther)
}

// startSecondStep answers a right password of an account with two-factor sign-in: a
// short-lived half-session on the server, which opens no page, and the form that asks for the code.
func (s *Server) startSecondStep(c *fiber.Ctx, user store.User, next string) error {
	raw := randomToken()
	ch := store.LoginChallenge{IDHash: digest(raw), UserID: user.ID, Next: next, IP: clientIP(c)}
	if err := s.db.CreateLoginChallenge(c.UserContext(), &ch, loginChallengeTTL); err != nil {
		return err
	}
	s.setCookie(c, challengeCookie, raw, loginChallengeTTL)
	return c.Redirect("/login/2fa", http.StatusSeeOther)
}

// loginChallenge is the half-session of this browser's sign-in, or ErrNotFound.
func (s *Server) loginChallenge(c *fiber.Ctx) (store.LoginChallenge, error) {
	raw := c.Cookies(challengeCookie)
	if raw == "" {
		return store.LoginChallenge{}, store.ErrNotFound
	}
	return s.db.FindLoginChallenge(c.UserContext(), digest(raw))
}

// secondStepForm asks for the code after a right password.
// GET /login/2fa
func (s *Server) secondStepForm(c *fiber.Ctx) error {
	if currentUser(c) != nil {
		return c.Redirect("/", http.StatusSeeOther)
	}
	if _, err := s.loginChallenge(c); errors.Is(err, store.ErrNotFound) {
		return c.Redirect("/login?notice=two-factor-expired", http.StatusSeeOther)
	} else if err != nil {
		return err
	}
	return s.render(c, "login-2fa", fiber.Map{"Title": "Two-factor sign-in"})
}

// secondStep takes the code (or a recovery code) and only then starts the session, with a
// new id, and goes where the sign-in was going.
// POST /login/2fa
func (s *Server) secondStep(c *fiber.Ctx) error {
	ctx, ip := c.UserContext(), clientIP(c)
	ch, err := s.loginChallenge(c)
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect("/login?notice=two-factor-expired", http.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	user, err := s.db.FindUser(ctx, ch.UserID)
	if err != nil {
		return err
	}
	t, err := s.db.FindTwoFactor(ctx, user.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled()) || !user.Active {
		// Reset or deactivated since the password step: start again from the password.
		if err := s.db.DeleteLoginChallenge(ctx, ch.IDHash); err != nil {
			return err
		}
		return c.Redirect("/login?notice=two-factor-expired", http.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	recovery, left, err := s.checkSecondFactor(c, t, c.FormValue("code"))
	if err != nil {
		data := fiber.Map{"Title": "Two-factor sign-in"}
		if errors.Is(err, errWrongCode) {
			how := "authenticator code"
			if recovery {
				how = "recovery code"
			}
			if err := s.db.Audit(ctx, store.AuditEntry{ActorUserID: user.ID, ActorEmail: user.Email, Action: "login.two_factor_failed",
				IP: ip, Details: "wrong " + how}); err != nil {
				return err
			}
		}
		if ferr := fieldError(c, data, err); ferr != nil {
			return ferr
		}
		return s.render(c, "login-2fa", data)
	}
	if err := s.db.DeleteLoginChallenge(ctx, ch.IDHash); err != nil {
		return err
	}
	s.clearCookie(c, challengeCookie)
	action, details := "login.two_factor", ""
	if recovery {
		action, details = "login.recovery_code", fmt.Sprintf("%d left", left)
	}
	if err := s.startSession(c, user, action, details); err != nil {
		var refused *Error
		if errors.As(err, &refused) {
			c.Status(refused.Status)
			return s.render(c, "login", fiber.Map{"Title": "Sign in", "Next": ch.Next, "Email": user.Email, "Error": refused.Message})
		}
		return err
	}
	if recovery {
		s.setCookie(c, flashCookie, flashRecoveryUse, loginChallengeTTL)
	}
	return c.Redirect(localPath(ch.Next), http.StatusSeeOther)
}

// flash is the one-time message of the first page after a sign-in with a recovery code:
// how many are left, read from the database so that the cookie cannot make it say anything else.
func (s *Server) flash(c *fiber.Ctx, u *store.User) (string, error) {
	if c.Cookies(flashCookie) != flashRecoveryUse {
		return "", nil
	}
	s.clearCookie(c, flashCookie)
	t, err := s.db.FindTwoFactor(c.UserContext(), u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !t.Enabled()) {
		return "", nil
	}
	if err != nil {
		return "", err
	}
	switch n := t.RecoveryLeft; {
	case n == 0:
		return "You signed in with your last recovery code. Make new ones on your two-factor page now.", nil
	case n <= 3:
		return fmt.Sprintf("You signed in with a recovery code. You have %d left; make new ones on your two-factor page before they run out.", n), nil
	default:
		return fmt.Sprintf("You signed in with a recovery code. You have %d left; each works once.", n), nil
	}
}

// securityPage shows the staff setting that requires two-factor sign-in, and how many of the
// users it concerns have it on.
// GET /admin/security
func (s *Server) securityPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	required, err := s.db.TwoFactorRequired(ctx)
	if err != nil {
		return err
	}
	enabled, total, err := s.db.TwoFactorCoverage(ctx)
	if err != nil {
		return err
	}
	return s.render(c, "admin-security", fiber.Map{"Title": "Security", "Required": required, "Enabled": enabled, "Total": total})
}

// saveSecurity turns the requirement of two-factor sign-in for staff and distributor users
// on or off.
// POST /admin/security
func (s *Server) saveSecurity(c *fiber.Ctx) error {
	var on bool
	switch c.FormValue("require_two_factor") {
	case "":
	case "on", "1", "true":
		on = true
	default:
		return badInput("require_two_factor", "require_two_factor is on or absent.")
	}
	action := "two_factor.not_required"
	if on {
		action = "two_factor.required"
	}
	if err := s.db.SetTwoFactorRequired(c.UserContext(), on, s.auditEntry(c, action)); err != nil {
		return err
	}
	return c.Redirect("/admin/security?notice=security-saved", http.StatusSeeOther)
}

// resetTarget is the user whose second factor staff reset: never themselves, as that would
// turn it off without the password and a code.
func (s *Server) resetTarget(c *fiber.Ctx) (store.User, error) {
	id, err := idParam(c, "uid")
	if err != nil {
		return store.User{}, err
	}
	if id == currentUser(c).ID {
		return store.User{}, badInput("user", "You cannot reset your own two-factor sign-in: turn it off on your profile, or ask another staff member.")
	}
	return s.db.FindUser(c.UserContext(), id)
}

// resetTwoFactorForm asks staff to confirm the reset of a user's second factor.
// GET /admin/users/:uid/two-factor/reset
func (s *Server) resetTwoFactorForm(c *fiber.Ctx) error {
	target, err := s.resetTarget(c)
	if err != nil {
		return err
	}
	return s.render(c, "admin-two-factor-reset", fiber.Map{"Title": "Reset two-factor sign-in", "Target": target})
}

// resetTwoFactor turns a user's second factor off, for a user who lost it: audited, and the
// user is told by email.
// POST /admin/users/:uid/two-factor/reset
func (s *Server) resetTwoFactor(c *fiber.Ctx) error {
	target, err := s.resetTarget(c)
	if err != nil {
		return err
	}
	if !target.TwoFactor {
		return badInput("user", "%s does not use two-factor sign-in: there is nothing to reset.", target.Name)
	}
	staff := currentUser(c)
	mail, err := s.email(target.Email, "two-factor-reset", map[string]any{"Name": target.Name, "Staff": staff.Name,
		"StaffEmail": staff.Email, "Link": s.baseURL() + "/profile/2fa"})
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "two_factor.reset")
	audit.Target = target.Email
	err = s.db.DisableTwoFactor(c.UserContext(), target.ID, []store.Email{mail}, audit)
	if errors.Is(err, store.ErrNotFound) {
		return badInput("user", "%s does not use two-factor sign-in: there is nothing to reset.", target.Name)
	}
	if err != nil {
		return err
	}
	s.wakeOutbox()
	return c.Redirect("/admin/users?notice=two-factor-reset", http.StatusSeeOther)
}
