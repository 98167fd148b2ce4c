package app

import (
	"context"
	"fmt"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// TestExpiryLadder walks a license through its last 31 days and the day after, one day at a time:
// each step is emailed once to the client's owners and the distributor's members, and the
// contract is cut off on its end date.
func TestExpiryLadder(t *testing.T) {
	catcher, withSMTP := newLicenseMailCatcher(t)
	w := newLicenseWorld(t, withSMTP)
	ctx := context.Background()
	// Today is 2026-11-02; the license ends on 2026-12-03, 31 days from now.
	id, key := w.newLicense(map[string]any{"start_date": "2025-12-03"})
	if got := w.license(id)["end_date"]; got != "2026-12-03" {
		t.Fatalf("end date %v", got)
	}
	sentOn := map[string]string{} // step → day
	for day := 0; day <= 32; day++ {
		today := civilDay(w.a.clock.Now())
		for range 2 { // twice a day: the job is idempotent
			if err := w.a.srv.licenseLifecycle(ctx); err != nil {
				t.Fatal(err)
			}
		}
		ns, err := w.a.db.LicenseNotifications(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			if _, ok := sentOn[n.Step]; !ok {
				sentOn[n.Step] = today
			}
		}
		_, out := w.device(key, "/api/v1/validate", nil)
		wantCode := "VALID"
		if today >= "2026-12-03" {
			wantCode = "CONTRACT_FINALIZED"
		}
		if out["code"] != wantCode {
			t.Errorf("%s: validate %v, want %s", today, out["code"], wantCode)
		}
		w.a.clock.Advance(24 * time.Hour)
	}
	want := map[string]string{"30d": "2026-11-03", "15d": "2026-11-18", "7d": "2026-11-26", "1d": "2026-12-02",
		"cutoff": "2026-12-03", "after1d": "2026-12-04"}
	for step, day := range want {
		if sentOn[step] != day {
			t.Errorf("step %s sent on %q, want %s", step, sentOn[step], day)
		}
	}
	if got := w.license(id)["status"]; got != "contract_finalized" {
		t.Errorf("status after the end date: %v", got)
	}
	mails := catcher.delivered(t, w.a)
	count := map[string]int{}
	for _, m := range mails {
		count[m.To+" "+m.Subject]++
	}
	var subjects []string
	for k, n := range count {
		if n != 1 {
			t.Errorf("%q received %d times", k, n)
		}
		subjects = append(subjects, k)
	}
	sort.Strings(subjects)
	if got, want := len(mails), 6*2; got != want {
		t.Errorf("%d emails, want %d (6 steps × client owner and distributor member):\n%s", got, want, strings.Join(subjects, "\n"))
	}
	for _, s := range []string{w.clientOwner + " License ends in 30 days: Octopus at LOC-1 (Contoso Hotels)",
		w.distOwner + " License ended: Octopus at LOC-1 (Contoso Hotels)", w.clientOwner + " Renew your license: Octopus at LOC-1 (Contoso Hotels)"} {
		if count[s] != 1 {
			t.Errorf("no email %q in:\n%s", s, strings.Join(subjects, "\n"))
		}
	}
	for _, m := range mails {
		if m.To == w.clientMember {
			t.Errorf("a client member was emailed: %s", m.Subject)
		}
	}
	// The license page lists them.
	b := w.a.browser()
	b.signIn(w.clientMember, adminPassword)
	b.get(fmt.Sprintf("/licenses/%d?tab=notifications", id))
	b.assertContains("30d", "cutoff", "after1d", w.distOwner)

	// Renewing restarts the ladder for the new end date.
	w.mustAPI(w.distToken, http.MethodPost, fmt.Sprintf("/api/v1/licenses/%d/status", id), http.StatusOK, map[string]any{"action": "renew"})
	if _, out := w.device(key, "/api/v1/validate", nil); out["code"] != "VALID" {
		t.Errorf("validate after renewal: %v", out["code"])
	}
}

// TestExpiryLadderAfterDowntime skips the steps missed while the server was down: only the
// latest due one is sent.
func TestExpiryLadderAfterDowntime(t *testing.T) {
	w := newLicenseWorld(t)
	ctx := context.Background()
	id, _ := w.newLicense(map[string]any{"start_date": "2025-12-03"}) // ends 2026-12-03
	w.a.clock.Advance(24 * time.Hour)                                 // 2026-11-03: 30 days before
	if err := w.a.srv.licenseLifecycle(ctx); err != nil {
		t.Fatal(err)
	}
	w.a.stop()
	w.a.clock.Advance(24 * time.Hour * 25) // down until 2026-11-28: the 15- and 7-day steps fell due meanwhile
	w.a.start()                            // the start catches up
	ns, err := w.a.db.LicenseNotifications(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, n := range ns {
		steps = append(steps, n.Step)
	}
	if got, want := strings.Join(steps, ","), "7d,30d"; got != want {
		t.Errorf("steps sent %s, want %s (the 15-day step skipped)", got, want)
	}
	w.a.clock.Advance(24 * time.Hour * 10) // down again across the end date, until 2026-12-08
	w.a.restart()
	ns, _ = w.a.db.LicenseNotifications(ctx, id)
	if got, want := ns[0].Step, "after1d"; got != want || len(ns) != 3 {
		t.Errorf("after a 10-day downtime across the end: %d steps, latest %s, want 3 and %s", len(ns), got, want)
	}
	if got := w.license(id)["status"]; got != "contract_finalized" {
		t.Errorf("status %v, want contract_finalized", got)
	}
}

// TestLicenseStartsOnItsStartDate: a pending_start license with a start date to come starts
// by the day's job on that date.
func TestLicenseStartsOnItsStartDate(t *testing.T) {
	w := newLicenseWorld(t) // 2026-11-02
	id, key := w.newLicense(map[string]any{"start_date": "2026-11-05"})
	if _, out := w.device(key, "/api/v1/validate", nil); out["code"] != "VALID" || out["license"].(map[string]any)["status"] != "pending_start" {
		t.Fatalf("before its start date: %v", out)
	}
	for range 3 {
		w.a.clock.Advance(24 * time.Hour)
		if err := w.a.srv.licenseLifecycle(context.Background()); err != nil {
			t.Fatal(err)
		}
	}
	l := w.license(id)
	if l["status"] != "in_use" || l["start_date"] != "2026-11-05" || l["end_date"] != "2027-11-05" {
		t.Errorf("on its start date: %v %v–%v", l["status"], l["start_date"], l["end_date"])
	}
	if _, out := w.device(key, "/api/v1/validate", nil); out["license"].(map[string]any)["status"] != "in_use" {
		t.Errorf("the device API still sees %v", out["license"])
	}
}

// TestExpiryNoticeTellsTheDaysReallyLeft: a license that enters the ladder late (created 19 days
// before its end) gets the 30-day step, and its email says 19 days, never 30.
func TestExpiryNoticeTellsTheDaysReallyLeft(t *testing.T) {
	catcher, withSMTP := newLicenseMailCatcher(t)
	w := newLicenseWorld(t, withSMTP)                                 // 2026-11-02
	id, _ := w.newLicense(map[string]any{"start_date": "2025-11-21"}) // ends 2026-11-21
	if err := w.a.srv.licenseLifecycle(context.Background()); err != nil {
		t.Fatal(err)
	}
	mails := catcher.delivered(t, w.a)
	if len(mails) == 0 {
		t.Fatal("no expiry notice")
	}
	for _, m := range mails {
		if !strings.Contains(m.Subject, "License ends in 19 days") || !strings.Contains(m.Body, "ends in 19 days") || strings.Contains(m.Body, "30 days") {
			t.Errorf("notice %q:\n%s", m.Subject, m.Body)
		}
	}
	// The license's notifications tab says what the notice said.
	b := w.a.browser()
	b.signIn(w.clientOwner, adminPassword)
	b.get(fmt.Sprintf("/licenses/%d?tab=notifications", id))
	b.assertContains("30 days before the end", "said: “ends in 19 days”")
}

func TestExpiryLabel(t *testing.T) {
	tests := []struct {
		step        int
		today, want string
	}{
		{0, "2026-11-02", "ends in 19 days"},
		{0, "2026-10-22", "ends in 30 days"},
		{3, "2026-11-20", "ends tomorrow"},
		{4, "2026-11-21", "has ended"},
	}
	for _, tt := range tests {
		if got := expiryLabel(expiryLadder[tt.step], "2026-11-21", tt.today); got != tt.want {
			t.Errorf("step %s on %s: %q, want %q", expiryLadder[tt.step].Name, tt.today, got, tt.want)
		}
	}
}
