package app

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

var codePattern = regexp.MustCompile(`^[a-z0-9_-]{1,64}$`)

// productInput is the payload of a new product (API) — the portal form is read into it too.
type productInput struct {
	Code             string                `json:"code"`
	Name             string                `json:"name"`
	StartThreshold   *int                  `json:"start_threshold"`
	ExcludedServices []string              `json:"excluded_services"`
	HeartbeatMinutes *int                  `json:"heartbeat_minutes"`
	Features         []productFeatureInput `json:"features"`
}

// productFeatureInput is a feature of a product payload: as the APIs show it.
type productFeatureInput = apiFeature

// product validates a new product: the first bad field is the answer.
func (in productInput) product() (store.Product, error) {
	p := store.Product{Code: strings.TrimSpace(in.Code), Name: strings.TrimSpace(in.Name), StartThreshold: 5,
		ExcludedServices: []string{"elasticsearch", "kibana"}}
	if !codePattern.MatchString(p.Code) {
		return p, badInput("code", "A code is 1 to 64 lower-case letters, digits, dashes or underscores.")
	}
	if p.Name == "" || len(p.Name) > textLimit {
		return p, badInput("name", "Enter a name of 1 to %d characters.", textLimit)
	}
	if in.StartThreshold != nil {
		if !inRange(*in.StartThreshold, 1, maxStartThreshold) {
			return p, badInput("start_threshold", "The start threshold is a number of devices from 1 to %d.", maxStartThreshold)
		}
		p.StartThreshold = *in.StartThreshold
	}
	if in.HeartbeatMinutes != nil {
		if !inRange(*in.HeartbeatMinutes, 0, maxTimeoutMinutes) {
			return p, badInput("heartbeat_minutes", "The heartbeat is minutes from 0 (devices never culled) to %d.", maxTimeoutMinutes)
		}
		p.HeartbeatMinutes = *in.HeartbeatMinutes
	}
	if in.ExcludedServices != nil {
		p.ExcludedServices = nil
		for _, svc := range in.ExcludedServices {
			svc = strings.ToLower(strings.TrimSpace(svc))
			if svc == "" {
				continue
			}
			if strings.Contains(svc, ",") || len(svc) > 64 {
				return p, badInput("excluded_services", "A service name is 1 to 64 characters without commas.")
			}
			p.ExcludedServices = append(p.ExcludedServices, svc)
		}
	}
	seen := map[string]bool{}
	for i, f := range in.Features {
		field := fmt.Sprintf("features[%d]", i)
		f.Code, f.Name = strings.TrimSpace(f.Code), strings.TrimSpace(f.Name)
		if !codePattern.MatchString(f.Code) {
			return p, badInput(field+".code", "A feature code is 1 to 64 lower-case letters, digits, dashes or underscores.")
		}
		if seen[f.Code] {
			return p, badInput(field+".code", "The feature code %q is used twice.", f.Code)
		}
		seen[f.Code] = true
		if f.Name == "" || len(f.Name) > textLimit {
			return p, badInput(field+".name", "Enter a name of 1 to %d characters.", textLimit)
		}
		if !inRange(f.MaxSimultaneousUsers, 0, maxSeats) {
			return p, badInput(field+".max_simultaneous_users", "Simultaneous users are a whole number from 0 to %d.", maxSeats)
		}
		if !inRange(f.FloatingTimeoutMinutes, 0, maxTimeoutMinutes) {
			return p, badInput(field+".floating_timeout_minutes", "The timeout is a whole number of minutes from 0 to %d (a year).", maxTimeoutMinutes)
		}
		if f.Floating && (f.MaxSimultaneousUsers < 1 || f.FloatingTimeoutMinutes < 1) {
			return p, badInput(field+".max_simultaneous_users", "A floating feature needs at least 1 simultaneous user and a timeout of at least 1 minute.")
		}
		if !inRange(f.MaxBorrowHours, 0, maxBorrowHours) || (!f.Floating && f.MaxBorrowHours != 0) {
			return p, badInput(field+".max_borrow_hours", "A floating feature may be borrowed for 0 (never) to %d hours; others are not borrowed.", maxBorrowHours)
		}
		p.Features = append(p.Features, store.Feature{Code: f.Code, Name: f.Name, Floating: f.Floating,
			MaxSimultaneousUsers: f.MaxSimultaneousUsers, FloatingTimeoutMinutes: f.FloatingTimeoutMinutes, MaxBorrowHours: f.MaxBorrowHours})
	}
	return p, nil
}

