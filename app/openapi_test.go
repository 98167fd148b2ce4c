package app

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOpenAPIDescribesEveryAPIRoute fails when a registered /api route is missing from the document.
func TestOpenAPIDescribesEveryAPIRoute(t *testing.T) {
	a := newTestApp(t)
	resp, err := http.Get(a.url + "/api/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var doc struct {
		OpenAPI string                                `json:"openapi"`
		Paths   map[string]map[string]json.RawMessage `json:"paths"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi %q", doc.OpenAPI)
	}
	n := 0
	for _, r := range a.srv.routeTable {
		if !strings.HasPrefix(r.Path, "/api/") {
			continue
		}
		n++
		op, ok := doc.Paths[openAPIPath(r.Path)][strings.ToLower(r.Method)]
		if !ok {
			t.Errorf("%s %s is not in /api/openapi.json", r.Method, r.Path)
			continue
		}
		var o struct {
			Responses map[string]json.RawMessage `json:"responses"`
		}
		json.Unmarshal(op, &o)
		if len(o.Responses) == 0 {
			t.Errorf("%s %s has no responses", r.Method, r.Path)
		}
	}
	if n < 10 {
		t.Errorf("only %d /api routes registered", n)
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			found := false
			for _, r := range a.srv.routeTable {
				found = found || (openAPIPath(r.Path) == path && strings.ToLower(r.Method) == method)
			}
			if !found {
				t.Errorf("the document describes %s %s, which does not exist", method, path)
			}
		}
	}
}
