package app

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"
)

// TestDeviceElementsBounds reports elements beyond a setup's bounds: 400 naming the count at
// fault (no longer a 500 for an APs count at the int64 limit), and nothing activated or stored.
func TestDeviceElementsBounds(t *testing.T) {
	w := newLicenseWorld(t)
	id, key := w.newLicense(map[string]any{"max_aps": 2_000_000})
	for _, tc := range []struct{ name, body, field string }{
		{"APs at the int64 limit", `{"fingerprint":"a","setup":"s1","elements":{"aps":9223372036854775807,"rooms":1}}`, "elements.aps"},
		{"APs beyond int64", `{"fingerprint":"a","setup":"s1","elements":{"aps":92233720368547758070,"rooms":1}}`, "elements.aps"},
		{"APs 1e30", `{"fingerprint":"a","setup":"s1","elements":{"aps":1e30}}`, "elements.aps"},
		{"APs not whole", `{"fingerprint":"a","setup":"s1","elements":{"aps":1.5}}`, "elements.aps"},
		{"a million rooms and one", `{"fingerprint":"a","setup":"s1","elements":{"aps":1,"rooms":1000001}}`, "elements.rooms"},
		{"negative rooms", `{"fingerprint":"a","setup":"s1","elements":{"rooms":-1}}`, "elements.rooms"},
		{"fingerprint a number", `{"fingerprint":7}`, "fingerprint"},
	} {
		for _, path := range []string{"/api/v1/activate", "/api/v1/validate"} {
			t.Run(tc.name+" on "+path, func(t *testing.T) {
				status, out := w.a.call("License "+key, http.MethodPost, path, rawJSON(tc.body))
				if code, field := errorOf(out); status != http.StatusBadRequest || code != "INVALID_INPUT" || field != tc.field {
					t.Errorf("status %d %v, want 400 naming %s", status, out, tc.field)
				}
			})
		}
	}
	// Without limits, the sum over setups overflowed: 500, with the setup written.
	free, freeKey := w.newLicense(nil)
	w.device(freeKey, "/api/v1/activate", map[string]any{"fingerprint": "first", "setup": "s0", "elements": map[string]int{"aps": 5}})
	status, out := w.a.call("License "+freeKey, http.MethodPost, "/api/v1/activate", rawJSON(`{"fingerprint":"b","setup":"s1","elements":{"aps":9223372036854775807}}`))
	if code, field := errorOf(out); status != http.StatusBadRequest || code != "INVALID_INPUT" || field != "elements.aps" {
		t.Errorf("activate with APs at the int64 limit beside another setup: %d %v, want 400 naming elements.aps", status, out)
	}
	if l := w.license(free); l["used"].(map[string]any)["aps"] != 5.0 {
		t.Errorf("after the refusal the license uses %v, want the first setup's 5 APs", l["used"])
	}
	ctx := context.Background()
	if ds, _ := w.a.db.LicenseDevices(ctx, id); len(ds) != 0 {
		t.Errorf("refused activations left devices: %+v", ds)
	}
	if ss, _ := w.a.db.LicenseSetups(ctx, id); len(ss) != 0 {
		t.Errorf("refused activations left setups: %+v", ss)
	}
	// The bounds themselves are accepted, and their sum over setups is counted against the limit.
	for _, setup := range []string{"s1", "s2"} {
		status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "fp-" + setup, "setup": setup,
			"elements": map[string]int{"aps": 1_000_000, "rooms": 1_000_000}})
		if status != http.StatusOK {
			t.Fatalf("activate with a million APs on %s: %d %v", setup, status, out)
		}
	}
	status, out = w.device(key, "/api/v1/validate", map[string]any{"fingerprint": "fp-s1"})
	used, _ := out["license"].(map[string]any)["used"].(map[string]any)
	if status != http.StatusOK || out["code"] != "VALID" || used["aps"] != 2_000_000.0 || used["rooms"] != 2_000_000.0 {
		t.Errorf("validate: %d %v, want valid with 2,000,000 APs and rooms used", status, out)
	}
}

