package app

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/licensekey"
	"keyward/store"
)

// licenseParam is the scope of routes whose parameter names a license: its client organization,
// or its distributor while it has no client (pending_provision).
func (s *Server) licenseParam(name string) scope {
	return scope{Name: "license:" + name, Find: func(c *fiber.Ctx) (store.Org, error) {
		id, err := idParam(c, name)
		if err != nil {
			return store.Org{}, err
		}
		l, err := s.db.FindLicense(c.UserContext(), id)
		if err != nil {
			return store.Org{}, err
		}
		c.Locals("license", l)
		return s.db.FindOrg(c.UserContext(), licenseOrgID(l))
	}}
}

func licenseOrgID(l store.License) int64 {
	if l.OrgID != 0 {
		return l.OrgID
	}
	return l.DistributorID
}

// guardedLicense is the license a license:id route is about, read by its scope.
func guardedLicense(c *fiber.Ctx) store.License {
	l, _ := c.Locals("license").(store.License)
	return l
}

// newLicenseKey makes a key and sets its digest, sealed copy and suffix on the license.
func (s *Server) newLicenseKey(l *store.License) string {
	key := licensekey.New()
	l.KeyHash = digest(key)
	l.KeyEnc = s.seal("license-key", []byte(key), []byte("license-key"))
	l.KeySuffix = licensekey.Suffix(key)
	return key
}

// revealKey opens the sealed copy of a license's key.
func (s *Server) revealKey(l store.License) (string, error) {
	key, err := s.unseal("license-key", l.KeyEnc, []byte("license-key"))
	if err != nil {
		return "", fmt.Errorf("unable to open license key %d: %w", l.ID, err)
	}
	return string(key), nil
}

// licenseFields is a license form or JSON payload: each field as text, and which were sent.
type licenseFields struct {
	vals        map[string]string
	features    []featureInput
	featuresSet bool
}

type featureInput struct {
	Code                   string `json:"code"`
	MaxSimultaneousUsers   *int   `json:"max_simultaneous_users"`
	FloatingTimeoutMinutes *int   `json:"floating_timeout_minutes"`
	MaxBorrowHours         *int   `json:"max_borrow_hours"`
}

// UnmarshalJSON takes a feature as its code alone or as an object with overrides.
func (f *featureInput) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		return json.Unmarshal(b, &f.Code)
	}
	type plain featureInput
	return json.Unmarshal(b, (*plain)(f))
}

func (f licenseFields) has(name string) bool { _, ok := f.vals[name]; return ok }

// licenseFieldNames are the fields of a license payload.
var licenseFieldNames = []string{"organization_id", "distributor_id", "product", "prepaid_cores", "prepaid_core_price",
	"extra_core_price", "escalation_factor", "currency", "invoicing_period", "payment_period", "term_years", "start_date",
	"location", "partner", "max_aps", "max_rooms", "max_devices", "start_threshold", "heartbeat_minutes"}

// jsonLicenseFields reads a JSON payload; numbers and strings are both taken as text, null as "".
func jsonLicenseFields(body []byte) (licenseFields, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return licenseFields{}, badInput("", "The body must be a JSON object: %s", jsonProblem(err))
	}
	f := licenseFields{vals: map[string]string{}}
	for name := range raw {
		if name != "features" && name != "overage_alerts" && !contains(licenseFieldNames, name) {
			hint := ""
			if name == "status" {
				hint = " Change the status with POST /api/v1/licenses/{id}/status."
			}
			return f, badInput(name, "Unknown field %q.%s", name, hint)
		}
	}
	for _, name := range licenseFieldNames {
		v, ok := raw[name]
		if !ok {
			continue
		}
		v = bytes.TrimSpace(v)
		switch {
		case string(v) == "null":
			f.vals[name] = ""
		case len(v) > 0 && v[0] == '"':
			var s string
			if err := json.Unmarshal(v, &s); err != nil {
				return f, badInput(name, "Unreadable text.")
			}
			f.vals[name] = s
		case len(v) > 0 && (v[0] == '-' || (v[0] >= '0' && v[0] <= '9')):
			f.vals[name] = string(v)
		default:
			return f, badInput(name, "Send a number or a string.")
		}
	}
	if v, ok := raw["overage_alerts"]; ok {
		var on bool
		if err := json.Unmarshal(v, &on); err != nil || string(v) == "null" {
			return f, badInput("overage_alerts", "Send true or false.")
		}
		f.vals["overage_alerts"] = strconv.FormatBool(on)
	}
	if v, ok := raw["features"]; ok {
		f.featuresSet = true
		if err := json.Unmarshal(v, &f.features); err != nil {
			return f, badInput("features", "Send a list of feature codes, or of objects {\"code\", \"max_simultaneous_users\", \"floating_timeout_minutes\", \"max_borrow_hours\"}.")
		}
	}
	return f, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	}
	return "wrong types"
}

