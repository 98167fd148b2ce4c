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
		var id int64
		err := tx.QueryRowContext(ctx, `SELECT id FROM devices WHERE license_id = ? AND fingerprint = ? AND active = 1`, licenseID, fingerprint).Scan(&id)
		if err != nil {
			return notFoundOr(err)
		}
		if _, err := tx.ExecContext(ctx, `UPDATE devices SET last_seen_at = ? WHERE id = ?`, tx.now.Unix(), id); err != nil {
			return err
		}
		_, err = deactivateDevice(ctx, tx, id)
		return err
	})
}

// deactivateDevice frees an active device's place and its seats, with its webhook event.
func deactivateDevice(ctx context.Context, tx *Tx, id int64) (Device, error) {
	res, err := tx.ExecContext(ctx, `UPDATE devices SET active = 0, deactivated_at = ? WHERE id = ? AND active = 1`, tx.now.Unix(), id)
	if err != nil {
		return Device{}, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return Device{}, ErrNotFound
	}
	d, err := findDevice(ctx, tx, id)
	if err != nil {
		return d, err
	}
	if _, err = tx.ExecContext(ctx, `DELETE FROM seats WHERE license_id = ? AND device_id = ?`, d.LicenseID, id); err != nil {
		return d, err
	}
	return d, queueDeviceEvent(ctx, tx, "device.deactivated", d)
}

// LicenseDevice returns a device of a license; ErrNotFound when the license has no such device.
func (db *DB) LicenseDevice(ctx context.Context, licenseID, deviceID int64) (Device, error) {
	var d Device
	err := db.view(ctx, func(tx *Tx) error {
		return scanDevice(tx.QueryRowContext(ctx, deviceSelect+` WHERE v.id = ? AND v.license_id = ?`, deviceID, licenseID), &d)
	})
	return d, err
}

// DeactivateDeviceBy deactivates a device from the portal, with a line in the license's history
// (and so in the audit log); ErrNotFound when it is not active.
func (db *DB) DeactivateDeviceBy(ctx context.Context, licenseID, deviceID int64, by Actor) error {
	return db.update(ctx, func(tx *Tx) error {
		d, err := deactivateDevice(ctx, tx, deviceID)
		if err != nil {
			return err
		}
		if d.LicenseID != licenseID {
			return ErrNotFound // rolled back
		}
		l, err := findLicense(ctx, tx, `l.id = ?`, licenseID)
		if err != nil {
			return err
		}
		return recordLicenseEvents(ctx, tx, l, by, []LicenseEvent{{Kind: "device_deactivated", Details: "device " + d.Fingerprint}})
	})
}

// RecordLicenseFile notes that a license file valid until then was issued to a device, which is
// not culled for silence before; issued from the portal (by a person), it is in the history.
func (db *DB) RecordLicenseFile(ctx context.Context, licenseID, deviceID int64, until time.Time, by *Actor) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE devices SET license_file_until = max(coalesce(license_file_until, 0), ?)
			WHERE id = ? AND license_id = ? AND active = 1`, until.Unix(), deviceID, licenseID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if by == nil {
			return nil
		}
		d, err := findDevice(ctx, tx, deviceID)
		if err != nil {
			return err
		}
		l, err := findLicense(ctx, tx, `l.id = ?`, licenseID)
		if err != nil {
			return err
		}
		return recordLicenseEvents(ctx, tx, l, *by, []LicenseEvent{{Kind: "license_file",
			Details: fmt.Sprintf("device %s, until %s", d.Fingerprint, until.UTC().Format("2006-01-02 15:04 UTC"))}})
	})
}

// silentDevices is the condition of an active device not seen for its license's heartbeat
// (the license's, else the product's; 0: never) plus grace, holding neither an unexpired license
// file nor a borrowed seat. Its parameters: the time of the judgement, three times, and the grace in seconds.
const silentDevices = `v.active = 1 AND coalesce(l.heartbeat_minutes, p.heartbeat_minutes) > 0
	AND v.last_seen_at <= ? - coalesce(l.heartbeat_minutes, p.heartbeat_minutes) * 60 - ?
	AND coalesce(v.license_file_until, 0) <= ?
	AND NOT EXISTS (SELECT 1 FROM seats s WHERE s.device_id = v.id AND s.borrowed_until > ?)`

// CullSilentDevices deactivates the devices silent for longer than their heartbeat (grace
// covers last-seen times still waiting in memory), each with a line in its license's history.
// It answers the licenses that lost devices.
func (db *DB) CullSilentDevices(ctx context.Context, grace time.Duration) ([]int64, error) {
	var licenses []int64
	err := db.update(ctx, func(tx *Tx) error {
		now := tx.now.Unix()
		rows, err := tx.QueryContext(ctx, `SELECT v.id, v.license_id, coalesce(l.heartbeat_minutes, p.heartbeat_minutes)
			FROM devices v JOIN licenses l ON l.id = v.license_id JOIN products p ON p.id = l.product_id
			WHERE `+silentDevices+` ORDER BY v.license_id, v.id`, now, int64(grace/time.Second), now, now)
		if err != nil {
			return err
		}
		type silent struct{ id, license, minutes int64 }
		var ss []silent
		for rows.Next() {
			var x silent
			if err := rows.Scan(&x.id, &x.license, &x.minutes); err != nil {
				rows.Close()
				return err
			}
			ss = append(ss, x)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, x := range ss {
			d, err := deactivateDevice(ctx, tx, x.id)
			if err != nil {
				return err
			}
			l, err := findLicense(ctx, tx, `l.id = ?`, x.license)
			if err != nil {
				return err
			}
			if err := recordLicenseEvents(ctx, tx, l, Actor{}, []LicenseEvent{{Kind: "device_culled",
				Details: fmt.Sprintf("device %s, not seen since %s (heartbeat %d minutes)", d.Fingerprint,
					d.LastSeenAt.UTC().Format("2006-01-02 15:04 UTC"), x.minutes)}}); err != nil {
				return err
			}
			if len(licenses) == 0 || licenses[len(licenses)-1] != x.license {
				licenses = append(licenses, x.license)
			}
		}
		return nil
	})
	return licenses, err
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
