package billing

import (
	"cmp"
	"fmt"
	"math/big"
	"slices"
	"time"
)

// SetupUsage is what billing needs of a setup: who it is, when its first sample ever arrived (the
// tie-break for the prepaid cores) and its cores per day as DailyCores computes them.
type SetupUsage struct {
	ID          int64
	Name        string
	FirstSample time.Time
	Days        map[Date]DayCores
}

// Estimate is a license's cost for a month, with the per-day breakdown a page draws and an invoice lists.
type Estimate struct {
	Month          Month
	Currency       Currency
	PrepaidCores   int64  // in force on the month's last day
	PrepaidCost    Amount // the whole month, even when it is not over
	ExtraCost      Amount // so far, when the month is not over
	Total          Amount // PrepaidCost + ExtraCost
	Complete       bool   // the month is over: nothing will change
	ProjectedExtra Amount // equals ExtraCost when the month is complete
	ProjectedTotal Amount // PrepaidCost + ProjectedExtra
	Days           []DayCost
}

// DayCost is one day of the month; days outside the contract show their cores but cost nothing,
// and days after today are empty.
type DayCost struct {
	Date       Date
	InContract bool // from the start date to the day before the end date: only these days are billed
	ExtraCores int64
	ExtraCost  Amount     // rounded for display only: the month's extra cost is rounded once, from exact days
	Setups     []SetupDay // the setup holding the prepaid cores first
}

// SetupDay is one setup's share of a day: its billed cores, those the prepaid plan covers, and the extra.
type SetupDay struct {
	ID          int64
	Name        string
	BilledCores int64
	Prepaid     int64 // min(billed, P) for the day's prepaid setup, 0 for the others
	Extra       int64 // BilledCores − Prepaid
}

// EstimateMonth prices a month of a license (DESIGN §5.3–5.7). today is the caller's current UTC day:
// a month that ends before today is complete; otherwise the total is the whole month's prepaid cost
// plus the extra cost up to today, and the projection adds to the extra cost of the complete days
// (before today) the mean daily extra of the last 7 of them times the days left, today included.
// Projections count billed days only, so days before the start or after the end weigh nothing.
// Amounts are exact whatever their size: only a contract that Validate refuses is an error.
func EstimateMonth(c Contract, setups []SetupUsage, m Month, today Date) (Estimate, error) {
	sched, err := c.schedule()
	if err != nil {
		return Estimate{}, err
	}
	est := Estimate{
		Month:        m,
		Currency:     c.Currency,
		PrepaidCores: sched.on(m.Last()).PrepaidCores,
		Complete:     m.Last().Before(today),
	}
	prepaid, extra := new(big.Int), new(big.Int)
	var completeDays []*big.Int // the extra of each complete billed day, in date order
	var daysLeft int64          // billed days from today to the month's end
	for date := range m.dates() {
		terms := sched.on(date)
		day := DayCost{Date: date, InContract: c.bills(date), ExtraCost: amountOf(nil, c.Currency)}
		if day.InContract {
			prepaid.Add(prepaid, prepaidNumerator(terms.PrepaidCores, terms))
			if !date.Before(today) {
				daysLeft++
			}
		}
		if date.After(today) {
			est.Days = append(est.Days, day)
			continue
		}
		if day.Setups, err = rankSetups(setups, date); err != nil {
			return Estimate{}, err
		}
		if day.InContract {
			day.ExtraCores = sharePrepaid(day.Setups, terms.PrepaidCores)
			num := extraNumerator(day.ExtraCores, terms)
			extra.Add(extra, num)
			day.ExtraCost = amount(num, extraDenominator(m), c.Currency)
			if date.Before(today) {
				completeDays = append(completeDays, num)
			}
		}
		est.Days = append(est.Days, day)
	}
	est.PrepaidCost = amount(prepaid, big.NewInt(int64(m.Days())), c.Currency)
	est.ExtraCost = amount(extra, extraDenominator(m), c.Currency)
	projNum, projDen := projectExtra(completeDays, daysLeft, extraDenominator(m))
	est.ProjectedExtra = amount(projNum, projDen, c.Currency)
	est.Total = est.PrepaidCost.plus(est.ExtraCost)
	est.ProjectedTotal = est.PrepaidCost.plus(est.ProjectedExtra)
	return est, nil
}

