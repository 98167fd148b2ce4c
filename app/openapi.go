package app

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"

	"github.com/gofiber/fiber/v2"

	"keyward/app/ingest"
)

// openAPIDoc is the OpenAPI 3 description of the JSON APIs, built once.
var openAPIDoc = sync.OnceValue(func() []byte {
	b, err := json.Marshal(openAPISpec())
	if err != nil {
		panic(err)
	}
	return b
})

// openAPI serves the OpenAPI document of the JSON APIs.
// GET /api/openapi.json
func (s *Server) openAPI(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(openAPIDoc())
}

type obj = map[string]any

func ref(name string) obj { return obj{"$ref": "#/components/schemas/" + name} }

func arrayOf(items obj) obj { return obj{"type": "array", "items": items} }

func props(required []string, p obj) obj {
	o := obj{"type": "object", "properties": p}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}

var (
	tString   = obj{"type": "string"}
	tInt      = obj{"type": "integer"}
	tBool     = obj{"type": "boolean"}
	tNumber   = obj{"type": "number"}
	tNullInt  = obj{"type": "integer", "nullable": true}
	tDate     = obj{"type": "string", "format": "date", "nullable": true}
	tDecimal  = obj{"type": "string", "pattern": `^[0-9]+(\.[0-9]+)?$`, "example": "150.00"}
	tDateTime = obj{"type": "string", "format": "date-time"}
)

// errorCodes describes the error answers by status.
var errorCodes = map[string]string{
	"400": "Bad input (INVALID_INPUT): error.field names the field.",
	"401": "No or invalid credentials (UNAUTHORIZED; INVALID_LICENSE_KEY on the device API).",
	"403": "Not allowed (FORBIDDEN), or the license cannot be used: PENDING_PROVISION, ACCESS_DENIED, CONTRACT_FINALIZED, TOO_MANY_DEVICES, LIMIT_EXCEEDED, FEATURE_NOT_LICENSED, NO_FLOATING_SLOT.",
	"404": "Unknown, or not yours (NOT_FOUND; DEVICE_NOT_ACTIVATED).",
	"409": "Conflict (CONFLICT, INVALID_TRANSITION; on invoices INVALID_STATE, ALREADY_INVOICED, NOTHING_TO_INVOICE, AMOUNT_TOO_LARGE).",
	"413": "Too large (TOO_LARGE).",
	"415": "Unsupported body (UNSUPPORTED_MEDIA_TYPE): compressed or multipart bodies where none is taken, another Content-Type than the one required.",
	"429": "Rate limited (RATE_LIMITED); see Retry-After.",
}

func op(summary, security string, body obj, okStatus string, ok obj, errs ...string) obj {
	o := obj{"summary": summary}
	switch security {
	case "bearer":
		o["security"] = []obj{{"bearer": []string{}}}
	case "license":
		o["security"] = []obj{{"license": []string{}}}
	default:
		o["security"] = []obj{}
	}
	if body != nil {
		o["requestBody"] = obj{"required": true, "content": obj{"application/json": obj{"schema": body}}}
	}
	resp := obj{}
	if ok == nil {
		resp[okStatus] = obj{"description": "Done."}
	} else {
		resp[okStatus] = obj{"description": "Success.", "content": obj{"application/json": obj{"schema": ok}}}
	}
	for _, e := range errs {
		resp[e] = obj{"description": errorCodes[e], "content": obj{"application/json": obj{"schema": ref("Error")}}}
	}
	o["responses"] = resp
	return o
}

// intRange is an integer from lo to hi (docs/bounds.md); nullIntRange also takes null.
func intRange(lo, hi int) obj { return obj{"type": "integer", "minimum": lo, "maximum": hi} }

func nullIntRange(lo, hi int) obj {
	return obj{"type": "integer", "nullable": true, "minimum": lo, "maximum": hi}
}

func idParameter() []obj {
	return []obj{{"name": "id", "in": "path", "required": true, "schema": tInt}}
}

func withParams(o obj, params []obj) obj { o["parameters"] = params; return o }

