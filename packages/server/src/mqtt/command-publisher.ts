import { commandTopic, mwhToKwh } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { Db } from '../db/db';
import type { EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';

export interface CommandTransport {
  publish(topic: string, payload: string, retain: boolean): Promise<void>;
  readonly connected: boolean;
}

/** Meters whose command/balance is published per database read. */
const PUBLISH_BATCH = 500;
/**
 * Publishes awaiting the broker's PUBACK at once. The next ones do not wait for earlier
 * acknowledgements (a broker with Nagle on holds PUBACKs back by tens of milliseconds), but a
 * broker that stops acknowledging cannot make memory grow: past this many, new values wait in
 * `pending`, coalesced per meter.
 */
const MAX_UNACKNOWLEDGED = 1000;
/** A meter that keeps lagging is re-sent its credit limit at most this often. */
const REPUBLISH_MIN_INTERVAL_MS = 10_000;

/**
 * Publishes `command/balance` (retained, QoS 1) whenever C changes, when a meter comes
 * online, and for every meter at start-up: a broker restart may have lost retained
 * messages, and the server owns C (docs/design.md §1, MQ-2, MQ-5).
 * Requests are coalesced per meter so a burst costs one publish of the latest value.
 */
export class CommandPublisher {
  private readonly pending = new Map<string, { creditLimitMwh: number; balanceMwh: number } | null>();
  private readonly lastRepublish = new Map<string, number>();
  private draining: Promise<void> | null = null;
  private readonly unacknowledged = new Set<Promise<void>>();

  constructor(
    private readonly db: Db,
    private readonly transport: CommandTransport,
    bus: EventBus,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {
    bus.on('credit_limit_changed', (e) => this.schedule(e.meterNo, e));
    bus.on('meter_online', (e) => this.schedule(e.meterNo, null));
    bus.on('republish_credit_limit', (e) => {
      const now = Date.now();
      if (now - (this.lastRepublish.get(e.meterNo) ?? 0) < REPUBLISH_MIN_INTERVAL_MS) return;
      this.lastRepublish.set(e.meterNo, now);
      if (this.lastRepublish.size > 100_000) this.lastRepublish.clear();
      this.schedule(e.meterNo, null);
    });
  }

  schedule(meterNo: string, known: { creditLimitMwh: number; balanceMwh: number } | null): void {
    // A known value from a commit is newer than anything read before it.
    if (known || !this.pending.has(meterNo)) this.pending.set(meterNo, known);
    this.draining ??= this.drain().finally(() => {
      this.draining = null;
      if (this.pending.size > 0) this.schedule([...this.pending.keys()][0]!, null);
    });
  }

  /** Republishes every meter's credit limit, in pages. */
  async republishAll(): Promise<number> {
    let after = '';
    let count = 0;
    for (;;) {
      const { rows } = await this.db.query<{
        meter_no: string;
        credit_limit_mwh: number;
        energy_mwh: number;
      }>(
        `SELECT meter_no, credit_limit_mwh, energy_mwh FROM meters WHERE meter_no > $1 ORDER BY meter_no LIMIT $2`,
        [after, PUBLISH_BATCH],
      );
      if (rows.length === 0) return count;
      await Promise.all(
        rows.map((r) =>
          this.publishBalance(r.meter_no, r.credit_limit_mwh, r.credit_limit_mwh - r.energy_mwh),
        ),
      );
      count += rows.length;
      after = rows[rows.length - 1]!.meter_no;
    }
  }

  /** Resolves once nothing waits to be published and every publish is acknowledged (or failed). */
  async idle(): Promise<void> {
    while (this.draining || this.unacknowledged.size > 0) {
      await this.draining;
      await Promise.all([...this.unacknowledged]);
    }
  }

  private async drain(): Promise<void> {
    while (this.pending.size > 0) {
      const batch = [...this.pending.entries()].slice(0, PUBLISH_BATCH);
      for (const [meterNo] of batch) this.pending.delete(meterNo);
      const unknown = batch.filter(([, v]) => v === null).map(([m]) => m);
      const values = new Map<string, { creditLimitMwh: number; balanceMwh: number }>();
      for (const [m, v] of batch) if (v) values.set(m, v);
      if (unknown.length > 0) {
        try {
          const { rows } = await this.db.query<{
            meter_no: string;
            credit_limit_mwh: number;
            energy_mwh: number;
          }>(`SELECT meter_no, credit_limit_mwh, energy_mwh FROM meters WHERE meter_no = ANY($1::text[])`, [
            unknown,
          ]);
          for (const r of rows) {
            values.set(r.meter_no, {
              creditLimitMwh: r.credit_limit_mwh,
              balanceMwh: r.credit_limit_mwh - r.energy_mwh,
            });
          }
        } catch (err) {
          this.logger.error({ err }, 'reading credit limits for publishing failed');
        }
      }
      for (const [m, v] of values) {
        while (this.unacknowledged.size >= MAX_UNACKNOWLEDGED) await Promise.race(this.unacknowledged);
        // QoS 1 on one connection keeps a meter's publishes in order, and a meter keeps the
        // largest credit limit it has seen, so one meter's publishes may overlap.
        const published = this.publishBalance(m, v.creditLimitMwh, v.balanceMwh);
        this.unacknowledged.add(published);
        void published.finally(() => this.unacknowledged.delete(published));
      }
    }
  }

  private async publishBalance(meterNo: string, creditLimitMwh: number, balanceMwh: number): Promise<void> {
    const payload = JSON.stringify({
      balance: mwhToKwh(balanceMwh),
      creditLimit: mwhToKwh(creditLimitMwh),
      timestamp: Math.floor(Date.now() / 1000),
    });
    try {
      await this.transport.publish(commandTopic(meterNo, 'balance'), payload, true);
      this.metrics.commandsPublished.inc({ kind: 'balance' });
    } catch (err) {
      // mqtt.js queues while offline; a failure here means the client is closing. The next
      // start-up republishes every meter, so nothing is lost for good.
      this.logger.warn({ meterNo, err: (err as Error).message }, 'command/balance publish failed');
    }
  }
}