// formLicenseFields reads the license form: every field is sent; features are checkboxes with
// optional overrides named max_users.CODE and timeout.CODE.
func formLicenseFields(c *fiber.Ctx, product store.Product) (licenseFields, error) {
	f := licenseFields{vals: map[string]string{}, featuresSet: true}
	for _, name := range licenseFieldNames {
		f.vals[name] = c.FormValue(name)
	}
	checked := map[string]bool{}
	for _, v := range c.Context().PostArgs().PeekMulti("features") {
		checked[string(v)] = true
	}
	for _, ft := range product.Features {
		if !checked[ft.Code] {
			continue
		}
		in := featureInput{Code: ft.Code}
		for _, o := range []struct {
			name string
			dst  **int
			max  int
		}{{"max_users." + ft.Code, &in.MaxSimultaneousUsers, maxSeats}, {"timeout." + ft.Code, &in.FloatingTimeoutMinutes, maxTimeoutMinutes},
			{"max_borrow." + ft.Code, &in.MaxBorrowHours, maxBorrowHours}} {
			if v := strings.TrimSpace(c.FormValue(o.name)); v != "" {
				n, err := strconv.Atoi(v)
				if err != nil || !inRange(n, 0, o.max) {
					return f, badInput(o.name, "Enter a whole number from 0 to %d, or leave it empty for the product's default.", o.max)
				}
				*o.dst = &n
			}
		}
		f.features = append(f.features, in)
	}
	return f, nil
}

var (
	textLimit   = 200
	datePattern = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)
)

