package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// License statuses (DESIGN §3).
const (
	StatusPendingProvision  = "pending_provision"
	StatusPendingStart      = "pending_start"
	StatusInUse             = "in_use"
	StatusAccessDenied      = "access_denied"
	StatusContractFinalized = "contract_finalized"
)

// License is a product's license for a client organization (once provisioned), sold by a distributor.
type License struct {
	ID              int64
	ProductID       int64
	ProductCode     string
	ProductName     string
	OrgID           int64 // 0 while pending_provision
	OrgName         string
	DistributorID   int64
	DistributorName string
	KeyHash         []byte // SHA-256 of the canonical key
	KeyEnc          []byte // the key sealed with the instance secret
	KeySuffix       string // its last group, for lists and search
	Status          string // as of today (see licenseStatus)
	stored          string // as written: Status before the day's changes are recorded
	PreviousStatus  string // the status an access_denied license returns to
	DenyReason      string
	Terms           Terms
	TermYears       int
	StartDate       string // YYYY-MM-DD, "" until started
	EndDate         string // exclusive
	Location        string
	Partner         string
	MaxAPs          *int
	MaxRooms        *int
	MaxDevices      *int
	StartThreshold  int
	// HeartbeatOverride is the license's own heartbeat_minutes, if any; ProductHeartbeat the product's.
	HeartbeatOverride *int
	ProductHeartbeat  int
	// OverageAlertsOff stops the email to the owners the first time in a month it uses extra cores
	// (DESIGN §11: overage_alerts, on by default, hence this zero value).
	OverageAlertsOff bool
	Features         []LicenseFeature
	CreatedAt        time.Time
	UpdatedAt        time.Time

	// Filled when reading: what its setups and devices use.
	UsedAPs       int
	UsedRooms     int
	ActiveDevices int
}

// Terms are the money terms of a license; a change takes effect the next day.
type Terms struct {
	EffectiveFrom    string // YYYY-MM-DD; the first version is in force from the beginning
	PrepaidCores     int
	PrepaidCorePrice int64 // minor units
	ExtraCorePrice   int64 // minor units
	EscalationFactor string
	Currency         string
	InvoicingPeriod  string // monthly or semiannual: how often extra usage is invoiced
	PaymentPeriod    string // monthly or annual: the payment form
}

// sameMoney tells whether two versions of the terms charge the same.
func (t Terms) sameMoney(o Terms) bool {
	t.EffectiveFrom, o.EffectiveFrom = "", ""
	return t == o
}

// LicenseFeature is a feature a license enables, with the floating settings in force for it.
type LicenseFeature struct {
	Feature
	MaxOverride     *int // the license's own max simultaneous users, if any
	TimeoutOverride *int // the license's own floating timeout, if any
	BorrowOverride  *int // the license's own max borrow hours, if any
}

// MaxBorrow is how many hours a seat of the feature may be borrowed for; 0: no borrowing.
func (f LicenseFeature) MaxBorrow() int {
	if f.BorrowOverride != nil {
		return *f.BorrowOverride
	}
	return f.MaxBorrowHours
}

// Heartbeat is how many minutes a device of the license may stay silent before it is
// deactivated; 0: never.
func (l License) Heartbeat() int {
	if l.HeartbeatOverride != nil {
		return *l.HeartbeatOverride
	}
	return l.ProductHeartbeat
}

// Max is the number of simultaneous users the license allows for a floating feature.
func (f LicenseFeature) Max() int {
	if f.MaxOverride != nil {
		return *f.MaxOverride
	}
	return f.MaxSimultaneousUsers
}

// Timeout is the floating timeout in minutes in force for the license.
func (f LicenseFeature) Timeout() int {
	if f.TimeoutOverride != nil {
		return *f.TimeoutOverride
	}
	return f.FloatingTimeoutMinutes
}

