package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Device is a machine that activated a license, by its fingerprint.
type Device struct {
	ID            int64
	LicenseID     int64
	SetupID       int64
	Setup         string
	Fingerprint   string
	Name          string
	Active        bool
	FirstSeenAt   time.Time
	LastSeenAt    time.Time
	DeactivatedAt time.Time
}

// Setup is an installation of a license, with the elements it reports as configured.
type Setup struct {
	ID        int64
	LicenseID int64
	Name      string
	APs       int
	Rooms     int
	Devices   int // active devices
	CreatedAt time.Time
	// FirstSample is when the setup's earliest usage sample was taken (zero: none yet); a
	// history import makes it older than CreatedAt.
	FirstSample time.Time
}

// Since is when the setup was first heard of: its first device or its earliest usage sample.
func (s Setup) Since() time.Time {
	if !s.FirstSample.IsZero() && s.FirstSample.Before(s.CreatedAt) {
		return s.FirstSample
	}
	return s.CreatedAt
}

// Activation is a device's request to use a license.
type Activation struct {
	Fingerprint string
	Setup       string // "" for none
	Name        string
	Elements    *Elements // nil when not reported
}

// Elements are what a setup reports as configured.
type Elements struct{ APs, Rooms int }

// ActivationCheck is what the rules of activation look at, inside the transaction.
type ActivationCheck struct {
	License       License
	ActiveDevices int  // before this activation
	Known         bool // the device is active already
	APs, Rooms    int  // the license's totals with the reported elements
}

// ActivateDevice activates (or refreshes) a device and its setup. check may refuse, and nothing
// is stored then. When the distinct active devices reach the start threshold of a pending_start
// license, it starts: today is its start date and endFor(start, term) its end date.
func (db *DB) ActivateDevice(ctx context.Context, licenseID int64, a Activation, check func(ActivationCheck) error,
	endFor func(start string, termYears int) string) (Device, License, error) {
	var d Device
	var l License
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if l, err = findLicense(ctx, tx, `l.id = ?`, licenseID); err != nil {
			return err
		}
		var active bool
		err = tx.QueryRowContext(ctx, `SELECT active FROM devices WHERE license_id = ? AND fingerprint = ?`, licenseID, a.Fingerprint).Scan(&active)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		ac := ActivationCheck{License: l, ActiveDevices: l.ActiveDevices, Known: active, APs: l.UsedAPs, Rooms: l.UsedRooms}
		var setupID any
		if a.Setup != "" {
			var cur Elements
			err := tx.QueryRowContext(ctx, `SELECT aps, rooms FROM setups WHERE license_id = ? AND name = ?`, licenseID, a.Setup).Scan(&cur.APs, &cur.Rooms)
			if err != nil && err != sql.ErrNoRows {
				return err
			}
			if a.Elements != nil {
				ac.APs += a.Elements.APs - cur.APs
				ac.Rooms += a.Elements.Rooms - cur.Rooms
			}
		}
		if err := check(ac); err != nil {
			return err
		}
		if a.Setup != "" {
			id, err := upsertSetup(ctx, tx, licenseID, a.Setup, a.Elements)
			if err != nil {
				return err
			}
			setupID = id
		}
		if err := tx.QueryRowContext(ctx, `INSERT INTO devices (license_id, setup_id, fingerprint, name, active, first_seen_at, last_seen_at)
			VALUES (?, ?, ?, ?, 1, ?, ?)
			ON CONFLICT (license_id, fingerprint) DO UPDATE SET active = 1, deactivated_at = NULL, last_seen_at = excluded.last_seen_at,
				setup_id = coalesce(excluded.setup_id, devices.setup_id),
				name = CASE WHEN excluded.name = '' THEN devices.name ELSE excluded.name END
			RETURNING id`, licenseID, setupID, a.Fingerprint, a.Name, tx.now.Unix(), tx.now.Unix()).Scan(&d.ID); err != nil {
			return err
		}
		if d, err = findDevice(ctx, tx, d.ID); err != nil {
			return err
		}
		if !ac.Known {
			if err := queueDeviceEvent(ctx, tx, "device.activated", d); err != nil {
				return err
			}
		}
		if l.Status == StatusPendingStart && !ac.Known && ac.ActiveDevices+1 >= l.StartThreshold {
			old := l
			l.Status, l.StartDate = StatusInUse, tx.now.Format(time.DateOnly)
			l.EndDate = endFor(l.StartDate, l.TermYears)
			if err := updateLicense(ctx, tx, old, &l); err != nil {
				return err
			}
			if err := recordLicenseEvents(ctx, tx, l, Actor{}, []LicenseEvent{{Kind: "status", FromStatus: StatusPendingStart,
				ToStatus: StatusInUse, Details: fmt.Sprintf("started: %d devices activated", ac.ActiveDevices+1)}}); err != nil {
				return err
			}
		}
		l, err = findLicense(ctx, tx, `l.id = ?`, licenseID)
		return err
	})
	return d, l, err
}

