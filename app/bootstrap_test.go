package app

import (
	"bytes"
	"io"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func regexpFind(t *testing.T, s, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(s)
	if m == nil {
		t.Fatalf("nothing matches %s in:\n%s", pattern, s)
	}
	return m[1]
}

func TestBootstrapCreatesOneStaffOwner(t *testing.T) {
	a := newTestApp(t)
	a.restart()
	var out bytes.Buffer
	created, err := a.srv.Bootstrap(t.Context(), "second@keyward.test", "another-password", &out)
	if err != nil {
		t.Fatal(err)
	}
	if created || out.Len() > 0 {
		t.Errorf("bootstrap on a bootstrapped database: created=%v, printed %q; want nothing", created, out.String())
	}
	raw := a.sqlDB()
	defer raw.Close()
	var vendors, staff int
	var role string
	raw.QueryRow(`SELECT count(*) FROM organizations WHERE kind = 'vendor'`).Scan(&vendors)
	raw.QueryRow(`SELECT count(*), max(m.role) FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE o.kind = 'vendor'`).Scan(&staff, &role)
	if vendors != 1 || staff != 1 || role != "owner" {
		t.Errorf("%d vendor orgs and %d staff (role %q); want exactly 1 and 1 owner", vendors, staff, role)
	}
}

func TestBootstrapGeneratesAndPrintsAPassword(t *testing.T) {
	a := &testApp{t: t, dir: t.TempDir(), clock: newTestApp(t).clock}
	a.cfg = Config{Addr: "127.0.0.1:0", DataDir: a.dir, BaseURL: "http://localhost:8080", MailFrom: "k <k@keyward.test>"}
	a.start()
	t.Cleanup(a.stop)
	var out bytes.Buffer
	created, err := a.srv.Bootstrap(t.Context(), "", "", &out)
	if err != nil || !created {
		t.Fatalf("created=%v err=%v; want a new staff owner", created, err)
	}
	password := regexpFind(t, out.String(), `admin@localhost with the password (\S+)`)
	if !strings.Contains(out.String(), "only this once") {
		t.Errorf("output %q does not say the password is shown once", out.String())
	}
	b := a.browser()
	b.signIn("admin@localhost", password)
	if created, _ := a.srv.Bootstrap(t.Context(), "", "", io.Discard); created {
		t.Error("a second bootstrap created another owner")
	}
}

func TestBootstrapRefusesAWeakPassword(t *testing.T) {
	a := &testApp{t: t, dir: t.TempDir(), clock: newTestApp(t).clock}
	a.cfg = Config{Addr: "127.0.0.1:0", DataDir: a.dir, BaseURL: "http://localhost:8080", MailFrom: "k <k@keyward.test>"}
	a.start()
	t.Cleanup(a.stop)
	for _, pw := range []string{"short", "password123"} {
		if _, err := a.srv.Bootstrap(t.Context(), "ops@keyward.test", pw, io.Discard); err == nil || !strings.Contains(err.Error(), "KEYWARD_ADMIN_PASSWORD") {
			t.Errorf("password %q: error %v, want one naming KEYWARD_ADMIN_PASSWORD", pw, err)
		}
	}
	b := a.browser()
	b.get("/login")
	if resp := b.post("/login", url.Values{"email": {"ops@keyward.test"}, "password": {"short"}}); resp.StatusCode != 401 {
		t.Errorf("a refused bootstrap still created an account (status %d)", resp.StatusCode)
	}
}
