package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"keyward/store"
)

// expiryStep is a step of the notification ladder of DESIGN §3, days from the end date.
type expiryStep struct {
	Name  string
	Days  int // the step falls due on end date + Days
	Label string
}

var expiryLadder = []expiryStep{
	{"30d", -30, "ends in 30 days"},
	{"15d", -15, "ends in 15 days"},
	{"7d", -7, "ends in 7 days"},
	{"1d", -1, "ends tomorrow"},
	{"cutoff", 0, "has ended"},
	{"after1d", 1, "ended yesterday: renew it"},
}

// expiryLabel says when the license ends as of today, not as of the step's own day: a step sent
// late (the license was created 19 days before its end, or the server was down) tells the days
// really left, "ends in 19 days", never the step's "30 days".
func expiryLabel(st expiryStep, endDate, today string) string {
	if st.Days >= 0 {
		return st.Label
	}
	end, err1 := time.Parse(time.DateOnly, endDate)
	now, err2 := time.Parse(time.DateOnly, today)
	if err1 != nil || err2 != nil {
		return st.Label
	}
	switch left := int(end.Sub(now).Hours() / 24); {
	case left <= 0:
		return "has ended"
	case left == 1:
		return "ends tomorrow"
	default:
		return fmt.Sprintf("ends in %d days", left)
	}
}

// stepLabel names a step of the ladder for people, as the license page lists it.
func stepLabel(name string) string {
	for _, st := range expiryLadder {
		switch {
		case st.Name != name:
		case st.Days < -1:
			return fmt.Sprintf("%d days before the end", -st.Days)
		case st.Days == -1:
			return "1 day before the end"
		case st.Days == 0:
			return "end date (cut-off)"
		default:
			return "1 day after (renewal reminder)"
		}
	}
	return name
}

// ladderWindow is how long after the end date a missed step is still sent.
const ladderWindow = 31

// licenseLifecycle is the license job: it writes the start of licenses whose start date has come
// and the cut-off of those whose end date has come (every read shows both at once already), and
// sends the expiry ladder. Safe to run any number of times.
func (s *Server) licenseLifecycle(ctx context.Context) error {
	now := s.clock.Now()
	today := civilDay(now)
	due, err := s.db.LicensesDue(ctx, today)
	if err != nil {
		return err
	}
	for _, d := range due {
		// Writing the license records what the day made of it: its start, its cut-off.
		_, err := s.db.ChangeLicense(ctx, d.ID, store.Actor{}, func(*store.License, time.Time) (store.LicenseChange, error) {
			return store.LicenseChange{}, nil
		})
		s.forgetLicense(ctx, d.ID)
		if err != nil {
			return err
		}
	}
	ending, err := s.db.LicensesEndingBetween(ctx, addDays(today, -ladderWindow), addDays(today, -expiryLadder[0].Days))
	if err != nil {
		return err
	}
	sent := false
	for _, l := range ending {
		ok, err := s.notifyExpiry(ctx, l, today)
		if err != nil {
			return err
		}
		sent = sent || ok
	}
	if sent {
		s.wakeOutbox()
	}
	return nil
}

// notifyExpiry sends the latest due step of a license's ladder, unless it was sent: after a
// downtime the steps missed before it are skipped.
func (s *Server) notifyExpiry(ctx context.Context, l store.License, today string) (bool, error) {
	var step *expiryStep
	for i := range expiryLadder {
		if addDays(l.EndDate, expiryLadder[i].Days) <= today {
			step = &expiryLadder[i]
		}
	}
	if step == nil {
		return false, nil
	}
	sent, err := s.db.SentSteps(ctx, l.ID, l.EndDate)
	if err != nil || sent[step.Name] {
		return false, err
	}
	to, err := s.db.LicenseRecipients(ctx, l.OrgID, l.DistributorID)
	if err != nil {
		return false, err
	}
	emails := make([]store.Email, 0, len(to))
	for _, addr := range to {
		e, err := s.email(addr, "license-expiry", map[string]any{"License": l, "Step": step.Name, "Label": expiryLabel(*step, l.EndDate, today),
			"EndedToday": l.EndDate == today,
			"EndDate":    l.EndDate, "LastDay": addDays(l.EndDate, -1), "URL": fmt.Sprintf("/licenses/%d", l.ID)})
		if err != nil {
			return false, err
		}
		emails = append(emails, e)
	}
	err = s.db.RecordNotification(ctx, store.Notification{LicenseID: l.ID, EndDate: l.EndDate, Step: step.Name, Recipients: to}, emails)
	if errors.Is(err, store.ErrConflict) {
		return false, nil // another run sent it
	}
	return err == nil, err
}
