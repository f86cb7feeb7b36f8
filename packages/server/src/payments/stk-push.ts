import { createHash } from 'node:crypto';
import { accountNoOf } from '../meters/account-no';
import { setTimeout as sleep } from 'node:timers/promises';
import { DarajaError, LOCAL_ERROR_CODES, normalizeMsisdn } from '@umeme/daraja';
import { centsToKes, kesToCents, mwhToKwh } from '@umeme/protocol';
import { Counter } from 'prom-client';
import { assertMeterAccess, assertRecordAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { maskPhone } from '../shared/mask-phone';
import { findMeterOwner } from '../shared/meter-owner';
import {
  IDEMPOTENCY_POLL_MS,
  IDEMPOTENCY_WAIT_MS,
  STK_PROMPT_BLOCKS_S,
  STK_TRANSACTION_DESC,
} from './payments.limits';
import {
  UNKNOWN_PUSH_MESSAGE,
  type IntentRow,
  type StkPushAnswer,
  type StkPushStatus,
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';
import type { Settlement } from './settlement';
import type {
  ErrorBody,
  IntentResponse,
  IntentStatus,
  StkPushBody,
  StkPushResponse,
} from './payments.schema';

/**
 * The first stage of an M-Pesa Express payment: the intent, guarded by its idempotency key and
 * the rate limits, and the push to Daraja with its answer recorded.
 */
export class StkPushes {
  private readonly inFlightPushes = new Map<string, Promise<StkPushAnswer>>();
  private readonly pushes: Counter<'outcome'>;

  constructor(
    private readonly deps: PaymentStageDeps,
    /** settles callbacks that overtook the push's answer (settleEarlyCallbacks) */
    private readonly settlement: Settlement,
  ) {
    this.pushes = new Counter({
      name: 'umeme_stk_pushes_total',
      help: 'STK pushes requested from Daraja, by outcome',
      labelNames: ['outcome'] as const,
      registers: [deps.metrics.registry],
    });
  }

  /**
   * Creates the intent and asks Daraja to prompt the phone. With an Idempotency-Key, the first
   * request inserts the intent; concurrent and later retries find that row and answer with the
   * first request's stored answer, so one key never sends two prompts.
   */
  async requestStkPush(caller: Caller, body: StkPushBody, idempotencyKey?: string): Promise<StkPushAnswer> {
    assertMeterAccess(caller, body.meterNo, await findMeterOwner(this.deps.db, body.meterNo), 'money.move');
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
        phone_wait_s: number | null;
        meter_wait_s: number | null;
        other_wait_s: number | null;
      }>(
        `SELECT count(*) FILTER (WHERE i.phone = $1 AND i.created_at > now() - make_interval(secs => $3))::int AS phone_n,
                count(*) FILTER (WHERE i.meter_no = $2 AND i.created_at > now() - make_interval(secs => $3))::int AS meter_n,
                count(*) FILTER (WHERE i.phone = $1 AND i.created_at > now() - make_interval(secs => $3)
                                   AND u.phone IS DISTINCT FROM $1)::int AS other_n,
                count(*) FILTER (WHERE i.phone = $1 AND i.status IN ('pending', 'unknown')
                                   AND i.created_at > now() - make_interval(secs => $4))::int AS pending_n,
                (SELECT phone FROM users WHERE id = $5) AS own_phone,
                ${waitS('i.phone = $1')} AS phone_wait_s,
                ${waitS('i.meter_no = $2')} AS meter_wait_s,
                ${waitS('i.phone = $1 AND u.phone IS DISTINCT FROM $1')} AS other_wait_s
           FROM payment_intents i JOIN users u ON u.id = i.user_id
          WHERE (i.phone = $1 OR i.meter_no = $2) AND i.created_at > now() - make_interval(secs => greatest($3, $4))`,
        [phone, meterNo, config.pushWindowS, STK_PROMPT_BLOCKS_S, userId],
      );
      const recent = counts.rows[0];
      if (!recent) throw new Error('payment limit counts returned no row');
      if (recent.pending_n >= config.maxPendingPerPhone) throw new AppError('PAYMENT_PROMPT_PENDING');
      // Each refusal says when the oldest request it counted leaves the window: the real wait.
      const limited = (message: string, waitS: number | null) =>
        new AppError('RATE_LIMITED', message, {
          retryAfterS: Math.max(1, Math.ceil(waitS ?? config.pushWindowS)),
        });
      if (recent.phone_n >= config.maxPushesPerPhone) {
        throw limited('Too many payment requests for this phone number.', recent.phone_wait_s);
      }
      if (recent.own_phone !== phone && recent.other_n >= config.maxPushesPerOtherPhone) {
        throw limited(
          'Too many payment requests to this phone number, which is not your own; ask its owner to pay.',
          recent.other_wait_s,
        );
      }
      if (recent.meter_n >= config.maxPushesPerMeter) {
        throw limited('Too many payment requests for this meter.', recent.meter_wait_s);
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
      // M-Pesa's AccountReference takes 12 characters: the meter's paybill account number.
      const accountReference = (await accountNoOf(db, meterNo)) ?? meterNo;
      pushAttempted = true;
      const res = await daraja.stkPush({
        phoneNumber: phone,
        amountKes,
        accountReference,
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
      this.deps.bus.emit('payment_prompted', { intentId, meterNo });
      // A callback may have overtaken the update above; it was kept, and is settled now.
      await this.settlement
        .settleEarlyCallbacks(res.CheckoutRequestID)
        .catch((err: unknown) =>
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
}

/** Seconds until the oldest request matching `filter` within the push window ($3 s) leaves it. */
function waitS(filter: string): string {
  return `extract(epoch FROM min(i.created_at) FILTER (WHERE ${filter} AND i.created_at > now() - make_interval(secs => $3))
            + make_interval(secs => $3) - now())::float8`;
}
