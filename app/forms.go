package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// notices are the confirmations a redirect may ask a page to show (?notice=…); a fixed list,
// so that a link cannot make the portal say anything else.
var notices = map[string]string{
	"impersonating":         "You are now acting as this user: you see what they see. Stop from the banner.",
	"impersonation-stopped": "You stopped impersonating: you are yourself again.",
	"member-associated":     "Added: they belong to this organization now, with the role chosen.",
	"invited":               "Invitation sent.",
	"joined":                "The user already had an account: they are now a member and were told by email.",
	"invitation-resent":     "Invitation sent again with a new link.",
	"invitation-revoked":    "Invitation revoked: its link no longer works.",
	"role-changed":          "Role changed.",
	"member-removed":        "User removed from the organization.",
	"org-saved":             "Organization saved.",
	"org-suspended":         "Organization suspended: its users can no longer sign in.",
	"org-reactivated":       "Organization reactivated.",
	"name-changed":          "Name changed.",
	"password-changed":      "Password changed. Your other sessions have ended.",
	"token-revoked":         "API token revoked.",
	"terms-published":       "Terms published. Every user must accept them at their next page.",
	"test-sent":             "Test email queued.",
	"user-deactivated":      "Account deactivated: its sessions ended and its API tokens were revoked.",
	"user-reactivated":      "Account reactivated.",
	"password-reset":        "Your password was changed. Sign in with the new one.",
	"two-factor-expired":    "Your sign-in took too long, or was interrupted. Sign in again.",
	"two-factor-off":        "Two-factor sign-in is off. Sign-in asks for your password only.",
	"two-factor-reset":      "Two-factor sign-in reset: the user signs in with their password and was told by email.",
	"security-saved":        "Security settings saved.",
	"webhook-deleted":       "Webhook endpoint deleted: it receives nothing more, and its pending deliveries were dropped.",
	"test-queued":           "Test event queued: it appears below once the endpoint has answered.",
	"alerts-saved":          "Overage alert setting saved.",
}

// formError re-renders a form page with the message of a bad input next to its field
// (status 400, or 409 for a conflict); any other error goes to the error handler.
func (s *Server) formError(c *fiber.Ctx, page string, data fiber.Map, err error) error {
	if err := fieldError(c, data, err); err != nil {
		return err
	}
	return s.render(c, page, data)
}

// fieldError puts the message of a bad input in data's Errors under its field ("form" when it
// names none) and sets the status, for the page to be shown again; any other error comes back.
func fieldError(c *fiber.Ctx, data fiber.Map, err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Status >= 500 || e.Status == http.StatusNotFound {
		return err
	}
	field := e.Field
	if field == "" {
		field = "form"
	}
	data["Errors"] = map[string]string{field: e.Message}
	c.Status(e.Status)
	return nil
}

// text reads a trimmed text field of at most max characters; required says it may not be empty.
func text(value, field, label string, required bool, max int) (string, error) {
	v := strings.TrimSpace(value)
	switch {
	case required && v == "":
		return "", badInput(field, "Enter the %s.", label)
	case utf8.RuneCountInString(v) > max:
		return "", badInput(field, "The %s has at most %d characters.", label, max)
	case !utf8.ValidString(v) || strings.ContainsAny(v, "\x00"):
		return "", badInput(field, "The %s holds characters that cannot be stored.", label)
	}
	return v, nil
}

// emailField reads a required email address.
func emailField(value, field string) (string, error) {
	v, err := parseEmail(value)
	if err != nil {
		return "", badInput(field, "%s", err.Error())
	}
	return v, nil
}

// pager is a list's page: which one, how many a page, and the links to its neighbours.
type pager struct {
	Page, PerPage, Total, Pages int
	Prev, Next                  string
}

// Offset is the number of rows before the page.
func (p pager) Offset() int { return (p.Page - 1) * p.PerPage }

// newPager reads ?page= and ?per_page= (up to maxPerPage); bad values are bad input.
func newPager(c *fiber.Ctx, perPage, maxPerPage int) (pager, error) {
	p := pager{Page: 1, PerPage: perPage}
	if v := c.Query("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1_000_000 {
			return p, badInput("page", "page is a page number from 1.")
		}
		p.Page = n
	}
	if v := c.Query("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPerPage {
			return p, badInput("per_page", "per_page is a number from 1 to %d.", maxPerPage)
		}
		p.PerPage = n
	}
	return p, nil
}

// done sets the total and builds the links to the previous and next pages, keeping the query.
func (p pager) done(c *fiber.Ctx, total int) pager {
	p.Total = total
	p.Pages = max(1, (total+p.PerPage-1)/p.PerPage)
	link := func(page int) string {
		q, _ := url.ParseQuery(string(c.Request().URI().QueryString()))
		q.Set("page", strconv.Itoa(page))
		q.Del("notice")
		return c.Path() + "?" + q.Encode()
	}
	if p.Page > 1 {
		p.Prev = link(p.Page - 1)
	}
	if p.Page < p.Pages {
		p.Next = link(p.Page + 1)
	}
	return p
}

// parseBody reads a JSON or form body into v; a body that does not parse is bad input.
func parseBody(c *fiber.Ctx, v any) error {
	if err := c.BodyParser(v); err != nil {
		return badInput("", "The request body could not be read: send a JSON object (Content-Type: application/json) whose fields have the documented types.")
	}
	return nil
}
