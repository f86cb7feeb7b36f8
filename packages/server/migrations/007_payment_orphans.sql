-- Orphan review (issue 4): a callback whose CheckoutRequestID matches no intent is kept as an
-- orphan; an operator assigns it to a meter (credited once, by its M-Pesa receipt) or dismisses
-- it, with a reason. Both are audited; the row remembers the decision.
ALTER TABLE daraja_callbacks ADD COLUMN resolution text CHECK (resolution IN ('assigned', 'dismissed'));
ALTER TABLE daraja_callbacks ADD COLUMN resolved_by uuid REFERENCES users (id);
ALTER TABLE daraja_callbacks ADD COLUMN resolved_at timestamptz;
ALTER TABLE daraja_callbacks ADD COLUMN resolution_reason text;
ALTER TABLE daraja_callbacks ADD COLUMN resolved_meter_no text REFERENCES meters (meter_no);
ALTER TABLE daraja_callbacks ADD COLUMN transaction_id uuid REFERENCES transactions (id);
-- The review list, newest first.
CREATE INDEX daraja_callbacks_orphans_idx ON daraja_callbacks (id DESC) WHERE outcome = 'orphan';
