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

	// The impersonator really acting, when the entry was written while they acted as the actor
	// (DESIGN §8): set from the context (WithImpersonator) by every write, never by callers.
	ImpersonatorUserID int64
	ImpersonatorEmail  string
	// Names of the people, as they are now, when read: "" for those without an account.
	ActorName, ImpersonatorName string
}

// Audit records an entry on its own; actions that change data record theirs in their own transaction.
func (db *DB) Audit(ctx context.Context, e AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error { return insertAudit(ctx, tx, e) })
}

func insertAudit(ctx context.Context, tx *Tx, e AuditEntry) error {
	imp, _ := ctx.Value(impersonatorKey{}).(impersonator)
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor_user_id, actor_email, org_id, action, target, ip, details,
		impersonator_user_id, impersonator_email) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		tx.now.Unix(), nullID(e.ActorUserID), e.ActorEmail, nullID(e.OrgID), e.Action, e.Target, e.IP, e.Details,
		nullID(imp.userID), imp.email)
	return err
}

type impersonatorKey struct{}

type impersonator struct {
	userID int64
	email  string
}

// WithImpersonator marks ctx as a request of a user acting as another (DESIGN §8): every audit
// entry written with it names the impersonator beside the actor, whichever code writes it.
// A zero userID clears the mark (the impersonator's own entries, such as stopping).
func WithImpersonator(ctx context.Context, userID int64, email string) context.Context {
	return context.WithValue(ctx, impersonatorKey{}, impersonator{userID: userID, email: email})
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
	cond := ` FROM audit_log a LEFT JOIN users au ON au.id = a.actor_user_id
		LEFT JOIN users iu ON iu.id = a.impersonator_user_id WHERE 1 = 1`
	var args []any
	if f.OrgID != 0 {
		cond += ` AND a.org_id = ?`
		args = append(args, f.OrgID)
	}
	if f.Actor != "" {
		cond += ` AND a.actor_email LIKE ? ESCAPE '\'`
		args = append(args, "%"+escapeLike(f.Actor)+"%")
	}
	if f.Action != "" {
		cond += ` AND a.action LIKE ? ESCAPE '\'`
		args = append(args, escapeLike(f.Action)+"%")
	}
	if !f.From.IsZero() {
		cond += ` AND a.at >= ?`
		args = append(args, f.From.Unix())
	}
	if !f.To.IsZero() {
		cond += ` AND a.at < ?`
		args = append(args, f.To.Unix())
	}
	var es []AuditEntry
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*)`+cond, args...).Scan(&total); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT a.id, a.at, coalesce(a.actor_user_id, 0), a.actor_email, coalesce(a.org_id, 0),
			a.action, a.target, a.ip, a.details, coalesce(a.impersonator_user_id, 0), a.impersonator_email,
			coalesce(au.name, ''), coalesce(iu.name, '')`+cond+` ORDER BY a.id DESC LIMIT ? OFFSET ?`, append(args, f.Limit, f.Offset)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e AuditEntry
			var at sql.NullInt64
			if err := rows.Scan(&e.ID, &at, &e.ActorUserID, &e.ActorEmail, &e.OrgID, &e.Action, &e.Target, &e.IP, &e.Details,
				&e.ImpersonatorUserID, &e.ImpersonatorEmail, &e.ActorName, &e.ImpersonatorName); err != nil {
				return err
			}
			e.At = fromUnix(at)
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, total, err
}