// productFeatureRows is how many empty feature rows the product forms offer.
const productFeatureRows = 8

// maxFeatureRows bounds the feature rows a product form is read for.
const maxFeatureRows = 200

// productForm reads the product form: features are rows feature_code.N, feature_name.N, …
func productForm(c *fiber.Ctx) productInput {
	in := productInput{Code: c.FormValue("code"), Name: c.FormValue("name"), ExcludedServices: strings.Split(c.FormValue("excluded_services"), ",")}
	formInt := func(name string) *int {
		n, err := strconv.Atoi(strings.TrimSpace(c.FormValue(name)))
		if err != nil {
			n = -1 // refused with the field's message
		}
		return &n
	}
	in.StartThreshold, in.HeartbeatMinutes = formInt("start_threshold"), formInt("heartbeat_minutes")
	if strings.TrimSpace(c.FormValue("heartbeat_minutes")) == "" {
		in.HeartbeatMinutes = nil
	}
	for i := range maxFeatureRows {
		code := strings.TrimSpace(c.FormValue(fmt.Sprintf("feature_code.%d", i)))
		if code == "" {
			continue
		}
		f := productFeatureInput{Code: code, Name: c.FormValue(fmt.Sprintf("feature_name.%d", i)), Floating: c.FormValue(fmt.Sprintf("feature_floating.%d", i)) != ""}
		f.MaxSimultaneousUsers, _ = strconv.Atoi(c.FormValue(fmt.Sprintf("feature_max.%d", i)))
		f.FloatingTimeoutMinutes, _ = strconv.Atoi(c.FormValue(fmt.Sprintf("feature_timeout.%d", i)))
		f.MaxBorrowHours, _ = strconv.Atoi(c.FormValue(fmt.Sprintf("feature_borrow.%d", i)))
		in.Features = append(in.Features, f)
	}
	return in
}

func apiProduct(p store.Product) fiber.Map {
	fs := make([]apiFeature, 0, len(p.Features))
	for _, f := range p.Features {
		fs = append(fs, apiFeature{Code: f.Code, Name: f.Name, Floating: f.Floating, MaxSimultaneousUsers: f.MaxSimultaneousUsers,
			FloatingTimeoutMinutes: f.FloatingTimeoutMinutes, MaxBorrowHours: f.MaxBorrowHours})
	}
	excluded := p.ExcludedServices
	if excluded == nil {
		excluded = []string{}
	}
	return fiber.Map{"id": p.ID, "code": p.Code, "name": p.Name, "start_threshold": p.StartThreshold,
		"excluded_services": excluded, "heartbeat_minutes": p.HeartbeatMinutes, "features": fs}
}

// apiProducts lists the products; every signed-in user may read them (a client sees what it can ask for).
// GET /api/v1/products
func (s *Server) apiProducts(c *fiber.Ctx) error {
	ps, err := s.db.Products(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]fiber.Map, 0, len(ps))
	for _, p := range ps {
		out = append(out, apiProduct(p))
	}
	return c.JSON(fiber.Map{"products": out})
}

// apiCreateProduct creates a product with its features (staff).
// POST /api/v1/products
func (s *Server) apiCreateProduct(c *fiber.Ctx) error {
	var in productInput
	if err := json.Unmarshal(c.Body(), &in); err != nil {
		return badJSON(err, "a product as JSON")
	}
	p, err := s.saveProduct(c, in)
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusCreated).JSON(apiProduct(p))
}

