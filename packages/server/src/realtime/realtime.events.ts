import {
  billGeneratedSchema,
  balanceInsufficientSchema,
  balanceUpdatedSchema,
  centsToKes,
  meterSnapshotSchema,
  meterStatusEventSchema,
  mwhToKwh,
  notificationSchema,
  paymentFailedSchema,
  paymentSuccessSchema,
  transactionCompletedSchema,
  transactionFailedSchema,
  topupUpdatedSchema,
  type BalanceUpdated,
  type TopupUpdated,
  type BillGenerated,
  type MeterSnapshot,
  type TransactionType,
} from '@umeme/protocol';
import type { z } from 'zod';
import type {
  AlertChanged,
  DomainEvents,
  MeterChanged,
  PaymentFailed,
  TopupProcessed,
} from '../shared/events';
import { decideSupply, supplyInputsOf, type SupplyRow } from '../meters/supply';

/**
 * Domain events (mWh, cents) to Socket.IO payloads (kWh, KES): the one place the realtime
 * edge converts units. Every payload is parsed by its protocol schema, which also drops any
 * field the schema does not name.
 */

export const ADMINS_ROOM = 'admins';
export const userRoom = (userId: string): string => `user:${userId}`;
export const METER_ROOM_PREFIX = 'meter:';
export const meterRoom = (meterNo: string): string => `${METER_ROOM_PREFIX}${meterNo}`;

/** Who hears about a meter: whoever watches it and its owner's sockets. */
export function meterRooms(meterNo: string, userId: string | null): string[] {
  return userId === null ? [meterRoom(meterNo)] : [meterRoom(meterNo), userRoom(userId)];
}

/** Credits that are money paid by the customer, as opposed to adjustments and openings. */
const PAYMENT_TYPES: ReadonlySet<TransactionType> = new Set<TransactionType>([
  'payment',
  'paybill',
  'topup',
  'simulate',
]);

export function isPayment(c: MeterChanged): boolean {
  return PAYMENT_TYPES.has(c.cause) && c.transactionId !== undefined && (c.amountCents ?? 0) > 0;
}

export function crossedZero(c: MeterChanged): boolean {
  return c.previousBalanceMwh > 0 && c.balanceMwh <= 0;
}

/** `friendlyHours`: whether friendly hours are on now, for the server's relay decision. */
export function balanceUpdatedFrom(c: MeterChanged, friendlyHours = false): BalanceUpdated {
  return balanceUpdatedSchema.parse({
    meterNo: c.meterNo,
    seq: c.eventSeq,
    newBalance: mwhToKwh(c.balanceMwh),
    previousBalance: mwhToKwh(c.previousBalanceMwh),
    transactionId: c.transactionId,
    transactionType: c.cause,
    amount: c.amountCents === undefined ? undefined : centsToKes(c.amountCents),
    timestamp: c.at,
    energyTotal: mwhToKwh(c.energyMwh),
    powerW: c.powerW,
    creditLimit: mwhToKwh(c.creditLimitMwh),
    relay: c.relay,
    status: c.status,
    lastSeen: c.lastSeen,
    supply: c.supply === undefined ? undefined : decideSupply(c, c.supply, friendlyHours),
  });
}

/** Several coalesced updates of one meter: the newest state, spanning all their changes. */
export function mergeBalanceUpdates(waiting: BalanceUpdated, incoming: BalanceUpdated): BalanceUpdated {
  const [older, newer] = incoming.seq >= waiting.seq ? [waiting, incoming] : [incoming, waiting];
  return {
    ...newer,
    fromSeq: Math.min(older.fromSeq ?? older.seq, newer.fromSeq ?? newer.seq),
    previousBalance: older.previousBalance,
  };
}

export function transactionCompletedFrom(c: MeterChanged): z.infer<typeof transactionCompletedSchema> | null {
  if (c.transactionId === undefined) return null;
  return transactionCompletedSchema.parse({
    meterNo: c.meterNo,
    seq: c.eventSeq,
    timestamp: c.at,
    transactionId: c.transactionId,
    transactionType: c.cause,
    amount: centsToKes(c.amountCents ?? 0),
    energyKwh: mwhToKwh(c.energyDeltaMwh ?? 0),
  });
}

export function paymentSuccessFrom(c: MeterChanged): z.infer<typeof paymentSuccessSchema> | null {
  if (!isPayment(c)) return null;
  return paymentSuccessSchema.parse({
    transactionId: c.transactionId,
    amount: centsToKes(c.amountCents ?? 0),
    meterNo: c.meterNo,
    seq: c.eventSeq,
    energyKwh: mwhToKwh(c.energyDeltaMwh ?? 0),
    balance: mwhToKwh(c.balanceMwh),
  });
}

/**
 * A payment that ended without money. No transaction exists, so `transactionId` carries the
 * payment intent's id: the one the client got from `POST /daraja/stkpush`.
 */
