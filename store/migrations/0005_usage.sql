-- Usage (DESIGN §5, §6). Raw 20-s samples live in one table per UTC day, usage_raw_YYYYMMDD
-- (created as data arrives, see store/usage.go), so the retention job drops whole days at once
-- instead of deleting rows one by one. Hourly roll-ups are kept for good; the billed cores of
-- each setup and day are kept up to date beside them for the cost engine.

-- The earliest sample time a setup ever reported: the tie-break for the prepaid cores.
ALTER TABLE setups ADD COLUMN first_sample_at INTEGER;

-- Service and metric names, so the big tables hold small integers.
CREATE TABLE usage_names (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

-- One row per setup, hour, service and metric: count, sum, min and max of the values in millionths.
CREATE TABLE usage_hourly (
    setup_id   INTEGER NOT NULL REFERENCES setups (id) ON DELETE CASCADE,
    hour       INTEGER NOT NULL, -- Unix seconds of the hour's start
    service_id INTEGER NOT NULL REFERENCES usage_names (id),
    metric_id  INTEGER NOT NULL REFERENCES usage_names (id),
    count      INTEGER NOT NULL,
    sum        INTEGER NOT NULL,
    min        INTEGER NOT NULL,
    max        INTEGER NOT NULL,
    PRIMARY KEY (setup_id, hour, service_id, metric_id)
) WITHOUT ROWID;

-- The cores of each setup and UTC day as the cost engine counts them: the peak hourly cores over
-- the billable services (millionths) and the billed cores.
CREATE TABLE usage_daily (
    setup_id   INTEGER NOT NULL REFERENCES setups (id) ON DELETE CASCADE,
    day        TEXT    NOT NULL, -- YYYY-MM-DD
    peak_micro INTEGER NOT NULL,
    billed     INTEGER NOT NULL,
    PRIMARY KEY (setup_id, day)
) WITHOUT ROWID;
