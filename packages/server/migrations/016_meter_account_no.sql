-- Issue 17: meter numbers longer than M-Pesa's 12-character AccountReference (the original
-- schema's own example, METER_12345678, has 14). Each meter has a paybill account number of at
-- most 12 characters: NULL means the meter number itself (it fits); otherwise one is generated
-- at registration. Paybill (BillRefNumber) and STK push (AccountReference) use it.
ALTER TABLE meters ADD COLUMN account_no text CHECK (account_no ~ '^[A-Za-z0-9]{1,12}$');
CREATE UNIQUE INDEX meters_account_no_key ON meters (account_no) WHERE account_no IS NOT NULL;
CREATE INDEX meters_paybill_account_idx ON meters (upper(COALESCE(account_no, meter_no)));

-- The meter's own balance reports (MQTT `balance`, HTTP device route): when the last one came.
ALTER TABLE meters ADD COLUMN meter_balance_at timestamptz;
