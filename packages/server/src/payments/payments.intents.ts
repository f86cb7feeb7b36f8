/**
 * The bottom of the payments modules: the intent's types and columns, the SQL every stage
 * shares, and the small rules about a callback (its receipt, its metadata, its credit). The
 * stage modules (push, callback receipt, settlement, reconciliation) import this one and
 * never each other's internals, so splitting them made no import cycle.
 */
import {
  normalizeMsisdn,
  resultCodeReason,
  stkCallbackBodySchema,
  type CallbackMetadata,
  type DarajaClient,
  type StkCallback,
} from '@umeme/daraja';
import { centsToKes } from '@umeme/protocol';
import type { Logger } from 'pino';
import { Histogram } from 'prom-client';
import type { AlertsService } from '../alerts/alerts.service';
import type { CreditRequest, CreditService } from '../credit/credit.service';
import { LOCKED_METER_KEYS, type LockedMeter } from '../credit/credit.sql';
import { arrayLiteral, deferOrRun, type Db, type Queryable } from '../db/db';
import { Batcher } from '../shared/batcher';
import type { AlertChanged, EventBus, PaymentFailed } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import type { ErrorBody, IntentStatus, StkPushResponse } from './payments.schema';

export interface PaymentsConfig {
  verifyWithQuery: boolean;
  maxPushesPerPhone: number;
  maxPushesPerMeter: number;
  /** prompts per window to a phone that is not the asking customer's own */
  maxPushesPerOtherPhone: number;
  /** prompts waiting on one phone at once */
  maxPendingPerPhone: number;
  /** largest push, whole KES */
  maxPushKes: number;
  pushWindowS: number;
  /** callbacks settling one by one at once, beyond which confirmed successes settle in batches */
  settleSingleMax: number;
  /** success callbacks settled in one transaction at most */
  settleBatchMax: number;
  /** settle transactions in flight at once */
  settleConcurrency: number;
}

export interface PaymentsDeps {
  db: Db;
  credit: CreditService;
  alerts: AlertsService;
  bus: EventBus;
  metrics: Metrics;
  logger: Logger;
  daraja: DarajaClient;
  config: PaymentsConfig;
  /** Our STK callback URL, secret included; read at each push (the port is known only once listening). */
  callbackUrl: () => string;
  /** Asks the command publisher to send a meter its current credit limit again. */
  republish: (meterNo: string) => void;
}

/** 202 prompt sent (or unknown), 400 refused by M-Pesa, 502 M-Pesa unavailable. */
export type StkPushStatus = 202 | 400 | 502;

/** An answer to `POST /daraja/stkpush`, stored so that a retry with the same key gets it verbatim. */
export interface StkPushAnswer {
  statusCode: StkPushStatus;
  body: StkPushResponse | ErrorBody;
}

/** How many recently credited CheckoutRequestIDs an instance remembers (about 100 bytes each). */
export const RECENTLY_CREDITED_MAX = 10_000;

/** What became of one callback delivery. 'deferred': kept unsettled until STK Query can confirm it. */
export type CallbackOutcome =
  'applied' | 'duplicate' | 'orphan' | 'failed' | 'mismatch' | 'forged' | 'deferred';

/**
 * Failpoints (PAY-5): named steps where a test makes the work stop as a crash would, by setting
 * a function that throws. Empty in production. The delivery is then answered 500 and can be
 * redelivered.
 */
export interface PaymentFailpoints {
  afterCallbackPersisted?: (callbackId: string) => void | Promise<void>;
  /** inside a settle group's transaction, its locks taken, before its writes */
  inSettleGroup?: (callbackIds: string[]) => void | Promise<void>;
  afterCreditCommitted?: (intentId: string) => void | Promise<void>;
  afterPublished?: (intentId: string) => void | Promise<void>;
}

/** The few columns reconciliation needs about an intent it claimed. */
export interface ClaimedIntent {
  id: string;
  checkoutRequestId: string;
  ageS: number;
  /** keyset position (creation time in µs, id), so one pass never claims a row twice */
  createdUs: number;
}

export type QueryResolution = 'succeeded' | 'failed' | 'expired' | 'unknown' | 'pending' | 'settled';

/** The intent as a callback first sees it, before any lock. */
export type SeenIntent = Pick<IntentRow, 'status' | 'amount_cents' | 'phone' | 'meter_no'>;

/** A callback as received; `out` is filled once it is stored. */
export interface PendingPersist {
  checkoutRequestId: string;
  resultCode: number;
  body: string;
  remoteAddress: string;
  out?: PersistedCallback;
  /** why this callback alone could not be stored, when its group fell back to one by one */
  failed?: Error;
}

