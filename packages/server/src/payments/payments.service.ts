import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  DarajaError,
  isStkQueryPending,
  LOCAL_ERROR_CODES,
  normalizeMsisdn,
  readCallbackMetadata,
  resultCodeReason,
  stkCallbackBodySchema,
  type CallbackMetadata,
  type DarajaClient,
  type StkCallback,
} from '@umeme/daraja';
import { centsToKes, kesToCents, mwhToKwh } from '@umeme/protocol';
import type { Logger } from 'pino';
import { Counter, Histogram } from 'prom-client';
import type { AlertsService } from '../alerts/alerts.service';
import {
  creditBatchReads,
  LOCKED_METER_COLUMNS,
  type AppliedCredit,
  type CreditRequest,
  type CreditService,
  type LockedMeter,
} from '../credit/credit.service';
import { arrayLiteral, deferOrRun, type Db, type PipelinedQueryable, type Queryable } from '../db/db';
import { mayHoldNul, withoutNul } from './callback-text';
import { Batcher } from '../shared/batcher';
import { assertMeterAccess, assertRecordAccess, SYSTEM, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { AlertChanged, EventBus, PaymentFailed, PaymentSucceeded } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { findMeterOwner } from '../shared/meter-owner';
import { maskPhone } from '../transactions/transactions.service';
import {
  IDEMPOTENCY_POLL_MS,
  IDEMPOTENCY_WAIT_MS,
  STK_PROMPT_BLOCKS_S,
  STK_TRANSACTION_DESC,
} from './payments.limits';
import type {
  ErrorBody,
  IntentResponse,
  IntentStatus,
  StkPushBody,
  StkPushResponse,
} from './payments.schema';

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
const RECENTLY_CREDITED_MAX = 10_000;

/** What became of one callback delivery. 'deferred': kept unsettled until STK Query can confirm it. */
export type CallbackOutcome =
  'applied' | 'duplicate' | 'orphan' | 'failed' | 'mismatch' | 'forged' | 'deferred';

/**
 * Test-only crash points (PAY-5). A hook that throws stops the work at that step, as a crash
 * would; the delivery is then answered 500 and can be redelivered.
 */
export interface PaymentHooks {
  afterCallbackPersisted?: (callbackId: string) => void | Promise<void>;
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
type SeenIntent = Pick<IntentRow, 'status' | 'amount_cents' | 'phone' | 'meter_no'>;

/** A callback as received; `out` is filled once it is stored. */
interface PendingPersist {
  checkoutRequestId: string;
  resultCode: number;
  body: string;
  remoteAddress: string;
  out?: PersistedCallback;
  /** why this callback alone could not be stored, when its group fell back to one by one */
  failed?: Error;
}

/** The stored callback's id, and its intent as it was then (all null when there is none). */
type PersistedCallback = { id: string } & { [K in keyof SeenIntent]: SeenIntent[K] | null };

interface IntentRow {
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

const INTENT_COLUMNS = `id, user_id, meter_no, phone, amount_cents, status, checkout_request_id, mpesa_receipt,
  result_code, reason, transaction_id, created_at, resolved_at`;
const INTENT_COLUMNS_OF_I = INTENT_COLUMNS.replace(/(\w+)/g, 'i.$1');

const LOCK_INTENT_SQL = `SELECT ${INTENT_COLUMNS_OF_I},
    EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = $2 AND o.id <> i.id) AS receipt_used
  FROM payment_intents i WHERE i.checkout_request_id = $1 FOR UPDATE OF i`;

const LOCKED_METER_KEYS = LOCKED_METER_COLUMNS.split(',').map((c) => c.trim());
const LOCK_INTENT_AND_METER_SQL = `SELECT ${INTENT_COLUMNS_OF_I}, ${LOCKED_METER_KEYS.map((c) => `m.${c} AS m_${c}`).join(', ')},
    EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = $2 AND o.id <> i.id) AS receipt_used
  FROM payment_intents i JOIN meters m ON m.meter_no = i.meter_no
  WHERE i.checkout_request_id = $1 FOR UPDATE OF i, m`;

/** The meter's columns of LOCK_INTENT_AND_METER_SQL, or undefined when the meter is gone. */
function meterOfRow(found: object): LockedMeter | undefined {
  const row = found as Record<string, unknown>;
  if (row.m_meter_no === null || row.m_meter_no === undefined) return undefined;
  return Object.fromEntries(LOCKED_METER_KEYS.map((k) => [k, row[`m_${k}`]])) as unknown as LockedMeter;
}

/** M-Pesa receipt numbers are ten capitals and digits; anything else is not one. */
const RECEIPT_PATTERN = /^[A-Z0-9]{8,20}$/;

const UNKNOWN_PUSH_MESSAGE =
  'We could not confirm that the payment request reached M-Pesa. If your phone shows a prompt you may complete it; you will not be charged twice.';
const UNKNOWN_AFTER_CRASH_REASON = 'We could not confirm whether the payment request reached M-Pesa.';
const EXPIRED_REASON = resultCodeReason(1019);

type Verdict = { kind: 'confirmed' } | { kind: 'refused'; resultCode: string } | { kind: 'unknown' };

/** A success callback waiting for the next batch; `out` is its result, null when the batch left it. */
interface BatchedSettle {
  callbackId: string;
  cb: StkCallback;
  meta: CallbackMetadata;
  /** the intent's meter, when it was read before (it never changes): its locks and reads go with BEGIN */
  meterNo: string | null;
  out?: Settled | null;
}

interface Settled {
  outcome: CallbackOutcome;
  applied?: AppliedCredit;
  succeeded?: PaymentSucceeded;
  failed?: PaymentFailed;
  alertChanges?: AlertChanged[];
  republishMeterNo?: string;
  orphaned?: { callbackId: string; amountCents: number | null; receipt: string | null };
}

/**
 * M-Pesa Express payments (docs/design.md §7): the intent, the push, the callback and its settlement.
 * The intent row is the guard of each payment: every path that settles one locks it first, so
 * callbacks, their duplicates and reconciliation cannot credit it twice; the credit's
 * `externalRef` is a second, independent guard.
 */
export class PaymentsService {
  /** Test-only: see PaymentHooks. */
  readonly hooks: PaymentHooks = {};
  private readonly inFlightPushes = new Map<string, Promise<StkPushAnswer>>();
  private readonly verifications = new Map<string, Promise<Verdict>>();
  /** CheckoutRequestIDs credited lately, oldest first (duplicates of them need no STK Query) */
  private readonly recentlyCredited = new Set<string>();
  private readonly callbacks: Counter<'kind' | 'outcome'>;
  private readonly pushes: Counter<'outcome'>;
  private readonly settleBatcher: Batcher<BatchedSettle>;
  /** callbacks in their own settle transaction right now */
  private settlingSingly = 0;
  private readonly persistBatcher: Batcher<PendingPersist>;
  /** callbacks being stored by their own statement right now */
  private persistingSingly = 0;

  constructor(private readonly deps: PaymentsDeps) {
    const registers = [deps.metrics.registry];
    this.settleBatcher = this.groupCommit<BatchedSettle>(
      'umeme_payment_settle_batch_size',
      'Success callbacks settled per group-commit transaction',
      (items) => this.applySettleBatch(items),
      // applySettleBatch never throws: a failed batch hands its items back to the single path.
      () => {},
    );
    this.persistBatcher = this.groupCommit<PendingPersist>(
      'umeme_payment_callback_store_batch_size',
      'STK callbacks stored per statement when they arrive together',
      (items) => this.persistGroup(items),
      // the callers see the error: their callbacks are answered 500 and Daraja delivers again
      (err, items) =>
        this.deps.logger.warn(
          { err: err instanceof Error ? err.message : String(err), callbacks: items.length },
          'storing a batch of callbacks failed',
        ),
    );
    this.callbacks = new Counter({
      name: 'umeme_daraja_callbacks_total',
      help: 'Daraja callbacks settled, by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers,
    });
    this.pushes = new Counter({
      name: 'umeme_stk_pushes_total',
      help: 'STK pushes requested from Daraja, by outcome',
      labelNames: ['outcome'] as const,
      registers,
    });
  }

  /**
   * A batcher for group commit (PostgreSQL under load): one `apply` for whatever arrived while
   * earlier batches were in flight, at most `settleConcurrency` at once, with a histogram of the
   * batch sizes under `metric`.
   */
  private groupCommit<T>(
    metric: string,
    help: string,
    apply: (items: T[]) => Promise<void>,
    onError: (err: unknown, items: T[]) => void,
  ): Batcher<T> {
    const sizes = new Histogram({
      name: metric,
      help,
      buckets: [1, 2, 5, 10, 20, 50, 100, 200],
      registers: [this.deps.metrics.registry],
    });
    return new Batcher<T>({
      maxBatch: this.deps.config.settleBatchMax,
      maxDelayMs: 0,
      concurrency: this.deps.config.settleConcurrency,
      highWater: Number.MAX_SAFE_INTEGER,
      apply: (items) => {
        sizes.observe(items.length);
        return apply(items);
      },
      onError,
    });
  }

  // ---------------------------------------------------------------------------------------------
  // STK push

  /**
   * Creates the intent and asks Daraja to prompt the phone. With an Idempotency-Key, the first
   * request inserts the intent; concurrent and later retries find that row and answer with the
   * first request's stored answer, so one key never sends two prompts.
   */
  async requestStkPush(caller: Caller, body: StkPushBody, idempotencyKey?: string): Promise<StkPushAnswer> {
    assertMeterAccess(caller, body.meterNo, await findMeterOwner(this.deps.db, body.meterNo));
    if (caller.kind !== 'user') throw new AppError('FORBIDDEN');
    const phone = normalizeMsisdn(body.phoneNumber);
    if (phone === null) {
      throw new AppError('BAD_REQUEST', 'phoneNumber must be a Kenyan mobile number such as 0712345678.');
    }
    if (body.amount > this.deps.config.maxPushKes) {
      throw new AppError(
        'PAYMENT_AMOUNT_TOO_LARGE',
        `One payment can be at most KES ${this.deps.config.maxPushKes.toLocaleString('en-KE')}.`,
      );
    }
    const amountCents = kesToCents(body.amount);
    const requestHash = createHash('sha256')
      .update(JSON.stringify([body.meterNo, phone, amountCents]))
      .digest('hex');
    const claim = await this.claimIntent(
      caller.userId,
      body.meterNo,
      phone,
      amountCents,
      requestHash,
      idempotencyKey,
    );
    if (claim.kind === 'existing') {
      if (claim.requestHash !== requestHash) throw new AppError('IDEMPOTENCY_CONFLICT');
      return this.awaitAnswer(claim.id);
    }
    const work = this.pushAndRecord(claim.id, phone, body.amount, body.meterNo);
    this.inFlightPushes.set(claim.id, work);
    try {
      return await work;
    } finally {
      this.inFlightPushes.delete(claim.id);
    }
  }

  /**
   * Inserts the intent, or finds the one already made with this key. Advisory locks on the
   * phone and the meter serialise the rate-limit count with the insert, across instances.
   */
  private async claimIntent(
    userId: string,
    meterNo: string,
    phone: string,
    amountCents: number,
    requestHash: string,
    idempotencyKey: string | undefined,
  ): Promise<{ kind: 'new'; id: string } | { kind: 'existing'; id: string; requestHash: string }> {
    const { db, config } = this.deps;
    return db.transaction(async (tx) => {
      // Always phone first, then meter: one order, so two requests cannot wait on each other.
      await tx.query(`SELECT pg_advisory_xact_lock(7262638, hashtext($1))`, [`phone:${phone}`]);
      await tx.query(`SELECT pg_advisory_xact_lock(7262638, hashtext($1))`, [`meter:${meterNo}`]);
      const existing = async () => {
        if (idempotencyKey === undefined) return null;
        const { rows } = await tx.query<{ id: string; request_hash: string }>(
          `SELECT id, request_hash FROM payment_intents WHERE user_id = $1 AND idempotency_key = $2`,
          [userId, idempotencyKey],
        );
        const row = rows[0];
        return row ? { kind: 'existing' as const, id: row.id, requestHash: row.request_hash } : null;
      };
      const before = await existing();
      if (before) return before;
      // Counted in the database, so every limit holds across instances. A prompt still pending
      // (or unknown: it may be on the phone) blocks the next one, as M-Pesa itself does, for as
      // long as M-Pesa shows a prompt; pushes by customers whose own phone it is not count
      // against a tighter limit, so nobody can flood a stranger's phone with prompts.
      const counts = await tx.query<{
        phone_n: number;
        meter_n: number;
        other_n: number;
        pending_n: number;
        own_phone: string | null;
      }>(
        `SELECT count(*) FILTER (WHERE i.phone = $1 AND i.created_at > now() - make_interval(secs => $3))::int AS phone_n,
                count(*) FILTER (WHERE i.meter_no = $2 AND i.created_at > now() - make_interval(secs => $3))::int AS meter_n,
                count(*) FILTER (WHERE i.phone = $1 AND i.created_at > now() - make_interval(secs => $3)
                                   AND u.phone IS DISTINCT FROM $1)::int AS other_n,
                count(*) FILTER (WHERE i.phone = $1 AND i.status IN ('pending', 'unknown')
                                   AND i.created_at > now() - make_interval(secs => $4))::int AS pending_n,
                (SELECT phone FROM users WHERE id = $5) AS own_phone
           FROM payment_intents i JOIN users u ON u.id = i.user_id
          WHERE (i.phone = $1 OR i.meter_no = $2) AND i.created_at > now() - make_interval(secs => greatest($3, $4))`,
        [phone, meterNo, config.pushWindowS, STK_PROMPT_BLOCKS_S, userId],
      );
      const recent = counts.rows[0] ?? { phone_n: 0, meter_n: 0, other_n: 0, pending_n: 0, own_phone: null };
      if (recent.pending_n >= config.maxPendingPerPhone) throw new AppError('PAYMENT_PROMPT_PENDING');
      if (recent.phone_n >= config.maxPushesPerPhone) {
        throw new AppError(
          'RATE_LIMITED',
          'Too many payment requests for this phone number; try again in a few minutes.',
        );
      }
      if (recent.own_phone !== phone && recent.other_n >= config.maxPushesPerOtherPhone) {
        throw new AppError(
          'RATE_LIMITED',
          'Too many payment requests to this phone number, which is not your own; try again later or ask its owner to pay.',
        );
      }
      if (recent.meter_n >= config.maxPushesPerMeter) {
        throw new AppError(
          'RATE_LIMITED',
          'Too many payment requests for this meter; try again in a few minutes.',
        );
      }
      const inserted = await tx.query<{ id: string }>(
        `INSERT INTO payment_intents (user_id, meter_no, phone, amount_cents, idempotency_key, request_hash)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (user_id, idempotency_key) DO NOTHING RETURNING id`,
        [userId, meterNo, phone, amountCents, idempotencyKey ?? null, requestHash],
      );
      const id = inserted.rows[0]?.id;
      if (id !== undefined) return { kind: 'new' as const, id };
      // Same key, another body (so other locks), committed meanwhile.
      const after = await existing();
      if (after) return after;
      throw new Error('payment intent neither inserted nor found');
    });
  }

  /** Waits for the request that owns this intent to record its answer. */
  private async awaitAnswer(intentId: string): Promise<StkPushAnswer> {
    const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
    for (;;) {
      const local = this.inFlightPushes.get(intentId);
      if (local) return local;
      const { rows } = await this.deps.db.query<{
        status: IntentStatus;
        checkout_request_id: string | null;
        reason: string | null;
        response_status: number | null;
        response_body: StkPushResponse | ErrorBody | null;
      }>(
        `SELECT status, checkout_request_id, reason, response_status, response_body FROM payment_intents WHERE id = $1`,
        [intentId],
      );
      const row = rows[0];
      if (!row) throw new AppError('PAYMENT_NOT_FOUND');
      if (row.response_status !== null && row.response_body !== null) {
        return { statusCode: row.response_status as StkPushStatus, body: row.response_body };
      }
      // The first request died before answering; reconciliation settled the intent since.
      if (row.status !== 'pending') {
        return {
          statusCode: 202,
          body: {
            intentId,
            checkoutRequestId: row.checkout_request_id,
            status: row.status,
            customerMessage: row.reason ?? '',
          },
        };
      }
      if (Date.now() > deadline) throw new AppError('PAYMENT_IN_PROGRESS');
      await sleep(IDEMPOTENCY_POLL_MS);
    }
  }

  private async pushAndRecord(
    intentId: string,
    phone: string,
    amountKes: number,
    meterNo: string,
  ): Promise<StkPushAnswer> {
    const { db, daraja, logger } = this.deps;
    let answer: StkPushAnswer;
    let status: IntentStatus;
    let reason: string | null = null;
    // Until the OAuth token is in hand nothing can have reached M-Pesa: a failure there is a
    // plain failure, never an "unknown" push.
    let pushAttempted = false;
    try {
      await daraja.getToken();
      pushAttempted = true;
      const res = await daraja.stkPush({
        phoneNumber: phone,
        amountKes,
        accountReference: meterNo,
        description: STK_TRANSACTION_DESC,
        callbackUrl: this.deps.callbackUrl(),
      });
      const body: StkPushResponse = {
        intentId,
        checkoutRequestId: res.CheckoutRequestID,
        status: 'pending',
        customerMessage: res.CustomerMessage,
      };
      await db.query(
        `UPDATE payment_intents SET checkout_request_id = $2, merchant_request_id = $3, response_status = 202,
                response_body = $4, updated_at = now()
          WHERE id = $1`,
        [intentId, res.CheckoutRequestID, res.MerchantRequestID, JSON.stringify(body)],
      );
      this.pushes.inc({ outcome: 'sent' });
      logger.info(
        { intentId, meterNo, checkoutRequestId: res.CheckoutRequestID, amountKes },
        'stk push sent',
      );
      // A callback may have overtaken the update above; it was kept, and is settled now.
      await this.settleEarlyCallbacks(res.CheckoutRequestID).catch((err: unknown) =>
        logger.error({ err, intentId }, 'settling an early callback failed; reconciliation will retry'),
      );
      return { statusCode: 202, body };
    } catch (err) {
      if (!(err instanceof DarajaError)) throw err;
      if (err.mayHaveBeenSent && pushAttempted) {
        // A prompt may be on the phone. Pushing again could charge twice; a callback for it will
        // arrive as an orphan and be matched by an operator.
        status = 'unknown';
        reason = UNKNOWN_PUSH_MESSAGE;
        answer = {
          statusCode: 202,
          body: { intentId, checkoutRequestId: null, status, customerMessage: UNKNOWN_PUSH_MESSAGE },
        };
      } else {
        status = 'failed';
        const refused = err.status === 400 || err.errorCode === LOCAL_ERROR_CODES.invalidRequest;
        const code = refused ? 'PAYMENT_REJECTED' : 'PAYMENT_PROVIDER_ERROR';
        reason = refused
          ? `M-Pesa refused the payment request: ${err.errorMessage.slice(0, 200)}`
          : new AppError('PAYMENT_PROVIDER_ERROR').message;
        answer = { statusCode: refused ? 400 : 502, body: { error: code, message: reason } };
      }
      this.pushes.inc({ outcome: status });
      logger.warn(
        { intentId, meterNo, status, darajaStatus: err.status, errorCode: err.errorCode },
        'stk push did not go through',
      );
    }
    await db.query(
      `UPDATE payment_intents SET status = $2, reason = $3, response_status = $4, response_body = $5,
              resolved_at = now(), updated_at = now()
        WHERE id = $1 AND status = 'pending'`,
      [intentId, status, reason, answer.statusCode, JSON.stringify(answer.body)],
    );
    if (status === 'failed') {
      const { rows } = await db.query<{ user_id: string }>(
        `SELECT user_id FROM payment_intents WHERE id = $1`,
        [intentId],
      );
      const userId = rows[0]?.user_id;
      if (userId !== undefined) {
        this.deps.bus.emit('payment_failed', { meterNo, userId, intentId, reason: reason ?? '' });
      }
    }
    return answer;
  }

  async getIntent(caller: Caller, intentId: string): Promise<IntentResponse> {
    const { rows } = await this.deps.db.query<IntentRow & { energy_mwh: number | null }>(
      `SELECT i.id, i.user_id, i.meter_no, i.phone, i.amount_cents, i.status, i.checkout_request_id,
              i.mpesa_receipt, i.result_code, i.reason, i.transaction_id, i.created_at, i.resolved_at, t.energy_mwh
         FROM payment_intents i LEFT JOIN transactions t ON t.id = i.transaction_id
        WHERE i.id = $1`,
      [intentId],
    );
    const row = rows[0];
    assertRecordAccess(caller, row ? { userId: row.user_id } : null, 'PAYMENT_NOT_FOUND');
    if (!row) throw new AppError('PAYMENT_NOT_FOUND');
    return {
      intentId: row.id,
      meterNo: row.meter_no,
      status: row.status,
      reason: row.reason,
      resultCode: row.result_code,
      amountKes: centsToKes(row.amount_cents),
      amountCents: row.amount_cents,
      phone: maskPhone(row.phone) ?? '',
      checkoutRequestId: row.checkout_request_id,
      receipt: row.mpesa_receipt,
      transactionId: row.transaction_id,
      energyKwh: row.energy_mwh === null ? null : mwhToKwh(row.energy_mwh),
      createdAt: new Date(row.created_at).toISOString(),
      resolvedAt: row.resolved_at === null ? null : new Date(row.resolved_at).toISOString(),
    };
  }

  // ---------------------------------------------------------------------------------------------
  // Callbacks

  /** Persists the callback as received, then settles it. The caller answers only after this returns. */
  async receiveStkCallback(
    rawBody: unknown,
    stkCallback: StkCallback,
    remoteAddress: string,
  ): Promise<CallbackOutcome> {
    // STK Query goes out while the callback is being stored: both are waits on other machines.
    // Whether its answer is used is decided once the stored row tells the intent's state.
    let body = JSON.stringify(rawBody);
    if (mayHoldNul(body)) {
      // Kept as evidence with each NUL written out (see callback-text.ts), and settled as sent.
      const escaped = withoutNul(rawBody);
      body = JSON.stringify(escaped);
      stkCallback = withoutNul(stkCallback);
      this.deps.logger.warn(
        { checkoutRequestId: stkCallback.CheckoutRequestID },
        'callback with NUL characters stored with them escaped',
      );
    }
    const verdict = this.verifyEarly(stkCallback);
    const row = await this.persistStkCallback({
      checkoutRequestId: stkCallback.CheckoutRequestID,
      resultCode: stkCallback.ResultCode,
      body,
      remoteAddress,
    });
    await this.hooks.afterCallbackPersisted?.(row.id);
    // no intent: the join's columns are all null
    return this.settleStkCallback(
      row.id,
      stkCallback,
      row.status === null ? null : (row as SeenIntent),
      verdict,
    );
  }

  /**
   * The STK Query a success callback will need, started now, or null when it will not need one
   * (verification off, a callback that is not a success or cannot be credited, or a
   * CheckoutRequestID this instance credited a moment ago, i.e. a duplicate delivery).
   */
  private verifyEarly(cb: StkCallback): Promise<Verdict> | null {
    if (!this.deps.config.verifyWithQuery || cb.ResultCode !== 0) return null;
    if (this.recentlyCredited.has(cb.CheckoutRequestID)) return null;
    const meta = readCallbackMetadata(cb.CallbackMetadata?.Item);
    if (meta.amountCents === undefined || meta.mpesaReceiptNumber === undefined) return null;
    if (!RECEIPT_PATTERN.test(meta.mpesaReceiptNumber)) return null;
    return this.verify(cb.CheckoutRequestID);
  }

  /** Remembers a CheckoutRequestID as credited, so duplicates of it send no STK Query. */
  private rememberCredited(checkoutRequestId: string): void {
    this.recentlyCredited.add(checkoutRequestId);
    if (this.recentlyCredited.size > RECENTLY_CREDITED_MAX) {
      // a Set iterates in insertion order: drop the oldest
      const oldest = this.recentlyCredited.values().next().value;
      if (oldest !== undefined) this.recentlyCredited.delete(oldest);
    }
  }

  /**
   * Stores a callback as received (committed before it is settled or answered) and reads what
   * its intent looks like now, for the STK Query decision: one round trip. While few are being
   * stored each takes its own statement; under load, those arriving together share one
   * statement and one commit (group commit, as for settling).
   */
  private async persistStkCallback(input: PendingPersist): Promise<PersistedCallback> {
    if (this.persistingSingly >= this.deps.config.settleSingleMax && !this.persistBatcher.closed) {
      await this.persistBatcher.add(input);
      if (input.failed !== undefined) throw input.failed;
    } else {
      this.persistingSingly++;
      try {
        await this.persistBatch([input]);
      } finally {
        this.persistingSingly--;
      }
    }
    return input.out!;
  }

  /**
   * Stores a group of callbacks in one statement. If that fails, each is stored by a statement
   * of its own (only on failure: the common path keeps its one round trip), so one callback that
   * cannot be stored fails alone (PAY-11) and the others are answered 200 as usual.
   */
  private async persistGroup(items: PendingPersist[]): Promise<void> {
    try {
      await this.persistBatch(items);
    } catch (err) {
      if (items.length === 1) throw err;
      this.deps.logger.warn(
        { err: err instanceof Error ? err.message : String(err), callbacks: items.length },
        'storing a group of callbacks failed; storing them one by one',
      );
      await Promise.all(
        items.map((item) =>
          this.persistBatch([item]).catch((e: unknown) => {
            item.failed = e instanceof Error ? e : new Error(String(e));
          }),
        ),
      );
    }
  }

  /**
   * Stores callbacks in one statement, one or many. Ids are drawn first, row by row, so each
   * callback gets its own row back even when several share a CheckoutRequestID (duplicates,
   * or a forged copy with another amount).
   */
  private async persistBatch(items: PendingPersist[]): Promise<void> {
    const { rows } = await this.deps.db.query<PersistedCallback & { n: number }>(
      `WITH input AS MATERIALIZED (
         SELECT nextval('daraja_callbacks_id_seq') AS id, u.*
           FROM unnest($1::text[], $2::int[], $3::text[], $4::text[]) WITH ORDINALITY
             AS u(checkout_request_id, result_code, body, remote_addr, n)
       ), stored AS (
         INSERT INTO daraja_callbacks (id, kind, checkout_request_id, result_code, body, remote_addr)
         SELECT id, 'stk', checkout_request_id, result_code, body::jsonb, remote_addr FROM input ORDER BY n
       )
       SELECT input.n::int AS n, input.id::text AS id, i.status, i.amount_cents, i.phone, i.meter_no
         FROM input LEFT JOIN payment_intents i ON i.checkout_request_id = input.checkout_request_id`,
      [
        arrayLiteral(items.map((i) => i.checkoutRequestId)),
        arrayLiteral(items.map((i) => i.resultCode)),
        arrayLiteral(items.map((i) => i.body)),
        arrayLiteral(items.map((i) => i.remoteAddress)),
      ],
    );
    for (const row of rows) {
      const item = items[row.n - 1]!;
      item.out = {
        id: row.id,
        status: row.status,
        amount_cents: row.amount_cents,
        phone: row.phone,
        meter_no: row.meter_no,
      };
    }
    if (items.some((i) => i.out === undefined))
      throw new Error('a stored callback came back without its row');
  }

  /**
   * Settles one persisted callback: every path locks the intent first. Safe to run any number
   * of times for the same callback, concurrently or not.
   */
  async settleStkCallback(
    callbackId: string,
    cb: StkCallback,
    alreadySeen?: SeenIntent | null,
    /** STK Query already started for this callback (see receiveStkCallback) */
    earlyVerdict?: Promise<Verdict> | null,
  ): Promise<CallbackOutcome> {
    const { db, config } = this.deps;
    const success = cb.ResultCode === 0;
    const meta = success ? readCallbackMetadata(cb.CallbackMetadata?.Item) : {};
    // STK Query is network I/O: done before the transaction, never while holding row locks.
    let verdict: Verdict | null = null;
    let meterNo: string | null = alreadySeen?.meter_no ?? null;
    if (success && config.verifyWithQuery) {
      const seen =
        alreadySeen !== undefined
          ? alreadySeen
          : ((
              await db.query<SeenIntent>(
                `SELECT status, amount_cents, phone, meter_no FROM payment_intents WHERE checkout_request_id = $1`,
                [cb.CheckoutRequestID],
              )
            ).rows[0] ?? null);
      meterNo = seen?.meter_no ?? null;
      if (seen && seen.status !== 'succeeded' && metadataProblem(seen, meta) === null) {
        verdict = await (earlyVerdict ?? this.verify(cb.CheckoutRequestID));
      }
    }
    // One by one while few are settling (the shortest path); under load, confirmed successes
    // settle together (group commit). Whatever a batch leaves settles on its own.
    const batched =
      success &&
      (!config.verifyWithQuery || verdict?.kind === 'confirmed') &&
      this.settlingSingly >= config.settleSingleMax
        ? await this.settleInBatch({ callbackId, cb, meta, meterNo })
        : null;
    let settled = batched;
    if (!settled) {
      this.settlingSingly++;
      try {
        settled = await db.transaction((tx) => this.settleWithin(tx, callbackId, cb, meta, verdict));
      } finally {
        this.settlingSingly--;
      }
    }
    if (success && (settled.outcome === 'applied' || settled.outcome === 'duplicate')) {
      this.rememberCredited(cb.CheckoutRequestID);
    }
    await this.publishSettled(settled);
    this.callbacks.inc({ kind: 'stk', outcome: settled.outcome });
    this.deps.logger.info(
      {
        callbackId,
        checkoutRequestId: cb.CheckoutRequestID,
        resultCode: cb.ResultCode,
        outcome: settled.outcome,
      },
      'stk callback settled',
    );
    return settled.outcome;
  }

  private async settleWithin(
    tx: Queryable,
    callbackId: string,
    cb: StkCallback,
    meta: CallbackMetadata,
    verdict: Verdict | null,
  ): Promise<Settled> {
    // The receipt check rides along: one round trip for the lock and what it must know. A success
    // may credit, so its meter is locked in the same statement (intent first, then meter, as on
    // every path that credits an intent).
    const found = (
      await tx.query<IntentRow & { receipt_used: boolean }>(
        cb.ResultCode === 0 ? LOCK_INTENT_AND_METER_SQL : LOCK_INTENT_SQL,
        [cb.CheckoutRequestID, meta.mpesaReceiptNumber ?? null],
      )
    ).rows[0];
    const intent = found;
    const lockedMeter = found && cb.ResultCode === 0 ? meterOfRow(found) : undefined;
    if (!intent) {
      await markCallback(tx, callbackId, 'orphan', 'no payment intent has this CheckoutRequestID');
      await audit(tx, 'payment.callback_orphan', cb.CheckoutRequestID, {
        callbackId,
        resultCode: cb.ResultCode,
        amountCents: meta.amountCents ?? null,
        receipt: meta.mpesaReceiptNumber ?? null,
      });
      this.deps.logger.warn(
        { callbackId, checkoutRequestId: cb.CheckoutRequestID },
        'orphan callback kept for operator review',
      );
      return {
        outcome: 'orphan',
        orphaned: {
          callbackId,
          amountCents: meta.amountCents ?? null,
          receipt: meta.mpesaReceiptNumber ?? null,
        },
      };
    }

    if (cb.ResultCode !== 0) {
      if (intent.status === 'succeeded' || intent.status === 'failed') {
        await markCallback(
          tx,
          callbackId,
          'duplicate',
          intent.status === 'succeeded' ? 'a failure after success changes nothing' : 'already failed',
        );
        return { outcome: 'duplicate' };
      }
      const reason = resultCodeReason(cb.ResultCode);
      await tx.query(
        `WITH intent AS (
           UPDATE payment_intents SET status = 'failed', result_code = $2, reason = $3, resolved_at = now(),
                  updated_at = now(), next_check_at = NULL
            WHERE id = $1)
         UPDATE daraja_callbacks SET outcome = 'failed', detail = $3, processed_at = now()
          WHERE id = $4 AND (outcome IS NULL OR outcome = 'orphan')`,
        [intent.id, cb.ResultCode, reason, callbackId],
      );
      return {
        outcome: 'failed',
        failed: { meterNo: intent.meter_no, userId: intent.user_id, intentId: intent.id, reason },
      };
    }

    const receipt = meta.mpesaReceiptNumber;
    const problem =
      metadataProblem(intent, meta) ??
      (intent.mpesa_receipt !== null && intent.mpesa_receipt !== receipt
        ? `receipt ${receipt ?? '(none)'} differs from ${intent.mpesa_receipt}, already credited`
        : null);
    if (problem !== null || receipt === undefined) {
      return this.suspicious(tx, intent, callbackId, 'mismatch', problem ?? 'no receipt');
    }
    if (intent.status === 'succeeded') {
      await markCallback(tx, callbackId, 'duplicate', 'already credited');
      // The first delivery may have died between its commit and its publish.
      return { outcome: 'duplicate', republishMeterNo: intent.meter_no };
    }
    if (this.deps.config.verifyWithQuery) {
      if (verdict === null || verdict.kind === 'unknown') {
        await tx.query(`UPDATE daraja_callbacks SET detail = $2 WHERE id = $1`, [
          callbackId,
          'waiting for STK Query to confirm the payment',
        ]);
        return { outcome: 'deferred' };
      }
      if (verdict.kind === 'refused') {
        return this.suspicious(
          tx,
          intent,
          callbackId,
          'forged',
          `STK Query answers ResultCode ${verdict.resultCode} for a success callback`,
        );
      }
    }
    if (intent.receipt_used) {
      return this.suspicious(tx, intent, callbackId, 'mismatch', `receipt ${receipt} was already used`);
    }
    let applied: AppliedCredit;
    try {
      applied = await this.deps.credit.creditWithin(tx, SYSTEM, stkCredit(intent, receipt), lockedMeter);
    } catch (err) {
      if (err instanceof AppError && err.code === 'PAYMENT_DUPLICATE') {
        return this.suspicious(
          tx,
          intent,
          callbackId,
          'mismatch',
          `receipt ${receipt} was already credited elsewhere`,
        );
      }
      throw err;
    }
    return (await markApplied(tx, [{ intent, receipt, applied, callbackId }]))[0]!;
  }

  private async settleInBatch(item: BatchedSettle): Promise<Settled | null> {
    try {
      await this.settleBatcher.add(item);
    } catch {
      return null; // closed for shutdown: the single path still settles it
    }
    return item.out ?? null;
  }

  /** Stops taking callbacks into batches once the ones waiting are settled (shutdown). */
  async close(): Promise<void> {
    // callbacks arriving once it is closed are stored one by one
    await this.persistBatcher.close();
    await this.settleBatcher.close();
  }

  /**
   * Settles a batch of success callbacks in one transaction. A batch that fails leaves every
   * callback to the single path, which is idempotent, so nothing is lost or applied twice.
   */
  private async applySettleBatch(items: BatchedSettle[]): Promise<void> {
    try {
      const results = await this.deps.db.pipelined((tx) => this.settleBatchWithin(tx, items));
      items.forEach((item, i) => (item.out = results[i] ?? null));
    } catch (err) {
      this.deps.logger.warn(
        { err: err instanceof Error ? err.message : String(err), callbacks: items.length },
        'settle batch failed; its callbacks settle one by one',
      );
      for (const item of items) item.out = null;
    }
  }

  /**
   * The common case of `settleWithin` for many callbacks at once: a verified success for a
   * pending (or failed, or expired) intent, with a receipt not seen before. Locks the intents,
   * then their meters (each in a fixed order), credits them all (`creditBatchWithin`) and marks
   * intents and callbacks in one statement. Anything unusual gets null and takes the single path
   * after this commits: duplicates, mismatches, a receipt already used, an unknown intent.
   */
  private async settleBatchWithin(
    tx: PipelinedQueryable,
    items: BatchedSettle[],
  ): Promise<(Settled | null)[]> {
    const out: (Settled | null)[] = items.map(() => null);
    const firstOf = new Map<string, number>();
    items.forEach((item, i) => {
      if (!firstOf.has(item.cb.CheckoutRequestID)) firstOf.set(item.cb.CheckoutRequestID, i);
    });
    const candidates = [...firstOf.values()];
    const checkoutIds = arrayLiteral(candidates.map((i) => items[i]!.cb.CheckoutRequestID));
    const externalRefs = candidates.flatMap((i) => {
      const receipt = items[i]!.meta.mpesaReceiptNumber;
      return receipt === undefined ? [] : [stkExternalRef(receipt)];
    });
    // One round trip with BEGIN: the intents, then their meters (each statement locking in its
    // fixed order), then what crediting reads about those meters (each statement sees what
    // committed before it took its locks). That needs every meter known beforehand, which the
    // stored callbacks tell; if one is not, the meters are found through the intents and the
    // reads take a round trip of their own. A meter whose intent turns out not to be eligible
    // stays locked until COMMIT.
    const meterNos = candidates.map((i) => items[i]!.meterNo);
    const known = meterNos.every((m): m is string => m !== null) ? [...new Set(meterNos)] : null;
    const [lockedIntents, lockedMeters, ...creditReads] = await tx.queryMany([
      {
        text: `SELECT ${INTENT_COLUMNS_OF_I},
              EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = c.receipt AND o.id <> i.id) AS receipt_used
         FROM unnest($1::text[], $2::text[]) AS c(checkout_request_id, receipt)
         JOIN payment_intents i ON i.checkout_request_id = c.checkout_request_id
        ORDER BY i.id FOR UPDATE OF i`,
        values: [checkoutIds, arrayLiteral(candidates.map((i) => items[i]!.meta.mpesaReceiptNumber ?? null))],
      },
      known
        ? {
            text: `SELECT ${LOCKED_METER_COLUMNS} FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no FOR UPDATE`,
            values: [arrayLiteral(known)],
          }
        : {
            text: `SELECT ${LOCKED_METER_COLUMNS} FROM meters
          WHERE meter_no IN (SELECT meter_no FROM payment_intents WHERE checkout_request_id = ANY($1::text[]))
          ORDER BY meter_no FOR UPDATE`,
            values: [checkoutIds],
          },
      ...(known ? creditBatchReads(known, externalRefs) : []),
    ]);
    const intents = lockedIntents!.rows as unknown as (IntentRow & { receipt_used: boolean })[];
    const meters = lockedMeters!.rows as unknown as LockedMeter[];
    const intentOf = new Map(intents.map((r) => [r.checkout_request_id!, r]));
    const eligible: { index: number; intent: IntentRow; receipt: string }[] = [];
    for (const index of candidates) {
      const item = items[index]!;
      const intent = intentOf.get(item.cb.CheckoutRequestID);
      const receipt = item.meta.mpesaReceiptNumber;
      if (
        !intent ||
        receipt === undefined ||
        intent.status === 'succeeded' ||
        intent.receipt_used ||
        (intent.mpesa_receipt !== null && intent.mpesa_receipt !== receipt) ||
        metadataProblem(intent, item.meta) !== null
      ) {
        continue;
      }
      eligible.push({ index, intent, receipt });
    }
    if (eligible.length === 0) return out;
    const lockedMeterOf = new Map(meters.map((m) => [m.meter_no, m]));
    const credits = await this.deps.credit.creditBatchWithin(
      tx,
      SYSTEM,
      eligible.map(({ intent, receipt }) => stkCredit(intent, receipt)),
      lockedMeterOf,
      known && eligible.every((e) => lockedMeterOf.has(e.intent.meter_no)) ? creditReads : undefined,
    );
    const done = eligible.flatMap((e, k) => {
      const applied = credits[k];
      return applied ? [{ ...e, applied }] : [];
    });
    if (done.length === 0) return out;
    const settled = await markApplied(
      tx,
      done.map((d) => ({ ...d, callbackId: items[d.index]!.callbackId })),
    );
    done.forEach((d, k) => (out[d.index] = settled[k]!));
    return out;
  }

  /** A callback we do not believe: nothing is credited, operators get an alert and an audit row. */
  private async suspicious(
    tx: Queryable,
    intent: IntentRow,
    callbackId: string,
    outcome: 'mismatch' | 'forged',
    detail: string,
  ): Promise<Settled> {
    await markCallback(tx, callbackId, outcome, detail);
    await audit(tx, `payment.callback_${outcome}`, intent.id, { callbackId, detail });
    const alertChanges = await this.deps.alerts.apply(tx, [
      {
        meterNo: intent.meter_no,
        userId: intent.user_id,
        kind: 'payment_mismatch',
        open: true,
        severity: 'critical',
        message: `A payment callback was not credited (${outcome}): ${detail}.`,
      },
    ]);
    this.deps.logger.warn({ callbackId, intentId: intent.id, outcome, detail }, 'payment callback refused');
    return { outcome, alertChanges };
  }

  private async publishSettled(s: Settled): Promise<void> {
    if (s.applied && s.succeeded) {
      await this.hooks.afterCreditCommitted?.(s.succeeded.intentId);
      this.deps.credit.afterCommit(s.applied);
      this.deps.bus.emit('payment_succeeded', s.succeeded);
      await this.hooks.afterPublished?.(s.succeeded.intentId);
    }
    if (s.failed) this.deps.bus.emit('payment_failed', s.failed);
    if (s.alertChanges) this.deps.alerts.publish(s.alertChanges);
    if (s.republishMeterNo !== undefined) this.deps.republish(s.republishMeterNo);
    if (s.orphaned) this.deps.bus.emit('payment_orphaned', s.orphaned);
  }

  /** One STK Query per CheckoutRequestID at a time: a burst of duplicates shares it. */
  private verify(checkoutRequestId: string): Promise<Verdict> {
    let pending = this.verifications.get(checkoutRequestId);
    if (!pending) {
      pending = this.queryVerdict(checkoutRequestId).finally(() =>
        this.verifications.delete(checkoutRequestId),
      );
      this.verifications.set(checkoutRequestId, pending);
    }
    return pending;
  }

  private async queryVerdict(checkoutRequestId: string): Promise<Verdict> {
    try {
      const answer = await this.deps.daraja.stkQuery(checkoutRequestId);
      return answer.ResultCode === '0'
        ? { kind: 'confirmed' }
        : { kind: 'refused', resultCode: answer.ResultCode };
    } catch (err) {
      if (!isStkQueryPending(err)) {
        this.deps.logger.warn(
          { checkoutRequestId, err: err instanceof Error ? err.message : String(err) },
          'STK Query could not confirm a success callback',
        );
      }
      return { kind: 'unknown' };
    }
  }

  /** Callbacks of this CheckoutRequestID that arrived before the intent knew it. */
  private async settleEarlyCallbacks(checkoutRequestId: string): Promise<void> {
    const { rows } = await this.deps.db.query<{ id: string; body: unknown }>(
      `SELECT id::text AS id, body FROM daraja_callbacks
        WHERE kind = 'stk' AND checkout_request_id = $1 AND (outcome IS NULL OR outcome = 'orphan')
          AND resolution IS NULL
        ORDER BY id`,
      [checkoutRequestId],
    );
    for (const row of rows) {
      const cb = stkCallbackOf(row.body);
      if (cb) await this.settleStkCallback(row.id, cb);
    }
  }

  /** Reconciliation: callbacks persisted but never settled (a crash, or a deferred verification). */
  async settleUnsettledCallbacks(olderThanS: number, limit: number): Promise<number> {
    const { rows } = await this.deps.db.query<{ id: string; body: unknown }>(
      `SELECT id::text AS id, body FROM daraja_callbacks
        WHERE kind = 'stk' AND outcome IS NULL AND received_at < now() - make_interval(secs => $1)
        ORDER BY id LIMIT $2`,
      [olderThanS, limit],
    );
    let settled = 0;
    for (const row of rows) {
      const cb = stkCallbackOf(row.body);
      if (!cb) continue;
      try {
        const outcome = await this.settleStkCallback(row.id, cb);
        if (outcome !== 'deferred') settled += 1;
      } catch (err) {
        this.deps.logger.error({ err, callbackId: row.id }, 'settling a stored callback failed');
      }
    }
    return settled;
  }

  // ---------------------------------------------------------------------------------------------
  // Reconciliation

  /** Pushes that died between inserting the intent and recording Daraja's answer. */
  async markAbandonedPushes(olderThanS: number): Promise<number> {
    const { rowCount } = await this.deps.db.query(
      `UPDATE payment_intents SET status = 'unknown', reason = $2, resolved_at = now(), updated_at = now()
        WHERE status = 'pending' AND checkout_request_id IS NULL AND response_status IS NULL
          AND created_at < now() - make_interval(secs => $1)`,
      [olderThanS, UNKNOWN_AFTER_CRASH_REASON],
    );
    return rowCount;
  }

  /**
   * Claims pending intents older than `olderThanS` for this instance: `FOR UPDATE SKIP LOCKED`
   * so concurrent instances take different rows, and a lease so that none takes them again
   * while this one queries (the query is network I/O, done outside any transaction).
   */
  async claimOverdueIntents(
    olderThanS: number,
    limit: number,
    leaseS: number,
    after: Pick<ClaimedIntent, 'createdUs' | 'id'> | null,
  ): Promise<ClaimedIntent[]> {
    const { rows } = await this.deps.db.transaction((tx) =>
      tx.query<{ id: string; checkout_request_id: string; age_s: number; created_us: number }>(
        `WITH due AS (
           SELECT id FROM payment_intents
            WHERE status = 'pending' AND checkout_request_id IS NOT NULL
              AND created_at < now() - make_interval(secs => $1)
              AND (next_check_at IS NULL OR next_check_at <= now())
              AND ($4::bigint IS NULL
                   OR (created_at, id) > (timestamptz 'epoch' + $4::bigint * interval '1 microsecond', $5::uuid))
            ORDER BY created_at, id
            LIMIT $2
            FOR UPDATE SKIP LOCKED)
         UPDATE payment_intents p SET next_check_at = now() + make_interval(secs => $3)
           FROM due WHERE p.id = due.id
         RETURNING p.id, p.checkout_request_id, extract(epoch FROM now() - p.created_at)::int AS age_s,
                   (extract(epoch FROM p.created_at) * 1000000)::bigint AS created_us`,
        [olderThanS, limit, leaseS, after?.createdUs ?? null, after?.id ?? null],
      ),
    );
    return rows
      .map((r) => ({
        id: r.id,
        checkoutRequestId: r.checkout_request_id,
        ageS: r.age_s,
        createdUs: r.created_us,
      }))
      .sort((a, b) => a.createdUs - b.createdUs || (a.id < b.id ? -1 : 1));
  }

  /** Asks STK Query about one claimed intent and settles it by the answer. */
  async resolveWithQuery(claimed: ClaimedIntent, expireAfterS: number): Promise<QueryResolution> {
    let resultCode: number;
    try {
      const answer = await this.deps.daraja.stkQuery(claimed.checkoutRequestId);
      resultCode = Number(answer.ResultCode);
    } catch (err) {
      const stillProcessing = isStkQueryPending(err);
      if (claimed.ageS >= expireAfterS) {
        return stillProcessing
          ? this.closeUnpaid(claimed.id, 'expired', EXPIRED_REASON, null)
          : this.closeUnpaid(claimed.id, 'unknown', UNKNOWN_AFTER_CRASH_REASON, null);
      }
      if (!stillProcessing) {
        this.deps.logger.warn(
          { intentId: claimed.id, err: err instanceof Error ? err.message : String(err) },
          'STK Query failed; the intent stays pending',
        );
      }
      await this.deps.db.query(
        `UPDATE payment_intents SET next_check_at = NULL WHERE id = $1 AND status = 'pending'`,
        [claimed.id],
      );
      return 'pending';
    }
    if (resultCode !== 0)
      return this.closeUnpaid(claimed.id, 'failed', resultCodeReason(resultCode), resultCode);

    const settled = await this.deps.db.transaction(async (tx): Promise<Settled | null> => {
      const intent = (
        await tx.query<IntentRow>(`SELECT ${INTENT_COLUMNS} FROM payment_intents WHERE id = $1 FOR UPDATE`, [
          claimed.id,
        ])
      ).rows[0];
      if (!intent || intent.status !== 'pending') return null;
      // No receipt from the query: the CheckoutRequestID names the credit. A late callback then
      // finds the intent succeeded and credits nothing.
      const applied = await this.deps.credit.creditWithin(tx, SYSTEM, {
        meterNo: intent.meter_no,
        amountCents: intent.amount_cents,
        source: 'mpesa_stk',
        type: 'payment',
        externalRef: `STK-${claimed.checkoutRequestId}`,
        phone: intent.phone,
        paidBy: intent.user_id,
      });
      const transactionId = applied.result.transactionId;
      await tx.query(
        `UPDATE payment_intents SET status = 'succeeded', result_code = 0, reason = NULL, transaction_id = $2,
                resolved_at = now(), updated_at = now(), next_check_at = NULL
          WHERE id = $1`,
        [intent.id, transactionId],
      );
      await audit(tx, 'payment.reconciled', intent.id, { transactionId, via: 'stk_query' });
      return appliedSettled(intent, applied);
    });
    if (!settled) return 'settled';
    await this.publishSettled(settled);
    return 'succeeded';
  }

  private async closeUnpaid(
    intentId: string,
    status: 'failed' | 'expired' | 'unknown',
    reason: string,
    resultCode: number | null,
  ): Promise<QueryResolution> {
    const { rows } = await this.deps.db.query<{ meter_no: string; user_id: string }>(
      `UPDATE payment_intents SET status = $2, reason = $3, result_code = COALESCE($4, result_code),
              resolved_at = now(), updated_at = now(), next_check_at = NULL
        WHERE id = $1 AND status = 'pending'
        RETURNING meter_no, user_id`,
      [intentId, status, reason, resultCode],
    );
    const row = rows[0];
    if (!row) return 'settled';
    if (status !== 'unknown') {
      this.deps.bus.emit('payment_failed', { meterNo: row.meter_no, userId: row.user_id, intentId, reason });
    }
    return status;
  }
}

/** Why a success callback disagrees with its intent (PAY-2), or null when it agrees. */
/**
 * Marks credited intents succeeded and their callbacks applied, in one statement for any number,
 * and says what to publish for each. A success after a failure or a timeout still credits:
 * M-Pesa took the money (PAY-4).
 */
async function markApplied(
  tx: Queryable,
  credited: { intent: IntentRow; receipt: string; applied: AppliedCredit; callbackId: string }[],
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
      arrayLiteral(credited.map((c) => c.applied.result.transactionId)),
      arrayLiteral(
        credited.map((c) => (c.intent.status === 'pending' ? null : `credited after ${c.intent.status}`)),
      ),
      arrayLiteral(credited.map((c) => c.callbackId)),
    ],
  });
  return credited.map(({ intent, applied }) => appliedSettled(intent, applied));
}

/** A credited intent's settlement: what to publish and tell the sockets. */
function appliedSettled(intent: IntentRow, applied: AppliedCredit): Settled {
  return {
    outcome: 'applied',
    applied,
    succeeded: {
      meterNo: intent.meter_no,
      userId: intent.user_id,
      intentId: intent.id,
      transactionId: applied.result.transactionId,
      amountCents: intent.amount_cents,
    },
  };
}

function stkExternalRef(receipt: string): string {
  return `MPESA-${receipt}`;
}

/** The credit an STK payment makes: the intent's meter and amount, idempotent on the M-Pesa receipt. */
function stkCredit(intent: IntentRow, receipt: string): CreditRequest {
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

function metadataProblem(
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

async function markCallback(
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
function stkCallbackOf(body: unknown): StkCallback | null {
  const parsed = stkCallbackBodySchema.safeParse(body);
  return parsed.success ? parsed.data.Body.stkCallback : null;
}
