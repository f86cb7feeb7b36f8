import { isStkQueryPending, resultCodeReason } from '@umeme/daraja';
import { SYSTEM } from '../shared/access';
import {
  appliedSettled,
  audit,
  EXPIRED_REASON,
  INTENT_COLUMNS,
  UNKNOWN_AFTER_CRASH_REASON,
  type ClaimedIntent,
  type IntentRow,
  type QueryResolution,
  type Settled,
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';
import type { Settlement } from './settlement';

/**
 * The last stage: intents nobody settled. Pushes that died before Daraja answered, and pending
 * intents claimed (lease, SKIP LOCKED) and settled by what STK Query says. The reconciler
 * (reconciliation.ts) runs these on a timer.
 */
export class IntentReconciliation {
  constructor(
    private readonly deps: PaymentStageDeps,
    private readonly settlement: Settlement,
  ) {}

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
      const { transactionId } = await this.deps.credit.creditWithin(tx, SYSTEM, {
        meterNo: intent.meter_no,
        amountCents: intent.amount_cents,
        source: 'mpesa_stk',
        type: 'payment',
        externalRef: `STK-${claimed.checkoutRequestId}`,
        phone: intent.phone,
        paidBy: intent.user_id,
      });
      await tx.query(
        `UPDATE payment_intents SET status = 'succeeded', result_code = 0, reason = NULL, transaction_id = $2,
                resolved_at = now(), updated_at = now(), next_check_at = NULL
          WHERE id = $1`,
        [intent.id, transactionId],
      );
      await audit(tx, 'payment.reconciled', intent.id, { transactionId, via: 'stk_query' });
      return appliedSettled(intent, transactionId);
    });
    if (!settled) return 'settled';
    await this.settlement.publishSettled(settled);
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
