package app

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"keyward/app/floating"
	"keyward/store"
	"keyward/store/storetest"
)

// secondInstance starts another instance of the app on the same database and instance secret,
// as a second VM behind a load balancer would be (DESIGN §10).
func (a *testApp) secondInstance() *testApp {
	a.t.Helper()
	b := &testApp{t: a.t, dir: a.dir, clock: a.clock, cfg: a.cfg, target: a.target}
	b.start()
	a.t.Cleanup(b.stop)
	return b
}

func needPostgres(t *testing.T) {
	t.Helper()
	if !storetest.Postgres() {
		t.Skip("several instances share a PostgreSQL database: set " + storetest.EnvVar + " (make test and CI do)")
	}
}

// within polls check until it holds or the time is up, and tells whether it held.
func within(d time.Duration, check func() bool) bool {
	deadline := time.Now().Add(d)
	for {
		if check() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestTwoInstancesShareLicenseChanges: a key regenerated or a license denied through one instance
// fails on the device API of the other within a second, although the other had it in its cache.
func TestTwoInstancesShareLicenseChanges(t *testing.T) {
	needPostgres(t)
	w := newLicenseWorld(t)
	b := w.a.secondInstance()
	onB := func(key, path string, body any) (int, map[string]any) {
		return b.call("License "+key, http.MethodPost, path, body)
	}

	id, old := w.newLicense(nil)
	if status, _ := w.device(old, "/api/v1/activate", map[string]any{"fingerprint": "a"}); status != http.StatusOK {
		t.Fatal("activation on the first instance failed")
	}
	// The second instance learns of the activation (a device its cache did not hold) at once.
	if !within(time.Second, func() bool {
		_, out := onB(old, "/api/v1/validate", map[string]any{"fingerprint": "a"})
		return out["code"] == "VALID"
	}) {
		t.Fatal("the second instance does not see the device activated on the first")
	}
	start := time.Now()
	key := w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/regenerate-key", id), http.StatusOK, nil)["key"].(string)
	if !within(time.Second, func() bool {
		status, _ := onB(old, "/api/v1/validate", map[string]any{"fingerprint": "a"})
		return status == http.StatusUnauthorized
	}) {
		t.Fatal("the old key still works on the second instance a second after it was regenerated on the first")
	}
	t.Logf("the regenerated key failed on the second instance after %s", time.Since(start).Round(time.Millisecond))
	if _, out := onB(key, "/api/v1/validate", map[string]any{"fingerprint": "a"}); out["code"] != "VALID" {
		t.Errorf("the new key on the second instance: %v", out)
	}

	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK,
		map[string]any{"action": "deny", "reason": "unpaid"})
	if !within(time.Second, func() bool {
		_, out := onB(key, "/api/v1/validate", map[string]any{"fingerprint": "a"})
		return out["code"] == "ACCESS_DENIED"
	}) {
		t.Error("a license denied on the first instance is still valid on the second after a second")
	}
}

// TestTwoInstancesShareSessions: a person signed in through one instance is signed in on the other.
func TestTwoInstancesShareSessions(t *testing.T) {
	needPostgres(t)
	a := newTestApp(t)
	b := a.secondInstance()
	person := a.browser()
	person.signIn(adminEmail, adminPassword)
	onB := *person
	onB.app = b
	if resp := onB.get("/profile"); resp.StatusCode != http.StatusOK {
		t.Errorf("the profile page on the second instance: %d, want 200 with the first's session", resp.StatusCode)
	}
}

// TestTwoInstancesSendEachEmailOnce: both instances deliver the one outbox, and every email
// reaches the mail server once.
func TestTwoInstancesSendEachEmailOnce(t *testing.T) {
	needPostgres(t)
	mail := newMailServer(t)
	a := newTestApp(t, func(c *Config) { c.SMTPURL = mail.url() })
	b := a.secondInstance()
	var emails []store.Email
	for i := range 40 {
		emails = append(emails, store.Email{MessageID: fmt.Sprintf("<once-%d@keyward.test>", i), To: fmt.Sprintf("p%d@keyward.test", i),
			Subject: fmt.Sprintf("Once %d", i), Text: "once", HTML: "<p>once</p>", Template: "test"})
	}
	if err := a.db.EnqueueEmails(context.Background(), emails...); err != nil {
		t.Fatal(err)
	}
	a.srv.wakeOutbox()
	b.srv.wakeOutbox()
	if !within(15*time.Second, func() bool { return len(mail.received()) >= len(emails) }) {
		t.Fatalf("%d of %d emails arrived", len(mail.received()), len(emails))
	}
	seen := map[string]int{}
	for _, m := range mail.received() {
		seen[m.MessageID]++
	}
	for _, e := range emails {
		if seen[e.MessageID] != 1 {
			t.Errorf("%s arrived %d times, want once", e.MessageID, seen[e.MessageID])
		}
	}
}

// TestTwoInstancesDeliverEachEventOnceInOrder: both instances deliver the one webhook queue; the
// endpoint gets every event once, in the order the changes were made.
func TestTwoInstancesDeliverEachEventOnceInOrder(t *testing.T) {
	needPostgres(t)
	w := newLicenseWorld(t, allowPrivate)
	b := w.a.secondInstance()
	recv := newReceiver(t)
	w.register(w.admin, 0, recv.url(), "license.created")
	var want []float64
	for range 12 {
		want = append(want, float64(w.staffLicense(w.client)))
		b.srv.wakeWebhooks() // the other instance's worker competes for every delivery
	}
	got := recv.wait(len(want))
	if !within(time.Second, func() bool { return len(recv.deliveries()) > len(want) }) {
		got = recv.deliveries()
	} else {
		t.Errorf("%d deliveries of %d events: some went out twice", len(recv.deliveries()), len(want))
	}
	for i, d := range got {
		if id, _ := d.Event.Data["id"].(float64); i < len(want) && id != want[i] {
			t.Errorf("delivery %d is of license %v, want %v: the events came out of order", i, id, want[i])
		}
	}
}

// TestTwoInstancesShareFloatingSeats: seats taken through one instance count on the other, which
// drops the seats it had in memory when told; a seat released on one is free on the other.
func TestTwoInstancesShareFloatingSeats(t *testing.T) {
	needPostgres(t)
	w := newLicenseWorld(t)
	b := w.a.secondInstance()
	id, key := w.newLicense(map[string]any{"features": []any{"core", map[string]any{"code": "voice", "max_simultaneous_users": 1}}})
	for _, fp := range []string{"a", "b"} {
		w.device(key, "/api/v1/activate", map[string]any{"fingerprint": fp})
	}
	check := func(on *testApp, fp string) (int, map[string]any) {
		return on.call("License "+key, http.MethodPost, "/api/v1/features/check", map[string]any{"fingerprint": fp, "feature": "voice"})
	}
	if !within(time.Second, func() bool { status, _ := check(b, "b"); return status == http.StatusOK }) {
		t.Fatal("the second instance does not grant the free seat")
	}
	b.call("License "+key, http.MethodPost, "/api/v1/features/release", map[string]any{"fingerprint": "b", "feature": "voice"})
	// The second instance keeps the feature's seats in memory; the first takes the seat.
	l, err := b.db.FindLicense(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	k := floating.Key{License: id}
	for _, f := range l.Features {
		if f.Code == "voice" {
			k.Feature = f.ID
		}
	}
	if p, _ := b.srv.devices.seats.Pool(k); p == nil {
		t.Fatal("the second instance keeps no seats of the feature in memory")
	}
	if status, out := check(w.a, "a"); status != http.StatusOK {
		t.Fatalf("the seat released on the second instance, taken on the first: %d %v", status, out)
	}
	if !within(time.Second, func() bool { p, _ := b.srv.devices.seats.Pool(k); return p == nil }) {
		t.Fatal("the second instance still holds the seats it had in memory a second after the first took one")
	}
	if status, out := check(b, "b"); status != http.StatusForbidden {
		t.Errorf("the second instance, once told, on the seat the first gave away: %d %v; want NO_FLOATING_SLOT", status, out)
	}
}
