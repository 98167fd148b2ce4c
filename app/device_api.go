package app

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gofiber/fiber/v2"

	"keyward/app/floating"
	"keyward/app/licensekey"
	"keyward/store"
)

// Device API errors (DESIGN §6).
var (
	errLicenseKey  = &Error{Status: http.StatusUnauthorized, Code: "INVALID_LICENSE_KEY", Message: "Send a valid license key as Authorization: License KW-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX."}
	errDeviceLimit = &Error{Status: http.StatusForbidden, Code: "TOO_MANY_DEVICES", Message: "The license allows no more devices: deactivate one first."}
	errLimit       = &Error{Status: http.StatusForbidden, Code: "LIMIT_EXCEEDED", Message: "The configured elements pass a limit of the license (APs or rooms)."}
	errNotActive   = &Error{Status: http.StatusNotFound, Code: "DEVICE_NOT_ACTIVATED", Message: "This device is not activated on the license."}
)

// statusErrors are the refusals of a license that cannot be used, by code.
var statusErrors = map[string]string{
	"PENDING_PROVISION":  "The license is not assigned to a client yet.",
	"ACCESS_DENIED":      "Access to this license is denied; contact your distributor.",
	"CONTRACT_FINALIZED": "The license's contract has ended; renew it to use it again.",
}

// deviceRoutes registers the device-facing API; the key is checked by the handlers themselves.
func (s *Server) deviceRoutes() {
	s.route(fiber.MethodPost, "/api/v1/activate", guard{Action: ActionPublic}, s.deviceActivate)
	s.route(fiber.MethodPost, "/api/v1/validate", guard{Action: ActionPublic}, s.deviceValidate)
	s.route(fiber.MethodPost, "/api/v1/deactivate", guard{Action: ActionPublic}, s.deviceDeactivate)
	s.route(fiber.MethodPost, "/api/v1/features/check", guard{Action: ActionPublic}, s.deviceCheckFeature)
	s.route(fiber.MethodPost, "/api/v1/features/release", guard{Action: ActionPublic}, s.deviceReleaseFeature)
	s.route(fiber.MethodPost, "/api/v1/features/borrow", guard{Action: ActionPublic}, s.deviceBorrowFeature)
	s.route(fiber.MethodPost, "/api/v1/license-file", guard{Action: ActionPublic}, s.deviceLicenseFile)
}

func isDeviceAPI(path string) bool {
	switch path {
	case "/api/v1/activate", "/api/v1/validate", "/api/v1/deactivate", "/api/v1/features/check", "/api/v1/features/release",
		"/api/v1/features/borrow", "/api/v1/license-file":
		return true
	}
	return false
}

// deviceCache keeps what the device API needs of each license in memory, by key digest, so that
// validation reads no database. Every change of a license forgets it at once.
type deviceCache struct {
	mu    sync.RWMutex
	byKey map[[32]byte]*licenseState
	keyOf map[int64][32]byte
	gen   atomic.Uint64 // bumped by every forget, so a load racing a change is not kept

	seenMu sync.Mutex
	seen   map[int64]time.Time // device id → last seen, not yet written

	seats *floating.Table // floating seats, and feature checks not yet written
}

// licenseState is a license as the device API sees it on one day.
type licenseState struct {
	day     string // the UTC day it was read: its status is that day's
	lic     store.License
	devices map[string]int64 // active devices: fingerprint → id
	setups  map[string]store.Elements
	body    []byte // the "license" object of the answers
}

func newDeviceCache() *deviceCache {
	return &deviceCache{byKey: map[[32]byte]*licenseState{}, keyOf: map[int64][32]byte{}, seen: map[int64]time.Time{},
		seats: floating.NewTable()}
}

// forgetLicense drops a changed license from the device cache of this instance and, through the
// database, of every other instance on it (DESIGN §10: within a second).
func (s *Server) forgetLicense(ctx context.Context, licenseID int64) {
	s.devices.forget(licenseID)
	if err := s.db.Announce(context.WithoutCancel(ctx), fmt.Sprintf("license %d %s", licenseID, s.instance)); err != nil {
		s.log.Error("unable to tell the other instances of a license change", "license_id", licenseID, "error", err)
	}
}

// changeAnnounced applies a change another instance announced; this instance's own changes are
// applied already.
func (s *Server) changeAnnounced(change string) {
	var id int64
	var from string
	if _, err := fmt.Sscanf(change, "license %d %s", &id, &from); err == nil && from != s.instance {
		s.devices.forget(id)
	}
}

