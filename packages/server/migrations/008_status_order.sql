-- When the server last recorded a status change (Last Will, goodbye, or the connection sweep),
-- in server milliseconds. A consumption report received before that moment but applied after it
-- (ingest is batched) must not bring a meter that has just said "offline" back online.
ALTER TABLE meters ADD COLUMN status_changed_ms bigint;
