package words

import (
	"testing"
	"time"
)

func TestWords(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"license status", Status("in_use"), "In use"},
		{"pending start", Status("pending_start"), "Pending start"},
		{"finalized", Status("contract_finalized"), "Contract finalized"},
		{"organization", Status("suspended"), "Suspended"},
		{"unknown status", Status("on_hold"), "On hold"},
		{"date", Date(time.Date(2026, 4, 16, 23, 59, 0, 0, time.UTC)), "16 Apr 2026"},
		{"date from another zone", Date(time.Date(2026, 4, 17, 1, 0, 0, 0, time.FixedZone("CEST", 2*3600))), "16 Apr 2026"},
		{"no date", Date(time.Time{}), "—"},
		{"moment", DateTime(time.Date(2026, 11, 2, 9, 5, 0, 0, time.UTC)), "2 Nov 2026, 09:05 UTC"},
		{"day", Day("2027-01-01"), "1 Jan 2027"},
		{"no day", Day(""), "—"},
		{"not a day", Day("soon"), "soon"},
		{"month", Month("2026-12"), "December 2026"},
		{"sentence", Sentence("annual"), "Annual"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
