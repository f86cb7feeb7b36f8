/**
 * Whether a meter counts as online, from the status the server keeps for it: the meter's own
 * MQTT status (`online`, `low_balance`, `error`, `tamper` are all a meter that is talking;
 * `offline` is its Last Will or the server's connection sweep) or `never_seen` before its first
 * message. The server, the dashboard and the operator console all ask this one rule. It lives in
 * protocol, not core, because the web app may import only protocol.
 */
export const OFFLINE_METER_STATUSES: readonly string[] = ['offline', 'never_seen'];

export function isOnlineStatus(status: string): boolean {
  return !OFFLINE_METER_STATUSES.includes(status);
}
