package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// EventRenderer writes the data of webhook events: each object as the management API shows it.
// The app sets DB.Events at start, since that JSON is the app's; without it no event is queued.
type EventRenderer interface {
	License(License) any
	Invoice(Invoice) any
	Device(Device) any // with its license_id
}

// WebhookEndpoint is a URL of a distributor or of the vendor that receives the events it chose, of
// the organizations its organization sees.
type WebhookEndpoint struct {
	ID         int64
	OrgID      int64
	OrgName    string
	URL        string
	Events     []string
	SecretEnc  []byte // sealed by the app: deliveries are signed with it
	SecretHint string
	CreatedBy  int64
	CreatedAt  time.Time

	// Filled by lists.
	Pending   int // deliveries waiting for an attempt
	Failed    int // deliveries given up
	LastError string
}

const endpointSelect = `SELECT e.id, e.organization_id, o.name, e.url, e.events, e.secret_enc, e.secret_hint,
	coalesce(e.created_by, 0), e.created_at,
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.delivered_at IS NULL AND d.failed_at IS NULL),
	(SELECT count(*) FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.failed_at IS NOT NULL),
	coalesce((SELECT d.last_error FROM webhook_deliveries d WHERE d.endpoint_id = e.id AND d.last_attempt_at IS NOT NULL
		ORDER BY d.last_attempt_at DESC, d.id DESC LIMIT 1), '')
	FROM webhook_endpoints e JOIN organizations o ON o.id = e.organization_id`

func scanEndpoint(row interface{ Scan(...any) error }, e *WebhookEndpoint) error {
	var events string
	var created sql.NullInt64
	if err := row.Scan(&e.ID, &e.OrgID, &e.OrgName, &e.URL, &events, &e.SecretEnc, &e.SecretHint, &e.CreatedBy, &created,
		&e.Pending, &e.Failed, &e.LastError); err != nil {
		return notFoundOr(err)
	}
	e.Events = strings.Fields(events)
	e.CreatedAt = fromUnix(created)
	return nil
}

// CreateWebhookEndpoint stores a new endpoint with its audit entry; an organization holds at most
// limit endpoints (ErrLimit beyond).
func (db *DB) CreateWebhookEndpoint(ctx context.Context, e *WebhookEndpoint, limit int, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhook_endpoints WHERE organization_id = ?`, e.OrgID).Scan(&n); err != nil {
			return err
		}
		if n >= limit {
			return ErrLimit
		}
		e.CreatedAt = tx.now
		res, err := tx.ExecContext(ctx, `INSERT INTO webhook_endpoints (organization_id, url, events, secret_enc, secret_hint,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`, e.OrgID, e.URL, strings.Join(e.Events, " "), e.SecretEnc,
			e.SecretHint, nullID(e.CreatedBy), tx.now.Unix())
		if err != nil {
			return err
		}
		if e.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("webhook %d", e.ID)
		return insertAudit(ctx, tx, audit)
	})
}

// ErrLimit is a count that may not grow further.
var ErrLimit = fmt.Errorf("limit reached")

// FindWebhookEndpoint returns an endpoint.
func (db *DB) FindWebhookEndpoint(ctx context.Context, id int64) (WebhookEndpoint, error) {
	var e WebhookEndpoint
	err := db.view(ctx, func(tx *Tx) error {
		return scanEndpoint(tx.QueryRowContext(ctx, endpointSelect+` WHERE e.id = ?`, id), &e)
	})
	return e, err
}

// WebhookEndpoints lists an organization's endpoints, oldest first.
func (db *DB) WebhookEndpoints(ctx context.Context, orgID int64) ([]WebhookEndpoint, error) {
	var es []WebhookEndpoint
	err := db.view(ctx, func(tx *Tx) error {
		rows, err := tx.QueryContext(ctx, endpointSelect+` WHERE e.organization_id = ? ORDER BY e.id`, orgID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e WebhookEndpoint
			if err := scanEndpoint(rows, &e); err != nil {
				return err
			}
			es = append(es, e)
		}
		return rows.Err()
	})
	return es, err
}

// DeleteWebhookEndpoint removes an endpoint and, with it, its deliveries, those not made yet included.
func (db *DB) DeleteWebhookEndpoint(ctx context.Context, id int64, audit AuditEntry) error {
	return db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_endpoints WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE NOT EXISTS
			(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id)`); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("webhook %d", id)
		return insertAudit(ctx, tx, audit)
	})
}