// applyLicenseFields validates the fields sent and sets them on l; the first bad field is the answer.
// product is the license's product. Organization fields are handled by the caller.
func applyLicenseFields(f licenseFields, l *store.License, product store.Product) error {
	if f.featuresSet {
		var fs []store.LicenseFeature
		seen := map[string]bool{}
		for i, in := range f.features {
			ft, ok := product.Feature(in.Code)
			if !ok {
				return badInput("features", "The product %s has no feature %q.", product.Code, in.Code)
			}
			if seen[in.Code] {
				return badInput("features", "The feature %q is listed twice.", in.Code)
			}
			seen[in.Code] = true
			for _, o := range []struct {
				name string
				v    *int
				max  int
			}{{"max_simultaneous_users", in.MaxSimultaneousUsers, maxSeats}, {"floating_timeout_minutes", in.FloatingTimeoutMinutes, maxTimeoutMinutes},
				{"max_borrow_hours", in.MaxBorrowHours, maxBorrowHours}} {
				if o.v != nil && !inRange(*o.v, 0, o.max) {
					return badInput(fmt.Sprintf("features[%d].%s", i, o.name), "Overrides are whole numbers from 0 to %d.", o.max)
				}
			}
			fs = append(fs, store.LicenseFeature{Feature: ft, MaxOverride: in.MaxSimultaneousUsers, TimeoutOverride: in.FloatingTimeoutMinutes,
				BorrowOverride: in.MaxBorrowHours})
		}
		l.Features = fs
	}
	intField := func(name string, dst *int, lo, hi int, msg string) error {
		if !f.has(name) {
			return nil
		}
		n, err := strconv.Atoi(strings.TrimSpace(f.vals[name]))
		if err != nil || n < lo || n > hi {
			return badInput(name, "%s", msg)
		}
		*dst = n
		return nil
	}
	optInt := func(name string, dst **int) error {
		if !f.has(name) {
			return nil
		}
		v := strings.TrimSpace(f.vals[name])
		if v == "" {
			*dst = nil
			return nil
		}
		n, err := strconv.Atoi(v)
		if err != nil || !inRange(n, 0, maxLimit) {
			return badInput(name, "Enter a whole number from 0 to %d, or leave it empty for no limit.", maxLimit)
		}
		*dst = &n
		return nil
	}
	if err := intField("prepaid_cores", &l.Terms.PrepaidCores, 0, maxPrepaidCores,
		fmt.Sprintf("Enter the prepaid cores as a whole number from 0 to %d.", maxPrepaidCores)); err != nil {
		return err
	}
	if f.has("currency") {
		c, err := parseCurrency("currency", f.vals["currency"])
		if err != nil {
			return err
		}
		l.Terms.Currency = c
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"prepaid_core_price", &l.Terms.PrepaidCorePrice}, {"extra_core_price", &l.Terms.ExtraCorePrice}} {
		if f.has(p.name) {
			n, err := parseMoney(p.name, f.vals[p.name], l.Terms.Currency)
			if err != nil {
				return err
			}
			*p.dst = n
		}
	}
	if f.has("escalation_factor") {
		v, err := parseFactor("escalation_factor", f.vals["escalation_factor"])
		if err != nil {
			return err
		}
		l.Terms.EscalationFactor = v
	}
	// A term is chosen from 1 to 5 years; renewals make it grow past that, and such a term may be
	// sent back unchanged (the edit form does).
	if strings.TrimSpace(f.vals["term_years"]) != strconv.Itoa(l.TermYears) {
		if err := intField("term_years", &l.TermYears, 1, 5, "The term is 1 to 5 years."); err != nil {
			return err
		}
	}
	for _, e := range []struct {
		name    string
		dst     *string
		choices []string
	}{{"payment_period", &l.Terms.PaymentPeriod, []string{"monthly", "annual"}},
		{"invoicing_period", &l.Terms.InvoicingPeriod, []string{"monthly", "semiannual"}}} {
		if f.has(e.name) {
			v := strings.TrimSpace(f.vals[e.name])
			if !contains(e.choices, v) {
				return badInput(e.name, "Choose %s.", strings.Join(e.choices, " or "))
			}
			*e.dst = v
		}
	}
	if f.has("start_date") {
		v := strings.TrimSpace(f.vals["start_date"])
		if v != "" {
			t, err := time.Parse(time.DateOnly, v)
			if err != nil || !datePattern.MatchString(v) || t.Year() < 2000 || t.Year() > 2200 {
				return badInput("start_date", "Enter the start date as YYYY-MM-DD, such as 2026-01-01.")
			}
		}
		l.StartDate = v
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"location", &l.Location}, {"partner", &l.Partner}} {
		if f.has(t.name) {
			v := strings.TrimSpace(f.vals[t.name])
			if len(v) > textLimit {
				return badInput(t.name, "At most %d characters.", textLimit)
			}
			*t.dst = v
		}
	}
	for _, o := range []struct {
		name string
		dst  **int
	}{{"max_aps", &l.MaxAPs}, {"max_rooms", &l.MaxRooms}, {"max_devices", &l.MaxDevices}} {
		if err := optInt(o.name, o.dst); err != nil {
			return err
		}
	}
	if f.has("heartbeat_minutes") {
		if v := strings.TrimSpace(f.vals["heartbeat_minutes"]); v == "" {
			l.HeartbeatOverride = nil
		} else if n, err := strconv.Atoi(v); err != nil || !inRange(n, 0, maxTimeoutMinutes) {
			return badInput("heartbeat_minutes", "Enter minutes from 0 (never) to %d, or leave it empty for the product's.", maxTimeoutMinutes)
		} else {
			l.HeartbeatOverride = &n
		}
	}
	if f.has("overage_alerts") {
		l.OverageAlertsOff = f.vals["overage_alerts"] != "true"
	}
	if strings.TrimSpace(f.vals["start_threshold"]) == "" {
		return nil // the product's, or the license's as it is
	}
	return intField("start_threshold", &l.StartThreshold, 1, maxStartThreshold,
		fmt.Sprintf("The start threshold is a number of devices from 1 to %d.", maxStartThreshold))
}

