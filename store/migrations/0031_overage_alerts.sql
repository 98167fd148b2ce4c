-- Overage alerts (DESIGN §11): a license's switch, each user's opt-out, and the alert of each
-- license and month, recorded once.
ALTER TABLE licenses ADD COLUMN overage_alerts INTEGER NOT NULL DEFAULT 1;

CREATE TABLE overage_alerts (
    license_id  INTEGER NOT NULL REFERENCES licenses (id) ON DELETE CASCADE,
    month       TEXT    NOT NULL, -- YYYY-MM
    day         TEXT    NOT NULL, -- the first day of the month with extra cores
    extra_cores INTEGER NOT NULL, -- that day's
    extra_cost  TEXT    NOT NULL, -- the month's extra cost so far, a decimal in the license's currency
    currency    TEXT    NOT NULL,
    recipients  TEXT    NOT NULL DEFAULT '', -- emailed, separated by ", "; empty when the license's alerts are off
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (license_id, month)
) WITHOUT ROWID;

CREATE TABLE overage_alert_optouts (
    user_id INTEGER PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    at      INTEGER NOT NULL
);
