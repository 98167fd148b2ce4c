package app

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/floating"
	"keyward/store"
)

var (
	errNotLicensed = &Error{Status: http.StatusForbidden, Code: "FEATURE_NOT_LICENSED", Field: "feature", Message: "The license does not enable this feature."}
	errNoSlot      = &Error{Status: http.StatusForbidden, Code: "NO_FLOATING_SLOT", Message: "Every seat of this floating feature is in use; try again later."}
)

// seatRequest is the body of the features endpoints.
type seatRequest struct {
	Feature string `json:"feature"`
	Hours   *int   `json:"hours"` // features/borrow
}

// seatCall finds the license, the active device and the licensed feature of a features request.
func (s *Server) seatCall(c *fiber.Ctx) (*licenseState, int64, store.LicenseFeature, seatRequest, error) {
	var body seatRequest
	st, r, err := s.deviceCall(c, true)
	if err != nil {
		return nil, 0, store.LicenseFeature{}, body, err
	}
	if err := jsonBody(c, &body); err != nil {
		return nil, 0, store.LicenseFeature{}, body, badJSON(err, "a JSON object")
	}
	if body.Feature == "" {
		return nil, 0, store.LicenseFeature{}, body, badInput("feature", "Send the feature's code.")
	}
	if code := refusal(st.lic); code != "" {
		return nil, 0, store.LicenseFeature{}, body, refusalError(code)
	}
	deviceID, ok := st.devices[r.Fingerprint]
	if !ok {
		return nil, 0, store.LicenseFeature{}, body, errNotActive
	}
	for _, f := range st.lic.Features {
		if f.Code == body.Feature {
			return st, deviceID, f, body, nil
		}
	}
	return nil, 0, store.LicenseFeature{}, body, errNotLicensed
}

// seatPool is the pool of a feature of a license, loaded from the database on first use.
func (s *Server) seatPool(ctx context.Context, k floating.Key) (*floating.Pool, error) {
	tab := s.devices.seats
	p, gen := tab.Pool(k)
	if p != nil {
		return p, nil
	}
	rows, err := s.db.PoolSeats(ctx, k.License, k.Feature)
	if err != nil {
		return nil, err
	}
	seats := make([]floating.Seat, len(rows))
	for i, r := range rows {
		seats[i] = floating.Seat{Device: r.DeviceID, TakenAt: r.TakenAt, RefreshedAt: r.RefreshedAt, BorrowedUntil: r.BorrowedUntil}
	}
	return tab.Load(k, gen, seats), nil
}

// takeSeat gives a device a seat of a pool locked by the caller, in memory at once (others count
// it from now on), and queues its write; the caller unlocks, then waits for the write before it
// answers, so that a seat answered is a seat written. borrowUntil, when set, borrows it.
func (s *Server) takeSeat(p *floating.Pool, k floating.Key, deviceID int64, now time.Time, timeout time.Duration,
	borrowUntil time.Time) (floating.Seat, *seatOp) {
	freed := p.Expired(now, timeout) // the device's own expired seat too: it is taken anew
	seat := floating.Seat{Device: deviceID, TakenAt: now, RefreshedAt: now, BorrowedUntil: borrowUntil}
	if old, ok := p.Seat(deviceID); ok && old.Held(now, timeout) {
		seat.TakenAt = old.TakenAt
		if borrowUntil.IsZero() {
			seat.BorrowedUntil = old.BorrowedUntil
		}
	}
	p.Put(seat, freed)
	s.devices.seats.Touched(k, deviceID, now) // its use of the feature, with the next batch
	// The database frees only seats not refreshed for the timeout and batchGrace more: another
	// instance on the database may hold a refresh in its memory that long (DESIGN §10).
	return seat, s.queueSeatWrite(store.SeatWrite{LicenseID: k.License, FeatureID: k.Feature, DeviceID: deviceID, At: now,
		Freed: freed, Cutoff: now.Add(-timeout - batchGrace), BorrowedUntil: borrowUntil})
}

// seatOp is a seat write waiting for its commit.
type seatOp struct {
	w    store.SeatWrite
	done chan error
}

// seatWrites is the queue of the seat writer; its capacity bounds the requests that wait.
const seatQueue = 4096

// queueSeatWrite queues a write; call it with the pool locked, so that the writes of one pool are
// committed in the order memory saw them.
func (s *Server) queueSeatWrite(w store.SeatWrite) *seatOp {
	op := &seatOp{w: w, done: make(chan error, 1)}
	s.seatOps <- op
	return op
}

// wait waits for the commit of a write; on failure the license's pools are read again from the
// database, which memory had got ahead of.
func (s *Server) waitSeat(op *seatOp) error {
	if err := <-op.done; err != nil {
		s.devices.seats.Forget(op.w.LicenseID)
		return err
	}
	return nil
}

