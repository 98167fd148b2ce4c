// Package invoice holds the rules of DESIGN §7 that a person could state in a sentence, as pure
// functions: no HTTP, no SQL, no clock ("today" is an argument). Money follows app/billing: integers
// in the currency's minor unit, rounded half away from zero, once, through billing.Money.Scale.
//
// What the rest of Keyward uses (the API in app/invoices_api.go, the pages in app/invoice_pages.go,
// the PDF in app/invoice_pdf.go, the daily job in app/invoice_job.go):
//
//   - Input: ParseLine (description, quantity, unit price → Line, errors naming "lines[2].unit_price"),
//     ParseQuantity (≤ 4 decimals), ParseTaxRate (≤ 2 decimals, 0–100), ParseAmount (signed),
//     ParsePayment (> 0), ParsePrefix, ParsePaymentTerms. Every refusal is a *FieldError with the
//     field at fault and a message that says what to fix.
//   - Arithmetic: Price fills each line's Amount (quantity × unit price, rounded) and returns the
//     Totals (subtotal, tax = subtotal × rate / 100 rounded once, total); a total below zero is refused.
//   - Numbers: Number(prefix, year, seq) is "{PREFIX}-{YYYY}-{NNNN}".
//   - Settlement: Settle (paid → due, never below zero, and credit), StatusAfterPayments (issued ⇄ paid),
//     IsOverdue (derived, never stored), CheckEditable, CheckIssuable, CheckVoidable, CheckReversible,
//     AvailableCredit.
//   - Journal: Running (the running balance per currency of entries in order) and Summarize (balance,
//     overdue amount and overdue-since per currency).
//   - Generated invoices: UsagePeriodOf / PrepaidPeriodOf (the period holding a month),
//     DueUsagePeriods / DuePrepaidPeriods (what the daily job owes a license on a day),
//     UsageLineDescription / PrepaidLineDescription (the lines in words).
package invoice
