package store

import (
	"context"
	"database/sql"
	"errors"
	"strings"
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

	SuspendReason string // why a suspended client's users cannot sign in
}

// Membership is a user's place in an organization.
type Membership struct {
	Org  Org
	Role string
}

const orgColumns = `o.id, o.kind, coalesce(o.parent_id, 0), o.name, o.email, o.phone, o.address, o.zip,
	o.city, o.country, o.tax_id, o.notes, o.status, o.created_at, o.updated_at, o.suspend_reason`

func scanOrg(row interface{ Scan(...any) error }, o *Org, extra ...any) error {
	var created, updated sql.NullInt64
	dest := append([]any{&o.ID, &o.Kind, &o.ParentID, &o.Name, &o.Email, &o.Phone, &o.Address, &o.Zip,
		&o.City, &o.Country, &o.TaxID, &o.Notes, &o.Status, &created, &updated, &o.SuspendReason}, extra...)
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

// ErrLastOwner refuses a change that would leave an organization without an owner.
var ErrLastOwner = errors.New("an organization keeps at least one owner")

// OrgFilter selects the organizations a user may list: all of them (staff), or those whose id is
// in IDs and the clients whose parent is in ParentIDs. Query matches names, emails and cities; the
// other fields are the filters and sorts of the clients dashboard (DESIGN §8), checked by the caller.
type OrgFilter struct {
	All       bool
	IDs       []int64
	ParentIDs []int64
	Query     string

	Kind          string // distributor or client; "" both (and the vendor, for staff)
	Status        string // active or suspended
	Country       string // equal, ignoring case
	CreatedFrom   string // YYYY-MM-DD, inclusive
	CreatedTo     string // YYYY-MM-DD, inclusive
	ParentID      int64  // the clients of this distributor (or the vendor)
	LicenseStatus string // has a license in this status, as of today
	Overdue       *bool  // has (true) or has not (false) an overdue invoice
	Sort          string // one of OrgSorts; "" distributors first, then by name
	Desc          bool

	Limit  int
	Offset int
}

// OrgSorts are the sorts of the clients dashboard and their SQL. The balance is the one in the
// currency of the client's issuer (its invoicing setting, EUR by default).
var OrgSorts = map[string]string{
	"name":       `lower(o.name)`,
	"created_at": `o.created_at`,
	"country":    `lower(o.country)`,
	"licenses":   `(SELECT count(*) FROM licenses l WHERE l.organization_id = o.id)`,
	"balance": `(SELECT coalesce(sum(j.debit), 0) - coalesce(sum(j.credit), 0) FROM journal_entries j
		WHERE j.organization_id = o.id AND j.currency = coalesce((SELECT s.currency FROM invoice_settings s
			WHERE s.org_id = o.parent_id), 'EUR'))`,
}

// Balance is what a client owes in one currency (below zero: its credit), in minor units.
type Balance struct {
	Currency string
	Minor    int64
}

// OrgStats are the figures the clients dashboard shows beside each organization.
type OrgStats struct {
	ParentName string    // its distributor's (or the vendor's) name
	Licenses   int       // licenses of the organization, in every status
	Balances   []Balance // per currency, as the journal has them, by currency
	Overdue    bool      // it has an issued invoice unpaid after its due date
}

// orgWhere is the WHERE clause of the organizations f selects (o is the organizations table),
// with its arguments; today is the day overdue invoices and license statuses are judged on.
func orgWhere(f OrgFilter, today string) (string, []any) {
	var where []string
	var args []any
	if !f.All {
		or := []string{"0 = 1"}
		if len(f.IDs) > 0 {
			or = append(or, "o.id IN ("+placeholders(len(f.IDs))+")")
			args = append(args, ids(f.IDs)...)
		}
		if len(f.ParentIDs) > 0 {
			or = append(or, "o.parent_id IN ("+placeholders(len(f.ParentIDs))+")")
			args = append(args, ids(f.ParentIDs)...)
		}
		where = append(where, "("+strings.Join(or, " OR ")+")")
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + escapeLike(q) + "%"
		where = append(where, `(o.name LIKE ? ESCAPE '\' OR o.email LIKE ? ESCAPE '\' OR o.city LIKE ? ESCAPE '\')`)
		args = append(args, like, like, like)
	}
	add := func(cond string, a ...any) { where, args = append(where, cond), append(args, a...) }
	if f.Kind != "" {
		add(`o.kind = ?`, f.Kind)
	}
	if f.Status != "" {
		add(`o.status = ?`, f.Status)
	}
	if f.Country != "" {
		add(`lower(o.country) = lower(?)`, f.Country)
	}
	if f.CreatedFrom != "" {
		if d, err := time.Parse(time.DateOnly, f.CreatedFrom); err == nil {
			add(`o.created_at >= ?`, d.Unix())
		}
	}
	if f.CreatedTo != "" {
		if d, err := time.Parse(time.DateOnly, f.CreatedTo); err == nil {
			add(`o.created_at < ?`, d.AddDate(0, 0, 1).Unix())
		}
	}
	if f.ParentID != 0 {
		add(`o.parent_id = ?`, f.ParentID)
	}
	if f.LicenseStatus != "" {
		add(`EXISTS (SELECT 1 FROM licenses l CROSS JOIN (SELECT ? AS today) t WHERE l.organization_id = o.id AND `+
			licenseStatus+` = ?)`, today, f.LicenseStatus)
	}
	if f.Overdue != nil {
		not := "NOT "
		if *f.Overdue {
			not = ""
		}
		add(not+`EXISTS (SELECT 1 FROM invoices i WHERE i.organization_id = o.id AND `+overdueInvoice+`)`, today)
	}
	if len(where) == 0 {
		return "", nil
	}
	return " WHERE " + strings.Join(where, " AND "), args
}

// ListOrgs lists the organizations of f, and how many match in all. Each comes with its OrgStats.
func (db *DB) ListOrgs(ctx context.Context, f OrgFilter) ([]Org, []OrgStats, int, error) {
	today := db.Now().UTC().Format(time.DateOnly)
	cond, args := orgWhere(f, today)
	order := `CASE o.kind WHEN 'vendor' THEN 0 WHEN 'distributor' THEN 1 ELSE 2 END, lower(o.name), o.id`
	if col, ok := OrgSorts[f.Sort]; ok {
		dir := ""
		if f.Desc {
			dir = " DESC"
		}
		order = col + dir + ", o.id" + dir
	}
	page, pageArgs := "", []any{}
	if f.Limit > 0 { // else all of them
		page, pageArgs = ` LIMIT ? OFFSET ?`, []any{f.Limit, f.Offset}
	}
	var orgs []Org
	var stats []OrgStats
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM organizations o`+cond, args...).Scan(&total); err != nil {
			return err
		}
		var err error
		orgs, err = queryOrgs(ctx, tx, `SELECT `+orgColumns+` FROM organizations o`+cond+
			` ORDER BY `+order+page, append(args, pageArgs...)...)
		if err != nil {
			return err
		}
		stats, err = orgStats(ctx, tx, orgs, today)
		return err
	})
	return orgs, stats, total, err
}

// orgStats reads the figures of a page of organizations in four queries, whatever its length.
func orgStats(ctx context.Context, tx *Tx, orgs []Org, today string) ([]OrgStats, error) {
	stats := make([]OrgStats, len(orgs))
	if len(orgs) == 0 {
		return stats, nil
	}
	at := make(map[int64]int, len(orgs))
	var orgIDs, parentIDs []int64
	for i, o := range orgs {
		at[o.ID] = i
		orgIDs = append(orgIDs, o.ID)
		if o.ParentID != 0 {
			parentIDs = append(parentIDs, o.ParentID)
		}
	}
	in := placeholders(len(orgIDs))
	each := func(query string, args []any, fn func(rows *sql.Rows) error) error {
		rows, err := tx.QueryContext(ctx, query, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			if err := fn(rows); err != nil {
				return err
			}
		}
		return rows.Err()
	}
	names := map[int64]string{}
	if err := each(`SELECT id, name FROM organizations WHERE id IN (`+placeholders(len(parentIDs))+`)`, ids(parentIDs),
		func(rows *sql.Rows) error {
			var id int64
			var name string
			err := rows.Scan(&id, &name)
			names[id] = name
			return err
		}); err != nil {
		return nil, err
	}
	for i, o := range orgs {
		stats[i].ParentName = names[o.ParentID]
	}
	if err := each(`SELECT organization_id, count(*) FROM licenses WHERE organization_id IN (`+in+`) GROUP BY organization_id`,
		ids(orgIDs), func(rows *sql.Rows) error {
			var id int64
			var n int
			err := rows.Scan(&id, &n)
			stats[at[id]].Licenses = n
			return err
		}); err != nil {
		return nil, err
	}
	if err := each(`SELECT organization_id, currency, coalesce(sum(debit), 0) - coalesce(sum(credit), 0) FROM journal_entries
		WHERE organization_id IN (`+in+`) GROUP BY organization_id, currency ORDER BY organization_id, currency`,
		ids(orgIDs), func(rows *sql.Rows) error {
			var id int64
			var b Balance
			err := rows.Scan(&id, &b.Currency, &b.Minor)
			stats[at[id]].Balances = append(stats[at[id]].Balances, b)
			return err
		}); err != nil {
		return nil, err
	}
	return stats, each(`SELECT DISTINCT i.organization_id FROM invoices i WHERE i.organization_id IN (`+in+`) AND `+overdueInvoice,
		append(ids(orgIDs), today), func(rows *sql.Rows) error {
			var id int64
			err := rows.Scan(&id)
			stats[at[id]].Overdue = true
			return err
		})
}

// Countries lists the countries written on the organizations a filter selects (ignoring its
// other filters' paging), each once whatever its case, for a filter's choices.
func (db *DB) Countries(ctx context.Context, f OrgFilter) ([]string, error) {
	cond, args := orgWhere(f, db.Now().UTC().Format(time.DateOnly))
	var out []string
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT DISTINCT upper(o.country) FROM organizations o`+cond+` ORDER BY 1`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var c string
			if err := rows.Scan(&c); err != nil {
				return err
			}
			if strings.TrimSpace(c) != "" {
				out = append(out, c)
			}
		}
		return rows.Err()
	})
	return out, err
}

