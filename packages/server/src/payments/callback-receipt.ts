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
} from './payments.intents';
import type { PaymentStageDeps } from './payment-stage';
import type { Settlement } from './settlement';

/**
 * How long a success callback waits for its STK Query's answer to be stored with its credit,
 * in one transaction, rather than first on its own. Taken only while STK Query answers in half
 * of this on average; with Safaricom's STK Query (hundreds of milliseconds) callbacks are
 * stored first, while the query is out, and never wait for it unstored.
 */
export const STORE_WITH_CREDIT_WAIT_MS = 10;

/** The promise's value if it settles within `ms`, else null (the promise goes on). */
async function answeredWithin<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([promise, new Promise<null>((r) => (timer = setTimeout(() => r(null), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The second stage: a callback is stored as received (committed before it is settled or
 * answered), its STK Query started meanwhile, then it is handed to settlement. When STK Query
 * answers quickly, a confirmed success is instead stored by the settle group that credits it:
 * one transaction, and one wait on the database fewer (`STORE_WITH_CREDIT_WAIT_MS`).
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
    if (verdict && this.mayStoreWithCredit()) {
      // STK Query answers faster than a store commits (the emulator, a Daraja close by): wait
      // for it, briefly, and a confirmed success is stored by the transaction that credits it.
      if ((await answeredWithin(verdict, STORE_WITH_CREDIT_WAIT_MS))?.kind === 'confirmed') {
        const outcome = await this.settlement.storeAndSettle(pending, stkCallback, verdict);
        if (outcome !== null) {
          this.stored.inc({ with: 'with_credit' });
          return outcome;
        }
      }
    }
    const row = await this.persistStkCallback(pending);
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
   * Whether a success may wait for its STK Query and be stored with its credit: while successes
   * settle in groups (PostgreSQL), STK Query has lately answered in well under the wait, and no
   * test has asked to stop between storing and settling (a point that path does not have).
   */
  private mayStoreWithCredit(): boolean {
    return (
      this.settlement.settlesInGroups &&
      !this.persistBatcher.closed &&
      this.deps.failpoints.afterCallbackPersisted === undefined &&
      this.deps.verifier.answersWithin(STORE_WITH_CREDIT_WAIT_MS / 2)
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
