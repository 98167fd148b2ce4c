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
	HeartbeatMinutes int      // a device silent that long is deactivated; 0: never
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
	MaxBorrowHours         int // how long a floating seat may be borrowed; 0: no borrowing
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
		res, err := tx.ExecContext(ctx, `INSERT INTO products (code, name, start_threshold, excluded_services, heartbeat_minutes, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, p.Code, p.Name, p.StartThreshold, strings.Join(p.ExcludedServices, ","), p.HeartbeatMinutes, tx.now.Unix(), tx.now.Unix())
		if err != nil {
			return err
		}
		if p.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for i := range p.Features {
			if err := insertFeature(ctx, tx, p.ID, &p.Features[i]); err != nil {
				return err
			}
		}
		audit.Target = "product " + p.Code
		return insertAudit(ctx, tx, audit)
	})
}

func insertFeature(ctx context.Context, tx *Tx, productID int64, f *Feature) error {
	f.ProductID = productID
	res, err := tx.ExecContext(ctx, `INSERT INTO features (product_id, code, name, floating, max_simultaneous_users,
		floating_timeout_minutes, max_borrow_hours) VALUES (?, ?, ?, ?, ?, ?, ?)`, productID, f.Code, f.Name, f.Floating,
		f.MaxSimultaneousUsers, f.FloatingTimeoutMinutes, f.MaxBorrowHours)
	if err != nil {
		return err
	}
	f.ID, err = res.LastInsertId()
	return err
}

// UpdateProduct changes a product's name and defaults, changes its features by code and adds the
// new ones; features are never removed (licenses enable them), nor is the code changed. It
// answers the product as stored, and the ids of the licenses whose features changed with it.
func (db *DB) UpdateProduct(ctx context.Context, p *Product, audit AuditEntry) ([]int64, error) {
	var licenses []int64
	err := db.update(ctx, func(tx *Tx) error {
		old, err := findProduct(ctx, tx, p.ID)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE products SET name = ?, start_threshold = ?, excluded_services = ?, heartbeat_minutes = ?,
			updated_at = ? WHERE id = ?`, p.Name, p.StartThreshold, strings.Join(p.ExcludedServices, ","), p.HeartbeatMinutes,
			tx.now.Unix(), p.ID); err != nil {
			return err
		}
		for i := range p.Features {
			f := &p.Features[i]
			cur, ok := old.Feature(f.Code)
			if !ok {
				if err := insertFeature(ctx, tx, p.ID, f); err != nil {
					return err
				}
				continue
			}
			f.ID, f.ProductID = cur.ID, p.ID
			if _, err := tx.ExecContext(ctx, `UPDATE features SET name = ?, floating = ?, max_simultaneous_users = ?,
				floating_timeout_minutes = ?, max_borrow_hours = ? WHERE id = ?`, f.Name, f.Floating, f.MaxSimultaneousUsers,
				f.FloatingTimeoutMinutes, f.MaxBorrowHours, f.ID); err != nil {
				return err
			}
		}
		rows, err := tx.QueryContext(ctx, `SELECT id FROM licenses WHERE product_id = ?`, p.ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			licenses = append(licenses, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		audit.Target = "product " + old.Code
		if err := insertAudit(ctx, tx, audit); err != nil {
			return err
		}
		*p, err = findProduct(ctx, tx, p.ID)
		return err
	})
	return licenses, err
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
	rows, err := tx.QueryContext(ctx, `SELECT p.id, p.code, p.name, p.start_threshold, p.excluded_services, p.heartbeat_minutes, p.created_at, p.updated_at
		FROM products p WHERE `+where+` ORDER BY p.name, p.id`, args...)
	if err != nil {
		return nil, err
	}
	var ps []Product
	for rows.Next() {
		var p Product
		var excluded string
		var created, updated sql.NullInt64
		if err := rows.Scan(&p.ID, &p.Code, &p.Name, &p.StartThreshold, &excluded, &p.HeartbeatMinutes, &created, &updated); err != nil {
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
	rows, err := tx.QueryContext(ctx, `SELECT id, product_id, code, name, floating, max_simultaneous_users, floating_timeout_minutes, max_borrow_hours
		FROM features WHERE product_id = ? ORDER BY id`, productID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []Feature
	for rows.Next() {
		var f Feature
		if err := rows.Scan(&f.ID, &f.ProductID, &f.Code, &f.Name, &f.Floating, &f.MaxSimultaneousUsers, &f.FloatingTimeoutMinutes, &f.MaxBorrowHours); err != nil {
			return nil, err
		}
		fs = append(fs, f)
	}
	return fs, rows.Err()
}
