-- Issue 17 item 2: tariffs an operator can set. Each row is one version of the tariff, in core's
-- structure (packages/core/src/tariff.ts, checked with validateTariff before insert), in force from
-- effective_from until the next version's. Rows are never updated except to cancel a version that
-- is not yet in force; none is deleted. With no version in force the flat rate from configuration
-- (TARIFF_KES_PER_KWH) prices.
CREATE TABLE tariff_versions (
  id bigserial PRIMARY KEY,
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 80),
  tariff jsonb NOT NULL,
  effective_from timestamptz NOT NULL,
  created_by uuid REFERENCES users(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  cancelled_at timestamptz,
  cancelled_by uuid REFERENCES users(id),
  -- never retroactive: a version takes effect no earlier than it was written
  CHECK (effective_from >= created_at - interval '1 second'),
  CHECK (cancelled_at IS NULL OR cancelled_at < effective_from)
);
-- Two live versions taking effect at the same instant would make the choice arbitrary.
CREATE UNIQUE INDEX tariff_versions_live_from_key ON tariff_versions (effective_from) WHERE cancelled_at IS NULL;
