package app

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"

	"keyward/app/billing"
)

// Bounds on the numbers counted from outside, beside those of usage samples (app/ingest) and of
// DESIGN (terms of 1 to 5 years). Each lies far beyond any real use and keeps what is computed
// from it (sums over setups, durations, money) clear of overflow; docs/bounds.md lists them all.
const (
	maxElements       = 1_000_000     // APs, or rooms, one setup reports
	maxLimit          = 1_000_000_000 // a license's max_aps, max_rooms and max_devices
	maxPrepaidCores   = 1_000_000     // as many as one usage sample may report
	maxStartThreshold = 100_000       // distinct devices that start a license
	maxPrice          = 1_000_000_000 // a price per core and month, in the currency's major unit
	maxFactor         = "10"          // the escalation factor
	maxSeats          = 1_000_000     // simultaneous users of a floating feature
	maxTimeoutMinutes = 525_600       // a floating timeout: one year
	maxBorrowHours    = 8_784         // a borrowed seat: one (leap) year
)

// maxPriceMinor is maxPrice in minor units of the currency (1000000000.00 EUR).
func maxPriceMinor(c billing.Currency) int64 {
	return maxPrice * int64(math.Pow10(c.Digits()))
}

// inRange tells whether n lies from lo to hi, both included.
func inRange(n, lo, hi int) bool { return n >= lo && n <= hi }

// badJSON answers a body that is not the JSON expected. A value of the wrong type or beyond the
// range of its type names its field ("elements.aps"), so a client knows what to fix.
func badJSON(err error, what string) *Error {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return badInput(te.Field, "Send %s as %s.", te.Field, jsonKind(te.Type))
	}
	return badInput("", "The body must be %s: %s", what, jsonProblem(err))
}

func jsonKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number within its bounds (docs/bounds.md)"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "an object"
	}
	return fmt.Sprintf("a %s", t.Kind())
}
