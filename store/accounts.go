package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// Purposes of email tokens.
const (
	PurposePasswordReset = "password_reset"
	PurposeEmailChange   = "email_change"
)

// EmailToken is a single-use link sent by email, kept as the SHA-256 of its token.
type EmailToken struct {
	ID        int64
	UserID    int64
	Purpose   string
	NewEmail  string // the address an email change confirms
	ExpiresAt time.Time
}

// CreateEmailToken stores a link valid for ttl together with the emails that carry it.
func (db *DB) CreateEmailToken(ctx context.Context, t *EmailToken, tokenHash []byte, ttl time.Duration, emails []Email, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		t.ExpiresAt = tx.now.Add(ttl)
		res, err := tx.ExecContext(ctx, `INSERT INTO email_tokens (user_id, purpose, new_email, token_hash, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.UserID, t.Purpose, t.NewEmail, tokenHash, tx.now.Unix(), unix(t.ExpiresAt))
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := enqueueEmails(ctx, tx, emails); err != nil {
			return err
		}
		if audit.Action == "" {
			return nil
		}
		return insertAudit(ctx, tx, audit)
	})
}

// FindEmailToken returns an unused, unexpired token of that purpose, or ErrNotFound.
func (db *DB) FindEmailToken(ctx context.Context, purpose string, tokenHash []byte) (EmailToken, error) {
	var t EmailToken
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		t, err = findEmailToken(ctx, tx, purpose, tokenHash)
		return err
	})
	return t, err
}

func findEmailToken(ctx context.Context, tx *Tx, purpose string, tokenHash []byte) (EmailToken, error) {
	var t EmailToken
	var expires sql.NullInt64
	err := tx.QueryRowContext(ctx, `SELECT id, user_id, purpose, new_email, expires_at FROM email_tokens
		WHERE token_hash = ? AND purpose = ? AND used_at IS NULL AND expires_at > ?`, tokenHash, purpose, tx.now.Unix()).
		Scan(&t.ID, &t.UserID, &t.Purpose, &t.NewEmail, &expires)
	t.ExpiresAt = fromUnix(expires)
	return t, notFoundOr(err)
}

// useEmailToken marks a token used, with every other unused token of the same user and purpose,
// so that an older link cannot undo what the newest one did.
func useEmailToken(ctx context.Context, tx *Tx, t EmailToken) error {
	_, err := tx.ExecContext(ctx, `UPDATE email_tokens SET used_at = ? WHERE user_id = ? AND purpose = ? AND used_at IS NULL`,
		tx.now.Unix(), t.UserID, t.Purpose)
	return err
}

// ResetPassword uses a password-reset link: it sets the new password hash and ends every session
// of the user. ErrNotFound when the link can no longer be used.
func (db *DB) ResetPassword(ctx context.Context, tokenHash []byte, passwordHash string, audit AuditEntry) (User, error) {
	var u User
	err := db.update(ctx, func(tx *Tx) error {
		t, err := findEmailToken(ctx, tx, PurposePasswordReset, tokenHash)
		if err != nil {
			return err
		}
		if err := useEmailToken(ctx, tx, t); err != nil {
			return err
		}
		if err := setPassword(ctx, tx, t.UserID, passwordHash, nil); err != nil {
			return err
		}
		if err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, t.UserID), &u); err != nil {
			return err
		}
		audit.ActorUserID, audit.ActorEmail = u.ID, u.Email
		return insertAudit(ctx, tx, audit)
	})
	return u, err
}

// ConfirmEmailChange uses an email-change link: the user's email becomes the new address.
// ErrNotFound when the link can no longer be used, ErrConflict when another account took the address.
func (db *DB) ConfirmEmailChange(ctx context.Context, tokenHash []byte, audit AuditEntry) (User, error) {
	var u User
	err := db.update(ctx, func(tx *Tx) error {
		t, err := findEmailToken(ctx, tx, PurposeEmailChange, tokenHash)
		if err != nil {
			return err
		}
		if err := useEmailToken(ctx, tx, t); err != nil {
			return err
		}
		if err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, t.UserID), &u); err != nil {
			return err
		}
		old := u.Email
		if _, err := tx.ExecContext(ctx, `UPDATE users SET email = ?, updated_at = ? WHERE id = ?`, t.NewEmail, tx.now.Unix(), u.ID); err != nil {
			return err
		}
		u.Email = t.NewEmail
		audit.ActorUserID, audit.ActorEmail, audit.Details = u.ID, u.Email, "from "+old
		return insertAudit(ctx, tx, audit)
	})
	return u, err
}

// ChangePassword sets a user's new password hash and ends their sessions but keepSession.
func (db *DB) ChangePassword(ctx context.Context, userID int64, passwordHash string, keepSession []byte, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := setPassword(ctx, tx, userID, passwordHash, keepSession); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

func setPassword(ctx context.Context, tx *Tx, userID int64, passwordHash string, keepSession []byte) error {
	if _, err := tx.ExecContext(ctx, `UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?`,
		passwordHash, tx.now.Unix(), userID); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND coalesce(id_hash <> ?, TRUE)`, userID, keepSession)
	return err
}

// RenameUser changes a user's display name.
func (db *DB) RenameUser(ctx context.Context, userID int64, name string) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET name = ?, updated_at = ? WHERE id = ?`, name, tx.now.Unix(), userID)
		return err
	})
}

// SetLastOrg remembers the organization the user switched to.
func (db *DB) SetLastOrg(ctx context.Context, userID, orgID int64) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE users SET last_org_id = ? WHERE id = ?`, orgID, userID)
		return err
	})
}

// SetUserActive deactivates or reactivates an account. Deactivation ends its sessions and revokes
// its API tokens at once, so that reactivating the account does not bring old tokens back.
func (db *DB) SetUserActive(ctx context.Context, userID int64, active bool, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE users SET active = ?, updated_at = ? WHERE id = ?`, active, tx.now.Unix(), userID); err != nil {
			return err
		}
		if !active {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ?`, userID); err != nil {
				return err
			}
			res, err := tx.ExecContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE user_id = ? AND revoked_at IS NULL`, tx.now.Unix(), userID)
			if err != nil {
				return err
			}
			switch n, _ := res.RowsAffected(); {
			case n == 1:
				audit.Details = "its API token revoked"
			case n > 1:
				audit.Details = fmt.Sprintf("its %d API tokens revoked", n)
			}
		}
		return insertAudit(ctx, tx, audit)
	})
}

// ListUsers lists accounts by name, matching query in name or email, and how many match in all.
func (db *DB) ListUsers(ctx context.Context, query string, limit, offset int) ([]User, int, error) {
	like := "%" + escapeLike(strings.TrimSpace(query)) + "%"
	const cond = ` FROM users u WHERE u.name LIKE ? ESCAPE '\' OR u.email LIKE ? ESCAPE '\'`
	var us []User
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+cond, like, like).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+cond+` ORDER BY u.name COLLATE NOCASE, u.id LIMIT ? OFFSET ?`,
			like, like, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u User
			if err := scanUser(rows, &u); err != nil {
				return err
			}
			us = append(us, u)
		}
		return rows.Err()
	})
	return us, total, err
}
