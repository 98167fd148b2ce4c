package billing

import (
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
		return Money{}, errTooLarge
	}
	return Money{sum, m.Currency}, nil
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

// MarshalText writes the factor as String does.
func (f Factor) MarshalText() ([]byte, error) { return []byte(f.String()), nil }

// errTooLarge is returned when an amount leaves the range of int64 minor units (92 quadrillion euros):
// better an error than a wrapped-around bill.
var errTooLarge = errors.New("amount too large to represent")

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
func formatUnits(v int64, digits int) string {
	u := uint64(v)
	if v < 0 {
		u = -u
	}
	s := strconv.FormatUint(u, 10)
	if digits > 0 {
		if len(s) <= digits {
			s = strings.Repeat("0", digits+1-len(s)) + s
		}
		s = s[:len(s)-digits] + "." + s[len(s)-digits:]
	}
	if v < 0 {
		s = "-" + s
	}
	return s
}

// roundHalfAway returns num/den rounded half away from zero, the one rounding money ever gets; den must be positive.
func roundHalfAway(num, den *big.Int) (int64, error) {
	q, r := new(big.Int).QuoRem(num, den, new(big.Int))
	if r.Abs(r).Lsh(r, 1).Cmp(den) >= 0 {
		q.Add(q, big.NewInt(int64(num.Sign())))
	}
	if !q.IsInt64() {
		return 0, errTooLarge
	}
	return q.Int64(), nil
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
