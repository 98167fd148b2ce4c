package billing

import (
	"maps"
	"math/big"
	"strings"
	"time"
)

// Test data is written as the API would receive it; a typo in it is a bug in the test, hence the panics.

func date(s string) Date {
	if s == "" {
		return Date{}
	}
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

func month(s string) Month {
	m, err := ParseMonth(s)
	if err != nil {
		panic(err)
	}
	return m
}

func money(s string, c Currency) Money {
	m, err := ParseMoney(s, c)
	if err != nil {
		panic(err)
	}
	return m
}

// amt is a computed amount of any size, written as a price is ("511.65").
func amt(s string, c Currency) Amount {
	whole, frac, _ := strings.Cut(s, ".")
	minor, ok := new(big.Int).SetString(whole+frac+strings.Repeat("0", c.Digits()-len(frac)), 10)
	if !ok {
		panic("amount " + s)
	}
	return amountOf(minor, c)
}

// minorOf is an amount known to fit int64, in minor units.
func minorOf(a Amount) int64 {
	m, ok := a.Money()
	if !ok {
		panic("amount " + a.String() + " beyond int64")
	}
	return m.Minor
}

func factor(s string) Factor {
	f, err := ParseFactor(s)
	if err != nil {
		panic(err)
	}
	return f
}

// terms builds terms in force from a day ("" for the initial terms).
func terms(from string, prepaidCores int64, prepaidPrice, extraPrice, escalation string, c Currency) Terms {
	t := Terms{
		From:         date(from),
		PrepaidCores: prepaidCores,
		PrepaidPrice: money(prepaidPrice, c),
		ExtraPrice:   money(extraPrice, c),
		Escalation:   factor(escalation),
	}
	return t
}

// example is the contract of DESIGN §5's worked examples: P = 5 at 100.00, extra 150.00, f = 0.33, from start on.
func example(start string) Contract {
	return Contract{Currency: "EUR", Start: date(start), Terms: []Terms{terms("", 5, "100.00", "150.00", "0.33", "EUR")}}
}

// at returns the instant of a UTC day and clock time written as "2026-11-10 14:00:00".
func at(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
	if err != nil {
		panic(err)
	}
	return t
}

// steady returns a service's samples every 20 s from one instant (included) to another (excluded).
func steady(service string, from, to time.Time, micro int64) []Sample {
	var samples []Sample
	for t := from; t.Before(to); t = t.Add(20 * time.Second) {
		samples = append(samples, Sample{Time: t, Service: service, Micro: micro})
	}
	return samples
}

// hourly returns a service's roll-ups for whole hours from one instant (included) to another (excluded),
// as 180 samples of 20 s at the given micro-cores.
func hourly(service string, from, to time.Time, micro int64) []Rollup {
	var rollups []Rollup
	for t := from; t.Before(to); t = t.Add(time.Hour) {
		rollups = append(rollups, Rollup{Hour: t, Service: service, Sum: 180 * micro, Count: 180})
	}
	return rollups
}

// daysAt returns billed cores for every day from one day to another, both included.
func daysAt(from, to string, billed int64) map[Date]DayCores {
	days := make(map[Date]DayCores)
	for d := date(from); !d.After(date(to)); d = d.AddDays(1) {
		days[d] = DayCores{PeakMicro: billed * microPerCore, Billed: billed}
	}
	return days
}

// merge returns the union of day maps, later ones winning.
func merge(all ...map[Date]DayCores) map[Date]DayCores {
	days := make(map[Date]DayCores)
	for _, m := range all {
		maps.Copy(days, m)
	}
	return days
}

func usage(id int64, name string, days map[Date]DayCores) SetupUsage {
	return SetupUsage{ID: id, Name: name, FirstSample: at("2026-01-01 00:00:00").Add(time.Duration(id) * time.Hour), Days: days}
}
