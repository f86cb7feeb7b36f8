-- The operator's word on a meter's relay, kept on the meter so every path that reads the meter
-- (a credit, a consumption report, the dashboard's HTTP answer) can apply the server's relay
-- decision (core relayDecision) without looking up commands: 'auto' follows the credit,
-- 'connect' and 'disconnect' are an operator's override, with the reason the customer is shown.
ALTER TABLE meters ADD COLUMN relay_override text NOT NULL DEFAULT 'auto'
  CHECK (relay_override IN ('auto', 'connect', 'disconnect'));
ALTER TABLE meters ADD COLUMN relay_override_reason text;

-- Meters an operator already commanded: their newest operator relay command is in force.
UPDATE meters m SET relay_override = c.action, relay_override_reason = c.reason
  FROM (
    SELECT DISTINCT ON (meter_no) meter_no, payload->>'action' AS action, reason
      FROM meter_commands
     WHERE kind = 'relay' AND created_by IS NOT NULL AND payload->>'action' IN ('auto', 'connect', 'disconnect')
     ORDER BY meter_no, created_at DESC
  ) c
 WHERE c.meter_no = m.meter_no;
UPDATE meters SET relay_override_reason = NULL WHERE relay_override = 'auto';
