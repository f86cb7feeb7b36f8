import { z } from 'zod';

/**
 * Socket.IO namespace `/balance` events (docs/design.md §5). Energy values are kWh and money KES on
 * the wire; `timestamp` and `lastSeen` are Unix milliseconds. Every meter event carries `seq`,
 * the meter's event sequence number, so a client that sees a gap refetches over HTTP.
 *
 * Consumption updates are coalesced (at most one per meter per second): such a
 * `balance_updated` stands for every change from `fromSeq` to `seq`, so a client that holds
 * seq N has missed something only when `fromSeq ?? seq` is above N + 1. Events with a seq at or
 * below the one a client holds carry no newer state.
 */

export const SOCKET_NAMESPACE = '/balance';

export const transactionTypes = [
  'payment',
  'paybill',
  'topup',
  'simulate',
  'adjustment',
  'refund',
  'consumption',
  'opening',
] as const;
export type TransactionType = (typeof transactionTypes)[number];

const meterEvent = {
  meterNo: z.string(),
  seq: z.number().int().min(0),
  timestamp: z.number(),
};

/**
 * The server's own relay decision (core `relayDecision`) as the dashboard shows it: made from
 * the credit, the emergency allowance, the operator's override and friendly hours, so supply
 * changes on screen the moment a payment commits, and a meter that never reports its relay
 * (the legacy payload) is shown by it. `operatorReason`: why an operator forced the relay.
 * `debt`: KES of an emergency advance the next purchase repays first.
 */
export const supplyReasons = [
  'override_connect',
  'override_disconnect',
  'credit',
  'emergency_credit',
  'friendly_hours',
  'no_credit',
] as const;
export const supplyDecisionSchema = z.object({
  relay: z.enum(['on', 'off']),
  reason: z.enum(supplyReasons),
  operatorReason: z.string().nullable(),
  debt: z.number(),
});
export type SupplyDecision = z.infer<typeof supplyDecisionSchema>;

export const meterSnapshotSchema = z.object({
  meterNo: z.string(),
  balance: z.number(),
  creditLimit: z.number(),
  energyTotal: z.number(),
  relay: z.enum(['on', 'off']),
  status: z.string(),
  lastSeen: z.number().nullable(),
  powerW: z.number().nullable(),
  seq: z.number().int().min(0),
  supply: supplyDecisionSchema.optional(),
});
export type MeterSnapshot = z.infer<typeof meterSnapshotSchema>;

export const balanceInitialSchema = z.object({
  meters: z.array(meterSnapshotSchema),
  timestamp: z.number(),
  /** the original clients' fields, for a customer with exactly one meter: its balance (kWh) */
  balance: z.number().optional(),
  meterNo: z.string().optional(),
});
export type BalanceInitial = z.infer<typeof balanceInitialSchema>;

export const balanceUpdatedSchema = z.object({
  ...meterEvent,
  /** the first change this update covers when several were coalesced; absent means `seq` */
  fromSeq: z.number().int().min(0).optional(),
  newBalance: z.number(),
  previousBalance: z.number(),
  transactionId: z.string().optional(),
  transactionType: z.enum(transactionTypes),
  amount: z.number().optional(),
  energyTotal: z.number().optional(),
  powerW: z.number().nullable().optional(),
  creditLimit: z.number().optional(),
  relay: z.enum(['on', 'off']).optional(),
  status: z.string().optional(),
  lastSeen: z.number().nullable().optional(),
  supply: supplyDecisionSchema.optional(),
});
export type BalanceUpdated = z.infer<typeof balanceUpdatedSchema>;

export const transactionCompletedSchema = z.object({
  ...meterEvent,
  transactionId: z.string(),
  transactionType: z.enum(transactionTypes),
  amount: z.number(),
  energyKwh: z.number(),
});

/** A purchase that failed (the original clients' event; `payment_failed` says the same). */
export const transactionFailedSchema = z.object({
  meterNo: z.string(),
  timestamp: z.number(),
  /** a failure changes no meter state, so it carries no sequence number of its own */
  seq: z.number().int().min(0).optional(),
  transactionId: z.string(),
  reason: z.string(),
});

export const paymentSuccessSchema = z.object({
  transactionId: z.string(),
  amount: z.number(),
  meterNo: z.string().optional(),
  seq: z.number().int().optional(),
  energyKwh: z.number().optional(),
  balance: z.number().optional(),
});
export const paymentFailedSchema = z.object({
  reason: z.string(),
  transactionId: z.string(),
  meterNo: z.string().optional(),
});

export const balanceInsufficientSchema = z.object({
  ...meterEvent,
  balance: z.number(),
});

export const meterStatusEventSchema = z.object({
  ...meterEvent,
  status: z.string(),
  relay: z.enum(['on', 'off']).optional(),
  lastSeen: z.number().nullable(),
});

