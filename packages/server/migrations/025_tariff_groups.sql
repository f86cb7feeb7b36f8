-- Issue 17 item 2: tariffs per customer group. Every meter is in one group ('standard' until an
-- operator moves it); a tariff version prices the meters of its group. A group with no version in
-- force pays the 'standard' group's tariff (core's selectGroupTariff).
-- The never-used placeholder of 001 gives way to it.
ALTER TABLE meters DROP COLUMN tariff_id;
ALTER TABLE meters ADD COLUMN tariff_group text NOT NULL DEFAULT 'standard'
  CHECK (tariff_group ~ '^[a-z0-9][a-z0-9-]{0,31}$');
ALTER TABLE tariff_versions ADD COLUMN tariff_group text NOT NULL DEFAULT 'standard'
  CHECK (tariff_group ~ '^[a-z0-9][a-z0-9-]{0,31}$');
-- Two live versions of one group taking effect at the same instant would make the choice arbitrary.
DROP INDEX tariff_versions_live_from_key;
CREATE UNIQUE INDEX tariff_versions_live_from_key ON tariff_versions (tariff_group, effective_from)
  WHERE cancelled_at IS NULL;
CREATE INDEX meters_tariff_group ON meters (tariff_group) WHERE tariff_group <> 'standard';
