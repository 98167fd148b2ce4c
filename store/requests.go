package store

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"
)

// LicenseRequest is a client's request to its distributor for a new license or a renewal.
type LicenseRequest struct {
	ID              int64
	ClientID        int64
	ClientName      string
	DistributorID   int64
	Kind            string // new or renewal
	LicenseID       int64  // the license to renew
	ProductID       int64
	ProductCode     string
	ProductName     string
	Location        string
	Partner         string
	TermYears       int
	PaymentPeriod   string
	APs             *int
	Rooms           *int
	Features        []string
	Notes           string
	Status          string // open, accepted, declined
	DeclineReason   string
	ResultLicenseID int64
	CreatedBy       int64
	CreatedByEmail  string
	CreatedAt       time.Time
	DecidedAt       time.Time
}

// CreateLicenseRequest stores a request and enqueues the emails that tell the distributor.
func (db *DB) CreateLicenseRequest(ctx context.Context, r *LicenseRequest, by Actor, emails []Email) error {
	return db.update(ctx, func(tx *Tx) error {
		r.Status, r.CreatedAt = "open", tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO license_requests (client_id, distributor_id, kind, license_id, product_id,
			location, partner, term_years, payment_period, aps, rooms, features, notes, status, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'open', ?, ?)`, r.ClientID, r.DistributorID, r.Kind, nullID(r.LicenseID),
			r.ProductID, r.Location, r.Partner, r.TermYears, r.PaymentPeriod, nullInt(r.APs), nullInt(r.Rooms),
			strings.Join(r.Features, ","), r.Notes, nullID(by.UserID), tx.now.Unix())
		if err != nil {
			return err
		}
		if r.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := insertAudit(ctx, tx, AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, OrgID: r.ClientID, IP: by.IP,
			Action: "license_request.created", Target: fmt.Sprintf("license request %d", r.ID), Details: r.Kind}); err != nil {
			return err
		}
		return enqueueEmails(ctx, tx, emails)
	})
}

const requestSelect = `SELECT r.id, r.client_id, c.name, r.distributor_id, r.kind, coalesce(r.license_id, 0), r.product_id, p.code,
	p.name, r.location, r.partner, r.term_years, r.payment_period, r.aps, r.rooms, r.features, r.notes, r.status,
	r.decline_reason, coalesce(r.result_license_id, 0), coalesce(r.created_by, 0), coalesce(u.email, ''), r.created_at, r.decided_at
	FROM license_requests r JOIN organizations c ON c.id = r.client_id JOIN products p ON p.id = r.product_id
	LEFT JOIN users u ON u.id = r.created_by`

func scanRequest(row interface{ Scan(...any) error }, r *LicenseRequest) error {
	var aps, rooms, created, decided sql.NullInt64
	var features string
	if err := row.Scan(&r.ID, &r.ClientID, &r.ClientName, &r.DistributorID, &r.Kind, &r.LicenseID, &r.ProductID, &r.ProductCode,
		&r.ProductName, &r.Location, &r.Partner, &r.TermYears, &r.PaymentPeriod, &aps, &rooms, &features, &r.Notes, &r.Status,
		&r.DeclineReason, &r.ResultLicenseID, &r.CreatedBy, &r.CreatedByEmail, &created, &decided); err != nil {
		return notFoundOr(err)
	}
	r.APs, r.Rooms = intPtr(aps), intPtr(rooms)
	if features != "" {
		r.Features = strings.Split(features, ",")
	}
	r.CreatedAt, r.DecidedAt = fromUnix(created), fromUnix(decided)
	return nil
}

// FindLicenseRequest returns a request by id.
func (db *DB) FindLicenseRequest(ctx context.Context, id int64) (LicenseRequest, error) {
	var r LicenseRequest
	err := db.view(ctx, func(tx *Tx) error {
		return scanRequest(tx.QueryRowContext(ctx, requestSelect+` WHERE r.id = ?`, id), &r)
	})
	return r, err
}

// LicenseRequests lists the requests of these organizations (as client or distributor), or all;
// open ones first, newest first.
func (db *DB) LicenseRequests(ctx context.Context, all bool, orgIDs []int64) ([]LicenseRequest, error) {
	where, args := "1 = 1", []any{}
	if !all {
		where = fmt.Sprintf("r.client_id IN (%[1]s) OR r.distributor_id IN (%[1]s)", placeholders(len(orgIDs)))
		for range 2 {
			for _, id := range orgIDs {
				args = append(args, id)
			}
		}
	}
	var rs []LicenseRequest
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, requestSelect+` WHERE `+where+` ORDER BY r.status = 'open' DESC, r.created_at DESC, r.id DESC LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r LicenseRequest
			if err := scanRequest(rows, &r); err != nil {
				return err
			}
			rs = append(rs, r)
		}
		return rows.Err()
	})
	return rs, err
}

// DecideLicenseRequest closes an open request (accepted with its license, or declined with a
// reason) and enqueues the emails telling the client; a request decided already is ErrConflict.
func (db *DB) DecideLicenseRequest(ctx context.Context, id int64, status, reason string, licenseID int64, by Actor, emails []Email) error {
	return db.update(ctx, func(tx *Tx) error {
		var clientID int64
		if err := tx.QueryRowContext(ctx, `SELECT client_id FROM license_requests WHERE id = ?`, id).Scan(&clientID); err != nil {
			return notFoundOr(err)
		}
		return decideRequest(ctx, tx, id, clientID, status, reason, licenseID, by, emails)
	})
}

// Fulfilment is the request a new or changed license fulfils: the request is accepted in the
// same transaction as the license is written, or neither is.
type Fulfilment struct {
	RequestID int64
	// Emails are those telling the client, once the license has its id.
	Emails func(licenseID int64) ([]Email, error)
}

// fulfil accepts a request with the license l; ErrConflict unless the request is open and is
// from l's client.
func fulfil(ctx context.Context, tx *Tx, f Fulfilment, l License, by Actor) error {
	var emails []Email
	if f.Emails != nil {
		var err error
		if emails, err = f.Emails(l.ID); err != nil {
			return err
		}
	}
	return decideRequest(ctx, tx, f.RequestID, l.OrgID, "accepted", "", l.ID, by, emails)
}

// decideRequest closes the open request id of clientID; ErrConflict when there is none.
func decideRequest(ctx context.Context, tx *Tx, id, clientID int64, status, reason string, licenseID int64, by Actor, emails []Email) error {
	res, err := tx.ExecContext(ctx, `UPDATE license_requests SET status = ?, decline_reason = ?, result_license_id = ?, decided_at = ?
		WHERE id = ? AND client_id = ? AND status = 'open'`, status, reason, nullID(licenseID), tx.now.Unix(), id, clientID)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrConflict
	}
	if err := insertAudit(ctx, tx, AuditEntry{ActorUserID: by.UserID, ActorEmail: by.Email, OrgID: clientID, IP: by.IP,
		Action: "license_request." + status, Target: fmt.Sprintf("license request %d", id), Details: reason}); err != nil {
		return err
	}
	return enqueueEmails(ctx, tx, emails)
}

// OrgEmails lists the addresses of an organization's active members, owners only if role is "owner".
func (db *DB) OrgEmails(ctx context.Context, orgID int64, role string) ([]string, error) {
	return db.strings(ctx, `SELECT u.email FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_id = ? AND u.active = 1 AND (? = '' OR m.role = ?) ORDER BY u.email`, orgID, role, role)
}
