package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"keyward/app/billing"
	"keyward/app/invoice"
	"keyward/store"
)

// lateUsageDays is how long after a usage period ends the job keeps looking at it while it has
// nothing to invoice: setups that were offline report their samples late, and a period marked
// done is never drafted again by the job (only on request).
const lateUsageDays = 7

// generationBatch is how many periods the daily job writes per transaction: few enough that
// requests never wait long for the writer, many enough that commits do not dominate.
const generationBatch = 250

// generateInvoices is the daily job of DESIGN §7: for every license, the usage and prepaid periods
// due today and not dealt with yet become drafts (or are marked as having nothing to invoice).
// Periods missed while the server was down are due too, so the next run catches up; a period is
// dealt with once, so runs are idempotent. Issuers who chose auto-issue get the drafts issued.
func (s *Server) generateInvoices(ctx context.Context) error {
	today := s.today()
	licenses, err := s.db.InvoiceableLicenses(ctx)
	if err != nil {
		return err
	}
	done, err := s.db.GeneratedPeriods(ctx)
	if err != nil {
		return err
	}
	settings := map[int64]store.InvoiceSettings{}
	var batch []store.Generation
	var made []store.Invoice
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		m, err := s.db.SaveGenerations(ctx, batch, store.AuditEntry{Action: "invoice.generated", Details: "daily job"})
		made = append(made, m...)
		batch = batch[:0]
		return err
	}
	var failed []error
	for _, l := range licenses {
		var due []invoice.Period
		for _, p := range duePeriods(l, today) {
			if !done[store.GenerationKey{LicenseID: l.ID, Kind: p.Kind, PeriodKey: p.Key}] {
				due = append(due, p)
			}
		}
		if len(due) == 0 {
			continue
		}
		st, ok := settings[l.DistributorID]
		if !ok {
			if st, err = s.db.InvoiceSettings(ctx, l.DistributorID); err != nil {
				return err
			}
			settings[l.DistributorID] = st
		}
		gens, err := s.periodDrafts(ctx, l, due, st)
		if err != nil {
			// One broken license must not hold back every other: it is tried again tomorrow.
			failed = append(failed, fmt.Errorf("license %d: %w", l.ID, err))
			continue
		}
		for _, g := range gens {
			if g.Invoice == nil && g.Kind == invoice.KindUsage && today.Before(parseDay(g.PeriodTo).AddDays(lateUsageDays)) {
				continue // not done yet: late samples may still come
			}
			batch = append(batch, g.Generation)
		}
		if len(batch) >= generationBatch {
			if err := flush(); err != nil {
				return err
			}
		}
	}
	if err := flush(); err != nil {
		return err
	}
	if len(made) > 0 {
		s.log.Info("generated invoice drafts", "count", len(made))
	}
	for _, inv := range made {
		if !settings[inv.IssuerID].AutoIssue {
			continue
		}
		if _, err := s.issueInvoice(ctx, inv.ID, store.Actor{}); err != nil {
			failed = append(failed, fmt.Errorf("auto-issue of invoice %d: %w", inv.ID, err))
		}
	}
	return errors.Join(failed...)
}

// duePeriods are the usage and prepaid periods the daily job owes a license today.
func duePeriods(l store.License, today billing.Date) []invoice.Period {
	start, end, created := parseDay(l.StartDate), parseDay(l.EndDate), billing.DateOf(l.CreatedAt)
	return append(invoice.DueUsagePeriods(l.Terms.InvoicingPeriod, start, end, created, today),
		invoice.DuePrepaidPeriods(l.Terms.PaymentPeriod, start, end, created, today)...)
}

// periodGeneration is a period priced: its generation (with its draft, or nil when it has nothing
// to invoice) and its last day.
type periodGeneration struct {
	store.Generation
	PeriodTo string
}

// periodDrafts prices the periods of a license.
func (s *Server) periodDrafts(ctx context.Context, l store.License, periods []invoice.Period, st store.InvoiceSettings) ([]periodGeneration, error) {
	contract, err := s.contractOf(ctx, l)
	if err != nil {
		return nil, err
	}
	gens := make([]periodGeneration, 0, len(periods))
	for _, p := range periods {
		inv, err := s.periodDraft(ctx, l, contract, p, st)
		if err != nil {
			return nil, err
		}
		gens = append(gens, periodGeneration{store.Generation{GenerationKey: store.GenerationKey{LicenseID: l.ID, Kind: p.Kind,
			PeriodKey: p.Key}, Invoice: inv}, p.To.String()})
	}
	return gens, nil
}