/** The stored callback's id, and its intent as it was then (all null when there is none). */
export type PersistedCallback = { id: string } & { [K in keyof SeenIntent]: SeenIntent[K] | null };

export interface IntentRow {
  id: string;
  user_id: string;
  meter_no: string;
  phone: string;
  amount_cents: number;
  status: IntentStatus;
  checkout_request_id: string | null;
  mpesa_receipt: string | null;
  result_code: number | null;
  reason: string | null;
  transaction_id: string | null;
  created_at: Date | string;
  resolved_at: Date | string | null;
}

export const INTENT_COLUMNS = `id, user_id, meter_no, phone, amount_cents, status, checkout_request_id, mpesa_receipt,
  result_code, reason, transaction_id, created_at, resolved_at`;
export const INTENT_COLUMNS_OF_I = INTENT_COLUMNS.replace(/(\w+)/g, 'i.$1');

export const LOCK_INTENT_SQL = `SELECT ${INTENT_COLUMNS_OF_I},
    EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = $2 AND o.id <> i.id) AS receipt_used
  FROM payment_intents i WHERE i.checkout_request_id = $1 FOR UPDATE OF i`;

export const LOCK_INTENT_AND_METER_SQL = `SELECT ${INTENT_COLUMNS_OF_I}, ${LOCKED_METER_KEYS.map((c) => `m.${c} AS m_${c}`).join(', ')},
    EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = $2 AND o.id <> i.id) AS receipt_used
  FROM payment_intents i JOIN meters m ON m.meter_no = i.meter_no
  WHERE i.checkout_request_id = $1 FOR UPDATE OF i, m`;

/** The meter's columns of LOCK_INTENT_AND_METER_SQL, or undefined when the meter is gone. */
export function meterOfRow(found: object): LockedMeter | undefined {
  const row = found as Record<string, unknown>;
  if (row.m_meter_no === null || row.m_meter_no === undefined) return undefined;
  return Object.fromEntries(LOCKED_METER_KEYS.map((k) => [k, row[`m_${k}`]])) as unknown as LockedMeter;
}

/** M-Pesa receipt numbers are ten capitals and digits; anything else is not one. */
export const RECEIPT_PATTERN = /^[A-Z0-9]{8,20}$/;

export const UNKNOWN_PUSH_MESSAGE =
  'We could not confirm that the payment request reached M-Pesa. If your phone shows a prompt you may complete it; you will not be charged twice.';
export const UNKNOWN_AFTER_CRASH_REASON = 'We could not confirm whether the payment request reached M-Pesa.';
export const EXPIRED_REASON = resultCodeReason(1019);

export type Verdict = { kind: 'confirmed' } | { kind: 'refused'; resultCode: string } | { kind: 'unknown' };

/** A success callback waiting for the next batch; `out` is its result, null when the batch left it. */
export interface BatchedSettle {
  callbackId: string;
  cb: StkCallback;
  meta: CallbackMetadata;
  /** the intent's meter, when it was read before (it never changes): its locks and reads go with BEGIN */
  meterNo: string | null;
  out?: Settled | null;
}

/**
 * An STK payment credited. Not an event: the credit's own events (`meter_changed`,
 * `credit_limit_changed`) tell everyone who listens; this names the intent for the failpoints.
 */
export interface PaymentSucceeded {
  meterNo: string;
  userId: string;
  intentId: string;
  transactionId: string;
  amountCents: number;
}

export interface Settled {
  outcome: CallbackOutcome;
  succeeded?: PaymentSucceeded;
  failed?: PaymentFailed;
  alertChanges?: AlertChanged[];
  republishMeterNo?: string;
  orphaned?: { callbackId: string; amountCents: number | null; receipt: string | null };
}

/**
 * Marks credited intents succeeded and their callbacks applied, in one statement for any number,
 * and says what to publish for each. A success after a failure or a timeout still credits:
 * M-Pesa took the money (PAY-4).
 */
export async function markApplied(
  tx: Queryable,
  credited: { intent: IntentRow; receipt: string; transactionId: string; callbackId: string }[],
): Promise<Settled[]> {
  // Nothing comes back: in a pipelined transaction this goes with COMMIT.
  await deferOrRun(tx, {
    text: `WITH u AS (
       SELECT * FROM unnest($1::uuid[], $2::text[], $3::uuid[], $4::text[], $5::bigint[])
         AS u(id, receipt, transaction_id, detail, callback_id)),
     i AS (
       UPDATE payment_intents p SET status = 'succeeded', mpesa_receipt = u.receipt, result_code = 0, reason = NULL,
              transaction_id = u.transaction_id, resolved_at = now(), updated_at = now(), next_check_at = NULL
         FROM u WHERE p.id = u.id)
     UPDATE daraja_callbacks d SET outcome = 'applied', detail = u.detail, processed_at = now()
       FROM u WHERE d.id = u.callback_id AND (d.outcome IS NULL OR d.outcome = 'orphan')`,
    values: [
      arrayLiteral(credited.map((c) => c.intent.id)),
      arrayLiteral(credited.map((c) => c.receipt)),
      arrayLiteral(credited.map((c) => c.transactionId)),
      arrayLiteral(
        credited.map((c) => (c.intent.status === 'pending' ? null : `credited after ${c.intent.status}`)),
      ),
      arrayLiteral(credited.map((c) => c.callbackId)),
    ],
  });
  return credited.map(({ intent, transactionId }) => appliedSettled(intent, transactionId));
}

