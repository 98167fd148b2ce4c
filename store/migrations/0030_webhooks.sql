-- Webhooks (DESIGN §11): endpoints of distributors and the vendor, the events written in the
-- transaction of the change they tell, and one delivery per endpoint and event, delivered by a
-- worker and recorded on its own, like the outbox's emails.
CREATE TABLE webhook_endpoints (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    url             TEXT    NOT NULL,
    events          TEXT    NOT NULL, -- event names separated by spaces
    secret_enc      BLOB    NOT NULL, -- sealed with the instance secret: deliveries are signed with it
    secret_hint     TEXT    NOT NULL, -- its last characters, to tell secrets apart
    created_by      INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_endpoints_org ON webhook_endpoints (organization_id);

-- body is the exact JSON every endpoint receives, under the same public id at every attempt.
CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    public_id       TEXT    NOT NULL UNIQUE, -- evt_…
    event           TEXT    NOT NULL,
    organization_id INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE, -- whose event it is
    body            BLOB    NOT NULL,
    created_at      INTEGER NOT NULL
);
CREATE INDEX webhook_events_created ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    endpoint_id     INTEGER NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_attempt_at INTEGER,
    last_status     INTEGER NOT NULL DEFAULT 0, -- the HTTP status of the last answer; 0: no answer
    last_error      TEXT    NOT NULL DEFAULT '',
    delivered_at    INTEGER,
    failed_at       INTEGER -- given up
);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (next_attempt_at) WHERE delivered_at IS NULL AND failed_at IS NULL;
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX webhook_deliveries_event ON webhook_deliveries (event_id);

-- invoice.overdue is sent once per invoice: overdue is derived from the day, not stored.
CREATE TABLE invoice_overdue_events (
    invoice_id INTEGER PRIMARY KEY REFERENCES invoices (id) ON DELETE CASCADE,
    at         INTEGER NOT NULL
);
