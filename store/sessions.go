package store

import (
	"context"
	"database/sql"
	"time"
)

// Session is a signed-in browser, found by the hash of its cookie.
type Session struct {
	IDHash     []byte
	UserID     int64
	CreatedAt  time.Time
	LastSeenAt time.Time
	IP         string
	UserAgent  string

	// ActingAs is the user the session acts as while its user impersonates them (0: none),
	// since ActingSince, started from the organization ActingOrgID.
	ActingAs    int64
	ActingSince time.Time
	ActingOrgID int64
}

// CreateSession stores a new session for s.UserID and sets its times.
func (db *DB) CreateSession(ctx context.Context, s *Session) error {
	return db.update(ctx, func(tx *Tx) error {
		s.CreatedAt, s.LastSeenAt = tx.now, tx.now
		_, err := tx.ExecContext(ctx, `INSERT INTO sessions (id_hash, user_id, created_at, last_seen_at, ip, user_agent)
			VALUES (?, ?, ?, ?, ?, ?)`, s.IDHash, s.UserID, unix(s.CreatedAt), unix(s.LastSeenAt), s.IP, s.UserAgent)
		return err
	})
}

// FindSession returns a session and its user.
func (db *DB) FindSession(ctx context.Context, idHash []byte) (Session, User, error) {
	var s Session
	var u User
	err := db.view(ctx, func(tx *Tx) error {
		var created, seen, since sql.NullInt64
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+`, s.created_at, s.last_seen_at, s.ip, s.user_agent,
			coalesce(s.acting_as_user_id, 0), s.acting_since, coalesce(s.acting_org_id, 0)
			FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.id_hash = ?`, idHash),
			&u, &created, &seen, &s.IP, &s.UserAgent, &s.ActingAs, &since, &s.ActingOrgID)
		s.IDHash, s.UserID, s.CreatedAt, s.LastSeenAt = idHash, u.ID, fromUnix(created), fromUnix(seen)
		s.ActingSince = fromUnix(since)
		return err
	})
	return s, u, err
}

// TouchSession records that the session was used now.
func (db *DB) TouchSession(ctx context.Context, idHash []byte) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE id_hash = ?`, tx.now.Unix(), idHash)
		return err
	})
}

// DeleteSession ends a session.
func (db *DB) DeleteSession(ctx context.Context, idHash []byte) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteExpiredSessions removes the sessions idle for longer than idle or older than absolute.
func (db *DB) DeleteExpiredSessions(ctx context.Context, idle, absolute time.Duration) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE last_seen_at <= ? OR created_at <= ?`,
			tx.now.Add(-idle).Unix(), tx.now.Add(-absolute).Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}