// licenseOrgs resolves and authorizes the organizations of a new license: the client from
// organization_id, or the distributor (distributor_id, or the user's only one) while it has none.
func (s *Server) licenseOrgs(c *fiber.Ctx, f licenseFields, l *store.License) error {
	if v := strings.TrimSpace(f.vals["organization_id"]); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return badInput("organization_id", "Choose a client organization.")
		}
		org, err := s.managedOrg(c, id)
		if err != nil {
			return err
		}
		if org.Kind != store.KindClient {
			return badInput("organization_id", "Licenses are for client organizations; %s is a %s.", org.Name, org.Kind)
		}
		l.OrgID, l.DistributorID = org.ID, org.ParentID
		return nil
	}
	v := strings.TrimSpace(f.vals["distributor_id"])
	var id int64
	if v == "" {
		ds, err := s.userDistributors(c)
		if err != nil {
			return err
		}
		if len(ds) != 1 {
			return badInput("organization_id", "Choose the client organization (or, for a license not assigned yet, its distributor_id).")
		}
		id = ds[0].ID
	} else if id, _ = strconv.ParseInt(v, 10, 64); id <= 0 {
		return badInput("distributor_id", "Choose a distributor organization.")
	}
	org, err := s.managedOrg(c, id)
	if err != nil {
		return err
	}
	if org.Kind == store.KindClient {
		return badInput("distributor_id", "%s is a client: choose it as organization_id.", org.Name)
	}
	l.DistributorID = org.ID
	return nil
}

// managedOrg is the organization of an id sent in a body, if the user manages its licenses.
func (s *Server) managedOrg(c *fiber.Ctx, id int64) (store.Org, error) {
	org, err := s.db.FindOrg(c.UserContext(), id)
	if errors.Is(err, store.ErrNotFound) {
		return org, errNotFound
	} else if err != nil {
		return org, err
	}
	return org, s.authorize(c, ActionManageLicenses, org)
}

// userDistributors are the distributor (or vendor) organizations the user belongs to.
func (s *Server) userDistributors(c *fiber.Ctx) ([]store.Org, error) {
	ms, err := s.db.Memberships(c.UserContext(), currentUser(c).ID)
	if err != nil {
		return nil, err
	}
	var ds []store.Org
	for _, m := range ms {
		if m.Org.Kind != store.KindClient {
			ds = append(ds, m.Org)
		}
	}
	return ds, nil
}

// actor is the current user as the author of a change.
func actor(c *fiber.Ctx) store.Actor {
	a := store.Actor{IP: clientIP(c)}
	if u := currentUser(c); u != nil {
		a.UserID, a.Email = u.ID, u.Email
	}
	return a
}

// createLicense validates the fields and stores a new license; the answer holds its key. With a
// request (open, of a client the user manages), the license fulfils it: it must be for that
// client, and the license and the request's acceptance are written together or not at all.
func (s *Server) createLicense(c *fiber.Ctx, f licenseFields, req *store.LicenseRequest) (store.License, string, error) {
	ctx := c.UserContext()
	l := store.License{StartThreshold: 0, TermYears: 1, Terms: store.Terms{EscalationFactor: "0.33",
		InvoicingPeriod: "monthly", PaymentPeriod: "annual"}}
	if err := s.licenseOrgs(c, f, &l); err != nil {
		return l, "", err
	}
	if req != nil && l.OrgID != req.ClientID {
		return l, "", badInput("organization_id", "This request is from %s: choose %[1]s as the client organization, or create the license without the request.", req.ClientName)
	}
	code := strings.TrimSpace(f.vals["product"])
	if code == "" {
		return l, "", badInput("product", "Choose the product.")
	}
	product, err := s.db.FindProductByCode(ctx, code)
	if errors.Is(err, store.ErrNotFound) {
		return l, "", badInput("product", "There is no product %q.", code)
	} else if err != nil {
		return l, "", err
	}
	l.ProductID, l.StartThreshold = product.ID, product.StartThreshold
	for _, req := range []string{"currency", "term_years", "payment_period"} {
		if strings.TrimSpace(f.vals[req]) == "" {
			return l, "", badInput(req, "This field is required.")
		}
	}
	if err := applyLicenseFields(f, &l, product); err != nil {
		return l, "", err
	}
	today := civilDay(s.clock.Now())
	l.Status = store.StatusPendingProvision
	if l.OrgID != 0 {
		l.Status = store.StatusPendingStart
	}
	if l.StartDate != "" {
		l.EndDate = addYears(l.StartDate, l.TermYears)
		if l.OrgID != 0 && l.StartDate <= today {
			l.Status = store.StatusInUse
		}
	}
	key := s.newLicenseKey(&l)
	if req == nil {
		err = s.db.CreateLicense(ctx, &l, actor(c), "")
	} else {
		err = s.db.CreateLicenseFulfilling(ctx, &l, actor(c), s.fulfilment(ctx, *req))
		if isConflict(err) {
			return l, "", errRequestDecided
		}
		if err == nil {
			s.wakeOutbox()
		}
	}
	if err != nil {
		return l, "", err
	}
	l, err = s.db.FindLicense(ctx, l.ID)
	return l, key, err
}

