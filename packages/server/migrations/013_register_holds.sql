-- Implausible register jumps are held for an operator, not debited (issue 13 finding 4, MQ-13).

-- Server time (ms) at which the applied register last grew, or the meter was registered: the
-- start of the time the next growth is judged against (rated power × elapsed). Existing meters
-- start from their registration, the most lenient choice, so no report is held for the upgrade.
ALTER TABLE meters ADD COLUMN register_at_ms bigint;
UPDATE meters SET register_at_ms = (extract(epoch FROM created_at) * 1000)::bigint;
ALTER TABLE meters ALTER COLUMN register_at_ms SET DEFAULT (extract(epoch FROM now()) * 1000)::bigint;
ALTER TABLE meters ALTER COLUMN register_at_ms SET NOT NULL;
-- The lowest register of the meter's open hold (NULL when none): reports from that level up stay
-- held until an operator decides. Read with the meter row by ingest, so the check costs no round trip.
ALTER TABLE meters ADD COLUMN held_from_mwh bigint;

-- One row per held jump; at most one open ('held') per meter. Registers are in the server's E
-- (epoch-adjusted for legacy meters).
CREATE TABLE register_holds (
  id bigserial PRIMARY KEY,
  meter_no text NOT NULL REFERENCES meters (meter_no),
  status text NOT NULL DEFAULT 'held' CHECK (status IN ('held', 'accepted', 'rebased', 'dismissed')),
  report_kind text NOT NULL CHECK (report_kind IN ('v2', 'legacy')),
  -- the applied register when the hold opened
  base_energy_mwh bigint NOT NULL,
  -- lowest and last received held registers, with what the last one would set
  held_from_mwh bigint NOT NULL,
  latest_energy_mwh bigint NOT NULL,
  latest_epoch_offset_mwh bigint NOT NULL,
  latest_raw_mwh bigint NOT NULL,
  latest_seq bigint NOT NULL,
  reports integer NOT NULL CHECK (reports > 0),
  -- the bound the first held report exceeded, and what it was computed from
  allowed_mwh bigint NOT NULL,
  elapsed_ms bigint NOT NULL,
  rated_power_w integer NOT NULL,
  first_received_ms bigint NOT NULL,
  last_received_ms bigint NOT NULL,
  -- true when the newest report that changed anything was debited from the old register
  -- (the jump was a glitch): then only dismissing fits
  back_on_register boolean NOT NULL DEFAULT false,
  opened_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  resolved_by uuid REFERENCES users (id),
  resolution_reason text,
  -- accepted: the energy debited; rebased: how far E0 and C moved up
  debited_mwh bigint,
  rebased_mwh bigint,
  CHECK ((status = 'held') = (resolved_at IS NULL)),
  CHECK (status = 'held' OR length(btrim(resolution_reason)) > 0)
);
CREATE UNIQUE INDEX register_holds_open_idx ON register_holds (meter_no) WHERE status = 'held';
CREATE INDEX register_holds_meter_idx ON register_holds (meter_no, id DESC);
