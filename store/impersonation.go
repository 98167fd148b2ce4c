package store

import (
	"context"
	"time"
)

// StartImpersonation makes a session act as another user (DESIGN §8), from the organization
// whose users tab started it, and records audit, in one transaction.
func (db *DB) StartImpersonation(ctx context.Context, idHash []byte, userID, orgID int64, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE sessions SET acting_as_user_id = ?, acting_since = ?, acting_org_id = ?
			WHERE id_hash = ? AND acting_as_user_id IS NULL`, userID, tx.now.Unix(), nullID(orgID), idHash); err != nil {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// StopImpersonation returns a session to its own user and records audit (the impersonator's own
// entry: stopped, or ended by the time limit); a session not impersonating is left as it is.
func (db *DB) StopImpersonation(ctx context.Context, idHash []byte, audit AuditEntry) error {
	ctx = WithImpersonator(ctx, 0, "")
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET acting_as_user_id = NULL, acting_since = NULL, acting_org_id = NULL
			WHERE id_hash = ? AND acting_as_user_id IS NOT NULL`, idHash)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		return insertAudit(ctx, tx, audit)
	})
}

// SetClientsView remembers how a user likes the clients dashboard: "list" or "cards".
func (db *DB) SetClientsView(ctx context.Context, userID int64, view string) error {
	return db.update(ctx, func(tx *Tx) error {
		return execOne(ctx, tx, `UPDATE users SET clients_view = ?, updated_at = ? WHERE id = ?`, view, tx.now.Unix(), userID)
	})
}

// FindMember returns a user who belongs to an organization, with their role there; ErrNotFound
// for anyone else.
func (db *DB) FindMember(ctx context.Context, orgID, userID int64) (Member, error) {
	var m Member
	err := db.view(ctx, func(tx *Tx) error {
		var joined int64
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+`, m.role, m.created_at FROM memberships m
			JOIN users u ON u.id = m.user_id WHERE m.org_id = ? AND m.user_id = ?`, orgID, userID), &m.User, &m.Role, &joined)
		m.JoinedAt = time.Unix(joined, 0).UTC()
		return err
	})
	return m, err
}

// FindVisibleUser returns the user with that email (compared without case) among the members of
// the organizations f selects (all users when f.All): a user the acting user may see. Anyone
// else is ErrNotFound, so that nobody learns which emails have accounts elsewhere.
func (db *DB) FindVisibleUser(ctx context.Context, f OrgFilter, email string) (User, error) {
	var u User
	err := db.view(ctx, func(tx *Tx) error {
		where, args := `lower(u.email) = lower(?)`, []any{email}
		if !f.All {
			where += ` AND EXISTS (SELECT 1 FROM memberships m JOIN organizations o ON o.id = m.org_id WHERE m.user_id = u.id
				AND (o.id IN (` + placeholders(len(f.IDs)) + `) OR o.parent_id IN (` + placeholders(len(f.ParentIDs)) + `)))`
			args = append(append(args, ids(f.IDs)...), ids(f.ParentIDs)...)
		}
		return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE `+where, args...), &u)
	})
	return u, err
}
