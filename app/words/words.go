// Package words is how the portal writes values for people: one way for a status, a date, a
// month and a price, on every page. Codes stay in the APIs and in attributes; what a person
// reads comes from here.
package words

import (
	"strings"
	"time"
)

// statuses are the statuses of licenses (DESIGN §3), organizations, accounts and requests.
var statuses = map[string]string{
	"pending_provision":  "Pending provision",
	"pending_start":      "Pending start",
	"in_use":             "In use",
	"access_denied":      "Access denied",
	"contract_finalized": "Contract finalized",
	"active":             "Active",
	"suspended":          "Suspended",
	"open":               "Open",
	"accepted":           "Accepted",
	"declined":           "Declined",
}

// Status is a status as people read it: "in_use" → "In use". A status this package does not
// know still reads as words: its underscores become spaces and it starts with a capital.
func Status(code string) string {
	if w, ok := statuses[code]; ok {
		return w
	}
	return Sentence(strings.ReplaceAll(code, "_", " "))
}

// Sentence starts s with a capital letter: "annual" → "Annual".
func Sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// dayLayout is the one way a date reads: "16 Apr 2026", the same in every language's order
// of day and month, never mistaken for 04/16 or 16/04.
const dayLayout = "2 Jan 2006"

// Date is a day: "16 Apr 2026"; the zero time is "—".
func Date(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(dayLayout)
}

// DateTime is a moment, in UTC like every time Keyward keeps: "16 Apr 2026, 14:05 UTC".
func DateTime(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format(dayLayout + ", 15:04 UTC")
}

// Day is a calendar day kept as "2026-04-16" written as Date writes it; text that is not such
// a day is returned as it is, and "" is "—".
func Day(iso string) string {
	if iso == "" {
		return "—"
	}
	t, err := time.Parse("2006-01-02", iso)
	if err != nil {
		return iso
	}
	return Date(t)
}

// Month is a month kept as "2026-04": "April 2026"; other text is returned as it is.
func Month(iso string) string {
	t, err := time.Parse("2006-01", iso)
	if err != nil {
		return iso
	}
	return t.Format("January 2006")
}