// eventBody is what an endpoint receives (DESIGN §11).
type eventBody struct {
	ID        string `json:"id"`
	Event     string `json:"event"`
	CreatedAt string `json:"created_at"`
	Data      any    `json:"data"`
}

// newEventID is an event's public id: "evt_" and 26 random base-32 characters.
func newEventID() string { return "evt_" + rand.Text() }

// queueEvent writes an event of org's and one delivery of it for each endpoint subscribed to it
// whose organization sees org: the vendor's, org's own, or its distributor's. (This is DESIGN §1's
// rule of who sees which organization, for organizations; the worker asks the app's policy again
// before each delivery.) data is rendered only when some endpoint wants the event, so that a change
// nobody listens to pays one query. It tells whether anything was queued.
func queueEvent(ctx context.Context, tx *Tx, event string, orgID int64, data func() (any, error)) (bool, error) {
	rows, err := tx.QueryContext(ctx, `SELECT e.id FROM webhook_endpoints e JOIN organizations eo ON eo.id = e.organization_id
		WHERE instr(' ' || e.events || ' ', ' ' || ? || ' ') > 0
		AND (eo.kind = 'vendor' OR e.organization_id = ? OR e.organization_id = (SELECT parent_id FROM organizations WHERE id = ?))
		ORDER BY e.id`, event, orgID, orgID)
	if err != nil {
		return false, err
	}
	endpoints, err := scanIDs(rows)
	if err != nil || len(endpoints) == 0 {
		return false, err
	}
	_, err = insertEvent(ctx, tx, event, orgID, data, endpoints)
	return true, err
}

// insertEvent writes an event and its deliveries to endpoints, and answers the event's public id.
func insertEvent(ctx context.Context, tx *Tx, event string, orgID int64, data func() (any, error), endpoints []int64) (string, error) {
	d, err := data()
	if err != nil {
		return "", err
	}
	id := newEventID()
	body, err := json.Marshal(eventBody{ID: id, Event: event, CreatedAt: tx.now.Format(time.RFC3339), Data: d})
	if err != nil {
		return "", err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO webhook_events (public_id, event, organization_id, body, created_at)
		VALUES (?, ?, ?, ?, ?)`, id, event, orgID, body, tx.now.Unix())
	if err != nil {
		return "", err
	}
	rowID, err := res.LastInsertId()
	if err != nil {
		return "", err
	}
	for _, ep := range endpoints {
		if _, err := tx.ExecContext(ctx, `INSERT INTO webhook_deliveries (endpoint_id, event_id, created_at, next_attempt_at)
			VALUES (?, ?, ?, ?)`, ep, rowID, tx.now.Unix(), tx.now.Unix()); err != nil {
			return "", err
		}
	}
	tx.queued = true
	return id, nil
}

func scanIDs(rows *sql.Rows) ([]int64, error) {
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// queueLicenseEvent queues an event about a license, its data the license as it stands in tx,
// with extra fields beside the license's own.
func queueLicenseEvent(ctx context.Context, tx *Tx, event string, licenseID int64, extra map[string]any) error {
	if tx.events == nil {
		return nil
	}
	var orgID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(organization_id, distributor_id) FROM licenses WHERE id = ?`, licenseID).Scan(&orgID); err != nil {
		return notFoundOr(err)
	}
	_, err := queueEvent(ctx, tx, event, orgID, func() (any, error) {
		l, err := findLicense(ctx, tx, `l.id = ?`, licenseID)
		if err != nil {
			return nil, err
		}
		data := tx.events.License(l)
		if len(extra) == 0 {
			return data, nil
		}
		return withFields(data, extra)
	})
	return err
}

