package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/webhook"
	"keyward/store"
)

// Webhook endpoints (DESIGN §11): staff and distributor owners register URLs of their organization
// that receive, signed, the events of the organizations it sees; in the portal at /webhooks and in
// the management API at /api/v1/webhooks. webhook_delivery.go delivers them.

// Bounds of the endpoints: how many an organization has, and how many deliveries lists show.
const (
	maxEndpoints     = 20
	recentDeliveries = 50
)

func (s *Server) routeWebhooks() {
	home, hook := s.webhookOrgScope(), s.webhookParam("id")
	s.route(fiber.MethodGet, "/api/v1/webhooks", guard{Action: ActionManageWebhooks, Scope: home}, s.apiWebhooks)
	s.route(fiber.MethodPost, "/api/v1/webhooks", guard{Action: ActionManageWebhooks, Scope: home}, s.apiCreateWebhook)
	s.route(fiber.MethodDelete, "/api/v1/webhooks/:id", guard{Action: ActionManageWebhooks, Scope: hook}, s.apiDeleteWebhook)
	s.route(fiber.MethodGet, "/api/v1/webhooks/:id/deliveries", guard{Action: ActionManageWebhooks, Scope: hook}, s.apiWebhookDeliveries)
	s.route(fiber.MethodPost, "/api/v1/webhooks/:id/test", guard{Action: ActionManageWebhooks, Scope: hook}, s.apiTestWebhook)
	s.route(fiber.MethodGet, "/webhooks", guard{Action: ActionManageWebhooks, Scope: home}, s.webhooksPage)
	s.route(fiber.MethodPost, "/webhooks", guard{Action: ActionManageWebhooks, Scope: home}, s.createWebhookPage)
	s.route(fiber.MethodGet, "/webhooks/:id", guard{Action: ActionManageWebhooks, Scope: hook}, s.webhookPage)
	s.route(fiber.MethodPost, "/webhooks/:id/delete", guard{Action: ActionManageWebhooks, Scope: hook}, s.deleteWebhookPage)
	s.route(fiber.MethodPost, "/webhooks/:id/test", guard{Action: ActionManageWebhooks, Scope: hook}, s.testWebhookPage)
}

// webhookOrgScope is the scope of the routes about an organization's endpoints as a whole (list,
// register): the organization_id of the query, the form or the JSON body, else the user's own
// (staff: the vendor; others: the distributor they own, or belong to). Its name has no parameter:
// the access matrix test fills it with each role's own organization.
func (s *Server) webhookOrgScope() scope {
	return scope{Name: "webhook_org", Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := webhookOrgID(c)
		if err != nil {
			return store.Org{}, err
		}
		if id != 0 {
			return s.db.FindOrg(c.UserContext(), id)
		}
		return s.homeWebhookOrg(c)
	}}
}

// webhookOrgID reads organization_id from the query (GET), the form or the JSON body (POST); 0 when absent.
func webhookOrgID(c *fiber.Ctx) (int64, error) {
	raw := c.Query("organization_id")
	if c.Method() == fiber.MethodPost {
		if isAPI(c) {
			var body struct {
				OrganizationID json.RawMessage `json:"organization_id"`
			}
			if json.Unmarshal(c.Body(), &body) != nil { // the handler reports a broken body
				return 0, nil
			}
			raw = strings.Trim(string(body.OrganizationID), `"`)
			if raw == "null" {
				raw = ""
			}
		} else {
			raw = c.FormValue("organization_id")
		}
	}
	if raw = strings.TrimSpace(raw); raw == "" {
		return 0, nil
	}
	id, err := strconv.ParseInt(raw, 10, 64)
	if err != nil || id <= 0 {
		return 0, badInput("organization_id", "Give the id of a distributor organization (or of the vendor), or leave it out for your own.")
	}
	return id, nil
}

// homeWebhookOrg is the organization whose endpoints a user manages when the request names none.
func (s *Server) homeWebhookOrg(c *fiber.Ctx) (store.Org, error) {
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return store.Org{}, err
	}
	if newAccess(ms).staff {
		return s.db.FindVendor(c.UserContext())
	}
	// A distributor they own first, then one they belong to, then any (a client: 403).
	rank := func(m store.Membership) int {
		switch {
		case m.Org.Kind != store.KindDistributor:
			return 0
		case m.Role == store.RoleOwner:
			return 2
		}
		return 1
	}
	var home *store.Membership
	for i := range ms {
		if home == nil || rank(ms[i]) > rank(*home) {
			home = &ms[i]
		}
	}
	if home == nil {
		return s.db.FindVendor(c.UserContext()) // no membership: not theirs, 404
	}
	return home.Org, nil
}

