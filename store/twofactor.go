package store

import (
	"context"
	"database/sql"
	"errors"
	"time"
)

// TwoFactor is a user's authenticator: pending while they enroll, enabled once confirmed.
type TwoFactor struct {
	UserID       int64
	SecretEnc    []byte // sealed by the app; the store never sees the secret
	CreatedAt    time.Time
	EnabledAt    time.Time // zero while enrolling
	LastStep     int64     // the last TOTP step used
	RecoveryLeft int       // unused recovery codes
}

// Enabled tells whether sign-in asks for a code.
func (t TwoFactor) Enabled() bool { return !t.EnabledAt.IsZero() }

// FindTwoFactor returns a user's authenticator, pending or enabled, or ErrNotFound.
func (db *DB) FindTwoFactor(ctx context.Context, userID int64) (TwoFactor, error) {
	var t TwoFactor
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		t, err = findTwoFactor(ctx, tx, userID)
		return err
	})
	return t, err
}

func findTwoFactor(ctx context.Context, tx *Tx, userID int64) (TwoFactor, error) {
	t := TwoFactor{UserID: userID}
	var created, enabled sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT secret_enc, created_at, enabled_at, last_step,
		(SELECT count(*) FROM recovery_codes r WHERE r.user_id = t.user_id AND r.used_at IS NULL)
		FROM two_factor t WHERE t.user_id = ?`, userID).Scan(&t.SecretEnc, &created, &enabled, &t.LastStep, &t.RecoveryLeft)
	t.CreatedAt, t.EnabledAt = fromUnix(created), fromUnix(enabled)
	return t, notFoundOr(err)
}

// StartTwoFactor keeps secretEnc as the user's pending authenticator, unless they have one
// (pending or enabled) already, and returns the one in force: showing the enrollment page
// again shows the same secret, so a code from an app set up a moment ago still works.
func (db *DB) StartTwoFactor(ctx context.Context, userID int64, secretEnc []byte) (TwoFactor, error) {
	var t TwoFactor
	err := db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO two_factor (user_id, secret_enc, created_at) VALUES (?, ?, ?)
			ON CONFLICT (user_id) DO NOTHING`, userID, secretEnc, tx.now.Unix()); err != nil {
			return err
		}
		var err error
		t, err = findTwoFactor(ctx, tx, userID)
		return err
	})
	return t, err
}

// EnableTwoFactor turns a pending authenticator on, after a code of it was right: it records
// the code's step as used and replaces the recovery codes. ErrNotFound without a pending one.
func (db *DB) EnableTwoFactor(ctx context.Context, userID, step int64, codeHashes [][]byte, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE two_factor SET enabled_at = ?, last_step = ? WHERE user_id = ? AND enabled_at IS NULL`,
			tx.now.Unix(), step, userID); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, codeHashes); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// UseTOTPStep records that the code of step was used, and answers ErrConflict when that step
// or a later one was used already: of two requests racing with one code, only one passes.
func (db *DB) UseTOTPStep(ctx context.Context, userID, step int64) error {
	return db.update(ctx, func(tx *Tx) error {
		err := execOne(ctx, tx, `UPDATE two_factor SET last_step = ? WHERE user_id = ? AND enabled_at IS NOT NULL AND last_step < ?`,
			step, userID, step)
		if errors.Is(err, ErrNotFound) {
			return ErrConflict
		}
		return err
	})
}

// UseRecoveryCode spends the unused recovery code with that hash and tells how many are left;
// ErrNotFound when the user has no such unused code.
func (db *DB) UseRecoveryCode(ctx context.Context, userID int64, codeHash []byte) (left int, err error) {
	err = db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE recovery_codes SET used_at = ? WHERE user_id = ? AND code_hash = ? AND used_at IS NULL
			AND EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = ? AND t.enabled_at IS NOT NULL)`,
			tx.now.Unix(), userID, codeHash, userID); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, `SELECT count(*) FROM recovery_codes WHERE user_id = ? AND used_at IS NULL`, userID).Scan(&left)
	})
	return left, err
}

// ReplaceRecoveryCodes gives an enabled user new recovery codes; the old ones stop working.
func (db *DB) ReplaceRecoveryCodes(ctx context.Context, userID int64, codeHashes [][]byte, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := findEnabledTwoFactor(ctx, tx, userID); err != nil {
			return err
		}
		if err := replaceRecoveryCodes(ctx, tx, userID, codeHashes); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

func replaceRecoveryCodes(ctx context.Context, tx *Tx, userID int64, codeHashes [][]byte) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
		return err
	}
	for _, h := range codeHashes {
		if _, err := tx.ExecContext(ctx, `INSERT INTO recovery_codes (user_id, code_hash) VALUES (?, ?)`, userID, h); err != nil {
			return err
		}
	}
	return nil
}

