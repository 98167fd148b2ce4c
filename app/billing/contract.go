package billing

import (
	"errors"
	"fmt"
	"slices"
)

// Terms are a license's prices from a day on; prices are per core per month, whatever the payment form.
type Terms struct {
	From         Date // first day in force: the day after the edit that set them
	PrepaidCores int64
	PrepaidPrice Money
	ExtraPrice   Money
	Escalation   Factor
}

// Contract is what billing needs of a license: its currency, its billed period and its terms over time.
type Contract struct {
	Currency Currency
	Start    Date // first billed day; the zero Date means not started, so nothing is billed
	End      Date // first day no longer billed (exclusive); the zero Date means no end yet
	// Terms in force over time: each day uses the terms with the latest From on or before it
	// (the later one of equal Froms), and days before every From use the earliest terms, which
	// are the license's initial terms whatever day they were entered.
	Terms []Terms
}

// Validate reports what makes the contract unusable for billing: no terms, an unknown currency, a
// price in another currency, negative cores, prices or factor, or an end before the start.
func (c Contract) Validate() error {
	if _, err := ParseCurrency(string(c.Currency)); err != nil {
		return err
	}
	if len(c.Terms) == 0 {
		return errors.New("the license has no terms")
	}
	if !c.Start.IsZero() && !c.End.IsZero() && c.End.Before(c.Start) {
		return fmt.Errorf("the end date %s is before the start date %s", c.End, c.Start)
	}
	for _, t := range c.Terms {
		which := "the initial terms"
		if !t.From.IsZero() {
			which = "the terms from " + t.From.String()
		}
		switch {
		case t.PrepaidPrice.Currency != c.Currency || t.ExtraPrice.Currency != c.Currency:
			return fmt.Errorf("%s are not priced in %s", which, c.Currency)
		case t.PrepaidCores < 0:
			return fmt.Errorf("%s have negative prepaid cores", which)
		case t.PrepaidPrice.Minor < 0 || t.ExtraPrice.Minor < 0:
			return fmt.Errorf("%s have a negative price", which)
		case t.Escalation.millionths < 0:
			return fmt.Errorf("%s have a negative escalation factor", which)
		}
	}
	return nil
}

// bills reports whether the day is billed: from the start date up to the day before the end date.
func (c Contract) bills(d Date) bool {
	return !c.Start.IsZero() && !d.Before(c.Start) && (c.End.IsZero() || d.Before(c.End))
}

// schedule is a contract's terms ordered by the day they take effect.
type schedule []Terms

func (c Contract) schedule() (schedule, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	s := slices.Clone(c.Terms)
	slices.SortStableFunc(s, func(a, b Terms) int { return a.From.Compare(b.From) })
	return s, nil
}

// on returns the terms in force on a day.
func (s schedule) on(d Date) Terms {
	for i := len(s) - 1; i > 0; i-- {
		if !d.Before(s[i].From) {
			return s[i]
		}
	}
	return s[0]
}
