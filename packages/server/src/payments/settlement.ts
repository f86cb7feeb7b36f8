import {
  readCallbackMetadata,
  resultCodeReason,
  type CallbackMetadata,
  type StkCallback,
} from '@umeme/daraja';
import { Counter } from 'prom-client';
import { arrayLiteral, type PipelinedTransaction, type Queryable, type Transaction } from '../db/db';
import {
  creditBatchReads,
  LOCKED_METER_COLUMNS,
  lockMetersStatement,
  type LockedMeter,
} from '../credit/credit.sql';
import type { Batcher } from '../shared/batcher';
import { SYSTEM } from '../shared/access';
import { AppError } from '../shared/errors';
import {
  audit,
  groupCommit,
  INTENT_COLUMNS_OF_I,
  LOCK_INTENT_AND_METER_SQL,
  LOCK_INTENT_SQL,
  markApplied,
  markCallback,
  metadataProblem,
  meterOfRow,
  stkCallbackOf,
  stkCredit,
  stkExternalRef,
  type BatchedSettle,
  type CallbackOutcome,
  type IntentRow,
  type SeenIntent,
  type Settled,
  type Verdict,
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';

/**
 * The third stage: a stored callback settled against its intent. Every path locks the intent
 * first. One by one while few are settling; under load, confirmed successes settle together in
 * one pipelined transaction (group commit). Both credit through `CreditService`'s one path,
 * whose events follow the commit; what is payments' own (payment_failed, alerts of a refused
 * callback, a republish) is published here once the transaction has returned.
 */
export class Settlement {
  private readonly callbacks: Counter<'kind' | 'outcome'>;
  private readonly settleBatcher: Batcher<BatchedSettle>;
  /** callbacks in their own settle transaction right now */
  private settlingSingly = 0;

  constructor(private readonly deps: PaymentStageDeps) {
    this.settleBatcher = groupCommit<BatchedSettle>(
      deps,
      'umeme_payment_settle_batch_size',
      'Success callbacks settled per group-commit transaction',
      (items) => this.applySettleBatch(items),
      // applySettleBatch never throws: a failed batch hands its items back to the single path.
      () => {},
    );
    this.callbacks = new Counter({
      name: 'umeme_daraja_callbacks_total',
      help: 'Daraja callbacks settled, by kind and outcome',
      labelNames: ['kind', 'outcome'] as const,
      registers: [deps.metrics.registry],
    });
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
        verdict = await (earlyVerdict ?? this.deps.verifier.verify(cb.CheckoutRequestID));
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
        settled = await db.pipelined((tx) => this.settleWithin(tx, callbackId, cb, meta, verdict));
      } finally {
        this.settlingSingly--;
      }
    }
    if (success && (settled.outcome === 'applied' || settled.outcome === 'duplicate')) {
      this.deps.verifier.rememberCredited(cb.CheckoutRequestID);
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
    tx: Transaction,
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
    let transactionId: string;
    try {
      ({ transactionId } = await this.deps.credit.creditWithin(
        tx,
        SYSTEM,
        stkCredit(intent, receipt),
        lockedMeter,
      ));
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
    return (await markApplied(tx, [{ intent, receipt, transactionId, callbackId }]))[0]!;
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
  close(): Promise<void> {
    return this.settleBatcher.close();
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
    tx: PipelinedTransaction,
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
    const [lockedIntents, lockedMeters, creditReads] = await tx.queryMany([
      {
        text: `SELECT ${INTENT_COLUMNS_OF_I},
              EXISTS (SELECT 1 FROM payment_intents o WHERE o.mpesa_receipt = c.receipt AND o.id <> i.id) AS receipt_used
         FROM unnest($1::text[], $2::text[]) AS c(checkout_request_id, receipt)
         JOIN payment_intents i ON i.checkout_request_id = c.checkout_request_id
        ORDER BY i.id FOR UPDATE OF i`,
        values: [checkoutIds, arrayLiteral(candidates.map((i) => items[i]!.meta.mpesaReceiptNumber ?? null))],
      },
      known
        ? lockMetersStatement(known)
        : {
            text: `SELECT ${LOCKED_METER_COLUMNS} FROM meters
          WHERE meter_no IN (SELECT meter_no FROM payment_intents WHERE checkout_request_id = ANY($1::text[]))
          ORDER BY meter_no FOR UPDATE`,
            values: [checkoutIds],
          },
      ...(known ? [creditBatchReads(known, externalRefs)] : []),
    ]);
    await this.deps.failpoints.inSettleGroup?.(items.map((item) => item.callbackId));
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
      const credit = credits[k]!;
      return credit.kind === 'applied' ? [{ ...e, transactionId: credit.result.transactionId }] : [];
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

  async publishSettled(s: Settled): Promise<void> {
    if (s.succeeded) {
      // the credit's own events went out when its transaction committed
      await this.deps.failpoints.afterCreditCommitted?.(s.succeeded.intentId);
      await this.deps.failpoints.afterPublished?.(s.succeeded.intentId);
    }
    if (s.failed) this.deps.bus.emit('payment_failed', s.failed);
    if (s.alertChanges) this.deps.alerts.publish(s.alertChanges);
    if (s.republishMeterNo !== undefined) this.deps.republish(s.republishMeterNo);
    if (s.orphaned) this.deps.bus.emit('payment_orphaned', s.orphaned);
  }

  /** Callbacks of this CheckoutRequestID that arrived before the intent knew it. */
  async settleEarlyCallbacks(checkoutRequestId: string): Promise<void> {
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
}
