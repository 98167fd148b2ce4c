package billing

import (
	"errors"
	"math/big"
	"slices"
	"sort"
)

// RightSizingMonths is how many complete months right-sizing looks back on (DESIGN §5.8).
const RightSizingMonths = 3

const (
	// maxRightSizingRows is how many prepaid core counts the table lists one by one; beyond, it
	// lists the ends, the cheapest and the current count with their neighbours.
	maxRightSizingRows = 100
	// maxRightSizingScan is how many counts are priced one by one, rounded as invoices are, to
	// find the cheapest. Beyond, the cheapest is sought where the exact cost (which is convex)
	// lies within the rounding's reach of its minimum, among the counts nearest that minimum.
	maxRightSizingScan = 50_000
)

// SizeCost is what the months would have cost with a given number of prepaid cores.
type SizeCost struct {
	PrepaidCores int64
	PrepaidCost  Amount
	ExtraCost    Amount
	Total        Amount
}

// RightSizing compares prepaid core counts over complete months: the count that would have cost
// least and what it would have saved against the current one.
type RightSizing struct {
	Months   []Month
	Compared int64      // how many counts were compared: 0 to the highest billed cores seen
	Options  []SizeCost // every count compared, or a selection of them when there are many
	Best     SizeCost   // the cheapest option; on a tie, the smaller count
	Current  SizeCost   // the current count, priced the same way
	Saving   Amount     // Current.Total − Best.Total, never negative
	// BilledDays counts the months' days within the contract: none, and there is nothing to
	// compare (a license that has not started costs nothing with any count).
	BilledDays int
}

// Recommends tells whether the cheapest count is worth a change of contract: the months had
// billed days, and the saving is at least 1% of what they cost with the current count and at
// least one whole unit of the currency (1.00 EUR, 1 JPY) a month on average. A smaller saving is
// noise against the next months' usage, not advice (0.81 EUR over three months is not).
func (rs RightSizing) Recommends() bool {
	if rs.BilledDays == 0 || rs.Best.PrepaidCores == rs.Current.PrepaidCores || rs.Saving.Sign() <= 0 {
		return false
	}
	saving := rs.Saving.int()
	if new(big.Int).Mul(saving, big.NewInt(100)).Cmp(rs.Current.Total.int()) < 0 {
		return false
	}
	unit := new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(rs.Saving.Currency.Digits())), nil)
	return saving.Cmp(unit.Mul(unit, big.NewInt(int64(len(rs.Months))))) >= 0
}

// RightSize prices the months (taken as complete) with every prepaid core count from 0 to the highest
// billed cores seen on their billed days, each month rounded as its invoice would be and the months
// summed; every term keeps its prices and only its prepaid cores change. Usage of any size is priced.
func RightSize(c Contract, setups []SetupUsage, months []Month, current int64) (RightSizing, error) {
	return rightSize(c, setups, months, current, maxRightSizingScan)
}

func rightSize(c Contract, setups []SetupUsage, months []Month, current, scan int64) (RightSizing, error) {
	if current < 0 {
		return RightSizing{}, errors.New("the current prepaid cores are negative")
	}
	z, highest, err := newSizer(c, setups, months)
	if err != nil {
		return RightSizing{}, err
	}
	rs := RightSizing{Months: months, Compared: highest + 1, BilledDays: z.billedDays}
	lo, hi := int64(0), highest
	if highest >= scan {
		lo, hi = z.candidates(highest, scan)
	}
	rs.Best = z.price(lo)
	for p := lo + 1; p <= hi; p++ {
		if opt := z.price(p); opt.Total.Cmp(rs.Best.Total) < 0 {
			rs.Best = opt
		}
	}
	rs.Current = z.price(current)
	rs.Saving = rs.Current.Total.minus(rs.Best.Total)
	rows := []int64{0, highest, rs.Best.PrepaidCores - 1, rs.Best.PrepaidCores, rs.Best.PrepaidCores + 1,
		current - 1, current, current + 1}
	if highest < maxRightSizingRows {
		rows = rows[:0]
		for p := range highest + 1 {
			rows = append(rows, p)
		}
	}
	slices.Sort(rows)
	for _, p := range slices.Compact(rows) {
		if p >= 0 && p <= highest {
			rs.Options = append(rs.Options, z.price(p))
		}
	}
	return rs, nil
}

