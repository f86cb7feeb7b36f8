import { METER_NO_PATTERN_SOURCE } from './limits';

/** MQTT topic layout (docs/design.md §4): `smartmeter/{meterNo}/...`. */

export const TOPIC_ROOT = 'smartmeter';
export const SHARED_GROUP = 'umeme';

/** Meter numbers: letters, digits, dash and underscore, 1–32 characters; no MQTT wildcards. Payments use the meter's account number (at most 12). */
export const METER_NO_PATTERN = new RegExp(METER_NO_PATTERN_SOURCE);

export type MeterTopicKind = 'consumption' | 'status' | 'balance';
export type CommandKind = 'balance' | 'relay' | 'config';

export const meterTopic = (meterNo: string, kind: MeterTopicKind): string =>
  `${TOPIC_ROOT}/${meterNo}/${kind}`;
export const commandTopic = (meterNo: string, kind: CommandKind): string =>
  `${TOPIC_ROOT}/${meterNo}/command/${kind}`;

/** Subscriptions the server uses; with an external broker ingest is shared between instances. */
export const serverSubscriptions = (shared: boolean, group: string = SHARED_GROUP): string[] => {
  const prefix = shared ? `$share/${group}/` : '';
  return [
    `${prefix}${TOPIC_ROOT}/+/consumption`,
    `${prefix}${TOPIC_ROOT}/+/balance`,
    // status is not shared: every instance tracks presence for its own sockets
    `${TOPIC_ROOT}/+/status`,
  ];
};

export interface ParsedTopic {
  meterNo: string;
  kind: MeterTopicKind;
}

/** Parses a meter → server topic; anything else returns null. */
export function parseMeterTopic(topic: string): ParsedTopic | null {
  const parts = topic.split('/');
  if (parts.length !== 3 || parts[0] !== TOPIC_ROOT) return null;
  const meterNo = parts[1] ?? '';
  const kind = parts[2];
  if (!METER_NO_PATTERN.test(meterNo)) return null;
  if (kind !== 'consumption' && kind !== 'status' && kind !== 'balance') return null;
  return { meterNo, kind };
}

/** True when a meter may publish on `topic`: only its own report topics. */
export function meterMayPublish(meterNo: string, topic: string): boolean {
  const parsed = parseMeterTopic(topic);
  return parsed !== null && parsed.meterNo === meterNo;
}

/** True when a meter may subscribe to `filter`: only its own command topics, wildcards within them. */
export function meterMaySubscribe(meterNo: string, filter: string): boolean {
  const own = `${TOPIC_ROOT}/${meterNo}/command/`;
  if (!filter.startsWith(own)) return false;
  const rest = filter.slice(own.length);
  return rest === '#' || rest === '+' || rest === 'balance' || rest === 'relay' || rest === 'config';
}
