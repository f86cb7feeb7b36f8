import { isOnlineStatus, type TransactionType } from '@umeme/protocol';
import type { Logger } from 'pino';
import { isDatabaseUnavailable, type Db } from '../db/db';
import { meterLagsCreditLimit, type AlertsService, type BalanceInput } from '../alerts/alerts.service';
import { Batcher } from '../shared/batcher';
import type { AlertChanged, EventBus, MeterChanged } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import { supplyInputsOf } from '../meters/supply';
import {
  applyEnergyReport,
  registerJumpVerdict,
  tamperAlerts,
  tamperSuspected,
  type EnergyReportResult,
} from '@umeme/core';
import { lockMeters, writeBatch, writeHolds } from './ingest.sql';
import { comesOnline, type ConsumptionItem, type HeldJump, type MeterUpdate } from './meter-update';

interface IngestOptions {
  maxBatch: number;
  maxDelayMs: number;
  concurrency: number;
  highWater: number;
  /** rated power of a meter without its own max load (MQ-13) */
  defaultRatedPowerW: number;
  /** time at rated power a register may always grow (MQ-13) */
  registerGraceMs: number;
  /** wait before a batch that failed for want of the database is applied again */
  retryDelayMs: number;
}

const HOUR_MS = 3_600_000;

/**
 * Applies consumption reports in small batches, one database transaction per batch
 * (docs/design.md §8). Duplicates, reordering and stale reports fold to no-ops (docs/design.md §3).
 */
