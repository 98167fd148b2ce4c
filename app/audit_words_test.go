package app

import (
	"strings"
	"testing"
)

// TestAuditWordsNeverShowACode: every audit action reads as words, also one added without a
// phrase of its own.
func TestAuditWordsNeverShowACode(t *testing.T) {
	actions := []string{"invoice.sent_again", "bootstrap", "two_factor.new_thing"}
	for a := range auditPhrases {
		actions = append(actions, a)
	}
	for _, a := range actions {
		if w := auditWords(a); w == "" || strings.ContainsAny(w, "._") {
			t.Errorf("%s reads %q", a, w)
		}
	}
	if got, want := auditWords("invoice.sent_again"), "Invoice: sent again"; got != want {
		t.Errorf("an action without a phrase reads %q, want %q", got, want)
	}
}

func TestDetailWords(t *testing.T) {
	got := detailWords("NW-2026-0005, 10080.00 EUR, due 2026-12-02; in_use → access_denied; 718.20 EUR")
	if want := "NW-2026-0005, 10,080.00 EUR, due 2 Dec 2026; In use → Access denied; 718.20 EUR"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
