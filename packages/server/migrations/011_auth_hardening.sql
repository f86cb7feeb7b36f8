-- Issue 13, findings 5, 6 and 12: sessions tied to a living account, per-account login
-- back-off, and self-registration that needs a code delivered out of band.

-- A token names the user's token_version (claim `tv`); bumping it ends every session.
ALTER TABLE users ADD COLUMN token_version integer NOT NULL DEFAULT 0;
-- A disabled account cannot sign in, and its sessions end.
ALTER TABLE users ADD COLUMN disabled_at timestamptz;
