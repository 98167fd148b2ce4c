package app

import (
	"keyward/app/words"

	"context"
	"strings"
	"testing"

	"keyward/store"
)

// TestDemoInvoicesFillEveryScreen: the demo has invoices in every state a screen shows (paid,
// partly paid, overdue with its reminders, void, drafts to review), and the license denied for an
// unpaid invoice names one that exists and is overdue.
func TestDemoInvoicesFillEveryScreen(t *testing.T) {
	a := newTestApp(t)
	ctx := context.Background()
	if err := a.srv.LoadDemo(ctx); err != nil {
		t.Fatal(err)
	}
	all, _, err := a.db.Invoices(ctx, store.InvoiceFilter{All: true})
	if err != nil {
		t.Fatal(err)
	}
	today := a.srv.today()
	seen := map[string]int{}
	for _, inv := range all {
		st := invoiceStateOf(inv, today)
		seen[inv.Status]++
		if st.Overdue {
			seen["overdue"]++
		}
		if inv.Status == "issued" && inv.Paid > 0 {
			seen["partly paid"]++
		}
		seen[inv.Kind]++
	}
	for _, want := range []string{"draft", "issued", "paid", "void", "overdue", "partly paid", "usage", "prepaid", "manual"} {
		if seen[want] == 0 {
			t.Errorf("no demo invoice is %s (%v)", want, seen)
		}
	}
	denied, _, err := a.db.Licenses(ctx, store.LicenseFilter{All: true, Status: store.StatusAccessDenied})
	if err != nil || len(denied) != 1 {
		t.Fatalf("denied demo licenses: %v, %v", denied, err)
	}
	l := denied[0]
	overdue, _, err := a.db.Invoices(ctx, store.InvoiceFilter{All: true, LicenseID: l.ID, Status: "overdue", Today: today.String()})
	if err != nil || len(overdue) != 1 {
		t.Fatalf("overdue invoices of the denied license: %v, %v", overdue, err)
	}
	inv := overdue[0]
	if l.OrgName != "Fabrikam Clinics" || !strings.Contains(l.DenyReason, inv.Number) {
		t.Errorf("license of %s denied for %q, want Fabrikam's for %s", l.OrgName, l.DenyReason, inv.Number)
	}
	rs, err := a.db.InvoiceReminders(ctx, inv.ID)
	if err != nil || len(rs) == 0 {
		t.Errorf("the overdue invoice had no reminders: %v, %v", rs, err)
	}
	// Every screen of Fabrikam's owner shows it.
	b := a.browser()
	b.signIn("fiona@fabrikam.example", DemoPassword)
	b.follow(b.get("/invoices?status=overdue"))
	b.acceptTerms()
	b.assertContains(inv.Number, "Overdue")
	b.get("/orgs/" + itoa(inv.OrgID) + "/journal")
	b.assertContains("since " + words.Day(inv.DueDate))
}
