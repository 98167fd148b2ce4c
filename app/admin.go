package app

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

func (s *Server) routeAdmin() {
	s.route(fiber.MethodGet, "/admin/users", guard{Action: ActionAdminister}, s.adminUsers)
	s.route(fiber.MethodPost, "/admin/users/:uid/deactivate", guard{Action: ActionAdminister}, s.deactivateUser)
	s.route(fiber.MethodPost, "/admin/users/:uid/reactivate", guard{Action: ActionAdminister}, s.reactivateUser)
	s.route(fiber.MethodGet, "/admin/outbox", guard{Action: ActionAdminister}, s.outboxPage)
	s.route(fiber.MethodPost, "/admin/outbox/test", guard{Action: ActionAdminister}, s.sendTestEmail)
	s.route(fiber.MethodGet, "/audit", guard{Action: ActionAdminister}, s.auditPage)
	s.route(fiber.MethodGet, "/orgs/:id/audit", guard{Action: ActionManageMembers, Scope: s.orgParam("id")}, s.orgAuditPage)
}

// adminUsers lists every account, searchable, with deactivate and reactivate buttons.
// GET /admin/users
func (s *Server) adminUsers(c *fiber.Ctx) error {
	p, err := newPager(c, 50, 200)
	if err != nil {
		return err
	}
	users, total, err := s.db.ListUsers(c.UserContext(), c.Query("q"), p.PerPage, p.Offset())
	if err != nil {
		return err
	}
	required, err := s.db.TwoFactorRequired(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, "admin-users", fiber.Map{"Title": "Users", "Users": users, "Query": c.Query("q"), "Pager": p.done(c, total),
		"TwoFactorRequired": required})
}

// deactivateUser ends an account's sessions, stops its API tokens and refuses its sign-in.
// POST /admin/users/:uid/deactivate
func (s *Server) deactivateUser(c *fiber.Ctx) error {
	return s.setUserActive(c, false)
}

// reactivateUser lets a deactivated account sign in again.
// POST /admin/users/:uid/reactivate
func (s *Server) reactivateUser(c *fiber.Ctx) error {
	return s.setUserActive(c, true)
}

func (s *Server) setUserActive(c *fiber.Ctx, active bool) error {
	id, err := idParam(c, "uid")
	if err != nil {
		return err
	}
	if id == currentUser(c).ID {
		return badInput("user", "You cannot deactivate your own account: ask another staff member.")
	}
	user, err := s.db.FindUser(c.UserContext(), id)
	if err != nil {
		return err
	}
	action, notice := "user.reactivated", "user-reactivated"
	if !active {
		action, notice = "user.deactivated", "user-deactivated"
	}
	audit := s.auditEntry(c, action)
	audit.Target = user.Email
	if err := s.db.SetUserActive(c.UserContext(), id, active, audit); err != nil {
		return err
	}
	return c.Redirect("/admin/users?notice="+notice, http.StatusSeeOther)
}

// outboxPage lists the outbox: pending, sent and failed emails with their attempts and last error.
// GET /admin/outbox
func (s *Server) outboxPage(c *fiber.Ctx) error {
	state := c.Query("state")
	if state != "" && state != store.EmailPending && state != store.EmailSent && state != store.EmailFailed {
		return badInput("state", "state is pending, sent or failed.")
	}
	p, err := newPager(c, 50, 200)
	if err != nil {
		return err
	}
	emails, total, err := s.db.ListEmails(c.UserContext(), state, p.PerPage, p.Offset())
	if err != nil {
		return err
	}
	// With real delivery, the links of invitations, resets and email changes are their recipients'
	// alone: staff must not be able to take over an account from this page. Without SMTP (an
	// evaluation) the page is how those links are followed, so they stay.
	if s.cfg.SMTPURL != "" {
		for i := range emails {
			emails[i].Text = tokenLink.ReplaceAllString(emails[i].Text, "${1}… (hidden)")
		}
	}
	return s.render(c, "outbox", fiber.Map{"Title": "Outbox", "Emails": emails, "State": state, "Pager": p.done(c, total),
		"Delivery": s.deliveryMode(), "To": currentUser(c).Email,
		"Logged": s.cfg.SMTPURL == ""}) // without SMTP, "sent" means written to the log
}

