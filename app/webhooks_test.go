package app

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"keyward/app/webhook"
	"keyward/store"
)

// receiver is a real HTTP endpoint on 127.0.0.1 that keeps the deliveries it gets and answers
// them with the statuses it is given, in order, then 200.
type receiver struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	got      []received
	statuses []int
}

// received is one delivery as the endpoint saw it.
type received struct {
	Header http.Header
	Body   []byte
	Event  struct {
		ID        string         `json:"id"`
		Event     string         `json:"event"`
		CreatedAt string         `json:"created_at"`
		Data      map[string]any `json:"data"`
	}
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{t: t, statuses: statuses}
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		d := received{Header: req.Header.Clone(), Body: body}
		if err := json.Unmarshal(body, &d.Event); err != nil {
			t.Errorf("a delivery is not JSON: %v: %s", err, body)
		}
		r.mu.Lock()
		r.got = append(r.got, d)
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status, r.statuses = r.statuses[0], r.statuses[1:]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *receiver) url() string { return r.srv.URL + "/keyward" }

func (r *receiver) deliveries() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.got...)
}

// wait waits (up to 15 s) until the endpoint got n deliveries.
func (r *receiver) wait(n int) []received {
	r.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if got := r.deliveries(); len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("the endpoint got %d deliveries, want %d: %+v", len(r.deliveries()), n, r.deliveries())
		}
	}
}

// events are the names of the events the endpoint got, in order.
func (r *receiver) events() []string {
	var names []string
	for _, d := range r.deliveries() {
		names = append(names, d.Event.Event)
	}
	return names
}

func allowPrivate(c *Config) { c.WebhookAllowPrivate = true }

