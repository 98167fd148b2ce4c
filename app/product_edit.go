package app

import (
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

// productScope finds the product of the route's :id: products belong to the vendor.
func (s *Server) productParam(c *fiber.Ctx) (store.Product, error) {
	id, err := idParam(c, "id")
	if err != nil {
		return store.Product{}, err
	}
	return s.db.FindProduct(c.UserContext(), id)
}

// inputOf is a product as the payload that would create it, the start of an edit.
func inputOf(p store.Product) productInput {
	threshold, heartbeat := p.StartThreshold, p.HeartbeatMinutes
	in := productInput{Code: p.Code, Name: p.Name, StartThreshold: &threshold, HeartbeatMinutes: &heartbeat,
		ExcludedServices: append([]string{}, p.ExcludedServices...)}
	for _, f := range p.Features {
		in.Features = append(in.Features, productFeatureInput{Code: f.Code, Name: f.Name, Floating: f.Floating,
			MaxSimultaneousUsers: f.MaxSimultaneousUsers, FloatingTimeoutMinutes: f.FloatingTimeoutMinutes, MaxBorrowHours: f.MaxBorrowHours})
	}
	return in
}

// productPatch is the body of PATCH /api/v1/products/{id}: the fields sent change; features are
// changed by code, or added; a feature left out stays as it is.
type productPatch struct {
	Code             *string               `json:"code"`
	Name             *string               `json:"name"`
	StartThreshold   *int                  `json:"start_threshold"`
	ExcludedServices *[]string             `json:"excluded_services"`
	HeartbeatMinutes *int                  `json:"heartbeat_minutes"`
	Features         []productFeatureInput `json:"features"`
}

func (pp productPatch) apply(in *productInput) error {
	if pp.Code != nil && *pp.Code != in.Code {
		return badInput("code", "A product's code does not change: licenses and devices know it.")
	}
	if pp.Name != nil {
		in.Name = *pp.Name
	}
	if pp.StartThreshold != nil {
		in.StartThreshold = pp.StartThreshold
	}
	if pp.ExcludedServices != nil {
		in.ExcludedServices = *pp.ExcludedServices
	}
	if pp.HeartbeatMinutes != nil {
		in.HeartbeatMinutes = pp.HeartbeatMinutes
	}
	in.Features = mergeFeatures(in.Features, pp.Features)
	return nil
}

// mergeFeatures changes the features of cur by code and adds the others, in the order sent.
func mergeFeatures(cur, sent []productFeatureInput) []productFeatureInput {
	out := append([]productFeatureInput{}, cur...)
	for _, f := range sent {
		found := false
		for i := range out {
			if out[i].Code == f.Code {
				out[i], found = f, true
				break
			}
		}
		if !found {
			out = append(out, f)
		}
	}
	return out
}

// updateProduct validates and stores a product's new version, audited; the licenses of the
// product are read again by the device API.
func (s *Server) updateProduct(c *fiber.Ctx, id int64, in productInput) (store.Product, error) {
	p, err := in.product()
	if err != nil {
		return p, err
	}
	p.ID = id
	a := actor(c)
	licenses, err := s.db.UpdateProduct(c.UserContext(), &p, store.AuditEntry{ActorUserID: a.UserID, ActorEmail: a.Email, IP: a.IP,
		OrgID: guardedOrg(c).ID, Action: "product.updated", Details: productSummary(p)})
	if err != nil {
		return p, err
	}
	for _, l := range licenses {
		s.forgetLicense(c.UserContext(), l)
	}
	return p, nil
}

// productSummary is what an edit left the product as, for the audit log.
func productSummary(p store.Product) string {
	d := fmt.Sprintf("%s; starts at %d devices; %s; features:", p.Name, p.StartThreshold, heartbeatWords(p.HeartbeatMinutes))
	for _, f := range p.Features {
		d += " " + f.Code
		if f.Floating {
			d += fmt.Sprintf(" (%d users, %d min", f.MaxSimultaneousUsers, f.FloatingTimeoutMinutes)
			if f.MaxBorrowHours > 0 {
				d += fmt.Sprintf(", borrow %d h", f.MaxBorrowHours)
			}
			d += ")"
		}
	}
	return d
}

// apiGetProduct answers one product; every signed-in user may read the products.
// GET /api/v1/products/:id
func (s *Server) apiGetProduct(c *fiber.Ctx) error {
	p, err := s.productParam(c)
	if err != nil {
		return err
	}
	return c.JSON(apiProduct(p))
}

// apiPatchProduct changes a product's name, defaults and features (staff).
// PATCH /api/v1/products/:id
func (s *Server) apiPatchProduct(c *fiber.Ctx) error {
	p, err := s.productParam(c)
	if err != nil {
		return err
	}
	var patch productPatch
	if err := json.Unmarshal(c.Body(), &patch); err != nil {
		return badJSON(err, "the product's fields to change as JSON")
	}
	in := inputOf(p)
	if err := patch.apply(&in); err != nil {
		return err
	}
	if p, err = s.updateProduct(c, p.ID, in); err != nil {
		return err
	}
	return c.JSON(apiProduct(p))
}

// productPage shows a product with its edit form (staff).
// GET /products/:id
func (s *Server) productPage(c *fiber.Ctx) error {
	p, err := s.productParam(c)
	if err != nil {
		return err
	}
	return s.renderProductEdit(c, p, inputOf(p), nil, c.Query("saved") != "")
}

func (s *Server) renderProductEdit(c *fiber.Ctx, p store.Product, in productInput, e *Error, saved bool) error {
	existing := map[string]bool{}
	for _, f := range p.Features {
		existing[f.Code] = true
	}
	return s.renderProductPage(c, "product_new", fiber.Map{"Title": p.Name, "Product": p, "Existing": existing, "Saved": saved}, in, e)
}

// updateProductPage saves the product form: names and defaults change, features are added.
// POST /products/:id
func (s *Server) updateProductPage(c *fiber.Ctx) error {
	p, err := s.productParam(c)
	if err != nil {
		return err
	}
	in := productForm(c)
	in.Code = p.Code
	// Features are never removed: a row left empty keeps its feature as it was.
	in.Features = mergeFeatures(inputOf(p).Features, in.Features)
	if _, err := s.updateProduct(c, p.ID, in); err != nil {
		if e, ok := err.(*Error); ok && e.Status < 500 {
			c.Status(e.Status)
			return s.renderProductEdit(c, p, in, e, false)
		}
		return err
	}
	return c.Redirect("/products/"+strconv.FormatInt(p.ID, 10)+"?saved=1", fiber.StatusSeeOther)
}
