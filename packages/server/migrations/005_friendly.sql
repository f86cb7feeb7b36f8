-- Friendly hours and the predictive low-balance notice (issue 5 §4, §6).

-- A system command made stale by a newer one for the same meter (the next friendly-hours
-- transition, or an operator's own relay command) is retired, never replayed on reconnect.
ALTER TABLE meter_commands DROP CONSTRAINT meter_commands_status_check;
ALTER TABLE meter_commands ADD CONSTRAINT meter_commands_status_check
  CHECK (status IN ('pending', 'sent', 'acknowledged', 'expired', 'superseded'));

-- The relay command in force per meter: the newest one not expired or superseded.
CREATE INDEX meter_commands_relay_current_idx ON meter_commands (meter_no, created_at DESC)
  WHERE kind = 'relay' AND status IN ('pending', 'sent', 'acknowledged');

