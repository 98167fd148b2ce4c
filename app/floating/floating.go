// Package floating keeps the floating seats of licenses in memory, so that a device refreshing
// the seat it holds costs no write: refreshes are gathered and written in batches, while a seat
// taken or released is written before it is answered (a crash may lose seconds of a refresh,
// never a seat). It speaks neither HTTP nor SQL: the server loads pools and writes changes.
//
// With several instances sharing one database, each keeps its own pools: a reaper that judges a
// seat from the database must grant it the flush interval as grace, since a refresh may wait
// that long in another instance's memory before it is written.
package floating

import (
	"sync"
	"time"
)

// Key names a pool: the seats of one feature of one license.
type Key struct{ License, Feature int64 }

// Seat is a device's hold on a seat of a pool.
type Seat struct {
	Device        int64
	TakenAt       time.Time
	RefreshedAt   time.Time
	BorrowedUntil time.Time // zero: not borrowed
}

// Held tells whether the seat is still held at now: checked within timeout, or borrowed until later.
func (s Seat) Held(now time.Time, timeout time.Duration) bool {
	return now.Sub(s.RefreshedAt) < timeout || now.Before(s.BorrowedUntil)
}

// ExpiresAt is when the seat is free again unless checked: the later of its timeout and its borrowing.
func (s Seat) ExpiresAt(timeout time.Duration) time.Time {
	exp := s.RefreshedAt.Add(timeout)
	if s.BorrowedUntil.After(exp) {
		return s.BorrowedUntil
	}
	return exp
}

// Pool is the seats of one feature of one license. Lock it around a decision and its write,
// so that two devices never take the last seat at once.
type Pool struct {
	sync.Mutex
	seats map[int64]*Seat

	// used is the count of seats held at usedAt, kept until a seat is put or removed: refreshes
	// keep a held seat held, so most requests of a second count nothing.
	used    int
	usedAt  time.Time
	usedFor time.Duration
}

// Seat is the device's seat, if the pool knows one (held or not).
func (p *Pool) Seat(device int64) (Seat, bool) {
	s, ok := p.seats[device]
	if !ok {
		return Seat{}, false
	}
	return *s, true
}

// Used counts the seats held at now.
func (p *Pool) Used(now time.Time, timeout time.Duration) int {
	if now.Equal(p.usedAt) && timeout == p.usedFor {
		return p.used
	}
	n := 0
	for _, s := range p.seats {
		if s.Held(now, timeout) {
			n++
		}
	}
	p.used, p.usedAt, p.usedFor = n, now, timeout
	return n
}

// Expired lists the devices whose seats are no longer held at now: free to be taken.
func (p *Pool) Expired(now time.Time, timeout time.Duration) []int64 {
	var out []int64
	for d, s := range p.seats {
		if !s.Held(now, timeout) {
			out = append(out, d)
		}
	}
	return out
}

// Refresh marks a held seat checked at now; false when the device holds none.
func (p *Pool) Refresh(device int64, now time.Time, timeout time.Duration) (Seat, bool) {
	s, ok := p.seats[device]
	if !ok || !s.Held(now, timeout) {
		return Seat{}, false
	}
	if now.After(s.RefreshedAt) {
		s.RefreshedAt = now
	}
	return *s, true
}

// Put records a seat as written to the database, and forgets the expired ones written away with it.
func (p *Pool) Put(s Seat, freed []int64) {
	p.usedAt = time.Time{}
	for _, d := range freed {
		delete(p.seats, d)
	}
	p.seats[s.Device] = &s
}

// Remove forgets a device's seat, released in the database.
func (p *Pool) Remove(device int64) {
	p.usedAt = time.Time{}
	delete(p.seats, device)
}

// Table holds the pools in memory and the refreshes not written yet.
type Table struct {
	mu    sync.RWMutex
	gen   uint64 // bumped by every Forget, so that a load racing a change is not kept
	pools map[Key]*Pool

	pendingMu sync.Mutex
	pending   map[Touch]time.Time
}

// Touch is a device's check of a feature of a license, to write: its seat's refresh (floating)
// and its last use.
type Touch struct {
	Key
	Device int64
}

// NewTable is an empty table.
func NewTable() *Table {
	return &Table{pools: map[Key]*Pool{}, pending: map[Touch]time.Time{}}
}

// Pool is the pool of k if it is loaded; gen is to be handed to Load when it is not.
func (t *Table) Pool(k Key) (p *Pool, gen uint64) {
	t.mu.RLock()
	p, gen = t.pools[k], t.gen
	t.mu.RUnlock()
	return p, gen
}

// Load keeps the seats read from the database as k's pool, unless a Forget came since gen
// (then the pool is used for this request only); a pool loaded meanwhile by another request wins.
func (t *Table) Load(k Key, gen uint64, seats []Seat) *Pool {
	p := &Pool{seats: make(map[int64]*Seat, len(seats))}
	for i := range seats {
		p.seats[seats[i].Device] = &seats[i]
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur, ok := t.pools[k]; ok {
		return cur
	}
	if t.gen == gen {
		t.pools[k] = p
	}
	return p
}

// Forget drops the pools of a license: its seats changed in the database (revoked, its devices
// deactivated); the next request loads them again. Pending refreshes stay: writing them only
// moves the refresh time of seats that still exist.
func (t *Table) Forget(license int64) {
	t.mu.Lock()
	t.gen++
	for k := range t.pools {
		if k.License == license {
			delete(t.pools, k)
		}
	}
	t.mu.Unlock()
}

// ForgetAll drops every pool: changes made elsewhere may have been missed (another instance's,
// while the notifications of changes were cut off).
func (t *Table) ForgetAll() {
	t.mu.Lock()
	t.gen++
	clear(t.pools)
	t.mu.Unlock()
}

// Touched records a check to write with the next batch.
func (t *Table) Touched(k Key, device int64, at time.Time) {
	t.pendingMu.Lock()
	tc := Touch{k, device}
	if at.After(t.pending[tc]) {
		t.pending[tc] = at
	}
	t.pendingMu.Unlock()
}

// TakePending hands over the checks gathered since the last call. If writing them fails, the
// caller gives them back with Restore so that the next batch tries again.
func (t *Table) TakePending() map[Touch]time.Time {
	t.pendingMu.Lock()
	defer t.pendingMu.Unlock()
	if len(t.pending) == 0 {
		return nil
	}
	out := t.pending
	t.pending = map[Touch]time.Time{}
	return out
}

// Restore gives back checks whose write failed.
func (t *Table) Restore(batch map[Touch]time.Time) {
	t.pendingMu.Lock()
	for tc, at := range batch {
		if at.After(t.pending[tc]) {
			t.pending[tc] = at
		}
	}
	t.pendingMu.Unlock()
}
