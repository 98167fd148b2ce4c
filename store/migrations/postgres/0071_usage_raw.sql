-- PostgreSQL only: raw usage samples in one table partitioned by UTC day (SQLite keeps a table
-- a day, usage_raw_YYYYMMDD). A partition is created as the first sample of its day arrives
-- (store/dialect.go) and the retention job drops whole partitions.
CREATE TABLE usage_raw (
    setup_id   BIGINT NOT NULL,
    service_id BIGINT NOT NULL,
    t          BIGINT NOT NULL, -- Unix seconds
    metrics    BYTEA  NOT NULL, -- (metric id uvarint, value varint) pairs
    PRIMARY KEY (setup_id, service_id, t)
) PARTITION BY RANGE (t);
