package store

import (
	"context"
	"database/sql"
	"time"
)

// TermsVersion is a published version of the terms and conditions; the newest is in force.
type TermsVersion struct {
	ID          int64
	Label       string
	EffectiveOn string // YYYY-MM-DD
	Format      string // markdown or text
	Body        string
	PublishedAt time.Time
	Accepted    int // how many users accepted this version
}

// Acceptance records that a user accepted a version of the terms, when and from where.
type Acceptance struct {
	TermsID    int64
	UserID     int64
	Email      string
	Name       string
	AcceptedAt time.Time
	IP         string
}

// PublishTerms stores a new version, which every user must accept before going on.
func (db *DB) PublishTerms(ctx context.Context, t *TermsVersion, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		t.PublishedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO terms (label, effective_on, format, body, published_by, published_at)
			VALUES (?, ?, ?, ?, ?, ?)`, t.Label, t.EffectiveOn, t.Format, t.Body, nullID(audit.ActorUserID), unix(t.PublishedAt))
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		audit.Target = t.Label
		return insertAudit(ctx, tx, audit)
	})
}

const termsColumns = `t.id, t.label, t.effective_on, t.format, t.body, t.published_at,
	(SELECT count(*) FROM terms_acceptances a WHERE a.terms_id = t.id)`

func scanTerms(row interface{ Scan(...any) error }, t *TermsVersion) error {
	var published sql.NullInt64
	if err := row.Scan(&t.ID, &t.Label, &t.EffectiveOn, &t.Format, &t.Body, &published, &t.Accepted); err != nil {
		return notFoundOr(err)
	}
	t.PublishedAt = fromUnix(published)
	return nil
}

// CurrentTerms returns the version in force, or ErrNotFound when none was published.
func (db *DB) CurrentTerms(ctx context.Context) (TermsVersion, error) {
	var t TermsVersion
	err := db.view(ctx, func(tx *Tx) error {
		return scanTerms(tx.QueryRowContext(ctx, `SELECT `+termsColumns+` FROM terms t ORDER BY t.id DESC LIMIT 1`), &t)
	})
	return t, err
}

// AllTerms lists every version, newest first.
func (db *DB) AllTerms(ctx context.Context) ([]TermsVersion, error) {
	var ts []TermsVersion
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+termsColumns+` FROM terms t ORDER BY t.id DESC`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t TermsVersion
			if err := scanTerms(rows, &t); err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// TermsPending tells whether a version is in force that the user has not accepted.
func (db *DB) TermsPending(ctx context.Context, userID int64) (bool, error) {
	var pending bool
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM terms t WHERE t.id = (SELECT max(id) FROM terms)
			AND NOT EXISTS (SELECT 1 FROM terms_acceptances a WHERE a.terms_id = t.id AND a.user_id = ?))`, userID).Scan(&pending)
	})
	return pending, err
}

// AcceptTerms records the user's acceptance of a version; accepting twice changes nothing.
func (db *DB) AcceptTerms(ctx context.Context, termsID, userID int64, ip string, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `INSERT INTO terms_acceptances (terms_id, user_id, accepted_at, ip) VALUES (?, ?, ?, ?)
			ON CONFLICT DO NOTHING`, termsID, userID, tx.now.Unix(), ip)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return insertAudit(ctx, tx, audit)
	})
}

// Acceptances lists who accepted a version, newest first.
func (db *DB) Acceptances(ctx context.Context, termsID int64, limit, offset int) ([]Acceptance, error) {
	var as []Acceptance
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT a.terms_id, a.user_id, u.email, u.name, a.accepted_at, a.ip
			FROM terms_acceptances a JOIN users u ON u.id = a.user_id WHERE a.terms_id = ?
			ORDER BY a.accepted_at DESC, a.user_id LIMIT ? OFFSET ?`, termsID, limit, offset)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Acceptance
			var at sql.NullInt64
			if err := rows.Scan(&a.TermsID, &a.UserID, &a.Email, &a.Name, &at, &a.IP); err != nil {
				return err
			}
			a.AcceptedAt = fromUnix(at)
			as = append(as, a)
		}
		return rows.Err()
	})
	return as, err
}
