package app

import (
	"fmt"
	"strings"
	"time"

	"keyward/app/words"
	"keyward/store"
)

// Lifecycle actions on a license (DESIGN §3); starting by devices or by the start date, and
// the cut-off, are the system's.
const (
	actProvision = "provision"
	actStart     = "start"
	actDeny      = "deny"
	actReinstate = "reinstate"
	actTerminate = "terminate"
	actRenew     = "renew"
)

// lifecycleFrom is the status table: the statuses each action may leave.
var lifecycleFrom = map[string][]string{
	actProvision: {store.StatusPendingProvision},
	actStart:     {store.StatusPendingStart},
	actDeny:      {store.StatusPendingStart, store.StatusInUse},
	actReinstate: {store.StatusAccessDenied},
	actTerminate: {store.StatusPendingStart, store.StatusInUse, store.StatusAccessDenied},
	actRenew:     {store.StatusInUse, store.StatusContractFinalized},
}

// lifecycleHint says why an action does not apply to a status, and what to do instead.
var lifecycleHint = map[string]string{
	store.StatusPendingProvision:  "assign it to a client first (provision)",
	store.StatusAccessDenied:      "reinstate it first",
	store.StatusContractFinalized: "renew it to use it again",
	store.StatusPendingStart:      "it has not started yet",
	store.StatusInUse:             "it is in use already",
}

// maxTermYears is the longest term renewals may make (the store keeps terms of 1 to 100 years).
const maxTermYears = 100

// lifecycleRequest is what a lifecycle action needs besides the license.
type lifecycleRequest struct {
	Action string
	Reason string // deny (required), terminate
	OrgID  int64  // provision: the client
	Years  int    // renew: years added (default the term)
}

// statusLabel is how a status reads inside a sentence of a message: "in use".
func statusLabel(s string) string { return strings.ReplaceAll(s, "_", " ") }

// statusWords writes the license statuses named in a text (audit details) as pages name them.
var statusWords = strings.NewReplacer(store.StatusPendingProvision, words.Status(store.StatusPendingProvision),
	store.StatusPendingStart, words.Status(store.StatusPendingStart), store.StatusInUse, words.Status(store.StatusInUse),
	store.StatusAccessDenied, words.Status(store.StatusAccessDenied), store.StatusContractFinalized, words.Status(store.StatusContractFinalized))

// applyLifecycle changes the license as the action says, or explains why it cannot.
func applyLifecycle(l *store.License, r lifecycleRequest, now time.Time) ([]store.LicenseEvent, error) {
	from, ok := lifecycleFrom[r.Action]
	if !ok {
		return nil, badInput("action", "Unknown action %q: use provision, start, deny, reinstate, terminate or renew.", r.Action)
	}
	if !contains(from, l.Status) {
		msg := fmt.Sprintf("A license that is %s cannot be %s", statusLabel(l.Status), pastTense(r.Action))
		if hint := lifecycleHint[l.Status]; hint != "" {
			msg += ": " + hint
		}
		return nil, &Error{Status: 409, Code: "INVALID_TRANSITION", Field: "action", Message: msg + "."}
	}
	today := civilDay(now)
	old := l.Status
	ev := store.LicenseEvent{Kind: "status", FromStatus: old, Details: strings.TrimSpace(r.Reason)}
	switch r.Action {
	case actProvision:
		if r.OrgID == 0 {
			return nil, badInput("organization_id", "Choose the client organization to provision the license to.")
		}
		l.OrgID = r.OrgID
		l.Status = store.StatusPendingStart
		if l.StartDate != "" && l.StartDate <= today {
			l.Status = store.StatusInUse
		}
		ev.Kind = "provision"
	case actStart:
		l.Status, l.StartDate, l.EndDate = store.StatusInUse, today, addYears(today, l.TermYears)
		ev.Details = strings.TrimSpace("started by hand " + ev.Details)
	case actDeny:
		if ev.Details == "" {
			return nil, badInput("reason", "Say why access is denied: the client and the history show it.")
		}
		l.PreviousStatus, l.DenyReason, l.Status = l.Status, ev.Details, store.StatusAccessDenied
	case actReinstate:
		l.Status, l.PreviousStatus, l.DenyReason = l.PreviousStatus, "", ""
		if l.Status == "" {
			l.Status = store.StatusInUse
		}
	case actTerminate:
		l.Status = store.StatusContractFinalized
		if l.EndDate == "" || l.EndDate > today {
			l.EndDate = today
		}
		ev.Details = strings.TrimSpace("terminated " + ev.Details)
	case actRenew:
		years := r.Years
		if years == 0 {
			years = l.TermYears
		}
		if years < 1 || years > 5 {
			return nil, badInput("years", "Renew for 1 to 5 years.")
		}
		if l.TermYears+years > maxTermYears {
			return nil, badInput("years", "Renewed for %d year%s the term would pass %d years: create a new license instead.", years, plural(years), maxTermYears)
		}
		end := addYears(l.EndDate, years)
		if end <= today {
			return nil, badInput("years", "Renewed for %d year%s the license would still end on %s, in the past: renew for longer.", years, plural(years), end)
		}
		ev.Kind = "renewal"
		ev.Details = fmt.Sprintf("end date %s → %s (%d year%s); term %d → %d years", l.EndDate, end, years, plural(years),
			l.TermYears, l.TermYears+years)
		// The term grows with the end date (DESIGN §6), so that start + term is still the end.
		l.EndDate, l.Status, l.TermYears = end, store.StatusInUse, l.TermYears+years
	}
	ev.ToStatus = l.Status
	return []store.LicenseEvent{ev}, nil
}

func pastTense(action string) string {
	return map[string]string{actProvision: "provisioned", actStart: "started", actDeny: "denied access",
		actReinstate: "reinstated", actTerminate: "terminated", actRenew: "renewed"}[action]
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// civilDay is the UTC day of a time, as YYYY-MM-DD.
func civilDay(t time.Time) string { return t.UTC().Format(time.DateOnly) }

// addYears adds whole years to a YYYY-MM-DD day (29 February + 1 year is 1 March).
func addYears(day string, years int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ""
	}
	return t.AddDate(years, 0, 0).Format(time.DateOnly)
}

// addDays adds days to a YYYY-MM-DD day.
func addDays(day string, n int) string {
	t, err := time.Parse(time.DateOnly, day)
	if err != nil {
		return ""
	}
	return t.AddDate(0, 0, n).Format(time.DateOnly)
}
