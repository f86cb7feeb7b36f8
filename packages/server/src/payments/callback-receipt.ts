import type { StkCallback } from '@umeme/daraja';
import { arrayLiteral } from '../db/db';
import type { Batcher } from '../shared/batcher';
import { mayHoldNul, withoutNul } from './callback-text';
import {
  groupCommit,
  type CallbackOutcome,
  type PendingPersist,
  type PersistedCallback,
  type SeenIntent,
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';
import type { Settlement } from './settlement';

/**
 * The second stage: a callback is stored as received (committed before it is settled or
 * answered), its STK Query started meanwhile, then it is handed to settlement.
 */
export class CallbackReceipt {
  private readonly persistBatcher: Batcher<PendingPersist>;
  /** callbacks being stored by their own statement right now */
  private persistingSingly = 0;

  constructor(
    private readonly deps: PaymentStageDeps,
    private readonly settlement: Settlement,
  ) {
    this.persistBatcher = groupCommit<PendingPersist>(
      deps,
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
  }

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
    const verdict = this.deps.verifier.verifyEarly(stkCallback);
    const row = await this.persistStkCallback({
      checkoutRequestId: stkCallback.CheckoutRequestID,
      resultCode: stkCallback.ResultCode,
      body,
      remoteAddress,
    });
    await this.deps.failpoints.afterCallbackPersisted?.(row.id);
    // no intent: the join's columns are all null
    return this.settlement.settleStkCallback(
      row.id,
      stkCallback,
      row.status === null ? null : (row as SeenIntent),
      verdict,
    );
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

  /** Stops storing callbacks in groups once the ones waiting are stored (shutdown). */
  close(): Promise<void> {
    // callbacks arriving once it is closed are stored one by one
    return this.persistBatcher.close();
  }
}
