-- Issue 15: two-factor sign-in (TOTP, RFC 6238), recovery codes, the half-session between the
-- password and the code, and the staff setting that requires it.

-- One authenticator per user. secret_enc is the TOTP secret sealed with AES-GCM under a key
-- derived from the instance secret: a copy of the database alone reveals none. While enabled_at
-- is NULL the user is enrolling: the secret is shown but sign-in does not ask for it yet.
-- last_step is the last 30-second step whose code was used: that code and older ones are refused.
CREATE TABLE two_factor (
    user_id    INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    secret_enc BLOB    NOT NULL,
    created_at INTEGER NOT NULL,
    enabled_at INTEGER,
    last_step  INTEGER NOT NULL DEFAULT 0
);

-- Single-use codes that stand in for a lost authenticator, kept as a keyed hash.
CREATE TABLE recovery_codes (
    user_id   INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash BLOB    NOT NULL,
    used_at   INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- Between a right password and a right code: not a session (it opens no page), found by the
-- SHA-256 of its cookie, short-lived and ended by the sign-in it leads to.
CREATE TABLE login_challenges (
    id_hash    BLOB    PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    next       TEXT    NOT NULL DEFAULT '/',
    ip         TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX login_challenges_user ON login_challenges (user_id);

-- The vendor's security settings: a single row.
CREATE TABLE security_settings (
    id                  INTEGER PRIMARY KEY CHECK (id = 1),
    two_factor_required INTEGER NOT NULL DEFAULT 0,
    updated_at          INTEGER,
    updated_by          INTEGER REFERENCES users (id) ON DELETE SET NULL
);
INSERT INTO security_settings (id) VALUES (1);