// writeSeats is the seat writer: it commits the queued seat writes, all those waiting in one
// transaction, so that many devices taking and freeing seats share a commit.
func (s *Server) writeSeats() {
	defer close(s.seatsDone)
	for op := range s.seatOps {
		batch := []*seatOp{op}
	more:
		for len(batch) < 512 {
			select {
			case o, ok := <-s.seatOps:
				if !ok {
					break more
				}
				batch = append(batch, o)
			default:
				break more
			}
		}
		ws := make([]store.SeatWrite, len(batch))
		for i, o := range batch {
			ws[i] = o.w
		}
		err := s.db.WriteSeats(context.Background(), ws)
		if err != nil {
			s.log.Error("unable to write seats", "count", len(ws), "error", err)
		}
		for _, o := range batch {
			o.done <- err
		}
		// Other instances on the database read these licenses' seats again (DESIGN §10).
		if err == nil {
			s.announceSeats(ws)
		}
	}
}

// announceSeats tells the other instances on the database that seats of these licenses were
// taken or released, so that they drop their pools of them; on SQLite there are none.
func (s *Server) announceSeats(ws []store.SeatWrite) {
	done := map[int64]bool{}
	for _, w := range ws {
		if done[w.LicenseID] {
			continue
		}
		done[w.LicenseID] = true
		if err := s.db.Announce(context.Background(), fmt.Sprintf("license %d %s", w.LicenseID, s.instance)); err != nil {
			s.log.Error("unable to tell the other instances of taken seats", "license_id", w.LicenseID, "error", err)
		}
	}
}

// checkAnswer is the answer of features/check.
type checkAnswer struct {
	Feature  string      `json:"feature"`
	Floating bool        `json:"floating"`
	Granted  bool        `json:"granted"`
	Seat     *seatAnswer `json:"seat,omitempty"`
	Used     *int        `json:"used,omitempty"`
	Max      *int        `json:"max,omitempty"`
}

// seatAnswer is a seat in the features answers.
type seatAnswer struct {
	Feature       string     `json:"feature,omitempty"`
	Fingerprint   string     `json:"fingerprint,omitempty"`
	TakenAt       time.Time  `json:"taken_at"`
	ExpiresAt     *time.Time `json:"expires_at,omitempty"`
	BorrowedUntil *time.Time `json:"borrowed_until,omitempty"`
}

// deviceNow is the time of a device request, to the second like every time the API answers.
func (s *Server) deviceNow() time.Time { return s.clock.Now().UTC().Truncate(time.Second) }

// deviceCheckFeature records a device's use of a feature; for a floating one it takes or
// refreshes a seat, or answers NO_FLOATING_SLOT. Refreshing a held seat writes nothing at once:
// the refresh joins the next batch.
// POST /api/v1/features/check
func (s *Server) deviceCheckFeature(c *fiber.Ctx) error {
	st, deviceID, f, _, err := s.seatCall(c)
	if err != nil {
		return err
	}
	now := s.deviceNow()
	s.devices.markSeen(deviceID, now)
	k := floating.Key{License: st.lic.ID, Feature: f.ID}
	if !f.Floating {
		s.devices.seats.Touched(k, deviceID, now)
		return c.JSON(checkAnswer{Feature: f.Code, Granted: true})
	}
	timeout := time.Duration(f.Timeout()) * time.Minute
	p, err := s.seatPool(c.UserContext(), k)
	if err != nil {
		return err
	}
	p.Lock()
	seat, ok := p.Refresh(deviceID, now, timeout)
	var op *seatOp
	if ok {
		s.devices.seats.Touched(k, deviceID, now)
	} else {
		if p.Used(now, timeout) >= f.Max() {
			p.Unlock()
			return errNoSlot
		}
		seat, op = s.takeSeat(p, k, deviceID, now, timeout, time.Time{})
	}
	used, max := p.Used(now, timeout), f.Max()
	p.Unlock()
	if op != nil {
		if err := s.waitSeat(op); err != nil {
			return err
		}
	}
	return c.JSON(checkAnswer{Feature: f.Code, Floating: true, Granted: true, Used: &used, Max: &max,
		Seat: &seatAnswer{TakenAt: seat.TakenAt.UTC(), ExpiresAt: optTime(seat.ExpiresAt(timeout).UTC()), BorrowedUntil: optTime(seat.BorrowedUntil.UTC())}})
}