// periodDraft is the draft of a license's period, or nil when it would have no line. A usage line
// is exactly the month's extra_cost of the estimate (estimateMonth, the cost page's own); a prepaid
// line is billing.PrepaidCost over the period, rounded once. Lines are 1 × the amount, in words.
func (s *Server) periodDraft(ctx context.Context, l store.License, contract billing.Contract, p invoice.Period, st store.InvoiceSettings) (*store.Invoice, error) {
	var lines []invoice.Line
	switch p.Kind {
	case invoice.KindUsage:
		for _, m := range p.Months() {
			est, err := s.estimateMonth(ctx, l, contract, m)
			if err != nil {
				return nil, err
			}
			if est.ExtraCost.Sign() == 0 {
				continue
			}
			price, ok := est.ExtraCost.Money()
			if !ok {
				return nil, amountTooLarge(fmt.Sprintf("The extra cost of %s (%s %s)", m, est.ExtraCost, est.ExtraCost.Currency))
			}
			var coreDays int64
			for _, d := range est.Days {
				if d.InContract {
					coreDays += d.ExtraCores
				}
			}
			lines = append(lines, invoice.Line{Description: invoice.UsageLineDescription(m, coreDays), Quantity: invoice.One,
				UnitPrice: price, Month: m, ExtraCoreDays: coreDays})
		}
	case invoice.KindPrepaid:
		cost, err := billing.PrepaidCost(contract, p.From, p.To)
		if errors.Is(err, billing.ErrTooLarge) {
			return nil, amountTooLarge(fmt.Sprintf("The prepaid cost from %s to %s", p.From, p.To))
		} else if err != nil {
			return nil, err
		}
		terms, err := contract.TermsOn(p.From)
		if err != nil {
			return nil, err
		}
		if cost.Minor != 0 {
			lines = append(lines, invoice.Line{Description: invoice.PrepaidLineDescription(p, terms.PrepaidCores),
				Quantity: invoice.One, UnitPrice: cost})
		}
	}
	if len(lines) == 0 {
		return nil, nil
	}
	inv := &store.Invoice{IssuerID: l.DistributorID, OrgID: l.OrgID, LicenseID: l.ID, Kind: p.Kind, Currency: string(contract.Currency),
		TaxRate: st.TaxRate, PeriodKey: p.Key, PeriodFrom: p.From.String(), PeriodTo: p.To.String()}
	if err := priceInvoice(inv, lines); err != nil {
		return nil, err
	}
	return inv, nil
}

// amountTooLarge refuses to invoice an amount beyond what an invoice holds (int64 minor units,
// some 92 quadrillion euros): the estimate shows it, but no invoice line can carry it.
func amountTooLarge(what string) *Error {
	return &Error{Status: http.StatusConflict, Code: "AMOUNT_TOO_LARGE",
		Message: what + " is beyond what an invoice can hold: invoice it by hand, in parts."}
}

var errNothingToInvoice = &Error{Status: http.StatusConflict, Code: "NOTHING_TO_INVOICE",
	Message: "This period has nothing to invoice: no extra cost (usage), or no prepaid cores or days under contract (prepaid)."}

// alreadyInvoiced refuses a second live invoice of a period, naming the one there is.
func alreadyInvoiced(number string) *Error {
	what := "a draft"
	if number != "" {
		what = "invoice " + number
	}
	return &Error{Status: http.StatusConflict, Code: "ALREADY_INVOICED",
		Message: fmt.Sprintf("This period is already invoiced (%s): void it to invoice the period again.", what)}
}

// requestPeriodInvoice makes the generated draft of the period holding month m (its half-year for
// semiannual usage, its contract year for annual prepaid), as the daily job would, for periods it
// does not make by itself: those before the license was created. Usage is invoiced once its
// period is over; prepaid periods may be invoiced in advance.
func (s *Server) requestPeriodInvoice(ctx context.Context, l store.License, kind string, m billing.Month, by store.Actor) (store.Invoice, error) {
	if l.OrgID == 0 {
		return store.Invoice{}, &Error{Status: http.StatusConflict, Code: "NOTHING_TO_INVOICE",
			Message: "This license is not assigned to a client yet: there is nobody to invoice."}
	}
	var p invoice.Period
	switch kind {
	case invoice.KindUsage:
		p = invoice.UsagePeriodOf(l.Terms.InvoicingPeriod, m)
		if !p.To.Before(s.today()) {
			return store.Invoice{}, badInput("month", "The usage of %s is invoiced once the period is over, after %s.",
				invoice.DescribePeriod(p.From, p.To), p.To)
		}
	case invoice.KindPrepaid:
		var ok bool
		if p, ok = invoice.PrepaidPeriodOf(l.Terms.PaymentPeriod, parseDay(l.StartDate), parseDay(l.EndDate), m); !ok {
			return store.Invoice{}, errNothingToInvoice
		}
	default:
		return store.Invoice{}, badInput("kind", "Choose usage (the extra cores of a period) or prepaid (the prepaid cores).")
	}
	if inv, err := s.db.FindGeneratedInvoice(ctx, l.ID, p.Kind, p.Key); err == nil {
		return store.Invoice{}, alreadyInvoiced(inv.Number)
	} else if !errors.Is(err, store.ErrNotFound) {
		return store.Invoice{}, err
	}
	st, err := s.db.InvoiceSettings(ctx, l.DistributorID)
	if err != nil {
		return store.Invoice{}, err
	}
	gens, err := s.periodDrafts(ctx, l, []invoice.Period{p}, st)
	if err != nil {
		return store.Invoice{}, err
	}
	inv := gens[0].Invoice
	if inv == nil {
		return store.Invoice{}, errNothingToInvoice
	}
	inv.CreatedBy = by.UserID
	err = s.db.CreateGeneratedInvoice(ctx, inv, store.AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, IP: by.IP, OrgID: inv.OrgID,
		Action: "invoice.generated", Details: fmt.Sprintf("%s of license %d, %s", kind, l.ID, invoice.DescribePeriod(p.From, p.To))})
	if errors.Is(err, store.ErrConflict) {
		return store.Invoice{}, alreadyInvoiced("")
	} else if err != nil {
		return store.Invoice{}, err
	}
	return s.db.FindInvoice(ctx, inv.ID)
}
