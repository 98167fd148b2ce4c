package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Seat is a device's use of a feature of a license: its first and last check and, for a floating
// feature, the seat it holds (TakenAt zero when none).
type Seat struct {
	FeatureID     int64
	DeviceID      int64
	Fingerprint   string
	DeviceName    string
	FirstUsedAt   time.Time
	LastUsedAt    time.Time
	TakenAt       time.Time
	RefreshedAt   time.Time
	BorrowedUntil time.Time
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
		if err := touchFeature(ctx, tx, deviceID, featureID, tx.now); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO seats (license_id, feature_id, device_id, taken_at, refreshed_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (license_id, feature_id, device_id) DO UPDATE SET refreshed_at = excluded.refreshed_at`,
			licenseID, featureID, deviceID, taken.Int64, now)
		return err
	})
	return a, err
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

// LicenseSeats lists, per feature, every device that checked it with its last check, and the
// seat it holds of a floating one.
func (db *DB) LicenseSeats(ctx context.Context, licenseID int64) ([]Seat, error) {
	var ss []Seat
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT u.feature_id, u.device_id, d.fingerprint, d.name, u.first_used_at, u.last_used_at,
			s.taken_at, s.refreshed_at, s.borrowed_until
			FROM device_features u JOIN devices d ON d.id = u.device_id
			LEFT JOIN seats s ON s.license_id = d.license_id AND s.feature_id = u.feature_id AND s.device_id = u.device_id
			WHERE d.license_id = ? ORDER BY u.feature_id, u.last_used_at DESC, u.device_id`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var s Seat
			var first, last, taken, refreshed, borrowed sql.NullInt64
			if err := rows.Scan(&s.FeatureID, &s.DeviceID, &s.Fingerprint, &s.DeviceName, &first, &last, &taken, &refreshed, &borrowed); err != nil {
				return err
			}
			s.FirstUsedAt, s.LastUsedAt, s.TakenAt = fromUnix(first), fromUnix(last), fromUnix(taken)
			s.RefreshedAt, s.BorrowedUntil = fromUnix(refreshed), fromUnix(borrowed)
			ss = append(ss, s)
		}
		return rows.Err()
	})
	return ss, err
}

// PoolSeat is a seat as the memory of floating seats loads it.
type PoolSeat struct {
	DeviceID      int64
	TakenAt       time.Time
	RefreshedAt   time.Time
	BorrowedUntil time.Time
}