// deviceBorrowFeature holds a floating seat for a device going offline, until borrowed_until
// whatever its checks (DESIGN §9); borrowing again moves that time.
// POST /api/v1/features/borrow
func (s *Server) deviceBorrowFeature(c *fiber.Ctx) error {
	st, deviceID, f, body, err := s.seatCall(c)
	if err != nil {
		return err
	}
	if !f.Floating {
		return badInput("feature", "Only a floating feature's seat can be borrowed; %s is not floating.", f.Code)
	}
	if f.MaxBorrow() == 0 {
		return badInput("hours", "Borrowing is off for %s on this license.", f.Code)
	}
	if body.Hours == nil || !inRange(*body.Hours, 1, f.MaxBorrow()) {
		return badInput("hours", "Borrow a seat of %s for 1 to %d hours.", f.Code, f.MaxBorrow())
	}
	now := s.deviceNow()
	s.devices.markSeen(deviceID, now)
	k := floating.Key{License: st.lic.ID, Feature: f.ID}
	timeout := time.Duration(f.Timeout()) * time.Minute
	p, err := s.seatPool(c.UserContext(), k)
	if err != nil {
		return err
	}
	p.Lock()
	if old, ok := p.Seat(deviceID); (!ok || !old.Held(now, timeout)) && p.Used(now, timeout) >= f.Max() {
		p.Unlock()
		return errNoSlot
	}
	seat, op := s.takeSeat(p, k, deviceID, now, timeout, now.Add(time.Duration(*body.Hours)*time.Hour))
	used, max := p.Used(now, timeout), f.Max()
	p.Unlock()
	if err := s.waitSeat(op); err != nil {
		return err
	}
	fingerprint := ""
	for fp, id := range st.devices {
		if id == deviceID {
			fingerprint = fp
		}
	}
	return c.JSON(fiber.Map{"seat": seatAnswer{Feature: f.Code, Fingerprint: fingerprint, TakenAt: seat.TakenAt.UTC(),
		BorrowedUntil: optTime(seat.BorrowedUntil.UTC())}, "used": used, "max": max})
}

// deviceReleaseFeature frees the device's seat of a floating feature, borrowed or not.
// POST /api/v1/features/release
func (s *Server) deviceReleaseFeature(c *fiber.Ctx) error {
	st, deviceID, f, _, err := s.seatCall(c)
	if err != nil {
		return err
	}
	k := floating.Key{License: st.lic.ID, Feature: f.ID}
	p, err := s.seatPool(c.UserContext(), k)
	if err != nil {
		return err
	}
	p.Lock()
	p.Remove(deviceID)
	op := s.queueSeatWrite(store.SeatWrite{LicenseID: k.License, FeatureID: k.Feature, DeviceID: deviceID, At: s.deviceNow(), Release: true})
	p.Unlock()
	if err := s.waitSeat(op); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// flushFeatureChecks writes the seat refreshes and feature uses gathered since the last batch.
func (s *Server) flushFeatureChecks(ctx context.Context) error {
	batch := s.devices.seats.TakePending()
	if len(batch) == 0 {
		return nil
	}
	checks := make([]store.FeatureCheck, 0, len(batch))
	for t, at := range batch {
		checks = append(checks, store.FeatureCheck{LicenseID: t.License, FeatureID: t.Feature, DeviceID: t.Device, At: at})
	}
	if err := s.db.TouchFeatures(ctx, checks); err != nil {
		s.devices.seats.Restore(batch)
		return err
	}
	return nil
}

// featureSeats is a feature of a license with the devices that checked it, for the modules tab.
type featureSeats struct {
	store.LicenseFeature
	Used  int
	Seats []seatRow
}

type seatRow struct {
	store.Seat
	InUse    bool // holds a seat now (floating), or uses the feature (the others)
	Borrowed bool // its seat is borrowed until BorrowedUntil
}

func (s *Server) licenseFeatureSeats(c *fiber.Ctx, l store.License) ([]featureSeats, error) {
	if err := s.flushSeen(c.UserContext()); err != nil {
		return nil, err
	}
	seats, err := s.db.LicenseSeats(c.UserContext(), l.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]featureSeats, 0, len(l.Features))
	for _, f := range l.Features {
		fs := featureSeats{LicenseFeature: f}
		timeout := time.Duration(f.Timeout()) * time.Minute
		for _, st := range seats {
			if st.FeatureID != f.ID {
				continue
			}
			row := seatRow{Seat: st, InUse: !f.Floating}
			if f.Floating && !st.TakenAt.IsZero() {
				seat := floating.Seat{RefreshedAt: st.RefreshedAt, BorrowedUntil: st.BorrowedUntil}
				row.InUse, row.Borrowed = seat.Held(now, timeout), now.Before(st.BorrowedUntil)
			}
			if f.Floating && row.InUse {
				fs.Used++
			}
			fs.Seats = append(fs.Seats, row)
		}
		out = append(out, fs)
	}
	return out, nil
}

// revokeSeat frees a device's floating seat from the portal (a borrowed one too: the device
// keeps its offline token until it ends).
// POST /licenses/:id/seats/revoke
func (s *Server) revokeSeat(c *fiber.Ctx) error {
	l := guardedLicense(c)
	featureID, _ := strconv.ParseInt(c.FormValue("feature_id"), 10, 64)
	deviceID, _ := strconv.ParseInt(c.FormValue("device_id"), 10, 64)
	err := s.db.RevokeSeat(c.UserContext(), l.ID, featureID, deviceID, actor(c))
	s.forgetLicense(c.UserContext(), l.ID)
	if errors.Is(err, store.ErrNotFound) {
		return badInput("device_id", "This device holds no seat of that feature any more.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?tab=modules", l.ID), fiber.StatusSeeOther)
}