export function paymentFailedFrom(e: PaymentFailed): z.infer<typeof paymentFailedSchema> {
  return paymentFailedSchema.parse({ reason: e.reason, transactionId: e.intentId, meterNo: e.meterNo });
}

/** The original clients' `transaction_failed`, sent beside `payment_failed`. */
export function transactionFailedFrom(e: PaymentFailed): z.infer<typeof transactionFailedSchema> {
  return transactionFailedSchema.parse({
    meterNo: e.meterNo,
    timestamp: Date.now(),
    transactionId: e.intentId,
    reason: e.reason,
  });
}

/** `bill_generated` with the original clients' `billId`, `amount` and `utility`. */
export function billGeneratedFrom(b: {
  userId: string;
  period: string;
  url: string;
  amountCents: number;
}): BillGenerated {
  return billGeneratedSchema.parse({
    billId: `${b.userId}:${b.period}`,
    amount: centsToKes(b.amountCents),
    utility: 'electricity',
    userId: b.userId,
    period: b.period,
    url: b.url,
  });
}

/** The customer's news of their decided top-up request. */
export function topupUpdatedFrom(e: TopupProcessed): TopupUpdated {
  return topupUpdatedSchema.parse({
    id: e.topupId,
    meterNo: e.meterNo,
    status: e.status,
    amount: centsToKes(e.amountCents),
    reason: e.notes,
    transactionId: e.transactionId,
    timestamp: Date.now(),
  });
}

export function balanceInsufficientFrom(c: MeterChanged): z.infer<typeof balanceInsufficientSchema> {
  return balanceInsufficientSchema.parse({
    meterNo: c.meterNo,
    seq: c.eventSeq,
    timestamp: c.at,
    balance: mwhToKwh(c.balanceMwh),
  });
}

export function meterStatusFrom(e: DomainEvents['meter_status'][0]): z.infer<typeof meterStatusEventSchema> {
  return meterStatusEventSchema.parse({
    meterNo: e.meterNo,
    seq: e.eventSeq,
    timestamp: e.at,
    status: e.status,
    relay: e.relay,
    lastSeen: e.lastSeen,
  });
}

interface NotificationOut {
  payload: z.infer<typeof notificationSchema>;
  /** false: operators only (the customer can do nothing about it) */
  toOwner: boolean;
}

/** Alerts that concern the customer reach them; the rest reach operators only. */
export function notificationFrom(a: AlertChanged): NotificationOut | null {
  const type = a.severity === 'critical' ? 'error' : a.severity;
  const base = { meterNo: a.meterNo, message: a.message };
  switch (a.kind) {
    case 'low_balance':
      return a.open ? out({ ...base, type, kind: 'low_balance', title: 'Low balance' }, true) : null;
    case 'zero_balance':
      return a.open ? out({ ...base, type, kind: 'zero_balance', title: 'Credit exhausted' }, true) : null;
    case 'predicted_low':
      return a.open
        ? out(
            {
              ...base,
              type,
              kind: 'predicted_low',
              title: 'Credit running out soon',
              ...(a.hoursLeft === undefined ? {} : { hoursLeft: a.hoursLeft }),
            },
            true,
          )
        : null;
    case 'connection_lost':
      return a.open
        ? out({ ...base, type, kind: 'connection_lost', title: 'Meter offline' }, true)
        : out(
            {
              ...base,
              type: 'success',
              kind: 'connection_restored',
              title: 'Meter back online',
              message: 'The meter is online again.',
            },
            true,
          );
    case 'balance_mismatch':
      return a.open
        ? out({ ...base, type, kind: 'balance_mismatch', title: 'Balance mismatch' }, false)
        : null;
    default:
      return a.open ? out({ ...base, type, title: 'Alert' }, false) : null;
  }
}

function out(payload: unknown, toOwner: boolean): NotificationOut {
  return { payload: notificationSchema.parse(payload), toOwner };
}

export interface SnapshotRow {
  meter_no: string;
  credit_limit_mwh: number;
  energy_mwh: number;
  relay: 'on' | 'off';
  status: string;
  last_seen: Date | string | null;
  power_w: number | null;
  event_seq: number;
}

export function snapshotFrom(r: SnapshotRow & SupplyRow, friendlyHours = false): MeterSnapshot {
  return meterSnapshotSchema.parse({
    meterNo: r.meter_no,
    balance: mwhToKwh(r.credit_limit_mwh - r.energy_mwh),
    creditLimit: mwhToKwh(r.credit_limit_mwh),
    energyTotal: mwhToKwh(r.energy_mwh),
    relay: r.relay,
    status: r.status,
    lastSeen: r.last_seen === null ? null : new Date(r.last_seen).getTime(),
    powerW: r.power_w,
    seq: r.event_seq,
    supply: decideSupply(
      { creditLimitMwh: r.credit_limit_mwh, energyMwh: r.energy_mwh },
      supplyInputsOf(r),
      friendlyHours,
    ),
  });
}