// managesWebhooks tells whether the menu shows Webhooks: to staff and distributor owners.
func managesWebhooks(ms []store.Membership) bool {
	for _, m := range ms {
		if m.Org.Kind == store.KindVendor || (m.Org.Kind == store.KindDistributor && m.Role == store.RoleOwner) {
			return true
		}
	}
	return false
}

// webhookParam is the scope of routes whose parameter names an endpoint: its organization.
func (s *Server) webhookParam(name string) scope {
	return scope{Name: "webhook:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := idParam(c, name)
		if err != nil {
			return store.Org{}, err
		}
		e, err := s.db.FindWebhookEndpoint(c.UserContext(), id)
		if err != nil {
			return store.Org{}, err
		}
		c.Locals("webhook", e)
		return s.db.FindOrg(c.UserContext(), e.OrgID)
	}}
}

func guardedWebhook(c *fiber.Ctx) store.WebhookEndpoint {
	e, _ := c.Locals("webhook").(store.WebhookEndpoint)
	return e
}

// webhookInput is an endpoint to register, from the API or the portal's form.
type webhookInput struct {
	URL    string
	Events []string
}

// createWebhook checks and stores an endpoint of org; the answer holds its secret, shown this once.
func (s *Server) createWebhook(c *fiber.Ctx, org store.Org, in webhookInput) (store.WebhookEndpoint, string, error) {
	if org.Kind == store.KindClient {
		return store.WebhookEndpoint{}, "", badInput("organization_id",
			"Webhook endpoints belong to a distributor or to the vendor; %s is a client.", org.Name)
	}
	u, err := webhook.CheckURL(in.URL)
	if err != nil {
		return store.WebhookEndpoint{}, "", badInput("url", "%s.", capitalize(err.Error()))
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 5*time.Second)
	defer cancel()
	if _, err := webhook.Check(ctx, s.webhookResolver, u.Hostname(), s.cfg.WebhookAllowPrivate); err != nil {
		var refused *webhook.RefusedError
		if errors.As(err, &refused) {
			return store.WebhookEndpoint{}, "", badInput("url", "%s. Use a public address (or start Keyward with --webhook-allow-private).",
				capitalize(err.Error()))
		}
		return store.WebhookEndpoint{}, "", badInput("url", "%s.", capitalize(err.Error()))
	}
	events, err := webhook.ParseEvents(in.Events)
	if err != nil {
		return store.WebhookEndpoint{}, "", badInput("events", "%s.", capitalize(err.Error()))
	}
	secret := webhook.NewSecret()
	e := store.WebhookEndpoint{OrgID: org.ID, OrgName: org.Name, URL: u.String(), Events: events,
		SecretEnc: s.seal("webhook-secret", []byte(secret), []byte("webhook-secret")), SecretHint: secret[len(secret)-4:],
		CreatedBy: currentUser(c).ID}
	a := actor(c)
	err = s.db.CreateWebhookEndpoint(c.UserContext(), &e, maxEndpoints, store.AuditEntry{ActorUserID: a.UserID,
		ActorEmail: a.Email, OrgID: org.ID, Action: "webhook.created", IP: a.IP,
		Details: e.URL + " (" + strings.Join(events, ", ") + ")"})
	if errors.Is(err, store.ErrLimit) {
		return e, "", badInput("url", "%s has %d endpoints, the most an organization may have: delete one first.", org.Name, maxEndpoints)
	}
	return e, secret, err
}

// capitalize starts a sentence with a capital letter.
func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (s *Server) deleteWebhook(c *fiber.Ctx) error {
	e, a := guardedWebhook(c), actor(c)
	return s.db.DeleteWebhookEndpoint(c.UserContext(), e.ID, store.AuditEntry{ActorUserID: a.UserID, ActorEmail: a.Email,
		OrgID: e.OrgID, Action: "webhook.deleted", IP: a.IP, Details: e.URL})
}

