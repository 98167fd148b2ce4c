package app

import (
	"strings"

	"keyward/app/billing"
)

// parseCurrency reads an ISO 4217 code, in either case.
func parseCurrency(field, s string) (string, error) {
	c, err := billing.ParseCurrency(strings.TrimSpace(s))
	if err != nil {
		return "", badInput(field, "Enter an ISO 4217 currency code such as EUR, USD or JPY.")
	}
	return string(c), nil
}

// parseMoney reads a price such as "150.00" into minor units of the currency: from 0 to maxPrice,
// with no more fraction digits than the currency has.
func parseMoney(field, s, currency string) (int64, error) {
	c := billing.Currency(currency)
	m, err := billing.ParseMoney(strings.TrimSpace(s), c)
	tooLarge := err == nil && m.Minor > maxPriceMinor(c)
	if err != nil || tooLarge {
		if d := c.Digits(); strings.Contains(s, ".") && len(s)-strings.Index(s, ".")-1 > d {
			return 0, badInput(field, "%s has %d decimal%s: %s has too many.", currency, d, plural(d), s)
		}
		return 0, badInput(field, "Enter an amount from 0 to %s such as 150.00, with a dot before the decimals.",
			formatMoney(maxPriceMinor(c), currency))
	}
	return m.Minor, nil
}

// formatMoney writes minor units as a decimal string with the currency's digits ("150.00").
func formatMoney(minor int64, currency string) string {
	return billing.Money{Minor: minor, Currency: billing.Currency(currency)}.String()
}

// parseFactor reads the escalation factor: a decimal from 0 to maxFactor, at most 6 decimals, kept as text.
func parseFactor(field, s string) (string, error) {
	f, err := billing.ParseFactor(strings.TrimSpace(s))
	if err != nil {
		return "", badInput(field, "Enter a decimal from 0 to %s such as 0.33 (at most 6 decimals).", maxFactor)
	}
	if most, _ := billing.ParseFactor(maxFactor); f.Compare(most) > 0 {
		return "", badInput(field, "The escalation factor is at most %s.", maxFactor)
	}
	return f.String(), nil
}
