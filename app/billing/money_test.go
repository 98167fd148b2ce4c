package billing

import (
	"math"
	"math/big"
	"strings"
	"testing"
)

func TestParseCurrency(t *testing.T) {
	tests := []struct {
		name, in string
		want     Currency
		digits   int
		err      string
	}{
		{name: "euro", in: "EUR", want: "EUR", digits: 2},
		{name: "lower case", in: "usd", want: "USD", digits: 2},
		{name: "yen has no minor unit", in: "JPY", want: "JPY", digits: 0},
		{name: "won", in: "KRW", want: "KRW", digits: 0},
		{name: "dong", in: "VND", want: "VND", digits: 0},
		{name: "chilean peso", in: "CLP", want: "CLP", digits: 0},
		{name: "krona", in: "ISK", want: "ISK", digits: 0},
		{name: "kuwaiti dinar", in: "KWD", want: "KWD", digits: 3},
		{name: "bahraini dinar", in: "BHD", want: "BHD", digits: 3},
		{name: "omani rial", in: "OMR", want: "OMR", digits: 3},
		{name: "jordanian dinar", in: "JOD", want: "JOD", digits: 3},
		{name: "tunisian dinar", in: "TND", want: "TND", digits: 3},
		{name: "libyan dinar", in: "LYD", want: "LYD", digits: 3},
		{name: "iraqi dinar", in: "IQD", want: "IQD", digits: 3},
		{name: "unknown code", in: "EUE", err: `"EUE" is not an ISO 4217 currency code`},
		{name: "too long", in: "EURO", err: "not an ISO 4217"},
		{name: "empty", in: "", err: "not an ISO 4217"},
		{name: "gold has no minor unit", in: "XAU", err: "not an ISO 4217"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseCurrency(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseCurrency(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("ParseCurrency(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if got, want := got.Digits(), tt.digits; got != want {
				t.Errorf("%s.Digits() = %d, want %d", tt.in, got, want)
			}
		})
	}
}

func TestParseMoney(t *testing.T) {
	tests := []struct {
		name, in string
		cur      Currency
		want     int64
		err      string
	}{
		{name: "price", in: "150.00", cur: "EUR", want: 15000},
		{name: "whole number", in: "150", cur: "EUR", want: 15000},
		{name: "one decimal", in: "150.5", cur: "EUR", want: 15050},
		{name: "zero", in: "0", cur: "EUR", want: 0},
		{name: "leading zeros", in: "007.10", cur: "EUR", want: 710},
		{name: "yen", in: "15000", cur: "JPY", want: 15000},
		{name: "dinar", in: "1.234", cur: "KWD", want: 1234},
		{name: "dinar with fewer decimals", in: "150.5", cur: "KWD", want: 150500},
		{name: "largest", in: "92233720368547758.07", cur: "EUR", want: math.MaxInt64},
		{name: "too many decimals", in: "150.001", cur: "EUR", err: `invalid EUR amount: "150.001" has more than 2 decimals`},
		{name: "yen has no decimals", in: "512.0", cur: "JPY", err: `invalid JPY amount: "512.0" must be a whole number`},
		{name: "negative", in: "-1.00", cur: "EUR", err: `invalid EUR amount: "-1.00" is negative`},
		{name: "malformed", in: "abc", cur: "EUR", err: `"abc" is not a decimal number like 150.00`},
		{name: "empty", in: "", cur: "EUR", err: "is not a decimal number"},
		{name: "trailing point", in: "1.", cur: "EUR", err: "is not a decimal number"},
		{name: "leading point", in: ".5", cur: "EUR", err: "is not a decimal number"},
		{name: "grouping", in: "1,098.50", cur: "EUR", err: "is not a decimal number"},
		{name: "exponent", in: "1e3", cur: "EUR", err: "is not a decimal number"},
		{name: "plus sign", in: "+1", cur: "EUR", err: "is not a decimal number"},
		{name: "double minus", in: "--1", cur: "EUR", err: "is not a decimal number"},
		{name: "space", in: " 1", cur: "EUR", err: "is not a decimal number"},
		{name: "too large", in: "92233720368547758.08", cur: "EUR", err: "is too large"},
		{name: "non-ascii digits", in: "١٥٠", cur: "EUR", err: "is not a decimal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMoney(tt.in, tt.cur)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseMoney(%q, %s) error = %v, want %q", tt.in, tt.cur, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got, (Money{tt.want, tt.cur}); got != want {
				t.Errorf("ParseMoney(%q, %s) = %+v, want %+v", tt.in, tt.cur, got, want)
			}
		})
	}
}

