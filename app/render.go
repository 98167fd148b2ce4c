package app

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/billing"
	"keyward/app/webhook"
	"keyward/app/words"
	"keyward/store"
)

func (s *Server) templateFuncs() template.FuncMap {
	funcs := template.FuncMap{
		"asset": s.assets.url,
		// publicKey is the key devices check signed answers and license files with (DESIGN §9).
		"publicKey": func() string { return s.signer.PublicKey() },
		"date":      words.Date,
		"day":       words.Day,
		"month":     words.Month,
		"sentence":  words.Sentence,
		"amount":    amountText,
		// under tells whether path is section or one of its pages, to highlight the navigation.
		"under": func(path, section string) bool {
			return path == section || strings.HasPrefix(path, section+"/")
		},
		"markdown":     renderTerms,
		"fieldOf":      fieldOf,
		"auditWords":   auditWords,
		"sentenceCase": sentenceCase,
		"datetime":     words.DateTime,
	}
	for name, f := range licenseFuncs() {
		funcs[name] = f
	}
	for name, f := range invoiceFuncs() {
		funcs[name] = f
	}
	funcs["eventWords"] = webhook.Words
	return funcs
}

// amountText shows an amount (billing.Money or billing.Amount) with thousands separators and its
// currency: "1,098.50 EUR".
func amountText(v any) string {
	var s string
	var currency billing.Currency
	switch m := v.(type) {
	case billing.Money:
		s, currency = m.String(), m.Currency
	case billing.Amount:
		s, currency = m.String(), m.Currency
	default:
		return fmt.Sprint(v)
	}
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
	return sign + whole + " " + string(currency)
}

// render writes a page inside the main layout, adding what every page shows: the signed-in
// user, their organizations for the switcher, and the CSRF token for its forms.
func (s *Server) render(c *fiber.Ctx, page string, data fiber.Map) error {
	data["CSRF"] = s.csrfToken(c)
	data["Path"] = c.Path()
	if data["Errors"] == nil {
		data["Errors"] = map[string]string{}
	}
	if n := notices[c.Query("notice")]; n != "" && data["Notice"] == nil {
		data["Notice"] = n
	}
	if u := currentUser(c); u != nil {
		data["User"] = u
		ms, err := s.db.Memberships(c.UserContext(), u.ID)
		if err != nil {
			return err
		}
		data["Memberships"] = ms
		data["Staff"] = newAccess(ms).staff
		data["WebhooksNav"] = managesWebhooks(ms)
		data["CurrentOrgID"] = currentOrgID(u, ms)
		if data["Flash"], err = s.flash(c, u); err != nil {
			return err
		}
		if imp := impersonatorOf(c); imp != nil {
			until, _ := c.Locals(localActingUntil).(time.Time)
			data["Impersonation"] = impersonationBanner{Impersonator: imp.Name, User: u.Name, Until: until}
			data["Flash"] = nil // the second factor is the impersonated user's to turn on
		}
		if name, _ := c.Locals(localActingEnded).(string); name != "" && data["Notice"] == nil {
			data["Notice"] = "Your hour acting as " + name + " is over: you are yourself again."
		}
	}
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Render(page, data)
}

// currentOrgID is the organization the switcher shows: the last one chosen, else the first.
func currentOrgID(u *store.User, ms []store.Membership) int64 {
	for _, m := range ms {
		if m.Org.ID == u.LastOrgID {
			return m.Org.ID
		}
	}
	if len(ms) > 0 {
		return ms[0].Org.ID
	}
	return 0
}

// formField is one labelled input of a form, with its error, for the "org-field" template.
type formField struct {
	Name, Label, Value, Type, Error string
	Max                             int
	Required                        bool
}

// fieldOf builds a formField of a page's data, taking the field's error from data's Errors.
func fieldOf(data map[string]any, name, label, value, typ string, max int, required bool) formField {
	errs, _ := data["Errors"].(map[string]string)
	return formField{Name: name, Label: label, Value: value, Type: typ, Max: max, Required: required, Error: errs[name]}
}