// TestLicenseFieldBounds refuses numbers of a license beyond their bounds, through the API (naming
// the field) and the portal form (the message beside the field), and accepts the bounds themselves.
func TestLicenseFieldBounds(t *testing.T) {
	w := newLicenseWorld(t)
	base := map[string]any{"organization_id": w.client.ID, "product": "octo", "currency": "EUR", "term_years": 1, "payment_period": "annual"}
	for _, tc := range []struct {
		name   string
		change map[string]any
		field  string
	}{
		{"price beyond a billion", map[string]any{"extra_core_price": "1000000000.01"}, "extra_core_price"},
		{"price at the int64 limit", map[string]any{"prepaid_core_price": "92233720368547758.07"}, "prepaid_core_price"},
		{"yen price beyond a billion", map[string]any{"currency": "JPY", "prepaid_core_price": "1000000001"}, "prepaid_core_price"},
		{"dinar price beyond a billion", map[string]any{"currency": "KWD", "extra_core_price": "1000000000.001"}, "extra_core_price"},
		{"prepaid cores beyond a million", map[string]any{"prepaid_cores": 1_000_001}, "prepaid_cores"},
		{"prepaid cores 1e30", map[string]any{"prepaid_cores": 1e30}, "prepaid_cores"},
		{"max APs beyond a billion", map[string]any{"max_aps": 1_000_000_001}, "max_aps"},
		{"max rooms at the int64 limit", map[string]any{"max_rooms": "9223372036854775807"}, "max_rooms"},
		{"max devices beyond a billion", map[string]any{"max_devices": 1_000_000_001}, "max_devices"},
		{"start threshold beyond 100,000", map[string]any{"start_threshold": 100_001}, "start_threshold"},
		{"seats override beyond a million", map[string]any{"features": []any{map[string]any{"code": "voice", "max_simultaneous_users": 1_000_001}}},
			"features[0].max_simultaneous_users"},
		{"timeout override beyond a year", map[string]any{"features": []any{"core", map[string]any{"code": "voice", "floating_timeout_minutes": 525_601}}},
			"features[1].floating_timeout_minutes"},
		{"factor beyond 10", map[string]any{"escalation_factor": "10.000001"}, "escalation_factor"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body := map[string]any{}
			for _, m := range []map[string]any{base, tc.change} {
				for k, v := range m {
					body[k] = v
				}
			}
			status, out := w.api(w.distToken, http.MethodPost, "/api/v1/licenses", body)
			if code, field := errorOf(out); status != http.StatusBadRequest || code != "INVALID_INPUT" || field != tc.field {
				t.Errorf("status %d %v, want 400 naming %s", status, out, tc.field)
			}
		})
	}
	at := map[string]any{"prepaid_cores": 1_000_000, "prepaid_core_price": "1000000000.00", "extra_core_price": "1000000000.00",
		"escalation_factor": "10", "max_aps": 1_000_000_000, "max_rooms": 1_000_000_000, "max_devices": 1_000_000_000,
		"start_threshold": 100_000, "features": []any{map[string]any{"code": "voice", "max_simultaneous_users": 1_000_000, "floating_timeout_minutes": 525_600}}}
	id, _ := w.newLicense(at)
	l := w.license(id)
	if l["prepaid_core_price"] != "1000000000.00" || l["max_aps"] != 1e9 || l["start_threshold"] != 1e5 {
		t.Errorf("license at the bounds: %v", l)
	}
	w.mustAPI(w.distToken, http.MethodPost, "/api/v1/licenses", http.StatusCreated, map[string]any{"organization_id": w.client.ID,
		"product": "octo", "currency": "KWD", "term_years": 1, "payment_period": "annual", "extra_core_price": "1000000000.000"})

	// The portal form shows the message beside the field.
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.get(fmt.Sprintf("/licenses/new?organization_id=%d", w.client.ID))
	form := url.Values{"organization_id": {fmt.Sprint(w.client.ID)}, "product": {"octo"}, "features": {"core", "voice"},
		"prepaid_cores": {"5"}, "currency": {"EUR"}, "prepaid_core_price": {"100.00"}, "extra_core_price": {"2000000000.00"},
		"escalation_factor": {"0.33"}, "term_years": {"1"}, "payment_period": {"annual"}, "invoicing_period": {"monthly"}}
	if resp := b.post("/licenses", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a price beyond the bound in the form: %d", resp.StatusCode)
	}
	b.assertContains(`<span class="field-error">Enter an amount from 0 to 1000000000.00`, `value="2000000000.00"`)
	form.Set("extra_core_price", "150.00")
	form.Set("max_users.voice", "1000001")
	if resp := b.post("/licenses", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a seats override beyond the bound in the form: %d", resp.StatusCode)
	}
	b.assertContains(`<span class="field-error">Enter a whole number from 0 to 1000000, or leave it empty`)
}

// TestProductBounds refuses floating seats and timeouts beyond their bounds through the API and the
// portal form, whose message shows beside the feature's field.
func TestProductBounds(t *testing.T) {
	w := newLicenseWorld(t)
	feature := func(max, timeout string) string {
		return `{"code":"p","name":"P","features":[{"code":"a","name":"A"},{"code":"f","name":"F","floating":true,"max_simultaneous_users":` +
			max + `,"floating_timeout_minutes":` + timeout + `}]}`
	}
	for _, tc := range []struct{ name, body, field string }{
		{"seats beyond a million", feature("1000001", "10"), "features[1].max_simultaneous_users"},
		{"timeout beyond a year", feature("3", "525601"), "features[1].floating_timeout_minutes"},
		{"timeout that overflowed a duration", feature("3", "9223372036854775807"), "features[1].floating_timeout_minutes"},
		{"seats beyond int64", feature("1e30", "10"), "features.max_simultaneous_users"},
		{"start threshold not a number", `{"code":"p","name":"P","start_threshold":"five"}`, "start_threshold"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, out := w.a.call("Bearer "+w.admin, http.MethodPost, "/api/v1/products", rawJSON(tc.body))
			if code, field := errorOf(out); status != http.StatusBadRequest || code != "INVALID_INPUT" || field != tc.field {
				t.Errorf("status %d %v, want 400 naming %s", status, out, tc.field)
			}
		})
	}
	if status, out := w.a.call("Bearer "+w.admin, http.MethodPost, "/api/v1/products", rawJSON(feature("1000000", "525600"))); status != http.StatusCreated {
		t.Errorf("a product at the bounds: %d %v", status, out)
	}

	b := w.a.browser()
	b.signIn(adminEmail, adminPassword)
	b.get("/products/new")
	form := url.Values{"code": {"beam"}, "name": {"Beam"}, "start_threshold": {"3"},
		"feature_code.0": {"maps"}, "feature_name.0": {"Maps"}, "feature_code.2": {"seat"}, "feature_name.2": {"Seat"},
		"feature_floating.2": {"1"}, "feature_max.2": {"4"}, "feature_timeout.2": {"600000"}}
	if resp := b.post("/products", form); resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("a timeout beyond a year in the form: %d", resp.StatusCode)
	}
	// The seat feature is the second one sent: its row is the second of the form shown again.
	b.assertContains(`name="feature_timeout.1" aria-label="Feature 1 timeout" value="600000" aria-invalid="true">
          <p class="field-error">The timeout is a whole number of minutes from 0 to 525600 (a year).</p>`)
}
