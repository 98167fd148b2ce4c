package store

import (
	"context"
	"database/sql"
	"time"
)

// AuditEntry records who did what, when and from where.
type AuditEntry struct {
	ID          int64
	At          time.Time
	ActorUserID int64
	ActorEmail  string
	OrgID       int64
	Action      string
	Target      string
	IP          string
	Details     string
}

// Audit records an entry on its own; actions that change data record theirs in their own transaction.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, e) })
}

func insertAudit(ctx context.Context, tx *Tx, e AuditEntry) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_user_id, actor_email, org_id, action, target, ip, details)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.now.Unix(), nullID(e.ActorUserID), e.ActorEmail, nullID(e.OrgID), e.Action, e.Target, e.IP, e.Details)
	return err
}

// AuditEntries lists the newest entries first, at most limit of them.
func (db *DB) AuditEntries(ctx context.Context, limit int) ([]AuditEntry, error) {
	var es []AuditEntry
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, at, coalesce(actor_user_id, 0), actor_email, coalesce(org_id, 0),
			action, target, ip, details FROM audit_log ORDER BY id DESC LIMIT ?`, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var at sql.NullInt64
			if err := rows.Scan(&e.ID, &at, &e.ActorUserID, &e.ActorEmail, &e.OrgID, &e.Action, &e.Target, &e.IP, &e.Details); err != nil {
				return err
			}
			e.At = fromUnix(at)
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, err
}

// nullID stores an absent reference (0) as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