func openAPISpec() obj {
	licenseInput := props(nil, obj{
		"organization_id": tNullInt, "distributor_id": tNullInt, "product": tString,
		"features": arrayOf(obj{"oneOf": []obj{tString, props([]string{"code"}, obj{"code": tString,
			"max_simultaneous_users": intRange(0, maxSeats), "floating_timeout_minutes": intRange(0, maxTimeoutMinutes)})}}),
		"prepaid_cores": intRange(0, maxPrepaidCores), "prepaid_core_price": tDecimal, "extra_core_price": tDecimal,
		"escalation_factor": obj{"type": "string", "example": "0.33"}, "currency": obj{"type": "string", "example": "EUR"},
		"term_years": obj{"type": "integer", "minimum": 1, "maximum": 100,
			"description": "Chosen from 1 to 5; renewals make it grow with the end date, and such a term may be sent back unchanged."}, "payment_period": obj{"type": "string", "enum": []string{"monthly", "annual"}},
		"invoicing_period": obj{"type": "string", "enum": []string{"monthly", "semiannual"}}, "start_date": tDate,
		"location": tString, "partner": tString, "max_aps": nullIntRange(0, maxLimit), "max_rooms": nullIntRange(0, maxLimit),
		"max_devices": nullIntRange(0, maxLimit), "start_threshold": intRange(1, maxStartThreshold),
	})
	createInput := props([]string{"product", "currency", "term_years", "payment_period"}, licenseInput["properties"].(obj))
	used := props(nil, obj{"aps": tInt, "rooms": tInt, "devices": tInt})
	deviceBody := props([]string{"fingerprint"}, obj{"fingerprint": tString, "setup": tString, "name": tString,
		"elements": props(nil, obj{"aps": intRange(0, maxElements), "rooms": intRange(0, maxElements)})})
	orgFields := obj{"name": tString, "kind": obj{"type": "string", "enum": []string{"distributor", "client"}}, "parent_id": tNullInt,
		"email": tString, "phone": tString, "address": tString, "zip": tString, "city": tString, "country": tString,
		"tax_id": tString, "notes": tString, "status": obj{"type": "string", "enum": []string{"active", "suspended"}}}
	paged := func(name, item string) obj {
		return props(nil, obj{name: arrayOf(ref(item)), "page": tInt, "per_page": tInt, "total": tInt})
	}
	pageParams := []obj{{"name": "page", "in": "query", "schema": tInt}, {"name": "per_page", "in": "query", "schema": tInt}}
	listParams := append([]obj{}, pageParams...)
	for _, q := range []string{"status", "end_from", "end_to", "ending_within", "organization", "product", "feature", "q", "sort", "dir"} {
		listParams = append(listParams, obj{"name": q, "in": "query", "schema": tString})
	}
	spec := obj{
		"openapi": "3.0.3",
		"info": obj{"title": "Keyward API", "version": "1",
			"description": "Management API (Authorization: Bearer kwp_…, the token user's rights) and device API (Authorization: License KW-…). " +
				"Errors are {\"error\":{\"code\",\"message\",\"field\"}}."},
		"paths": obj{
			"/api/openapi.json": obj{"get": op("This document.", "", nil, "200", obj{"type": "object"})},
			"/api/v1/me": obj{"get": op("The token's user and organizations.", "bearer", nil, "200",
				props(nil, obj{"id": tInt, "email": tString, "name": tString, "organizations": arrayOf(props(nil, obj{"id": tInt, "name": tString, "kind": tString, "role": tString}))}), "401")},
			"/api/v1/organizations": obj{
				"get": withParams(op("List the organizations you see: staff all of them, distributors their own and their clients, clients their own. "+
					"Filters and sorts of the clients dashboard; an unknown parameter or value is a 400 naming it in error.field.", "bearer", nil, "200",
					paged("organizations", "Organization"), "400", "401"), append(slices.Clone(pageParams),
					obj{"name": "q", "in": "query", "schema": tString},
					obj{"name": "kind", "in": "query", "schema": obj{"type": "string", "enum": []string{"distributor", "client"}}},
					obj{"name": "status", "in": "query", "schema": obj{"type": "string", "enum": []string{"active", "suspended"}}},
					obj{"name": "country", "in": "query", "schema": obj{"type": "string", "pattern": "^[A-Za-z]{2}$"}},
					obj{"name": "created_from", "in": "query", "schema": tDate, "description": "inclusive"},
					obj{"name": "created_to", "in": "query", "schema": tDate, "description": "inclusive"},
					obj{"name": "parent_id", "in": "query", "schema": tInt, "description": "the clients of this distributor"},
					obj{"name": "license_status", "in": "query", "schema": ref("Status"), "description": "has a license in this status"},
					obj{"name": "overdue", "in": "query", "schema": obj{"type": "boolean"}, "description": "has (or has not) an overdue invoice"},
					obj{"name": "sort", "in": "query", "schema": obj{"type": "string", "enum": []string{"name", "-name", "created_at", "-created_at",
						"country", "-country", "balance", "-balance", "licenses", "-licenses"}}})),
				"post": op("Create a distributor (staff) or a client under parent_id (staff, or the distributor's users).", "bearer", ref("OrganizationInput"), "201",
					ref("Organization"), "400", "401", "403", "404"),
			},
			"/api/v1/organizations/{id}": obj{"get": withParams(op("An organization.", "bearer", nil, "200", ref("Organization"), "401", "404"), idParameter())},
			"/api/v1/organizations/{id}/suspend": obj{"post": withParams(op("Suspend a client, as the portal's button does: its users "+
				"cannot sign in and are shown the reason.", "bearer", props([]string{"reason"}, obj{"reason": tString}), "200",
				ref("Organization"), "400", "401", "403", "404"), idParameter())},
			"/api/v1/organizations/{id}/reactivate": obj{"post": withParams(op("Reactivate a suspended client.", "bearer", nil, "200",
				ref("Organization"), "401", "403", "404"), idParameter())},
			"/api/v1/organizations/{id}/invitations": obj{"post": withParams(op("Invite an email into the organization, as the portal does: a new account gets a link to "+
				"create it; an existing one joins at once and is told by email. Members invite members; owners and distributor users choose the role.",
				"bearer", props([]string{"email"}, obj{"email": tString, "role": obj{"type": "string", "enum": []string{"owner", "member"}}}), "201",
				props(nil, obj{"id": tInt, "organization_id": tInt, "email": tString, "role": tString,
					"status": obj{"type": "string", "enum": []string{"pending", "joined"}}, "expires_at": obj{"type": "string", "format": "date-time"}}),
				"400", "401", "403", "404", "409"), idParameter())},
			"/api/v1/products": obj{
				"get":  op("List the products with their features (any signed-in user).", "bearer", nil, "200", props(nil, obj{"products": arrayOf(ref("Product"))}), "401"),
				"post": op("Create a product with its features (staff).", "bearer", ref("ProductInput"), "201", ref("Product"), "400", "401", "403", "409"),
			},
			"/api/v1/licenses": obj{
				"get": withParams(op("List the licenses you see, filtered and sorted.", "bearer", nil, "200", paged("licenses", "License"), "400", "401"), listParams),
				"post": op("Create a license; the answer holds its key, shown in full only here.", "bearer", createInput, "201",
					obj{"allOf": []obj{ref("License"), props(nil, obj{"key": tString})}}, "400", "401", "403", "404"),
			},
			"/api/v1/licenses/{id}": obj{
				"get":   withParams(op("A license (the key masked).", "bearer", nil, "200", ref("License"), "401", "404"), idParameter()),
				"patch": withParams(op("Change the fields sent; terms take effect the next day; limits, features and prices are recorded as an upgrade.", "bearer", licenseInput, "200", ref("License"), "400", "401", "403", "404"), idParameter()),
			},
			"/api/v1/licenses/{id}/regenerate-key": obj{"post": withParams(op("Give the license a new key; the old one fails at once.", "bearer", nil, "200", props(nil, obj{"key": tString}), "401", "403", "404"), idParameter())},
			"/api/v1/licenses/{id}/key":            obj{"get": withParams(op("Reveal the full key (audited; not for client members).", "bearer", nil, "200", props(nil, obj{"key": tString}), "401", "403", "404"), idParameter())},
			"/api/v1/licenses/{id}/status": obj{"post": withParams(op("Lifecycle: provision (organization_id), start, deny (reason), reinstate, terminate, renew (years: the end date and term_years grow by them).", "bearer",
				props([]string{"action"}, obj{"action": obj{"type": "string", "enum": []string{"provision", "start", "deny", "reinstate", "terminate", "renew"}},
					"reason": tString, "organization_id": tInt, "years": tInt}), "200", ref("License"), "400", "401", "403", "404", "409"), idParameter())},
			"/api/v1/usage": obj{"post": op("Report a setup's usage samples (all or nothing; gzip accepted; at most 100,000 samples and 32 MiB unpacked). "+
				"A sample sent again for the same setup, service and second is a duplicate and changes nothing.", "license",
				props([]string{"setup", "samples"}, obj{"setup": tString, "samples": arrayOf(props([]string{"time", "service", "metrics"}, obj{
					"time": obj{"type": "string", "format": "date-time"}, "service": tString,
					"metrics": obj{"type": "object", "minProperties": 1, "maxProperties": 64,
						"properties":           obj{"cores": obj{"type": "number", "minimum": 0, "maximum": ingest.MaxCores}},
						"additionalProperties": obj{"type": "number", "minimum": -ingest.MaxMetric, "maximum": ingest.MaxMetric}}}))}),
				"200", props(nil, obj{"accepted": tInt, "duplicates": tInt}), "400", "401", "403", "413", "429")},
			"/api/v1/licenses/{id}/usage": obj{"get": withParams(op("Usage per setup, service and metric over a period (mean, min, max, samples), with each setup's billable cores. "+
				"A period spans at most 31 days by hour, 400 by day, 1,830 by month (longer: 400, field to).",
				"bearer", nil, "200", props(nil, obj{"license_id": tInt, "from": tDate, "to": tDate, "resolution": tString,
					"cores": arrayOf(props(nil, obj{"time": tString, "setup": tString, "mean_cores": tNumber, "peak_cores": tNumber})),
					"series": arrayOf(props(nil, obj{"setup": tString, "service": tString, "metric": tString,
						"points": arrayOf(props(nil, obj{"time": tString, "mean": tNumber, "min": tNumber, "max": tNumber, "count": tInt}))}))}),
				"400", "401", "404"), append(idParameter(), obj{"name": "from", "in": "query", "schema": tDate}, obj{"name": "to", "in": "query", "schema": tDate},
				obj{"name": "resolution", "in": "query", "schema": obj{"type": "string", "enum": []string{"hour", "day", "month"}}}))},
			"/api/v1/licenses/{id}/estimate": obj{"get": withParams(op("The cost of a month by the rules of docs/money.md: prepaid and extra cost, total, projection, per-day breakdown. Money as decimal strings.",
				"bearer", nil, "200", props(nil, obj{"month": tString, "currency": tString, "prepaid_cores": tInt, "prepaid_cost": tString,
					"extra_cost": tString, "total": tString, "complete": tBool, "projected_extra": tString, "projected_total": tString,
					"days": arrayOf(props(nil, obj{"date": tString, "extra_cores": tInt, "extra_cost": tString,
						"setups": arrayOf(props(nil, obj{"setup": tString, "billed_cores": tInt, "prepaid": tInt, "extra": tInt}))}))}),
				"400", "401", "404"), append(idParameter(), obj{"name": "month", "in": "query", "schema": tString}))},
			"/api/v1/activate": obj{"post": op("Activate a device (and its setup) on the license.", "license", deviceBody, "200",
				props(nil, obj{"license": ref("DeviceLicense"), "device": ref("Device")}), "400", "401", "403", "429")},
			"/api/v1/validate": obj{"post": op("Tell whether the license (and the device, if a fingerprint is sent) may be used; always 200 for a known key.", "license",
				props(nil, deviceBody["properties"].(obj)), "200", props([]string{"valid", "code", "license"}, obj{"valid": tBool,
					"code":    obj{"type": "string", "enum": []string{"VALID", "PENDING_PROVISION", "ACCESS_DENIED", "CONTRACT_FINALIZED", "LIMIT_EXCEEDED", "DEVICE_NOT_ACTIVATED"}},
					"license": ref("DeviceLicense")}), "400", "401", "429")},
			"/api/v1/features/check": obj{"post": op("Use a feature: a floating one takes or refreshes a seat (403 NO_FLOATING_SLOT when all are held); 403 FEATURE_NOT_LICENSED; 404 DEVICE_NOT_ACTIVATED.", "license",
				props([]string{"fingerprint", "feature"}, obj{"fingerprint": tString, "feature": tString}), "200",
				props(nil, obj{"feature": tString, "floating": tBool, "granted": tBool, "used": tInt, "max": tInt,
					"seat": props(nil, obj{"taken_at": tDateTime, "expires_at": tDateTime})}), "400", "401", "403", "404", "429")},
			"/api/v1/features/release": obj{"post": op("Free the device's seat of a floating feature.", "license",
				props([]string{"fingerprint", "feature"}, obj{"fingerprint": tString, "feature": tString}), "204", nil, "400", "401", "403", "404", "429")},
			"/api/v1/deactivate": obj{"post": op("Free the device's place on the license.", "license", props([]string{"fingerprint"}, obj{"fingerprint": tString}), "204", nil, "400", "401", "403", "404", "429")},
		},
		"components": obj{
			"securitySchemes": obj{
				"bearer":  obj{"type": "http", "scheme": "bearer", "description": "A personal API token, kwp_…"},
				"license": obj{"type": "apiKey", "in": "header", "name": "Authorization", "description": "License KW-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX"},
			},
			"schemas": obj{
				"Error": props([]string{"error"}, obj{"error": props([]string{"code", "message"}, obj{"code": tString, "message": tString, "field": tString})}),
				"Feature": props(nil, obj{"code": tString, "name": tString, "floating": tBool, "max_simultaneous_users": intRange(0, maxSeats),
					"floating_timeout_minutes": intRange(0, maxTimeoutMinutes)}),
				"ProductInput": props([]string{"code", "name"}, obj{"code": obj{"type": "string", "pattern": "^[a-z0-9_-]{1,64}$"}, "name": tString,
					"start_threshold": intRange(1, maxStartThreshold), "excluded_services": arrayOf(tString), "features": arrayOf(ref("Feature"))}),
				"OrganizationInput": props([]string{"name", "kind"}, orgFields),
				"Organization": obj{"allOf": []obj{props(nil, obj{"id": tInt, "suspend_reason": tString,
					"created_at": obj{"type": "string", "format": "date-time"}, "updated_at": obj{"type": "string", "format": "date-time"},
					"licenses": tInt, "overdue": obj{"type": "boolean"},
					"balances": obj{"type": "object", "additionalProperties": tDecimal, "description": "per currency, as the journal"}}), props(nil, orgFields)}},
				"Product": props(nil, obj{"id": tInt, "code": tString, "name": tString, "start_threshold": tInt, "excluded_services": arrayOf(tString), "features": arrayOf(ref("Feature"))}),
				"License": props(nil, obj{"id": tInt, "status": ref("Status"), "product": tString, "organization_id": tNullInt, "organization": tString,
					"distributor_id": tInt, "key_masked": tString, "features": arrayOf(ref("Feature")), "prepaid_cores": tInt,
					"prepaid_core_price": tDecimal, "extra_core_price": tDecimal, "escalation_factor": tString, "currency": tString,
					"payment_period": tString, "invoicing_period": tString, "term_years": tInt, "start_date": tDate, "end_date": tDate,
					"location": tString, "partner": tString, "max_aps": tNullInt, "max_rooms": tNullInt, "max_devices": tNullInt,
					"start_threshold": tInt, "deny_reason": tString, "used": used, "created_at": tDateTime, "updated_at": tDateTime}),
				"Status": obj{"type": "string", "enum": licenseStatuses},
				"DeviceLicense": props(nil, obj{"id": tInt, "status": ref("Status"), "product": tString, "features": arrayOf(ref("Feature")),
					"start_date": tDate, "end_date": tDate, "limits": props(nil, obj{"max_aps": tNullInt, "max_rooms": tNullInt, "max_devices": tNullInt}), "used": used}),
				"Device": props(nil, obj{"id": tInt, "fingerprint": tString, "name": tString, "setup": tString, "active": tBool,
					"first_seen_at": tDateTime, "last_seen_at": tDateTime}),
			},
		},
	}
	addInvoicesToOpenAPI(spec)
	addWebhooksToOpenAPI(spec)
	addDeviceTrustToOpenAPI(spec)
	return spec
}

// openAPIPath turns a fiber route path into its OpenAPI form (:id → {id}).
func openAPIPath(p string) string {
	parts := strings.Split(p, "/")
	for i, s := range parts {
		if strings.HasPrefix(s, ":") {
			parts[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(parts, "/")
}
