-- Organizations form a tree: one vendor, distributors under it, clients under a distributor or the vendor.
CREATE TABLE organizations (
    id         INTEGER PRIMARY KEY,
    kind       TEXT    NOT NULL CHECK (kind IN ('vendor', 'distributor', 'client')),
    parent_id  INTEGER REFERENCES organizations (id),
    name       TEXT    NOT NULL,
    email      TEXT    NOT NULL DEFAULT '',
    phone      TEXT    NOT NULL DEFAULT '',
    address    TEXT    NOT NULL DEFAULT '',
    zip        TEXT    NOT NULL DEFAULT '',
    city       TEXT    NOT NULL DEFAULT '',
    country    TEXT    NOT NULL DEFAULT '',
    tax_id     TEXT    NOT NULL DEFAULT '',
    notes      TEXT    NOT NULL DEFAULT '',
    status     TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'suspended')),
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    CHECK ((kind = 'vendor') = (parent_id IS NULL))
);
CREATE UNIQUE INDEX organizations_single_vendor ON organizations (kind) WHERE kind = 'vendor';
CREATE INDEX organizations_parent ON organizations (parent_id);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    email         TEXT    NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT    NOT NULL,
    password_hash TEXT    NOT NULL,
    active        INTEGER NOT NULL DEFAULT 1,
    last_org_id   INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE memberships (
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    org_id     INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role       TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    created_at INTEGER NOT NULL,
    PRIMARY KEY (user_id, org_id)
) WITHOUT ROWID;
CREATE INDEX memberships_org ON memberships (org_id);

-- A session is found by the SHA-256 of its cookie value, so a copy of the database opens no session.
CREATE TABLE sessions (
    id_hash      BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    token_hash   BLOB    NOT NULL UNIQUE,
    hint         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE audit_log (
    id            INTEGER PRIMARY KEY,
    at            INTEGER NOT NULL,
    actor_user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    actor_email   TEXT    NOT NULL DEFAULT '',
    org_id        INTEGER REFERENCES organizations (id) ON DELETE SET NULL,
    action        TEXT    NOT NULL,
    target        TEXT    NOT NULL DEFAULT '',
    ip            TEXT    NOT NULL DEFAULT '',
    details       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);
CREATE INDEX audit_log_org_at ON audit_log (org_id, at);
