package app

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// Lifetimes of the email links of DESIGN §2.
const (
	passwordResetTTL = time.Hour
	emailChangeTTL   = 24 * time.Hour
)

var errBadLink = &Error{Status: http.StatusNotFound, Code: "NOT_FOUND",
	Message: "This link is invalid, has expired or was used already. Ask for a new one."}

func (s *Server) routeProfile() {
	s.route(fiber.MethodGet, "/profile", guard{Action: ActionSignedIn}, s.profilePage)
	s.route(fiber.MethodPost, "/profile/name", guard{Action: ActionSignedIn}, s.changeName)
	s.route(fiber.MethodPost, "/profile/password", guard{Action: ActionSignedIn, Credentials: true}, s.changePassword)
	s.route(fiber.MethodPost, "/profile/email", guard{Action: ActionSignedIn, Credentials: true}, s.changeEmail)
	s.route(fiber.MethodPost, "/profile/tokens", guard{Action: ActionSignedIn, Credentials: true}, s.createToken)
	s.route(fiber.MethodPost, "/profile/tokens/:tid/revoke", guard{Action: ActionSignedIn, Credentials: true}, s.revokeToken)
	s.route(fiber.MethodGet, "/email-change/:token", guard{Action: ActionPublic}, s.emailChangePage)
	s.route(fiber.MethodPost, "/email-change/:token", guard{Action: ActionPublic, Credentials: true}, s.confirmEmailChange)
	s.route(fiber.MethodGet, "/forgot-password", guard{Action: ActionPublic}, s.forgotPasswordForm)
	s.route(fiber.MethodPost, "/forgot-password", guard{Action: ActionPublic}, s.forgotPassword)
	s.route(fiber.MethodGet, "/reset-password/:token", guard{Action: ActionPublic}, s.resetPasswordForm)
	s.route(fiber.MethodPost, "/reset-password/:token", guard{Action: ActionPublic, Credentials: true}, s.resetPassword)
}

// profilePage shows the user's name, email, password and API token forms.
// GET /profile
func (s *Server) profilePage(c *fiber.Ctx) error {
	return s.renderProfile(c, fiber.Map{})
}

