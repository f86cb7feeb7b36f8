-- Umeme schema. Energy in integer milliwatt-hours (bigint, *_mwh), money in integer cents (*_cents).
-- The same file runs on PGlite and PostgreSQL.

CREATE TABLE settings (
  key text PRIMARY KEY,
  value text NOT NULL
);

CREATE TABLE users (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL UNIQUE,
  name text NOT NULL,
  phone text,
  password_hash text NOT NULL,
  role text NOT NULL CHECK (role IN ('customer', 'admin')),
  locale text NOT NULL DEFAULT 'en',
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE meters (
  meter_no text PRIMARY KEY,
  user_id uuid REFERENCES users (id),
  -- E0: the register when commissioned. C = e0 + sum(ledger.energy_mwh), kept materialised here.
  e0_mwh bigint NOT NULL CHECK (e0_mwh >= 0),
  credit_limit_mwh bigint NOT NULL,
  -- E as the server knows it (epoch-adjusted), never decreasing.
  energy_mwh bigint NOT NULL CHECK (energy_mwh >= 0),
  -- Legacy firmware: raw totalConsumed last seen and the offset of the current epoch.
  legacy_raw_mwh bigint,
  epoch_offset_mwh bigint NOT NULL DEFAULT 0,
  last_report_ts bigint,
  last_seq bigint,
  last_seen timestamptz,
  relay text NOT NULL DEFAULT 'off' CHECK (relay IN ('on', 'off')),
  status text NOT NULL DEFAULT 'never_seen',
  power_w integer,
  fw text,
  wifi_rssi integer,
  -- the meter's own view of its balance, for reconciliation only
  meter_balance_mwh bigint,
  emergency_credit_mwh bigint NOT NULL DEFAULT 0,
  low_balance_mwh bigint NOT NULL DEFAULT 2000000,
  publish_interval_s integer NOT NULL DEFAULT 30,
  -- per-meter event sequence for realtime clients
  event_seq bigint NOT NULL DEFAULT 0,
  tariff_id text NOT NULL DEFAULT 'default',
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (energy_mwh >= e0_mwh)
);
CREATE INDEX meters_user_idx ON meters (user_id);

CREATE TABLE device_credentials (
  meter_no text PRIMARY KEY REFERENCES meters (meter_no),
  -- sha256 of a 256-bit random secret: high entropy, so a fast hash is enough and keeps
  -- thousands of simultaneous reconnects cheap
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE transactions (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meter_no text NOT NULL REFERENCES meters (meter_no),
  user_id uuid REFERENCES users (id),
  type text NOT NULL,
  source text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'completed', 'failed', 'reversed')),
  amount_cents bigint NOT NULL,
  energy_mwh bigint NOT NULL,
  external_ref text,
  phone text,
  receipt jsonb,
  created_by uuid REFERENCES users (id),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz
);
CREATE UNIQUE INDEX transactions_external_ref_idx ON transactions (external_ref) WHERE external_ref IS NOT NULL;
CREATE INDEX transactions_meter_idx ON transactions (meter_no, created_at DESC);
CREATE INDEX transactions_user_idx ON transactions (user_id, created_at DESC);

-- Append-only: every change of a credit limit C, with money where money moved.
CREATE TABLE ledger_entries (
  id bigserial PRIMARY KEY,
  meter_no text NOT NULL REFERENCES meters (meter_no),
  transaction_id uuid REFERENCES transactions (id),
  kind text NOT NULL CHECK (kind IN ('opening', 'purchase', 'adjustment', 'refund', 'reversal', 'emergency')),
  energy_mwh bigint NOT NULL,
  amount_cents bigint NOT NULL DEFAULT 0,
  credit_limit_after_mwh bigint NOT NULL,
  memo text,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ledger_meter_idx ON ledger_entries (meter_no, id);

CREATE TABLE readings (
  meter_no text NOT NULL REFERENCES meters (meter_no),
  seq bigint NOT NULL,
  energy_mwh bigint NOT NULL,
  power_w integer,
  reported_at timestamptz,
  received_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (meter_no, seq, energy_mwh)
);

CREATE TABLE consumption_hourly (
  meter_no text NOT NULL REFERENCES meters (meter_no),
  hour timestamptz NOT NULL,
  energy_mwh bigint NOT NULL,
  max_power_w integer,
  reports integer NOT NULL,
  PRIMARY KEY (meter_no, hour)
);

CREATE TABLE alerts (
  id bigserial PRIMARY KEY,
  meter_no text NOT NULL REFERENCES meters (meter_no),
  kind text NOT NULL,
  severity text NOT NULL CHECK (severity IN ('info', 'warning', 'critical')),
  message text NOT NULL,
  opened_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  acknowledged_by uuid REFERENCES users (id),
  acknowledged_at timestamptz
);
CREATE UNIQUE INDEX alerts_open_idx ON alerts (meter_no, kind) WHERE closed_at IS NULL;

CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  actor_id uuid,
  actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'system', 'device')),
  action text NOT NULL,
  target text,
  details jsonb,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE FUNCTION forbid_change() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION '% is append-only', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER ledger_append_only BEFORE UPDATE OR DELETE ON ledger_entries
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION forbid_change();