func (s *Server) saveProduct(c *fiber.Ctx, in productInput) (store.Product, error) {
	p, err := in.product()
	if err != nil {
		return p, err
	}
	a := actor(c)
	err = s.db.CreateProduct(c.UserContext(), &p, store.AuditEntry{ActorUserID: a.UserID, ActorEmail: a.Email, IP: a.IP,
		OrgID: guardedOrg(c).ID, Action: "product.created"})
	if isConflict(err) {
		return p, &Error{Status: fiber.StatusConflict, Code: "CONFLICT", Field: "code", Message: fmt.Sprintf("A product with the code %q exists already.", p.Code)}
	}
	return p, err
}

// productsPage lists the products and their features (staff).
// GET /products
func (s *Server) productsPage(c *fiber.Ctx) error {
	ps, err := s.db.Products(c.UserContext())
	if err != nil {
		return err
	}
	return s.render(c, "products", fiber.Map{"Title": "Products", "Products": ps})
}

// newProductPage shows the new-product form.
// GET /products/new
func (s *Server) newProductPage(c *fiber.Ctx) error {
	return s.renderProductForm(c, productInput{ExcludedServices: []string{"elasticsearch", "kibana"}}, nil)
}

func (s *Server) renderProductForm(c *fiber.Ctx, in productInput, e *Error) error {
	return s.renderProductPage(c, "product_new", fiber.Map{"Title": "New product", "Existing": map[string]bool{}}, in, e)
}

// renderProductPage shows a product form (new, or a product's page with its edit form).
func (s *Server) renderProductPage(c *fiber.Ctx, view string, data fiber.Map, in productInput, e *Error) error {
	rows := make([]int, len(in.Features)+productFeatureRows)
	for i := range rows {
		rows[i] = i
	}
	threshold := 5
	if in.StartThreshold != nil && *in.StartThreshold > 0 {
		threshold = *in.StartThreshold
	}
	errs := map[string]string{}
	if e != nil {
		errs[productFormField(e.Field)] = e.Message
	}
	heartbeat := ""
	if in.HeartbeatMinutes != nil && *in.HeartbeatMinutes >= 0 {
		heartbeat = strconv.Itoa(*in.HeartbeatMinutes)
	}
	data["In"], data["Rows"], data["Threshold"], data["Heartbeat"] = in, rows, threshold, heartbeat
	data["Excluded"], data["Errors"] = strings.Join(in.ExcludedServices, ", "), errs
	return s.render(c, view, data)
}

// productFormField is the input of the new-product form that a field of the product payload
// names, so that its message shows beside it: features[2].name is feature_name.2 (the form shows
// the features it was sent in their order), a field it has no input for is "form".
func productFormField(field string) string {
	var i int
	var rest string
	if n, _ := fmt.Sscanf(field, "features[%d]%s", &i, &rest); n >= 1 {
		input := map[string]string{".name": "feature_name", ".max_simultaneous_users": "feature_max",
			".floating_timeout_minutes": "feature_timeout", ".max_borrow_hours": "feature_borrow"}[rest]
		if input == "" {
			input = "feature_code"
		}
		return fmt.Sprintf("%s.%d", input, i)
	}
	if !contains([]string{"code", "name", "start_threshold", "excluded_services", "heartbeat_minutes"}, field) {
		return "form"
	}
	return field
}

// createProduct creates a product from the form.
// POST /products
func (s *Server) createProduct(c *fiber.Ctx) error {
	in := productForm(c)
	if _, err := s.saveProduct(c, in); err != nil {
		if e, ok := err.(*Error); ok && e.Status < 500 {
			c.Status(e.Status)
			return s.renderProductForm(c, in, e)
		}
		return err
	}
	return c.Redirect("/products", fiber.StatusSeeOther)
}
