package store

import (
	"context"
	"database/sql"
	"time"
)

// APIToken is a personal token for the management API, kept as the SHA-256 of its value.
type APIToken struct {
	ID         int64
	UserID     int64
	Name       string
	Hash       []byte
	Hint       string // the last characters, to recognise it in a list
	CreatedAt  time.Time
	LastUsedAt time.Time
	RevokedAt  time.Time
}

// CreateAPIToken stores a new token and sets its ID and creation time.
func (db *DB) CreateAPIToken(ctx context.Context, t *APIToken) error {
	return db.update(ctx, func(tx *Tx) error {
		t.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (user_id, name, token_hash, hint, created_at)
			VALUES (?, ?, ?, ?, ?)`, t.UserID, t.Name, t.Hash, t.Hint, unix(t.CreatedAt))
		if err != nil {
			return err
		}
		t.ID, err = res.LastInsertId()
		return err
	})
}

// FindAPIToken returns the unrevoked token with that hash and its user.
func (db *DB) FindAPIToken(ctx context.Context, hash []byte) (APIToken, User, error) {
	var t APIToken
	var u User
	err := db.view(ctx, func(tx *Tx) error {
		var created, used sql.NullInt64
		err := scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+`, t.id, t.name, t.hint, t.created_at, t.last_used_at
			FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = ? AND t.revoked_at IS NULL`, hash),
			&u, &t.ID, &t.Name, &t.Hint, &created, &used)
		t.UserID, t.Hash, t.CreatedAt, t.LastUsedAt = u.ID, hash, fromUnix(created), fromUnix(used)
		return err
	})
	return t, u, err
}

// TouchAPIToken records that the token was used now.
func (db *DB) TouchAPIToken(ctx context.Context, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, tx.now.Unix(), id)
		return err
	})
}

// APITokens lists a user's unrevoked tokens, newest first.
func (db *DB) APITokens(ctx context.Context, userID int64) ([]APIToken, error) {
	var ts []APIToken
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, name, hint, created_at, last_used_at FROM api_tokens
			WHERE user_id = ? AND revoked_at IS NULL ORDER BY id DESC`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t := APIToken{UserID: userID}
			var created, used sql.NullInt64
			if err := rows.Scan(&t.ID, &t.Name, &t.Hint, &created, &used); err != nil {
				return err
			}
			t.CreatedAt, t.LastUsedAt = fromUnix(created), fromUnix(used)
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// RevokeAPIToken stops one of the user's tokens; ErrNotFound if it is not theirs or revoked already.
func (db *DB) RevokeAPIToken(ctx context.Context, userID, id int64) error {
	return db.update(ctx, func(tx *Tx) error {
		return execOne(ctx, tx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL`,
			tx.now.Unix(), id, userID)
	})
}