export const notificationKinds = [
  'low_balance',
  'zero_balance',
  'connection_lost',
  'connection_restored',
  'balance_mismatch',
  /** credit will run out within hours at the recent rate of use */
  'predicted_low',
  /** admins only: an operator acknowledged an alert (other consoles refresh their list) */
  'alert_acknowledged',
  /** admins only: an M-Pesa payment matched no purchase request and waits for review */
  'payment_orphan',
  /** admins only: an operator assigned or dismissed such a payment */
  'payment_orphan_resolved',
  /** admins only: a customer asked for a manual top-up (the Top-ups queue refreshes) */
  'topup_requested',
  /** admins only: an operator approved or rejected a top-up request */
  'topup_processed',
] as const;

export const notificationSchema = z.object({
  type: z.enum(['info', 'warning', 'error', 'success']),
  title: z.string(),
  message: z.string(),
  meterNo: z.string().optional(),
  /** stable key for translating the title and message in the browser */
  kind: z.enum(notificationKinds).optional(),
  /** predicted_low: whole hours of credit left at the recent rate (at least 1) */
  hoursLeft: z.number().int().nonnegative().optional(),
});

export const billGeneratedSchema = z.object({
  /** the original clients' fields: the bill's id, its amount (KES paid in the period), the utility */
  billId: z.string(),
  amount: z.number(),
  utility: z.literal('electricity'),
  userId: z.string(),
  period: z.string(),
  url: z.string(),
});
export type BillGenerated = z.infer<typeof billGeneratedSchema>;

/**
 * `topup_updated`, to the requesting customer's sockets only: an operator approved or rejected
 * their manual top-up request (after commit). An approval's credit also moves the balance
 * through the meter's own `balance_updated`.
 */
export const topupUpdatedSchema = z.object({
  id: z.string(),
  meterNo: z.string(),
  status: z.enum(['approved', 'rejected']),
  amount: z.number(),
  /** the operator's reason or note, as the customer is told */
  reason: z.string(),
  transactionId: z.string().nullable(),
  timestamp: z.number(),
});
export type TopupUpdated = z.infer<typeof topupUpdatedSchema>;

/** `fleet_update`, to the admins room only: changed fleet rows, at most one batch per window. */
export const fleetLiveRowSchema = z.object({
  meterNo: z.string(),
  seq: z.number().int().min(0),
  balanceKwh: z.number().optional(),
  powerW: z.number().nullable().optional(),
  relay: z.enum(['on', 'off']),
  status: z.string(),
  online: z.boolean(),
  lastSeen: z.number().nullable(),
});
export type FleetLiveRow = z.infer<typeof fleetLiveRowSchema>;
export const fleetUpdateSchema = z.object({ meters: z.array(fleetLiveRowSchema), timestamp: z.number() });
export type FleetUpdate = z.infer<typeof fleetUpdateSchema>;

/** `subscribe_meter` answer: admins may watch any meter, customers only their own. */
export const subscribeMeterAckSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), meter: meterSnapshotSchema }),
  z.object({ ok: z.literal(false), error: z.string(), message: z.string() }),
]);
export type SubscribeMeterAck = z.infer<typeof subscribeMeterAckSchema>;

/** `connect_error` reasons, in `err.message`; `err.data` holds `{error, message}`. */
export const socketConnectErrors = ['UNAUTHENTICATED', 'TOO_MANY_CONNECTIONS', 'UNAVAILABLE'] as const;
export type SocketConnectError = (typeof socketConnectErrors)[number];

export interface ServerToClientEvents {
  balance_initial: (e: BalanceInitial) => void;
  balance_updated: (e: BalanceUpdated) => void;
  transaction_completed: (e: z.infer<typeof transactionCompletedSchema>) => void;
  transaction_failed: (e: z.infer<typeof transactionFailedSchema>) => void;
  payment_success: (e: z.infer<typeof paymentSuccessSchema>) => void;
  payment_failed: (e: z.infer<typeof paymentFailedSchema>) => void;
  balance_insufficient: (e: z.infer<typeof balanceInsufficientSchema>) => void;
  meter_status: (e: z.infer<typeof meterStatusEventSchema>) => void;
  bill_generated: (e: BillGenerated) => void;
  notification: (e: z.infer<typeof notificationSchema>) => void;
  fleet_update: (e: FleetUpdate) => void;
  topup_updated: (e: TopupUpdated) => void;
}

export interface ClientToServerEvents {
  /** answered through `ack`, or without one as a `balance_initial` event (the original clients) */
  get_current_balance: (ack?: (e: BalanceInitial) => void) => void;
  subscribe_meter: (meterNo: string, ack?: (e: SubscribeMeterAck) => void) => void;
  unsubscribe_meter: (meterNo: string, ack?: (e: { ok: boolean }) => void) => void;
}
