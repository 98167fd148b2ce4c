package app

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jonboulle/clockwork"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// demoInvoice is a step of the demo's invoicing history: a period of a license invoiced (or a
// manual invoice written), issued on a day, paid on others; an empty issue day leaves a draft.
type demoInvoice struct {
	location string // the license
	kind     string // usage, prepaid or manual
	month    billing.Month
	issue    billing.Date // zero: left as a draft to review
	payments []demoPayment
	void     string // a reason: voided the day after its issue
}

type demoPayment struct {
	day     billing.Date
	percent int64 // of the total
}

// loadDemoInvoices replays the demo's invoicing through the code the daily job and the issuer use:
// each period's draft is made by requestPeriodInvoice (the job's own pricing), then issued, paid and
// reminded about by the server as it was on those days, its clock set back. So every invoice
// screen has something to show: paid, partly paid, overdue with reminders, void, and drafts.
func (s *Server) loadDemoInvoices(ctx context.Context) error {
	byLocation, err := s.demoLicenses(ctx)
	if err != nil {
		return err
	}
	dora, err := s.db.FindUserByEmail(ctx, "dora@northwind.example")
	if err != nil {
		return err
	}
	by := store.Actor{UserID: dora.ID, Email: dora.Email}
	northwind := byLocation["BER-MITTE"].DistributorID
	settings := store.InvoiceSettings{OrgID: northwind, Prefix: "NW", PaymentTerms: 30, TaxRate: 2000, Currency: "EUR",
		BankDetails: "Northwind Distribution SARL\nIBAN FR76 3000 6000 0112 3456 7890 189 · BIC AGRIFRPP",
		Footer:      "Northwind Distribution SARL · 12 rue de la Paix, 75002 Paris · RCS Paris 303 265 045 · VAT FR40303265045"}
	if err := s.db.SaveInvoiceSettings(ctx, &settings, store.AuditEntry{ActorUserID: dora.ID, ActorEmail: dora.Email,
		Action: "invoicing.settings", OrgID: northwind}); err != nil {
		return err
	}
	today := s.today()
	this := billing.MonthOf(today)
	first := func(m billing.Month, day int) billing.Date { return m.First().AddDays(day - 1) }
	started := func(location string) billing.Date { return parseDay(byLocation[location].StartDate) }
	plan := []demoInvoice{
		// Contoso pays its year of prepaid cores, then its extra cores: in full, then half.
		{location: "BER-MITTE", kind: invoice.KindPrepaid, month: billing.MonthOf(started("BER-MITTE")), issue: started("BER-MITTE"),
			payments: []demoPayment{{started("BER-MITTE").AddDays(12), 100}}},
		{location: "BER-MITTE", kind: invoice.KindUsage, month: this.AddMonths(-3), issue: first(this.AddMonths(-2), 2),
			payments: []demoPayment{{first(this.AddMonths(-2), 20), 100}}},
		{location: "BER-MITTE", kind: invoice.KindUsage, month: this.AddMonths(-2), issue: first(this.AddMonths(-1), 2),
			payments: []demoPayment{{first(this.AddMonths(-1), 25), 50}}},
		{location: "BER-MITTE", kind: invoice.KindUsage, month: this.AddMonths(-1)},
		// A manual invoice written twice by mistake: the second is void.
		{location: "BER-AIRPORT", kind: invoice.KindManual, month: this.AddMonths(-1), issue: first(this.AddMonths(-1), 8)},
		{location: "BER-AIRPORT", kind: invoice.KindManual, month: this.AddMonths(-1), issue: first(this.AddMonths(-1), 8), void: "Issued twice"},
		// Fabrikam: the year of MAD-NORTE is unpaid after two reminders (its license is denied for it).
		{location: "MAD-SOL", kind: invoice.KindPrepaid, month: billing.MonthOf(started("MAD-SOL")), issue: started("MAD-SOL"),
			payments: []demoPayment{{started("MAD-SOL").AddDays(25), 100}}},
		{location: "MAD-NORTE", kind: invoice.KindPrepaid, month: billing.MonthOf(started("MAD-NORTE")), issue: started("MAD-NORTE")},
		{location: "MAD-SOL", kind: invoice.KindUsage, month: this.AddMonths(-2), issue: first(this.AddMonths(-1), 2),
			payments: []demoPayment{{first(this.AddMonths(-1), 28), 100}}},
		{location: "MAD-SOL", kind: invoice.KindUsage, month: this.AddMonths(-1)},
		{location: "MAD-NORTE", kind: invoice.KindUsage, month: this.AddMonths(-1)},
	}
	// Days in order, as they happened: numbers follow issue dates, reminders go out between them.
	type event struct {
		day billing.Date
		run func(past *Server) error
	}
	var events []event
	for _, p := range plan {
		l, ok := byLocation[p.location]
		if !ok {
			return fmt.Errorf("demo license %s missing", p.location)
		}
		var id int64
		write := func(past *Server) error {
			inv, err := past.demoDraft(ctx, l, p, by)
			if errors.Is(err, errNothingToInvoice) || isConflict(err) {
				return nil // a month without extra cores: nothing to invoice, as the job would find
			}
			id = inv.ID
			return err
		}
		if p.issue.IsZero() {
			events = append(events, event{today, write})
			continue
		}
		events = append(events, event{p.issue, func(past *Server) error {
			if err := write(past); err != nil || id == 0 {
				return err
			}
			_, err := past.issueInvoice(ctx, id, by)
			return err
		}})
		if p.void != "" {
			events = append(events, event{p.issue.AddDays(1), func(past *Server) error {
				if id == 0 {
					return nil
				}
				_, err := past.voidInvoice(ctx, id, p.void, by)
				return err
			}})
		}
		for _, pay := range p.payments {
			events = append(events, event{pay.day, func(past *Server) error {
				if id == 0 {
					return nil
				}
				inv, err := past.db.FindInvoice(ctx, id)
				if err != nil {
					return err
				}
				amount := formatMoney(inv.Total*pay.percent/100, inv.Currency)
				_, err = past.recordPayment(ctx, id, paymentInput{Amount: amount, Date: pay.day.String(), Method: "Bank transfer",
					Reference: "SEPA " + inv.Number}, by)
				return err
			}})
		}
	}
	// The overdue reminders of the days gone by: the job runs each day from the first due date on.
	if start := started("MAD-NORTE").AddDays(settings.PaymentTerms + 1); start.Before(today) {
		for d := start; d.Before(today); d = d.AddDays(1) {
			events = append(events, event{d, func(past *Server) error { return past.invoiceReminders(ctx) }})
		}
	}
	slices.SortStableFunc(events, func(a, b event) int { return a.day.Compare(b.day) })
	for _, e := range events {
		if e.day.After(today) {
			continue
		}
		if err := e.run(s.on(e.day)); err != nil {
			return err
		}
	}
	// Northwind denies MAD-NORTE until its overdue year of prepaid cores is paid.
	unpaid, _, err := s.db.Invoices(ctx, store.InvoiceFilter{All: true, LicenseID: byLocation["MAD-NORTE"].ID,
		Kind: invoice.KindPrepaid, Status: "overdue", Today: today.String()})
	if err != nil || len(unpaid) == 0 {
		return err
	}
	rs, err := s.db.InvoiceReminders(ctx, unpaid[0].ID)
	if err != nil {
		return err
	}
	return s.denyDemoLicense(ctx, byLocation["MAD-NORTE"].ID, fmt.Sprintf("Invoice %s (%s) unpaid after %d reminder%s.",
		unpaid[0].Number, invoicePeriodText(unpaid[0]), len(rs), plural(len(rs))))
}

// on is the server as it was on a past day, 10:00 UTC: the demo replays its history through it.
func (s *Server) on(day billing.Date) *Server {
	past := *s
	past.clock = clockwork.NewFakeClockAt(day.Time().Add(10 * time.Hour))
	return &past
}

// demoDraft writes the draft of a step of the demo: a generated period, or a manual invoice.
func (s *Server) demoDraft(ctx context.Context, l store.License, p demoInvoice, by store.Actor) (store.Invoice, error) {
	if p.kind != invoice.KindManual {
		return s.requestPeriodInvoice(ctx, l, p.kind, p.month, by)
	}
	client, err := s.db.FindOrg(ctx, l.OrgID)
	if err != nil {
		return store.Invoice{}, err
	}
	lic := l.ID
	notes := "Installation of the gateways at " + l.Location + "."
	return s.createDraft(ctx, client, draftInput{LicenseID: &lic, Notes: &notes, Lines: []lineInput{
		{Description: "Installation and configuration, per gateway", Quantity: "2", UnitPrice: "450.00"},
		{Description: "Travel, Paris – Berlin", Quantity: "1", UnitPrice: "380.00"},
		{Description: "Loyalty discount", Quantity: "1", UnitPrice: "-100.00"},
	}}, by)
}