// LicenseEvent is a line of a license's history.
type LicenseEvent struct {
	ID          int64
	LicenseID   int64
	At          time.Time
	ActorUserID int64
	ActorEmail  string
	Kind        string // created, status, upgrade, terms, renewal, key_regenerated, provision
	FromStatus  string
	ToStatus    string
	Details     string
}

// Actor is who acts on a license, for its history and the audit log; zero for the system.
type Actor struct {
	UserID int64
	Email  string
	IP     string
}

// licenseStatus is a license's status as of today (the query's first parameter): the status
// written, or what the day has made of it before the lifecycle job writes that — in_use once the
// start date of a pending_start license has come, contract_finalized once the end date has.
// Every read of a license goes through it, so pages, lists, filters and the APIs agree at once.
const licenseStatus = `CASE
		WHEN l.status IN ('pending_start', 'in_use', 'access_denied') AND l.end_date <= t.today THEN 'contract_finalized'
		WHEN l.status = 'pending_start' AND l.start_date <= t.today THEN 'in_use'
		ELSE l.status END`

// licenseSelect reads licenses; its one parameter is today (YYYY-MM-DD), before those of the WHERE.
const licenseSelect = `SELECT l.id, l.product_id, p.code, p.name, coalesce(l.organization_id, 0) AS org_id, coalesce(o.name, '') AS org_name,
	l.distributor_id, d.name, l.key_hash, l.key_enc, l.key_suffix, ` + licenseStatus + ` AS status, l.status AS stored_status,
	l.previous_status, l.deny_reason,
	l.prepaid_cores, l.prepaid_core_price, l.extra_core_price, l.escalation_factor, l.currency, l.invoicing_period,
	l.payment_period, l.term_years, coalesce(l.start_date, '') AS start_date, coalesce(l.end_date, '') AS end_date, l.location, l.partner,
	l.max_aps, l.max_rooms, l.max_devices, l.start_threshold, l.heartbeat_minutes, p.heartbeat_minutes, l.overage_alerts = 0,
	l.created_at, l.updated_at,
	(SELECT coalesce(sum(s.aps), 0) FROM setups s WHERE s.license_id = l.id) AS used_aps,
	(SELECT coalesce(sum(s.rooms), 0) FROM setups s WHERE s.license_id = l.id) AS used_rooms,
	(SELECT count(*) FROM devices v WHERE v.license_id = l.id AND v.active = 1) AS active_devices,
	(SELECT count(*) FROM license_features lf WHERE lf.license_id = l.id) AS modules
	FROM licenses l CROSS JOIN (SELECT ? AS today) t JOIN products p ON p.id = l.product_id
	LEFT JOIN organizations o ON o.id = l.organization_id
	JOIN organizations d ON d.id = l.distributor_id`

func scanLicense(row interface{ Scan(...any) error }, l *License) error {
	var created, updated, maxAPs, maxRooms, maxDevices, heartbeat sql.NullInt64
	var modules int
	if err := row.Scan(&l.ID, &l.ProductID, &l.ProductCode, &l.ProductName, &l.OrgID, &l.OrgName, &l.DistributorID,
		&l.DistributorName, &l.KeyHash, &l.KeyEnc, &l.KeySuffix, &l.Status, &l.stored, &l.PreviousStatus, &l.DenyReason,
		&l.Terms.PrepaidCores, &l.Terms.PrepaidCorePrice, &l.Terms.ExtraCorePrice, &l.Terms.EscalationFactor,
		&l.Terms.Currency, &l.Terms.InvoicingPeriod, &l.Terms.PaymentPeriod, &l.TermYears, &l.StartDate, &l.EndDate,
		&l.Location, &l.Partner, &maxAPs, &maxRooms, &maxDevices, &l.StartThreshold, &heartbeat, &l.ProductHeartbeat, &l.OverageAlertsOff, &created, &updated,
		&l.UsedAPs, &l.UsedRooms, &l.ActiveDevices, &modules); err != nil {
		return notFoundOr(err)
	}
	l.MaxAPs, l.MaxRooms, l.MaxDevices, l.HeartbeatOverride = intPtr(maxAPs), intPtr(maxRooms), intPtr(maxDevices), intPtr(heartbeat)
	l.CreatedAt, l.UpdatedAt = fromUnix(created), fromUnix(updated)
	return nil
}