// registered is an endpoint as the API answered its registration.
type registered struct {
	ID     int64    `json:"id"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
}

// register registers an endpoint through the API with token (of the organization orgID, 0: the default).
func (w *licenseWorld) register(token string, orgID int64, url string, events ...string) registered {
	w.a.t.Helper()
	body := map[string]any{"url": url, "events": events}
	if orgID != 0 {
		body["organization_id"] = orgID
	}
	out := w.mustAPI(token, http.MethodPost, "/api/v1/webhooks", http.StatusCreated, body)
	var r registered
	b, _ := json.Marshal(out)
	json.Unmarshal(b, &r)
	if len(r.Secret) < 32 {
		w.a.t.Fatalf("the secret %q is shorter than 32 characters", r.Secret)
	}
	return r
}

// staffLicense creates a license of client through the API as staff and answers its id.
func (w *licenseWorld) staffLicense(client store.Org) int64 {
	w.a.t.Helper()
	body := map[string]any{"organization_id": client.ID, "product": w.product, "features": []string{"core"}, "prepaid_cores": 2,
		"prepaid_core_price": "10.00", "extra_core_price": "15.00", "currency": "EUR", "term_years": 1, "payment_period": "annual"}
	out := w.mustAPI(w.admin, http.MethodPost, "/api/v1/licenses", http.StatusCreated, body)
	return int64(out["id"].(float64))
}

// deliveriesOf lists an endpoint's deliveries through the API.
func (w *licenseWorld) deliveriesOf(token string, id int64) []map[string]any {
	w.a.t.Helper()
	out := w.mustAPI(token, http.MethodGet, fmt.Sprintf("/api/v1/webhooks/%d/deliveries", id), http.StatusOK, nil)
	var ds []map[string]any
	for _, d := range out["deliveries"].([]any) {
		ds = append(ds, d.(map[string]any))
	}
	return ds
}

// waitDelivery polls an endpoint's latest delivery until cond holds.
func (w *licenseWorld) waitDelivery(token string, id int64, what string, cond func(map[string]any) bool) map[string]any {
	w.a.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		ds := w.deliveriesOf(token, id)
		if len(ds) > 0 && cond(ds[0]) {
			return ds[0]
		}
		if time.Now().After(deadline) {
			w.a.t.Fatalf("the delivery of endpoint %d never %s: %v", id, what, ds)
		}
	}
}

// TestWebhookDeliveryIsSignedAndShowsTheLicense: a distributor owner registers an endpoint; a
// license of its client is created; the endpoint gets license.created, signed with the secret it
// was shown once, holding the license as GET /api/v1/licenses/{id} shows it.
func TestWebhookDeliveryIsSignedAndShowsTheLicense(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	hook := w.register(w.distToken, 0, recv.url(), "license.created", "license.key_regenerated")

	id := w.staffLicense(w.client)
	d := recv.wait(1)[0]
	if err := webhook.Verify(hook.Secret, d.Header.Get(webhook.SignatureHeader), d.Body, w.a.clock.Now(), 5*time.Minute); err != nil {
		t.Errorf("signature: %v (header %q)", err, d.Header.Get(webhook.SignatureHeader))
	}
	if err := webhook.Verify("whsec_another", d.Header.Get(webhook.SignatureHeader), d.Body, w.a.clock.Now(), 5*time.Minute); err == nil {
		t.Error("the signature also verifies with another secret")
	}
	if d.Event.Event != "license.created" || !strings.HasPrefix(d.Event.ID, "evt_") || d.Header.Get("Keyward-Webhook-Id") != d.Event.ID {
		t.Errorf("delivery %+v, headers %v: want license.created under an evt_ id", d.Event, d.Header)
	}
	if got, want := d.Event.CreatedAt, w.a.clock.Now().UTC().Format(time.RFC3339); got != want {
		t.Errorf("created_at %s, want %s", got, want)
	}
	shown := w.mustAPI(w.admin, http.MethodGet, fmt.Sprintf("/api/v1/licenses/%d", id), http.StatusOK, nil)
	if !reflect.DeepEqual(d.Event.Data, shown) {
		t.Errorf("data:\n%v\nwant the license as the API shows it:\n%v", d.Event.Data, shown)
	}
	if d.Header.Get("Content-Type") != "application/json" {
		t.Errorf("Content-Type %q", d.Header.Get("Content-Type"))
	}

	// Events the endpoint did not choose never come; the ones it chose do.
	w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK, map[string]any{"action": "start"})
	w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/regenerate-key", id), http.StatusOK, nil)
	recv.wait(2)
	if got := strings.Join(recv.events(), " "); got != "license.created license.key_regenerated" {
		t.Errorf("events %s, want license.created license.key_regenerated (no status_changed: not chosen)", got)
	}
	last := w.waitDelivery(w.distToken, hook.ID, "delivered", func(d map[string]any) bool { return d["status"] == "delivered" })
	if last["http_status"] != float64(200) || last["event"] != "license.key_regenerated" || last["attempts"] != float64(1) {
		t.Errorf("the deliveries list shows %v", last)
	}
	// The list never shows a secret again.
	list := w.mustAPI(w.distToken, http.MethodGet, "/api/v1/webhooks", http.StatusOK, nil)
	if raw, _ := json.Marshal(list); strings.Contains(string(raw), hook.Secret) || !strings.Contains(string(raw), recv.url()) {
		t.Errorf("the list %s shows the secret, or not the endpoint", raw)
	}
}

// TestWebhookStatusChangeEvents: every lifecycle step that changes a license's status is one
// license.status_changed, with the status before it.
func TestWebhookStatusChangeEvents(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	w.register(w.admin, 0, recv.url(), "license.status_changed")
	id := w.staffLicense(w.client)
	for _, action := range []map[string]any{{"action": "start"}, {"action": "deny", "reason": "unpaid"}, {"action": "reinstate"}} {
		w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK, action)
	}
	ds := recv.wait(3)
	var steps []string
	for _, d := range ds {
		steps = append(steps, fmt.Sprint(d.Event.Data["status_before"], "→", d.Event.Data["status"]))
	}
	if got := strings.Join(steps, " "); got != "pending_start→in_use in_use→access_denied access_denied→in_use" {
		t.Errorf("status changes %s", got)
	}
}

// TestWebhookRetriedUntilItIsTaken: the endpoint answers 500, then 200. The first attempt is
// recorded with its 500; the retry comes within a minute (fake clock) under the same event id,
// with the same body, signed again.
func TestWebhookRetriedUntilItIsTaken(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t, http.StatusInternalServerError)
	hook := w.register(w.distToken, 0, recv.url(), "license.created")
	w.staffLicense(w.client)

	first := recv.wait(1)[0]
	failed := w.waitDelivery(w.distToken, hook.ID, "failed once", func(d map[string]any) bool { return d["attempts"] == float64(1) })
	if failed["status"] != "pending" || failed["http_status"] != float64(500) || !strings.Contains(fmt.Sprint(failed["error"]), "500") {
		t.Errorf("after the 500: %v, want pending with http_status 500", failed)
	}
	w.a.advance(time.Minute)
	second := recv.wait(2)[1]
	if second.Event.ID != first.Event.ID || string(second.Body) != string(first.Body) {
		t.Errorf("the retry is event %s, want %s again with the same body", second.Event.ID, first.Event.ID)
	}
	if err := webhook.Verify(hook.Secret, second.Header.Get(webhook.SignatureHeader), second.Body, w.a.clock.Now(), time.Minute); err != nil {
		t.Errorf("the retry's signature: %v", err)
	}
	done := w.waitDelivery(w.distToken, hook.ID, "delivered", func(d map[string]any) bool { return d["status"] == "delivered" })
	if done["attempts"] != float64(2) || done["http_status"] != float64(200) {
		t.Errorf("after the retry: %v", done)
	}
}

// TestWebhookGivenUpAfterADay: an endpoint that never answers 2xx is tried for 24 hours, at
// growing intervals, then given up and shown as failed.
func TestWebhookGivenUpAfterADay(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	var statuses []int
	for range 100 {
		statuses = append(statuses, http.StatusServiceUnavailable)
	}
	recv := newReceiver(t, statuses...)
	hook := w.register(w.distToken, 0, recv.url(), "license.created")
	w.staffLicense(w.client)
	w.waitDelivery(w.distToken, hook.ID, "tried", func(d map[string]any) bool { return d["attempts"] == float64(1) })
	for range 30 { // an hour at a time: the backoff never waits more than an hour
		w.a.advance(time.Hour)
		w.a.webhooksSettled()
	}
	d := w.waitDelivery(w.distToken, hook.ID, "given up", func(d map[string]any) bool { return d["status"] == "failed" })
	tries := len(recv.deliveries())
	if tries < 10 || tries > 40 || !strings.Contains(fmt.Sprint(d["error"]), "given up") {
		t.Errorf("%d attempts, then %v; want a dozen or two over the day, then given up", tries, d)
	}
}

// webhooksSettled waits until no delivery is due: the worker has run the round the clock called for.
func (a *testApp) webhooksSettled() {
	a.t.Helper()
	for deadline := time.Now().Add(15 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		due, err := a.db.DueWebhookDeliveries(a.t.Context(), 1)
		if err != nil {
			a.t.Fatal(err)
		}
		if len(due) == 0 {
			return
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("deliveries still due: %+v", due)
		}
	}
}

// TestWebhookDeliveredAfterARestart: the change commits while the worker is not running (as after
// a crash between the commit and the delivery); the app starts again on the same data folder and
// delivers it, once.
func TestWebhookDeliveredAfterARestart(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	w.register(w.distToken, 0, recv.url(), "license.created")
	w.a.srv.webhooks.stop() // no worker: what the commit queued stays in the database only
	w.staffLicense(w.client)
	if n := len(recv.deliveries()); n != 0 {
		t.Fatalf("delivered %d without a worker", n)
	}
	w.a.restart()
	if got := recv.wait(1); len(got) != 1 || got[0].Event.Event != "license.created" {
		t.Fatalf("after the restart: %+v", got)
	}
	w.a.webhooksSettled()
	if n := len(recv.deliveries()); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
}

// TestWebhookTenantIsolation: distributor A's endpoint never receives the events of distributor
// B's clients, whatever it subscribed to; B's and the vendor's do.
func TestWebhookTenantIsolation(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	ctx := context.Background()
	otherOwner := store.User{Email: "owner@southwind.test", Name: "Southwind owner", PasswordHash: w.a.srv.passwords.hash(adminPassword)}
	if err := w.a.db.CreateUser(ctx, &otherOwner, w.otherDist.ID, store.RoleOwner); err != nil {
		t.Fatal(err)
	}
	otherTok, err := NewAPIToken(ctx, w.a.db, otherOwner.ID, "test")
	if err != nil {
		t.Fatal(err)
	}
	all := webhook.Names()
	a, b, vendor := newReceiver(t), newReceiver(t), newReceiver(t)
	hookA := w.register(w.distToken, 0, a.url(), all...)
	w.register(otherTok, 0, b.url(), all...)
	w.register(w.admin, 0, vendor.url(), all...)

	// Distributor A may not register an endpoint for B, nor for its client, nor the vendor's.
	for _, org := range []store.Org{w.otherDist, w.otherClient} {
		if status, _ := w.api(w.distToken, http.MethodPost, "/api/v1/webhooks", map[string]any{"organization_id": org.ID,
			"url": a.url(), "events": all}); status != http.StatusNotFound {
			t.Errorf("A registers an endpoint for %s: %d, want 404", org.Name, status)
		}
	}
	if status, _ := w.api(w.distToken, http.MethodPost, "/api/v1/webhooks", map[string]any{"organization_id": w.client.ID,
		"url": a.url(), "events": all}); status != http.StatusForbidden {
		t.Errorf("A registers an endpoint for its client: %d, want 403", status)
	}
	if status, _ := w.api(w.distToken, http.MethodGet, fmt.Sprintf("/api/v1/webhooks/%d/deliveries", hookA.ID+1), nil); status != http.StatusNotFound {
		t.Errorf("A reads B's deliveries: %d, want 404", status)
	}

	id := w.staffLicense(w.otherClient)
	w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK, map[string]any{"action": "start"})
	w.mustAPI(w.admin, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/regenerate-key", id), http.StatusOK, nil)
	b.wait(3)
	vendor.wait(3)
	w.a.webhooksSettled()
	if got := a.deliveries(); len(got) != 0 {
		t.Errorf("A's endpoint got B's client's events: %v", a.events())
	}
	if ds := w.deliveriesOf(w.distToken, hookA.ID); len(ds) != 0 {
		t.Errorf("A's deliveries list shows %v", ds)
	}

	// A's own client's license reaches A (and the vendor), never B.
	w.staffLicense(w.client)
	a.wait(1)
	vendor.wait(4)
	w.a.webhooksSettled()
	if n := len(b.deliveries()); n != 3 {
		t.Errorf("B got %d events, want its 3", n)
	}
}

// TestEndpointSeesByThePolicy checks the rule the worker applies before each delivery.
func TestEndpointSeesByThePolicy(t *testing.T) {
	vendor := store.Org{ID: 1, Kind: store.KindVendor}
	dist := store.Org{ID: 2, Kind: store.KindDistributor, ParentID: 1}
	client := store.Org{ID: 3, Kind: store.KindClient, ParentID: 2}
	otherDist := store.Org{ID: 4, Kind: store.KindDistributor, ParentID: 1}
	otherClient := store.Org{ID: 5, Kind: store.KindClient, ParentID: 4}
	direct := store.Org{ID: 6, Kind: store.KindClient, ParentID: 1}
	for _, tc := range []struct {
		endpoint, event store.Org
		sees            bool
	}{
		{vendor, client, true}, {vendor, otherClient, true}, {vendor, dist, true}, {vendor, direct, true},
		{dist, dist, true}, {dist, client, true},
		{dist, otherClient, false}, {dist, otherDist, false}, {dist, vendor, false}, {dist, direct, false},
	} {
		if got := endpointSees(tc.endpoint, tc.event); got != tc.sees {
			t.Errorf("endpoint of org %d sees an event of org %d: %v, want %v", tc.endpoint.ID, tc.event.ID, got, tc.sees)
		}
	}
}

// dns is a DNS server whose answers the test sets, per host and per question about that host.
type dns struct {
	answer func(host string, n int) []netip.Addr
	mu     sync.Mutex
	asked  map[string]int
}

func (d *dns) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	d.mu.Lock()
	if d.asked == nil {
		d.asked = map[string]int{}
	}
	d.asked[host]++
	n := d.asked[host]
	d.mu.Unlock()
	if addrs := d.answer(host, n); addrs != nil {
		return addrs, nil
	}
	return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
}

// TestWebhookRefusesPrivateAddresses: without --webhook-allow-private, endpoints on loopback,
// private, link-local … addresses are refused at registration (400, field url), by IP or by a
// name that resolves there; and a name that resolves elsewhere at registration but to the loopback
// receiver at delivery (DNS rebinding) is not delivered to.
func TestWebhookRefusesPrivateAddresses(t *testing.T) {
	w := newLicenseWorld(t)
	recv := newReceiver(t)
	_, port, _ := net.SplitHostPort(recv.srv.Listener.Addr().String())
	w.a.srv.webhookResolver = &dns{answer: func(host string, n int) []netip.Addr {
		switch host {
		case "internal.example":
			return []netip.Addr{netip.MustParseAddr("10.1.2.3")}
		case "metadata.example":
			return []netip.Addr{netip.MustParseAddr("169.254.169.254")}
		case "localhost":
			return []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}
		case "rebind.example":
			if n == 1 { // the registration's question
				return []netip.Addr{netip.MustParseAddr("93.184.216.34")}
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}
		}
		return nil
	}}
	for _, u := range []string{
		recv.url(), // the receiver itself, on 127.0.0.1
		"http://127.0.0.1/", "http://127.1.2.3:8080/x", "http://[::1]/", "http://localhost:" + port + "/",
		"http://10.0.0.1/", "http://172.16.5.4/", "http://192.168.1.10/", "http://[fd00::1]/",
		"http://169.254.169.254/latest/meta-data/", "http://[fe80::1]/", "http://metadata.example/",
		"http://0.0.0.0/", "http://0.1.2.3/", "http://[::]/", "http://100.64.0.1/", "http://224.0.0.1/", "http://[ff02::1]/",
		"http://[::ffff:127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[::ffff:169.254.169.254]/",
		"http://[64:ff9b::7f00:1]/", "http://[2002:7f00:1::]/", "http://internal.example/",
		"http://does-not-exist.example/", "ftp://crm.example.com/", "file:///etc/passwd", "javascript:alert(1)",
		"https://user:secret@crm.example.com/", "not a url",
	} {
		status, out := w.api(w.distToken, http.MethodPost, "/api/v1/webhooks", map[string]any{"url": u, "events": []string{"license.created"}})
		e, _ := out["error"].(map[string]any)
		if status != http.StatusBadRequest || e["field"] != "url" {
			t.Errorf("%s: %d %v, want 400 with field url", u, status, out)
		}
	}
	if es, _ := w.a.db.WebhookEndpoints(t.Context(), w.dist.ID); len(es) != 0 {
		t.Fatalf("refused endpoints were stored: %+v", es)
	}
	for _, bad := range []map[string]any{
		{"url": "https://crm.example.com/", "events": []string{}},
		{"url": "https://crm.example.com/", "events": []string{"license.deleted"}},
		{"url": "https://crm.example.com/", "events": "license.created"},
	} {
		if status, out := w.api(w.distToken, http.MethodPost, "/api/v1/webhooks", bad); status != http.StatusBadRequest ||
			out["error"].(map[string]any)["field"] == "" {
			t.Errorf("%v: %d %v, want 400 naming the field", bad, status, out)
		}
	}

	// DNS rebinding: public at registration, the loopback receiver at delivery.
	hook := w.register(w.distToken, 0, "http://rebind.example:"+port+"/keyward", "license.created")
	w.staffLicense(w.client)
	d := w.waitDelivery(w.distToken, hook.ID, "tried", func(d map[string]any) bool { return d["attempts"] == float64(1) })
	if d["status"] != "pending" || !strings.Contains(fmt.Sprint(d["error"]), "127.0.0.1") || d["http_status"] != nil {
		t.Errorf("after rebinding: %v, want a refused attempt naming 127.0.0.1", d)
	}
	if n := len(recv.deliveries()); n != 0 {
		t.Errorf("the loopback receiver got %d deliveries", n)
	}
}

// TestWebhookNoRedirectFollowed: a 3xx is a failed attempt, its target never asked.
func TestWebhookNoRedirectFollowed(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	target := newReceiver(t)
	var redirects atomic.Int32
	redirect := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		redirects.Add(1)
		http.Redirect(rw, r, target.url(), http.StatusTemporaryRedirect)
	}))
	defer redirect.Close()
	hook := w.register(w.distToken, 0, redirect.URL+"/hook", "license.created")
	w.staffLicense(w.client)
	d := w.waitDelivery(w.distToken, hook.ID, "tried", func(d map[string]any) bool { return d["attempts"] == float64(1) })
	if d["status"] != "pending" || d["http_status"] != float64(307) || len(target.deliveries()) != 0 {
		t.Errorf("after a 307: %v, target got %d; want a failed attempt and nothing followed", d, len(target.deliveries()))
	}
}

// TestWebhooksPage: a distributor owner registers an endpoint in the portal, choosing events by
// their words, sees the secret once, sends a test event, sees it delivered with its HTTP status,
// and deletes the endpoint. A distributor member may not open the page.
func TestWebhooksPage(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	b := w.a.browser()
	b.signIn(w.distOwner, adminPassword)
	b.status(b.get("/"), http.StatusOK)
	b.assertContains(`href="/webhooks"`)
	b.status(b.get("/webhooks"), http.StatusOK)
	b.assertContains("No endpoint yet", "A license is created", "An invoice becomes overdue", "A device is activated on a license")

	// A URL that cannot be an endpoint is refused beside the field; the form keeps what was typed.
	resp := b.post("/webhooks", url.Values{"url": {"ftp://crm.example.com/in"}, "events": {"license.created", "invoice.paid"}})
	b.status(resp, http.StatusBadRequest)
	b.assertContains(`id="url-error"`, "Only http:// and https:// URLs", "ftp://crm.example.com/in", `value="invoice.paid" checked`)
	b.status(b.post("/webhooks", url.Values{"url": {recv.url()}}), http.StatusBadRequest)
	b.assertContains(`id="events-error"`, "Choose at least one event")

	b.status(b.post("/webhooks", url.Values{"url": {recv.url()}, "events": {"license.created", "invoice.paid"}}), http.StatusOK)
	secret := regexpFind(t, b.body, `id="webhook-secret">(whsec_[A-Z0-9]+)<`)
	b.assertContains(recv.url(), "An invoice is paid in full")
	b.get("/webhooks")
	if strings.Contains(b.body, secret) {
		t.Error("the secret is shown again")
	}
	es, _ := w.a.db.WebhookEndpoints(t.Context(), w.dist.ID)
	if len(es) != 1 {
		t.Fatalf("endpoints %+v", es)
	}
	path := fmt.Sprintf("/webhooks/%d", es[0].ID)
	b.get(path)
	b.assertContains("No delivery yet", "…"+secret[len(secret)-4:])
	b.follow(b.post(path+"/test", url.Values{}))
	b.assertContains("Test event queued")
	d := recv.wait(1)[0]
	if d.Event.Event != "webhook.test" {
		t.Errorf("test event %+v", d.Event)
	}
	if err := webhook.Verify(secret, d.Header.Get(webhook.SignatureHeader), d.Body, w.a.clock.Now(), time.Minute); err != nil {
		t.Errorf("test event signature: %v", err)
	}
	w.waitDelivery(w.distToken, es[0].ID, "delivered", func(d map[string]any) bool { return d["status"] == "delivered" })
	b.get(path)
	b.assertContains("Test event", d.Event.ID, `badge-delivery-delivered">Delivered`, `<td class="num">200</td>`)

	b.follow(b.post(path+"/delete", url.Values{}))
	b.assertContains("Webhook endpoint deleted", "No endpoint yet")
	b.status(b.get(path), http.StatusNotFound)
	if e := w.a.lastAudit("webhook.deleted"); e.ActorEmail != w.distOwner {
		t.Errorf("audit %+v", e)
	}

	member := store.User{Email: "dan@dist.test", Name: "Dan", PasswordHash: w.a.srv.passwords.hash(adminPassword)}
	if err := w.a.db.CreateUser(t.Context(), &member, w.dist.ID, store.RoleMember); err != nil {
		t.Fatal(err)
	}
	m := w.a.browser()
	m.signIn(member.Email, adminPassword)
	m.status(m.get("/webhooks"), http.StatusForbidden)
	m.get("/")
	if strings.Contains(m.body, `href="/webhooks"`) {
		t.Error("the menu offers Webhooks to a distributor member")
	}
}

