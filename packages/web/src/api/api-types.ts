/**
 * Shapes of the HTTP API (docs/design.md §6) as the web app uses them, and tolerant readers for the
 * consumption and transaction answers: those routes were written alongside this app, so the
 * readers accept the field names the server may reasonably choose and skip what they cannot read.
 */

export interface ApiUser {
  id: string;
  name: string;
  email: string;
  phone: string | null;
  role: 'customer' | 'admin';
  locale: string;
}

export interface AuthAnswer {
  token: string;
  user: ApiUser;
}

export interface ApiMeter {
  meterNo: string;
  ownerName: string | null;
  balanceKwh: number;
  creditLimitKwh: number;
  energyTotalKwh: number;
  relay: 'on' | 'off';
  status: string;
  lastSeen: string | null;
  powerW: number | null;
  seq: number;
  lowBalanceKwh: number;
}

export interface MeterList {
  meters: ApiMeter[];
  next: string | null;
}

export type IntentStatus = 'pending' | 'succeeded' | 'failed' | 'expired' | 'unknown';

/** `POST /daraja/stkpush` (202). */
export interface StkPushAnswer {
  intentId: string;
  checkoutRequestId: string | null;
  status: IntentStatus;
  customerMessage: string;
}

/** `GET /daraja/intents/:id`. */
export interface PaymentIntent {
  intentId: string;
  meterNo: string;
  status: IntentStatus;
  /** readable, for the customer; null while pending or after success */
  reason: string | null;
  resultCode: number | null;
  amountKes: number;
  amountCents: number;
  /** masked */
  phone: string;
  checkoutRequestId: string | null;
  /** the M-Pesa receipt number; null until the callback brought it */
  receipt: string | null;
  transactionId: string | null;
  energyKwh: number | null;
  createdAt: string;
  resolvedAt: string | null;
}

/** `GET /api/config` (public). */
export interface PublicConfig {
  mode: 'demo' | 'staging' | 'production' | 'development';
  /** the demo: the demo top-up and the emulator's virtual phone */
  demo: boolean;
  /** payments go to the built-in Daraja emulator: every page shows a banner */
  paymentsEmulator: boolean;
  virtualPhoneUrl: string | null;
  /** friendly hours: the load is not cut now, and what is used is repaid from the next purchase */
  friendlyHours?: { active: boolean; until: string | null; untilLocalTime: string | null };
  /** the largest STK push the server takes, whole KES (`STK_PUSH_MAX_KES`) */
  stkMaxKes?: number | null;
}

export type Bucket = 'hour' | 'day';

export interface ConsumptionPoint {
  startMs: number;
  kwh: number;
}

export interface TransactionItem {
  id: string;
  type: string;
  status: string;
  amountKes: number | null;
  energyKwh: number | null;
  atMs: number;
}

type Json = Record<string, unknown>;

function isObject(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function firstNumber(o: Json, keys: readonly string[], scale: Record<string, number> = {}): number | null {
  for (const key of keys) {
    const v = o[key];
    const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
    if (typeof n === 'number' && Number.isFinite(n)) return n / (scale[key] ?? 1);
  }
  return null;
}

function firstTimeMs(o: Json, keys: readonly string[]): number | null {
  for (const key of keys) {
    const v = o[key];
    if (typeof v === 'string') {
      const ms = Date.parse(v);
      if (!Number.isNaN(ms)) return ms;
    }
    if (typeof v === 'number' && Number.isFinite(v)) return v < 1e11 ? v * 1000 : v;
  }
  return null;
}

/** The list inside an answer: the answer itself, or its first array under a likely name. */
function listIn(body: unknown, names: readonly string[]): unknown[] {
  if (Array.isArray(body)) return body;
  if (!isObject(body)) return [];
  for (const name of names) {
    const v = body[name];
    if (Array.isArray(v)) return v;
  }
  return [];
}

const MWH_PER_KWH = 1_000_000;
const CENTS_PER_KES = 100;

export function readConsumption(body: unknown): ConsumptionPoint[] {
  const points: ConsumptionPoint[] = [];
  for (const item of listIn(body, ['points', 'series', 'buckets', 'consumption', 'data', 'items'])) {
    if (!isObject(item)) continue;
    const startMs = firstTimeMs(item, [
      'start',
      'from',
      't',
      'time',
      'bucket',
      'hour',
      'day',
      'timestamp',
      'at',
    ]);
    const kwh = firstNumber(
      item,
      ['kwh', 'energyKwh', 'consumedKwh', 'consumptionKwh', 'valueKwh', 'energyMwh'],
      {
        energyMwh: MWH_PER_KWH,
      },
    );
    if (startMs === null || kwh === null) continue;
    points.push({ startMs, kwh });
  }
  return points;
}

export interface TransactionPage {
  items: TransactionItem[];
  next: string | null;
}

export function readTransactions(body: unknown): TransactionPage {
  const items: TransactionItem[] = [];
  for (const item of listIn(body, ['transactions', 'items', 'data'])) {
    if (!isObject(item)) continue;
    const id = item.id ?? item.transactionId;
    const atMs = firstTimeMs(item, ['createdAt', 'completedAt', 'created_at', 'at', 'timestamp']);
    if (typeof id !== 'string' || atMs === null) continue;
    items.push({
      id,
      type: typeof item.type === 'string' ? item.type : 'payment',
      status: typeof item.status === 'string' ? item.status : 'completed',
      amountKes: firstNumber(item, ['amountKes', 'amount', 'amountCents'], { amountCents: CENTS_PER_KES }),
      energyKwh: firstNumber(item, ['energyKwh', 'kwh', 'energyMwh'], { energyMwh: MWH_PER_KWH }),
      atMs,
    });
  }
  const next = isObject(body) && typeof body.next === 'string' ? body.next : null;
  return { items, next };
}
