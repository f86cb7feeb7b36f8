-- Issue 18 §4: web push. One row per browser a customer opted in from: the endpoint its push
-- service gave it and the keys to encrypt for it. A push service answering 404 or 410 for an
-- endpoint means the subscription is gone: the row is deleted.
CREATE TABLE push_subscriptions (
  id bigserial PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  endpoint text NOT NULL UNIQUE CHECK (length(endpoint) BETWEEN 1 AND 1024),
  p256dh text NOT NULL CHECK (length(p256dh) BETWEEN 1 AND 200),
  auth text NOT NULL CHECK (length(auth) BETWEEN 1 AND 100),
  -- the dashboard's language when the customer opted in
  lang text NOT NULL DEFAULT 'en' CHECK (lang IN ('en', 'sw')),
  -- the kinds of notice this browser wants (receipt, low_balance, supply_cut, …)
  kinds text[] NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_sent_at timestamptz,
  failures integer NOT NULL DEFAULT 0
);

CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);