func TestMoneyString(t *testing.T) {
	tests := []struct {
		name  string
		money Money
		want  string
	}{
		{name: "cents", money: Money{51165, "EUR"}, want: "511.65"},
		{name: "no grouping", money: Money{109850, "EUR"}, want: "1098.50"},
		{name: "zero", money: Money{0, "EUR"}, want: "0.00"},
		{name: "one cent", money: Money{1, "EUR"}, want: "0.01"},
		{name: "negative", money: Money{-5, "EUR"}, want: "-0.05"},
		{name: "yen", money: Money{512, "JPY"}, want: "512"},
		{name: "dinar", money: Money{1234, "KWD"}, want: "1.234"},
		{name: "fils", money: Money{7, "KWD"}, want: "0.007"},
		{name: "largest", money: Money{math.MaxInt64, "EUR"}, want: "92233720368547758.07"},
		{name: "smallest", money: Money{math.MinInt64, "EUR"}, want: "-92233720368547758.08"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, want := tt.money.String(), tt.want; got != want {
				t.Errorf("String() = %q, want %q", got, want)
			}
			text, _ := tt.money.MarshalText()
			if got, want := string(text), tt.want; got != want {
				t.Errorf("MarshalText() = %q, want %q", got, want)
			}
		})
	}
}

func TestParseFactor(t *testing.T) {
	tests := []struct {
		name, in, want, err string
	}{
		{name: "default", in: "0.33", want: "0.33"},
		{name: "zero", in: "0", want: "0"},
		{name: "trailing zeros", in: "1.500", want: "1.5"},
		{name: "millionth", in: "0.000001", want: "0.000001"},
		{name: "whole", in: "2.0", want: "2"},
		{name: "too precise", in: "0.1234567", err: `invalid escalation factor: "0.1234567" has more than 6 decimals`},
		{name: "negative", in: "-0.1", err: `"-0.1" is negative`},
		{name: "malformed", in: "0,33", err: "is not a decimal number"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseFactor(tt.in)
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseFactor(%q) error = %v, want %q", tt.in, err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got, want := got.String(), tt.want; got != want {
				t.Errorf("ParseFactor(%q) = %s, want %s", tt.in, got, want)
			}
		})
	}
}

func TestRoundHalfAway(t *testing.T) {
	tests := []struct {
		name     string
		num, den int64
		want     int64
	}{
		{name: "exact", num: 10, den: 2, want: 5},
		{name: "below half", num: 14, den: 10, want: 1},
		{name: "half rounds up", num: 15, den: 10, want: 2},
		{name: "above half", num: 16, den: 10, want: 2},
		{name: "negative half rounds down", num: -15, den: 10, want: -2},
		{name: "negative below half", num: -14, den: 10, want: -1},
		{name: "half of one", num: 1, den: 2, want: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := roundHalfAway(big.NewInt(tt.num), big.NewInt(tt.den)).Int64(); got != tt.want {
				t.Errorf("roundHalfAway(%d/%d) = %d, want %d", tt.num, tt.den, got, tt.want)
			}
		})
	}
}

// FuzzParseMoney checks that whatever a form sends, an accepted amount writes back to the same value.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"150.00", "0.33", "512", "1.234", "-1", "1e3", "", ".", "92233720368547758.07"} {
		f.Add(s, "EUR")
		f.Add(s, "JPY")
		f.Add(s, "KWD")
	}
	f.Fuzz(func(t *testing.T, s, code string) {
		c, err := ParseCurrency(code)
		if err != nil {
			return
		}
		m, err := ParseMoney(s, c)
		if err != nil {
			return
		}
		if m.Minor < 0 {
			t.Fatalf("ParseMoney(%q) = %d, negative", s, m.Minor)
		}
		again, err := ParseMoney(m.String(), c)
		if err != nil {
			t.Fatalf("ParseMoney(%q) of its own String: %v", m.String(), err)
		}
		if again != m {
			t.Fatalf("ParseMoney(%q) = %+v, then %+v", s, m, again)
		}
	})
}
