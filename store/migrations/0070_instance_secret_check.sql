-- Several instances share one database and must hold one instance secret (DESIGN §10): the
-- database keeps a check value of it (an HMAC of a fixed text under the secret, which reveals
-- nothing of it), and an instance started with another secret refuses to start.
CREATE TABLE instance_secret_check (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    value      TEXT    NOT NULL,
    created_at INTEGER NOT NULL
);
