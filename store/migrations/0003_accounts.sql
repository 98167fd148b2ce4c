-- Issue 3: suspension reasons, invitations, email tokens (password reset, email change) and terms.
ALTER TABLE organizations ADD COLUMN suspend_reason TEXT NOT NULL DEFAULT '';

-- An invitation is found by the SHA-256 of the token in its link; accepting or revoking it ends it.
CREATE TABLE invitations (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    email       TEXT    NOT NULL COLLATE NOCASE,
    role        TEXT    NOT NULL CHECK (role IN ('owner', 'member')),
    token_hash  BLOB    NOT NULL UNIQUE,
    invited_by  INTEGER REFERENCES users (id) ON DELETE SET NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    accepted_at INTEGER,
    revoked_at  INTEGER
);
CREATE INDEX invitations_org ON invitations (org_id);

-- Single-use links sent by email for a password reset or an email change.
CREATE TABLE email_tokens (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    purpose    TEXT    NOT NULL CHECK (purpose IN ('password_reset', 'email_change')),
    new_email  TEXT    NOT NULL DEFAULT '',
    token_hash BLOB    NOT NULL UNIQUE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    used_at    INTEGER
);
CREATE INDEX email_tokens_user ON email_tokens (user_id);

-- Versions of the terms and conditions; the newest one is in force.
CREATE TABLE terms (
    id           INTEGER PRIMARY KEY,
    label        TEXT    NOT NULL,
    effective_on TEXT    NOT NULL, -- YYYY-MM-DD
    format       TEXT    NOT NULL CHECK (format IN ('markdown', 'text')),
    body         TEXT    NOT NULL,
    published_by INTEGER REFERENCES users (id) ON DELETE SET NULL,
    published_at INTEGER NOT NULL
);

CREATE TABLE terms_acceptances (
    terms_id    INTEGER NOT NULL REFERENCES terms (id) ON DELETE CASCADE,
    user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    accepted_at INTEGER NOT NULL,
    ip          TEXT    NOT NULL DEFAULT '',
    PRIMARY KEY (terms_id, user_id)
) WITHOUT ROWID;
CREATE INDEX terms_acceptances_user ON terms_acceptances (user_id);
