package billing

import (
	"math"
	"math/big"
	"math/bits"
)

// meanSum adds service means sum/count exactly. It keeps the total as a fraction n/d of uint64s,
// which covers real hours (counts share a small common multiple) at integer speed, and moves to a
// big.Rat only when that fraction would overflow. The zero value is an empty sum.
type meanSum struct {
	n, d uint64 // d == 0 while nothing has been added
	big  *big.Rat
}

// add adds the mean sum/count of one service; a non-positive mean adds nothing.
func (m *meanSum) add(sum, count int64) {
	if sum <= 0 || count <= 0 {
		return
	}
	s, c := uint64(sum), uint64(count)
	if m.big == nil {
		if m.d == 0 {
			m.n, m.d = s, c
			return
		}
		if c == m.d { // the common case: every service reported all hour long, every 20 s
			if n, carry := bits.Add64(m.n, s, 0); carry == 0 {
				m.n = n
				return
			}
		}
		if n, d, ok := addFractions(m.n, m.d, s, c); ok {
			m.n, m.d = n, d
			return
		}
		m.big = new(big.Rat).SetFrac(new(big.Int).SetUint64(m.n), new(big.Int).SetUint64(m.d))
	}
	m.big.Add(m.big, new(big.Rat).SetFrac(new(big.Int).SetUint64(s), new(big.Int).SetUint64(c)))
}

// cores returns the sum rounded to the micro-core and the cores it bills; sums beyond int64
// micro-cores (9 trillion cores) stick at that limit.
func (m *meanSum) cores() (micro, billed int64) {
	if m.big != nil {
		num, den := m.big.Num(), m.big.Denom()
		q, r := new(big.Int).QuoRem(num, den, new(big.Int))
		if !q.IsInt64() {
			return billedCores(math.MaxInt64, false, false)
		}
		fraction := r.Sign() != 0
		return billedCores(q.Int64(), fraction, r.Lsh(r, 1).Cmp(den) >= 0)
	}
	if m.d == 0 {
		return 0, 0
	}
	q, r := m.n/m.d, m.n%m.d
	if q > math.MaxInt64 {
		return billedCores(math.MaxInt64, false, false)
	}
	return billedCores(int64(q), r != 0, r >= m.d-r)
}

// addFractions returns n1/d1 + n2/d2 over their least common denominator, or ok=false on overflow.
func addFractions(n1, d1, n2, d2 uint64) (n, d uint64, ok bool) {
	g := gcd(d1, d2)
	hi, d := bits.Mul64(d1/g, d2)
	if hi != 0 {
		return 0, 0, false
	}
	hi, a := bits.Mul64(n1, d2/g)
	if hi != 0 {
		return 0, 0, false
	}
	hi, b := bits.Mul64(n2, d1/g)
	if hi != 0 {
		return 0, 0, false
	}
	n, carry := bits.Add64(a, b, 0)
	return n, d, carry == 0
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// wideSum adds int64s exactly in 128 bits, so that a total beyond int64 can be clamped the same way
// whatever the order of its terms (a running saturating sum would depend on it).
type wideSum struct {
	hi int64
	lo uint64
}

func (w *wideSum) add(v int64) {
	lo, carry := bits.Add64(w.lo, uint64(v), 0)
	w.hi += v>>63 + int64(carry)
	w.lo = lo
}

// int64 returns the sum, clamped to the int64 range.
func (w wideSum) int64() int64 {
	switch {
	case w.hi == 0 && w.lo <= math.MaxInt64, w.hi == -1 && w.lo > math.MaxInt64:
		return int64(w.lo)
	case w.hi < 0:
		return math.MinInt64
	}
	return math.MaxInt64
}