/** A credited intent's settlement: what to publish and tell the sockets. */
export function appliedSettled(intent: IntentRow, transactionId: string): Settled {
  return {
    outcome: 'applied',
    succeeded: {
      meterNo: intent.meter_no,
      userId: intent.user_id,
      intentId: intent.id,
      transactionId,
      amountCents: intent.amount_cents,
    },
  };
}

export function stkExternalRef(receipt: string): string {
  return `MPESA-${receipt}`;
}

/** The credit an STK payment makes: the intent's meter and amount, idempotent on the M-Pesa receipt. */
export function stkCredit(intent: IntentRow, receipt: string): CreditRequest {
  return {
    meterNo: intent.meter_no,
    amountCents: intent.amount_cents,
    source: 'mpesa_stk',
    type: 'payment',
    externalRef: stkExternalRef(receipt),
    phone: intent.phone,
    paidBy: intent.user_id,
  };
}

/** Why a success callback disagrees with its intent (PAY-2), or null when it agrees. */
export function metadataProblem(
  intent: Pick<IntentRow, 'amount_cents' | 'phone'>,
  meta: CallbackMetadata,
): string | null {
  if (meta.amountCents === undefined) return 'the success callback carries no Amount';
  if (meta.mpesaReceiptNumber === undefined || !RECEIPT_PATTERN.test(meta.mpesaReceiptNumber)) {
    return 'the success callback carries no valid MpesaReceiptNumber';
  }
  if (meta.amountCents !== intent.amount_cents) {
    return `Amount ${centsToKes(meta.amountCents)} KES differs from the ${centsToKes(intent.amount_cents)} KES requested`;
  }
  if (meta.phoneNumber !== undefined) {
    // Newer payloads may mask the number; only a full number can be compared.
    const phone = normalizeMsisdn(meta.phoneNumber);
    if (phone !== null && phone !== intent.phone)
      return 'PhoneNumber differs from the phone that was prompted';
  }
  return null;
}

export async function markCallback(
  tx: Queryable,
  callbackId: string,
  outcome: Exclude<CallbackOutcome, 'deferred'>,
  detail: string | null,
): Promise<void> {
  await tx.query(
    // A callback row is settled once: the push answer may settle an early callback while its own
    // delivery is still settling it, and the second pass must not rewrite the first one's outcome.
    `UPDATE daraja_callbacks SET outcome = $2, detail = $3, processed_at = now()
      WHERE id = $1 AND (outcome IS NULL OR outcome = 'orphan')`,
    [callbackId, outcome, detail],
  );
}

export async function audit(tx: Queryable, action: string, target: string, details: object): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES (NULL, 'system', $1, $2, $3)`,
    [action, target, JSON.stringify(details)],
  );
}

/** A stored callback body, parsed again as on arrival. */
export function stkCallbackOf(body: unknown): StkCallback | null {
  const parsed = stkCallbackBodySchema.safeParse(body);
  return parsed.success ? parsed.data.Body.stkCallback : null;
}

/**
 * A batcher for group commit (PostgreSQL under load): one `apply` for whatever arrived while
 * earlier batches were in flight, at most `settleConcurrency` at once, with a histogram of the
 * batch sizes under `metric`.
 */
export function groupCommit<T>(
  deps: Pick<PaymentsDeps, 'metrics' | 'config'>,
  metric: string,
  help: string,
  apply: (items: T[]) => Promise<void>,
  onError: (err: unknown, items: T[]) => void,
): Batcher<T> {
  const sizes = new Histogram({
    name: metric,
    help,
    buckets: [1, 2, 5, 10, 20, 50, 100, 200],
    registers: [deps.metrics.registry],
  });
  return new Batcher<T>({
    maxBatch: deps.config.settleBatchMax,
    maxDelayMs: 0,
    concurrency: deps.config.settleConcurrency,
    highWater: Number.MAX_SAFE_INTEGER,
    apply: (items) => {
      sizes.observe(items.length);
      return apply(items);
    },
    onError,
  });
}