// tokenLink matches the secret part of the links that sign a person in or change their account.
var tokenLink = regexp.MustCompile(`(/(?:invitations|reset-password|email-change)/)[A-Za-z0-9_-]+`)

// deliveryMode says in words where emails go.
func (s *Server) deliveryMode() string {
	if s.cfg.SMTPURL == "" {
		return "No mail server is set up: emails are written to the server's log and listed here, not sent. The operator names one when starting Keyward (see the operations guide)."
	}
	settings, _ := parseSMTPURL(s.cfg.SMTPURL)
	return fmt.Sprintf("Emails are sent through %s:%d.", settings.Host, settings.Port)
}

// sendTestEmail queues the test email to an address (the user's own by default).
// POST /admin/outbox/test
func (s *Server) sendTestEmail(c *fiber.Ctx) error {
	to := c.FormValue("to")
	if strings.TrimSpace(to) == "" {
		to = currentUser(c).Email
	}
	to, err := emailField(to, "to")
	if err != nil {
		return err
	}
	mail, err := s.email(to, "test", map[string]any{"Sender": currentUser(c).Email})
	if err != nil {
		return err
	}
	if err := s.db.EnqueueEmails(c.UserContext(), mail); err != nil {
		return err
	}
	s.wakeOutbox()
	return c.Redirect("/admin/outbox?notice=test-sent", http.StatusSeeOther)
}

// auditPage shows the whole audit log to staff.
// GET /audit
func (s *Server) auditPage(c *fiber.Ctx) error {
	return s.renderAudit(c, store.Org{}, "Audit log")
}

// orgAuditPage shows an organization's audit log to its owners (and staff).
// GET /orgs/:id/audit
func (s *Server) orgAuditPage(c *fiber.Ctx) error {
	org := guardedOrg(c)
	return s.renderAudit(c, org, "Audit log of "+org.Name)
}

// renderAudit lists audit entries filtered by actor, action and date range (UTC days, both included).
func (s *Server) renderAudit(c *fiber.Ctx, org store.Org, title string) error {
	f := store.AuditFilter{OrgID: org.ID, Actor: strings.TrimSpace(c.Query("actor")), Action: strings.TrimSpace(c.Query("action"))}
	data := fiber.Map{"Title": title, "Org": org, "Actor": f.Actor, "Action": f.Action, "From": c.Query("from"), "To": c.Query("to")}
	var bad error
	if v := c.Query("from"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad = badInput("from", "Enter the date as YYYY-MM-DD.")
		}
		f.From = d
	}
	if v := c.Query("to"); v != "" {
		d, err := time.Parse(time.DateOnly, v)
		if err != nil {
			bad = badInput("to", "Enter the date as YYYY-MM-DD.")
		}
		f.To = d.AddDate(0, 0, 1)
	}
	if bad == nil && !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To) {
		bad = badInput("to", "The end date comes before the start date.")
	}
	if len(f.Actor) > 254 || len(f.Action) > 100 {
		bad = badInput("actor", "The filter is too long.")
	}
	p, err := newPager(c, 50, 200)
	if err == nil {
		err = bad
	}
	if err != nil {
		data["Entries"], data["Pager"] = nil, pager{Page: 1, Pages: 1}
		return s.formError(c, "audit", data, err)
	}
	f.Limit, f.Offset = p.PerPage, p.Offset()
	entries, total, err := s.db.ListAudit(c.UserContext(), f)
	if err != nil {
		return err
	}
	data["Entries"], data["Pager"] = entries, p.done(c, total)
	return s.render(c, "audit", data)
}
