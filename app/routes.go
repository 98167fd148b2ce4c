package app

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// guard is the access rule of one route: the action it performs and, for actions on an
// organization's objects, the scope that finds that organization in the request.
type guard struct {
	Action Action
	Scope  scope // zero for public, signed-in and vendor-wide (ActionAdminister) routes

	// BeforeTerms lets a user who has not accepted the terms in force through (the terms page
	// itself); every other portal page sends them to accept first. API tokens are never held back.
	BeforeTerms bool

	// BeforeTwoFactor lets a user whom the staff setting requires to use two-factor sign-in,
	// and who has not turned it on, through (the enrollment page itself); every other portal
	// page sends them to enroll first. API tokens are never held back.
	BeforeTwoFactor bool

	// Credentials marks the routes that show or change how a user signs in or what they agreed
	// to: password, email, API tokens, second factor (and its reset by staff), terms acceptance.
	// While impersonating (DESIGN §8) guarded refuses every route so marked, in this one place.
	Credentials bool
}

// scope finds the organization a request is about. Its name says where it looks
// ("org:id" is the route parameter id naming an organization), so that the access matrix
// test can fill it with an object of the user's own organization or of a foreign one.
type scope struct {
	Name string
	Find func(c *fiber.Ctx) (store.Org, error)
}

// routeEntry is one registered route with its guard: the table the access matrix test walks.
type routeEntry struct {
	Method, Path string
	Guard        guard
}

// route registers a handler behind its guard. Every route of the portal and the APIs goes
// through here, so that none can skip the policy.
func (s *Server) route(method, path string, g guard, h fiber.Handler) {
	s.routeTable = append(s.routeTable, routeEntry{Method: method, Path: path, Guard: g})
	s.fiber.Add(method, path, s.guarded(g), h)
}

// uploadRoute is a route that takes multipart/form-data (a file upload), matched before routing.
type uploadRoute struct {
	method string
	path   *regexp.Regexp
}

// routeUpload registers a route like route does, and lets it take multipart bodies: the one
// exception to refuseUnboundedBodies, so that no other route ever parses a multipart form. The
// handler bounds the file it reads (c.FormFile) itself.
func (s *Server) routeUpload(method, path string, g guard, h fiber.Handler) {
	s.uploads = append(s.uploads, uploadRoute{method: method, path: routePattern(path)})
	s.route(method, path, g, h)
}

// routePattern matches the paths of a route: each :param is one non-empty path segment.
func routePattern(path string) *regexp.Regexp {
	segs := strings.Split(path, "/")
	for i, seg := range segs {
		if strings.HasPrefix(seg, ":") {
			segs[i] = `[^/]+`
		} else {
			segs[i] = regexp.QuoteMeta(seg)
		}
	}
	return regexp.MustCompile(`^` + strings.Join(segs, "/") + `$`)
}

// takesUploads tells whether the request is for a route registered with routeUpload.
func (s *Server) takesUploads(c *fiber.Ctx) bool {
	for _, u := range s.uploads {
		if u.method == c.Method() && u.path.MatchString(c.Path()) {
			return true
		}
	}
	return false
}

// guarded enforces a guard: a signed-in user (or token) unless the route is public, then the
// policy for the organization the request is about, kept in Locals for the handler.
func (s *Server) guarded(g guard) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if g.Credentials && impersonatorOf(c) != nil {
			return errImpersonating
		}
		if g.Action == ActionPublic {
			return c.Next()
		}
		if currentUser(c) == nil {
			if isAPI(c) {
				return errUnauthorized
			}
			return c.Redirect("/login?next="+c.OriginalURL(), http.StatusSeeOther)
		}
		if g.Action != ActionSignedIn {
			find := g.Scope.Find
			if find == nil {
				find = s.vendorOrg
			}
			org, err := find(c)
			if err != nil {
				return err
			}
			if err := s.authorize(c, g.Action, org); err != nil {
				return err
			}
			c.Locals("org", org)
		}
		// An impersonator is held back by neither the second factor nor the terms of the user
		// they act as: both are that user's to settle, and cannot be settled for them.
		acting := impersonatorOf(c) != nil
		if !isAPI(c) && !g.BeforeTwoFactor && !acting {
			must, err := s.mustEnroll(c)
			if err != nil {
				return err
			}
			if must {
				return c.Redirect("/profile/2fa?next="+url.QueryEscape(returnTo(c)), http.StatusSeeOther)
			}
		}
		if !isAPI(c) && !g.BeforeTerms && !acting {
			pending, err := s.db.TermsPending(c.UserContext(), currentUser(c).ID)
			if err != nil {
				return err
			}
			if pending {
				return c.Redirect("/terms?next="+url.QueryEscape(returnTo(c)), http.StatusSeeOther)
			}
		}
		return c.Next()
	}
}

// returnTo is where to come back to after a detour (terms, enrollment): the page asked for,
// or home after a form, which cannot be sent again by a redirect.
func returnTo(c *fiber.Ctx) string {
	if c.Method() == fiber.MethodGet {
		return c.OriginalURL()
	}
	return "/"
}

// guardedOrg is the organization a guarded route is about.
func guardedOrg(c *fiber.Ctx) store.Org {
	org, _ := c.Locals("org").(store.Org)
	return org
}

func (s *Server) vendorOrg(c *fiber.Ctx) (store.Org, error) {
	return s.db.FindVendor(c.UserContext())
}

// orgParam is the scope of routes whose parameter name is an organization id.
func (s *Server) orgParam(name string) scope {
	return scope{Name: "org:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := idParam(c, name)
		if err != nil {
			return store.Org{}, err
		}
		return s.db.FindOrg(c.UserContext(), id)
	}}
}

// parentParam is the scope of routes about an organization that is not a client: a distributor
// or the vendor, under which clients are created. Clients have no clients.
func (s *Server) parentParam(name string) scope {
	org := s.orgParam(name)
	return scope{Name: "parent:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		o, err := org.Find(c)
		if err == nil && o.Kind == store.KindClient {
			return store.Org{}, errNotFound
		}
		return o, err
	}}
}

// clientParam is the scope of routes about a client organization only (its details, its status).
func (s *Server) clientParam(name string) scope {
	org := s.orgParam(name)
	return scope{Name: "client:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		o, err := org.Find(c)
		if err == nil && o.Kind != store.KindClient {
			return store.Org{}, errNotFound
		}
		return o, err
	}}
}

// idParam reads a positive integer id from the route; anything else answers 404.
func idParam(c *fiber.Ctx, name string) (int64, error) {
	id, err := strconv.ParseInt(c.Params(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, errNotFound
	}
	return id, nil
}
