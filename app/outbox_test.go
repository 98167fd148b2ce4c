package app

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// waitEmail polls the outbox until cond holds for the email with that id.
func (a *testApp) waitEmail(id int64, what string, cond func(store.Email) bool) store.Email {
	a.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		es, _, err := a.db.ListEmails(a.t.Context(), "", 200, 0)
		if err != nil {
			a.t.Fatal(err)
		}
		for _, e := range es {
			if e.ID == id && cond(e) {
				return e
			}
		}
		if time.Now().After(deadline) {
			a.t.Fatalf("email %d: never %s; outbox %+v", id, what, es)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// queueEmails queues the test email to each address in one commit, as an action that writes to
// several people does, and returns their outbox ids in the same order.
func (a *testApp) queueEmails(to ...string) []int64 {
	a.t.Helper()
	var es []store.Email
	for _, addr := range to {
		e, err := a.srv.email(addr, "test", map[string]any{"Sender": adminEmail})
		if err != nil {
			a.t.Fatal(err)
		}
		es = append(es, e)
	}
	if err := a.db.EnqueueEmails(a.t.Context(), es...); err != nil {
		a.t.Fatal(err)
	}
	a.srv.wakeOutbox()
	all, _, err := a.db.ListEmails(a.t.Context(), "", 200, 0)
	if err != nil {
		a.t.Fatal(err)
	}
	ids := make([]int64, len(es))
	for i, e := range es {
		for _, stored := range all {
			if stored.MessageID == e.MessageID {
				ids[i] = stored.ID
			}
		}
	}
	return ids
}

// outboxSettled queues one more email and waits until the worker has tried it: every round of the
// worker asked for before, at the clock's time or earlier, has run by then.
func (a *testApp) outboxSettled() {
	a.t.Helper()
	id := a.queueEmails(fmt.Sprintf("settled-%d@keyward.test", time.Now().UnixNano()))[0]
	a.waitEmail(id, "tried", func(e store.Email) bool { return e.Attempts > 0 })
}

// advance moves the fake clock once every scheduled job waits for its next run, so that the jobs
// that fall due meanwhile (the outbox's retry job among them) run, as they would as time passes.
func (a *testApp) advance(d time.Duration) {
	a.t.Helper()
	ctx, cancel := context.WithTimeout(a.t.Context(), 10*time.Second)
	defer cancel()
	if err := a.clock.BlockUntilContext(ctx, len(a.srv.scheduler.Jobs())); err != nil {
		a.t.Fatalf("the scheduled jobs did not all wait for their next run: %v", err)
	}
	a.clock.Advance(d)
}

// receivedOnce fails the test unless the recipient of e received one message: e, under its Message-ID.
func (m *mailServer) receivedOnce(e store.Email) {
	m.t.Helper()
	if got := m.to(e.To); len(got) != 1 || got[0].MessageID != e.MessageID {
		m.t.Errorf("%s received %d messages %+v, want %s once", e.To, len(got), got, e.MessageID)
	}
}

func TestOutboxRefusedRecipientFailsOnlyThatEmail(t *testing.T) {
	mail := newMailServer(t)
	mail.Answer("gone@example.test", 550, 0)
	a := newTestApp(t, withSMTP(mail))
	ids := a.queueEmails("first@example.test", "gone@example.test", "last@example.test")

	for _, i := range []int{0, 2} {
		mail.receivedOnce(a.waitEmail(ids[i], "sent", func(e store.Email) bool { return e.State() == store.EmailSent }))
	}
	gone := a.waitEmail(ids[1], "failed", func(e store.Email) bool { return e.State() == store.EmailFailed })
	if !strings.Contains(gone.LastError, "550") || gone.Attempts != 1 {
		t.Errorf("the refused email: attempts %d, error %q; want 1 attempt and the 550 answer", gone.Attempts, gone.LastError)
	}

	// A day of retry jobs later, the refusal still stands and was never asked again.
	a.advance(25 * time.Hour)
	a.outboxSettled()
	if got := mail.Rcpts("gone@example.test"); got != 1 {
		t.Errorf("the refused recipient was asked %d times, want once", got)
	}
}

func TestOutboxPageShowsARefusedEmailWithItsReason(t *testing.T) {
	mail := newMailServer(t)
	mail.Answer("gone@example.test", 550, 0)
	a := newTestApp(t, withSMTP(mail))
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	b.get("/admin/outbox")
	b.follow(b.post("/admin/outbox/test", url.Values{"to": {"gone@example.test"}}))
	es, _, _ := a.db.ListEmails(t.Context(), "", 10, 0)
	a.waitEmail(es[0].ID, "failed", func(e store.Email) bool { return e.State() == store.EmailFailed })

	b.get("/admin/outbox?state=failed")
	b.assertContains("gone@example.test", "Keyward test email", `badge-mail-failed">Failed`,
		"550 5.1.1 no such mailbox here", "not tried again")
	b.get("/admin/outbox?state=pending")
	if strings.Contains(b.body, "gone@example.test") {
		t.Error("the refused email is listed as pending")
	}
}

func TestOutboxRetriesADeferredEmail(t *testing.T) {
	mail := newMailServer(t)
	mail.Answer("busy@example.test", 451, 1)
	a := newTestApp(t, withSMTP(mail))
	id := a.queueEmails("busy@example.test")[0]
	e := a.waitEmail(id, "deferred", func(e store.Email) bool { return e.Attempts == 1 })
	deferredAt := a.clock.Now()
	if e.State() != store.EmailPending || !strings.Contains(e.LastError, "451") {
		t.Errorf("after a 451: state %s, error %q; want pending with the answer", e.State(), e.LastError)
	}
	if wait := e.NextAttemptAt.Sub(deferredAt); wait <= 0 || wait > 30*time.Second {
		t.Errorf("first retry in %s, want within 30 s", wait)
	}

	// Only the clock moves: the scheduler's retry job finds the email due and it goes out, once.
	a.advance(30 * time.Second)
	mail.waitFor("busy@example.test", "Keyward test email")
	e = a.waitEmail(id, "sent", func(e store.Email) bool { return e.State() == store.EmailSent })
	if e.SentAt.Sub(deferredAt) > 30*time.Second || e.Attempts != 2 {
		t.Errorf("sent %s after the 451 at attempt %d; want within 30 s, at the second", e.SentAt.Sub(deferredAt), e.Attempts)
	}
	mail.receivedOnce(e)
}

func TestOutboxWhileSMTPIsDown(t *testing.T) {
	mail := newMailServer(t)
	mail.stop()
	a := newTestApp(t, withSMTP(mail))
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	b.get("/admin/outbox")
	b.follow(b.post("/admin/outbox/test", url.Values{"to": {"ops@keyward.test"}}))
	b.assertContains("Test email queued.")
	es, _, _ := a.db.ListEmails(t.Context(), "", 10, 0)
	if len(es) != 1 {
		t.Fatalf("outbox holds %d emails, want 1", len(es))
	}
	id := es[0].ID

	// Each failure waits twice as long as the one before; the retry job tries when it is due.
	e := a.waitEmail(id, "tried once", func(e store.Email) bool { return e.Attempts == 1 })
	if got, want := e.NextAttemptAt.Sub(a.clock.Now()), 20*time.Second; got != want {
		t.Errorf("first retry in %s, want %s", got, want)
	}
	if e.State() != store.EmailPending || !strings.Contains(e.LastError, "connecting to") {
		t.Errorf("after a failure: state %s, error %q; want pending with the error", e.State(), e.LastError)
	}
	a.advance(20 * time.Second)
	e = a.waitEmail(id, "tried twice", func(e store.Email) bool { return e.Attempts == 2 })
	if got, want := e.NextAttemptAt.Sub(a.clock.Now()), 40*time.Second; got != want {
		t.Errorf("second retry in %s, want %s", got, want)
	}
	b.get("/admin/outbox?state=pending")
	b.assertContains("ops@keyward.test", "Keyward test email", "connecting to")

	// Not due yet: nothing is tried.
	a.advance(30 * time.Second)
	a.outboxSettled()
	if e = a.waitEmail(id, "unchanged", func(store.Email) bool { return true }); e.Attempts != 2 {
		t.Errorf("attempts %d before the retry was due, want 2", e.Attempts)
	}

	// The server comes back: the email goes out once, under its Message-ID.
	mail.start()
	a.advance(10 * time.Second)
	e = a.waitEmail(id, "sent", func(e store.Email) bool { return e.State() == store.EmailSent })
	a.advance(time.Hour)
	a.outboxSettled()
	mail.receivedOnce(e)
}

func TestOutboxGivesUpAfterADay(t *testing.T) {
	mail := newMailServer(t)
	mail.stop()
	a := newTestApp(t, withSMTP(mail))
	id := a.queueEmails("ops@keyward.test")[0]
	var e store.Email
	for attempt := 1; ; attempt++ {
		e = a.waitEmail(id, fmt.Sprintf("tried %d times", attempt), func(e store.Email) bool { return e.Attempts == attempt })
		if e.State() == store.EmailFailed {
			break
		}
		if got := e.NextAttemptAt.Sub(a.clock.Now()); got > 15*time.Minute {
			t.Fatalf("retry %d in %s, want at most 15 minutes", attempt, got)
		}
		a.advance(e.NextAttemptAt.Sub(a.clock.Now()))
	}
	if elapsed := e.FailedAt.Sub(e.CreatedAt); elapsed < 24*time.Hour || elapsed > 25*time.Hour {
		t.Errorf("given up after %s, want a day", elapsed)
	}
	b := a.browser()
	b.signIn(adminEmail, adminPassword)
	b.get("/admin/outbox?state=failed")
	b.assertContains("Keyward test email", "failed", "connecting to", "given up after trying for a day")
}

func TestOutboxTriesWaitingEmailsAtOnceAfterARestart(t *testing.T) {
	mail := newMailServer(t)
	mail.stop()
	a := newTestApp(t, withSMTP(mail))
	id := a.queueEmails(adminEmail)[0]
	e := a.waitEmail(id, "tried once", func(e store.Email) bool { return e.Attempts == 1 })
	if !e.NextAttemptAt.After(a.clock.Now()) {
		t.Fatalf("after a failure the next attempt is due at once (%s)", e.NextAttemptAt)
	}

	// The process stops with the email waiting; it starts again once the SMTP server is back,
	// before the email's next attempt is due: the restart tries it at once.
	a.stop()
	mail.start()
	a.start()
	got := mail.waitFor(adminEmail, "Keyward test email")
	if got.MessageID != e.MessageID {
		t.Errorf("Message-ID %q, want the one written with the email, %q", got.MessageID, e.MessageID)
	}
	a.waitEmail(id, "sent", func(e store.Email) bool { return e.State() == store.EmailSent })
}
