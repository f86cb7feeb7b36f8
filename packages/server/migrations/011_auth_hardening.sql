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

-- Self-registration waits here until the code sent to the address comes back (finding 12):
-- no account exists before that, so sign-in and registration answer alike for every address.
CREATE TABLE pending_registrations (
  email text PRIMARY KEY,
  name text NOT NULL,
  phone text NOT NULL,
  password_hash text NOT NULL,
  code_hash text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
