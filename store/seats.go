package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Seat is a device's hold on a floating feature, or (not floating) its use of a feature.
type Seat struct {
	FeatureID   int64
	DeviceID    int64
	Fingerprint string
	DeviceName  string
	TakenAt     time.Time
	RefreshedAt time.Time
	Floating    bool
}

// SeatAnswer is the result of a feature check.
type SeatAnswer struct {
	Granted   bool
	Used      int // seats held, this one included when granted
	TakenAt   time.Time
	ExpiresAt time.Time
}

// CheckFeature records that a device uses a feature. For a floating one, it refreshes the device's
// seat, or takes a free one (seats not refreshed within timeout are free); Granted is false when
// all max seats are held.
func (db *DB) CheckFeature(ctx context.Context, licenseID, featureID, deviceID int64, floating bool, max int, timeout time.Duration) (SeatAnswer, error) {
	var a SeatAnswer
	err := db.update(ctx, func(tx *Tx) error {
		now := tx.now.Unix()
		if !floating {
			a.Granted = true
			_, err := tx.ExecContext(ctx, `INSERT INTO device_features (device_id, feature_id, first_used_at, last_used_at) VALUES (?, ?, ?, ?)
				ON CONFLICT (device_id, feature_id) DO UPDATE SET last_used_at = excluded.last_used_at`, deviceID, featureID, now, now)
			return err
		}
		cutoff := tx.now.Add(-timeout).Unix()
		if _, err := tx.ExecContext(ctx, `DELETE FROM seats WHERE license_id = ? AND feature_id = ? AND refreshed_at <= ?`,
			licenseID, featureID, cutoff); err != nil {
			return err
		}
		var taken sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT taken_at FROM seats WHERE license_id = ? AND feature_id = ? AND device_id = ?`,
			licenseID, featureID, deviceID).Scan(&taken)
		if err != nil && err != sql.ErrNoRows {
			return err
		}
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM seats WHERE license_id = ? AND feature_id = ?`, licenseID, featureID).Scan(&a.Used); err != nil {
			return err
		}
		if !taken.Valid && a.Used >= max {
			return nil
		}
		if !taken.Valid {
			taken = sql.NullInt64{Int64: now, Valid: true}
			a.Used++
		}
		a.Granted, a.TakenAt, a.ExpiresAt = true, fromUnix(taken), tx.now.Add(timeout)
		_, err = tx.ExecContext(ctx, `INSERT INTO seats (license_id, feature_id, device_id, taken_at, refreshed_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (license_id, feature_id, device_id) DO UPDATE SET refreshed_at = excluded.refreshed_at`,
			licenseID, featureID, deviceID, taken.Int64, now)
		return err
	})
	return a, err
}

// ReleaseSeat frees a device's seat of a feature, if it holds one.
func (db *DB) ReleaseSeat(ctx context.Context, licenseID, featureID, deviceID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM seats WHERE license_id = ? AND feature_id = ? AND device_id = ?`, licenseID, featureID, deviceID)
		return err
	})
}

// RevokeSeat frees a device's seat from the portal, with a line in the license's history;
// ErrNotFound when the device holds no seat of that feature.
func (db *DB) RevokeSeat(ctx context.Context, licenseID, featureID, deviceID int64, by Actor) error {
	return db.update(ctx, func(tx *Tx) error {
		var fingerprint, code string
		err := tx.QueryRowContext(ctx, `SELECT d.fingerprint, f.code FROM seats s JOIN devices d ON d.id = s.device_id
			JOIN features f ON f.id = s.feature_id WHERE s.license_id = ? AND s.feature_id = ? AND s.device_id = ?`,
			licenseID, featureID, deviceID).Scan(&fingerprint, &code)
		if err != nil {
			return notFoundOr(err)
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM seats WHERE license_id = ? AND feature_id = ? AND device_id = ?`, licenseID, featureID, deviceID); err != nil {
			return err
		}
		l, err := findLicense(ctx, tx, `l.id = ?`, licenseID)
		if err != nil {
			return err
		}
		return recordLicenseEvents(ctx, tx, l, by, []LicenseEvent{{Kind: "seat_revoked", Details: fmt.Sprintf("%s seat of device %s", code, fingerprint)}})
	})
}

// LicenseSeats lists the seats held (floating features) and the feature use (the others) of a license.
func (db *DB) LicenseSeats(ctx context.Context, licenseID int64) ([]Seat, error) {
	var ss []Seat
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT s.feature_id, s.device_id, d.fingerprint, d.name, s.taken_at, s.refreshed_at, 1
			FROM seats s JOIN devices d ON d.id = s.device_id WHERE s.license_id = ?
			UNION ALL
			SELECT u.feature_id, u.device_id, d.fingerprint, d.name, u.first_used_at, u.last_used_at, 0
			FROM device_features u JOIN devices d ON d.id = u.device_id WHERE d.license_id = ?
			ORDER BY 1, 6 DESC`, licenseID, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Seat
			var taken, refreshed sql.NullInt64
			if err := rows.Scan(&s.FeatureID, &s.DeviceID, &s.Fingerprint, &s.DeviceName, &taken, &refreshed, &s.Floating); err != nil {
				return err
			}
			s.TakenAt, s.RefreshedAt = fromUnix(taken), fromUnix(refreshed)
			ss = append(ss, s)
		}
		return rows.Err()
	})
	return ss, err
}
