package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/signing"
	"keyward/store"
)

// Offline license files (DESIGN §9): a device may work offline until its file expires.
const (
	defaultFileDays = 30
	maxFileDays     = 365
)

// licenseFile signs a license file for a device of a license, for days (never past 00:00 UTC of
// the end date), and records its expiry on the device so that it is not culled before.
func (s *Server) licenseFile(c *fiber.Ctx, st *licenseState, d store.Device, days int, by *store.Actor) (signing.File, error) {
	now := s.deviceNow()
	exp := signing.FileExpiry(now, days, st.lic.EndDate)
	if !exp.After(now) {
		return signing.File{}, refusalError("CONTRACT_FINALIZED")
	}
	if err := s.db.RecordLicenseFile(c.UserContext(), st.lic.ID, d.ID, exp, by); err != nil {
		return signing.File{}, err
	}
	return s.signer.SignFile(signing.Payload{License: st.body, Fingerprint: d.Fingerprint, IssuedAt: now, ExpiresAt: exp})
}

// fileDays reads the days a license file is asked for: 1 to 365, 30 when not sent.
func fileDays(days *int) (int, error) {
	if days == nil {
		return defaultFileDays, nil
	}
	if !inRange(*days, 1, maxFileDays) {
		return 0, badInput("days", "A license file lasts 1 to %d days.", maxFileDays)
	}
	return *days, nil
}

// deviceLicenseFile gives an activated device a signed license file to work offline.
// POST /api/v1/license-file
func (s *Server) deviceLicenseFile(c *fiber.Ctx) error {
	st, r, err := s.deviceCall(c, true)
	if err != nil {
		return err
	}
	var body struct {
		Days *int `json:"days"`
	}
	if err := jsonBody(c, &body); err != nil {
		return badJSON(err, "a JSON object")
	}
	days, err := fileDays(body.Days)
	if err != nil {
		return err
	}
	if code := refusal(st.lic); code != "" {
		return refusalError(code)
	}
	id, ok := st.devices[r.Fingerprint]
	if !ok {
		return errNotActive
	}
	s.devices.markSeen(id, s.deviceNow())
	f, err := s.licenseFile(c, st, store.Device{ID: id, Fingerprint: r.Fingerprint}, days, nil)
	if err != nil {
		return err
	}
	return c.JSON(f)
}

// guardedDevice is the active device of the route's :device on the guarded license.
func (s *Server) guardedDevice(c *fiber.Ctx) (store.Device, error) {
	id, err := idParam(c, "device")
	if err != nil {
		return store.Device{}, err
	}
	d, err := s.db.LicenseDevice(c.UserContext(), guardedLicense(c).ID, id)
	if err != nil {
		return d, err
	}
	if !d.Active {
		return d, badInput("device", "This device is deactivated.")
	}
	return d, nil
}

var unsafeFileChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// downloadLicenseFile answers a license file for a device as a download (owners and distributors).
// POST /licenses/:id/devices/:device/license-file
func (s *Server) downloadLicenseFile(c *fiber.Ctx) error {
	d, err := s.guardedDevice(c)
	if err != nil {
		return err
	}
	days := defaultFileDays
	if v := strings.TrimSpace(c.FormValue("days")); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return badInput("days", "A license file lasts 1 to %d days.", maxFileDays)
		}
		if days, err = fileDays(&n); err != nil {
			return err
		}
	}
	l := guardedLicense(c)
	st, err := s.lookupLicense(c.UserContext(), [32]byte(l.KeyHash))
	if err != nil {
		return err
	}
	if st == nil {
		return errNotFound
	}
	if code := refusal(st.lic); code != "" {
		return badInput("days", "%s", statusErrors[code])
	}
	a := actor(c)
	f, err := s.licenseFile(c, st, d, days, &a)
	if err != nil {
		return err
	}
	body, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	name := fmt.Sprintf("license-%d-%s.json", l.ID, unsafeFileChars.ReplaceAllString(d.Fingerprint, "_"))
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(append(body, '\n'))
}

// deactivateDevicePage deactivates a device from the portal and frees its place (audited).
// POST /licenses/:id/devices/:device/deactivate
func (s *Server) deactivateDevicePage(c *fiber.Ctx) error {
	d, err := s.guardedDevice(c)
	if err != nil {
		return err
	}
	l := guardedLicense(c)
	err = s.db.DeactivateDeviceBy(c.UserContext(), l.ID, d.ID, actor(c))
	s.forgetLicense(c.UserContext(), l.ID)
	if errors.Is(err, store.ErrNotFound) {
		return badInput("device", "This device is deactivated already.")
	}
	if err != nil {
		return err
	}
	return c.Redirect(fmt.Sprintf("/licenses/%d?tab=assignments", l.ID), fiber.StatusSeeOther)
}

// batchGrace is how long a device's last check may wait in memory before it is written (the
// flush runs every 5 seconds), with a margin: judgements made from the database grant it.
const batchGrace = 10 * time.Second

// cullSilentDevices deactivates the devices not seen for their license's heartbeat.
func (s *Server) cullSilentDevices(ctx context.Context) error {
	if err := s.flushSeen(ctx); err != nil {
		return err
	}
	licenses, err := s.db.CullSilentDevices(ctx, batchGrace)
	for _, id := range licenses {
		s.forgetLicense(ctx, id)
	}
	if len(licenses) > 0 {
		s.log.Info("deactivated silent devices", "licenses", len(licenses))
	}
	return err
}
