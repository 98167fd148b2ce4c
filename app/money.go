package app

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// currencies are the active ISO 4217 codes.
var currencies = func() map[string]bool {
	m := map[string]bool{}
	for _, c := range strings.Fields(`AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN
		BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF
		GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
		LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG
		QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS
		UAH UGX USD UYU UZS VES VND VUV WST XAF XCD XOF XPF YER ZAR ZMW ZWG`) {
		m[c] = true
	}
	return m
}()

// minorDigits is the number of fraction digits of a currency (ISO 4217); most have 2.
func minorDigits(currency string) int {
	switch currency {
	case "JPY", "KRW", "VND", "CLP", "ISK", "BIF", "DJF", "GNF", "KMF", "PYG", "RWF", "UGX", "VUV", "XAF", "XOF", "XPF":
		return 0
	case "KWD", "BHD", "OMR", "JOD", "TND", "LYD", "IQD":
		return 3
	}
	return 2
}

var decimalPattern = regexp.MustCompile(`^([0-9]{1,13})(?:\.([0-9]+))?$`)

// parseMoney reads a price such as "150.00" into minor units of the currency: at least 0, with no
// more fraction digits than the currency has.
func parseMoney(field, s, currency string) (int64, error) {
	s = strings.TrimSpace(s)
	m := decimalPattern.FindStringSubmatch(s)
	if m == nil {
		return 0, badInput(field, "Enter an amount of 0 or more such as 150.00, with a dot before the decimals.")
	}
	digits := minorDigits(currency)
	if len(m[2]) > digits {
		return 0, badInput(field, "%s has %d decimal%s: %s has too many.", currency, digits, plural(digits), s)
	}
	frac := m[2] + strings.Repeat("0", digits-len(m[2]))
	n, err := strconv.ParseInt(m[1]+frac, 10, 64)
	if err != nil {
		return 0, badInput(field, "This amount is too large.")
	}
	return n, nil
}

// formatMoney writes minor units as a decimal string with the currency's digits ("150.00").
func formatMoney(minor int64, currency string) string {
	digits := minorDigits(currency)
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	s := strconv.FormatInt(minor, 10)
	if digits == 0 {
		return sign + s
	}
	if len(s) <= digits {
		s = strings.Repeat("0", digits-len(s)+1) + s
	}
	return sign + s[:len(s)-digits] + "." + s[len(s)-digits:]
}

var factorPattern = regexp.MustCompile(`^([0-9]{1,2})(?:\.([0-9]{1,6}))?$`)

// parseFactor reads the escalation factor: a decimal from 0 to 10, at most 6 decimals, kept as text.
func parseFactor(field, s string) (string, error) {
	s = strings.TrimSpace(s)
	m := factorPattern.FindStringSubmatch(s)
	if m == nil {
		return "", badInput(field, "Enter a decimal from 0 to 10 such as 0.33 (at most 6 decimals).")
	}
	whole, _ := strconv.Atoi(m[1])
	frac := strings.TrimRight(m[2], "0")
	if whole > 10 || (whole == 10 && frac != "") {
		return "", badInput(field, "The escalation factor is at most 10.")
	}
	if frac == "" {
		return strconv.Itoa(whole), nil
	}
	return fmt.Sprintf("%d.%s", whole, frac), nil
}