// newSizer reduces the months' billed days to what their cost depends on, and finds the highest
// billed cores of a setup on one of them.
func newSizer(c Contract, setups []SetupUsage, months []Month) (z sizer, highest int64, err error) {
	sched, err := c.schedule()
	if err != nil {
		return z, 0, err
	}
	z.currency = c.Currency
	for _, m := range months {
		var days []dayUsage
		for date := range m.dates() {
			if !c.bills(date) {
				continue
			}
			ranked, err := rankSetups(setups, date)
			if err != nil {
				return z, 0, err
			}
			if len(ranked) > 0 {
				highest = max(highest, ranked[0].BilledCores)
			}
			days = append(days, dayUsage{terms: sched.on(date), setups: ranked})
			z.billedDays++
		}
		z.months = append(z.months, newMonthSizer(m, days))
	}
	return z, highest, nil
}

type dayUsage struct {
	terms  Terms
	setups []SetupDay // ranked for the prepaid cores
}

// sizer prices prepaid core counts over months without going through every day for every count.
type sizer struct {
	currency   Currency
	months     []monthSizer
	billedDays int
}

// monthSizer is a month's billed days reduced to what their cost depends on. With p prepaid cores a
// day's extra cores are E = max(0, top − p) + others (DESIGN §5.4), so its extra cost, times
// 2·10⁶·days_in_month (extraNumerator), is a polynomial in p while p < top and a constant after:
// sums of those polynomials over the days sorted by top give any count's cost in a few operations.
type monthSizer struct {
	days    *big.Int   // days in the month: the prepaid cost's denominator
	extraD  *big.Int   // the extra cost's denominator
	prepaid *big.Int   // Σ over billed days of the prepaid price: the prepaid numerator per core
	tops    []int64    // each billed day's top billed cores, ascending
	a, b, c []*big.Int // a[i]·p² + b[i]·p + c[i]: the extra numerator of days i… (top > p)
	rest    []*big.Int // the extra numerator of days …i−1 (top ≤ p), which no longer depends on p
}

func newMonthSizer(m Month, days []dayUsage) monthSizer {
	ms := monthSizer{days: big.NewInt(int64(m.Days())), extraD: extraDenominator(m), prepaid: new(big.Int)}
	slices.SortFunc(days, func(x, y dayUsage) int { return compareInt64(top(x), top(y)) })
	n := len(days)
	ms.tops = make([]int64, n)
	ms.a, ms.b, ms.c, ms.rest = bigs(n+1), bigs(n+1), bigs(n+1), bigs(n+1)
	two := big.NewInt(2 * factorScale)
	for i, d := range days {
		ms.tops[i] = top(d)
		ms.prepaid.Add(ms.prepaid, big.NewInt(d.terms.PrepaidPrice.Minor))
		ms.rest[i+1].Add(ms.rest[i], extraNumerator(others(d), d.terms))
	}
	for i := n - 1; i >= 0; i-- {
		// x·(2·10⁶·E + F·E·(E−1)) with E = K − p, K = top + others:
		// x·F·p² + x·(F − 2·10⁶ − 2·F·K)·p + x·(2·10⁶·K + F·K² − F·K).
		d := days[i]
		x, f := big.NewInt(d.terms.ExtraPrice.Minor), big.NewInt(d.terms.Escalation.millionths)
		k := big.NewInt(satAdd(ms.tops[i], others(d)))
		fk := new(big.Int).Mul(f, k)
		a := new(big.Int).Mul(x, f)
		b := new(big.Int).Sub(f, two)
		b.Sub(b, fk).Sub(b, fk).Mul(b, x)
		c := new(big.Int).Mul(fk, k)
		c.Sub(c, fk).Add(c, new(big.Int).Mul(two, k)).Mul(c, x)
		ms.a[i].Add(ms.a[i+1], a)
		ms.b[i].Add(ms.b[i+1], b)
		ms.c[i].Add(ms.c[i+1], c)
	}
	return ms
}

