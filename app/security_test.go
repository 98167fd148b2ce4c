package app

import (
	"bytes"
	"compress/gzip"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"keyward/store"
)

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/licenses?tab=usage":             "/licenses?tab=usage",
		"":                                "/",
		"https://evil.example/":           "/",
		"//evil.example/":                 "/",
		"/\\evil.example":                 "/",
		"/\t/evil.example/":               "/",
		"/\r\nSet-Cookie: kw_session=x":   "/",
		"/ok\x7f":                         "/",
		"licenses":                        "/",
		"/orgs/2?next=%2F%2Fevil.example": "/orgs/2?next=%2F%2Fevil.example",
	} {
		if got := localPath(in); got != want {
			t.Errorf("localPath(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNoHeaderInjectionThroughNext(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	resp := b.get("/login?next=" + url.QueryEscape("/\r\nSet-Cookie: kw_session=attacker; Path=/"))
	if got := resp.Header.Get("Location"); got != "/" {
		t.Errorf("Location %q, want /", got)
	}
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.Contains(c, "attacker") {
			t.Errorf("an injected cookie was set: %q", c)
		}
	}
}

func TestCompressedAndMultipartBodiesRefused(t *testing.T) {
	a := newTestApp(t)
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte("email=a%40b.test&password=x&_csrf=y"))
	w.Close()
	multipart := "--x\r\nContent-Disposition: form-data; name=\"email\"\r\n\r\na@b.test\r\n--x--\r\n"
	for _, tc := range []struct {
		name, path, contentType, encoding string
		body                              []byte
	}{
		{"gzipped form", "/login", "application/x-www-form-urlencoded", "gzip", gz.Bytes()},
		{"multipart form", "/login", "multipart/form-data; boundary=x", "", []byte(multipart)},
		{"gzipped API body", "/api/v1/licenses", "application/json", "gzip", gz.Bytes()},
		{"deflated device body", "/api/v1/activate", "application/json", "deflate", gz.Bytes()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, a.url+tc.path, bytes.NewReader(tc.body))
			req.Header.Set("Content-Type", tc.contentType)
			if tc.encoding != "" {
				req.Header.Set("Content-Encoding", tc.encoding)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got, want := resp.StatusCode, http.StatusUnsupportedMediaType; got != want {
				t.Errorf("status %d, want %d", got, want)
			}
		})
	}
}

func TestAPIPathsAreCaseSensitive(t *testing.T) {
	a := newTestApp(t)
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	if resp := b.get("/API/v1/me"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /API/v1/me with the session cookie: %d, want 404", resp.StatusCode)
	}
}

func TestSuspendedClientsTokensStop(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	vendor, _ := a.db.FindVendor(ctx)
	dist := a.createOrg(store.KindDistributor, "Dist", vendor.ID)
	client := a.createOrg(store.KindClient, "Client", dist.ID)
	u := a.createUser("owner@client.test", "Owner", client, store.RoleOwner)
	token, err := NewAPIToken(ctx, a.db, u.ID, "t")
	if err != nil {
		t.Fatal(err)
	}
	me := func() int {
		status, _ := a.call("Bearer "+token, http.MethodGet, "/api/v1/me", nil)
		return status
	}
	if got := me(); got != http.StatusOK {
		t.Fatalf("before suspension: %d, want 200", got)
	}
	if err := a.db.SetOrgStatus(ctx, client.ID, "suspended", "unpaid", store.AuditEntry{Action: "org.suspended"}); err != nil {
		t.Fatal(err)
	}
	if got := me(); got != http.StatusForbidden {
		t.Errorf("token of a suspended client's only member: %d, want 403", got)
	}
}
