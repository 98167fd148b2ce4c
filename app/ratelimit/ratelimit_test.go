package ratelimit

import (
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	l := New(3, time.Minute, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("a"); !ok {
			t.Fatalf("event %d refused within the burst", i+1)
		}
	}
	ok, retry := l.Allow("a")
	if ok {
		t.Fatal("fourth event in a minute allowed")
	}
	if got, want := retry, 20*time.Second; got != want {
		t.Errorf("retry after %s, want %s", got, want)
	}
	if ok, _ := l.Allow("b"); !ok {
		t.Error("another key was limited by the first")
	}
	now = now.Add(20 * time.Second)
	if ok, _ := l.Allow("a"); !ok {
		t.Error("event refused after one interval passed")
	}
	if ok, _ := l.Allow("a"); ok {
		t.Error("second event allowed after only one interval")
	}
	now = now.Add(time.Hour)
	l.forgetIdle(now)
	if got := len(l.tat); got != 0 {
		t.Errorf("%d idle keys kept", got)
	}
}