func upsertSetup(ctx context.Context, tx *Tx, licenseID int64, name string, e *Elements) (int64, error) {
	var id int64
	var aps, rooms any = 0, 0
	if e != nil {
		aps, rooms = e.APs, e.Rooms
	}
	err := tx.QueryRowContext(ctx, `INSERT INTO setups (license_id, name, aps, rooms, created_at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (license_id, name) DO UPDATE SET
			aps = CASE WHEN ? = 1 THEN excluded.aps ELSE setups.aps END,
			rooms = CASE WHEN ? = 1 THEN excluded.rooms ELSE setups.rooms END
		RETURNING id`, licenseID, name, aps, rooms, tx.now.Unix(), e != nil, e != nil).Scan(&id)
	return id, err
}

// ReportElements records the elements a setup reports as configured (the setup is created if new).
func (db *DB) ReportElements(ctx context.Context, licenseID int64, setup string, e Elements) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := upsertSetup(ctx, tx, licenseID, setup, &e)
		return err
	})
}

// DeactivateDevice frees a device's place; ErrNotFound when it is not active.
func (db *DB) DeactivateDevice(ctx context.Context, licenseID int64, fingerprint string) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET active = 0, deactivated_at = ?, last_seen_at = ?
			WHERE license_id = ? AND fingerprint = ? AND active = 1`, tx.now.Unix(), tx.now.Unix(), licenseID, fingerprint)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		var id int64
		if err := tx.QueryRowContext(ctx, `SELECT id FROM devices WHERE license_id = ? AND fingerprint = ?`, licenseID, fingerprint).Scan(&id); err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `DELETE FROM seats WHERE license_id = ? AND device_id = ?`, licenseID, id); err != nil {
			return err
		}
		d, err := findDevice(ctx, tx, id)
		if err != nil {
			return err
		}
		return queueDeviceEvent(ctx, tx, "device.deactivated", d)
	})
}

// TouchDevices records when devices were last seen, in one transaction for a batch.
func (db *DB) TouchDevices(ctx context.Context, seen map[int64]time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		for id, at := range seen {
			if _, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen_at = max(last_seen_at, ?) WHERE id = ?`, at.Unix(), id); err != nil {
				return err
			}
		}
		return nil
	})
}

const deviceSelect = `SELECT v.id, v.license_id, coalesce(v.setup_id, 0), coalesce(s.name, ''), v.fingerprint, v.name, v.active,
	v.first_seen_at, v.last_seen_at, v.deactivated_at FROM devices v LEFT JOIN setups s ON s.id = v.setup_id`

func scanDevice(row interface{ Scan(...any) error }, d *Device) error {
	var first, last, deact sql.NullInt64
	if err := row.Scan(&d.ID, &d.LicenseID, &d.SetupID, &d.Setup, &d.Fingerprint, &d.Name, &d.Active, &first, &last, &deact); err != nil {
		return notFoundOr(err)
	}
	d.FirstSeenAt, d.LastSeenAt, d.DeactivatedAt = fromUnix(first), fromUnix(last), fromUnix(deact)
	return nil
}

func findDevice(ctx context.Context, tx *Tx, id int64) (Device, error) {
	var d Device
	err := scanDevice(tx.QueryRowContext(ctx, deviceSelect+` WHERE v.id = ?`, id), &d)
	return d, err
}

// LicenseDevices lists a license's devices, active ones first, then by last seen.
func (db *DB) LicenseDevices(ctx context.Context, licenseID int64) ([]Device, error) {
	var ds []Device
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, deviceSelect+` WHERE v.license_id = ? ORDER BY v.active DESC, v.last_seen_at DESC, v.id`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d Device
			if err := scanDevice(rows, &d); err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return rows.Err()
	})
	return ds, err
}

// LicenseSetups lists a license's setups by name, with their active devices.
func (db *DB) LicenseSetups(ctx context.Context, licenseID int64) ([]Setup, error) {
	var ss []Setup
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.id, s.license_id, s.name, s.aps, s.rooms, s.created_at, s.first_sample_at,
			(SELECT count(*) FROM devices v WHERE v.setup_id = s.id AND v.active = 1)
			FROM setups s WHERE s.license_id = ? ORDER BY s.name`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Setup
			var created, first sql.NullInt64
			if err := rows.Scan(&s.ID, &s.LicenseID, &s.Name, &s.APs, &s.Rooms, &created, &first, &s.Devices); err != nil {
				return err
			}
			s.CreatedAt, s.FirstSample = fromUnix(created), fromUnix(first)
			ss = append(ss, s)
		}
		return rows.Err()
	})
	return ss, err
}
