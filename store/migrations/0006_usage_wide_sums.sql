-- Hourly sums beyond int64 (DESIGN §6 bounds): a metric other than cores may be ±10¹² a sample,
-- 10¹⁸ millionths, so one service's hour of samples can pass int64. A sum is now
-- sum_hi·10¹⁸ + sum, with sum kept between −10¹⁸ and 10¹⁸ (see store.Sum).
ALTER TABLE usage_hourly ADD COLUMN sum_hi INTEGER NOT NULL DEFAULT 0;

-- Sums written before, brought into that range so that adding to them never overflows.
UPDATE usage_hourly SET sum_hi = sum / 1000000000000000000, sum = sum % 1000000000000000000
 WHERE typeof(sum) = 'integer' AND (sum >= 1000000000000000000 OR sum <= -1000000000000000000);

-- A sum that already overflowed was stored as a float by SQLite and could not be read back:
-- keep it as nearly as a float allows.
UPDATE usage_hourly SET sum_hi = CAST(sum / 1e18 AS INTEGER), sum = CAST(sum - CAST(sum / 1e18 AS INTEGER) * 1e18 AS INTEGER)
 WHERE typeof(sum) = 'real';
