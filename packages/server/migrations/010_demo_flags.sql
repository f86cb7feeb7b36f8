-- Modes that fail closed (issue 12). The demo's accounts and its money are marked, so that
-- outside the demo its accounts cannot sign in and its top-ups never count as revenue.

-- Created by the demo, with a well-known password. Only such accounts ever get the demo's
-- password; outside demo mode they cannot sign in.
ALTER TABLE users ADD COLUMN demo boolean NOT NULL DEFAULT false;

-- Demo money: a credit made by POST /daraja/simulate (source 'simulate'), also when an operator
-- later moves it to another meter (the move keeps the source). Derived, so no write path can
-- forget it; reports and statements leave these rows out of money and sales.
ALTER TABLE transactions ADD COLUMN demo boolean GENERATED ALWAYS AS (source = 'simulate') STORED;
