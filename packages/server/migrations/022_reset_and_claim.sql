-- Issue 17, item 4: customers reset a forgotten password with a code sent out of band, and add
-- a meter to their account with a claim code. Codes are kept only as hashes.

-- One live reset code per account; a new request replaces it. Like pending_registrations
-- (migration 011): a code dies after its expiry or a few wrong tries.
CREATE TABLE password_resets (
  user_id uuid PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
  code_hash text NOT NULL,
  attempts integer NOT NULL DEFAULT 0,
  expires_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- A meter's claim code (printed on its label or issued by an operator), hashed; NULL when none
-- is live. Used up by a successful claim.
ALTER TABLE meters ADD COLUMN claim_code_hash text;
ALTER TABLE meters ADD COLUMN claim_code_issued_at timestamptz;

-- Wrong claim codes, counted in a fixed window per key ('account:<user id>' and
-- 'meter:<account number as typed, upper case>'), shared by every instance.
CREATE TABLE claim_failures (
  key text PRIMARY KEY,
  failures integer NOT NULL,
  window_started_at timestamptz NOT NULL DEFAULT now()
);