// PoolSeats reads the seats of one feature of a license, held or not.
func (db *DB) PoolSeats(ctx context.Context, licenseID, featureID int64) ([]PoolSeat, error) {
	var ps []PoolSeat
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT device_id, taken_at, refreshed_at, borrowed_until FROM seats
			WHERE license_id = ? AND feature_id = ?`, licenseID, featureID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p PoolSeat
			var taken, refreshed, borrowed sql.NullInt64
			if err := rows.Scan(&p.DeviceID, &taken, &refreshed, &borrowed); err != nil {
				return err
			}
			p.TakenAt, p.RefreshedAt, p.BorrowedUntil = fromUnix(taken), fromUnix(refreshed), fromUnix(borrowed)
			ps = append(ps, p)
		}
		return rows.Err()
	})
	return ps, err
}

// SeatWrite is a seat taken, refreshed or borrowed (Release false), or released, at At.
type SeatWrite struct {
	LicenseID, FeatureID, DeviceID int64
	At                             time.Time
	Release                        bool
	// Freed are devices whose seats of the feature are free (not checked since Cutoff, not
	// borrowed any more): they are deleted first, if still so.
	Freed  []int64
	Cutoff time.Time
	// BorrowedUntil, when set, borrows the seat until then; zero keeps the borrowing as it is.
	BorrowedUntil time.Time
}

// WriteSeats writes seats taken, borrowed and released, all in one transaction (the devices' use
// of the features follows with TouchFeatures): the seats of many requests share one commit, and its statements are
// prepared once for good.
func (db *DB) WriteSeats(ctx context.Context, ws []SeatWrite) error {
	stmts, err := db.prepare(ctx, releaseSeatSQL, freeSeatSQL, holdSeatSQL)
	if err != nil {
		return err
	}
	return db.update(ctx, func(tx *Tx) error {
		st := &seatStatements{stmts: stmts, tx: tx}
		for _, w := range ws {
			if err := st.write(ctx, w); err != nil {
				return err
			}
		}
		return nil
	})
}

// seatStatements runs the statements of WriteSeats in its transaction.
type seatStatements struct {
	stmts map[string]*sql.Stmt
	tx    *Tx
}

func (st *seatStatements) exec(ctx context.Context, query string, args ...any) error {
	_, err := st.tx.StmtContext(ctx, st.stmts[query]).ExecContext(ctx, args...)
	return err
}

const (
	releaseSeatSQL = `DELETE FROM seats WHERE license_id = ? AND feature_id = ? AND device_id = ?`
	freeSeatSQL    = `DELETE FROM seats WHERE license_id = ? AND feature_id = ? AND device_id = ?
		AND refreshed_at <= ? AND coalesce(borrowed_until, 0) <= ?`
	holdSeatSQL = `INSERT INTO seats (license_id, feature_id, device_id, taken_at, refreshed_at, borrowed_until)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (license_id, feature_id, device_id) DO UPDATE SET refreshed_at = excluded.refreshed_at,
			borrowed_until = coalesce(excluded.borrowed_until, seats.borrowed_until)`
)

func (st *seatStatements) write(ctx context.Context, w SeatWrite) error {
	if w.Release {
		return st.exec(ctx, releaseSeatSQL, w.LicenseID, w.FeatureID, w.DeviceID)
	}
	now := w.At.Unix()
	for _, d := range w.Freed {
		if err := st.exec(ctx, freeSeatSQL, w.LicenseID, w.FeatureID, d, w.Cutoff.Unix(), now); err != nil {
			return err
		}
	}
	var borrowed any
	if !w.BorrowedUntil.IsZero() {
		borrowed = w.BorrowedUntil.Unix()
	}
	return st.exec(ctx, holdSeatSQL, w.LicenseID, w.FeatureID, w.DeviceID, now, now, borrowed)
}

const touchFeatureSQL = `INSERT INTO device_features (device_id, feature_id, first_used_at, last_used_at) VALUES (?, ?, ?, ?)
	ON CONFLICT (device_id, feature_id) DO UPDATE SET last_used_at = max(device_features.last_used_at, excluded.last_used_at)`

func touchFeature(ctx context.Context, tx *Tx, deviceID, featureID int64, at time.Time) error {
	_, err := tx.ExecContext(ctx, touchFeatureSQL, deviceID, featureID, at.Unix(), at.Unix())
	return err
}

// FeatureCheck is a device's check of a feature, gathered in memory and written in a batch.
type FeatureCheck struct {
	LicenseID, FeatureID, DeviceID int64
	At                             time.Time
}

// TouchFeatures writes a batch of checks in one transaction: the refresh of the seats they hold
// (a seat released meanwhile stays released) and the devices' last use of the features.
func (db *DB) TouchFeatures(ctx context.Context, checks []FeatureCheck) error {
	return db.update(ctx, func(tx *Tx) error {
		for _, c := range checks {
			if _, err := tx.ExecContext(ctx, `UPDATE seats SET refreshed_at = max(refreshed_at, ?)
				WHERE license_id = ? AND feature_id = ? AND device_id = ?`, c.At.Unix(), c.LicenseID, c.FeatureID, c.DeviceID); err != nil {
				return err
			}
			// A device deactivated meanwhile may be gone: its use is no longer worth a line.
			var exists bool
			if err := tx.QueryRowContext(ctx, `SELECT count(*) > 0 FROM devices WHERE id = ?`, c.DeviceID).Scan(&exists); err != nil {
				return err
			}
			if exists {
				if err := touchFeature(ctx, tx, c.DeviceID, c.FeatureID, c.At); err != nil {
					return err
				}
			}
		}
		return nil
	})
}