func intPtr(n sql.NullInt64) *int {
	if !n.Valid {
		return nil
	}
	v := int(n.Int64)
	return &v
}

func nullInt(p *int) any {
	if p == nil {
		return nil
	}
	return *p
}

func nullText(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// FindLicense returns a license with its features.
func (db *DB) FindLicense(ctx context.Context, id int64) (License, error) {
	var l License
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		l, err = findLicense(ctx, tx, `l.id = ?`, id)
		return err
	})
	return l, err
}

// FindLicenseByKey returns the license whose key has the given SHA-256 digest.
func (db *DB) FindLicenseByKey(ctx context.Context, keyHash []byte) (License, error) {
	var l License
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		l, err = findLicense(ctx, tx, `l.key_hash = ?`, keyHash)
		return err
	})
	return l, err
}

func findLicense(ctx context.Context, tx *Tx, where string, arg any) (License, error) {
	var l License
	if err := scanLicense(tx.QueryRowContext(ctx, licenseSelect+` WHERE `+where, tx.today(), arg), &l); err != nil {
		return l, err
	}
	var err error
	l.Features, err = findLicenseFeatures(ctx, tx, l.ID)
	return l, err
}

func findLicenseFeatures(ctx context.Context, tx *Tx, licenseID int64) ([]LicenseFeature, error) {
	rows, err := tx.QueryContext(ctx, `SELECT f.id, f.product_id, f.code, f.name, f.floating, f.max_simultaneous_users,
		f.floating_timeout_minutes, f.max_borrow_hours, lf.max_simultaneous_users, lf.floating_timeout_minutes, lf.max_borrow_hours
		FROM license_features lf JOIN features f ON f.id = lf.feature_id WHERE lf.license_id = ? ORDER BY f.id`, licenseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var fs []LicenseFeature
	for rows.Next() {
		var f LicenseFeature
		var maxUsers, timeout, borrow sql.NullInt64
		if err := rows.Scan(&f.ID, &f.ProductID, &f.Code, &f.Name, &f.Floating, &f.MaxSimultaneousUsers,
			&f.FloatingTimeoutMinutes, &f.MaxBorrowHours, &maxUsers, &timeout, &borrow); err != nil {
			return nil, err
		}
		f.MaxOverride, f.TimeoutOverride, f.BorrowOverride = intPtr(maxUsers), intPtr(timeout), intPtr(borrow)
		fs = append(fs, f)
	}
	return fs, rows.Err()
}

// CreateLicense stores a new license with its features, its first terms and its "created" event.
func (db *DB) CreateLicense(ctx context.Context, l *License, by Actor, details string) error {
	return db.update(ctx, func(tx *Tx) error {
		return insertLicense(ctx, tx, l, by, details)
	})
}

// CreateLicenseFulfilling stores a new license as CreateLicense does and accepts the request it
// fulfils, in one transaction: if the request cannot be accepted, no license is written either.
func (db *DB) CreateLicenseFulfilling(ctx context.Context, l *License, by Actor, f Fulfilment) error {
	return db.update(ctx, func(tx *Tx) error {
		if err := insertLicense(ctx, tx, l, by, fmt.Sprintf("license request %d", f.RequestID)); err != nil {
			return err
		}
		return fulfil(ctx, tx, f, *l, by)
	})
}

func insertLicense(ctx context.Context, tx *Tx, l *License, by Actor, details string) error {
	l.CreatedAt, l.UpdatedAt = tx.now, tx.now
	res, err := tx.ExecContext(ctx, `INSERT INTO licenses (product_id, organization_id, distributor_id, key_hash, key_enc,
		key_suffix, status, previous_status, deny_reason, prepaid_cores, prepaid_core_price, extra_core_price,
		escalation_factor, currency, invoicing_period, payment_period, term_years, start_date, end_date, location,
		partner, max_aps, max_rooms, max_devices, start_threshold, heartbeat_minutes, overage_alerts, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, '', '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.ProductID, nullID(l.OrgID), l.DistributorID, l.KeyHash, l.KeyEnc, l.KeySuffix, l.Status,
		l.Terms.PrepaidCores, l.Terms.PrepaidCorePrice, l.Terms.ExtraCorePrice, l.Terms.EscalationFactor, l.Terms.Currency,
		l.Terms.InvoicingPeriod, l.Terms.PaymentPeriod, l.TermYears, nullText(l.StartDate), nullText(l.EndDate),
		l.Location, l.Partner, nullInt(l.MaxAPs), nullInt(l.MaxRooms), nullInt(l.MaxDevices), l.StartThreshold,
		nullInt(l.HeartbeatOverride), !l.OverageAlertsOff, tx.now.Unix(), tx.now.Unix())
	if err != nil {
		return err
	}
	if l.ID, err = res.LastInsertId(); err != nil {
		return err
	}
	if err := insertLicenseFeatures(ctx, tx, l.ID, l.Features); err != nil {
		return err
	}
	l.Terms.EffectiveFrom = firstTerms
	if err := insertTerms(ctx, tx, l.ID, l.Terms); err != nil {
		return err
	}
	return recordLicenseEvents(ctx, tx, *l, by, []LicenseEvent{{Kind: "created", ToStatus: l.Status, Details: details}})
}

// firstTerms is the effective-from day of a license's first terms: in force from the beginning.
const firstTerms = "0001-01-01"

func insertLicenseFeatures(ctx context.Context, tx *Tx, licenseID int64, fs []LicenseFeature) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM license_features WHERE license_id = ?`, licenseID); err != nil {
		return err
	}
	for _, f := range fs {
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_features (license_id, feature_id, max_simultaneous_users,
			floating_timeout_minutes, max_borrow_hours) VALUES (?, ?, ?, ?, ?)`, licenseID, f.ID, nullInt(f.MaxOverride),
			nullInt(f.TimeoutOverride), nullInt(f.BorrowOverride)); err != nil {
			return err
		}
	}
	return nil
}

func insertTerms(ctx context.Context, tx *Tx, licenseID int64, t Terms) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO license_terms (license_id, effective_from, prepaid_cores,
		prepaid_core_price, extra_core_price, escalation_factor, currency, invoicing_period, payment_period)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (license_id, effective_from) DO UPDATE SET prepaid_cores = excluded.prepaid_cores,
			prepaid_core_price = excluded.prepaid_core_price, extra_core_price = excluded.extra_core_price,
			escalation_factor = excluded.escalation_factor, currency = excluded.currency,
			invoicing_period = excluded.invoicing_period, payment_period = excluded.payment_period`, licenseID, t.EffectiveFrom, t.PrepaidCores, t.PrepaidCorePrice,
		t.ExtraCorePrice, t.EscalationFactor, t.Currency, t.InvoicingPeriod, t.PaymentPeriod)
	return err
}

// LicenseTerms lists the versions of a license's terms, oldest first: the cost engine uses the
// one whose EffectiveFrom is the latest not after the day it prices.
func (db *DB) LicenseTerms(ctx context.Context, licenseID int64) ([]Terms, error) {
	var ts []Terms
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT effective_from, prepaid_cores, prepaid_core_price, extra_core_price,
			escalation_factor, currency, invoicing_period, payment_period FROM license_terms WHERE license_id = ?
			ORDER BY effective_from`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var t Terms
			if err := rows.Scan(&t.EffectiveFrom, &t.PrepaidCores, &t.PrepaidCorePrice, &t.ExtraCorePrice,
				&t.EscalationFactor, &t.Currency, &t.InvoicingPeriod, &t.PaymentPeriod); err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// LicenseChange is what a change of a license decides: its events, the emails it sends, and the
// request it fulfils, if any.
type LicenseChange struct {
	Events  []LicenseEvent
	Emails  []Email
	Fulfils *Fulfilment
}

// ChangeLicense reads a license, lets change modify it (today is the transaction's day) and
// stores it with the events change returns, all in one transaction. What the day changed and was
// not written yet (its start, its cut-off) is recorded first. Terms that changed take effect the
// next day.
func (db *DB) ChangeLicense(ctx context.Context, id int64, by Actor, change func(l *License, now time.Time) (LicenseChange, error)) (License, error) {
	var l License
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		if l, err = findLicense(ctx, tx, `l.id = ?`, id); err != nil {
			return err
		}
		old := l
		ch, err := change(&l, tx.now)
		if err != nil {
			return err
		}
		if err := updateLicense(ctx, tx, old, &l); err != nil {
			return err
		}
		if err := recordLicenseEvents(ctx, tx, l, Actor{}, dayEvents(old)); err != nil {
			return err
		}
		if err := recordLicenseEvents(ctx, tx, l, by, ch.Events); err != nil {
			return err
		}
		if ch.Fulfils != nil {
			if err := fulfil(ctx, tx, *ch.Fulfils, l, by); err != nil {
				return err
			}
		}
		return enqueueEmails(ctx, tx, ch.Emails)
	})
	return l, err
}

// dayEvents are the history lines of what the day made of a license (see licenseStatus) while its
// written status still says otherwise: they are the system's, recorded when the status is written.
func dayEvents(l License) []LicenseEvent {
	var evs []LicenseEvent
	from := l.stored
	if from == l.Status {
		return nil
	}
	if from == StatusPendingStart && l.StartDate != "" {
		evs = append(evs, LicenseEvent{Kind: "status", FromStatus: from, ToStatus: StatusInUse, Details: "start date reached"})
		from = StatusInUse
	}
	if l.Status == StatusContractFinalized {
		evs = append(evs, LicenseEvent{Kind: "status", FromStatus: from, ToStatus: l.Status,
			Details: "cut-off: the end date " + l.EndDate + " has come"})
	}
	return evs
}

// updateLicense writes a license; its cached month costs are no longer good (cost_version), as
// its terms, dates or status may have changed.
func updateLicense(ctx context.Context, tx *Tx, old License, l *License) error {
	l.UpdatedAt = tx.now
	_, err := tx.ExecContext(ctx, `UPDATE licenses SET organization_id = ?, distributor_id = ?, key_hash = ?, key_enc = ?,
		key_suffix = ?, status = ?, previous_status = ?, deny_reason = ?, prepaid_cores = ?, prepaid_core_price = ?,
		extra_core_price = ?, escalation_factor = ?, currency = ?, invoicing_period = ?, payment_period = ?, term_years = ?,
		start_date = ?, end_date = ?, location = ?, partner = ?, max_aps = ?, max_rooms = ?, max_devices = ?,
		start_threshold = ?, heartbeat_minutes = ?, overage_alerts = ?, updated_at = ?, cost_version = cost_version + 1 WHERE id = ?`,
		nullID(l.OrgID), l.DistributorID, l.KeyHash, l.KeyEnc, l.KeySuffix, l.Status, l.PreviousStatus, l.DenyReason,
		l.Terms.PrepaidCores, l.Terms.PrepaidCorePrice, l.Terms.ExtraCorePrice, l.Terms.EscalationFactor, l.Terms.Currency,
		l.Terms.InvoicingPeriod, l.Terms.PaymentPeriod, l.TermYears, nullText(l.StartDate), nullText(l.EndDate),
		l.Location, l.Partner, nullInt(l.MaxAPs), nullInt(l.MaxRooms), nullInt(l.MaxDevices), l.StartThreshold,
		nullInt(l.HeartbeatOverride), !l.OverageAlertsOff, tx.now.Unix(), l.ID)
	if err != nil {
		return err
	}
	if featuresChanged(old.Features, l.Features) {
		if err := insertLicenseFeatures(ctx, tx, l.ID, l.Features); err != nil {
			return err
		}
	}
	if !old.Terms.sameMoney(l.Terms) {
		l.Terms.EffectiveFrom = tx.now.AddDate(0, 0, 1).Format(time.DateOnly)
		return insertTerms(ctx, tx, l.ID, l.Terms)
	}
	return nil
}

func featuresChanged(a, b []LicenseFeature) bool {
	if len(a) != len(b) {
		return true
	}
	for i := range a {
		if a[i].ID != b[i].ID || !sameInt(a[i].MaxOverride, b[i].MaxOverride) || !sameInt(a[i].TimeoutOverride, b[i].TimeoutOverride) ||
			!sameInt(a[i].BorrowOverride, b[i].BorrowOverride) {
			return true
		}
	}
	return false
}

func sameInt(a, b *int) bool {
	return (a == nil && b == nil) || (a != nil && b != nil && *a == *b)
}

// recordLicenseEvents writes history lines and, for each, an audit entry; then the webhook
// events they make: license.created, license.status_changed (once, from the first status to the
// last) and license.key_regenerated.
func recordLicenseEvents(ctx context.Context, tx *Tx, l License, by Actor, events []LicenseEvent) error {
	if err := insertLicenseEvents(ctx, tx, l, by, events); err != nil {
		return err
	}
	var statusBefore, statusAfter string
	for _, e := range events {
		switch {
		case e.Kind == "created":
			if err := queueLicenseEvent(ctx, tx, "license.created", l.ID, nil); err != nil {
				return err
			}
		case e.Kind == "key_regenerated":
			if err := queueLicenseEvent(ctx, tx, "license.key_regenerated", l.ID, nil); err != nil {
				return err
			}
		case e.ToStatus != "" && e.FromStatus != e.ToStatus:
			if statusBefore == "" {
				statusBefore = e.FromStatus
			}
			statusAfter = e.ToStatus
		}
	}
	if statusBefore != "" && statusBefore != statusAfter {
		return queueLicenseEvent(ctx, tx, "license.status_changed", l.ID, map[string]any{"status_before": statusBefore})
	}
	return nil
}

func insertLicenseEvents(ctx context.Context, tx *Tx, l License, by Actor, events []LicenseEvent) error {
	for _, e := range events {
		if _, err := tx.ExecContext(ctx, `INSERT INTO license_events (license_id, at, actor_user_id, actor_email, kind,
			from_status, to_status, details) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, l.ID, tx.now.Unix(), nullID(by.UserID),
			by.Email, e.Kind, e.FromStatus, e.ToStatus, e.Details); err != nil {
			return err
		}
		details := e.Details
		if e.ToStatus != "" && e.FromStatus != e.ToStatus {
			details = strings.TrimSpace(fmt.Sprintf("%s → %s %s", e.FromStatus, e.ToStatus, details))
		}
		org := l.OrgID
		if org == 0 {
			org = l.DistributorID
		}
		if err := insertAudit(ctx, tx, AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, OrgID: org,
			Action: "license." + e.Kind, Target: fmt.Sprintf("license %d", l.ID), IP: by.IP, Details: details}); err != nil {
			return err
		}
	}
	return nil
}

