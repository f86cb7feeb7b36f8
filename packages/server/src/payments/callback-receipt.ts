import type { StkCallback } from '@umeme/daraja';
import { Counter } from 'prom-client';
import type { Batcher } from '../shared/batcher';
import { mayHoldNul, withoutNul } from './callback-text';
import {
  groupCommit,
  storeCallbacksStatement,
  type CallbackOutcome,
  type PendingPersist,
  type PersistedCallback,
  type SeenIntent,
  type Verdict,
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';
import type { Settlement } from './settlement';

/** The store came before STK Query's answer (see persistStkCallback). */
const STORED_FIRST = Symbol('stored first');

/**
 * The second stage: a callback is stored as received (committed before it is settled or
 * answered), its STK Query started meanwhile, then it is handed to settlement. A success whose
 * STK Query confirms it while it still waits for its turn to be stored is stored instead by the
 * settle group that credits it: one transaction, and one wait on the database fewer.
 */
export class CallbackReceipt {
  private readonly persistBatcher: Batcher<PendingPersist>;
  /** callbacks being stored by their own statement right now */
  private persistingSingly = 0;
  private readonly stored: Counter<'with'>;

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
    this.stored = new Counter({
      name: 'umeme_payment_callbacks_stored_total',
      help: 'STK callbacks stored: alone (before settling) or with_credit (by the transaction that credits them)',
      labelNames: ['with'] as const,
      registers: [deps.metrics.registry],
    });
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
    const pending: PendingPersist = {
      checkoutRequestId: stkCallback.CheckoutRequestID,
      resultCode: stkCallback.ResultCode,
      body,
      remoteAddress,
    };
    let row = await this.persistStkCallback(pending, verdict);
    if (row === null) {
      // confirmed before its turn to be stored came: stored by the group that credits it
      const outcome = await this.settlement.storeAndSettle(pending, stkCallback, verdict!);
      if (outcome !== null) {
        this.stored.inc({ with: 'with_credit' });
        return outcome;
      }
      // that group failed and rolled back: stored on its own now, then settled as any other
      row = (await this.persistStkCallback(pending, null))!;
    }
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
   *
   * Null, and nothing stored, when `verdict` confirms the payment while the callback still waits
   * for a store in flight: the caller hands it to the settle group, whose transaction stores it
   * with its credit (`Settlement.storeAndSettle`). It never waits longer unstored than it would
   * have waited for its turn anyway: when STK Query answers after the store has started (as
   * Safaricom's, in hundreds of milliseconds, always does), it is stored first. Not while
   * successes settle one by one (PGlite), nor while a test stops between storing and settling
   * (a point that path does not have).
   */
  private async persistStkCallback(
    input: PendingPersist,
    verdict: Promise<Verdict> | null,
  ): Promise<PersistedCallback | null> {
    if (this.persistingSingly >= this.deps.config.settleSingleMax && !this.persistBatcher.closed) {
      const queued = this.persistBatcher.add(input);
      if (
        verdict &&
        this.settlement.settlesInGroups &&
        this.deps.failpoints.afterCallbackPersisted === undefined
      ) {
        const storedFirst = (): typeof STORED_FIRST => STORED_FIRST;
        const first = await Promise.race([verdict, queued.then(storedFirst, storedFirst)]);
        if (first !== STORED_FIRST && first.kind === 'confirmed' && this.persistBatcher.withdraw(input)) {
          return null;
        }
      }
      await queued;
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

  /** Stores callbacks in one statement, one or many (`storeCallbacksStatement`). */
  private async persistBatch(items: PendingPersist[]): Promise<void> {
    const { text, values } = storeCallbacksStatement(items);
    const { rows } = await this.deps.db.query<PersistedCallback & { n: number }>(text, values);
    this.stored.inc({ with: 'alone' }, rows.length);
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
