import { z } from 'zod';
import { MAX_WIRE_QUANTITY, METER_NO_PATTERN_SOURCE } from './limits';

/** Meter → server and server → meter payloads (docs/design.md §4). Unknown fields are stripped. */

export const MAX_MQTT_PAYLOAD_BYTES = 2048;

const meterNo = z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE));
const kwh = z.number().min(0).max(MAX_WIRE_QUANTITY);
const signedKwh = z.number().min(-MAX_WIRE_QUANTITY).max(MAX_WIRE_QUANTITY);
const MAX_UNIX_SECONDS = 4_102_444_800;
const unixSeconds = z.number().int().min(0).max(MAX_UNIX_SECONDS);
/** 1e11 s is the year 5138; 1e11 ms is 1973: a value above it is milliseconds. */
const MS_THRESHOLD = 100_000_000_000;
/**
 * A meter's timestamp: Unix seconds, or milliseconds as the original firmware sent them (any
 * value past the year 5138 in seconds is read as milliseconds); always seconds once decoded.
 */
const meterTimestamp = z
  .number()
  .int()
  .min(0)
  .max(MAX_UNIX_SECONDS * 1000)
  .transform((t) => (t > MS_THRESHOLD ? Math.floor(t / 1000) : t))
  .refine((t) => t <= MAX_UNIX_SECONDS, 'timestamp out of range');
const optionalReading = z.number().min(-1e7).max(1e7).optional();

export const consumptionV2Schema = z.object({
  v: z.literal(2),
  meterNo,
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  energyTotal: kwh,
  unitsConsumed: kwh.optional(),
  remainingBalance: signedKwh.optional(),
  powerW: optionalReading,
  currentA: optionalReading,
  voltageV: optionalReading,
  relay: z.enum(['on', 'off']).optional(),
  timestamp: meterTimestamp,
});
export type ConsumptionV2 = z.infer<typeof consumptionV2Schema>;

export const consumptionLegacySchema = z.object({
  meterNo,
  unitsConsumed: kwh,
  remainingBalance: signedKwh,
  totalConsumed: kwh,
  timestamp: meterTimestamp,
});
export type ConsumptionLegacy = z.infer<typeof consumptionLegacySchema>;

export const meterStatusValues = ['online', 'offline', 'low_balance', 'error', 'tamper'] as const;
export type MeterStatusValue = (typeof meterStatusValues)[number];

export const statusSchema = z.object({
  meterNo,
  status: z.enum(meterStatusValues),
  message: z.string().max(256).optional(),
  balance: signedKwh.optional(),
  wifi_rssi: z.number().int().min(-150).max(0).optional(),
  fw: z.string().max(32).optional(),
  /** id of the last command the meter applied; lets the server retire persistent commands */
  ack: z.string().max(64).optional(),
  timestamp: meterTimestamp.optional(),
});
export type StatusReport = z.infer<typeof statusSchema>;

/**
 * The meter's own view. The original firmware sends `{meterNo, balance, timestamp}` only;
 * today's adds its credit limit and register.
 */
export const meterBalanceSchema = z.object({
  meterNo,
  balance: signedKwh,
  creditLimit: kwh.optional(),
  energyTotal: kwh.optional(),
  timestamp: meterTimestamp,
});
export type MeterBalanceReport = z.infer<typeof meterBalanceSchema>;

/**
 * `POST /api/meters/:meterNo/balance` from a device: today's report, or the original firmware's
 * `{balance}` (the meter number is the path's; the time is the server's when absent).
 */
export const deviceBalanceBodySchema = meterBalanceSchema.extend({
  meterNo: meterNo.optional(),
  timestamp: meterTimestamp.optional(),
});
export type DeviceBalanceBody = z.infer<typeof deviceBalanceBodySchema>;

/** The original firmware's `POST /api/meters/:meterNo/status`: it is up, with these links. */
export const originalDeviceStatusSchema = z.object({
  load_connected: z.boolean(),
  wifi_status: z.union([z.boolean(), z.string().max(32)]).optional(),
  mqtt_status: z.union([z.boolean(), z.string().max(32)]).optional(),
});
/** `POST /api/meters/:meterNo/status` from a device: today's status report or the original body. */
export const deviceStatusBodySchema = z.union([statusSchema, originalDeviceStatusSchema]);
export type DeviceStatusBody = z.infer<typeof deviceStatusBodySchema>;

export const commandBalanceSchema = z.object({
  balance: signedKwh,
  creditLimit: kwh,
  timestamp: unixSeconds,
});
export type CommandBalance = z.infer<typeof commandBalanceSchema>;

export const commandRelaySchema = z.object({
  action: z.enum(['connect', 'disconnect', 'auto']),
  reason: z.string().max(256),
  timestamp: unixSeconds,
  id: z.string().max(64).optional(),
});
export type CommandRelay = z.infer<typeof commandRelaySchema>;

export const commandConfigSchema = z.object({
  publishIntervalS: z.number().int().min(1).max(86_400),
  lowBalanceKwh: kwh,
  emergencyCreditKwh: kwh,
  maxLoadW: z.number().int().min(0).max(1_000_000).optional(),
  id: z.string().max(64).optional(),
});
export type CommandConfig = z.infer<typeof commandConfigSchema>;

export type DecodedConsumption =
  { kind: 'v2'; report: ConsumptionV2 } | { kind: 'legacy'; report: ConsumptionLegacy };

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const utf8 = new TextDecoder('utf-8', { fatal: true });
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/** Only a payload containing one of these can hold a forbidden key (possibly \u-escaped). */
const MAY_HOLD_FORBIDDEN_KEY = /__proto__|constructor|prototype|\\/;

function refuseForbiddenKeys(key: string, v: unknown): unknown {
  if (FORBIDDEN_KEYS.has(key)) throw new Error('forbidden key');
  return v;
}

/** Parses JSON defensively: size-capped, strict UTF-8, prototype keys refused. */
export function parseJsonPayload(payload: Uint8Array | string): DecodeResult<unknown> {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_MQTT_PAYLOAD_BYTES) return { ok: false, reason: 'oversized' };
  let text: string;
  try {
    text = typeof payload === 'string' ? payload : utf8.decode(payload);
  } catch {
    return { ok: false, reason: 'bad_utf8' };
  }
  let value: unknown;
  try {
    // The reviver costs several times the parse itself; a payload that cannot spell a
    // forbidden key (no such word, no escape) skips it. This is the ingest hot path.
    value = MAY_HOLD_FORBIDDEN_KEY.test(text) ? JSON.parse(text, refuseForbiddenKeys) : JSON.parse(text);
  } catch {
    return { ok: false, reason: 'bad_json' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: 'not_object' };
  }
  return { ok: true, value };
}

export function decodeConsumption(payload: Uint8Array | string): DecodeResult<DecodedConsumption> {
  const json = parseJsonPayload(payload);
  if (!json.ok) return json;
  const obj = json.value as Record<string, unknown>;
  if ('v' in obj || 'energyTotal' in obj) {
    const r = consumptionV2Schema.safeParse(obj);
    return r.success ? { ok: true, value: { kind: 'v2', report: r.data } } : { ok: false, reason: 'schema' };
  }
  const r = consumptionLegacySchema.safeParse(obj);
  return r.success
    ? { ok: true, value: { kind: 'legacy', report: r.data } }
    : { ok: false, reason: 'schema' };
}

export function decodeWith<T>(schema: z.ZodType<T>, payload: Uint8Array | string): DecodeResult<T> {
  const json = parseJsonPayload(payload);
  if (!json.ok) return json;
  const r = schema.safeParse(json.value);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: 'schema' };
}