func findEnabledTwoFactor(ctx context.Context, tx *Tx, userID int64) (TwoFactor, error) {
	t, err := findTwoFactor(ctx, tx, userID)
	if err == nil && !t.Enabled() {
		err = ErrNotFound
	}
	return t, err
}

// DisableTwoFactor removes a user's enabled authenticator and recovery codes, with the
// emails that tell them (a reset by staff) and the audit entry; ErrNotFound when it was not on.
func (db *DB) DisableTwoFactor(ctx context.Context, userID int64, emails []Email, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := findEnabledTwoFactor(ctx, tx, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM two_factor WHERE user_id = ?`, userID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM recovery_codes WHERE user_id = ?`, userID); err != nil {
			return err
		}
		if err := enqueueEmails(ctx, tx, emails); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// LoginChallenge is the half-session between a right password and a right code.
type LoginChallenge struct {
	IDHash    []byte
	UserID    int64
	Next      string // where the sign-in was going
	IP        string
	CreatedAt time.Time
	ExpiresAt time.Time
}

// CreateLoginChallenge stores a challenge valid for ttl.
func (db *DB) CreateLoginChallenge(ctx context.Context, c *LoginChallenge, ttl time.Duration) error {
	return db.update(ctx, func(tx *Tx) error {
		c.CreatedAt, c.ExpiresAt = tx.now, tx.now.Add(ttl)
		_, err := tx.ExecContext(ctx, `INSERT INTO login_challenges (id_hash, user_id, next, ip, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, c.IDHash, c.UserID, c.Next, c.IP, unix(c.CreatedAt), unix(c.ExpiresAt))
		return err
	})
}

// FindLoginChallenge returns an unexpired challenge, or ErrNotFound.
func (db *DB) FindLoginChallenge(ctx context.Context, idHash []byte) (LoginChallenge, error) {
	c := LoginChallenge{IDHash: idHash}
	err := db.view(ctx, func(tx *Tx) error {
		var created, expires sql.NullInt64
		err := tx.QueryRowContext(ctx, `SELECT user_id, next, ip, created_at, expires_at FROM login_challenges
			WHERE id_hash = ? AND expires_at > ?`, idHash, tx.now.Unix()).Scan(&c.UserID, &c.Next, &c.IP, &created, &expires)
		c.CreatedAt, c.ExpiresAt = fromUnix(created), fromUnix(expires)
		return notFoundOr(err)
	})
	return c, err
}

// DeleteLoginChallenge ends a challenge.
func (db *DB) DeleteLoginChallenge(ctx context.Context, idHash []byte) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE id_hash = ?`, idHash)
		return err
	})
}

// DeleteExpiredLoginChallenges removes the challenges past their time.
func (db *DB) DeleteExpiredLoginChallenges(ctx context.Context) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM login_challenges WHERE expires_at <= ?`, tx.now.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// TwoFactorRequired tells whether staff require two-factor sign-in of staff and distributor users.
func (db *DB) TwoFactorRequired(ctx context.Context) (bool, error) {
	var on bool
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT two_factor_required FROM security_settings WHERE id = 1`).Scan(&on)
	})
	return on, err
}

// SetTwoFactorRequired changes the setting, audited.
func (db *DB) SetTwoFactorRequired(ctx context.Context, on bool, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE security_settings SET two_factor_required = ?, updated_at = ?, updated_by = ? WHERE id = 1`,
			on, tx.now.Unix(), nullID(audit.ActorUserID)); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// Conditions on a users row u: two-factor sign-in is on; the user is staff or a distributor's.
const (
	hasTwoFactor         = `EXISTS (SELECT 1 FROM two_factor t WHERE t.user_id = u.id AND t.enabled_at IS NOT NULL)`
	isStaffOrDistributor = `EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id
		WHERE m.user_id = u.id AND o.kind IN ('vendor', 'distributor'))`
)

// MustEnrollTwoFactor tells whether the user must turn two-factor sign-in on before anything
// else: staff require it, the user is staff or a distributor's, and it is not on.
func (db *DB) MustEnrollTwoFactor(ctx context.Context, userID int64) (bool, error) {
	var must bool
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT (SELECT two_factor_required FROM security_settings WHERE id = 1) = 1
			AND `+isStaffOrDistributor+` AND NOT `+hasTwoFactor+` FROM users u WHERE u.id = ?`, userID).Scan(&must)
	})
	return must, notFoundOr(err)
}

// TwoFactorCoverage counts the active staff and distributor users, and how many of them have
// two-factor sign-in on.
func (db *DB) TwoFactorCoverage(ctx context.Context) (enabled, total int, err error) {
	err = db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(CASE WHEN `+hasTwoFactor+` THEN 1 ELSE 0 END), 0)
			FROM users u WHERE u.active = 1 AND `+isStaffOrDistributor).Scan(&total, &enabled)
	})
	return enabled, total, err
}