// editLicense applies validated fields to a license; limits, features and prices changed are
// recorded as an upgrade, and new terms take effect the next day.
func (s *Server) editLicense(c *fiber.Ctx, id int64, f licenseFields) (store.License, error) {
	ctx := c.UserContext()
	old := guardedLicense(c)
	product, err := s.db.FindProduct(ctx, old.ProductID)
	if err != nil {
		return old, err
	}
	l, err := s.db.ChangeLicense(ctx, id, actor(c), func(l *store.License, now time.Time) (store.LicenseChange, error) {
		before := *l
		if err := applyLicenseFields(f, l, product); err != nil {
			return store.LicenseChange{}, err
		}
		if l.StartDate != before.StartDate || l.TermYears != before.TermYears {
			if l.StartDate != "" && l.Status != store.StatusPendingProvision {
				if l.StartDate <= civilDay(now) && l.Status == store.StatusPendingStart {
					l.Status = store.StatusInUse
				}
			}
			if l.StartDate != "" {
				l.EndDate = addYears(l.StartDate, l.TermYears)
			} else {
				l.EndDate = ""
			}
		}
		return store.LicenseChange{Events: licenseDiff(before, *l, civilDay(now.AddDate(0, 0, 1)))}, nil
	})
	s.forgetLicense(c.UserContext(), id)
	return l, err
}

// licenseDiff describes an edit as history: an "upgrade" for limits, features and prices,
// an "edited" line for the rest.
func licenseDiff(a, b store.License, tomorrow string) []store.LicenseEvent {
	var up, other []string
	num := func(p *int) string {
		if p == nil {
			return "none"
		}
		return strconv.Itoa(*p)
	}
	change := func(list *[]string, name, x, y string) {
		if x != y {
			*list = append(*list, fmt.Sprintf("%s %s → %s", name, x, y))
		}
	}
	change(&up, "max APs", num(a.MaxAPs), num(b.MaxAPs))
	change(&up, "max rooms", num(a.MaxRooms), num(b.MaxRooms))
	change(&up, "max devices", num(a.MaxDevices), num(b.MaxDevices))
	change(&up, "features", featureList(a.Features), featureList(b.Features))
	terms := len(up)
	change(&up, "prepaid cores", strconv.Itoa(a.Terms.PrepaidCores), strconv.Itoa(b.Terms.PrepaidCores))
	change(&up, "prepaid core price", formatMoney(a.Terms.PrepaidCorePrice, a.Terms.Currency)+" "+a.Terms.Currency,
		formatMoney(b.Terms.PrepaidCorePrice, b.Terms.Currency)+" "+b.Terms.Currency)
	change(&up, "extra core price", formatMoney(a.Terms.ExtraCorePrice, a.Terms.Currency)+" "+a.Terms.Currency,
		formatMoney(b.Terms.ExtraCorePrice, b.Terms.Currency)+" "+b.Terms.Currency)
	change(&up, "escalation factor", a.Terms.EscalationFactor, b.Terms.EscalationFactor)
	change(&up, "payment", a.Terms.PaymentPeriod, b.Terms.PaymentPeriod)
	change(&up, "extra invoicing", a.Terms.InvoicingPeriod, b.Terms.InvoicingPeriod)
	change(&other, "term", fmt.Sprintf("%d years", a.TermYears), fmt.Sprintf("%d years", b.TermYears))
	change(&other, "start date", a.StartDate, b.StartDate)
	change(&other, "location", a.Location, b.Location)
	change(&other, "partner", a.Partner, b.Partner)
	change(&other, "start threshold", strconv.Itoa(a.StartThreshold), strconv.Itoa(b.StartThreshold))
	change(&other, "overage alerts", onOff(!a.OverageAlertsOff), onOff(!b.OverageAlertsOff))
	change(&other, "heartbeat", heartbeatWords(a.Heartbeat()), heartbeatWords(b.Heartbeat()))
	var evs []store.LicenseEvent
	if len(up) > 0 {
		d := strings.Join(up, "; ")
		if len(up) > terms {
			d += " (terms from " + tomorrow + ")"
		}
		evs = append(evs, store.LicenseEvent{Kind: "upgrade", Details: d})
	}
	if len(other) > 0 {
		evs = append(evs, store.LicenseEvent{Kind: "edited", Details: strings.Join(other, "; ")})
	}
	if a.Status != b.Status {
		evs = append(evs, store.LicenseEvent{Kind: "status", FromStatus: a.Status, ToStatus: b.Status, Details: "start date reached"})
	}
	return evs
}