// forgetAll empties the cache: changes may have been missed.
func (d *deviceCache) forgetAll() {
	d.mu.Lock()
	d.gen.Add(1)
	clear(d.byKey)
	clear(d.keyOf)
	d.mu.Unlock()
	d.seats.ForgetAll()
}

// forget drops a license from the cache, with its floating seats; its next request reads them again.
func (d *deviceCache) forget(licenseID int64) {
	d.seats.Forget(licenseID)
	d.mu.Lock()
	d.gen.Add(1)
	if k, ok := d.keyOf[licenseID]; ok {
		delete(d.byKey, k)
		delete(d.keyOf, licenseID)
	}
	d.mu.Unlock()
}

func (d *deviceCache) markSeen(deviceID int64, at time.Time) {
	d.seenMu.Lock()
	d.seen[deviceID] = at
	d.seenMu.Unlock()
}

// lookup finds the license of a key digest, from memory or the database; nil when unknown.
func (s *Server) lookupLicense(ctx context.Context, hash [32]byte) (*licenseState, error) {
	d := s.devices
	today := civilDay(s.clock.Now())
	d.mu.RLock()
	st := d.byKey[hash]
	d.mu.RUnlock()
	if st != nil && st.day == today { // a new day may start or end the license
		return st, nil
	}
	gen := d.gen.Load()
	l, err := s.db.FindLicenseByKey(ctx, hash[:])
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	devices, err := s.db.LicenseDevices(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	setups, err := s.db.LicenseSetups(ctx, l.ID)
	if err != nil {
		return nil, err
	}
	st = &licenseState{day: today, lic: l, devices: map[string]int64{}, setups: map[string]store.Elements{}}
	for _, dv := range devices {
		if dv.Active {
			st.devices[dv.Fingerprint] = dv.ID
		}
	}
	for _, su := range setups {
		st.setups[su.Name] = store.Elements{APs: su.APs, Rooms: su.Rooms}
	}
	if st.body, err = json.Marshal(deviceLicense(l)); err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.gen.Load() == gen {
		d.byKey[hash] = st
		d.keyOf[l.ID] = hash
	}
	d.mu.Unlock()
	return st, nil
}

// flushSeen writes the last-seen times and the feature checks (seat refreshes) gathered since
// the last flush.
func (s *Server) flushSeen(ctx context.Context) error {
	return errors.Join(s.flushLastSeen(ctx), s.flushFeatureChecks(ctx))
}

// flushLastSeen writes the last-seen times gathered since the last flush, in one transaction.
func (s *Server) flushLastSeen(ctx context.Context) error {
	d := s.devices
	d.seenMu.Lock()
	seen := d.seen
	d.seen = map[int64]time.Time{}
	d.seenMu.Unlock()
	if len(seen) == 0 {
		return nil
	}
	return s.db.TouchDevices(ctx, seen)
}

// deviceCall authenticates a device request and reads its body.
func (s *Server) deviceCall(c *fiber.Ctx, requireFingerprint bool) (*licenseState, deviceRequest, error) {
	st, err := s.deviceAuth(c)
	if err != nil {
		return nil, deviceRequest{}, err
	}
	r, err := parseDeviceRequest(c, requireFingerprint)
	return st, r, err
}

// deviceAuth rate-limits the caller and finds the license of its Authorization: License header.
func (s *Server) deviceAuth(c *fiber.Ctx) (*licenseState, error) {
	if s.deviceByIP != nil {
		if ok, wait := s.deviceByIP.Allow(clientIP(c)); !ok {
			return nil, tooManyRequests(c, wait)
		}
	}
	scheme, raw, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "License") {
		return nil, errLicenseKey
	}
	key, err := licensekey.Normalize(strings.TrimSpace(raw))
	if err != nil {
		return nil, errLicenseKey
	}
	if s.deviceByKey != nil {
		if ok, wait := s.deviceByKey.Allow(key); !ok {
			return nil, tooManyRequests(c, wait)
		}
	}
	st, err := s.lookupLicense(c.UserContext(), sha256.Sum256([]byte(key)))
	if err != nil {
		return nil, err
	}
	if st == nil {
		return nil, errLicenseKey
	}
	return st, nil
}

func tooManyRequests(c *fiber.Ctx, wait time.Duration) error {
	c.Set(fiber.HeaderRetryAfter, strings.TrimSuffix((wait.Truncate(time.Second)+time.Second).String(), "s"))
	return &Error{Status: http.StatusTooManyRequests, Code: "RATE_LIMITED", Message: "Too many requests for this license key or address; slow down."}
}

