-- Files that go with an email (an issued invoice's PDF). They are copied here with the email,
-- so every delivery attempt sends the same bytes whatever happens to their source later.
CREATE TABLE outbox_attachments (
    id        INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    name      TEXT    NOT NULL,
    mime_type TEXT    NOT NULL,
    data      BLOB    NOT NULL
);
CREATE INDEX outbox_attachments_outbox ON outbox_attachments (outbox_id);