// queueDeviceEvent queues an event about a device, of its license's organization.
func queueDeviceEvent(ctx context.Context, tx *Tx, event string, d Device) error {
	if tx.events == nil {
		return nil
	}
	var orgID int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(organization_id, distributor_id) FROM licenses WHERE id = ?`, d.LicenseID).Scan(&orgID); err != nil {
		return notFoundOr(err)
	}
	_, err := queueEvent(ctx, tx, event, orgID, func() (any, error) { return tx.events.Device(d), nil })
	return err
}

// withFields adds fields to the JSON object v.
func withFields(v any, extra map[string]any) (any, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	for k, x := range extra {
		m[k] = x
	}
	return m, nil
}

// QueueEvent queues an event of org's on its own (the usage.overage of an alert goes with the
// alert's own transaction, through RecordOverageAlert), and tells whether any endpoint wants it.
func (db *DB) QueueEvent(ctx context.Context, event string, orgID int64, data any) (bool, error) {
	var queued bool
	err := db.update(ctx, func(tx *Tx) error {
		var err error
		queued, err = queueEvent(ctx, tx, event, orgID, func() (any, error) { return data, nil })
		return err
	})
	return queued, err
}

// QueueTestEvent queues an event for one endpoint only, whatever it subscribed to (the portal's
// "send test event"), and answers the event's public id.
func (db *DB) QueueTestEvent(ctx context.Context, endpointID int64, event string, data any, audit AuditEntry) (string, error) {
	var id string
	err := db.update(ctx, func(tx *Tx) error {
		var orgID int64
		if err := tx.QueryRowContext(ctx, `SELECT organization_id FROM webhook_endpoints WHERE id = ?`, endpointID).Scan(&orgID); err != nil {
			return notFoundOr(err)
		}
		var err error
		if id, err = insertEvent(ctx, tx, event, orgID, func() (any, error) { return data, nil }, []int64{endpointID}); err != nil {
			return err
		}
		audit.Target = fmt.Sprintf("webhook %d", endpointID)
		return insertAudit(ctx, tx, audit)
	})
	return id, err
}

// WebhookDelivery is one event for one endpoint, with what its attempts gave.
type WebhookDelivery struct {
	ID            int64
	EndpointID    int64
	EventID       string // the event's public id, the same at every attempt
	Event         string
	Body          []byte
	CreatedAt     time.Time
	Attempts      int
	NextAttemptAt time.Time
	LastAttemptAt time.Time
	LastStatus    int // HTTP status of the last answer; 0: none
	LastError     string
	DeliveredAt   time.Time
	FailedAt      time.Time // given up

	// For the worker: where it goes, and whose event it is.
	URL            string
	SecretEnc      []byte
	EndpointOrg    Org // ID and Kind
	EventOrg       Org // ID, Kind and ParentID
	EventCreatedAt time.Time
}

// Webhook delivery states, as the deliveries list shows them.
const (
	DeliveryPending   = "pending"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed"
)

// State is pending, delivered or failed.
func (d WebhookDelivery) State() string {
	switch {
	case !d.DeliveredAt.IsZero():
		return DeliveryDelivered
	case !d.FailedAt.IsZero():
		return DeliveryFailed
	}
	return DeliveryPending
}

const deliverySelect = `SELECT d.id, d.endpoint_id, ev.public_id, ev.event, ev.body, d.created_at, d.attempts, d.next_attempt_at,
	d.last_attempt_at, d.last_status, d.last_error, d.delivered_at, d.failed_at, e.url, e.secret_enc, e.organization_id, eo.kind,
	ev.organization_id, vo.kind, coalesce(vo.parent_id, 0), ev.created_at
	FROM webhook_deliveries d JOIN webhook_endpoints e ON e.id = d.endpoint_id JOIN organizations eo ON eo.id = e.organization_id
	JOIN webhook_events ev ON ev.id = d.event_id JOIN organizations vo ON vo.id = ev.organization_id`

func scanDelivery(row interface{ Scan(...any) error }, d *WebhookDelivery) error {
	var created, next, last, delivered, failed, evCreated sql.NullInt64
	if err := row.Scan(&d.ID, &d.EndpointID, &d.EventID, &d.Event, &d.Body, &created, &d.Attempts, &next, &last, &d.LastStatus,
		&d.LastError, &delivered, &failed, &d.URL, &d.SecretEnc, &d.EndpointOrg.ID, &d.EndpointOrg.Kind, &d.EventOrg.ID,
		&d.EventOrg.Kind, &d.EventOrg.ParentID, &evCreated); err != nil {
		return notFoundOr(err)
	}
	d.CreatedAt, d.NextAttemptAt, d.LastAttemptAt = fromUnix(created), fromUnix(next), fromUnix(last)
	d.DeliveredAt, d.FailedAt, d.EventCreatedAt = fromUnix(delivered), fromUnix(failed), fromUnix(evCreated)
	return nil
}

func queryDeliveries(ctx context.Context, tx *Tx, query string, args ...any) ([]WebhookDelivery, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ds []WebhookDelivery
	for rows.Next() {
		var d WebhookDelivery
		if err := scanDelivery(rows, &d); err != nil {
			return nil, err
		}
		ds = append(ds, d)
	}
	return ds, rows.Err()
}

// DueWebhookDeliveries lists up to limit deliveries whose next attempt has come, oldest first.
func (db *DB) DueWebhookDeliveries(ctx context.Context, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		ds, err = queryDeliveries(ctx, tx, deliverySelect+` WHERE d.delivered_at IS NULL AND d.failed_at IS NULL
			AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`, tx.now.Unix(), limit)
		return err
	})
	return ds, err
}

// EndpointDueDeliveries lists up to limit of an endpoint's deliveries whose next attempt has come,
// in the order they are due.
func (db *DB) EndpointDueDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		ds, err = queryDeliveries(ctx, tx, deliverySelect+` WHERE d.endpoint_id = ? AND d.delivered_at IS NULL AND d.failed_at IS NULL
			AND d.next_attempt_at <= ? ORDER BY d.next_attempt_at, d.id LIMIT ?`, endpointID, tx.now.Unix(), limit)
		return err
	})
	return ds, err
}

// HoldEndpoint runs deliver while no other instance delivers to the endpoint, so that its
// deliveries go out one at a time and in order whichever instances work the queue; held is false
// when another instance is at it. On PostgreSQL the endpoint's row stays locked FOR NO KEY UPDATE
// meanwhile, which the changes that queue new deliveries for it do not wait for.
func (db *DB) HoldEndpoint(ctx context.Context, endpointID int64, deliver func() error) (held bool, err error) {
	return db.hold(ctx, "FOR NO KEY UPDATE SKIP LOCKED", func(tx *Tx, lock string) (bool, error) {
		var one int
		err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhook_endpoints WHERE id = ?`+lock, endpointID).Scan(&one)
		if errors.Is(err, sql.ErrNoRows) {
			return false, nil
		}
		return err == nil, err
	}, deliver, nil)
}

