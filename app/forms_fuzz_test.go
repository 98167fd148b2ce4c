package app

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"keyward/store"
	"keyward/store/storetest"
)

// The fuzz targets below send what the fuzzer makes of a form or a JSON body to the running app,
// as a signed-in distributor would, and hold it to two promises: never a 5xx, and a refusal (4xx)
// writes nothing at all. `go test` runs their seeds; `go test -fuzz FuzzX ./app` searches further.

// writeWatch tells whether anything was committed to the app's database since it last looked:
// on SQLite its data_version, read on a connection of its own, changes with every commit of
// another; on PostgreSQL every table's row count and newest row version (xmin) are read.
type writeWatch struct {
	conn     *sql.Conn
	postgres bool
}

func watchWrites(tb testing.TB, a *testApp) *writeWatch {
	tb.Helper()
	db := a.sqlDB()
	conn, err := db.Conn(tb.Context())
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { conn.Close(); db.Close() })
	return &writeWatch{conn: conn, postgres: storetest.Postgres()}
}

// version changes with every commit of another connection, whatever table it touched.
func (w *writeWatch) version(t testing.TB) string {
	t.Helper()
	query := `PRAGMA data_version`
	if w.postgres {
		var parts []string
		if err := w.conn.QueryRowContext(t.Context(), `SELECT string_agg(format(
			'SELECT %L || '':'' || count(*) || '':'' || coalesce(max(xmin::text::bigint), 0) FROM %I', tablename, tablename),
			' UNION ALL ' ORDER BY tablename) FROM pg_tables WHERE schemaname = current_schema()`).Scan(&query); err != nil {
			t.Fatal(err)
		}
		rows, err := w.conn.QueryContext(t.Context(), query)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			rows.Scan(&p)
			parts = append(parts, p)
		}
		return strings.Join(parts, " ")
	}
	var v int64
	if err := w.conn.QueryRowContext(t.Context(), query).Scan(&v); err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(v)
}

// formFuzz is the app and the distributor a fuzz target acts as.
type formFuzz struct {
	w       *licenseWorld
	dist    *browser // signed in, its CSRF token at hand
	csrf    string
	watch   *writeWatch
	tried   int
	refused int
}

func newFormFuzz(f *testing.F) *formFuzz {
	w := newLicenseWorld(f)
	dist := w.a.browser()
	dist.signIn(w.distOwner, adminPassword)
	dist.get("/licenses/new")
	// A token's first use of the minute records it: done here, so that no refusal below writes it.
	for _, token := range []string{w.distToken, w.admin} {
		w.mustAPI(token, http.MethodGet, "/api/v1/me", http.StatusOK, nil)
	}
	return &formFuzz{w: w, dist: dist, csrf: dist.csrf(), watch: watchWrites(f, w.a)}
}

