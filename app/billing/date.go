package billing

import (
	"cmp"
	"fmt"
	"iter"
	"time"
)

// Date is a calendar day in UTC, the unit in which licenses are billed; the zero Date means "no date".
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// NewDate returns the day, normalized as time.Date does (November 31 is December 1).
func NewDate(year int, month time.Month, day int) Date {
	return DateOf(time.Date(year, month, day, 0, 0, 0, 0, time.UTC))
}

// DateOf returns the day of an instant: days begin and end at midnight UTC, whatever the instant's zone.
func DateOf(t time.Time) Date {
	y, m, d := t.UTC().Date()
	return Date{y, m, d}
}

// ParseDate reads a day written as 2026-11-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date like 2026-11-30", s)
	}
	return DateOf(t), nil
}

// String writes the day as 2026-11-30.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// MarshalText writes the day as 2026-11-30, so JSON shows dates the way the API documents them.
func (d Date) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a day written as 2026-11-30.
func (d *Date) UnmarshalText(b []byte) error {
	v, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Time returns midnight UTC at the start of the day.
func (d Date) Time() time.Time { return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, time.UTC) }

// AddDays returns the day n days later (earlier when n is negative).
func (d Date) AddDays(n int) Date { return NewDate(d.Year, d.Month, d.Day+n) }

// Compare orders days in time: -1 when d is earlier than e, 0 when they are the same day, +1 when later.
func (d Date) Compare(e Date) int {
	if c := cmp.Compare(d.Year, e.Year); c != 0 {
		return c
	}
	if c := cmp.Compare(d.Month, e.Month); c != 0 {
		return c
	}
	return cmp.Compare(d.Day, e.Day)
}

// Before reports whether d is earlier than e.
func (d Date) Before(e Date) bool { return d.Compare(e) < 0 }

// After reports whether d is later than e.
func (d Date) After(e Date) bool { return d.Compare(e) > 0 }

// IsZero reports whether d is the zero Date, which stands for "no date".
func (d Date) IsZero() bool { return d == Date{} }

// Month is a calendar month, the period an estimate and an invoice cover.
type Month struct {
	Year  int
	Month time.Month
}

// MonthOf returns the month a day belongs to.
func MonthOf(d Date) Month { return Month{d.Year, d.Month} }

// ParseMonth reads a month written as 2026-11.
func ParseMonth(s string) (Month, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return Month{}, fmt.Errorf("%q is not a month like 2026-11", s)
	}
	return MonthOf(DateOf(t)), nil
}

// String writes the month as 2026-11.
func (m Month) String() string { return fmt.Sprintf("%04d-%02d", m.Year, m.Month) }

// MarshalText writes the month as 2026-11.
func (m Month) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// UnmarshalText reads a month written as 2026-11.
func (m *Month) UnmarshalText(b []byte) error {
	v, err := ParseMonth(string(b))
	if err != nil {
		return err
	}
	*m = v
	return nil
}

// First returns the month's first day.
func (m Month) First() Date { return NewDate(m.Year, m.Month, 1) }

// Last returns the month's last day.
func (m Month) Last() Date { return NewDate(m.Year, m.Month+1, 0) }

// Days returns how many days the month has (28 to 31): each billed day is charged that fraction of a monthly price.
func (m Month) Days() int { return m.Last().Day }

// AddMonths returns the month n months later (earlier when n is negative).
func (m Month) AddMonths(n int) Month { return MonthOf(NewDate(m.Year, m.Month+time.Month(n), 1)) }

// dates yields the month's days in order.
func (m Month) dates() iter.Seq[Date] {
	return func(yield func(Date) bool) {
		for day := 1; day <= m.Days(); day++ {
			if !yield(Date{m.Year, m.Month, day}) {
				return
			}
		}
	}
}

// LastCompleteMonths returns the n months before today's month, oldest first: the months right-sizing looks back on.
func LastCompleteMonths(today Date, n int) []Month {
	months := make([]Month, 0, max(n, 0))
	for i := n; i >= 1; i-- {
		months = append(months, MonthOf(today).AddMonths(-i))
	}
	return months
}
