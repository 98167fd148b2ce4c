package floating

import (
	"testing"
	"time"
)

func TestPoolHoldsSeatsUntilTheirTimeoutOrBorrowing(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	timeout := 15 * time.Minute
	tab := NewTable()
	k := Key{1, 2}
	p, gen := tab.Pool(k)
	if p != nil {
		t.Fatal("a pool before any load")
	}
	p = tab.Load(k, gen, []Seat{{Device: 10, TakenAt: t0, RefreshedAt: t0}, {Device: 11, TakenAt: t0, RefreshedAt: t0, BorrowedUntil: t0.Add(48 * time.Hour)}})
	if got, _ := tab.Pool(k); got != p {
		t.Fatal("the loaded pool is not kept")
	}
	tests := []struct {
		name    string
		at      time.Duration
		used    int
		expired int
	}{
		{"both held", 14 * time.Minute, 2, 0},
		{"timed out, the borrowed one stays", 15 * time.Minute, 1, 1},
		{"borrowing ended", 48 * time.Hour, 0, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := t0.Add(tt.at)
			if got := p.Used(now, timeout); got != tt.used {
				t.Errorf("used %d, want %d", got, tt.used)
			}
			if got := len(p.Expired(now, timeout)); got != tt.expired {
				t.Errorf("expired %d, want %d", got, tt.expired)
			}
		})
	}
	if _, ok := p.Refresh(10, t0.Add(10*time.Minute), timeout); !ok {
		t.Fatal("refresh of a held seat")
	}
	if got := p.Used(t0.Add(20*time.Minute), timeout); got != 2 {
		t.Errorf("after a refresh at 10 min, at 20 min: used %d, want 2", got)
	}
	if _, ok := p.Refresh(12, t0, timeout); ok {
		t.Error("a refresh of a seat never taken")
	}
	tab.Touched(k, 10, t0.Add(time.Minute))
	tab.Touched(k, 10, t0) // older: kept the later
	batch := tab.TakePending()
	if got := batch[Touch{k, 10}]; !got.Equal(t0.Add(time.Minute)) {
		t.Errorf("pending %v", got)
	}
	if tab.TakePending() != nil {
		t.Error("a batch handed over twice")
	}
	tab.Restore(batch)
	if len(tab.TakePending()) != 1 {
		t.Error("a failed batch is not given back")
	}
	tab.Forget(1)
	if got, gen2 := tab.Pool(k); got != nil || gen2 == gen {
		t.Error("Forget kept the pool")
	}
	if tab.Load(k, gen, nil); func() bool { p, _ := tab.Pool(k); return p != nil }() {
		t.Error("a load older than a Forget was kept")
	}
}