// refusal is the code of a license that cannot be used, or "". Its status is that of today
// (the store derives it), so a license whose end date has come is refused at once.
func refusal(l store.License) string {
	switch l.Status {
	case store.StatusPendingProvision:
		return "PENDING_PROVISION"
	case store.StatusAccessDenied:
		return "ACCESS_DENIED"
	case store.StatusContractFinalized:
		return "CONTRACT_FINALIZED"
	}
	return ""
}

func refusalError(code string) error {
	return &Error{Status: http.StatusForbidden, Code: code, Message: statusErrors[code]}
}

// overLimit tells whether configured elements pass the license's limits.
func overLimit(l store.License, aps, rooms int) bool {
	return (l.MaxAPs != nil && aps > *l.MaxAPs) || (l.MaxRooms != nil && rooms > *l.MaxRooms)
}

// deviceRequest is the body of the device endpoints.
type deviceRequest struct {
	Fingerprint string `json:"fingerprint"`
	Setup       string `json:"setup"`
	Name        string `json:"name"`
	Elements    *struct {
		APs   int `json:"aps"`
		Rooms int `json:"rooms"`
	} `json:"elements"`
}

var setupPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// parseDeviceRequest reads and checks the body; requireFingerprint for activate and deactivate.
func parseDeviceRequest(c *fiber.Ctx, requireFingerprint bool) (deviceRequest, error) {
	var r deviceRequest
	if body := c.Body(); len(body) > 0 {
		if err := json.Unmarshal(body, &r); err != nil {
			return r, badJSON(err, "a JSON object")
		}
	}
	if r.Fingerprint == "" && requireFingerprint {
		return r, badInput("fingerprint", "Send the device's fingerprint.")
	}
	if r.Fingerprint != "" && !printable(r.Fingerprint, 255) {
		return r, badInput("fingerprint", "A fingerprint is 1 to 255 printable characters.")
	}
	if r.Setup != "" && !setupPattern.MatchString(r.Setup) {
		return r, badInput("setup", "A setup id is 1 to 64 letters, digits, dots, dashes or underscores.")
	}
	if len(r.Name) > textLimit {
		return r, badInput("name", "At most %d characters.", textLimit)
	}
	if r.Elements != nil {
		if r.Setup == "" {
			return r, badInput("setup", "Name the setup whose elements these are.")
		}
		if !inRange(r.Elements.APs, 0, maxElements) {
			return r, badInput("elements.aps", "A setup has 0 to %d APs.", maxElements)
		}
		if !inRange(r.Elements.Rooms, 0, maxElements) {
			return r, badInput("elements.rooms", "A setup has 0 to %d rooms.", maxElements)
		}
	}
	return r, nil
}

func printable(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return false
		}
	}
	return true
}

// deviceValidate tells a device whether it may use the license; always 200 for a known key.
// POST /api/v1/validate
func (s *Server) deviceValidate(c *fiber.Ctx) error {
	st, r, err := s.deviceCall(c, false)
	if err != nil {
		return err
	}
	now := s.clock.Now()
	if r.Elements != nil {
		e := store.Elements{APs: r.Elements.APs, Rooms: r.Elements.Rooms}
		if cur, ok := st.setups[r.Setup]; !ok || cur != e {
			if err := s.db.ReportElements(c.UserContext(), st.lic.ID, r.Setup, e); err != nil {
				return err
			}
			s.forgetLicense(c.UserContext(), st.lic.ID)
			if st, err = s.deviceAuthAgain(c, st); err != nil {
				return err
			}
		}
	}
	code := refusal(st.lic)
	deviceID, known := st.devices[r.Fingerprint]
	switch {
	case code != "":
	case overLimit(st.lic, st.lic.UsedAPs, st.lic.UsedRooms):
		code = "LIMIT_EXCEEDED"
	case r.Fingerprint != "" && !known:
		code = "DEVICE_NOT_ACTIVATED"
	default:
		code = "VALID"
	}
	if known {
		s.devices.markSeen(deviceID, now)
	}
	out := make([]byte, 0, len(st.body)+64)
	if code == "VALID" {
		out = append(out, `{"valid":true,"code":"VALID","license":`...)
	} else {
		out = append(out, `{"valid":false,"code":"`...)
		out = append(out, code...)
		out = append(out, `","license":`...)
	}
	out = append(out, st.body...)
	out = append(out, '}')
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(out)
}

// deviceAuthAgain reads a license again after the handler changed it.
func (s *Server) deviceAuthAgain(c *fiber.Ctx, st *licenseState) (*licenseState, error) {
	again, err := s.lookupLicense(c.UserContext(), [32]byte(st.lic.KeyHash))
	if err != nil || again == nil {
		return st, err
	}
	return again, nil
}

