package app

import (
	"fmt"
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestProductsAreEditedThroughTheAPI(t *testing.T) {
	w := newLicenseWorld(t)
	ps := w.mustAPI(w.admin, http.MethodGet, "/api/v1/products", http.StatusOK, nil)["products"].([]any)
	id := int64(ps[0].(map[string]any)["id"].(float64))
	path := fmt.Sprintf("/api/v1/products/%d", id)
	_, key := w.newLicense(nil)
	w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "a"})
	w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a"}) // cached by the device API

	out := w.mustAPI(w.admin, http.MethodPatch, path, http.StatusOK, map[string]any{"name": "Octopus 2", "heartbeat_minutes": 60,
		"features": []map[string]any{
			{"code": "voice", "name": "Voice calls", "floating": true, "max_simultaneous_users": 4, "floating_timeout_minutes": 15, "max_borrow_hours": 72},
			{"code": "fax", "name": "Fax"},
		}})
	if out["name"] != "Octopus 2" || out["heartbeat_minutes"] != 60.0 || out["code"] != "octo" {
		t.Errorf("patched: %v", out)
	}
	fs := out["features"].([]any)
	if len(fs) != 4 {
		t.Fatalf("features %v, want core, voice, video and the new fax", fs)
	}
	voice := fs[1].(map[string]any)
	if voice["name"] != "Voice calls" || voice["max_simultaneous_users"] != 4.0 || voice["max_borrow_hours"] != 72.0 {
		t.Errorf("voice: %v", voice)
	}
	if got := w.mustAPI(w.distToken, http.MethodGet, path, http.StatusOK, nil)["name"]; got != "Octopus 2" {
		t.Errorf("GET after PATCH: %v", got)
	}
	// The device API sees the new defaults at once.
	_, v := w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "a"})
	lf := v["license"].(map[string]any)["features"].([]any)[1].(map[string]any)
	if lf["max_simultaneous_users"] != 4.0 || lf["max_borrow_hours"] != 72.0 {
		t.Errorf("validate after the edit: %v", lf)
	}

	tests := []struct {
		name  string
		token string
		body  map[string]any
		want  int
		field string
	}{
		{"a distributor (products are the vendor's)", w.distToken, map[string]any{"name": "x"}, 404, ""},
		{"another code", w.admin, map[string]any{"code": "other"}, 400, "code"},
		{"no name", w.admin, map[string]any{"name": " "}, 400, "name"},
		{"heartbeat below 0", w.admin, map[string]any{"heartbeat_minutes": -1}, 400, "heartbeat_minutes"},
		{"borrowing a fixed feature", w.admin, map[string]any{"features": []map[string]any{{"code": "core", "name": "Core", "max_borrow_hours": 5}}}, 400, "features[0].max_borrow_hours"},
		{"borrow past a year", w.admin, map[string]any{"features": []map[string]any{{"code": "voice", "name": "Voice", "floating": true,
			"max_simultaneous_users": 1, "floating_timeout_minutes": 1, "max_borrow_hours": 9000}}}, 400, "features[1].max_borrow_hours"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := w.api(tt.token, http.MethodPatch, path, tt.body)
			if _, field := errorOf(out); status != tt.want || field != tt.field {
				t.Errorf("%d %v, want %d field %q", status, out, tt.want, tt.field)
			}
		})
	}
	if got := w.mustAPI(w.admin, http.MethodGet, path, http.StatusOK, nil)["name"]; got != "Octopus 2" {
		t.Errorf("a refused PATCH wrote: %v", got)
	}
	if status, _ := w.api(w.admin, http.MethodGet, "/api/v1/products/999999", nil); status != http.StatusNotFound {
		t.Errorf("unknown product: %d", status)
	}
}

func TestProductsAreEditedInThePortal(t *testing.T) {
	w := newLicenseWorld(t)
	ps := w.mustAPI(w.admin, http.MethodGet, "/api/v1/products", http.StatusOK, nil)["products"].([]any)
	id := int64(ps[0].(map[string]any)["id"].(float64))
	b := w.a.browser()
	b.signIn(adminEmail, adminPassword)
	page := fmt.Sprintf("/products/%d", id)
	resp := b.get(page)
	b.status(resp, http.StatusOK)
	b.assertContains("Edit the product", "Public key", `value="voice" readonly`)
	if !strings.Contains(html.UnescapeString(b.body), w.a.srv.signer.PublicKey()) {
		t.Error("the product page does not show the public key")
	}
	form := url.Values{"name": {"Octopus Pro"}, "start_threshold": {"3"}, "excluded_services": {"kibana"}, "heartbeat_minutes": {"30"},
		"feature_code.0": {"core"}, "feature_name.0": {"Core"},
		"feature_code.1": {"voice"}, "feature_name.1": {"Voice"}, "feature_floating.1": {"1"}, "feature_max.1": {"3"}, "feature_timeout.1": {"15"}, "feature_borrow.1": {"48"},
		"feature_code.3": {"fax"}, "feature_name.3": {"Fax"}}
	resp = b.post(page, form)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	out := w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/products/%d", id), http.StatusOK, nil)
	if out["name"] != "Octopus Pro" || out["start_threshold"] != 3.0 || out["heartbeat_minutes"] != 30.0 || len(out["features"].([]any)) != 4 {
		t.Errorf("after the form: %v", out)
	}
	if v := out["features"].([]any)[2].(map[string]any); v["code"] != "video" || v["max_simultaneous_users"] != 2.0 {
		t.Errorf("the video row was not sent: it stays as it was, got %v", v)
	}
	// A bad value is shown beside its field, and nothing is written.
	form.Set("feature_borrow.1", "99999")
	form.Set("name", "Never saved")
	resp = b.post(page, form)
	b.status(resp, http.StatusBadRequest)
	b.assertContains("borrowed for 0 (never) to 8784 hours")
	if got := w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/products/%d", id), http.StatusOK, nil)["name"]; got != "Octopus Pro" {
		t.Errorf("a refused form wrote: %v", got)
	}
	// Audited in words.
	b.get("/audit")
	b.assertContains("Edited the product")
	if !strings.Contains(b.body, "Octopus Pro") {
		t.Error("the audit entry does not name the product's new state")
	}
}
