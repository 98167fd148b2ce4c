package app

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// overageWorld is a licenseWorld whose emails go to an in-process SMTP server, with a license of
// the client (5 prepaid cores at 100.00, extra at 150.00, f = 0.33, EUR) in use since 2026-10-01.
// The fake clock stands at 2026-11-02 09:00 UTC.
type overageWorld struct {
	*licenseWorld
	mail      *mailServer
	licenseID int64
	key       string
}

func newOverageWorld(t *testing.T) *overageWorld {
	t.Helper()
	mail := newMailServer(t)
	w := &overageWorld{licenseWorld: newLicenseWorld(t, withSMTP(mail), allowPrivate), mail: mail}
	w.licenseID, w.key = w.newLicense(map[string]any{"start_date": "2026-10-01"})
	return w
}

// report sends the license's setup a sample every 20 s of [from, to) at the given cores.
func (w *overageWorld) report(key, setup string, from, to time.Time, cores float64) {
	w.a.t.Helper()
	var samples []testSample
	for t := from; t.Before(to); t = t.Add(20 * time.Second) {
		samples = append(samples, testSample{t.Format(time.RFC3339), "api", map[string]float64{"cores": cores}})
	}
	var body map[string]any
	json.Unmarshal(reportBody(setup, samples), &body)
	if status, out := w.device(key, "/api/v1/usage", body); status != http.StatusOK {
		w.a.t.Fatalf("usage report: %d %v", status, out)
	}
}

// alertEmails are the overage alerts in the outbox, by recipient.
func (w *overageWorld) alertEmails() map[string][]store.Email {
	w.a.t.Helper()
	es, _, err := w.a.db.ListEmails(w.a.t.Context(), "", 500, 0)
	if err != nil {
		w.a.t.Fatal(err)
	}
	out := map[string][]store.Email{}
	for _, e := range es {
		if e.Template == "overage-alert" {
			out[e.To] = append(out[e.To], e)
		}
	}
	return out
}

func day(d, h int) time.Time { return time.Date(2026, 11, d, h, 0, 0, 0, time.UTC) }

// TestOverageAlertOncePerMonth follows DESIGN §11: the report that makes a day of the month go over
// the prepaid cores emails the client's and the distributor's owners once (not members, not those
// who opted out), naming the day, the extra cores and the month's extra cost so far, with a link
// to the cost page; later days over the prepaid cores that month send nothing; the next month
// alerts again.
func TestOverageAlertOncePerMonth(t *testing.T) {
	w := newOverageWorld(t)
	quiet := w.a.createUser("quiet@client.test", "Quiet owner", w.client, store.RoleOwner)
	b := w.a.browser()
	b.signIn(quiet.Email, testPassword)
	b.get("/profile")
	b.assertContains("You receive overage alerts.")
	b.follow(b.post("/profile/overage-alerts", url.Values{"overage_alerts": {"off"}}))
	b.assertContains("You receive no overage alerts.", "Overage alert setting saved.")

	// Within the prepaid cores: nothing.
	w.report(w.key, "prod", day(2, 0), day(2, 1), 4)
	if got := w.alertEmails(); len(got) != 0 {
		t.Fatalf("alerts within the prepaid cores: %v", got)
	}
	// An hour at 7 cores on 2026-11-02: 2 extra cores that day.
	w.report(w.key, "prod", day(2, 2), day(2, 3), 7)
	got := w.alertEmails()
	if len(got) != 2 || len(got[w.clientOwner]) != 1 || len(got[w.distOwner]) != 1 {
		t.Fatalf("alerts to %v, want one to the client owner and one to the distributor owner", keys(got))
	}
	m := w.mail.waitFor(w.clientOwner, "Extra cores on 2026-11-02")
	w.mail.waitFor(w.distOwner, "Extra cores on 2026-11-02")
	// 150.00 × (2 + 0.33) / 30 = 11.65 so far in November.
	for _, want := range []string{"LOC-1", "Contoso Hotels", "used 2 extra cores", "prod: 7 billed cores, 5 of them prepaid, 2 extra",
		"The extra cost of 2026-11 so far is 11.65 EUR", fmt.Sprintf("http://localhost:8080/licenses/%d/cost?month=2026-11", w.licenseID)} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("the alert lacks %q:\n%s", want, m.Text)
		}
	}
	owner := w.a.browser()
	owner.signIn(w.clientOwner, adminPassword)
	owner.status(owner.get(m.link(t)), http.StatusOK)
	owner.assertContains("11.65")

	// More extra cores on other days of November, another setup: no other email.
	w.report(w.key, "prod", day(1, 5), day(1, 6), 9)
	w.report(w.key, "staging", day(2, 4), day(2, 5), 3)
	if got := w.alertEmails(); len(got[w.clientOwner]) != 1 || len(got[w.distOwner]) != 1 || len(got) != 2 {
		t.Errorf("after more extra days: %v, want still one each", keys(got))
	}

	// December: a new month, a new alert.
	w.a.advance(29*24*time.Hour + time.Hour) // 2026-12-01 10:00
	w.report(w.key, "prod", time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC), time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC), 6)
	if got := w.alertEmails(); len(got[w.clientOwner]) != 2 {
		t.Errorf("December: %d alerts to the client owner, want a second one", len(got[w.clientOwner]))
	}
	w.mail.waitFor(w.clientOwner, "Extra cores on 2026-12-01")
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestOverageHistoryImportSendsNothing: a report of last month's days over the prepaid cores (a
// history import) alerts nobody, and neither does the hourly sweep.
func TestOverageHistoryImportSendsNothing(t *testing.T) {
	w := newOverageWorld(t)
	w.report(w.key, "prod", time.Date(2026, 10, 15, 0, 0, 0, 0, time.UTC), time.Date(2026, 10, 15, 2, 0, 0, 0, time.UTC), 12)
	w.a.advance(time.Hour)
	if err := w.a.srv.overageSweep(t.Context()); err != nil {
		t.Fatal(err)
	}
	if got := w.alertEmails(); len(got) != 0 {
		t.Errorf("a history import alerted %v", keys(got))
	}
	if as, _ := w.a.db.OverageAlerts(t.Context(), w.licenseID); len(as) != 0 {
		t.Errorf("alerts recorded: %+v", as)
	}
}