// projectExtra returns the projected extra as a fraction: the complete days' extra plus the mean of
// the last 7 of them (fewer if fewer, none: 0) times the days left; den is the days' common denominator.
func projectExtra(completeDays []*big.Int, daysLeft int64, den *big.Int) (num, projDen *big.Int) {
	k := min(7, len(completeDays))
	if k == 0 {
		return new(big.Int), den
	}
	all, last := new(big.Int), new(big.Int)
	for i, d := range completeDays {
		all.Add(all, d)
		if i >= len(completeDays)-k {
			last.Add(last, d)
		}
	}
	num = all.Mul(all, big.NewInt(int64(k)))
	num.Add(num, last.Mul(last, big.NewInt(daysLeft)))
	return num, new(big.Int).Mul(den, big.NewInt(int64(k)))
}

// rankSetups returns the setups with cores on a day, the one that takes the prepaid cores first: the
// most billed cores, then the earliest first sample ever received, then the smaller setup id.
func rankSetups(setups []SetupUsage, d Date) ([]SetupDay, error) {
	var ranked []int
	for i, s := range setups {
		if day, ok := s.Days[d]; ok {
			if day.Billed < 0 {
				return nil, fmt.Errorf("setup %q has negative billed cores on %s", s.Name, d)
			}
			ranked = append(ranked, i)
		}
	}
	slices.SortFunc(ranked, func(a, b int) int {
		sa, sb := &setups[a], &setups[b]
		if c := cmp.Compare(sb.Days[d].Billed, sa.Days[d].Billed); c != 0 {
			return c
		}
		if c := sa.FirstSample.Compare(sb.FirstSample); c != 0 {
			return c
		}
		return cmp.Compare(sa.ID, sb.ID)
	})
	out := make([]SetupDay, len(ranked))
	for i, j := range ranked {
		s := &setups[j]
		out[i] = SetupDay{ID: s.ID, Name: s.Name, BilledCores: s.Days[d].Billed}
	}
	return out, nil
}

// sharePrepaid gives the prepaid cores p to the first (top) of the ranked setups and returns the day's
// extra cores E = max(0, B_top − P) + Σ B_other.
func sharePrepaid(ranked []SetupDay, p int64) int64 {
	var e int64
	for i := range ranked {
		ranked[i].Prepaid = 0
		if i == 0 {
			ranked[i].Prepaid = min(ranked[i].BilledCores, p)
		}
		ranked[i].Extra = ranked[i].BilledCores - ranked[i].Prepaid
		e = satAdd(e, ranked[i].Extra)
	}
	return e
}

// prepaidNumerator is a billed day's prepaid cost P · price / days_in_month, times days_in_month.
func prepaidNumerator(p int64, t Terms) *big.Int {
	return new(big.Int).Mul(big.NewInt(p), big.NewInt(t.PrepaidPrice.Minor))
}

// extraNumerator is a day's escalating extra cost x · (E + f·E·(E−1)/2) / days_in_month, times
// 2·10⁶·days_in_month so that it is an integer whatever E: with f = F/10⁶ it is x · (2·10⁶·E + F·E·(E−1)).
func extraNumerator(e int64, t Terms) *big.Int {
	if e <= 0 {
		return new(big.Int)
	}
	bigE := big.NewInt(e)
	esc := new(big.Int).Mul(bigE, big.NewInt(e-1))
	esc.Mul(esc, big.NewInt(t.Escalation.millionths))
	lin := new(big.Int).Mul(bigE, big.NewInt(2*factorScale))
	esc.Add(esc, lin)
	return esc.Mul(esc, big.NewInt(t.ExtraPrice.Minor))
}

// extraDenominator is what extraNumerator multiplied a day's extra cost by.
func extraDenominator(m Month) *big.Int { return big.NewInt(2 * factorScale * int64(m.Days())) }

// amount rounds num/den minor units half away from zero into money.
func amount(num, den *big.Int, c Currency) Amount { return amountOf(roundHalfAway(num, den), c) }
