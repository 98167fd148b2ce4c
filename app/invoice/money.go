package invoice

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"keyward/app/billing"
)

// Kinds of invoices (DESIGN §7).
const (
	KindPrepaid = "prepaid" // the prepaid cores of a period
	KindUsage   = "usage"   // the extra cores of one or more months
	KindManual  = "manual"  // written by the issuer
)

// Statuses of an invoice: draft → issued → paid, or issued → void. Overdue is derived (IsOverdue).
const (
	StatusDraft  = "draft"
	StatusIssued = "issued"
	StatusPaid   = "paid"
	StatusVoid   = "void"
)

// Limits on what an invoice holds, so that no request stores a novel or overflows an amount.
const (
	MaxLines       = 200
	MaxDescription = 500
	MaxNotes       = 4000
	// QuantityDigits and TaxRateDigits are the decimals a quantity and a tax rate may have.
	QuantityDigits = 4
	TaxRateDigits  = 2
	quantityScale  = 10_000
	maxQuantity    = 1_000_000_000 * quantityScale
)

// FieldError is a refused input: the field at fault (lines indexed from 0: "lines[2].unit_price")
// and a message that says what to fix.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

func fieldError(field, format string, args ...any) *FieldError {
	return &FieldError{Field: field, Message: fmt.Sprintf(format, args...)}
}

// Quantity is a line's quantity, exact to the ten-thousandth (at most 4 decimals).
type Quantity int64

// One is a quantity of 1, the quantity of every generated line.
const One Quantity = quantityScale

// ParseQuantity reads a quantity above 0 such as "1", "2.5" or "0.0001".
func ParseQuantity(s string) (Quantity, error) {
	v, err := billing.ParseDecimal(strings.TrimSpace(s), QuantityDigits)
	switch {
	case err != nil && strings.HasPrefix(strings.TrimSpace(s), "-"):
		return 0, fmt.Errorf("a quantity is above 0: for a discount, give the line a negative unit price")
	case err != nil && strings.Contains(err.Error(), "decimals"):
		return 0, fmt.Errorf("a quantity has at most %d decimals", QuantityDigits)
	case err != nil:
		return 0, fmt.Errorf("enter a quantity such as 1 or 2.5, with a dot before the decimals")
	case v == 0:
		return 0, fmt.Errorf("a quantity is above 0")
	case v > maxQuantity:
		return 0, fmt.Errorf("a quantity is at most 1000000000")
	}
	return Quantity(v), nil
}

// String writes the quantity without trailing zeros: "1", "2.5".
func (q Quantity) String() string { return trimZeros(billing.FormatDecimal(int64(q), QuantityDigits)) }

// MarshalText writes the quantity as String does, a decimal string in JSON.
func (q Quantity) MarshalText() ([]byte, error) { return []byte(q.String()), nil }

// TaxRate is a tax rate in percent, exact to the hundredth (at most 2 decimals), from 0 to 100.
type TaxRate int64

// ParseTaxRate reads a percentage such as "0", "20" or "7.5".
func ParseTaxRate(s string) (TaxRate, error) {
	v, err := billing.ParseDecimal(strings.TrimSpace(s), TaxRateDigits)
	switch {
	case err != nil && strings.Contains(err.Error(), "decimals"):
		return 0, fmt.Errorf("a tax rate has at most %d decimals", TaxRateDigits)
	case err != nil:
		return 0, fmt.Errorf("enter a tax rate in percent from 0 to 100, such as 20 or 7.5")
	case v > 100*100:
		return 0, fmt.Errorf("a tax rate is at most 100")
	}
	return TaxRate(v), nil
}

// String writes the rate without trailing zeros: "20", "7.5", "0".
func (r TaxRate) String() string { return trimZeros(billing.FormatDecimal(int64(r), TaxRateDigits)) }

// MarshalText writes the rate as String does, a decimal string in JSON.
func (r TaxRate) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func trimZeros(s string) string {
	if !strings.Contains(s, ".") {
		return s
	}
	return strings.TrimSuffix(strings.TrimRight(s, "0"), ".")
}

// ParseAmount reads an amount that may be negative ("-10.00": a discount, a debit reversed), with
// no more decimals than the currency has.
func ParseAmount(s string, c billing.Currency) (billing.Money, error) {
	s = strings.TrimSpace(s)
	abs, negative := strings.CutPrefix(s, "-")
	if negative && strings.HasPrefix(abs, "-") {
		return billing.Money{}, amountError(s, c)
	}
	m, err := billing.ParseMoney(abs, c)
	if err != nil {
		return billing.Money{}, amountError(abs, c)
	}
	if negative {
		m = m.Neg()
	}
	return m, nil
}

