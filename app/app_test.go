package app

import (
	"context"
	"database/sql"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jonboulle/clockwork"

	"keyward/store"
	"keyward/store/storetest"
)

// The bootstrap staff owner of every test app.
const (
	adminEmail    = "admin@keyward.test"
	adminPassword = "correct-horse-battery"
)

// testApp is the real server on 127.0.0.1:0 over a real SQLite file, with a fake clock.
type testApp struct {
	t      testing.TB
	dir    string
	clock  *clockwork.FakeClock
	db     *store.DB
	srv    *Server
	url    string
	secret []byte
	cfg    Config
	target string // the database: a SQLite file in dir, or a PostgreSQL URL
}

// newTestApp starts a bootstrapped app; options may change its configuration first.
func newTestApp(t testing.TB, options ...func(*Config)) *testApp {
	t.Helper()
	a := &testApp{t: t, dir: t.TempDir(), clock: clockwork.NewFakeClockAt(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)),
		cfg: Config{Addr: "127.0.0.1:0", BaseURL: "http://localhost:8080", MailFrom: "Keyward <noreply@keyward.test>",
			DeviceRate: 1200, RawRetention: 45 * 24 * time.Hour}}
	a.cfg.DataDir = a.dir
	for _, o := range options {
		o(&a.cfg)
	}
	a.start()
	if _, err := a.srv.Bootstrap(context.Background(), adminEmail, adminPassword, io.Discard); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.stop)
	return a
}

func (a *testApp) start() {
	a.t.Helper()
	ctx := context.Background()
	var err error
	if a.secret, err = LoadSecret(a.dir, ""); err != nil {
		a.t.Fatal(err)
	}
	if a.target == "" { // a restart opens the same database
		a.target = storetest.Target(a.t, a.dir)
	}
	if storetest.Postgres() {
		a.cfg.Database = a.target
	}
	if a.db, err = store.Open(ctx, a.target); err != nil {
		a.t.Fatal(err)
	}
	a.db.Now = a.clock.Now
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	if _, fuzz := a.t.(*testing.F); testing.Verbose() && !fuzz { // a fuzz target may not log through F
		log = slog.New(slog.NewTextHandler(testWriter{a.t}, nil))
	}
	if a.srv, err = New(a.cfg, a.db, a.secret, log, a.clock); err != nil {
		a.t.Fatal(err)
	}
	if err := a.srv.Listen(a.cfg.Addr); err != nil {
		a.t.Fatal(err)
	}
	a.url = a.srv.URL()
}

// sqlDB opens the app's database directly, for tests that look at its rows.
func (a *testApp) sqlDB() *sql.DB {
	a.t.Helper()
	driver := "sqlite"
	if storetest.Postgres() {
		driver = "pgx"
	}
	db, err := sql.Open(driver, a.target)
	if err != nil {
		a.t.Fatal(err)
	}
	return db
}

func (a *testApp) stop() {
	if a.srv == nil {
		return
	}
	if err := a.srv.Close(context.Background()); err != nil {
		a.t.Error(err)
	}
	if err := a.db.Close(); err != nil {
		a.t.Error(err)
	}
	a.srv = nil
}

// restart stops the server and opens everything again on the same data folder.
func (a *testApp) restart() {
	a.stop()
	a.start()
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// browser is a person's browser: cookies kept, redirects not followed so tests can see them.
type browser struct {
	t      testing.TB
	app    *testApp
	client *http.Client
	body   string // the last page
}

func (a *testApp) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: a.t, app: a, client: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

func (b *browser) do(req *http.Request) *http.Response {
	b.t.Helper()
	resp, err := b.client.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		b.t.Fatal(err)
	}
	b.body = string(body)
	return resp
}

func (b *browser) get(path string) *http.Response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, b.app.url+path, nil)
	return b.do(req)
}

// post submits a form with the CSRF token of the last page, unless form sets _csrf itself.
func (b *browser) post(path string, form url.Values) *http.Response {
	b.t.Helper()
	if _, ok := form["_csrf"]; !ok {
		form.Set("_csrf", b.csrf())
	}
	req, _ := http.NewRequest(http.MethodPost, b.app.url+path, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return b.do(req)
}

var csrfField = regexp.MustCompile(`name="_csrf" value="([^"]+)"`)

func (b *browser) csrf() string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(b.body)
	if m == nil {
		b.t.Fatalf("no _csrf field on the last page:\n%s", b.body)
	}
	return m[1]
}

// signIn signs in through the form and fails the test unless it lands on the home page.
func (b *browser) signIn(email, password string) {
	b.t.Helper()
	b.get("/login")
	resp := b.post("/login", url.Values{"email": {email}, "password": {password}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("sign-in as %s: status %d, want 303\n%s", email, resp.StatusCode, b.body)
	}
}

// cookie returns the named cookie the browser holds for the app.
func (b *browser) cookie(name string) *http.Cookie {
	u, _ := url.Parse(b.app.url)
	for _, c := range b.client.Jar.Cookies(u) {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// setCookie is the Set-Cookie header of resp for the named cookie, in lower case, or "".
func setCookie(resp *http.Response, name string) string {
	for _, c := range resp.Header.Values("Set-Cookie") {
		if strings.HasPrefix(c, name+"=") {
			return strings.ToLower(c)
		}
	}
	return ""
}

// assertContains fails unless the last page shows each text.
func (b *browser) assertContains(texts ...string) {
	b.t.Helper()
	for _, s := range texts {
		if !strings.Contains(b.body, s) {
			b.t.Errorf("page does not show %q:\n%s", s, b.body)
		}
	}
}