func (s *Server) renderProfile(c *fiber.Ctx, data fiber.Map) error {
	tokens, err := s.db.APITokens(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	data["Title"], data["Tokens"] = "Your profile", tokens
	if data["OverageOptedOut"], err = s.db.OverageOptedOut(c.UserContext(), currentUser(c).ID); err != nil {
		return err
	}
	if data["Name"] == nil {
		data["Name"] = currentUser(c).Name
	}
	return s.render(c, "profile", data)
}

// profileError shows the profile again with the message next to the field at fault.
func (s *Server) profileError(c *fiber.Ctx, data fiber.Map, err error) error {
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.renderProfile(c, data)
}

// changeName renames the user.
// POST /profile/name
func (s *Server) changeName(c *fiber.Ctx) error {
	name, err := text(c.FormValue("name"), "name", "name", true, 100)
	if err != nil {
		return s.profileError(c, fiber.Map{"Name": c.FormValue("name")}, err)
	}
	if err := s.db.RenameUser(c.UserContext(), currentUser(c).ID, name); err != nil {
		return err
	}
	return c.Redirect("/profile?notice=name-changed", http.StatusSeeOther)
}

// checkCurrentPassword refuses a change unless the form holds the user's current password.
func (s *Server) checkCurrentPassword(c *fiber.Ctx) error {
	if !s.passwords.check(currentUser(c).PasswordHash, c.FormValue("current_password")) {
		return badInput("current_password", "This is not your current password.")
	}
	return nil
}

// changePassword sets a new password and ends the user's other sessions.
// POST /profile/password
func (s *Server) changePassword(c *fiber.Ctx) error {
	if err := s.checkCurrentPassword(c); err != nil {
		return s.profileError(c, fiber.Map{}, err)
	}
	password := c.FormValue("new_password")
	if err := s.passwords.validate(password); err != nil {
		return s.profileError(c, fiber.Map{}, badInput("new_password", "%s", err.Error()))
	}
	u := currentUser(c)
	sid, _ := c.Locals(localSessionID).(string)
	if err := s.db.ChangePassword(c.UserContext(), u.ID, s.passwords.hash(password), digest(sid), s.auditEntry(c, "password.changed")); err != nil {
		return err
	}
	return c.Redirect("/profile?notice=password-changed", http.StatusSeeOther)
}

// changeEmail sends a confirmation link to the new address and a notice to the current one;
// the email changes only when the link is used.
// POST /profile/email
func (s *Server) changeEmail(c *fiber.Ctx) error {
	data := fiber.Map{"NewEmail": c.FormValue("email")}
	email, err := emailField(c.FormValue("email"), "email")
	if err == nil && strings.EqualFold(email, currentUser(c).Email) {
		err = badInput("email", "This is your email already.")
	}
	if err == nil {
		err = s.checkCurrentPassword(c)
	}
	if err != nil {
		return s.profileError(c, data, err)
	}
	u := currentUser(c)
	token := randomToken()
	confirm, err := s.email(email, "email-change", map[string]any{"Name": u.Name, "NewEmail": email,
		"Link": s.baseURL() + "/email-change/" + token, "Hours": int(emailChangeTTL.Hours())})
	if err != nil {
		return err
	}
	notice, err := s.email(u.Email, "email-change-notice", map[string]any{"Name": u.Name, "NewEmail": email, "IP": clientIP(c)})
	if err != nil {
		return err
	}
	audit := s.auditEntry(c, "email.change_requested")
	audit.Target = email
	t := store.EmailToken{UserID: u.ID, Purpose: store.PurposeEmailChange, NewEmail: email}
	if err := s.db.CreateEmailToken(c.UserContext(), &t, digest(token), emailChangeTTL, []store.Email{confirm, notice}, audit); err != nil {
		return err
	}
	s.wakeOutbox()
	return s.renderProfile(c, fiber.Map{"Notice": "We sent a confirmation link to " + email + ". Your email changes when you open it."})
}

// emailChangePage asks to confirm the new address of an email-change link.
// GET /email-change/:token
func (s *Server) emailChangePage(c *fiber.Ctx) error {
	t, err := s.db.FindEmailToken(c.UserContext(), store.PurposeEmailChange, digest(c.Params("token")))
	if errors.Is(err, store.ErrNotFound) {
		return errBadLink
	}
	if err != nil {
		return err
	}
	return s.render(c, "email-change", fiber.Map{"Title": "Confirm your new email", "NewEmail": t.NewEmail})
}

// confirmEmailChange applies an email change, once.
// POST /email-change/:token
func (s *Server) confirmEmailChange(c *fiber.Ctx) error {
	u, err := s.db.ConfirmEmailChange(c.UserContext(), digest(c.Params("token")), s.auditEntry(c, "email.changed"))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return errBadLink
	case errors.Is(err, store.ErrConflict):
		return &Error{Status: http.StatusConflict, Code: "CONFLICT",
			Message: "Another account uses this email already, so yours was not changed."}
	case err != nil:
		return err
	}
	return s.render(c, "email-change", fiber.Map{"Title": "Email changed", "Done": true, "NewEmail": u.Email})
}

// createToken creates a personal API token and shows it this once.
// POST /profile/tokens
func (s *Server) createToken(c *fiber.Ctx) error {
	name, err := text(c.FormValue("token_name"), "token_name", "token name", true, 100)
	if err != nil {
		return s.profileError(c, fiber.Map{"TokenName": c.FormValue("token_name")}, err)
	}
	value, err := NewAPIToken(c.UserContext(), s.db, currentUser(c).ID, name)
	if err != nil {
		return err
	}
	return s.renderProfile(c, fiber.Map{"NewToken": value, "NewTokenName": name})
}

