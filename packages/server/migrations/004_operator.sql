-- Operator console (issue 5): persistent meter commands, emergency-credit debt, rated load,
-- and the indexes the fleet view and the reports read through.

ALTER TABLE meters ADD COLUMN debt_cents bigint NOT NULL DEFAULT 0 CHECK (debt_cents >= 0);
ALTER TABLE meters ADD COLUMN emergency_taken_at timestamptz;
ALTER TABLE meters ADD COLUMN max_load_w integer CHECK (max_load_w IS NULL OR max_load_w >= 0);

-- A command for one meter, kept until the meter acknowledges it in its status (`ack`) or it expires.
CREATE TABLE meter_commands (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meter_no text NOT NULL REFERENCES meters (meter_no),
  kind text NOT NULL CHECK (kind IN ('relay', 'config')),
  payload jsonb NOT NULL,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'acknowledged', 'expired')),
  created_by uuid REFERENCES users (id),
  reason text NOT NULL CHECK (length(btrim(reason)) > 0),
  attempts integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  acknowledged_at timestamptz,
  expires_at timestamptz NOT NULL
);
CREATE INDEX meter_commands_open_idx ON meter_commands (meter_no, created_at) WHERE status IN ('pending', 'sent');
CREATE INDEX meter_commands_expiry_idx ON meter_commands (expires_at) WHERE status IN ('pending', 'sent');
CREATE INDEX meter_commands_meter_idx ON meter_commands (meter_no, created_at DESC);

-- Fleet view: keyset pages by each sort key, with the meter number as tie-breaker.
CREATE INDEX meters_status_idx ON meters (status, meter_no);
CREATE INDEX meters_relay_idx ON meters (relay, meter_no);
CREATE INDEX meters_balance_idx ON meters ((credit_limit_mwh - energy_mwh), meter_no);
CREATE INDEX meters_last_seen_idx ON meters (last_seen, meter_no);
CREATE INDEX meters_power_idx ON meters (power_w, meter_no);
CREATE INDEX alerts_open_list_idx ON alerts (opened_at DESC) WHERE closed_at IS NULL;
CREATE INDEX alerts_meter_idx ON alerts (meter_no, opened_at DESC);

-- Reports by period.
CREATE INDEX transactions_completed_idx ON transactions (completed_at) WHERE status = 'completed';
CREATE INDEX ledger_created_idx ON ledger_entries (created_at);
CREATE INDEX consumption_hourly_hour_idx ON consumption_hourly (hour);
CREATE INDEX readings_meter_received_idx ON readings (meter_no, received_at DESC);
CREATE INDEX audit_target_idx ON audit_log (target, id DESC);

-- Presence changes as the server saw them, for the meter detail page (written after commit).
CREATE TABLE meter_status_history (
  id bigserial PRIMARY KEY,
  meter_no text NOT NULL REFERENCES meters (meter_no),
  status text NOT NULL,
  relay text,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX meter_status_history_idx ON meter_status_history (meter_no, id DESC);
