package invoice

import (
	"fmt"
	"time"

	"keyward/app/billing"
)

// A license's invoicing period (for extra usage) and payment period (for prepaid cores).
const (
	InvoicingMonthly    = "monthly"
	InvoicingSemiannual = "semiannual"
	PaymentMonthly      = "monthly"
	PaymentAnnual       = "annual"
)

// Period is what a generated invoice covers. A license has at most one live invoice per kind and
// Key, which is how the daily job stays idempotent.
type Period struct {
	Kind string       // KindUsage or KindPrepaid
	Key  string       // "2026-11" (a month), "2026-H2" (a half-year), "2026-11-15" (the first day of a contract year)
	From billing.Date // first day, included
	To   billing.Date // last day, included
}

// Months lists the calendar months the period touches, in order: the lines of a usage invoice.
func (p Period) Months() []billing.Month {
	var ms []billing.Month
	for m := billing.MonthOf(p.From); !p.To.Before(m.First()); m = m.AddMonths(1) {
		ms = append(ms, m)
	}
	return ms
}

// UsagePeriodOf is the usage period holding month m: the month itself for licenses invoiced
// monthly, its half-year (January–June, July–December) for semiannual ones.
func UsagePeriodOf(invoicing string, m billing.Month) Period {
	if invoicing == InvoicingSemiannual {
		half, first := 1, time.January
		if m.Month > time.June {
			half, first = 2, time.July
		}
		start := billing.Month{Year: m.Year, Month: first}
		return Period{Kind: KindUsage, Key: fmt.Sprintf("%04d-H%d", m.Year, half), From: start.First(), To: start.AddMonths(5).Last()}
	}
	return Period{Kind: KindUsage, Key: m.String(), From: m.First(), To: m.Last()}
}

// PrepaidPeriodOf is the prepaid period holding month m for a contract from start to end
// (exclusive; zero: open): for monthly payment the month's days within the contract; for annual
// payment the contract year starting in m, or else the one holding m's first day under contract.
// ok is false when the month has no day under contract.
func PrepaidPeriodOf(payment string, start, end billing.Date, m billing.Month) (p Period, ok bool) {
	from, to, ok := clip(m.First(), m.Last(), start, end)
	if !ok {
		return Period{}, false
	}
	if payment != PaymentAnnual {
		return Period{Kind: KindPrepaid, Key: m.String(), From: from, To: to}, true
	}
	years := 0
	for k := max(0, m.Year-start.Year-1); ; k++ {
		yearStart := addYears(start, k)
		if yearStart.After(m.Last()) {
			break
		}
		if !yearStart.After(from) || billing.MonthOf(yearStart) == m {
			years = k
		}
	}
	yearFrom := addYears(start, years)
	yearTo := addYears(start, years+1).AddDays(-1)
	if yf, yt, ok := clip(yearFrom, yearTo, start, end); ok {
		return Period{Kind: KindPrepaid, Key: yearFrom.String(), From: yf, To: yt}, true
	}
	return Period{}, false
}

// addYears moves a day by whole years as license end dates do: 29 February + 1 year is 1 March.
func addYears(d billing.Date, n int) billing.Date { return billing.NewDate(d.Year+n, d.Month, d.Day) }

// clip narrows the days from..to to a contract from start to end (exclusive; zero: open).
func clip(from, to, start, end billing.Date) (billing.Date, billing.Date, bool) {
	if start.IsZero() {
		return from, to, false
	}
	if from.Before(start) {
		from = start
	}
	if !end.IsZero() && !to.Before(end) {
		to = end.AddDays(-1)
	}
	return from, to, !to.Before(from)
}

// DueUsagePeriods lists the usage periods the daily job owes a license on day today: those over
// (their last day before today), ending on or after the day the license was created (older ones
// are invoiced on request), and with days under contract.
func DueUsagePeriods(invoicing string, start, end, created, today billing.Date) []Period {
	var out []Period
	seen := map[string]bool{}
	for m := range monthsBetween(start, end, created, today) {
		p := UsagePeriodOf(invoicing, m)
		if seen[p.Key] || !p.To.Before(today) || p.To.Before(created) {
			continue
		}
		if _, _, ok := clip(p.From, p.To, start, end); ok {
			seen[p.Key] = true
			out = append(out, p)
		}
	}
	return out
}

// DuePrepaidPeriods lists the prepaid periods the daily job owes a license on day today: those
// begun (their first day under contract on or before today) on or after the day the license was
// created (older ones are invoiced on request).
func DuePrepaidPeriods(payment string, start, end, created, today billing.Date) []Period {
	var out []Period
	seen := map[string]bool{}
	for m := range monthsBetween(start, end, created, today) {
		p, ok := PrepaidPeriodOf(payment, start, end, m)
		if !ok || seen[p.Key] || p.From.After(today) || p.From.Before(created) {
			continue
		}
		seen[p.Key] = true
		out = append(out, p)
	}
	return out
}

// monthsBetween yields the months from the later of the contract's start and the creation day up
// to today's month, and not past the contract's end.
func monthsBetween(start, end, created, today billing.Date) func(func(billing.Month) bool) {
	return func(yield func(billing.Month) bool) {
		if start.IsZero() {
			return
		}
		first := start
		if created.After(first) {
			first = created
		}
		last := billing.MonthOf(today)
		if !end.IsZero() && billing.MonthOf(end.AddDays(-1)).First().Before(last.First()) {
			last = billing.MonthOf(end.AddDays(-1))
		}
		for m := billing.MonthOf(first); !last.First().Before(m.First()); m = m.AddMonths(1) {
			if !yield(m) {
				return
			}
		}
	}
}

// UsageLineDescription describes a usage line in words: "Extra cores, November 2026: 42 extra core-days".
func UsageLineDescription(m billing.Month, extraCoreDays int64) string {
	unit := "extra core-days"
	if extraCoreDays == 1 {
		unit = "extra core-day"
	}
	return fmt.Sprintf("Extra cores, %s %d: %d %s", m.Month, m.Year, extraCoreDays, unit)
}

// PrepaidLineDescription describes a prepaid line in words: "Prepaid cores, December 2026: 5 cores",
// with the days when the period is not a whole month ("Prepaid cores, 15 November 2026 – 14 November
// 2027: 5 cores").
func PrepaidLineDescription(p Period, cores int64) string {
	unit := "cores"
	if cores == 1 {
		unit = "core"
	}
	return fmt.Sprintf("Prepaid cores, %s: %d %s", DescribePeriod(p.From, p.To), cores, unit)
}

// DescribePeriod writes the days from..to in words: "November 2026" for a whole month, "July –
// December 2026" for whole months of one year, "15 – 30 November 2026", "15 November 2026 – 14
// November 2027".
func DescribePeriod(from, to billing.Date) string {
	fm, tm := billing.MonthOf(from), billing.MonthOf(to)
	wholeMonths := from == fm.First() && to == tm.Last()
	switch {
	case wholeMonths && fm == tm:
		return fmt.Sprintf("%s %d", fm.Month, fm.Year)
	case wholeMonths && fm.Year == tm.Year:
		return fmt.Sprintf("%s – %s %d", fm.Month, tm.Month, tm.Year)
	case fm == tm:
		return fmt.Sprintf("%d – %d %s %d", from.Day, to.Day, tm.Month, tm.Year)
	}
	return fmt.Sprintf("%d %s %d – %d %s %d", from.Day, from.Month, from.Year, to.Day, to.Month, to.Year)
}
