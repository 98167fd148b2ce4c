-- PostgreSQL starts with this column: it has no sums written before it to bring into range.
ALTER TABLE usage_hourly ADD COLUMN sum_hi BIGINT NOT NULL DEFAULT 0;
