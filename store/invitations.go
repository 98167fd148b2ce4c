package store

import (
	"context"
	"database/sql"
	"time"
)

// Invitation invites an email into an organization with a role, through a link whose token
// is kept as its SHA-256.
type Invitation struct {
	ID         int64
	OrgID      int64
	Email      string
	Role       string
	InvitedBy  int64
	CreatedAt  time.Time
	ExpiresAt  time.Time
	AcceptedAt time.Time
	RevokedAt  time.Time
}

const invitationColumns = `i.id, i.org_id, i.email, i.role, coalesce(i.invited_by, 0), i.created_at, i.expires_at,
	i.accepted_at, i.revoked_at`

func scanInvitation(row interface{ Scan(...any) error }, inv *Invitation) error {
	var created, expires, accepted, revoked sql.NullInt64
	if err := row.Scan(&inv.ID, &inv.OrgID, &inv.Email, &inv.Role, &inv.InvitedBy, &created, &expires, &accepted, &revoked); err != nil {
		return notFoundOr(err)
	}
	inv.CreatedAt, inv.ExpiresAt = fromUnix(created), fromUnix(expires)
	inv.AcceptedAt, inv.RevokedAt = fromUnix(accepted), fromUnix(revoked)
	return nil
}

// CreateInvitation stores an invitation valid for ttl with its email; an earlier pending
// invitation of the same email to the same organization is revoked, so only the newest link works.
func (db *DB) CreateInvitation(ctx context.Context, inv *Invitation, tokenHash []byte, ttl time.Duration, emails []Email, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET revoked_at = ? WHERE org_id = ? AND email = ?
			AND accepted_at IS NULL AND revoked_at IS NULL`, tx.now.Unix(), inv.OrgID, inv.Email); err != nil {
			return err
		}
		inv.CreatedAt, inv.ExpiresAt = tx.now, tx.now.Add(ttl)
		res, err := tx.ExecContext(ctx, `INSERT INTO invitations (org_id, email, role, token_hash, invited_by, created_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, inv.OrgID, inv.Email, inv.Role, tokenHash, nullID(inv.InvitedBy),
			unix(inv.CreatedAt), unix(inv.ExpiresAt))
		if err != nil {
			return err
		}
		if inv.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := enqueueEmails(ctx, tx, emails); err != nil {
			return err
		}
		audit.OrgID = inv.OrgID
		return insertAudit(ctx, tx, audit)
	})
}

// PendingInvitations lists an organization's invitations neither accepted nor revoked, newest first.
// Expired ones are listed too, so that they can be sent again.
func (db *DB) PendingInvitations(ctx context.Context, orgID int64) ([]Invitation, error) {
	var invs []Invitation
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+invitationColumns+` FROM invitations i
			WHERE i.org_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL ORDER BY i.id DESC`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var inv Invitation
			if err := scanInvitation(rows, &inv); err != nil {
				return err
			}
			invs = append(invs, inv)
		}
		return rows.Err()
	})
	return invs, err
}

// FindPendingInvitation returns the organization's invitation id if neither accepted nor revoked.
func (db *DB) FindPendingInvitation(ctx context.Context, orgID, id int64) (Invitation, error) {
	var inv Invitation
	err := db.view(ctx, func(tx *Tx) error {
		return scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations i
			WHERE i.id = ? AND i.org_id = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL`, id, orgID), &inv)
	})
	return inv, err
}

// FindInvitationByToken returns the invitation of a link while it can be used: not accepted,
// not revoked, not expired. Anything else is ErrNotFound.
func (db *DB) FindInvitationByToken(ctx context.Context, tokenHash []byte) (Invitation, error) {
	var inv Invitation
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		inv, err = findUsableInvitation(ctx, tx, tokenHash)
		return err
	})
	return inv, err
}

func findUsableInvitation(ctx context.Context, tx *Tx, tokenHash []byte) (Invitation, error) {
	var inv Invitation
	err := scanInvitation(tx.QueryRowContext(ctx, `SELECT `+invitationColumns+` FROM invitations i
		WHERE i.token_hash = ? AND i.accepted_at IS NULL AND i.revoked_at IS NULL AND i.expires_at > ?`,
		tokenHash, tx.now.Unix()), &inv)
	return inv, err
}

// ResendInvitation gives a pending invitation a new link (the old one stops working) valid for ttl.
func (db *DB) ResendInvitation(ctx context.Context, orgID, id int64, tokenHash []byte, ttl time.Duration, emails []Email, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE invitations SET token_hash = ?, expires_at = ? WHERE id = ? AND org_id = ?
			AND accepted_at IS NULL AND revoked_at IS NULL`, tokenHash, tx.now.Add(ttl).Unix(), id, orgID); err != nil {
			return err
		}
		if err := enqueueEmails(ctx, tx, emails); err != nil {
			return err
		}
		audit.OrgID = orgID
		return insertAudit(ctx, tx, audit)
	})
}

// RevokeInvitation ends a pending invitation: its link stops working.
func (db *DB) RevokeInvitation(ctx context.Context, orgID, id int64, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE invitations SET revoked_at = ? WHERE id = ? AND org_id = ?
			AND accepted_at IS NULL AND revoked_at IS NULL`, tx.now.Unix(), id, orgID); err != nil {
			return err
		}
		audit.OrgID = orgID
		return insertAudit(ctx, tx, audit)
	})
}

// AcceptInvitation uses an invitation link once: it creates the account u with the invited
// email, makes it a member with the invited role and sets that organization as its last one.
// ErrNotFound when the link can no longer be used; ErrConflict when the email has an account.
func (db *DB) AcceptInvitation(ctx context.Context, tokenHash []byte, u *User, audit AuditEntry) (Invitation, error) {
	var inv Invitation
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if inv, err = findUsableInvitation(ctx, tx, tokenHash); err != nil {
			return err
		}
		u.Email = inv.Email
		if err := createUser(ctx, tx, u); err != nil {
			return err
		}
		if err := addMember(ctx, tx, u.ID, inv.OrgID, inv.Role); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE invitations SET accepted_at = ? WHERE id = ?`, tx.now.Unix(), inv.ID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_org_id = ? WHERE id = ?`, inv.OrgID, u.ID); err != nil {
			return err
		}
		u.LastOrgID = inv.OrgID
		audit.OrgID, audit.ActorUserID, audit.ActorEmail = inv.OrgID, u.ID, u.Email
		return insertAudit(ctx, tx, audit)
	})
	return inv, err
}