// heartbeatWords says how long a device may stay silent.
func heartbeatWords(minutes int) string {
	if minutes == 0 {
		return "devices never culled"
	}
	return fmt.Sprintf("%d minutes", minutes)
}

func featureList(fs []store.LicenseFeature) string {
	codes := make([]string, 0, len(fs))
	for _, f := range fs {
		s := f.Code
		if f.MaxOverride != nil || f.TimeoutOverride != nil {
			s += fmt.Sprintf("(%d/%dmin)", f.Max(), f.Timeout())
		}
		if f.BorrowOverride != nil {
			s += fmt.Sprintf("(borrow %dh)", f.MaxBorrow())
		}
		codes = append(codes, s)
	}
	if len(codes) == 0 {
		return "none"
	}
	return strings.Join(codes, ",")
}

// changeStatus runs a lifecycle action on a license, checking the client of a provision. With a
// request, the action fulfils it in the same transaction (a renewal request).
func (s *Server) changeStatus(c *fiber.Ctx, id int64, r lifecycleRequest, req *store.LicenseRequest) (store.License, error) {
	ctx := c.UserContext()
	if r.Action == actProvision && r.OrgID != 0 {
		org, err := s.managedOrg(c, r.OrgID)
		var e *Error
		if errors.As(err, &e) {
			return store.License{}, badInput("organization_id", "Choose one of your client organizations.")
		} else if err != nil {
			return store.License{}, err
		}
		if org.Kind != store.KindClient || org.ParentID != guardedLicense(c).DistributorID {
			return store.License{}, badInput("organization_id", "Choose a client of %s.", guardedLicense(c).DistributorName)
		}
	}
	l, err := s.db.ChangeLicense(ctx, id, actor(c), func(l *store.License, now time.Time) (store.LicenseChange, error) {
		evs, err := applyLifecycle(l, r, now)
		ch := store.LicenseChange{Events: evs}
		if req != nil {
			f := s.fulfilment(ctx, *req)
			ch.Fulfils = &f
		}
		return ch, err
	})
	s.forgetLicense(c.UserContext(), id)
	if req != nil && isConflict(err) {
		return l, errRequestDecided
	}
	if req != nil && err == nil {
		s.wakeOutbox()
	}
	return l, err
}

// regenerateKey gives a license a new key; the old one fails at once on every API.
func (s *Server) regenerateKey(c *fiber.Ctx, id int64) (string, error) {
	var key string
	_, err := s.db.ChangeLicense(c.UserContext(), id, actor(c), func(l *store.License, _ time.Time) (store.LicenseChange, error) {
		key = s.newLicenseKey(l)
		return store.LicenseChange{Events: []store.LicenseEvent{{Kind: "key_regenerated", Details: "new key …" + l.KeySuffix}}}, nil
	})
	s.forgetLicense(c.UserContext(), id)
	return key, err
}

// auditReveal records that the current user saw a license's full key.
func (s *Server) auditReveal(ctx context.Context, c *fiber.Ctx, l store.License, how string) error {
	a := actor(c)
	return s.db.Audit(ctx, store.AuditEntry{ActorUserID: a.UserID, ActorEmail: a.Email, OrgID: licenseOrgID(l),
		Action: "license.key_revealed", Target: fmt.Sprintf("license %d", l.ID), IP: a.IP, Details: how})
}