export class IngestService {
  /**
   * One batcher per shard of meters, each applying one batch at a time. Batches in flight at
   * once never share a meter, so they never wait on each other's row locks (with one shared
   * queue, concurrent batches of a busy fleet lock the same meters and run one after another).
   */
  private readonly shards: Batcher<ConsumptionItem>[];

  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
    private readonly opts: IngestOptions,
  ) {
    const count = Math.max(1, opts.concurrency);
    this.shards = Array.from(
      { length: count },
      () =>
        new Batcher<ConsumptionItem>({
          maxBatch: opts.maxBatch,
          maxDelayMs: opts.maxDelayMs,
          concurrency: 1,
          highWater: Math.ceil(opts.highWater / count),
          apply: (items) => this.applyConsumptionReports(items),
          // Ingest is idempotent (duplicates fold to no-ops), so a batch whose COMMIT may or may
          // not have landed before the connection died is safe to apply again.
          retryable: isDatabaseUnavailable,
          retryDelayMs: opts.retryDelayMs,
          onError: (err, items, retrying) => {
            this.metrics.ingestReports.inc({ outcome: retrying ? 'retried' : 'failed' }, items.length);
            if (retrying)
              this.logger.warn(
                { err: err instanceof Error ? err.message : String(err), reports: items.length },
                'database unavailable; ingest batch held and retried',
              );
            else
              this.logger.error(
                { err, reports: items.length },
                'ingest batch failed; reports stay unacknowledged',
              );
          },
        }),
    );
  }

  get pending(): number {
    let n = 0;
    for (const shard of this.shards) n += shard.pending;
    return n;
  }

  /** Resolves once the report is committed; the MQTT PUBACK waits for it. */
  enqueue(item: ConsumptionItem): Promise<void> {
    this.metrics.ingestQueue.set(this.pending + 1);
    return this.shardOf(item.meterNo).add(item);
  }

  /** A promise to wait on while any shard is above its share of the high-water mark. */
  backpressure(): Promise<void> | null {
    for (const shard of this.shards) {
      const wait = shard.backpressure();
      if (wait) return wait;
    }
    return null;
  }

  async flush(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.flush()));
  }

  async close(): Promise<void> {
    await Promise.all(this.shards.map((s) => s.close()));
  }

  private shardOf(meterNo: string): Batcher<ConsumptionItem> {
    if (this.shards.length === 1) return this.shards[0]!;
    let h = 2166136261; // FNV-1a
    for (let i = 0; i < meterNo.length; i++) h = Math.imul(h ^ meterNo.charCodeAt(i), 16777619);
    return this.shards[(h >>> 0) % this.shards.length]!;
  }

  async applyConsumptionReports(items: ConsumptionItem[]): Promise<void> {
    const started = Date.now();
    const meterNos = [...new Set(items.map((i) => i.meterNo))].sort();
    const changed: MeterChanged[] = [];
    let alertChanges: AlertChanged[] = [];
    const lagging: string[] = [];
    await this.db.transaction(async (tx) => {
      const rows = await lockMeters(tx, meterNos);
      const updates = new Map<string, MeterUpdate>();
      for (const row of rows) {
        updates.set(row.meter_no, {
          row,
          state: {
            e0Mwh: row.e0_mwh,
            energyMwh: row.energy_mwh,
            legacyRawMwh: row.legacy_raw_mwh,
            epochOffsetMwh: row.epoch_offset_mwh,
            lastReportTs: row.last_report_ts,
          },
          debitedMwh: 0,
          maxSeq: row.last_seq,
          powerW: row.power_w,
          relay: row.relay,
          meterBalanceMwh: row.meter_balance_mwh,
          lastSeenMs: 0,
          epochRestarted: false,
          reports: 0,
          relayOffDebitMwh: 0,
          registerAtMs: row.register_at_ms,
          heldFromMwh: row.held_from_mwh,
          held: null,
          backOnRegister: null,
          hourly: new Map(),
        });
      }
      let unknown = 0;
      for (const item of items) {
        const u = updates.get(item.meterNo);
        if (!u) {
          unknown++;
          continue;
        }
        const newer = item.reportTs >= (u.state.lastReportTs ?? 0);
        const folded = applyEnergyReport(
          { e0Mwh: u.state.e0Mwh, lastEnergyMwh: u.state.energyMwh, epochOffsetMwh: u.state.epochOffsetMwh },
          item.energyMwh,
          item.kind,
          { reportTs: item.reportTs, lastReportTs: u.state.lastReportTs },
        );
        u.reports++;
        const relayWasOff = u.relay === 'off';
        // Live readings (power, relay, meter's own balance) follow the newest report only.
        if (newer) {
          if (item.powerW !== null) u.powerW = Math.round(item.powerW);
          if (item.relay !== null) u.relay = item.relay;
          if (item.meterBalanceMwh !== null) u.meterBalanceMwh = item.meterBalanceMwh;
        }
        if (item.kind === 'v2') u.maxSeq = Math.max(u.maxSeq ?? 0, item.seq);
        u.lastSeenMs = Math.max(u.lastSeenMs, item.receivedAtMs);
        // Arithmetic on what the batch already read: a jump beyond rated power × elapsed is held.
        if (folded.debitedMwh > 0 && this.holdJump(u, item, folded)) continue;
        u.state = {
          ...u.state,
          energyMwh: folded.newLastEnergyMwh,
          epochOffsetMwh: folded.newEpochOffsetMwh,
          legacyRawMwh: item.kind === 'legacy' && newer ? item.energyMwh : u.state.legacyRawMwh,
          lastReportTs: Math.max(u.state.lastReportTs ?? 0, item.reportTs),
        };
        if (folded.epochRestarted) u.epochRestarted = true;
        if (folded.debitedMwh > 0 && item.relay === 'off' && relayWasOff) {
          u.relayOffDebitMwh += folded.debitedMwh;
        }
        if (folded.debitedMwh > 0) {
          u.debitedMwh += folded.debitedMwh;
          u.registerAtMs = Math.max(u.registerAtMs, item.receivedAtMs);
          if (u.heldFromMwh !== null) u.backOnRegister = true;
          const hour = Math.floor(item.receivedAtMs / HOUR_MS) * HOUR_MS;
          const h = u.hourly.get(hour) ?? { energyMwh: 0, maxPowerW: null, reports: 0 };
          h.energyMwh += folded.debitedMwh;
          h.reports++;
          if (item.powerW !== null) h.maxPowerW = Math.max(h.maxPowerW ?? 0, Math.round(item.powerW));
          u.hourly.set(hour, h);
        }
      }
      if (unknown > 0) this.metrics.ingestReports.inc({ outcome: 'unknown_meter' }, unknown);
      const list = [...updates.values()].filter((u) => u.reports > 0);
      if (list.length === 0) return;
      await writeBatch(tx, items, updates, list);
      await writeHolds(tx, list, this.logger);
      const balances: BalanceInput[] = [];
      for (const u of list) {
        const previousBalanceMwh = u.row.credit_limit_mwh - u.row.energy_mwh;
        const balanceMwh = u.row.credit_limit_mwh - u.state.energyMwh;
        if (u.epochRestarted) {
          this.logger.warn({ meterNo: u.row.meter_no }, 'legacy meter register dropped: new epoch started');
          await tx.query(
            `INSERT INTO audit_log (actor_kind, action, target, details) VALUES ('device', 'meter.epoch_restarted', $1, $2)`,
            [u.row.meter_no, JSON.stringify({ epochOffsetMwh: u.state.epochOffsetMwh })],
          );
        }
        const input: BalanceInput = {
          meterNo: u.row.meter_no,
          userId: u.row.user_id,
          balanceMwh,
          creditLimitMwh: u.row.credit_limit_mwh,
          energyMwh: u.state.energyMwh,
          lowBalanceMwh: u.row.low_balance_mwh,
          meterBalanceMwh: u.meterBalanceMwh,
        };
        balances.push(input);
        if (meterLagsCreditLimit(input)) lagging.push(u.row.meter_no);
        changed.push({
          meterNo: u.row.meter_no,
          userId: u.row.user_id,
          eventSeq: u.row.event_seq + 1,
          previousBalanceMwh,
          balanceMwh,
          creditLimitMwh: u.row.credit_limit_mwh,
          energyMwh: u.state.energyMwh,
          powerW: u.powerW,
          relay: u.relay,
          status: comesOnline(u) ? 'online' : u.row.status,
          lastSeen: u.lastSeenMs,
          cause: 'consumption' satisfies TransactionType,
          energyDeltaMwh: u.debitedMwh,
          at: Date.now(),
          supply: supplyInputsOf(u.row),
        });
      }
      const openNow = new Map(list.map((u) => [u.row.meter_no, u.row.open_alerts ?? []]));
      alertChanges = await this.alerts.evaluateBalances(tx, balances, openNow);
      // Suspected tamper, and a meter the connection sweep had marked lost reporting again.
      // Built only for meters whose state changes: this runs for every report batch.
      const toChange: Parameters<AlertsService['apply']>[1] = [];
      for (const u of list) {
        const open = openNow.get(u.row.meter_no) ?? [];
        const tamperInput = {
          meterNo: u.row.meter_no,
          userId: u.row.user_id,
          relayOffDebitMwh: u.relayOffDebitMwh,
          powerW: u.powerW,
          maxLoadW: u.row.max_load_w,
        };
        // Nearly always: no alert open and none to open.
        if (open.length > 0 || tamperSuspected(tamperInput)) {
          for (const d of tamperAlerts(tamperInput)) if (open.includes(d.kind) !== d.open) toChange.push(d);
        }
        if (u.held && !open.includes('register_anomaly')) toChange.push(registerAnomalyAlert(u, u.held));
        if (open.includes('connection_lost') && (isOnlineStatus(u.row.status) || comesOnline(u))) {
          toChange.push({
            meterNo: u.row.meter_no,
            userId: u.row.user_id,
            kind: 'connection_lost',
            open: false,
            severity: 'warning',
            message: 'The meter is online again.',
          });
        }
      }
      if (toChange.length > 0) alertChanges = [...alertChanges, ...(await this.alerts.apply(tx, toChange))];
    });
    const now = Date.now();
    for (const item of items) this.metrics.ingestCommitSeconds.observe((now - item.receivedAtMs) / 1000);
    this.metrics.ingestBatchSize.observe(items.length);
    this.metrics.ingestReports.inc({ outcome: 'applied' }, items.length);
    this.metrics.ingestQueue.set(this.pending);
    this.logger.trace({ reports: items.length, ms: now - started }, 'ingest batch committed');
    for (const c of changed) this.bus.emit('meter_changed', c);
    this.alerts.publish(alertChanges);
    // A meter that reports less credit than it has missed a command/balance: send it again.
    for (const meterNo of lagging) this.bus.emit('republish_credit_limit', { meterNo });
  }

  /**
   * Holds the report when its register jump is implausible (MQ-13): nothing is debited, the
   * applied register stays, and the report is kept for the operator. Returns whether it was held.
   */
  private holdJump(u: MeterUpdate, item: ConsumptionItem, folded: EnergyReportResult): boolean {
    const maxLoad = u.row.max_load_w;
    const ratedPowerW = maxLoad !== null && maxLoad > 0 ? maxLoad : this.opts.defaultRatedPowerW;
    const verdict = registerJumpVerdict({
      lastEnergyMwh: u.state.energyMwh,
      candidateEnergyMwh: folded.newLastEnergyMwh,
      debitedMwh: folded.debitedMwh,
      lastGrowthAtMs: u.registerAtMs,
      receivedAtMs: item.receivedAtMs,
      ratedPowerW,
      graceMs: this.opts.registerGraceMs,
      heldFromMwh: u.heldFromMwh,
    });
    if (!verdict.hold) return false;
    const latest = {
      latestEnergyMwh: folded.newLastEnergyMwh,
      latestEpochOffsetMwh: folded.newEpochOffsetMwh,
      latestRawMwh: item.energyMwh,
      latestSeq: item.seq,
      kind: item.kind,
    };
    if (u.held === null) {
      u.held = {
        ...latest,
        baseEnergyMwh: u.state.energyMwh,
        heldFromMwh: folded.newLastEnergyMwh,
        reports: 1,
        allowedMwh: verdict.allowedMwh,
        elapsedMs: verdict.elapsedMs,
        ratedPowerW,
        firstReceivedMs: item.receivedAtMs,
        lastReceivedMs: item.receivedAtMs,
      };
    } else {
      Object.assign(u.held, latest);
      u.held.heldFromMwh = Math.min(u.held.heldFromMwh, folded.newLastEnergyMwh);
      u.held.reports++;
      u.held.lastReceivedMs = Math.max(u.held.lastReceivedMs, item.receivedAtMs);
    }
    u.heldFromMwh = Math.min(u.heldFromMwh ?? folded.newLastEnergyMwh, folded.newLastEnergyMwh);
    u.backOnRegister = false;
    return true;
  }
}

/** The anomaly alert a held jump opens (once: it stays open until an operator decides). */
function registerAnomalyAlert(u: MeterUpdate, held: HeldJump): Parameters<AlertsService['apply']>[1][number] {
  const kwh = (mwh: number) => (mwh / 1_000_000).toLocaleString('en-US', { maximumFractionDigits: 3 });
  return {
    meterNo: u.row.meter_no,
    userId: u.row.user_id,
    kind: 'register_anomaly',
    open: true,
    severity: 'critical',
    message:
      `Register jump held: the meter reported ${kwh(held.latestEnergyMwh)} kWh, ` +
      `${kwh(held.latestEnergyMwh - held.baseEnergyMwh)} kWh above its register, more than ` +
      `${held.ratedPowerW} W could use since its last report (at most ${kwh(held.allowedMwh)} kWh). ` +
      'Nothing was debited: accept the jump or reset the register epoch.',
  };
}