// WebhookDeliveries lists an endpoint's latest deliveries, newest first.
func (db *DB) WebhookDeliveries(ctx context.Context, endpointID int64, limit int) ([]WebhookDelivery, error) {
	var ds []WebhookDelivery
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		ds, err = queryDeliveries(ctx, tx, deliverySelect+` WHERE d.endpoint_id = ? ORDER BY d.id DESC LIMIT ?`, endpointID, limit)
		return err
	})
	return ds, err
}

// MarkWebhookDelivered records a delivery the endpoint took with a 2xx status.
func (db *DB) MarkWebhookDelivered(ctx context.Context, id int64, status int) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
			last_error = '', delivered_at = ? WHERE id = ?`, tx.now.Unix(), status, tx.now.Unix(), id)
		return err
	})
}

// MarkWebhookFailed records a failed attempt (status 0: no answer): the next one is due at next,
// or, when next is zero, the delivery is given up.
func (db *DB) MarkWebhookFailed(ctx context.Context, id int64, status int, reason string, next time.Time) error {
	return db.update(ctx, func(tx *Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?, last_status = ?,
			last_error = ?, next_attempt_at = coalesce(?, next_attempt_at), failed_at = ? WHERE id = ?`,
			tx.now.Unix(), status, reason, unix(next), unixIf(next.IsZero(), tx.now), id)
		return err
	})
}