// TestWebhookDeviceEvents: activating a device sends device.activated (once: a device that
// activates again while active is no news), deactivating it device.deactivated, each with the
// device as the device API shows it and its license_id.
func TestWebhookDeviceEvents(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	w.register(w.distToken, 0, recv.url(), "device.activated", "device.deactivated")
	id, key := w.newLicense(map[string]any{"start_date": "2026-10-01"})
	for range 2 {
		if status, out := w.device(key, "/api/v1/activate", map[string]any{"fingerprint": "fp-1", "setup": "prod", "name": "Gateway"}); status != http.StatusOK {
			t.Fatalf("activate: %d %v", status, out)
		}
	}
	if status, out := w.device(key, "/api/v1/deactivate", map[string]any{"fingerprint": "fp-1"}); status != http.StatusNoContent {
		t.Fatalf("deactivate: %d %v", status, out)
	}
	ds := recv.wait(2)
	w.a.webhooksSettled()
	if got := strings.Join(recv.events(), " "); got != "device.activated device.deactivated" {
		t.Fatalf("events %s", got)
	}
	for i, active := range []bool{true, false} {
		d := ds[i].Event.Data
		if d["license_id"] != float64(id) || d["fingerprint"] != "fp-1" || d["name"] != "Gateway" || d["setup"] != "prod" || d["active"] != active {
			t.Errorf("%s: %v", ds[i].Event.Event, d)
		}
	}
}

