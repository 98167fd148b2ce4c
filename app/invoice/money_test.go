package invoice

import (
	"errors"
	"strings"
	"testing"

	"keyward/app/billing"
)

func line(t *testing.T, q, price string, c billing.Currency) Line {
	t.Helper()
	l, err := ParseLine(0, "Line", q, price, c)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// TestLineAmounts is quantity × unit price rounded half away from zero to the currency's minor unit.
func TestLineAmounts(t *testing.T) {
	tests := []struct {
		name, quantity, price string
		currency              billing.Currency
		want                  string
	}{
		{"whole", "3", "150.00", "EUR", "450.00"},
		{"half a cent rounds up", "0.5", "0.01", "EUR", "0.01"},
		{"just under half a cent rounds down", "0.4999", "0.01", "EUR", "0.00"},
		{"four decimals", "1.0005", "100.00", "EUR", "100.05"},
		{"a third of an hour", "0.3333", "90.00", "EUR", "30.00"},
		{"discount rounds away from zero too", "0.5", "-0.01", "EUR", "-0.01"},
		{"discount line", "1", "-25.50", "EUR", "-25.50"},
		{"yen have no minor unit", "1.5", "333", "JPY", "500"},
		{"yen round half up", "0.5", "1", "JPY", "1"},
		{"dinars have three decimals", "2.5", "1.001", "KWD", "2.503"},
		{"large quantity", "1000000", "999.99", "EUR", "999990000.00"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := line(t, tt.quantity, tt.price, tt.currency)
			if got := l.Amount.String(); got != tt.want {
				t.Errorf("%s × %s %s = %s, want %s", tt.quantity, tt.price, tt.currency, got, tt.want)
			}
		})
	}
}

// TestTotals: subtotal = Σ amounts, tax = subtotal × rate / 100 rounded once (not per line), and a
// negative total is refused.
func TestTotals(t *testing.T) {
	tests := []struct {
		name                  string
		lines                 [][2]string // quantity, unit price
		rate                  string
		subtotal, tax, total  string
		refusedField, refused string
	}{
		{name: "one line, no tax", lines: [][2]string{{"1", "511.65"}}, rate: "0", subtotal: "511.65", tax: "0.00", total: "511.65"},
		{name: "tax 20%", lines: [][2]string{{"2", "150.00"}}, rate: "20", subtotal: "300.00", tax: "60.00", total: "360.00"},
		// Per line the tax would be 0.01 + 0.01 + 0.01 = 0.03; once on the subtotal it is 0.02.
		{name: "tax rounded once", lines: [][2]string{{"1", "0.05"}, {"1", "0.05"}, {"1", "0.05"}}, rate: "15",
			subtotal: "0.15", tax: "0.02", total: "0.17"},
		{name: "tax half a cent rounds up", lines: [][2]string{{"1", "0.10"}}, rate: "5", subtotal: "0.10", tax: "0.01", total: "0.11"},
		{name: "fractional rate", lines: [][2]string{{"1", "100.00"}}, rate: "7.75", subtotal: "100.00", tax: "7.75", total: "107.75"},
		{name: "discount line", lines: [][2]string{{"1", "500.00"}, {"1", "-50.00"}}, rate: "20",
			subtotal: "450.00", tax: "90.00", total: "540.00"},
		{name: "discount to zero", lines: [][2]string{{"1", "80.00"}, {"2", "-40.00"}}, rate: "10", subtotal: "0.00", tax: "0.00", total: "0.00"},
		{name: "discounts beyond the rest refused", lines: [][2]string{{"1", "80.00"}, {"1", "-80.01"}}, rate: "0",
			refusedField: "lines", refused: "-0.01"},
		{name: "no lines refused", rate: "0", refusedField: "lines", refused: "at least one line"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var lines []Line
			for _, l := range tt.lines {
				lines = append(lines, line(t, l[0], l[1], "EUR"))
			}
			rate, err := ParseTaxRate(tt.rate)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Price(lines, rate, "EUR")
			if tt.refusedField != "" {
				var fe *FieldError
				if !errors.As(err, &fe) || fe.Field != tt.refusedField || !strings.Contains(fe.Message, tt.refused) {
					t.Fatalf("Price: %v, want a refusal of %s saying %q", err, tt.refusedField, tt.refused)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Subtotal.String() != tt.subtotal || got.Tax.String() != tt.tax || got.Total.String() != tt.total {
				t.Errorf("subtotal %s, tax %s, total %s; want %s, %s, %s", got.Subtotal, got.Tax, got.Total, tt.subtotal, tt.tax, tt.total)
			}
		})
	}
}

// TestParseLineNamesTheField: a bad line names itself, lines counted from 0.
func TestParseLineNamesTheField(t *testing.T) {
	tests := []struct {
		name, description, quantity, price string
		field, says                        string
	}{
		{"no description", " ", "1", "1.00", "lines[2].description", "Describe"},
		{"five decimals of quantity", "X", "1.00001", "1.00", "lines[2].quantity", "4 decimals"},
		{"negative quantity", "X", "-1", "1.00", "lines[2].quantity", "negative unit price"},
		{"zero quantity", "X", "0", "1.00", "lines[2].quantity", "above 0"},
		{"words for a quantity", "X", "two", "1.00", "lines[2].quantity", "such as 1"},
		{"three decimals of euro", "X", "1", "1.001", "lines[2].unit_price", "EUR has 2 decimals"},
		{"double minus", "X", "1", "--1", "lines[2].unit_price", "such as 150.00"},
		{"comma", "X", "1", "1,50", "lines[2].unit_price", "dot"},
		{"control character", "X\x00", "1", "1", "lines[2].description", "control"},
		{"too long", strings.Repeat("x", MaxDescription+1), "1", "1", "lines[2].description", "at most"},
		{"amount overflows", "X", "1000000000", "92233720368547758.07", "lines[2].unit_price", "too large"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseLine(2, tt.description, tt.quantity, tt.price, "EUR")
			var fe *FieldError
			if !errors.As(err, &fe) || fe.Field != tt.field || !strings.Contains(fe.Message, tt.says) {
				t.Errorf("ParseLine: %v, want %s saying %q", err, tt.field, tt.says)
			}
		})
	}
}

