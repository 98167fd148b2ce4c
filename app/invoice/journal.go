package invoice

import (
	"keyward/app/billing"
)

// Entry is a line of a client's journal as the balance needs it: debits (issued invoices, reversed
// payments, manual debits) raise what the client owes, credits (payments, credit notes, void
// invoices) lower it. Entries come in journal order: by date, then in the order they were recorded.
type Entry struct {
	Currency billing.Currency
	Debit    int64 // minor units, 0 or more
	Credit   int64 // minor units, 0 or more
}

// Running returns, for each entry, the balance of its currency after it; and the final balance of
// each currency (above zero: the client owes money; below: it has credit).
func Running(entries []Entry) (running []billing.Money, balances map[billing.Currency]billing.Money) {
	running = make([]billing.Money, len(entries))
	balances = map[billing.Currency]billing.Money{}
	for i, e := range entries {
		b := balances[e.Currency]
		b.Currency = e.Currency
		b.Minor += e.Debit - e.Credit
		balances[e.Currency] = b
		running[i] = b
	}
	return running, balances
}

// Open is an issued invoice as the client's overview needs it.
type Open struct {
	Status  string
	DueDate billing.Date
	Due     billing.Money
}

// Overdue is what a client owes past due dates in one currency: the sum still due on its overdue
// invoices, and since when (the due date of the oldest one).
type Overdue struct {
	Amount billing.Money
	Since  billing.Date // zero when nothing is overdue
}

// Summarize sums the overdue invoices per currency; currencies with nothing overdue are absent.
func Summarize(invoices []Open, today billing.Date) map[billing.Currency]Overdue {
	out := map[billing.Currency]Overdue{}
	for _, inv := range invoices {
		if !IsOverdue(inv.Status, inv.DueDate, inv.Due, today) {
			continue
		}
		o := out[inv.Due.Currency]
		o.Amount.Currency = inv.Due.Currency
		o.Amount.Minor += inv.Due.Minor
		if o.Since.IsZero() || inv.DueDate.Before(o.Since) {
			o.Since = inv.DueDate
		}
		out[inv.Due.Currency] = o
	}
	return out
}