// TestWebhookInvoiceEvents: issuing an invoice sends invoice.issued, paying it in full
// invoice.paid (a part payment nothing), and an issued invoice past its due date invoice.overdue,
// once; each with the invoice as the API shows it.
func TestWebhookInvoiceEvents(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	w.register(w.distToken, 0, recv.url(), "invoice.issued", "invoice.paid", "invoice.overdue")
	paid := idOf(w.newDraft(nil))
	late := idOf(w.newDraft(map[string]any{"due_date": "2026-11-05"}))
	for _, id := range []int64{paid, late} {
		w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/issue", id), http.StatusOK, nil)
	}
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/payments", paid), http.StatusCreated, map[string]any{"amount": "100.00"})
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/invoices/%d/payments", paid), http.StatusCreated, map[string]any{"amount": "200.00"})
	recv.wait(3)
	w.a.clock.Advance(4 * 24 * time.Hour) // 6 November: the second invoice is overdue
	for range 2 {
		if err := w.a.srv.markOverdueInvoices(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	ds := recv.wait(4)
	w.a.webhooksSettled()
	if got := strings.Join(recv.events(), " "); got != "invoice.issued invoice.issued invoice.paid invoice.overdue" {
		t.Fatalf("events %s", got)
	}
	shown := w.mustAPI(w.distToken, http.MethodGet, fmt.Sprintf("/api/v1/invoices/%d", paid), http.StatusOK, nil)
	if !reflect.DeepEqual(ds[2].Event.Data, shown) {
		t.Errorf("invoice.paid data:\n%v\nwant the invoice as the API shows it:\n%v", ds[2].Event.Data, shown)
	}
	if d := ds[3].Event.Data; d["id"] != float64(late) || d["overdue"] != true {
		t.Errorf("invoice.overdue data: %v", d)
	}
}

// TestWebhookLicenseExpiring: each step of the expiry ladder sends license.expiring once, naming
// the step.
func TestWebhookLicenseExpiring(t *testing.T) {
	w := newLicenseWorld(t, allowPrivate)
	recv := newReceiver(t)
	w.register(w.distToken, 0, recv.url(), "license.expiring")
	id, _ := w.newLicense(map[string]any{"start_date": "2025-12-01"}) // ends 2026-12-01: 29 days to go
	for range 2 {
		if err := w.a.srv.licenseLifecycle(t.Context()); err != nil {
			t.Fatal(err)
		}
	}
	w.a.clock.Advance(17 * 24 * time.Hour) // 2026-11-19: 12 days to go
	if err := w.a.srv.licenseLifecycle(t.Context()); err != nil {
		t.Fatal(err)
	}
	ds := recv.wait(2)
	w.a.webhooksSettled()
	var steps []string
	for _, d := range recv.deliveries() {
		if d.Event.Data["id"] != float64(id) || d.Event.Data["end_date"] != "2026-12-01" {
			t.Errorf("license.expiring data %v", d.Event.Data)
		}
		steps = append(steps, fmt.Sprint(d.Event.Data["expiry_step"]))
	}
	if got := strings.Join(steps, " "); got != "30d 15d" || len(ds) != 2 {
		t.Errorf("steps %s, want 30d 15d once each", got)
	}
}
