package billing

import (
	"errors"
	"fmt"
	"math/big"
)

// The exported arithmetic below lets invoices (app/invoice) follow the same rules of money as the
// estimate: one parser of decimals, one rounding (half away from zero), no float64.

// ParseDecimal reads a non-negative decimal such as "2.5" as a count of 10^-digits units (25000 with
// 4 digits), refusing signs, exponents, grouping and more fraction digits than digits.
func ParseDecimal(s string, digits int) (int64, error) { return parseDecimal(s, digits) }

// FormatDecimal writes a count of 10^-digits units as a decimal with exactly that many fraction digits.
func FormatDecimal(v int64, digits int) string { return formatUnits(v, digits) }

// Add returns m + n; both must be of one currency, and the sum must fit.
func (m Money) Add(n Money) (Money, error) {
	if m.Currency != n.Currency {
		return Money{}, fmt.Errorf("cannot add %s to %s", n.Currency, m.Currency)
	}
	return m.add(n)
}

// Neg returns −m.
func (m Money) Neg() Money { return Money{-m.Minor, m.Currency} }

// Scale returns m × num / den rounded half away from zero to the currency's minor unit, the one
// rounding money ever gets: a line's quantity × unit price, a subtotal's tax. den must be positive.
func (m Money) Scale(num, den int64) (Money, error) {
	if den <= 0 {
		return Money{}, errors.New("scale by a non-positive denominator")
	}
	n := new(big.Int).Mul(big.NewInt(m.Minor), big.NewInt(num))
	return moneyOf(n, big.NewInt(den), m.Currency)
}

// PrepaidCost is the prepaid cost of the billed days from one day to another, both included: the
// sum over those days of §5.6's daily P · prepaid price / days in that day's month, rounded once.
// For a whole calendar month it equals EstimateMonth's PrepaidCost; for a contract year it is what
// an annual prepaid invoice charges.
func PrepaidCost(c Contract, from, to Date) (Money, error) {
	sched, err := c.schedule()
	if err != nil {
		return Money{}, err
	}
	sum := new(big.Rat)
	for m := MonthOf(from); !to.Before(m.First()); m = m.AddMonths(1) {
		num := new(big.Int)
		for d := range m.dates() {
			if d.Before(from) || d.After(to) || !c.bills(d) {
				continue
			}
			t := sched.on(d)
			num.Add(num, prepaidNumerator(t.PrepaidCores, t))
		}
		sum.Add(sum, new(big.Rat).SetFrac(num, big.NewInt(int64(m.Days()))))
	}
	cost, err := moneyOf(sum.Num(), sum.Denom(), c.Currency)
	if err != nil {
		return Money{}, fmt.Errorf("the prepaid cost from %s to %s: %w", from, to, err)
	}
	return cost, nil
}

// TermsOn returns the terms in force on a day, as the estimate applies them.
func (c Contract) TermsOn(d Date) (Terms, error) {
	sched, err := c.schedule()
	if err != nil {
		return Terms{}, err
	}
	return sched.on(d), nil
}