// sendTestEvent queues a webhook.test event for the endpoint alone and tells its id.
func (s *Server) sendTestEvent(c *fiber.Ctx) (string, error) {
	e, a := guardedWebhook(c), actor(c)
	data := fiber.Map{"endpoint_id": e.ID, "organization_id": e.OrgID, "url": e.URL,
		"message": "A test event sent from the Keyward portal by " + a.Email + ". No action is needed."}
	id, err := s.db.QueueTestEvent(c.UserContext(), e.ID, webhook.Test, data, store.AuditEntry{ActorUserID: a.UserID,
		ActorEmail: a.Email, OrgID: e.OrgID, Action: "webhook.tested", IP: a.IP, Details: e.URL})
	return id, err
}

// apiWebhook is an endpoint in the management API; its secret only in the answer that creates it.
type apiWebhook struct {
	ID             int64     `json:"id"`
	OrganizationID int64     `json:"organization_id"`
	URL            string    `json:"url"`
	Events         []string  `json:"events"`
	Secret         string    `json:"secret,omitempty"`
	SecretHint     string    `json:"secret_hint"`
	CreatedAt      time.Time `json:"created_at"`
	Pending        int       `json:"pending_deliveries"`
	Failed         int       `json:"failed_deliveries"`
}

func apiWebhookOf(e store.WebhookEndpoint) apiWebhook {
	return apiWebhook{ID: e.ID, OrganizationID: e.OrgID, URL: e.URL, Events: e.Events, SecretHint: "…" + e.SecretHint,
		CreatedAt: e.CreatedAt, Pending: e.Pending, Failed: e.Failed}
}

// apiWebhooks lists an organization's endpoints, without their secrets.
// GET /api/v1/webhooks
func (s *Server) apiWebhooks(c *fiber.Ctx) error {
	es, err := s.db.WebhookEndpoints(c.UserContext(), guardedOrg(c).ID)
	if err != nil {
		return err
	}
	out := make([]apiWebhook, len(es))
	for i, e := range es {
		out[i] = apiWebhookOf(e)
	}
	return c.JSON(fiber.Map{"webhooks": out})
}

// apiCreateWebhook registers an endpoint; the answer holds its secret, shown this once.
// POST /api/v1/webhooks
func (s *Server) apiCreateWebhook(c *fiber.Ctx) error {
	var body struct {
		URL    *string         `json:"url"`
		Events json.RawMessage `json:"events"`
	}
	if err := jsonBody(c, &body); err != nil {
		return err
	}
	in := webhookInput{}
	if body.URL != nil {
		in.URL = *body.URL
	}
	if len(body.Events) > 0 && string(body.Events) != "null" {
		if err := json.Unmarshal(body.Events, &in.Events); err != nil {
			return badInput("events", "Send events as a list of names, such as [\"license.created\", \"invoice.paid\"].")
		}
	}
	e, secret, err := s.createWebhook(c, guardedOrg(c), in)
	if err != nil {
		return err
	}
	out := apiWebhookOf(e)
	out.Secret = secret
	return c.Status(fiber.StatusCreated).JSON(out)
}

