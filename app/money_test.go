package app

import "testing"

func TestParseMoney(t *testing.T) {
	tests := []struct {
		in, currency string
		want         int64
		ok           bool
	}{
		{"150.00", "EUR", 15000, true},
		{"150", "EUR", 15000, true},
		{"0.5", "EUR", 50, true},
		{"150.001", "EUR", 0, false},
		{"1500", "JPY", 1500, true},
		{"1500.0", "JPY", 0, false},
		{"1.234", "KWD", 1234, true},
		{"-1", "EUR", 0, false},
		{"1,50", "EUR", 0, false},
		{"", "EUR", 0, false},
		{"1e3", "EUR", 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.currency, func(t *testing.T) {
			got, err := parseMoney("price", tt.in, tt.currency)
			if (err == nil) != tt.ok || got != tt.want {
				t.Errorf("parseMoney(%q, %s) = %d, %v; want %d, ok=%v", tt.in, tt.currency, got, err, tt.want, tt.ok)
			}
		})
	}
	if got := formatMoney(5, "EUR"); got != "0.05" {
		t.Errorf("formatMoney(5, EUR) = %q", got)
	}
}

func TestParseFactor(t *testing.T) {
	for in, want := range map[string]string{"0.33": "0.33", "0.330": "0.33", "10": "10", "10.0": "10", "0": "0", "10.01": "", "11": "", "-1": "", "0.1234567": ""} {
		got, err := parseFactor("escalation_factor", in)
		if (err == nil) != (want != "") || got != want {
			t.Errorf("parseFactor(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

// FuzzParseMoney: any text is refused or read into an amount that formats back to the same value.
func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"150.00", "0", "1.5", "99999999999.99", "1.234"} {
		f.Add(s, "EUR")
		f.Add(s, "JPY")
		f.Add(s, "KWD")
	}
	f.Fuzz(func(t *testing.T, in, currency string) {
		n, err := parseMoney("price", in, currency)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("parseMoney(%q) = %d, negative", in, n)
		}
		again, err := parseMoney("price", formatMoney(n, currency), currency)
		if err != nil || again != n {
			t.Fatalf("round trip of %q (%s): %d → %q → %d, %v", in, currency, n, formatMoney(n, currency), again, err)
		}
	})
}
