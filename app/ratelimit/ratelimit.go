// Package ratelimit limits how often a key (an address, an account, a license) may act,
// with the generic cell rate algorithm: one timestamp a key, no background goroutine.
package ratelimit

import (
	"sync"
	"time"
)

// Limiter allows up to n events a period per key, in a burst or spread out.
type Limiter struct {
	interval time.Duration // the period divided by n: the time one event "costs"
	period   time.Duration
	now      func() time.Time

	mu     sync.Mutex
	tat    map[string]time.Time // theoretical arrival time: when the key is back to an empty bucket
	events int
}

// New returns a limiter of n events per period, reading the time from now.
func New(n int, period time.Duration, now func() time.Time) *Limiter {
	return &Limiter{interval: period / time.Duration(n), period: period, now: now, tat: make(map[string]time.Time)}
}

// Allow takes one event for key and tells whether it is allowed; if not, retryAfter says
// how long until the next one is.
func (l *Limiter) Allow(key string) (ok bool, retryAfter time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.events++
	if l.events%10000 == 0 {
		l.forgetIdle(now)
	}
	tat := l.tat[key]
	if tat.Before(now) {
		tat = now
	}
	next := tat.Add(l.interval)
	if wait := next.Sub(now) - l.period; wait > 0 {
		return false, wait
	}
	l.tat[key] = next
	return true, 0
}

// forgetIdle drops the keys whose bucket has emptied, so memory stays bounded by the active keys.
func (l *Limiter) forgetIdle(now time.Time) {
	for k, tat := range l.tat {
		if tat.Before(now) {
			delete(l.tat, k)
		}
	}
}