// apiDeleteWebhook deletes an endpoint with its deliveries, pending ones included.
// DELETE /api/v1/webhooks/:id
func (s *Server) apiDeleteWebhook(c *fiber.Ctx) error {
	if err := s.deleteWebhook(c); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

// apiDelivery is a delivery in the management API.
type apiDelivery struct {
	ID            int64      `json:"id"`
	EventID       string     `json:"event_id"`
	Event         string     `json:"event"`
	Status        string     `json:"status"`
	HTTPStatus    *int       `json:"http_status"`
	Attempts      int        `json:"attempts"`
	CreatedAt     time.Time  `json:"created_at"`
	LastAttemptAt *time.Time `json:"last_attempt_at"`
	NextAttemptAt *time.Time `json:"next_attempt_at"`
	DeliveredAt   *time.Time `json:"delivered_at"`
	Error         string     `json:"error,omitempty"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func apiDeliveryOf(d store.WebhookDelivery) apiDelivery {
	out := apiDelivery{ID: d.ID, EventID: d.EventID, Event: d.Event, Status: d.State(), Attempts: d.Attempts,
		CreatedAt: d.CreatedAt, LastAttemptAt: optTime(d.LastAttemptAt), DeliveredAt: optTime(d.DeliveredAt), Error: d.LastError}
	if d.LastStatus != 0 {
		out.HTTPStatus = &d.LastStatus
	}
	if d.State() == store.DeliveryPending {
		out.NextAttemptAt = optTime(d.NextAttemptAt)
	}
	return out
}

// apiWebhookDeliveries lists an endpoint's latest deliveries, newest first.
// GET /api/v1/webhooks/:id/deliveries
func (s *Server) apiWebhookDeliveries(c *fiber.Ctx) error {
	ds, err := s.db.WebhookDeliveries(c.UserContext(), guardedWebhook(c).ID, recentDeliveries)
	if err != nil {
		return err
	}
	out := make([]apiDelivery, len(ds))
	for i, d := range ds {
		out[i] = apiDeliveryOf(d)
	}
	return c.JSON(fiber.Map{"deliveries": out})
}

// apiTestWebhook sends the endpoint a webhook.test event.
// POST /api/v1/webhooks/:id/test
func (s *Server) apiTestWebhook(c *fiber.Ctx) error {
	id, err := s.sendTestEvent(c)
	if err != nil {
		return err
	}
	return c.Status(http.StatusAccepted).JSON(fiber.Map{"event_id": id})
}

// webhookOrgs are the organizations whose endpoints the user manages, for the page's switcher.
func (s *Server) webhookOrgs(c *fiber.Ctx) ([]store.Org, error) {
	a, err := s.accessOf(c)
	if err != nil {
		return nil, err
	}
	var candidates []store.Org
	if a.staff {
		candidates, err = s.db.ParentOrgs(c.UserContext())
	} else {
		candidates, err = s.userDistributors(c)
	}
	if err != nil {
		return nil, err
	}
	var orgs []store.Org
	for _, o := range candidates {
		if a.authorize(ActionManageWebhooks, o) == nil {
			orgs = append(orgs, o)
		}
	}
	return orgs, nil
}

// webhooksPage lists an organization's endpoints with the form that registers one.
// GET /webhooks
func (s *Server) webhooksPage(c *fiber.Ctx) error {
	return s.renderWebhooks(c, fiber.Map{})
}

func (s *Server) renderWebhooks(c *fiber.Ctx, data fiber.Map) error {
	org := guardedOrg(c)
	es, err := s.db.WebhookEndpoints(c.UserContext(), org.ID)
	if err != nil {
		return err
	}
	orgs, err := s.webhookOrgs(c)
	if err != nil {
		return err
	}
	data["Title"], data["Org"], data["Orgs"], data["Endpoints"] = "Webhooks", org, orgs, es
	data["Events"], data["AllowPrivate"] = webhook.Events, s.cfg.WebhookAllowPrivate
	if data["Chosen"] == nil {
		data["Chosen"] = map[string]bool{}
	}
	return s.render(c, "webhooks", data)
}

// createWebhookPage registers an endpoint and shows its secret, this once.
// POST /webhooks
func (s *Server) createWebhookPage(c *fiber.Ctx) error {
	in := webhookInput{URL: c.FormValue("url")}
	chosen := map[string]bool{}
	for _, v := range c.Context().PostArgs().PeekMulti("events") {
		in.Events = append(in.Events, string(v))
		chosen[string(v)] = true
	}
	e, secret, err := s.createWebhook(c, guardedOrg(c), in)
	if err != nil {
		data := fiber.Map{"URL": in.URL, "Chosen": chosen}
		if err := fieldError(c, data, err); err != nil {
			return err
		}
		return s.renderWebhooks(c, data)
	}
	return s.renderWebhooks(c, fiber.Map{"Created": e, "Secret": secret})
}

// webhookPage shows an endpoint with its latest deliveries, the test button and the delete button.
// GET /webhooks/:id
func (s *Server) webhookPage(c *fiber.Ctx) error {
	e := guardedWebhook(c)
	ds, err := s.db.WebhookDeliveries(c.UserContext(), e.ID, recentDeliveries)
	if err != nil {
		return err
	}
	return s.render(c, "webhook", fiber.Map{"Title": "Webhook " + e.URL, "E": e, "Deliveries": ds, "Org": guardedOrg(c)})
}

// deleteWebhookPage deletes an endpoint (the form asks first) and goes back to the list.
// POST /webhooks/:id/delete
func (s *Server) deleteWebhookPage(c *fiber.Ctx) error {
	e := guardedWebhook(c)
	if err := s.deleteWebhook(c); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/webhooks?organization_id=%d&notice=webhook-deleted", e.OrgID), fiber.StatusSeeOther)
}

// testWebhookPage sends the endpoint a webhook.test event.
// POST /webhooks/:id/test
func (s *Server) testWebhookPage(c *fiber.Ctx) error {
	if _, err := s.sendTestEvent(c); err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/webhooks/%d?notice=test-queued", guardedWebhook(c).ID), fiber.StatusSeeOther)
}
