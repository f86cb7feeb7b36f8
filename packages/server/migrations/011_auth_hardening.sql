-- Issue 13, findings 5, 6 and 12: sessions tied to a living account, per-account login
-- back-off, and self-registration that needs a code delivered out of band.

-- A token names the user's token_version (claim `tv`); bumping it ends every session.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
-- A disabled account cannot sign in, and its sessions end.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;

-- Per-account sign-in back-off (SEC-10), shared by every instance. Keyed by the email as
-- typed, so an unknown address is throttled exactly like a real one.
CREATE TABLE login_backoff (
  email text PRIMARY KEY,
  failures integer NOT NULL,
  blocked_until timestamptz,
  updated_at timestamptz NOT NULL DEFAULT now()
);
