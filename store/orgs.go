package store

import (
	"context"
	"database/sql"
	"time"
)

// Organization kinds.
const (
	KindVendor      = "vendor"
	KindDistributor = "distributor"
	KindClient      = "client"
)

// Membership roles.
const (
	RoleOwner  = "owner"
	RoleMember = "member"
)

// Org is an organization: the vendor, a distributor or a client.
type Org struct {
	ID        int64
	Kind      string
	ParentID  int64 // 0 for the vendor
	Name      string
	Email     string
	Phone     string
	Address   string
	Zip       string
	City      string
	Country   string
	TaxID     string
	Notes     string
	Status    string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Membership is a user's place in an organization.
type Membership struct {
	Org  Org
	Role string
}

const orgColumns = `o.id, o.kind, coalesce(o.parent_id, 0), o.name, o.email, o.phone, o.address, o.zip,
	o.city, o.country, o.tax_id, o.notes, o.status, o.created_at, o.updated_at`

func scanOrg(row interface{ Scan(...any) error }, o *Org, extra ...any) error {
	var created, updated sql.NullInt64
	dest := append([]any{&o.ID, &o.Kind, &o.ParentID, &o.Name, &o.Email, &o.Phone, &o.Address, &o.Zip,
		&o.City, &o.Country, &o.TaxID, &o.Notes, &o.Status, &created, &updated}, extra...)
	if err := row.Scan(dest...); err != nil {
		return notFoundOr(err)
	}
	o.CreatedAt, o.UpdatedAt = fromUnix(created), fromUnix(updated)
	return nil
}

// FindOrg returns the organization with the given id.
func (db *DB) FindOrg(ctx context.Context, id int64) (Org, error) {
	var o Org
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		o, err = findOrg(ctx, tx, id)
		return err
	})
	return o, err
}

func findOrg(ctx context.Context, tx *Tx, id int64) (Org, error) {
	var o Org
	err := scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations o WHERE o.id = ?`, id), &o)
	return o, err
}

// FindVendor returns the vendor organization, or ErrNotFound on a database not bootstrapped yet.
func (db *DB) FindVendor(ctx context.Context) (Org, error) {
	var o Org
	err := db.view(ctx, func(tx *Tx) error {
		return scanOrg(tx.QueryRowContext(ctx, `SELECT `+orgColumns+` FROM organizations o WHERE o.kind = 'vendor'`), &o)
	})
	return o, err
}

// CreateOrg stores a new organization and sets its ID and times.
func (db *DB) CreateOrg(ctx context.Context, o *Org) error {
	return db.update(ctx, func(tx *Tx) error { return createOrg(ctx, tx, o) })
}

func createOrg(ctx context.Context, tx *Tx, o *Org) error {
	if o.Status == "" {
		o.Status = "active"
	}
	o.CreatedAt, o.UpdatedAt = tx.now, tx.now
	var parent any
	if o.ParentID != 0 {
		parent = o.ParentID
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO organizations
		(kind, parent_id, name, email, phone, address, zip, city, country, tax_id, notes, status, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		o.Kind, parent, o.Name, o.Email, o.Phone, o.Address, o.Zip, o.City, o.Country, o.TaxID, o.Notes, o.Status,
		unix(o.CreatedAt), unix(o.UpdatedAt))
	if err != nil {
		return err
	}
	o.ID, err = res.LastInsertId()
	return err
}

// Memberships lists the organizations a user belongs to, by name.
func (db *DB) Memberships(ctx context.Context, userID int64) ([]Membership, error) {
	var ms []Membership
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+orgColumns+`, m.role FROM memberships m
			JOIN organizations o ON o.id = m.org_id WHERE m.user_id = ? ORDER BY o.name, o.id`, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Membership
			if err := scanOrg(rows, &m.Org, &m.Role); err != nil {
				return err
			}
			ms = append(ms, m)
		}
		return rows.Err()
	})
	return ms, err
}

func addMember(ctx context.Context, tx *Tx, userID, orgID int64, role string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO memberships (user_id, org_id, role, created_at) VALUES (?, ?, ?, ?)`,
		userID, orgID, role, tx.now.Unix())
	return err
}

// ClientOrgs lists every client organization by name; callers keep those the user may see.
func (db *DB) ClientOrgs(ctx context.Context) ([]Org, error) {
	var os []Org
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+orgColumns+` FROM organizations o WHERE o.kind = 'client' ORDER BY o.name, o.id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o Org
			if err := scanOrg(rows, &o); err != nil {
				return err
			}
			os = append(os, o)
		}
		return rows.Err()
	})
	return os, err
}