// revokeToken stops one of the user's API tokens.
// POST /profile/tokens/:tid/revoke
func (s *Server) revokeToken(c *fiber.Ctx) error {
	id, err := idParam(c, "tid")
	if err != nil {
		return err
	}
	if err := s.db.RevokeAPIToken(c.UserContext(), currentUser(c).ID, id); err != nil {
		return err
	}
	return c.Redirect("/profile?notice=token-revoked", http.StatusSeeOther)
}

// forgotPasswordForm asks for the email of the account.
// GET /forgot-password
func (s *Server) forgotPasswordForm(c *fiber.Ctx) error {
	return s.render(c, "forgot-password", fiber.Map{"Title": "Forgot your password?"})
}

// forgotPassword sends a reset link to a known, active account; the answer is the same
// whether the account exists or not, and it is rate limited per address and per IP.
// POST /forgot-password
func (s *Server) forgotPassword(c *fiber.Ctx) error {
	data := fiber.Map{"Title": "Forgot your password?", "Email": c.FormValue("email")}
	email, err := emailField(c.FormValue("email"), "email")
	if err != nil {
		return s.formError(c, "forgot-password", data, err)
	}
	ok1, wait1 := s.forgotByIP.Allow(clientIP(c))
	ok2, wait2 := s.forgotByEmail.Allow(strings.ToLower(email))
	if !ok1 || !ok2 {
		c.Status(http.StatusTooManyRequests)
		data["Errors"] = map[string]string{"email": tooMany("requests for a reset link", max(wait1, wait2))}
		return s.render(c, "forgot-password", data)
	}
	ctx := c.UserContext()
	user, err := s.db.FindUserByEmail(ctx, email)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && user.Active {
		token := randomToken()
		mail, err := s.email(user.Email, "password-reset", map[string]any{"Name": user.Name,
			"Link": s.baseURL() + "/reset-password/" + token, "Minutes": int(passwordResetTTL.Minutes())})
		if err != nil {
			return err
		}
		audit := s.auditEntry(c, "password.reset_requested")
		audit.ActorUserID, audit.ActorEmail = user.ID, user.Email
		t := store.EmailToken{UserID: user.ID, Purpose: store.PurposePasswordReset}
		if err := s.db.CreateEmailToken(ctx, &t, digest(token), passwordResetTTL, []store.Email{mail}, audit); err != nil {
			return err
		}
		s.wakeOutbox()
	}
	data["Sent"] = true
	return s.render(c, "forgot-password", data)
}

// resetPasswordForm asks for a new password.
// GET /reset-password/:token
func (s *Server) resetPasswordForm(c *fiber.Ctx) error {
	if _, err := s.db.FindEmailToken(c.UserContext(), store.PurposePasswordReset, digest(c.Params("token"))); errors.Is(err, store.ErrNotFound) {
		return errBadLink
	} else if err != nil {
		return err
	}
	return s.render(c, "reset-password", fiber.Map{"Title": "Choose a new password"})
}

// resetPassword sets the new password, ends every session of the account and sends to sign-in.
// POST /reset-password/:token
func (s *Server) resetPassword(c *fiber.Ctx) error {
	hash := digest(c.Params("token"))
	if _, err := s.db.FindEmailToken(c.UserContext(), store.PurposePasswordReset, hash); errors.Is(err, store.ErrNotFound) {
		return errBadLink
	} else if err != nil {
		return err
	}
	password := c.FormValue("password")
	if err := s.passwords.validate(password); err != nil {
		return s.formError(c, "reset-password", fiber.Map{"Title": "Choose a new password"}, badInput("password", "%s", err.Error()))
	}
	_, err := s.db.ResetPassword(c.UserContext(), hash, s.passwords.hash(password), s.auditEntry(c, "password.reset"))
	if errors.Is(err, store.ErrNotFound) {
		return errBadLink
	}
	if err != nil {
		return err
	}
	return c.Redirect("/login?notice=password-reset", http.StatusSeeOther)
}