func TestQuantityAndRateText(t *testing.T) {
	for in, want := range map[string]string{"1": "1", "2.50": "2.5", "0.0001": "0.0001", "10.0000": "10"} {
		q, err := ParseQuantity(in)
		if err != nil || q.String() != want {
			t.Errorf("quantity %q: %q, %v; want %q", in, q, err, want)
		}
	}
	for in, want := range map[string]string{"0": "0", "20.00": "20", "7.5": "7.5", "100": "100"} {
		r, err := ParseTaxRate(in)
		if err != nil || r.String() != want {
			t.Errorf("rate %q: %q, %v; want %q", in, r, err, want)
		}
	}
	for _, bad := range []string{"100.01", "-1", "7.125", "", "abc"} {
		if _, err := ParseTaxRate(bad); err == nil {
			t.Errorf("rate %q accepted", bad)
		}
	}
}

func TestNumberAndSettlement(t *testing.T) {
	if got := Number("INV", 2026, 7); got != "INV-2026-0007" {
		t.Errorf("Number = %s", got)
	}
	if got := Number("NW", 2027, 12345); got != "NW-2027-12345" {
		t.Errorf("Number = %s", got)
	}
	eur := func(minor int64) billing.Money { return billing.Money{Minor: minor, Currency: "EUR"} }
	tests := []struct {
		total, paid, due, credit int64
		status                   string
	}{
		{10000, 0, 10000, 0, StatusIssued},
		{10000, 4000, 6000, 0, StatusIssued},
		{10000, 10000, 0, 0, StatusPaid},
		{10000, 15000, 0, 5000, StatusPaid},
		{0, 0, 0, 0, StatusPaid},
	}
	for _, tt := range tests {
		due, credit := Settle(eur(tt.total), eur(tt.paid))
		if due.Minor != tt.due || credit.Minor != tt.credit {
			t.Errorf("total %d paid %d: due %d credit %d, want %d and %d", tt.total, tt.paid, due.Minor, credit.Minor, tt.due, tt.credit)
		}
		if got := StatusAfterPayments(StatusIssued, eur(tt.total), eur(tt.paid)); got != tt.status {
			t.Errorf("total %d paid %d: %s, want %s", tt.total, tt.paid, got, tt.status)
		}
	}
	if got := StatusAfterPayments(StatusVoid, eur(1), eur(5)); got != StatusVoid {
		t.Errorf("a void invoice became %s", got)
	}
}

func TestOverdueIsDerived(t *testing.T) {
	due := billing.NewDate(2026, 11, 30)
	eur := billing.Money{Minor: 100, Currency: "EUR"}
	zero := billing.Money{Currency: "EUR"}
	tests := []struct {
		name   string
		status string
		owed   billing.Money
		today  billing.Date
		want   bool
	}{
		{"on the due date", StatusIssued, eur, due, false},
		{"the day after", StatusIssued, eur, due.AddDays(1), true},
		{"paid", StatusPaid, zero, due.AddDays(9), false},
		{"fully paid but still issued", StatusIssued, zero, due.AddDays(9), false},
		{"void", StatusVoid, eur, due.AddDays(9), false},
		{"draft", StatusDraft, eur, due.AddDays(9), false},
	}
	for _, tt := range tests {
		if got := IsOverdue(tt.status, due, tt.owed, tt.today); got != tt.want {
			t.Errorf("%s: overdue %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestJournalRunningBalance(t *testing.T) {
	entries := []Entry{
		{Currency: "EUR", Debit: 10000},
		{Currency: "USD", Debit: 500},
		{Currency: "EUR", Credit: 15000}, // overpaid: credit
		{Currency: "EUR", Debit: 8000},
	}
	running, balances := Running(entries)
	want := []string{"100.00", "5.00", "-50.00", "30.00"}
	for i, r := range running {
		if r.String() != want[i] {
			t.Errorf("entry %d: balance %s, want %s", i, r, want[i])
		}
	}
	if balances["EUR"].String() != "30.00" || balances["USD"].String() != "5.00" {
		t.Errorf("balances %v", balances)
	}
	today := billing.NewDate(2026, 12, 15)
	open := []Open{
		{StatusIssued, billing.NewDate(2026, 11, 30), billing.Money{Minor: 3000, Currency: "EUR"}},
		{StatusIssued, billing.NewDate(2026, 10, 31), billing.Money{Minor: 2000, Currency: "EUR"}},
		{StatusIssued, billing.NewDate(2026, 12, 31), billing.Money{Minor: 9999, Currency: "EUR"}}, // not yet due
		{StatusPaid, billing.NewDate(2026, 9, 30), billing.Money{Currency: "EUR"}},
	}
	got := Summarize(open, today)["EUR"]
	if got.Amount.String() != "50.00" || got.Since != billing.NewDate(2026, 10, 31) {
		t.Errorf("overdue %s since %s, want 50.00 since 2026-10-31", got.Amount, got.Since)
	}
	if AvailableCredit(15000, 10000) != 5000 || AvailableCredit(100, 300) != 0 {
		t.Error("AvailableCredit")
	}
}
