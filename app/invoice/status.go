package invoice

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"keyward/app/billing"
)

// Defaults of an issuer's invoicing settings (DESIGN §7).
const (
	DefaultPrefix       = "INV"
	DefaultPaymentTerms = 30
	DefaultCurrency     = "EUR"
	MaxPaymentTerms     = 365
	MaxSettingsText     = 2000 // bank details, footer
	MaxVoidReason       = 500
)

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,11}$`)

// ParsePrefix reads an invoice number prefix: 1 to 12 letters, digits, - or _, starting with a
// letter or digit, so that numbers stay readable and safe in file names.
func ParsePrefix(s string) (string, error) {
	s = strings.TrimSpace(s)
	if !prefixPattern.MatchString(s) {
		return "", errors.New("a prefix is 1 to 12 letters, digits, - or _, such as INV or NW-INV")
	}
	return s, nil
}

// ParsePaymentTerms reads the days from issue to due date: 0 (due at once) to 365.
func ParsePaymentTerms(s string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	if err != nil || n < 0 || n > MaxPaymentTerms {
		return 0, fmt.Errorf("payment terms are a number of days from 0 to %d, such as 30", MaxPaymentTerms)
	}
	return n, nil
}

// Number is an issued invoice's number: {PREFIX}-{YYYY}-{NNNN}, the year of its issue date and its
// place in the issuer's sequence of that year (from 0001; a 10,000th invoice gets five digits).
func Number(prefix string, year int, seq int64) string {
	return fmt.Sprintf("%s-%04d-%04d", prefix, year, seq)
}

// DueDate is the issue date plus the issuer's payment terms, unless the draft set its own due date
// (which may lie before the issue date).
func DueDate(issue billing.Date, terms int, own billing.Date) billing.Date {
	if !own.IsZero() {
		return own
	}
	return issue.AddDays(terms)
}

// Settle splits what was paid against an invoice's total: what is still due (never below zero)
// and the credit an overpayment leaves on the client's journal.
func Settle(total, paid billing.Money) (due, credit billing.Money) {
	rest := total.Minor - paid.Minor
	if rest >= 0 {
		return billing.Money{Minor: rest, Currency: total.Currency}, billing.Money{Currency: total.Currency}
	}
	return billing.Money{Currency: total.Currency}, billing.Money{Minor: -rest, Currency: total.Currency}
}

// StatusAfterPayments is an issued or paid invoice's status once payments sum to paid: paid when
// they cover the total, issued otherwise (a reversal can bring a paid invoice back to issued).
// Drafts and void invoices keep their status.
func StatusAfterPayments(status string, total, paid billing.Money) string {
	if status != StatusIssued && status != StatusPaid {
		return status
	}
	if paid.Minor >= total.Minor {
		return StatusPaid
	}
	return StatusIssued
}

// IsOverdue is derived, never stored: issued, not fully paid, and today after the due date.
func IsOverdue(status string, dueDate billing.Date, due billing.Money, today billing.Date) bool {
	return status == StatusIssued && due.Minor > 0 && !dueDate.IsZero() && today.After(dueDate)
}

// StateError refuses an action the invoice's status does not allow (409 in the API).
type StateError struct{ Message string }

func (e *StateError) Error() string { return e.Message }

func stateError(format string, args ...any) *StateError {
	return &StateError{Message: fmt.Sprintf(format, args...)}
}

// CheckEditable allows changing an invoice only while it is a draft: issued ones are immutable.
func CheckEditable(status string) error {
	if status != StatusDraft {
		return stateError("Only drafts can be changed: this invoice is %s. Void it and write another.", status)
	}
	return nil
}

// CheckIssuable allows issuing a draft only.
func CheckIssuable(status string) error {
	if status != StatusDraft {
		return stateError("This invoice is already %s.", status)
	}
	return nil
}

// CheckVoidable allows voiding an issued invoice without unreversed payments, with a reason.
func CheckVoidable(status string, unreversedPayments int) error {
	switch {
	case status == StatusDraft:
		return stateError("A draft has no number to void: change it, or leave it unissued.")
	case status == StatusVoid:
		return stateError("This invoice is already void.")
	case unreversedPayments > 0:
		return stateError("This invoice has payments: reverse them first, then void it.")
	}
	return nil
}

// CheckPayable allows recording a payment on an issued or paid invoice (overpayments become credit).
func CheckPayable(status string) error {
	switch status {
	case StatusDraft:
		return stateError("Issue the invoice before recording payments.")
	case StatusVoid:
		return stateError("This invoice is void: it takes no payments.")
	}
	return nil
}

// CheckReversible allows reversing a payment once.
func CheckReversible(alreadyReversed bool) error {
	if alreadyReversed {
		return stateError("This payment is already reversed.")
	}
	return nil
}

// CheckVoidReason requires a reason to void, of a sensible length.
func CheckVoidReason(reason string) (string, error) {
	reason = strings.TrimSpace(reason)
	switch {
	case reason == "":
		return "", fieldError("reason", "Say why the invoice is void, such as \"Issued twice\".")
	case len([]rune(reason)) > MaxVoidReason:
		return "", fieldError("reason", "A reason has at most %d characters.", MaxVoidReason)
	}
	return reason, nil
}

// AvailableCredit is the client's credit in a currency that the issuer may apply as a payment of an
// invoice: what it paid and was credited (received) beyond what its invoices absorbed (allocated,
// each invoice at most its total). Never below zero.
func AvailableCredit(received, allocated int64) int64 {
	return max(0, received-allocated)
}