// TestOverageAlertsOffStillSendsTheWebhook: a license whose overage_alerts is off (PATCH) emails
// nobody; the distributor's usage.overage webhook still comes, with the day and the cost.
func TestOverageAlertsOffStillSendsTheWebhook(t *testing.T) {
	w := newOverageWorld(t)
	recv := newReceiver(t)
	w.register(w.distToken, 0, recv.url(), "usage.overage")
	lic := w.mustAPI(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", w.licenseID), http.StatusOK,
		map[string]any{"overage_alerts": false})
	if lic["overage_alerts"] != false {
		t.Fatalf("after PATCH: overage_alerts %v", lic["overage_alerts"])
	}
	if status, out := w.api(w.distToken, http.MethodPatch, fmt.Sprintf("/api/v1/licenses/%d", w.licenseID),
		map[string]any{"overage_alerts": "nope"}); status != http.StatusBadRequest || out["error"].(map[string]any)["field"] != "overage_alerts" {
		t.Errorf("overage_alerts \"nope\": %d %v", status, out)
	}
	w.report(w.key, "prod", day(2, 2), day(2, 3), 8)
	if got := w.alertEmails(); len(got) != 0 {
		t.Errorf("alerts off, yet emails to %v", keys(got))
	}
	d := recv.wait(1)[0]
	o, _ := d.Event.Data["overage"].(map[string]any)
	if d.Event.Event != "usage.overage" || d.Event.Data["id"] != float64(w.licenseID) || o["date"] != "2026-11-02" ||
		o["extra_cores"] != float64(3) || o["extra_cost"] != "19.95" || o["currency"] != "EUR" {
		// 3 extra cores: 150.00 × (3 + 0.33 × 3 × 2 / 2) / 30 = 19.95.
		t.Errorf("usage.overage %s: %v", d.Event.Event, d.Event.Data)
	}
}

// TestOverageAlertSwitchOnTheLicensePage: a client owner turns the license's alerts off and on
// from its page; the history says so; a client member sees the setting but no button.
func TestOverageAlertSwitchOnTheLicensePage(t *testing.T) {
	w := newOverageWorld(t)
	path := fmt.Sprintf("/licenses/%d", w.licenseID)
	b := w.a.browser()
	b.signIn(w.clientOwner, adminPassword)
	b.get(path)
	b.assertContains(`action="/licenses/`+fmt.Sprint(w.licenseID)+`/overage-alerts"`, "Turn off")
	b.follow(b.post(path+"/overage-alerts", url.Values{"overage_alerts": {"off"}}))
	b.assertContains("Overage alert setting saved.", `badge-suspended">Off</span> no email`, "Turn on")
	if l := w.license(w.licenseID); l["overage_alerts"] != false {
		t.Errorf("license JSON after turning off: %v", l["overage_alerts"])
	}
	b.get(path + "?tab=history")
	b.assertContains("overage alerts on → off")
	b.status(b.post(path+"/overage-alerts", url.Values{"overage_alerts": {"maybe"}}), http.StatusBadRequest)

	m := w.a.browser()
	m.signIn(w.clientMember, adminPassword)
	m.get(path)
	m.assertContains("Overage alerts")
	if strings.Contains(m.body, "/overage-alerts") {
		t.Error("a client member is offered the switch")
	}
	m.status(m.post(path+"/overage-alerts", url.Values{"overage_alerts": {"on"}}), http.StatusForbidden)
}

// TestOverageSweepAfterAStop: usage stored while nothing checked it (as when the process stopped
// between the report and its alert) is alerted when the app starts again.
func TestOverageSweepAfterAStop(t *testing.T) {
	w := newOverageWorld(t)
	var hours []store.HourlyUsage
	for h := 0; h < 3; h++ {
		micro := int64(6_500_000)
		hours = append(hours, store.HourlyUsage{Hour: day(2, h), Service: "api", Metric: store.CoresMetric, Count: 180,
			Sum: store.SumOf(micro * 180), Min: micro, Max: micro})
	}
	if err := w.a.db.ImportHourlyUsage(context.Background(), w.licenseID, "prod", hours, dailyCores(nil)); err != nil {
		t.Fatal(err)
	}
	if got := w.alertEmails(); len(got) != 0 {
		t.Fatalf("alerted before the restart: %v", keys(got))
	}
	w.a.restart()
	w.mail.waitFor(w.distOwner, "Extra cores on 2026-11-02")
	if got := w.alertEmails(); len(got) != 2 {
		t.Errorf("after the restart: alerts to %v, want the two owners", keys(got))
	}
}