// queryOrgs runs a query selecting orgColumns and returns its organizations.
func queryOrgs(ctx context.Context, tx *Tx, query string, args ...any) ([]Org, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var orgs []Org
	for rows.Next() {
		var o Org
		if err := scanOrg(rows, &o); err != nil {
			return nil, err
		}
		orgs = append(orgs, o)
	}
	return orgs, rows.Err()
}

// SaveOrg creates o (ID 0) or updates its details, recording audit in the same transaction.
func (db *DB) SaveOrg(ctx context.Context, o *Org, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if o.ID == 0 {
			if err := createOrg(ctx, tx, o); err != nil {
				return err
			}
		} else {
			o.UpdatedAt = tx.now
			if err := execOne(ctx, tx, `UPDATE organizations SET name = ?, email = ?, phone = ?, address = ?, zip = ?,
				city = ?, country = ?, tax_id = ?, notes = ?, updated_at = ? WHERE id = ?`,
				o.Name, o.Email, o.Phone, o.Address, o.Zip, o.City, o.Country, o.TaxID, o.Notes, unix(o.UpdatedAt), o.ID); err != nil {
				return err
			}
		}
		audit.OrgID, audit.Target = o.ID, o.Name
		return insertAudit(ctx, tx, audit)
	})
}

// SetOrgStatus suspends (with a reason) or reactivates a client. Suspension ends the sessions of
// its users who belong to no other active organization, as they may no longer sign in.
func (db *DB) SetOrgStatus(ctx context.Context, id int64, status, reason string, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE organizations SET status = ?, suspend_reason = ?, updated_at = ? WHERE id = ?`,
			status, reason, tx.now.Unix(), id); err != nil {
			return err
		}
		if status == "suspended" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id IN (SELECT user_id FROM memberships WHERE org_id = ?)
				AND user_id NOT IN (SELECT m.user_id FROM memberships m JOIN organizations o ON o.id = m.org_id
					WHERE o.status = 'active')`, id); err != nil {
				return err
			}
		}
		audit.OrgID = id
		return insertAudit(ctx, tx, audit)
	})
}

