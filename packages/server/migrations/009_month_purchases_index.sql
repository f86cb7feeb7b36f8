-- A meter's purchases this month (block tariffs, the month's standing charge) are read on every
-- credit. With only (meter_no, created_at) and the partial index on completed_at WHERE status =
-- 'completed', PostgreSQL ANDed the two bitmaps; the second lists every completed transaction,
-- so each credit cost time in proportion to the whole table (a quarter of the database's CPU at
-- 1,000 payments/s in the payments benchmark, and growing with the table). This index answers
-- that read alone. (A plain CREATE INDEX: migrations run in a transaction. On a large existing
-- table, create it beforehand with CREATE INDEX CONCURRENTLY under this name.)
CREATE INDEX IF NOT EXISTS transactions_meter_completed_idx
  ON transactions (meter_no, created_at) WHERE status = 'completed';
