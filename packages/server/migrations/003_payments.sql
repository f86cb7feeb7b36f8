-- Payments (design §7): STK push intents, every Daraja callback as received, paybill (C2B)
-- payments and manual top-up requests. Money in integer cents (bigint, *_cents).

-- One row per STK push we asked for. The row is written before the push, so a retried request
-- with the same Idempotency-Key finds it and waits for the first request's answer.
CREATE TABLE payment_intents (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  meter_no text NOT NULL REFERENCES meters (meter_no),
  phone text NOT NULL,
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  status text NOT NULL DEFAULT 'pending'
    CHECK (status IN ('pending', 'succeeded', 'failed', 'expired', 'unknown')),
  checkout_request_id text UNIQUE,
  merchant_request_id text,
  mpesa_receipt text UNIQUE,
  result_code integer,
  reason text,
  transaction_id uuid REFERENCES transactions (id),
  idempotency_key text,
  request_hash text NOT NULL,
  -- the answer given to the first request, replayed verbatim to retries with the same key
  response_status integer,
  response_body jsonb,
  -- reconciliation lease: while in the future, no other instance queries this intent
  next_check_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  resolved_at timestamptz,
  UNIQUE (user_id, idempotency_key)
);
CREATE INDEX payment_intents_pending_idx ON payment_intents (created_at) WHERE status = 'pending';
CREATE INDEX payment_intents_phone_idx ON payment_intents (phone, created_at);
CREATE INDEX payment_intents_meter_idx ON payment_intents (meter_no, created_at);
CREATE INDEX payment_intents_user_idx ON payment_intents (user_id, created_at DESC);

-- Every well-formed callback, written before it is answered. outcome NULL: not yet settled
-- (a crash after persisting, or a success that STK Query could not confirm yet).
CREATE TABLE daraja_callbacks (
  id bigserial PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('stk', 'c2b_confirmation')),
  checkout_request_id text,
  trans_id text,
  result_code integer,
  body jsonb NOT NULL,
  remote_addr text,
  outcome text CHECK (outcome IN ('applied', 'duplicate', 'orphan', 'failed', 'mismatch', 'forged')),
  detail text,
  received_at timestamptz NOT NULL DEFAULT now(),
  processed_at timestamptz
);
CREATE INDEX daraja_callbacks_checkout_idx ON daraja_callbacks (checkout_request_id);
CREATE INDEX daraja_callbacks_unsettled_idx ON daraja_callbacks (received_at) WHERE outcome IS NULL;

-- Paybill payments, one per M-Pesa TransID. 'unmatched': money received for an account
-- number that is no meter of ours (validation was bypassed); an operator settles it.
CREATE TABLE c2b_payments (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  trans_id text NOT NULL UNIQUE,
  bill_ref text NOT NULL,
  meter_no text REFERENCES meters (meter_no),
  msisdn text,
  amount_cents bigint NOT NULL CHECK (amount_cents >= 0),
  status text NOT NULL CHECK (status IN ('credited', 'unmatched')),
  transaction_id uuid REFERENCES transactions (id),
  body jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Manual channels (cash at an agent, bank transfer): a customer asks, an admin decides.
CREATE TABLE topup_requests (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES users (id),
  meter_no text NOT NULL REFERENCES meters (meter_no),
  amount_cents bigint NOT NULL CHECK (amount_cents > 0),
  channel text NOT NULL,
  reference text,
  status text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
  admin_notes text,
  processed_by uuid REFERENCES users (id),
  processed_at timestamptz,
  transaction_id uuid REFERENCES transactions (id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX topup_requests_status_idx ON topup_requests (status, created_at DESC);
CREATE INDEX topup_requests_user_idx ON topup_requests (user_id, created_at DESC);

-- Paybill account numbers are typed by people: the meter is found case-insensitively.
CREATE INDEX meters_meter_no_upper_idx ON meters (upper(meter_no));