func top(d dayUsage) int64 {
	if len(d.setups) == 0 {
		return 0
	}
	return d.setups[0].BilledCores
}

// others is a day's billed cores beyond its top setup: extra whatever the prepaid cores.
func others(d dayUsage) int64 {
	var e int64
	for _, s := range d.setups[min(1, len(d.setups)):] {
		e = satAdd(e, s.BilledCores)
	}
	return e
}

func bigs(n int) []*big.Int {
	out := make([]*big.Int, n)
	for i := range out {
		out[i] = new(big.Int)
	}
	return out
}

func compareInt64(x, y int64) int {
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// numerators are the month's prepaid cost times days_in_month and extra cost times extraD, exactly.
func (ms *monthSizer) numerators(p int64) (prepaid, extra *big.Int) {
	i := sort.Search(len(ms.tops), func(i int) bool { return ms.tops[i] > p })
	bp := big.NewInt(p)
	extra = new(big.Int).Mul(ms.a[i], bp)
	extra.Add(extra, ms.b[i]).Mul(extra, bp).Add(extra, ms.c[i]).Add(extra, ms.rest[i])
	return new(big.Int).Mul(ms.prepaid, bp), extra
}

// price is what the months cost with p prepaid cores, each month's prepaid and extra cost rounded once.
func (z *sizer) price(p int64) SizeCost {
	prepaid, extra := new(big.Int), new(big.Int)
	for i := range z.months {
		ms := &z.months[i]
		pn, en := ms.numerators(p)
		prepaid.Add(prepaid, roundHalfAway(pn, ms.days))
		extra.Add(extra, roundHalfAway(en, ms.extraD))
	}
	pc, ec := amountOf(prepaid, z.currency), amountOf(extra, z.currency)
	return SizeCost{PrepaidCores: p, PrepaidCost: pc, ExtraCost: ec, Total: pc.plus(ec)}
}

// exact is what the months cost with p prepaid cores before any rounding. Each day's cost is convex
// in p (its extra cores fall by one per prepaid core down to its other setups', and each extra core
// costs more than the one before), so exact is convex too.
func (z *sizer) exact(p int64) *big.Rat {
	total := new(big.Rat)
	for i := range z.months {
		ms := &z.months[i]
		pn, en := ms.numerators(p)
		total.Add(total, new(big.Rat).SetFrac(pn, ms.days))
		total.Add(total, new(big.Rat).SetFrac(en, ms.extraD))
	}
	return total
}

// candidates narrows the counts from 0 to highest down to those whose rounded total may be the
// cheapest: rounding moves each month's two amounts by at most half a minor unit, so only counts
// whose exact cost is within one minor unit per month of each side of the exact minimum qualify.
// They form an interval (the exact cost is convex), cut to scan counts around the minimum should
// it be wider, as it is when many counts cost the very same.
func (z *sizer) candidates(highest, scan int64) (lo, hi int64) {
	search := func(n int64, f func(int64) bool) int64 { // the first p in [0, n) with f(p), or n
		return int64(sort.Search(int(n), func(i int) bool { return f(int64(i)) }))
	}
	best := search(highest, func(p int64) bool { return z.exact(p+1).Cmp(z.exact(p)) >= 0 })
	bound := new(big.Rat).Add(z.exact(best), big.NewRat(int64(2*len(z.months)), 1))
	within := func(p int64) bool { return z.exact(p).Cmp(bound) <= 0 }
	lo = search(best, within)
	hi = best + search(highest-best+1, func(i int64) bool { return !within(best + i) }) - 1
	if hi-lo+1 > scan {
		lo = max(lo, best-scan/2)
		hi = min(hi, lo+scan-1)
	}
	return lo, hi
}
