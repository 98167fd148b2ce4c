package app

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"

	"github.com/go-co-op/gocron/v2"

	"keyward/store"
)

// invoiceWorld is a distributor with a client, their people, and a way to write invoices the way
// the portal does (s.createDraft, s.issueInvoice).
type invoiceWorld struct {
	a             *testApp
	dist, client  store.Org
	distOwner     store.User
	owner, owner2 store.User
	member        store.User
	otherDist     store.Org
	otherClient   store.Org
	otherOwner    store.User
	by            store.Actor
	settingsSaved bool
}

func newInvoiceWorld(t *testing.T, options ...func(*Config)) *invoiceWorld {
	t.Helper()
	a := newTestApp(t, options...)
	w := &invoiceWorld{a: a}
	w.dist = a.createOrg(store.KindDistributor, "Northwind Distribution", 0)
	w.client = a.createOrg(store.KindClient, "Contoso Hotels", w.dist.ID)
	w.distOwner = a.createUser("dora@northwind.test", "Dora Distributor", w.dist, store.RoleOwner)
	w.owner = a.createUser("carla@contoso.test", "Carla Client", w.client, store.RoleOwner)
	w.owner2 = a.createUser("cid@contoso.test", "Cid Client", w.client, store.RoleOwner)
	w.member = a.createUser("max@contoso.test", "Max Member", w.client, store.RoleMember)
	w.otherDist = a.createOrg(store.KindDistributor, "Foreign Distribution", 0)
	w.otherClient = a.createOrg(store.KindClient, "Foreign Client", w.otherDist.ID)
	w.otherOwner = a.createUser("owner@foreign.test", "Foreign Owner", w.otherClient, store.RoleOwner)
	w.by = store.Actor{UserID: w.distOwner.ID, Email: w.distOwner.Email}
	settings := store.InvoiceSettings{OrgID: w.dist.ID, Prefix: "NW", PaymentTerms: 30, TaxRate: 1900, Currency: "EUR",
		BankDetails: "IBAN FR76 3000 6000 0112 3456 7890 189", Footer: "Northwind Distribution SARL · RCS Paris 303 265 045"}
	if err := a.db.SaveInvoiceSettings(t.Context(), &settings, store.AuditEntry{Action: "invoicing.settings"}); err != nil {
		t.Fatal(err)
	}
	return w
}

// draft writes a manual draft for the client with lines of {description, quantity, unit price}.
func (w *invoiceWorld) draft(lines ...[3]string) store.Invoice {
	w.a.t.Helper()
	in := draftInput{}
	for _, l := range lines {
		in.Lines = append(in.Lines, lineInput{Description: l[0], Quantity: l[1], UnitPrice: l[2]})
	}
	inv, err := w.a.srv.createDraft(context.Background(), w.client, in, w.by)
	if err != nil {
		w.a.t.Fatal(err)
	}
	return inv
}

// issued writes and issues a manual invoice of one line.
func (w *invoiceWorld) issued(description, price string) store.Invoice {
	w.a.t.Helper()
	inv, err := w.a.srv.issueInvoice(context.Background(), w.draft([3]string{description, "1", price}).ID, w.by)
	if err != nil {
		w.a.t.Fatal(err)
	}
	return inv
}

