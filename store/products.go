package store

import (
	"context"
	"database/sql"
	"strings"
	"time"
)

// Product is what a license is for: a set of features (modules).
type Product struct {
	ID               int64
	Code             string
	Name             string
	StartThreshold   int
	ExcludedServices []string // lower case; their usage is not billed
	Features         []Feature
	CreatedAt        time.Time
	UpdatedAt        time.Time
}

// Feature is a module of a product; a floating one is shared by a number of devices at a time.
type Feature struct {
	ID                     int64
	ProductID              int64
	Code                   string
	Name                   string
	Floating               bool
	MaxSimultaneousUsers   int
	FloatingTimeoutMinutes int
}

// Feature returns the product's feature with that code.
func (p Product) Feature(code string) (Feature, bool) {
	for _, f := range p.Features {
		if f.Code == code {
			return f, true
		}
	}
	return Feature{}, false
}

// CreateProduct stores a product with its features; a taken code is ErrConflict.
func (db *DB) CreateProduct(ctx context.Context, p *Product, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		p.CreatedAt, p.UpdatedAt = tx.now, tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO products (code, name, start_threshold, excluded_services, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?)`, p.Code, p.Name, p.StartThreshold, strings.Join(p.ExcludedServices, ","), tx.now.Unix(), tx.now.Unix())
		if err != nil {
			return err
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for i := range p.Features {
			f := &p.Features[i]
			f.ProductID = p.ID
			res, err := tx.ExecContext(ctx, `INSERT INTO features (product_id, code, name, floating, max_simultaneous_users,
				floating_timeout_minutes) VALUES (?, ?, ?, ?, ?, ?)`, p.ID, f.Code, f.Name, f.Floating, f.MaxSimultaneousUsers, f.FloatingTimeoutMinutes)
			if err != nil {
				return err
			}
			if f.ID, err = res.LastInsertId(); err != nil {
				return err
			}
		}
		audit.Target = "product " + p.Code
		return insertAudit(ctx, tx, audit)
	})
}

// Products lists every product with its features, by name.
func (db *DB) Products(ctx context.Context) ([]Product, error) {
	var ps []Product
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		ps, err = findProducts(ctx, tx, `1 = 1`)
		return err
	})
	return ps, err
}

// FindProduct returns a product by id.
func (db *DB) FindProduct(ctx context.Context, id int64) (Product, error) {
	var p Product
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		p, err = findProduct(ctx, tx, id)
		return err
	})
	return p, err
}

// FindProductByCode returns a product by its code.
func (db *DB) FindProductByCode(ctx context.Context, code string) (Product, error) {
	var p Product
	err := db.view(ctx, func(tx *Tx) error {
		ps, err := findProducts(ctx, tx, `p.code = ?`, code)
		if err != nil {
			return err
		}
		if len(ps) == 0 {
			return ErrNotFound
		}
		p = ps[0]
		return nil
	})
	return p, err
}

func findProduct(ctx context.Context, tx *Tx, id int64) (Product, error) {
	ps, err := findProducts(ctx, tx, `p.id = ?`, id)
	if err != nil {
		return Product{}, err
	}
	if len(ps) == 0 {
		return Product{}, ErrNotFound
	}
	return ps[0], nil
}

func findProducts(ctx context.Context, tx *Tx, where string, args ...any) ([]Product, error) {
	rows, err := tx.QueryContext(ctx, `SELECT p.id, p.code, p.name, p.start_threshold, p.excluded_services, p.created_at, p.updated_at
		FROM products p WHERE `+where+` ORDER BY p.name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	var ps []Product
	for rows.Next() {
		var p Product
		var excluded string
		var created, updated sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.StartThreshold, &excluded, &created, &updated); err != nil {
			rows.Close()
			return nil, err
		}
		if excluded != "" {
			p.ExcludedServices = strings.Split(excluded, ",")
		}
		p.CreatedAt, p.UpdatedAt = fromUnix(created), fromUnix(updated)
		ps = append(ps, p)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for i := range ps {
		if ps[i].Features, err = findFeatures(ctx, tx, ps[i].ID); err != nil {
			return nil, err
		}
	}
	return ps, nil
}

func findFeatures(ctx context.Context, tx *Tx, productID int64) ([]Feature, error) {
	rows, err := tx.QueryContext(ctx, `SELECT id, product_id, code, name, floating, max_simultaneous_users, floating_timeout_minutes
		FROM features WHERE product_id = ? ORDER BY id`, productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []Feature
	for rows.Next() {
		var f Feature
		if err := rows.Scan(&f.ID, &f.ProductID, &f.Code, &f.Name, &f.Floating, &f.MaxSimultaneousUsers, &f.FloatingTimeoutMinutes); err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}
