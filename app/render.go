package app

import (
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
)

func (s *Server) templateFuncs() template.FuncMap {
	funcs := template.FuncMap{
		"asset": s.assets.url,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02")
		},
		"amount": amountText,
		"datetime": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.UTC().Format("2006-01-02 15:04 UTC")
		},
	}
	for name, f := range licenseFuncs() {
		funcs[name] = f
	}
	return funcs
}

// amountText shows an amount with thousands separators and its currency: "1,098.50 EUR".
func amountText(m billing.Money) string {
	s := m.String()
	sign := ""
	if strings.HasPrefix(s, "-") {
		sign, s = "-", s[1:]
	}
	whole, frac, hasFrac := strings.Cut(s, ".")
	for i := len(whole) - 3; i > 0; i -= 3 {
		whole = whole[:i] + "," + whole[i:]
	}
	if hasFrac {
		whole += "." + frac
	}
	return sign + whole + " " + string(m.Currency)
}

// render writes a page inside the main layout, adding what every page shows: the signed-in
// user, their organizations for the switcher, and the CSRF token for its forms.
func (s *Server) render(c *fiber.Ctx, page string, data fiber.Map) error {
	data["CSRF"] = s.csrfToken(c)
	data["Path"] = c.Path()
	if u := currentUser(c); u != nil {
		data["User"] = u
		ms, err := s.db.Memberships(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		data["Memberships"] = ms
		data["Staff"] = newAccess(ms).staff
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Render(page, data)
}