func TestIssuedInvoiceEmailCarriesThePDF(t *testing.T) {
	mail := newMailServer(t)
	w := newInvoiceWorld(t, withSMTP(mail))
	inv := w.issued("Installation of the Berlin site", "1000.00")
	if inv.Number != "NW-2026-0001" {
		t.Fatalf("number %q, want NW-2026-0001", inv.Number)
	}
	stored, err := w.a.db.InvoicePDFs(t.Context(), inv.ID)
	if err != nil || len(stored) != 1 {
		t.Fatalf("stored PDFs %v, %v: want the one generated at issue", stored, err)
	}
	latest, err := w.a.db.InvoicePDF(t.Context(), inv.ID, stored[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{w.owner.Email, w.owner2.Email} {
		e := mail.waitFor(to, inv.Number)
		if !strings.Contains(e.Subject, "1,190.00 EUR") || !strings.Contains(e.Subject, "2026-12-02") {
			t.Errorf("subject %q, want the total and the due date", e.Subject)
		}
		if got, want := e.link(t), "/invoices/"+itoa(inv.ID); got != want {
			t.Errorf("link %q, want %q", got, want)
		}
		if !strings.Contains(e.HTML, inv.Number) {
			t.Errorf("the HTML part does not name %s:\n%s", inv.Number, e.HTML)
		}
		if len(e.Attachments) != 1 {
			t.Fatalf("attachments %+v, want the invoice PDF", e.Attachments)
		}
		f := e.Attachments[0]
		if f.Name != inv.Number+".pdf" || f.ContentType != "application/pdf" || !bytes.Equal(f.Data, latest.Content) {
			t.Errorf("attachment %q %q (%d bytes), want %s.pdf, the stored PDF byte for byte", f.Name, f.ContentType, len(f.Data), inv.Number)
		}
		text := pdfText(t, f.Data)
		for _, want := range []string{inv.Number, "1,190.00 EUR", "2026-12-02", "Installation of the Berlin site", "Tax (19%)", "IBAN FR76"} {
			if !strings.Contains(text, want) {
				t.Errorf("the attached PDF does not show %q:\n%s", want, text)
			}
		}
	}
	// Members of the client are not sent invoices; owners are.
	w.a.srv.wakeOutbox()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if due, _ := w.a.db.DueEmails(t.Context(), 1); len(due) == 0 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := mail.to(w.member.Email); len(got) != 0 {
		t.Errorf("the client's member got %d emails, want none (owners only)", len(got))
	}
}

// TestOverdueReminders walks three invoices through two and a half months, running the daily job
// twice a day: an unpaid one is reminded the day after its due date and every 7 days after, three
// times in all; one paid after its first reminder hears no more; one paid in time hears nothing.
func TestOverdueReminders(t *testing.T) {
	mail := newMailServer(t)
	w := newInvoiceWorld(t, withSMTP(mail))
	ctx := context.Background()
	unpaid := w.issued("Installation", "1000.00") // 1,190.00 EUR due 2026-12-02
	if _, err := w.a.srv.recordPayment(ctx, unpaid.ID, paymentInput{Amount: "190.00", Method: "transfer"}, w.by); err != nil {
		t.Fatal(err)
	}
	late := w.issued("Training", "100.00")
	onTime := w.issued("Support", "50.00")
	sentOn := map[int64][]string{}
	for day := 0; day < 75; day++ {
		today := civilDay(w.a.clock.Now())
		if today == "2026-12-01" {
			if _, err := w.a.srv.recordPayment(ctx, onTime.ID, paymentInput{Amount: "59.50"}, w.by); err != nil {
				t.Fatal(err)
			}
		}
		if today == "2026-12-05" {
			if _, err := w.a.srv.recordPayment(ctx, late.ID, paymentInput{Amount: "119.00"}, w.by); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			if err := w.a.srv.invoiceReminders(ctx); err != nil {
				t.Fatal(err)
			}
		}
		w.a.clock.Advance(24 * time.Hour)
	}
	for _, inv := range []store.Invoice{unpaid, late, onTime} {
		rs, err := w.a.db.InvoiceReminders(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			sentOn[inv.ID] = append(sentOn[inv.ID], r.SentOn)
			if strings.Join(r.Recipients, ",") != w.owner2.Email+","+w.owner.Email && strings.Join(r.Recipients, ",") != w.owner.Email+","+w.owner2.Email {
				t.Errorf("reminder %d of %s went to %v, want the client's two owners", r.Nth, inv.Number, r.Recipients)
			}
		}
	}
	for _, tc := range []struct {
		inv  store.Invoice
		want string
	}{{unpaid, "2026-12-03 2026-12-10 2026-12-17"}, {late, "2026-12-03"}, {onTime, ""}} {
		if got := strings.Join(sentOn[tc.inv.ID], " "); got != tc.want {
			t.Errorf("%s reminded on %q, want %q", tc.inv.Number, got, tc.want)
		}
	}
	// Every reminder reached both owners once, named its invoice and what is still due.
	for _, to := range []string{w.owner.Email, w.owner2.Email} {
		e := mail.waitFor(to, "Final reminder: invoice "+unpaid.Number)
		if !strings.Contains(e.Subject, "1,000.00 EUR due since 2026-12-02") {
			t.Errorf("subject %q, want the amount still due and the due date", e.Subject)
		}
		if !strings.Contains(e.Text, "1,000.00 EUR of its 1,190.00 EUR is still unpaid") || !strings.Contains(e.Text, "last reminder") {
			t.Errorf("text of the final reminder:\n%s", e.Text)
		}
		if got, want := e.link(t), "/invoices/"+itoa(unpaid.ID); got != want {
			t.Errorf("link %q, want %q", got, want)
		}
		mail.waitFor(to, "Reminder: invoice "+late.Number)
	}
	count := map[string]int{}
	for _, e := range mail.received() {
		if strings.Contains(e.Subject, "eminder") {
			count[e.To+" "+e.Subject]++
		}
	}
	total := 0
	for k, n := range count {
		total += n
		if n != 1 {
			t.Errorf("%q received %d times", k, n)
		}
	}
	if total != 8 { // (3 + 1) reminders × 2 owners
		t.Errorf("%d reminders delivered, want 8: %v", total, count)
	}
}

// TestRemindersRunDaily: the scheduler runs the reminders at 08:00 UTC every day, on the fake clock,
// and the first goes the day after the due date.
func TestRemindersRunDaily(t *testing.T) {
	w := newInvoiceWorld(t)
	ctx := context.Background()
	due := "2026-11-02" // today, 09:00: overdue from tomorrow
	d, err := w.a.srv.createDraft(ctx, w.client, draftInput{DueDate: &due, Lines: []lineInput{{Description: "Setup", Quantity: "1", UnitPrice: "10.00"}}}, w.by)
	if err != nil {
		t.Fatal(err)
	}
	inv, err := w.a.srv.issueInvoice(ctx, d.ID, w.by)
	if err != nil {
		t.Fatal(err)
	}
	var job gocron.Job
	for _, j := range w.a.srv.scheduler.Jobs() {
		if j.Name() == "invoice reminders" {
			job = j
		}
	}
	if job == nil {
		t.Fatal("no invoice reminders job")
	}
	if next, err := job.NextRun(); err != nil || !next.Equal(time.Date(2026, 11, 3, 8, 0, 0, 0, time.UTC)) {
		t.Fatalf("next run %v (%v), want 3 November at 08:00", next, err)
	}
	if rs, _ := w.a.db.InvoiceReminders(ctx, inv.ID); len(rs) != 0 {
		t.Fatalf("reminded on the due date: %+v", rs)
	}
	w.a.clock.Advance(23*time.Hour + time.Minute) // 08:01 on 3 November
	deadline := time.Now().Add(10 * time.Second)
	for {
		done, err := job.LastRunCompletedAt()
		if err == nil && !done.IsZero() {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the scheduler did not run the reminders at 08:00 (last run %v, %v)", done, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	rs, err := w.a.db.InvoiceReminders(ctx, inv.ID)
	if err != nil || len(rs) != 1 || rs[0].SentOn != "2026-11-03" {
		t.Errorf("reminders %+v (%v), want the first on 3 November", rs, err)
	}
}
