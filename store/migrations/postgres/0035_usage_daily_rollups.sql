-- PostgreSQL starts with these tables and columns empty: none of the days before them to fill in.
-- Daily roll-ups beside the hourly ones, so that the usage page and API read a day as one row
-- instead of 24: 90 days of 10 setups × 10 services × 2 metrics are 18,000 rows, not 432,000.
-- Kept up to date by the same transactions that write the hourly roll-ups (store/usage.go).

-- One row per setup, UTC day, service and metric: count, sum (sum_hi·10¹⁸ + sum, as in
-- usage_hourly), min and max of the values in millionths.
CREATE TABLE usage_daily_metrics (
    setup_id   BIGINT NOT NULL REFERENCES setups (id) ON DELETE CASCADE,
    day        BIGINT NOT NULL, -- Unix seconds of the day's start
    service_id BIGINT NOT NULL REFERENCES usage_names (id),
    metric_id  BIGINT NOT NULL REFERENCES usage_names (id),
    count      BIGINT NOT NULL,
    sum        BIGINT NOT NULL,
    sum_hi     BIGINT NOT NULL,
    min        BIGINT NOT NULL,
    max        BIGINT NOT NULL,
    PRIMARY KEY (setup_id, day, service_id, metric_id)
);

-- The mean of a setup's hourly billable cores over a day, for the usage page and API at a day's
-- or a month's resolution: the hours of the day with billable cores and the sum of their cores
-- (millionths). The app computes them from then on; the days written before get them here, from
-- the product's services not billed (lower case, comma-separated), as nearly as a float allows.
ALTER TABLE usage_daily ADD COLUMN hours BIGINT NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN cores_sum BIGINT NOT NULL DEFAULT 0;

