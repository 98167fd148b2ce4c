package ingest

import (
	"errors"
	"strconv"
	"strings"
)

// maxMicro is the largest magnitude Micro reads, in millionths: MaxMetric whole units.
const maxMicro = MaxMetric * 1_000_000

var (
	errNotNumber  = errors.New("send a number, such as 1.25")
	errOutOfRange = errors.New("out of range")
)

// Micro reads a JSON number as an integer number of millionths, rounded half away from zero,
// and refuses one beyond ±MaxMetric (errOutOfRange). It works on the decimal text, not through
// float64, so 0.0000005 is exactly 1 and 2.675 is exactly 2675000.
func Micro(raw []byte) (int64, error) {
	s := strings.TrimSpace(string(raw))
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	i := digitsEnd(s, 0)
	intPart := s[:i]
	if intPart == "" || len(intPart) > 1 && intPart[0] == '0' {
		return 0, errNotNumber
	}
	var frac string
	if i < len(s) && s[i] == '.' {
		j := digitsEnd(s, i+1)
		if frac = s[i+1 : j]; frac == "" {
			return 0, errNotNumber
		}
		i = j
	}
	exp := 0
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := digitsEnd(s, j)
		if k == j {
			return 0, errNotNumber
		}
		digits := strings.TrimLeft(s[j:k], "0")
		if len(digits) > 6 {
			digits = "999999" // beyond any value that can matter either way
		}
		exp, _ = strconv.Atoi(digits)
		if s[i+1] == '-' {
			exp = -exp
		}
		i = k
	}
	if i != len(s) {
		return 0, errNotNumber
	}
	digits := strings.TrimLeft(intPart+frac, "0")
	if digits == "" {
		return 0, nil
	}
	v, err := magnitude(digits, exp-len(frac)+6)
	if neg {
		v = -v
	}
	return v, err
}

// magnitude is digits × 10^shift rounded half away from zero, at most maxMicro.
func magnitude(digits string, shift int) (int64, error) {
	// value × 10^6 = digits × 10^shift
	if shift >= 0 {
		if len(digits)+shift > 19 {
			return 0, errOutOfRange
		}
		v, err := strconv.ParseUint(digits+strings.Repeat("0", shift), 10, 64)
		if err != nil || v > maxMicro {
			return 0, errOutOfRange
		}
		return int64(v), nil
	}
	whole := len(digits) + shift // how many digits stand before the point once in millionths
	if whole < 0 {
		return 0, nil
	}
	if whole > 19 {
		return 0, errOutOfRange
	}
	var v uint64
	if whole > 0 {
		v, _ = strconv.ParseUint(digits[:whole], 10, 64)
	}
	if digits[whole] >= '5' {
		v++
	}
	if v > maxMicro {
		return 0, errOutOfRange
	}
	return int64(v), nil
}

func digitsEnd(s string, i int) int {
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	return i
}