// Member is a user in an organization's member list.
type Member struct {
	User     User
	Role     string
	JoinedAt time.Time
}

// Members lists an organization's users by name.
func (db *DB) Members(ctx context.Context, orgID int64) ([]Member, error) {
	var ms []Member
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+userColumns+`, m.role, m.created_at FROM memberships m
			JOIN users u ON u.id = m.user_id WHERE m.org_id = ? ORDER BY u.name COLLATE NOCASE, u.id`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var m Member
			var joined sql.NullInt64
			if err := scanUser(rows, &m.User, &m.Role, &joined); err != nil {
				return err
			}
			m.JoinedAt = fromUnix(joined)
			ms = append(ms, m)
		}
		return rows.Err()
	})
	return ms, err
}

// JoinOrg makes an existing user a member of an organization at once (an invitation to an
// existing account), with its notice emails; ErrConflict if they are a member already.
func (db *DB) JoinOrg(ctx context.Context, userID, orgID int64, role string, emails []Email, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := addMember(ctx, tx, userID, orgID, role); err != nil {
			return err
		}
		if err := enqueueEmails(ctx, tx, emails); err != nil {
			return err
		}
		audit.OrgID = orgID
		return insertAudit(ctx, tx, audit)
	})
}

// SetRole changes a member's role; the last owner cannot become a member.
func (db *DB) SetRole(ctx context.Context, orgID, userID int64, role string, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `UPDATE memberships SET role = ? WHERE org_id = ? AND user_id = ?`, role, orgID, userID); err != nil {
			return err
		}
		if err := checkOwners(ctx, tx, orgID); err != nil {
			return err
		}
		audit.OrgID = orgID
		return insertAudit(ctx, tx, audit)
	})
}

