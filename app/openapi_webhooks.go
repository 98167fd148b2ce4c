package app

import "keyward/app/webhook"

// addWebhooksToOpenAPI describes the webhook API of DESIGN §11 in the OpenAPI document, and the
// license's overage_alerts switch.
func addWebhooksToOpenAPI(spec obj) {
	paths := spec["paths"].(obj)
	schemas := spec["components"].(obj)["schemas"].(obj)
	events := obj{"type": "string", "enum": webhook.Names()}
	schemas["Webhook"] = props(nil, obj{"id": tInt, "organization_id": tInt, "url": tString, "events": arrayOf(events),
		"secret":      obj{"type": "string", "description": "Only in the answer that registers the endpoint: keep it, it is never shown again."},
		"secret_hint": obj{"type": "string", "example": "…Q7XZ"}, "created_at": tDateTime,
		"pending_deliveries": tInt, "failed_deliveries": tInt})
	schemas["WebhookDelivery"] = props(nil, obj{"id": tInt, "event_id": obj{"type": "string", "example": "evt_…"},
		"event": tString, "status": obj{"type": "string", "enum": []string{"pending", "delivered", "failed"}},
		"http_status": obj{"type": "integer", "nullable": true, "description": "Of the last answer; null: no answer."},
		"attempts":    tInt, "created_at": tDateTime, "last_attempt_at": obj{"type": "string", "format": "date-time", "nullable": true},
		"next_attempt_at": obj{"type": "string", "format": "date-time", "nullable": true}, "delivered_at": obj{"type": "string", "format": "date-time", "nullable": true},
		"error": tString})
	id := idParameter()
	orgParam := []obj{{"name": "organization_id", "in": "query", "schema": tInt,
		"description": "The distributor (or, for staff, any organization but a client); default: yours."}}
	paths["/api/v1/webhooks"] = obj{
		"get": withParams(op("The webhook endpoints of an organization (staff and distributor owners), without their secrets.", "bearer", nil, "200",
			props(nil, obj{"webhooks": arrayOf(ref("Webhook"))}), "400", "401", "403", "404"), orgParam),
		"post": op("Register an endpoint: events are POSTed to the URL as {id, event, created_at, data}, signed in Keyward-Webhook-Signature "+
			"(t=<unix>,v1=<hex HMAC-SHA256 of \"<t>.<body>\">). Only http(s) URLs on public addresses (unless the server allows private ones); "+
			"a refused URL is 400 with field url. The answer holds the secret, this once.", "bearer",
			props([]string{"url", "events"}, obj{"organization_id": tInt, "url": tString, "events": arrayOf(events)}), "201", ref("Webhook"),
			"400", "401", "403", "404"),
	}
	paths["/api/v1/webhooks/{id}"] = obj{"delete": withParams(op("Delete an endpoint and its deliveries not made yet.", "bearer", nil, "204", nil,
		"401", "403", "404"), id)}
	paths["/api/v1/webhooks/{id}/deliveries"] = obj{"get": withParams(op("The endpoint's 50 latest deliveries, newest first, with status, HTTP code and times.",
		"bearer", nil, "200", props(nil, obj{"deliveries": arrayOf(ref("WebhookDelivery"))}), "401", "403", "404"), id)}
	paths["/api/v1/webhooks/{id}/test"] = obj{"post": withParams(op("Send the endpoint a webhook.test event (whatever events it chose).", "bearer", nil, "202",
		props(nil, obj{"event_id": tString}), "401", "403", "404"), id)}

	license := schemas["License"].(obj)["properties"].(obj)
	license["overage_alerts"] = obj{"type": "boolean", "description": "Email the owners the first time in a month the license uses extra cores."}
	for _, path := range []string{"/api/v1/licenses", "/api/v1/licenses/{id}"} {
		for _, method := range []string{"post", "patch"} {
			o, ok := paths[path].(obj)[method].(obj)
			if !ok {
				continue
			}
			schema := o["requestBody"].(obj)["content"].(obj)["application/json"].(obj)["schema"].(obj)
			if p, ok := schema["properties"].(obj); ok {
				p["overage_alerts"] = tBool
			}
		}
	}
}
