package invoice

import (
	"testing"

	"keyward/app/billing"
)

func TestReminderDue(t *testing.T) {
	d := func(s string) billing.Date {
		if s == "" {
			return billing.Date{}
		}
		v, err := billing.ParseDate(s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	const due = "2026-11-30"
	for _, tc := range []struct {
		name     string
		sent     int
		last     string
		today    string
		wantNth  int
		wantSend bool
	}{
		{"on the due date: not yet", 0, "", "2026-11-30", 0, false},
		{"the day after: the first", 0, "", "2026-12-01", 1, true},
		{"a downtime past the first: the first, late", 0, "", "2026-12-20", 1, true},
		{"six days after the first: wait", 1, "2026-12-01", "2026-12-07", 0, false},
		{"seven days after the first: the second", 1, "2026-12-01", "2026-12-08", 2, true},
		{"seven days after the second: the third", 2, "2026-12-08", "2026-12-15", 3, true},
		{"after the third: never again", 3, "2026-12-15", "2027-03-01", 0, false},
		{"a late first: the second a full week after it", 1, "2026-12-20", "2026-12-22", 0, false},
		{"no due date: nothing", 0, "", "2026-12-20", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dueDate := d(due)
			if tc.name == "no due date: nothing" {
				dueDate = billing.Date{}
			}
			nth, ok := ReminderDue(dueDate, tc.sent, d(tc.last), d(tc.today))
			if nth != tc.wantNth || ok != tc.wantSend {
				t.Errorf("ReminderDue(%s, %d, %q, %s) = %d, %v; want %d, %v", due, tc.sent, tc.last, tc.today, nth, ok, tc.wantNth, tc.wantSend)
			}
		})
	}
}