// RemoveMember takes a user out of an organization; the last owner cannot be removed.
func (db *DB) RemoveMember(ctx context.Context, orgID, userID int64, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := execOne(ctx, tx, `DELETE FROM memberships WHERE org_id = ? AND user_id = ?`, orgID, userID); err != nil {
			return err
		}
		if err := checkOwners(ctx, tx, orgID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE users SET last_org_id = NULL WHERE id = ? AND last_org_id = ?`, userID, orgID); err != nil {
			return err
		}
		audit.OrgID = orgID
		return insertAudit(ctx, tx, audit)
	})
}

// checkOwners fails the transaction when it left the organization without an owner.
func checkOwners(ctx context.Context, tx *Tx, orgID int64) error {
	var owners int
	if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM memberships WHERE org_id = ? AND role = 'owner'`, orgID).Scan(&owners); err != nil {
		return err
	}
	if owners == 0 {
		return ErrLastOwner
	}
	return nil
}

// execOne runs a statement that must change a row: none changed is ErrNotFound.
func execOne(ctx context.Context, tx *Tx, query string, args ...any) error {
	res, err := tx.ExecContext(ctx, query, args...)
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err == nil && n == 0 {
		err = ErrNotFound
	}
	return err
}

func ids(v []int64) []any {
	out := make([]any, len(v))
	for i, id := range v {
		out[i] = id
	}
	return out
}

// escapeLike makes a search text match literally in a LIKE pattern with ESCAPE '\'.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// ClientOrgs lists every client organization by name; callers keep those the user may see.
func (db *DB) ClientOrgs(ctx context.Context) ([]Org, error) {
	var orgs []Org
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		orgs, err = queryOrgs(ctx, tx, `SELECT `+orgColumns+` FROM organizations o WHERE o.kind = 'client' ORDER BY o.name, o.id`)
		return err
	})
	return orgs, err
}
