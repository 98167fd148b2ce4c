// Package retry is the one rule by which Keyward's queues space the attempts to deliver a message:
// the outbox's emails today, webhooks next. It is arithmetic on times and durations only, with no
// clock, storage or network, so that every queue's worker asks it the same question after a failure:
// when, if ever, to try this message again.
package retry

import "time"

// Policy spaces the attempts of one message: after its first failed attempt it waits First, then
// twice as long after each further failure but never more than Max; once GiveUp has passed since
// the message was queued, a failure is its last.
type Policy struct {
	First  time.Duration
	Max    time.Duration
	GiveUp time.Duration
}

// Delay is the wait after the given number of failed attempts (1 after the first failure):
// First, 2×First, 4×First … capped at Max. It is zero before any failure.
func (p Policy) Delay(failures int) time.Duration {
	if failures < 1 {
		return 0
	}
	d := p.First
	for i := 1; i < failures && d < p.Max; i++ {
		if d > p.Max/2 { // doubling would pass Max, or overflow
			return p.Max
		}
		d *= 2
	}
	return min(d, p.Max)
}

// Next is when to try again a message queued at queued whose attempt number failures (counting
// this one) failed at now; ok is false when the policy gives the message up instead.
func (p Policy) Next(queued, now time.Time, failures int) (next time.Time, ok bool) {
	if now.Sub(queued) >= p.GiveUp {
		return time.Time{}, false
	}
	return now.Add(p.Delay(failures)), true
}
