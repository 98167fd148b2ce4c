-- Products and their features (modules); a license enables some of them (DESIGN §3).
CREATE TABLE products (
    id                INTEGER PRIMARY KEY,
    code              TEXT    NOT NULL UNIQUE,
    name              TEXT    NOT NULL,
    start_threshold   INTEGER NOT NULL DEFAULT 5 CHECK (start_threshold >= 1),
    excluded_services TEXT    NOT NULL DEFAULT 'elasticsearch,kibana', -- lower case, comma-separated
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL
);

CREATE TABLE features (
    id                       INTEGER PRIMARY KEY,
    product_id               INTEGER NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    code                     TEXT    NOT NULL,
    name                     TEXT    NOT NULL,
    floating                 INTEGER NOT NULL DEFAULT 0,
    max_simultaneous_users   INTEGER NOT NULL DEFAULT 0,
    floating_timeout_minutes INTEGER NOT NULL DEFAULT 0,
    UNIQUE (product_id, code)
);

-- A license. Dates are UTC days as 'YYYY-MM-DD', the end date exclusive. Money is in minor units
-- of the currency; the factor is a decimal string. The term columns are the latest version;
-- license_terms says which version is in force on each day.
CREATE TABLE licenses (
    id                 INTEGER PRIMARY KEY,
    product_id         INTEGER NOT NULL REFERENCES products (id),
    organization_id    INTEGER REFERENCES organizations (id),
    distributor_id     INTEGER NOT NULL REFERENCES organizations (id),
    key_hash           BLOB    NOT NULL UNIQUE,
    key_enc            BLOB    NOT NULL,
    key_suffix         TEXT    NOT NULL,
    status             TEXT    NOT NULL CHECK (status IN ('pending_provision', 'pending_start', 'in_use', 'access_denied', 'contract_finalized')),
    previous_status    TEXT    NOT NULL DEFAULT '',
    deny_reason        TEXT    NOT NULL DEFAULT '',
    prepaid_cores      INTEGER NOT NULL DEFAULT 0,
    prepaid_core_price INTEGER NOT NULL DEFAULT 0,
    extra_core_price   INTEGER NOT NULL DEFAULT 0,
    escalation_factor  TEXT    NOT NULL DEFAULT '0.33',
    currency           TEXT    NOT NULL,
    invoicing_period   TEXT    NOT NULL DEFAULT 'monthly' CHECK (invoicing_period IN ('monthly', 'semiannual')),
    payment_period     TEXT    NOT NULL CHECK (payment_period IN ('monthly', 'annual')),
    term_years         INTEGER NOT NULL CHECK (term_years BETWEEN 1 AND 5),
    start_date         TEXT,
    end_date           TEXT,
    location           TEXT    NOT NULL DEFAULT '',
    partner            TEXT    NOT NULL DEFAULT '',
    max_aps            INTEGER,
    max_rooms          INTEGER,
    max_devices        INTEGER,
    start_threshold    INTEGER NOT NULL DEFAULT 5 CHECK (start_threshold >= 1),
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    CHECK ((status = 'pending_provision') = (organization_id IS NULL))
);
CREATE INDEX licenses_org ON licenses (organization_id);
CREATE INDEX licenses_distributor ON licenses (distributor_id);
CREATE INDEX licenses_end_date ON licenses (end_date);

