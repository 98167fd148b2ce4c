package retry

import (
	"testing"
	"time"
)

func TestDelayDoublesUpToMax(t *testing.T) {
	p := Policy{First: 20 * time.Second, Max: 15 * time.Minute, GiveUp: 24 * time.Hour}
	for _, tc := range []struct {
		name     string
		failures int
		want     time.Duration
	}{
		{"before any failure", 0, 0},
		{"after the first failure", 1, 20 * time.Second},
		{"after the second", 2, 40 * time.Second},
		{"after the third", 3, 80 * time.Second},
		{"after the sixth", 6, 640 * time.Second},
		{"capped after the seventh", 7, 15 * time.Minute},
		{"still capped much later", 1000, 15 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := p.Delay(tc.failures); got != tc.want {
				t.Errorf("Delay(%d) = %s, want %s", tc.failures, got, tc.want)
			}
		})
	}
}

func TestNextGivesUpAfterGiveUp(t *testing.T) {
	p := Policy{First: time.Minute, Max: time.Hour, GiveUp: 24 * time.Hour}
	queued := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name     string
		now      time.Time
		failures int
		want     time.Time
		ok       bool
	}{
		{"first failure at once", queued, 1, queued.Add(time.Minute), true},
		{"third failure an hour later", queued.Add(time.Hour), 3, queued.Add(time.Hour + 4*time.Minute), true},
		{"a second before the day is over", queued.Add(24*time.Hour - time.Second), 30, queued.Add(25*time.Hour - time.Second), true},
		{"a day after it was queued", queued.Add(24 * time.Hour), 31, time.Time{}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := p.Next(queued, tc.now, tc.failures)
			if !got.Equal(tc.want) || ok != tc.ok {
				t.Errorf("Next = %v, %t; want %v, %t", got, ok, tc.want, tc.ok)
			}
		})
	}
}

// FuzzDelay checks the promises a queue relies on for every count of failures: never a negative
// or zero wait after a failure, never more than Max, and never shorter than the wait before.
func FuzzDelay(f *testing.F) {
	f.Add(1, int64(20*time.Second), int64(15*time.Minute))
	f.Add(64, int64(time.Second), int64(time.Hour))
	f.Fuzz(func(t *testing.T, failures int, first, max int64) {
		if failures < 1 || first <= 0 || max < first {
			t.Skip()
		}
		p := Policy{First: time.Duration(first), Max: time.Duration(max)}
		d := p.Delay(failures)
		if d <= 0 || d > p.Max {
			t.Fatalf("Delay(%d) = %s with First %s, Max %s", failures, d, p.First, p.Max)
		}
		if failures > 1 && d < p.Delay(failures-1) {
			t.Fatalf("Delay(%d) = %s is shorter than Delay(%d) = %s", failures, d, failures-1, p.Delay(failures-1))
		}
	})
}
