import type { Logger } from 'pino';
import {
  RECONCILE_BATCH,
  RECONCILE_LEASE_S,
  RECONCILE_MAX_PER_RUN,
  RECONCILE_QUERY_CONCURRENCY,
  UNSETTLED_CALLBACK_AGE_S,
  UNSETTLED_CALLBACK_BATCH,
} from './payments.limits';
import type { ClaimedIntent, PaymentsService, QueryResolution } from './payments.service';

export interface ReconcileConfig {
  intervalS: number;
  pendingTimeoutS: number;
  expireS: number;
}

export interface ReconcileReport {
  /** stored callbacks settled again (crash after persisting, deferred verification) */
  callbacksSettled: number;
  /** pushes that died before Daraja's answer was recorded */
  abandoned: number;
  queried: number;
  succeeded: number;
  failed: number;
  expired: number;
  unknown: number;
  stillPending: number;
}

/**
 * Daraja callbacks can arrive late, twice, or never. Every interval, intents pending too long
 * are resolved with STK Query. Several instances may run this at once: each claims its own
 * rows (`FOR UPDATE SKIP LOCKED` plus a lease), and settling locks the intent again, so a row
 * two instances both see is still credited once.
 */
export class PaymentReconciler {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<ReconcileReport> | null = null;
  private readonly wakeups = new Map<number, NodeJS.Timeout>();
  private closed = false;

  constructor(
    private readonly payments: PaymentsService,
    private readonly config: ReconcileConfig,
    private readonly logger: Logger,
  ) {}

  /**
   * Runs a pass about `delayMs` from now: an STK prompt nobody answers is resolved by STK Query
   * once PAYMENT_PENDING_TIMEOUT_S (just past the prompt's own 60 s expiry) has passed, not at
   * the next interval. Wake-ups are rounded up to whole seconds, so a busy instance runs at
   * most one such pass a second; any instance may run one (passes claim their own rows).
   */
  wakeAfter(delayMs: number): void {
    if (this.closed) return;
    const dueS = Math.ceil((Date.now() + delayMs) / 1000);
    if (this.wakeups.has(dueS)) return;
    const timer = setTimeout(
      () => {
        this.wakeups.delete(dueS);
        void this.runOnce().catch((err: unknown) =>
          this.logger.error({ err }, 'payment reconciliation failed'),
        );
      },
      Math.max(0, dueS * 1000 - Date.now()),
    );
    timer.unref();
    this.wakeups.set(dueS, timer);
  }

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running) return;
      void this.runOnce().catch((err: unknown) =>
        this.logger.error({ err }, 'payment reconciliation failed'),
      );
    }, this.config.intervalS * 1000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.closed = true;
    for (const t of this.wakeups.values()) clearTimeout(t);
    this.wakeups.clear();
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running?.catch(() => undefined);
  }

  /** One pass; concurrent calls on one instance share the pass in progress. */
  runOnce(): Promise<ReconcileReport> {
    this.running ??= this.pass().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async pass(): Promise<ReconcileReport> {
    const { pendingTimeoutS, expireS } = this.config;
    const report: ReconcileReport = {
      callbacksSettled: await this.payments.settleUnsettledCallbacks(
        UNSETTLED_CALLBACK_AGE_S,
        UNSETTLED_CALLBACK_BATCH,
      ),
      abandoned: await this.payments.markAbandonedPushes(pendingTimeoutS),
      queried: 0,
      succeeded: 0,
      failed: 0,
      expired: 0,
      unknown: 0,
      stillPending: 0,
    };
    // Intents still processing are released for the next pass; the cursor keeps this pass from
    // taking them again.
    let after: ClaimedIntent | null = null;
    while (report.queried < RECONCILE_MAX_PER_RUN) {
      const claimed = await this.payments.claimOverdueIntents(
        pendingTimeoutS,
        RECONCILE_BATCH,
        RECONCILE_LEASE_S,
        after,
      );
      if (claimed.length === 0) break;
      after = claimed[claimed.length - 1] ?? null;
      report.queried += claimed.length;
      const results = await mapLimited(claimed, RECONCILE_QUERY_CONCURRENCY, (c) => this.resolve(c, expireS));
      for (const r of results) {
        if (r === 'succeeded') report.succeeded += 1;
        else if (r === 'failed') report.failed += 1;
        else if (r === 'expired') report.expired += 1;
        else if (r === 'unknown') report.unknown += 1;
        else if (r === 'pending') report.stillPending += 1;
      }
      if (claimed.length < RECONCILE_BATCH) break;
    }
    if (report.queried > 0 || report.callbacksSettled > 0 || report.abandoned > 0) {
      this.logger.info({ ...report }, 'payment reconciliation pass');
    }
    return report;
  }

  private async resolve(claimed: ClaimedIntent, expireS: number): Promise<QueryResolution> {
    try {
      return await this.payments.resolveWithQuery(claimed, expireS);
    } catch (err) {
      // The lease lapses and a later pass tries again.
      this.logger.error({ err, intentId: claimed.id }, 'resolving a pending payment failed');
      return 'pending';
    }
  }
}

async function mapLimited<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      out[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
