-- Issue 18: SMS to customers through a database outbox. A message is queued in the same
-- moment its cause is known (keyed so that the same cause never queues it twice), sent by
-- whichever instance claims it, and kept with its delivery report and cost.
ALTER TABLE users ADD COLUMN sms_opt_out boolean NOT NULL DEFAULT false;

CREATE TABLE sms_outbox (
  id bigserial PRIMARY KEY,
  -- What caused the message, e.g. 'receipt:<transaction id>': one message per cause.
  dedupe_key text NOT NULL UNIQUE,
  user_id uuid REFERENCES users (id),
  meter_no text,
  phone text NOT NULL,
  kind text NOT NULL,
  lang text NOT NULL CHECK (lang IN ('en', 'sw')),
  body text NOT NULL CHECK (length(body) BETWEEN 1 AND 1600),
  parts integer NOT NULL CHECK (parts >= 1),
  -- queued → sending → sent → delivered | failed; 'unknown' when a send may or may not have
  -- reached the gateway (never retried by itself: a retry could send it twice).
  status text NOT NULL DEFAULT 'queued'
    CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'unknown', 'cancelled')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  claimed_at timestamptz,
  message_id text UNIQUE,
  -- The gateway's price, in ten-thousandths of a shilling (it quotes four decimals).
  cost_ten_thousandths bigint CHECK (cost_ten_thousandths >= 0),
  delivery_status text,
  failure_reason text,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  sent_at timestamptz,
  delivered_at timestamptz
);

CREATE INDEX sms_outbox_due ON sms_outbox (next_attempt_at) WHERE status = 'queued';
CREATE INDEX sms_outbox_sending ON sms_outbox (claimed_at) WHERE status = 'sending';
CREATE INDEX sms_outbox_user ON sms_outbox (user_id, created_at DESC);