// ParsePayment reads an amount above 0: a payment, a manual journal entry.
func ParsePayment(s string, c billing.Currency) (billing.Money, error) {
	m, err := ParseAmount(s, c)
	switch {
	case err != nil:
		return m, err
	case m.Minor <= 0:
		return m, fmt.Errorf("enter an amount above 0, such as 150.00")
	}
	return m, nil
}

func amountError(s string, c billing.Currency) error {
	d := c.Digits()
	if _, frac, ok := strings.Cut(s, "."); ok && len(frac) > d {
		if d == 0 {
			return fmt.Errorf("%s has no decimals: %s has too many", c, s)
		}
		return fmt.Errorf("%s has %d decimals: %s has too many", c, d, s)
	}
	return fmt.Errorf("enter an amount such as %s, with a dot before the decimals", billing.FormatDecimal(15000*pow10(d)/100, d))
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}

// Line is a line of an invoice: Amount is Quantity × UnitPrice, rounded; a negative unit price
// makes a discount line. Month and ExtraCoreDays are set on generated usage lines, so that the
// PDF can show the extra core-days of each month.
type Line struct {
	Description   string
	Quantity      Quantity
	UnitPrice     billing.Money
	Amount        billing.Money
	Month         billing.Month // zero on other lines
	ExtraCoreDays int64
}

// ParseLine reads the i-th line of a form or payload (i from 0, as error fields count them).
func ParseLine(i int, description, quantity, unitPrice string, c billing.Currency) (Line, error) {
	field := func(name string) string { return fmt.Sprintf("lines[%d].%s", i, name) }
	l := Line{Description: strings.TrimSpace(description)}
	switch {
	case l.Description == "":
		return l, fieldError(field("description"), "Describe the line, such as \"Installation, 2 days\".")
	case utf8.RuneCountInString(l.Description) > MaxDescription:
		return l, fieldError(field("description"), "A line's description has at most %d characters.", MaxDescription)
	case !utf8.ValidString(l.Description) || strings.ContainsFunc(l.Description, isControl):
		return l, fieldError(field("description"), "Write the description on one line, without control characters.")
	}
	q, err := ParseQuantity(quantity)
	if err != nil {
		return l, fieldError(field("quantity"), "%s.", capitalize(err.Error()))
	}
	price, err := ParseAmount(unitPrice, c)
	if err != nil {
		return l, fieldError(field("unit_price"), "%s.", capitalize(err.Error()))
	}
	l.Quantity, l.UnitPrice = q, price
	if l.Amount, err = LineAmount(q, price); err != nil {
		return l, fieldError(field("unit_price"), "The line's amount is too large.")
	}
	return l, nil
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

func capitalize(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// LineAmount is quantity × unit price rounded half away from zero to the currency's minor unit.
func LineAmount(q Quantity, price billing.Money) (billing.Money, error) {
	return price.Scale(int64(q), quantityScale)
}

// Totals are an invoice's sums: Subtotal = Σ line amounts, Tax = Subtotal × rate / 100 rounded
// once, Total = Subtotal + Tax.
type Totals struct {
	Subtotal billing.Money
	Tax      billing.Money
	Total    billing.Money
}

// Price computes each line's amount and the invoice's totals in currency c. It refuses an invoice
// without lines, lines in another currency, and a total below zero (discounts larger than the rest).
func Price(lines []Line, rate TaxRate, c billing.Currency) (Totals, error) {
	zero := billing.Money{Currency: c}
	t := Totals{Subtotal: zero, Tax: zero, Total: zero}
	if len(lines) == 0 {
		return t, fieldError("lines", "Add at least one line.")
	}
	if len(lines) > MaxLines {
		return t, fieldError("lines", "An invoice has at most %d lines.", MaxLines)
	}
	for i := range lines {
		l := &lines[i]
		if l.UnitPrice.Currency != c {
			return t, fieldError(fmt.Sprintf("lines[%d].unit_price", i), "The line is in %s, the invoice in %s.", l.UnitPrice.Currency, c)
		}
		var err error
		if l.Amount, err = LineAmount(l.Quantity, l.UnitPrice); err != nil {
			return t, fieldError(fmt.Sprintf("lines[%d].unit_price", i), "The line's amount is too large.")
		}
		if t.Subtotal, err = t.Subtotal.Add(l.Amount); err != nil {
			return t, fieldError(fmt.Sprintf("lines[%d].unit_price", i), "The invoice's subtotal is too large.")
		}
	}
	var err error
	if t.Tax, err = t.Subtotal.Scale(int64(rate), 100*100); err != nil {
		return t, fieldError("tax_rate", "The tax is too large.")
	}
	if t.Total, err = t.Subtotal.Add(t.Tax); err != nil {
		return t, fieldError("lines", "The invoice's total is too large.")
	}
	if t.Total.Minor < 0 {
		return t, fieldError("lines", "The discounts exceed the other lines: the total would be %s %s. An invoice's total is 0 or more; "+
			"record a credit on the client's journal instead.", t.Total, c)
	}
	return t, nil
}
