package billing

import (
	"errors"
	"fmt"
	"math/big"
)

// RightSizingMonths is how many complete months right-sizing looks back on (DESIGN §5.8).
const RightSizingMonths = 3

// maxRightSizingCores bounds the right-sizing table, which has a row per prepaid core count up to
// the highest billed cores: beyond it the usage is absurd and the table useless.
const maxRightSizingCores = 10_000

// SizeCost is what the months would have cost with a given number of prepaid cores.
type SizeCost struct {
	PrepaidCores int64
	PrepaidCost  Money
	ExtraCost    Money
	Total        Money
}

// RightSizing compares prepaid core counts over complete months: the count that would have cost
// least and what it would have saved against the current one.
type RightSizing struct {
	Months  []Month
	Options []SizeCost // one per prepaid core count, from 0 to the highest billed cores seen
	Best    SizeCost   // the cheapest option; on a tie, the smaller count
	Current SizeCost   // the current count, priced the same way
	Saving  Money      // Current.Total − Best.Total, never negative
}

// RightSize prices the months (taken as complete) with every prepaid core count from 0 to the highest
// billed cores seen on their billed days, each month rounded as its invoice would be and the months
// summed; every term keeps its prices and only its prepaid cores change.
func RightSize(c Contract, setups []SetupUsage, months []Month, current int64) (RightSizing, error) {
	sched, err := c.schedule()
	if err != nil {
		return RightSizing{}, err
	}
	if current < 0 {
		return RightSizing{}, errors.New("the current prepaid cores are negative")
	}
	var usage []monthUsage
	var highest int64
	for _, m := range months {
		mu := monthUsage{month: m}
		for date := range m.dates() {
			if !c.bills(date) {
				continue
			}
			ranked, err := rankSetups(setups, date)
			if err != nil {
				return RightSizing{}, err
			}
			if len(ranked) > 0 {
				highest = max(highest, ranked[0].BilledCores)
			}
			mu.days = append(mu.days, dayUsage{terms: sched.on(date), setups: ranked})
		}
		usage = append(usage, mu)
	}
	if highest > maxRightSizingCores {
		return RightSizing{}, fmt.Errorf("right-sizing stops at %d prepaid cores; a setup billed %d", maxRightSizingCores, highest)
	}
	rs := RightSizing{Months: months}
	for p := range highest + 1 {
		opt, err := priceMonths(usage, p, c.Currency)
		if err != nil {
			return RightSizing{}, err
		}
		rs.Options = append(rs.Options, opt)
		if p == 0 || opt.Total.Minor < rs.Best.Total.Minor {
			rs.Best = opt
		}
	}
	if rs.Current, err = priceMonths(usage, current, c.Currency); err != nil {
		return RightSizing{}, err
	}
	rs.Saving = Money{rs.Current.Total.Minor - rs.Best.Total.Minor, c.Currency}
	return rs, nil
}

// monthUsage is a month's billed days reduced to what their cost depends on.
type monthUsage struct {
	month Month
	days  []dayUsage
}

type dayUsage struct {
	terms  Terms
	setups []SetupDay // ranked for the prepaid cores
}

// priceMonths returns what the months cost with p prepaid cores, each month's prepaid and extra cost rounded once.
func priceMonths(usage []monthUsage, p int64, cur Currency) (SizeCost, error) {
	opt := SizeCost{PrepaidCores: p, PrepaidCost: Money{0, cur}, ExtraCost: Money{0, cur}, Total: Money{0, cur}}
	for _, mu := range usage {
		prepaid, extra := new(big.Int), new(big.Int)
		for _, d := range mu.days {
			prepaid.Add(prepaid, prepaidNumerator(p, d.terms))
			extra.Add(extra, extraNumerator(sharePrepaid(d.setups, p), d.terms))
		}
		pm, err := amount(prepaid, big.NewInt(int64(mu.month.Days())), cur)
		if err == nil {
			opt.PrepaidCost, err = opt.PrepaidCost.add(pm)
		}
		if err != nil {
			return SizeCost{}, fmt.Errorf("the prepaid cost of %s with %d cores: %w", mu.month, p, err)
		}
		em, err := amount(extra, extraDenominator(mu.month), cur)
		if err == nil {
			opt.ExtraCost, err = opt.ExtraCost.add(em)
		}
		if err != nil {
			return SizeCost{}, fmt.Errorf("the extra cost of %s with %d cores: %w", mu.month, p, err)
		}
	}
	total, err := opt.PrepaidCost.add(opt.ExtraCost)
	if err != nil {
		return SizeCost{}, fmt.Errorf("the total with %d cores: %w", p, err)
	}
	opt.Total = total
	return opt, nil
}
