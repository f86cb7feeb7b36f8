-- A delivery report can reach us before the sending instance has stored the message id the
-- gateway answered with (the report is a separate HTTP call, and the send's own UPDATE may wait
-- for a busy pool). Such a report is held here and applied the moment the id is stored, so no
-- report is lost however slow that store is. Held reports whose message never shows up (a send
-- whose answer was lost, an 'unknown' row) are dropped after a day.
CREATE TABLE sms_early_reports (
  message_id text PRIMARY KEY,
  status text NOT NULL,
  failure_reason text,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX sms_early_reports_age ON sms_early_reports (received_at);
