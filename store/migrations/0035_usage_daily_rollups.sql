-- Daily roll-ups beside the hourly ones, so that the usage page and API read a day as one row
-- instead of 24: 90 days of 10 setups × 10 services × 2 metrics are 18,000 rows, not 432,000.
-- Kept up to date by the same transactions that write the hourly roll-ups (store/usage.go).

-- One row per setup, UTC day, service and metric: count, sum (sum_hi·10¹⁸ + sum, as in
-- usage_hourly), min and max of the values in millionths.
CREATE TABLE usage_daily_metrics (
    setup_id   INTEGER NOT NULL REFERENCES setups (id) ON DELETE CASCADE,
    day        INTEGER NOT NULL, -- Unix seconds of the day's start
    service_id INTEGER NOT NULL REFERENCES usage_names (id),
    metric_id  INTEGER NOT NULL REFERENCES usage_names (id),
    count      INTEGER NOT NULL,
    sum        INTEGER NOT NULL,
    sum_hi     INTEGER NOT NULL,
    min        INTEGER NOT NULL,
    max        INTEGER NOT NULL,
    PRIMARY KEY (setup_id, day, service_id, metric_id)
) WITHOUT ROWID;

-- The days written before. Each low part lies within ±10¹⁸: split at 10⁹, a day of them sums
-- without overflow, and the carry goes to sum_hi.
INSERT INTO usage_daily_metrics (setup_id, day, service_id, metric_id, count, sum, sum_hi, min, max)
SELECT setup_id, day, service_id, metric_id, n,
       (a % 1000000000) * 1000000000 + b, hi + a / 1000000000, lo, hi_max
  FROM (SELECT setup_id, hour - hour % 86400 AS day, service_id, metric_id, sum(count) AS n,
               sum(sum / 1000000000) AS a, sum(sum % 1000000000) AS b, sum(sum_hi) AS hi,
               min(min) AS lo, max(max) AS hi_max
          FROM usage_hourly GROUP BY setup_id, day, service_id, metric_id);

-- The mean of a setup's hourly billable cores over a day, for the usage page and API at a day's
-- or a month's resolution: the hours of the day with billable cores and the sum of their cores
-- (millionths). The app computes them from then on; the days written before get them here, from
-- the product's services not billed (lower case, comma-separated), as nearly as a float allows.
ALTER TABLE usage_daily ADD COLUMN hours INTEGER NOT NULL DEFAULT 0;
ALTER TABLE usage_daily ADD COLUMN cores_sum INTEGER NOT NULL DEFAULT 0;

UPDATE usage_daily SET hours = x.hours, cores_sum = x.cores_sum
  FROM (SELECT setup_id, date(hour, 'unixepoch') AS day, count(*) AS hours, sum(cores) AS cores_sum
          FROM (SELECT h.setup_id, h.hour,
                       CAST(round(total(max(0, (h.sum_hi * 1e18 + h.sum) / h.count))) AS INTEGER) AS cores
                  FROM usage_hourly h
                  JOIN usage_names m ON m.id = h.metric_id AND m.name = 'cores'
                  JOIN usage_names sv ON sv.id = h.service_id
                  JOIN setups s ON s.id = h.setup_id
                  JOIN licenses l ON l.id = s.license_id
                  JOIN products p ON p.id = l.product_id
                 WHERE h.count > 0 AND instr(',' || p.excluded_services || ',', ',' || lower(sv.name) || ',') = 0
                 GROUP BY h.setup_id, h.hour)
         GROUP BY setup_id, day) AS x
 WHERE usage_daily.setup_id = x.setup_id AND usage_daily.day = x.day;
