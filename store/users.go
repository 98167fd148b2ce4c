package store

import (
	"context"
	"database/sql"
	"time"
)

// User is a person who signs in.
type User struct {
	ID           int64
	Email        string
	Name         string
	PasswordHash string
	Active       bool
	TwoFactor    bool // sign-in asks for a code after the password
	LastOrgID    int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
	ClientsView  string // how the clients dashboard shows organizations: "list" or "cards"
}

const userColumns = `u.id, u.email, u.name, u.password_hash, u.active, ` + hasTwoFactor + `, coalesce(u.last_org_id, 0),
	u.created_at, u.updated_at, u.clients_view`

func scanUser(row interface{ Scan(...any) error }, u *User, extra ...any) error {
	var created, updated sql.NullInt64
	dest := append([]any{&u.ID, &u.Email, &u.Name, &u.PasswordHash, &u.Active, &u.TwoFactor, &u.LastOrgID, &created, &updated, &u.ClientsView}, extra...)
	if err := row.Scan(dest...); err != nil {
		return notFoundOr(err)
	}
	u.CreatedAt, u.UpdatedAt = fromUnix(created), fromUnix(updated)
	return nil
}

// FindUserByEmail returns the user with that email, compared without case.
func (db *DB) FindUserByEmail(ctx context.Context, email string) (User, error) {
	var u User
	err := db.view(ctx, func(tx *Tx) error {
		return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.email = ?`, email), &u)
	})
	return u, err
}

// FindUser returns the user with the given id.
func (db *DB) FindUser(ctx context.Context, id int64) (User, error) {
	var u User
	err := db.view(ctx, func(tx *Tx) error {
		return scanUser(tx.QueryRowContext(ctx, `SELECT `+userColumns+` FROM users u WHERE u.id = ?`, id), &u)
	})
	return u, err
}

// CreateUser stores a new user as a member of orgID with the given role.
func (db *DB) CreateUser(ctx context.Context, u *User, orgID int64, role string) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := createUser(ctx, tx, u); err != nil {
			return err
		}
		return addMember(ctx, tx, u.ID, orgID, role)
	})
}

func createUser(ctx context.Context, tx *Tx, u *User) error {
	u.Active, u.CreatedAt, u.UpdatedAt = true, tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO users (email, name, password_hash, active, created_at, updated_at)
		VALUES (?, ?, ?, 1, ?, ?)`, u.Email, u.Name, u.PasswordHash, unix(u.CreatedAt), unix(u.UpdatedAt))
	if err != nil {
		return err
	}
	u.ID, err = res.LastInsertId()
	return err
}

// CreateVendor bootstraps an empty database: the vendor organization and its first staff owner.
// It answers ErrConflict when a vendor exists already.
func (db *DB) CreateVendor(ctx context.Context, vendor *Org, owner *User) error {
	return db.update(ctx, func(tx *Tx) error {
		vendor.Kind = KindVendor
		if err := createOrg(ctx, tx, vendor); err != nil {
			return err
		}
		if err := createUser(ctx, tx, owner); err != nil {
			return err
		}
		if err := addMember(ctx, tx, owner.ID, vendor.ID, RoleOwner); err != nil {
			return err
		}
		return insertAudit(ctx, tx, AuditEntry{OrgID: vendor.ID, Action: "bootstrap", Target: owner.Email})
	})
}