// LicenseEvents lists a license's history, newest first.
func (db *DB) LicenseEvents(ctx context.Context, licenseID int64) ([]LicenseEvent, error) {
	var es []LicenseEvent
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id, license_id, at, coalesce(actor_user_id, 0), actor_email, kind,
			from_status, to_status, details FROM license_events WHERE license_id = ? ORDER BY at DESC, id DESC`, licenseID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e LicenseEvent
			var at sql.NullInt64
			if err := rows.Scan(&e.ID, &e.LicenseID, &at, &e.ActorUserID, &e.ActorEmail, &e.Kind, &e.FromStatus,
				&e.ToStatus, &e.Details); err != nil {
				return err
			}
			e.At = fromUnix(at)
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, err
}

// LicenseFilter selects and orders the licenses of a list.
type LicenseFilter struct {
	All            bool    // staff: every license
	OrgIDs         []int64 // else: licenses of these organizations…
	DistributorIDs []int64 // …and those these distributors sell
	Status         string
	EndFrom        string // end date on or after
	EndTo          string // end date on or before
	OrgID          int64
	ProductID      int64
	Feature        string // a feature code
	Query          string // key suffix, location, partner or organization, in part
	Sort           string // key, organization, modules, aps, rooms, status, start, end
	Desc           bool
	Limit, Offset  int // Limit 0: all
}

// licenseSorts maps a sort name to its column of the list query.
var licenseSorts = map[string]string{
	"key": "key_suffix", "organization": "org_name", "modules": "modules", "aps": "used_aps", "rooms": "used_rooms",
	"status": "status", "start": "start_date", "end": "end_date", "id": "id",
}

// ValidLicenseSort tells whether a list may be sorted by name.
func ValidLicenseSort(name string) bool { _, ok := licenseSorts[name]; return ok }

// Licenses lists the licenses a filter selects, with how many there are in all.
func (db *DB) Licenses(ctx context.Context, f LicenseFilter) ([]License, int, error) {
	var where []string
	args := []any{nil} // today, set in the transaction
	if !f.All {
		where = append(where, fmt.Sprintf("(x.org_id IN (%s) OR x.distributor_id IN (%s))", placeholders(len(f.OrgIDs)), placeholders(len(f.DistributorIDs))))
		for _, id := range f.OrgIDs {
			args = append(args, id)
		}
		for _, id := range f.DistributorIDs {
			args = append(args, id)
		}
	}
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	if f.Status != "" {
		add("x.status = ?", f.Status)
	}
	if f.EndFrom != "" {
		add("x.end_date >= ?", f.EndFrom)
	}
	if f.EndTo != "" {
		add("x.end_date <= ?", f.EndTo)
	}
	if f.OrgID != 0 {
		add("x.org_id = ?", f.OrgID)
	}
	if f.ProductID != 0 {
		add("x.product_id = ?", f.ProductID)
	}
	if f.Feature != "" {
		add("EXISTS (SELECT 1 FROM license_features lf JOIN features ft ON ft.id = lf.feature_id WHERE lf.license_id = x.id AND ft.code = ?)", f.Feature)
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		like := "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
		add(`(x.key_suffix LIKE ? ESCAPE '\' OR x.location LIKE ? ESCAPE '\' OR x.partner LIKE ? ESCAPE '\' OR x.org_name LIKE ? ESCAPE '\')`,
			like, like, like, like)
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	from := `FROM (` + licenseSelect + `) x`
	col := licenseSorts[f.Sort]
	if col == "" {
		col = "id"
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	var ls []License
	var total int
	err := db.view(ctx, func(tx *Tx) error {
		args[0] = tx.today()
		if err := tx.QueryRowContext(ctx, `SELECT count(*) `+from+cond, args...).Scan(&total); err != nil {
			return err
		}
		q := `SELECT * ` + from + cond + fmt.Sprintf(` ORDER BY x.%s %s, x.id %s`, col, dir, dir)
		qargs := args
		if f.Limit > 0 {
			q += ` LIMIT ? OFFSET ?`
			qargs = append(append([]any{}, args...), f.Limit, f.Offset)
		}
		rows, err := tx.QueryContext(ctx, q, qargs...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var l License
			if err := scanLicense(rows, &l); err != nil {
				rows.Close()
				return err
			}
			ls = append(ls, l)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range ls {
			if ls[i].Features, err = findLicenseFeatures(ctx, tx, ls[i].ID); err != nil {
				return err
			}
		}
		return nil
	})
	return ls, total, err
}

// placeholders is "?, ?, …" for n values, or "NULL" for none (an IN that matches nothing).
func placeholders(n int) string {
	if n == 0 {
		return "NULL"
	}
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}
