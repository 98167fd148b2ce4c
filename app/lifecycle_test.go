package app

import (
	"errors"
	"strings"
	"testing"
	"time"

	"keyward/store"
)

// TestLifecycleTable tries every action on every status: the transitions of DESIGN §3 happen,
// every other is refused with a message that says why.
func TestLifecycleTable(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	want := map[string]map[string]string{ // status → action → new status ("" refused)
		store.StatusPendingProvision:  {actProvision: store.StatusPendingStart},
		store.StatusPendingStart:      {actStart: store.StatusInUse, actDeny: store.StatusAccessDenied, actTerminate: store.StatusContractFinalized},
		store.StatusInUse:             {actDeny: store.StatusAccessDenied, actTerminate: store.StatusContractFinalized, actRenew: store.StatusInUse},
		store.StatusAccessDenied:      {actReinstate: store.StatusInUse, actTerminate: store.StatusContractFinalized},
		store.StatusContractFinalized: {actRenew: store.StatusInUse},
	}
	actions := []string{actProvision, actStart, actDeny, actReinstate, actTerminate, actRenew}
	for _, from := range licenseStatuses {
		for _, action := range actions {
			t.Run(from+"/"+action, func(t *testing.T) {
				l := store.License{Status: from, TermYears: 1, OrgID: 7}
				if from != store.StatusPendingProvision && from != store.StatusPendingStart {
					l.StartDate, l.EndDate = "2026-06-01", "2027-06-01"
				}
				if from == store.StatusContractFinalized {
					l.StartDate, l.EndDate = "2025-10-01", "2026-10-01"
				}
				if from == store.StatusAccessDenied {
					l.PreviousStatus = store.StatusInUse
				}
				r := lifecycleRequest{Action: action, Reason: "unpaid invoice", OrgID: 7}
				evs, err := applyLifecycle(&l, r, now)
				to := want[from][action]
				if to == "" {
					var e *Error
					if !errors.As(err, &e) || e.Code != "INVALID_TRANSITION" || !strings.Contains(e.Message, statusLabel(from)) {
						t.Fatalf("%s from %s: %v, want a refusal naming the status", action, from, err)
					}
					return
				}
				if err != nil {
					t.Fatalf("%s from %s: %v", action, from, err)
				}
				if l.Status != to {
					t.Errorf("%s from %s: status %s, want %s", action, from, l.Status, to)
				}
				if len(evs) != 1 || evs[0].FromStatus != from || evs[0].ToStatus != to {
					t.Errorf("history %+v", evs)
				}
			})
		}
	}
}

func TestLifecycleDetails(t *testing.T) {
	now := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	l := store.License{Status: store.StatusPendingStart, TermYears: 2}
	if _, err := applyLifecycle(&l, lifecycleRequest{Action: actStart}, now); err != nil {
		t.Fatal(err)
	}
	if l.StartDate != "2026-11-02" || l.EndDate != "2028-11-02" {
		t.Errorf("started by hand: %s–%s, want 2026-11-02–2028-11-02", l.StartDate, l.EndDate)
	}
	if _, err := applyLifecycle(&l, lifecycleRequest{Action: actDeny}, now); err == nil {
		t.Error("deny without a reason was accepted")
	}
	applyLifecycle(&l, lifecycleRequest{Action: actDeny, Reason: "unpaid"}, now)
	applyLifecycle(&l, lifecycleRequest{Action: actReinstate}, now)
	if l.Status != store.StatusInUse || l.DenyReason != "" {
		t.Errorf("reinstated: %s %q, want in_use and no reason", l.Status, l.DenyReason)
	}
	l = store.License{Status: store.StatusContractFinalized, TermYears: 1, StartDate: "2025-11-01", EndDate: "2026-11-01"}
	if _, err := applyLifecycle(&l, lifecycleRequest{Action: actRenew, Years: 2}, now); err != nil {
		t.Fatal(err)
	}
	if l.EndDate != "2028-11-01" || l.Status != store.StatusInUse {
		t.Errorf("renewed: %s until %s, want in_use until 2028-11-01", l.Status, l.EndDate)
	}
	l = store.License{Status: store.StatusInUse, TermYears: 1, StartDate: "2026-06-01", EndDate: "2027-06-01"}
	applyLifecycle(&l, lifecycleRequest{Action: actTerminate}, now)
	if l.EndDate != "2026-11-02" {
		t.Errorf("terminated: end date %s, want today", l.EndDate)
	}
	l = store.License{Status: store.StatusPendingProvision, StartDate: "2026-01-01", TermYears: 1}
	applyLifecycle(&l, lifecycleRequest{Action: actProvision, OrgID: 3}, now)
	if l.Status != store.StatusInUse || l.OrgID != 3 {
		t.Errorf("provisioned with a start date come: %s, org %d", l.Status, l.OrgID)
	}
}