// deviceActivate activates a device (and its setup); a pending_start license starts when its
// threshold of distinct active devices is reached.
// POST /api/v1/activate
func (s *Server) deviceActivate(c *fiber.Ctx) error {
	st, r, err := s.deviceCall(c, true)
	if err != nil {
		return err
	}
	a := store.Activation{Fingerprint: r.Fingerprint, Setup: r.Setup, Name: r.Name}
	if r.Elements != nil {
		a.Elements = &store.Elements{APs: r.Elements.APs, Rooms: r.Elements.Rooms}
	}
	d, l, err := s.db.ActivateDevice(c.UserContext(), st.lic.ID, a, func(ac store.ActivationCheck) error {
		if code := refusal(ac.License); code != "" {
			return refusalError(code)
		}
		if !ac.Known && ac.License.MaxDevices != nil && ac.ActiveDevices >= *ac.License.MaxDevices {
			return errDeviceLimit
		}
		if overLimit(ac.License, ac.APs, ac.Rooms) {
			return errLimit
		}
		return nil
	}, addYears)
	if err != nil {
		return err
	}
	s.forgetLicense(c.UserContext(), l.ID)
	return c.JSON(fiber.Map{"license": deviceLicense(l), "device": apiDevice(d)})
}

// deviceDeactivate frees the device's place on the license.
// POST /api/v1/deactivate
func (s *Server) deviceDeactivate(c *fiber.Ctx) error {
	st, r, err := s.deviceCall(c, true)
	if err != nil {
		return err
	}
	if code := refusal(st.lic); code != "" {
		return refusalError(code)
	}
	if err := s.db.DeactivateDevice(c.UserContext(), st.lic.ID, r.Fingerprint); errors.Is(err, store.ErrNotFound) {
		return errNotActive
	} else if err != nil {
		return err
	}
	s.forgetLicense(c.UserContext(), st.lic.ID)
	return c.SendStatus(http.StatusNoContent)
}

// apiFeature is a feature as the APIs show it, with the floating settings in force.
type apiFeature struct {
	Code                   string `json:"code"`
	Name                   string `json:"name"`
	Floating               bool   `json:"floating"`
	MaxSimultaneousUsers   int    `json:"max_simultaneous_users"`
	FloatingTimeoutMinutes int    `json:"floating_timeout_minutes"`
	MaxBorrowHours         int    `json:"max_borrow_hours"`
}

type apiLimits struct {
	MaxAPs     *int `json:"max_aps"`
	MaxRooms   *int `json:"max_rooms"`
	MaxDevices *int `json:"max_devices"`
}

type apiUsed struct {
	APs     int `json:"aps"`
	Rooms   int `json:"rooms"`
	Devices int `json:"devices"`
}

// deviceLicenseJSON is the license in the device API's answers.
type deviceLicenseJSON struct {
	ID        int64        `json:"id"`
	Status    string       `json:"status"`
	Product   string       `json:"product"`
	Features  []apiFeature `json:"features"`
	StartDate *string      `json:"start_date"`
	EndDate   *string      `json:"end_date"`
	Limits    apiLimits    `json:"limits"`
	Used      apiUsed      `json:"used"`
}

func deviceLicense(l store.License) deviceLicenseJSON {
	return deviceLicenseJSON{ID: l.ID, Status: l.Status, Product: l.ProductCode, Features: apiFeatures(l.Features),
		StartDate: optDate(l.StartDate), EndDate: optDate(l.EndDate),
		Limits: apiLimits{l.MaxAPs, l.MaxRooms, l.MaxDevices}, Used: apiUsed{l.UsedAPs, l.UsedRooms, l.ActiveDevices}}
}

func apiFeatures(fs []store.LicenseFeature) []apiFeature {
	out := make([]apiFeature, 0, len(fs))
	for _, f := range fs {
		out = append(out, apiFeature{Code: f.Code, Name: f.Name, Floating: f.Floating, MaxSimultaneousUsers: f.Max(), FloatingTimeoutMinutes: f.Timeout(),
			MaxBorrowHours: f.MaxBorrow()})
	}
	return out
}

func optDate(d string) *string {
	if d == "" {
		return nil
	}
	return &d
}

func apiDevice(d store.Device) fiber.Map {
	return fiber.Map{"id": d.ID, "fingerprint": d.Fingerprint, "name": d.Name, "setup": d.Setup, "active": d.Active,
		"first_seen_at": d.FirstSeenAt, "last_seen_at": d.LastSeenAt}
}
