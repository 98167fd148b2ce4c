package billing

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
)

// Money is an exact amount as an integer count of its currency's minor unit (cents of EUR, yen of JPY).
type Money struct {
	Minor    int64
	Currency Currency
}

// ParseMoney reads a non-negative decimal price such as "150.00", "150" or "150.5", with no more
// fraction digits than the currency has.
func ParseMoney(s string, c Currency) (Money, error) {
	minor, err := parseDecimal(s, c.Digits())
	if err != nil {
		return Money{}, fmt.Errorf("invalid %s amount: %w", c, err)
	}
	return Money{minor, c}, nil
}

// String writes the amount with exactly the currency's minor digits and no grouping: "511.65", JPY "512", KWD "1.234".
func (m Money) String() string { return formatUnits(m.Minor, m.Currency.Digits()) }

// MarshalText writes the amount as String does, so JSON carries money as the API's decimal strings.
func (m Money) MarshalText() ([]byte, error) { return []byte(m.String()), nil }

// add sums two amounts of one currency, failing rather than wrapping around.
func (m Money) add(n Money) (Money, error) {
	sum, ok := addInt64(m.Minor, n.Minor)
	if !ok {
		return Money{}, ErrTooLarge
	}
	return Money{sum, m.Currency}, nil
}

// ErrTooLarge refuses an amount beyond the range of Money (92 quadrillion euros), which invoices
// store: better an error than a wrapped-around bill. Estimates work in Amount and never meet it.
var ErrTooLarge = errors.New("amount too large for an invoice")

// moneyOf rounds num/den minor units half away from zero into Money, or fails with ErrTooLarge.
func moneyOf(num, den *big.Int, c Currency) (Money, error) {
	m, ok := amount(num, den, c).Money()
	if !ok {
		return Money{}, ErrTooLarge
	}
	return m, nil
}

// Amount is a sum of money the cost engine worked out, in minor units, exact and of any size:
// bounded prices times usage that is absurd but accepted can pass the int64 range of Money, and
// an estimate must show such a sum rather than fail. The zero value is zero.
type Amount struct {
	minor    *big.Int // never changed once set; nil means zero
	Currency Currency
}

// amountOf wraps minor units; the caller gives up minor, which must not change afterwards.
func amountOf(minor *big.Int, c Currency) Amount { return Amount{minor, c} }

func (a Amount) int() *big.Int {
	if a.minor == nil {
		return new(big.Int)
	}
	return a.minor
}

// String writes the amount as Money does: "511.65", "-0.05", JPY "512".
func (a Amount) String() string { return formatDigits(a.int().String(), a.Currency.Digits()) }

// MarshalText writes the amount as String does, so JSON carries it as the API's decimal strings.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// Cmp returns -1, 0 or +1 as a is less than, equal to or greater than b (currencies aside).
func (a Amount) Cmp(b Amount) int { return a.int().Cmp(b.int()) }

// Sign returns -1, 0 or +1 as the amount is negative, zero or positive.
func (a Amount) Sign() int { return a.int().Sign() }

// Money is the amount as Money, which invoices store, or false when it lies beyond Money's
// range (92 quadrillion euros).
func (a Amount) Money() (Money, bool) {
	if !a.int().IsInt64() {
		return Money{}, false
	}
	return Money{a.int().Int64(), a.Currency}, true
}

func (a Amount) plus(b Amount) Amount {
	return amountOf(new(big.Int).Add(a.int(), b.int()), a.Currency)
}

func (a Amount) minus(b Amount) Amount {
	return amountOf(new(big.Int).Sub(a.int(), b.int()), a.Currency)
}

// factorScale is the resolution of a Factor: factors are exact to the millionth.
const factorScale = 1_000_000

// Factor is the escalation factor f, exact to the millionth: the k-th extra core of a day costs x·(1 + f·(k−1)).
type Factor struct{ millionths int64 }

// ParseFactor reads a non-negative decimal factor such as "0.33", with at most 6 fraction digits.
func ParseFactor(s string) (Factor, error) {
	v, err := parseDecimal(s, 6)
	if err != nil {
		return Factor{}, fmt.Errorf("invalid escalation factor: %w", err)
	}
	return Factor{v}, nil
}

// String writes the factor without trailing zeros: "0.33", "1", "0".
func (f Factor) String() string {
	s := formatUnits(f.millionths, 6)
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// Compare returns -1, 0 or +1 as f is less than, equal to or greater than g.
func (f Factor) Compare(g Factor) int { return cmp.Compare(f.millionths, g.millionths) }

// MarshalText writes the factor as String does.
func (f Factor) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// parseDecimal reads a non-negative decimal (digits, optionally a point and more digits) as a count of
// 10^-digits units; it takes no sign, exponent, grouping or spaces, so what it accepts is unambiguous.
func parseDecimal(s string, digits int) (int64, error) {
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		if _, err := parseDecimal(rest, digits); err == nil {
			return 0, fmt.Errorf("%q is negative", s)
		}
	}
	whole, frac, point := strings.Cut(s, ".")
	if whole == "" || (point && frac == "") || !isDigits(whole) || !isDigits(frac) {
		return 0, fmt.Errorf("%q is not a decimal number like 150.00", s)
	}
	if len(frac) > digits {
		if digits == 0 {
			return 0, fmt.Errorf("%q must be a whole number", s)
		}
		return 0, fmt.Errorf("%q has more than %d decimals", s, digits)
	}
	v := int64(0)
	for _, c := range whole + frac + strings.Repeat("0", digits-len(frac)) {
		digit := int64(c - '0')
		if v > (math.MaxInt64-digit)/10 {
			return 0, fmt.Errorf("%q is too large", s)
		}
		v = v*10 + digit
	}
	return v, nil
}

func isDigits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// formatUnits writes a count of 10^-digits units as a decimal with exactly that many fraction digits.
func formatUnits(v int64, digits int) string { return formatDigits(strconv.FormatInt(v, 10), digits) }

// formatDigits writes an integer written in decimal ("-5") as a count of 10^-digits units ("-0.05").
func formatDigits(s string, digits int) string {
	sign := ""
	if rest, ok := strings.CutPrefix(s, "-"); ok {
		sign, s = "-", rest
	}
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits+1-len(s)) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	return sign + s
}

// roundHalfAway returns num/den rounded half away from zero, the one rounding money ever gets; den must be positive.
func roundHalfAway(num, den *big.Int) *big.Int {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Abs(r).Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	return q
}

// addInt64 adds without wrapping around, reporting whether the sum fits.
func addInt64(a, b int64) (int64, bool) {
	s := a + b
	return s, (s > a) == (b > 0)
}

// satAdd adds, sticking at the int64 limits instead of wrapping: absurd inputs may overcount but never turn negative.
func satAdd(a, b int64) int64 {
	if s, ok := addInt64(a, b); ok {
		return s
	}
	if b > 0 {
		return math.MaxInt64
	}
	return math.MinInt64
}