// unixIf is the time t as unix when cond holds, else NULL.
func unixIf(cond bool, t time.Time) any {
	if !cond {
		return nil
	}
	return t.Unix()
}

// ResumeWebhookDeliveries makes every delivery that waits for a retry due now and tells how many
// there were: after a restart nobody should wait out a backoff.
func (db *DB) ResumeWebhookDeliveries(ctx context.Context) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE webhook_deliveries SET next_attempt_at = ?
			WHERE delivered_at IS NULL AND failed_at IS NULL AND next_attempt_at > ?`, tx.now.Unix(), tx.now.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// PruneWebhookEvents deletes the events older than before whose deliveries are all over
// (delivered or given up), with those deliveries, and tells how many events went.
func (db *DB) PruneWebhookEvents(ctx context.Context, before time.Time) (int64, error) {
	var n int64
	err := db.update(ctx, func(tx *Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhook_events WHERE created_at < ? AND NOT EXISTS
			(SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id AND d.delivered_at IS NULL AND d.failed_at IS NULL)`,
			before.Unix())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return n, err
}

// QueueDepths are the messages waiting in the queues and those given up, for the metrics.
type QueueDepths struct {
	EmailsPending, EmailsFailed     int64
	WebhooksPending, WebhooksFailed int64
}

// QueueDepths counts the messages of the outbox and of the webhook queue, pending and given up.
func (db *DB) QueueDepths(ctx context.Context) (QueueDepths, error) {
	var q QueueDepths
	err := db.view(ctx, func(tx *Tx) error {
		return tx.QueryRowContext(ctx, `SELECT
			(SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL),
			(SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL),
			(SELECT count(*) FROM webhook_deliveries WHERE delivered_at IS NULL AND failed_at IS NULL),
			(SELECT count(*) FROM webhook_deliveries WHERE failed_at IS NOT NULL)`).
			Scan(&q.EmailsPending, &q.EmailsFailed, &q.WebhooksPending, &q.WebhooksFailed)
	})
	return q, err
}

// Size is the database's size in bytes: on SQLite its pages, free ones included.
func (db *DB) Size(ctx context.Context) (int64, error) {
	var size int64
	err := db.read.QueryRowContext(ctx, db.dialect.sizeQuery()).Scan(&size)
	return size, err
}

// ParentOrgs lists the vendor and the distributors, the organizations that may have webhook
// endpoints, the vendor first.
func (db *DB) ParentOrgs(ctx context.Context) ([]Org, error) {
	var orgs []Org
	err := db.view(ctx, func(tx *Tx) error {
		var err error
		orgs, err = queryOrgs(ctx, tx, `SELECT `+orgColumns+` FROM organizations o WHERE o.kind <> 'client'
			ORDER BY o.kind = 'distributor', o.name COLLATE NOCASE, o.id`)
		return err
	})
	return orgs, err
}
