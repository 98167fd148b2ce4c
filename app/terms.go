package app

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

func (s *Server) routeTerms() {
	s.route(fiber.MethodGet, "/terms", guard{Action: ActionSignedIn, BeforeTerms: true}, s.termsPage)
	s.route(fiber.MethodPost, "/terms", guard{Action: ActionSignedIn, BeforeTerms: true, Credentials: true}, s.acceptTerms)
	s.route(fiber.MethodGet, "/admin/terms", guard{Action: ActionAdminister}, s.adminTerms)
	s.route(fiber.MethodPost, "/admin/terms", guard{Action: ActionAdminister}, s.publishTerms)
}

// termsPage shows the terms in force and, until the user accepted them, the accept button.
// GET /terms
func (s *Server) termsPage(c *fiber.Ctx) error {
	terms, err := s.db.CurrentTerms(c.UserContext())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	pending, err := s.db.TermsPending(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return err
	}
	return s.render(c, "terms", fiber.Map{"Title": "Terms and conditions", "Terms": terms, "Pending": pending,
		"Next": localPath(c.Query("next"))})
}

// acceptTerms records that the user accepted the version in force, then goes where they were going.
// POST /terms
func (s *Server) acceptTerms(c *fiber.Ctx) error {
	ctx := c.UserContext()
	terms, err := s.db.CurrentTerms(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return c.Redirect("/", http.StatusSeeOther)
	}
	if err != nil {
		return err
	}
	next := localPath(c.FormValue("next"))
	if id, _ := strconv.ParseInt(c.FormValue("terms_id"), 10, 64); id != terms.ID {
		// A newer version came out while the page was open: show it.
		return c.Redirect("/terms?next="+url.QueryEscape(next), http.StatusSeeOther)
	}
	audit := s.auditEntry(c, "terms.accepted")
	audit.Target = terms.Label
	if err := s.db.AcceptTerms(ctx, terms.ID, currentUser(c).ID, clientIP(c), audit); err != nil {
		return err
	}
	return c.Redirect(next, http.StatusSeeOther)
}

// termsInput is a new version of the terms.
type termsInput struct {
	Label, EffectiveOn, Format, Body string
}

// adminTerms lists the versions of the terms with their acceptances, and the form of a new one.
// GET /admin/terms
func (s *Server) adminTerms(c *fiber.Ctx) error {
	return s.renderAdminTerms(c, fiber.Map{"Form": termsInput{Format: "markdown", EffectiveOn: s.clock.Now().UTC().Format(time.DateOnly)}})
}

func (s *Server) renderAdminTerms(c *fiber.Ctx, data fiber.Map) error {
	ctx := c.UserContext()
	versions, err := s.db.AllTerms(ctx)
	if err != nil {
		return err
	}
	data["Title"], data["Versions"] = "Terms and conditions", versions
	var shown store.TermsVersion
	if len(versions) > 0 {
		shown = versions[0]
	}
	if v := c.Query("version"); v != "" {
		id, _ := strconv.ParseInt(v, 10, 64)
		shown = store.TermsVersion{}
		for _, t := range versions {
			if t.ID == id {
				shown = t
			}
		}
		if shown.ID == 0 {
			return errNotFound
		}
	}
	if shown.ID != 0 {
		p, err := newPager(c, 50, 500)
		if err != nil {
			return err
		}
		acceptances, err := s.db.Acceptances(ctx, shown.ID, p.PerPage, p.Offset())
		if err != nil {
			return err
		}
		data["Shown"], data["Acceptances"], data["Pager"] = shown, acceptances, p.done(c, shown.Accepted)
	}
	return s.render(c, "admin-terms", data)
}

// publishTerms publishes a new version, which every user must accept.
// POST /admin/terms
func (s *Server) publishTerms(c *fiber.Ctx) error {
	in := termsInput{Label: c.FormValue("label"), EffectiveOn: c.FormValue("effective_on"), Format: c.FormValue("format"), Body: c.FormValue("body")}
	t, err := in.terms()
	if err != nil {
		data := fiber.Map{"Form": in}
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		return s.renderAdminTerms(c, data)
	}
	if err := s.db.PublishTerms(c.UserContext(), &t, s.auditEntry(c, "terms.published")); err != nil {
		return err
	}
	return c.Redirect("/admin/terms?notice=terms-published", http.StatusSeeOther)
}

func (in termsInput) terms() (store.TermsVersion, error) {
	var t store.TermsVersion
	var err error
	if t.Label, err = text(in.Label, "label", "version label", true, 100); err != nil {
		return t, err
	}
	if _, err := time.Parse(time.DateOnly, in.EffectiveOn); err != nil {
		return t, badInput("effective_on", "Enter the date as YYYY-MM-DD, such as 2026-12-01.")
	}
	t.EffectiveOn = in.EffectiveOn
	if in.Format != "markdown" && in.Format != "text" {
		return t, badInput("format", "Choose Markdown or plain text.")
	}
	t.Format = in.Format
	if t.Body, err = text(in.Body, "body", "text of the terms", true, 200_000); err != nil {
		return t, err
	}
	return t, nil
}
