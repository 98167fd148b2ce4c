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
	es, _, err := db.ListAudit(ctx, AuditFilter{Limit: limit})
	return es, err
}

// nullID stores an absent reference (0) as NULL.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// AuditFilter selects audit entries: of one organization (0: all), by an actor's email (part of it),
// an action (prefix), and a time range [From, To) (zero: open).
type AuditFilter struct {
	OrgID    int64
	Actor    string
	Action   string
	From, To time.Time
	Limit    int
	Offset   int
}

// ListAudit lists the entries of f newest first, and how many match in all.
func (db *DB) ListAudit(ctx context.Context, f AuditFilter) ([]AuditEntry, int, error) {
	cond := ` FROM audit_log WHERE 1 = 1`
	var args []any
	if f.OrgID != 0 {
		cond += ` AND org_id = ?`
		args = append(args, f.OrgID)
	}
	if f.Actor != "" {
		cond += ` AND actor_email LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(f.Actor)+"%")
	}
	if f.Action != "" {
		cond += ` AND action LIKE ? ESCAPE '\'`
		args = append(args, escapeLike(f.Action)+"%")
	}
	if !f.From.IsZero() {
		cond += ` AND at >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		cond += ` AND at < ?`
		args = append(args, f.To.Unix())
	}
	var es []AuditEntry
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT id, at, coalesce(actor_user_id, 0), actor_email, coalesce(org_id, 0),
			action, target, ip, details`+cond+` ORDER BY id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
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
	return es, total, err
}
