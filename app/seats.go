package app

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/store"
)

var (
	errNotLicensed = &Error{Status: http.StatusForbidden, Code: "FEATURE_NOT_LICENSED", Field: "feature", Message: "The license does not enable this feature."}
	errNoSlot      = &Error{Status: http.StatusForbidden, Code: "NO_FLOATING_SLOT", Message: "Every seat of this floating feature is in use; try again later."}
)

// seatCall finds the license, the active device and the licensed feature of a features request.
func (s *Server) seatCall(c *fiber.Ctx) (*licenseState, int64, store.LicenseFeature, error) {
	st, r, err := s.deviceCall(c, true)
	if err != nil {
		return nil, 0, store.LicenseFeature{}, err
	}
	var body struct {
		Feature string `json:"feature"`
	}
	jsonBody(c, &body)
	if body.Feature == "" {
		return nil, 0, store.LicenseFeature{}, badInput("feature", "Send the feature's code.")
	}
	if code := refusal(st.lic); code != "" {
		return nil, 0, store.LicenseFeature{}, refusalError(code)
	}
	deviceID, ok := st.devices[r.Fingerprint]
	if !ok {
		return nil, 0, store.LicenseFeature{}, errNotActive
	}
	for _, f := range st.lic.Features {
		if f.Code == body.Feature {
			return st, deviceID, f, nil
		}
	}
	return nil, 0, store.LicenseFeature{}, errNotLicensed
}

// deviceCheckFeature records a device's use of a feature; for a floating one it takes or
// refreshes a seat, or answers NO_FLOATING_SLOT.
// POST /api/v1/features/check
func (s *Server) deviceCheckFeature(c *fiber.Ctx) error {
	st, deviceID, f, err := s.seatCall(c)
	if err != nil {
		return err
	}
	s.devices.markSeen(deviceID, s.clock.Now())
	timeout := time.Duration(f.Timeout()) * time.Minute
	a, err := s.db.CheckFeature(c.UserContext(), st.lic.ID, f.ID, deviceID, f.Floating, f.Max(), timeout)
	if err != nil {
		return err
	}
	if !a.Granted {
		return errNoSlot
	}
	out := fiber.Map{"feature": f.Code, "floating": f.Floating, "granted": true}
	if f.Floating {
		out["seat"] = fiber.Map{"taken_at": a.TakenAt, "expires_at": a.ExpiresAt}
		out["used"], out["max"] = a.Used, f.Max()
	}
	return c.JSON(out)
}

// deviceReleaseFeature frees the device's seat of a floating feature.
// POST /api/v1/features/release
func (s *Server) deviceReleaseFeature(c *fiber.Ctx) error {
	st, deviceID, f, err := s.seatCall(c)
	if err != nil {
		return err
	}
	if err := s.db.ReleaseSeat(c.UserContext(), st.lic.ID, f.ID, deviceID); err != nil {
		return err
	}
	return c.SendStatus(http.StatusNoContent)
}

// featureSeats is a feature of a license with its seats, for the modules tab.
type featureSeats struct {
	store.LicenseFeature
	Used  int
	Seats []seatRow
}

type seatRow struct {
	store.Seat
	InUse bool
}

func (s *Server) licenseFeatureSeats(c *fiber.Ctx, l store.License) ([]featureSeats, error) {
	seats, err := s.db.LicenseSeats(c.UserContext(), l.ID)
	if err != nil {
		return nil, err
	}
	now := s.clock.Now()
	out := make([]featureSeats, 0, len(l.Features))
	for _, f := range l.Features {
		fs := featureSeats{LicenseFeature: f}
		for _, st := range seats {
			if st.FeatureID != f.ID || st.Floating != f.Floating {
				continue
			}
			inUse := !f.Floating || now.Sub(st.RefreshedAt) < time.Duration(f.Timeout())*time.Minute
			if f.Floating && inUse {
				fs.Used++
			}
			fs.Seats = append(fs.Seats, seatRow{st, inUse})
		}
		out = append(out, fs)
	}
	return out, nil
}

// revokeSeat frees a device's floating seat from the portal.
// POST /licenses/:id/seats/revoke
func (s *Server) revokeSeat(c *fiber.Ctx) error {
	l := guardedLicense(c)
	featureID, _ := strconv.ParseInt(c.FormValue("feature_id"), 10, 64)
	deviceID, _ := strconv.ParseInt(c.FormValue("device_id"), 10, 64)
	err := s.db.RevokeSeat(c.UserContext(), l.ID, featureID, deviceID, actor(c))
	if errors.Is(err, store.ErrNotFound) {
		return badInput("device_id", "This device holds no seat of that feature any more.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?tab=modules", l.ID), fiber.StatusSeeOther)
}