// send makes one request and checks both promises; an accepted one is let settle (its emails
// delivered) so that the next request's check sees only its own writes.
func (fz *formFuzz) send(t *testing.T, client *http.Client, method, path, contentType, auth, body string) {
	t.Helper()
	req, err := http.NewRequest(method, fz.w.a.url+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	before := fz.watch.version(t)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	answer, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	fz.tried++
	switch {
	case resp.StatusCode >= 500:
		t.Fatalf("%s %s answered %d to %q:\n%s", method, path, resp.StatusCode, body, answer)
	case resp.StatusCode >= 400:
		fz.refused++
		if fz.watch.version(t) != before {
			t.Fatalf("%s %s refused %q with %d but wrote to the database", method, path, body, resp.StatusCode)
		}
	default:
		fz.w.a.waitOutboxIdle(t)
	}
}

// waitOutboxIdle waits until every queued email has been handled, so the outbox writes nothing
// more and a later refusal's check sees only its own writes.
func (a *testApp) waitOutboxIdle(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		_, pending, err := a.db.ListEmails(t.Context(), store.EmailPending, 1, 0)
		if err != nil {
			t.Fatal(err)
		}
		if pending == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d emails still pending", pending)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// postForm sends a form body as the distributor's browser; its CSRF field comes first, so that one
// the fuzzer writes does not count.
func (fz *formFuzz) postForm(t *testing.T, path, body string) {
	t.Helper()
	fz.send(t, fz.dist.client, http.MethodPost, path, "application/x-www-form-urlencoded", "", "_csrf="+fz.csrf+"&"+body)
}

func (fz *formFuzz) report(f *testing.F) {
	f.Cleanup(func() {
		if testing.Verbose() {
			f.Logf("%d inputs tried, %d refused, no 5xx", fz.tried, fz.refused)
		}
	})
}

// FuzzLicenseForm: the portal's license form (POST /licenses), also naming license requests:
// an open one of the client, another client's, a made-up one.
func FuzzLicenseForm(f *testing.F) {
	fz := newFormFuzz(f)
	w := fz.w
	open := w.requestLicense(f, w.clientOwner, adminPassword, w.client)
	tailspin := w.a.createOrg(store.KindClient, "Tailspin Toys", w.dist.ID)
	w.a.createUser("tina@tailspin.test", "Tina", tailspin, store.RoleOwner)
	foreign := w.requestLicense(f, "tina@tailspin.test", testPassword, tailspin)
	valid := func(org int64, requestID string) string { return w.licenseForm(org, requestID).Encode() }
	for _, seed := range []string{
		valid(w.client.ID, ""),
		valid(w.client.ID, open),
		valid(w.client.ID, foreign),
		valid(tailspin.ID, "999999"),
		valid(w.client.ID, "-1"),
		valid(w.otherClient.ID, ""),
		strings.Replace(valid(w.client.ID, ""), "prepaid_cores=2", "prepaid_cores=9223372036854775807", 1),
		strings.Replace(valid(w.client.ID, ""), "features=core", "features=voice&max_users.voice=-1&timeout.voice=99999999999999999999", 1),
		strings.Replace(valid(w.client.ID, ""), "term_years=1", "term_years=7", 1),
		strings.Replace(valid(w.client.ID, ""), "currency=EUR", "currency=JPY", 1),
		"organization_id=&product=octo&currency=EUR&term_years=1&payment_period=annual",
		"product=%FF%FE&start_date=2026-02-30&location=" + strings.Repeat("x", 300),
		"",
		"%%%&&&==",
	} {
		f.Add(seed)
	}
	fz.report(f)
	f.Fuzz(func(t *testing.T, body string) {
		fz.postForm(t, "/licenses", body)
	})
}

// FuzzLicenseJSON: the management API's license creation (POST /api/v1/licenses).
func FuzzLicenseJSON(f *testing.F) {
	fz := newFormFuzz(f)
	w := fz.w
	for _, seed := range []string{
		fmt.Sprintf(`{"organization_id":%d,"product":"octo","features":["core",{"code":"voice","max_simultaneous_users":2}],"prepaid_cores":5,"prepaid_core_price":"100.00","extra_core_price":"150.00","escalation_factor":"0.33","currency":"EUR","term_years":1,"payment_period":"annual","start_date":"2026-01-01"}`, w.client.ID),
		fmt.Sprintf(`{"distributor_id":%d,"product":"octo","currency":"EUR","term_years":1,"payment_period":"annual"}`, w.dist.ID),
		fmt.Sprintf(`{"organization_id":%d,"product":"octo","currency":"EUR","term_years":1,"payment_period":"annual"}`, w.otherClient.ID),
		fmt.Sprintf(`{"organization_id":%d,"product":"octo","currency":"EUR","term_years":1e400,"payment_period":"annual","max_aps":-1}`, w.client.ID),
		fmt.Sprintf(`{"organization_id":%d,"product":"octo","currency":"EUR","term_years":1,"payment_period":"annual","features":[{"code":"voice","max_simultaneous_users":-5}]}`, w.client.ID),
		`{"organization_id":"1; DROP TABLE licenses","status":"in_use"}`,
		`{"request_id":1}`,
		`[]`, `null`, `{`, ``, `{"features":{}}`,
	} {
		f.Add([]byte(seed))
	}
	fz.report(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		fz.send(t, http.DefaultClient, http.MethodPost, "/api/v1/licenses", "application/json", "Bearer "+w.distToken, string(body))
	})
}

// FuzzOrgForm: the portal's organization forms, a new client (POST /orgs/{id}/clients) or a
// client's details (POST /orgs/{id}).
func FuzzOrgForm(f *testing.F) {
	fz := newFormFuzz(f)
	w := fz.w
	for _, seed := range []string{
		"name=Tailspin+Toys&email=hello%40tailspin.test&phone=%2B49+30+1234&address=Main+St+1&zip=10115&city=Berlin&country=DE&tax_id=DE123&notes=VIP",
		"name=&email=not-an-email",
		"name=" + strings.Repeat("n", 201),
		"name=X&status=suspended",
		"name=X&status=active&kind=distributor&parent_id=1",
		"name=%00%FF&notes=" + strings.Repeat("é", 3000),
		"",
	} {
		f.Add(seed, false)
		f.Add(seed, true)
	}
	fz.report(f)
	f.Fuzz(func(t *testing.T, body string, update bool) {
		path := fmt.Sprintf("/orgs/%d/clients", w.dist.ID)
		if update {
			path = fmt.Sprintf("/orgs/%d", w.client.ID)
		}
		fz.postForm(t, path, body)
	})
}

// FuzzOrgJSON: the management API's organization creation (POST /api/v1/organizations), as a
// distributor or as staff.
func FuzzOrgJSON(f *testing.F) {
	fz := newFormFuzz(f)
	w := fz.w
	for _, seed := range []string{
		fmt.Sprintf(`{"name":"Tailspin Toys","kind":"client","parent_id":%d,"email":"hello@tailspin.test","country":"DE"}`, w.dist.ID),
		`{"name":"Litware","kind":"distributor"}`,
		fmt.Sprintf(`{"name":"Nested","kind":"client","parent_id":%d}`, w.client.ID),
		fmt.Sprintf(`{"name":"Foreign","kind":"client","parent_id":%d}`, w.otherDist.ID),
		`{"name":"X","kind":"client","parent_id":9223372036854775807}`,
		`{"name":"X","kind":"client","parent_id":-1,"status":"suspended"}`,
		`{"name":123}`, `{"kind":"vendor"}`, `[]`, `{`, ``,
	} {
		f.Add([]byte(seed), false)
		f.Add([]byte(seed), true)
	}
	fz.report(f)
	f.Fuzz(func(t *testing.T, body []byte, staff bool) {
		token := w.distToken
		if staff {
			token = w.admin
		}
		fz.send(t, http.DefaultClient, http.MethodPost, "/api/v1/organizations", "application/json", "Bearer "+token, string(body))
	})
}
