package app

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestLicenseAccessTable checks the license routes of the API against DESIGN §1 for each role,
// on a license of the distributor's client: allowed, 403 (own org, beyond the role) or 404 (foreign).
func TestLicenseAccessTable(t *testing.T) {
	w := newLicenseWorld(t)
	id, _ := w.newLicense(nil)
	users := []struct{ name, token string }{
		{"staff", w.admin}, {"distributor owner", w.distToken}, {"client owner", w.clientOwnerTok},
		{"client member", w.clientMemberTok}, {"foreign client owner", w.otherTok},
	}
	p := fmt.Sprintf("/api/v1/licenses/%d", id)
	routes := []struct {
		method, path string
		body         any
		want         string // per user, in order: y allowed, 3 forbidden, 4 not found
	}{
		{http.MethodGet, p, nil, "yyyy4"},
		{http.MethodGet, p + "/key", nil, "yyy34"},
		{http.MethodPatch, p, map[string]any{"location": "X"}, "yy334"},
		{http.MethodPost, p + "/regenerate-key", nil, "yy334"},
		{http.MethodPost, p + "/status", map[string]any{"action": "start"}, "yy334"},
	}
	for _, r := range routes {
		for i, u := range users {
			t.Run(r.method+" "+strings.TrimPrefix(r.path, "/api/v1")+" as "+u.name, func(t *testing.T) {
				status, out := w.api(u.token, r.method, r.path, r.body)
				switch r.want[i] {
				case 'y':
					if status == http.StatusUnauthorized || status == http.StatusForbidden || status == http.StatusNotFound {
						t.Errorf("%d %v, want allowed", status, out)
					}
				case '3':
					if status != http.StatusForbidden {
						t.Errorf("%d, want 403", status)
					}
				case '4':
					if status != http.StatusNotFound {
						t.Errorf("%d, want 404", status)
					}
				}
			})
		}
	}
	// A license not provisioned yet belongs to its distributor: the client does not see it.
	pid, _ := w.newLicense(map[string]any{"organization_id": nil, "distributor_id": w.dist.ID})
	if status, _ := w.api(w.clientOwnerTok, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d", pid), nil); status != http.StatusNotFound {
		t.Errorf("a client sees a license pending provision: %d", status)
	}
	// Provisioning to a foreign client is refused, naming the field.
	status, out := w.api(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", pid), map[string]any{"action": "provision", "organization_id": w.otherClient.ID})
	if _, field := errorOf(out); status != http.StatusBadRequest || field != "organization_id" {
		t.Errorf("provision to a foreign client: %d %v", status, out)
	}
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", pid), http.StatusOK, map[string]any{"action": "provision", "organization_id": w.client.ID})
	if status, _ := w.api(w.clientMemberTok, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d", pid), nil); status != http.StatusOK {
		t.Errorf("the client after provisioning: %d", status)
	}
}