-- The features a license enables, with its overrides of the floating settings (NULL: the feature's).
CREATE TABLE license_features (
    license_id               INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    feature_id               INTEGER NOT NULL REFERENCES features (id),
    max_simultaneous_users   INTEGER,
    floating_timeout_minutes INTEGER,
    PRIMARY KEY (license_id, feature_id)
) WITHOUT ROWID;

-- Versions of a license's money terms: each is in force from its day until the next version's.
-- A change made on day D takes effect on D+1; the first version is in force from the beginning.
CREATE TABLE license_terms (
    license_id         INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    effective_from     TEXT    NOT NULL,
    prepaid_cores      INTEGER NOT NULL,
    prepaid_core_price INTEGER NOT NULL,
    extra_core_price   INTEGER NOT NULL,
    escalation_factor  TEXT    NOT NULL,
    currency           TEXT    NOT NULL,
    invoicing_period   TEXT    NOT NULL,
    payment_period     TEXT    NOT NULL,
    PRIMARY KEY (license_id, effective_from)
) WITHOUT ROWID;

-- The history of a license: creation, status changes, upgrades, renewals, key regenerations.
CREATE TABLE license_events (
    id            INTEGER PRIMARY KEY,
    license_id    INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_email   TEXT    NOT NULL DEFAULT '',
    kind          TEXT    NOT NULL,
    from_status   TEXT    NOT NULL DEFAULT '',
    to_status     TEXT    NOT NULL DEFAULT '',
    details       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX license_events_license ON license_events (license_id, at);

-- Expiry notifications: each step once per license and end date.
CREATE TABLE license_notifications (
    id         INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    end_date   TEXT    NOT NULL,
    step       TEXT    NOT NULL,
    sent_at    INTEGER NOT NULL,
    recipients TEXT    NOT NULL DEFAULT '',
    UNIQUE (license_id, end_date, step)
);

-- Setups (installations) of a license, named by the client, with their configured elements.
CREATE TABLE setups (
    id         INTEGER PRIMARY KEY,
    license_id INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    aps        INTEGER NOT NULL DEFAULT 0,
    rooms      INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL,
    UNIQUE (license_id, name)
);

CREATE TABLE devices (
    id             INTEGER PRIMARY KEY,
    license_id     INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    setup_id       INTEGER REFERENCES setups (id) ON DELETE SET NULL,
    fingerprint    TEXT    NOT NULL,
    name           TEXT    NOT NULL DEFAULT '',
    active         INTEGER NOT NULL DEFAULT 1,
    first_seen_at  INTEGER NOT NULL,
    last_seen_at   INTEGER NOT NULL,
    deactivated_at INTEGER,
    UNIQUE (license_id, fingerprint)
);

-- A client owner's request to its distributor for a new license or a renewal.
CREATE TABLE license_requests (
    id                INTEGER PRIMARY KEY,
    client_id         INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    distributor_id    INTEGER NOT NULL REFERENCES organizations (id),
    kind              TEXT    NOT NULL CHECK (kind IN ('new', 'renewal')),
    license_id        INTEGER REFERENCES licenses (id) ON DELETE SET NULL,
    product_id        INTEGER NOT NULL REFERENCES products (id),
    location          TEXT    NOT NULL DEFAULT '',
    partner           TEXT    NOT NULL DEFAULT '',
    term_years        INTEGER NOT NULL CHECK (term_years BETWEEN 1 AND 5),
    payment_period    TEXT    NOT NULL CHECK (payment_period IN ('monthly', 'annual')),
    aps               INTEGER,
    rooms             INTEGER,
    features          TEXT    NOT NULL DEFAULT '', -- feature codes, comma-separated
    notes             TEXT    NOT NULL DEFAULT '',
    status            TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'accepted', 'declined')),
    decline_reason    TEXT    NOT NULL DEFAULT '',
    result_license_id INTEGER REFERENCES licenses (id) ON DELETE SET NULL,
    created_by        INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at        INTEGER NOT NULL,
    decided_at        INTEGER
);
CREATE INDEX license_requests_distributor ON license_requests (distributor_id, status);
CREATE INDEX license_requests_client ON license_requests (client_id);

-- Floating seats: a device holds a seat of a floating feature while it checks it within the
-- feature's timeout; an older seat is free again.
CREATE TABLE seats (
    license_id   INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    feature_id   INTEGER NOT NULL REFERENCES features (id),
    device_id    INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    taken_at     INTEGER NOT NULL,
    refreshed_at INTEGER NOT NULL,
    PRIMARY KEY (license_id, feature_id, device_id)
) WITHOUT ROWID;

-- Which devices use which non-floating features.
CREATE TABLE device_features (
    device_id     INTEGER NOT NULL REFERENCES devices (id) ON DELETE CASCADE,
    feature_id    INTEGER NOT NULL REFERENCES features (id),
    first_used_at INTEGER NOT NULL,
    last_used_at  INTEGER NOT NULL,
    PRIMARY KEY (device_id, feature_id)
) WITHOUT ROWID;
