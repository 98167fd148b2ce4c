package invoice

import "keyward/app/billing"

// Overdue reminders (DESIGN §7): the day after the due date, then every ReminderInterval days while
// the invoice stays overdue, at most MaxReminders.
const (
	MaxReminders     = 3
	ReminderInterval = 7
)

// ReminderDue tells which reminder (1, 2 or 3) an overdue invoice is owed today, given how many
// were sent and the day of the last one; ok is false when none is. After a downtime the missed
// ones are not sent in a burst: the next comes today, and the one after it a full interval later.
func ReminderDue(dueDate billing.Date, sent int, lastSent, today billing.Date) (nth int, ok bool) {
	switch {
	case sent >= MaxReminders || dueDate.IsZero() || !today.After(dueDate):
		return 0, false
	case sent == 0:
		return 1, true
	case today.Before(lastSent.AddDays(ReminderInterval)):
		return 0, false
	}
	return sent + 1, true
}
