import { METER_NO_PATTERN } from '@umeme/protocol';
import {
  DEFAULT_CONNECT_CONCURRENCY,
  DEFAULT_CONNECT_RATE_PER_S,
  DEFAULT_PERSIST_INTERVAL_MS,
  DEFAULT_PUBLISH_INTERVAL_MS,
  DEFAULT_REALTIME_TICK_MS,
  MAX_CONNECT_CONCURRENCY,
  MAX_METERS,
  MAX_REALTIME_CATCHUP_MS,
  STATE_IO_CONCURRENCY,
} from './limits';
import { deriveSeed, mulberry32, type LoadModel } from './load-model';
import { forEachBounded, loadMeterState, saveMeterState } from './state-store';
import { VirtualMeter, type FaultOptions, type MeterState } from './virtual-meter';

/**
 * Runs many virtual meters against one broker: connects them a bounded number at a time,
 * drives them from one clock, and persists every register and credit limit so that a
 * restarted simulator resumes where it stopped instead of reporting a smaller E.
 */

export const DEFAULT_STATE_DIR = '.sim-state';
const CONNECT_FAILURES_LOGGED = 5;

export interface MeterCredentials {
  meterNo: string;
  secret: string;
}

export interface FleetOptions {
  url: string;
  credentials: readonly MeterCredentials[];
  /** Directory of `<meterNo>.json` state files. */
  stateDir?: string;
  /** Fleet seed; each meter's household and faults derive from it and the meter number. */
  seed?: number;
  publishIntervalMs?: number;
  legacy?: boolean;
  faults?: FaultOptions;
  emergencyCreditMwh?: number;
  lowBalanceMwh?: number;
  connectConcurrency?: number;
  connectRatePerS?: number;
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  persistIntervalMs?: number;
  /** Drive the meters from the wall clock (the CLI). Tests pass false and call tick(). */
  realtime?: boolean;
  tickIntervalMs?: number;
  clock?: () => number;
  /** Epoch ms at which simulated time starts; default clock(). */
  startMs?: number;
  loadModelFactory?: (meterNo: string, seed: number) => LoadModel;
  /** see VirtualMeterOptions.retainPresence */
  retainPresence?: boolean;
  log?: (line: string) => void;
}

export interface FleetStats {
  meters: number;
  connected: number;
  reportsPublished: number;
  reportsSkipped: number;
  relaysClosed: number;
  relaysOpen: number;
  /** Sum of the meters' lifetime registers. */
  energyMwh: number;
  connectFailures: number;
}

export class Fleet {
  readonly stateDir: string;
  private readonly options: FleetOptions;
  private readonly clock: () => number;
  private readonly log: (line: string) => void;
  private readonly meterList: VirtualMeter[] = [];
  private readonly lastSaved = new Map<string, string>();
  private tickTimer: NodeJS.Timeout | null = null;
  private persistTimer: NodeJS.Timeout | null = null;
  private lastWallMs = 0;
  private persisting: Promise<void> | null = null;
  private connectFailureCount = 0;
  private started = false;
  private stopping = false;

  constructor(options: FleetOptions) {
    const meterNos = new Set<string>();
    for (const { meterNo } of options.credentials) {
      if (!METER_NO_PATTERN.test(meterNo)) throw new RangeError(`invalid meter number: ${meterNo}`);
      if (meterNos.has(meterNo)) throw new RangeError(`meter ${meterNo} listed twice`);
      meterNos.add(meterNo);
    }
    if (options.credentials.length > MAX_METERS)
      throw new RangeError(`at most ${MAX_METERS} meters per fleet`);
    const concurrency = options.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY;
    if (!Number.isSafeInteger(concurrency) || concurrency < 1 || concurrency > MAX_CONNECT_CONCURRENCY) {
      throw new RangeError(`connectConcurrency must be 1–${MAX_CONNECT_CONCURRENCY}: ${concurrency}`);
    }
    this.options = options;
    this.stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    this.clock = options.clock ?? Date.now;
    this.log = options.log ?? (() => undefined);
  }

  get meters(): readonly VirtualMeter[] {
    return this.meterList;
  }

  meter(meterNo: string): VirtualMeter | undefined {
    return this.meterList.find((m) => m.meterNo === meterNo);
  }

  /** Loads saved state, creates the meters, starts the clock and connects them; resolves when every first attempt has settled. */
  async start(): Promise<void> {
    if (this.started) throw new Error('fleet already started');
    this.started = true;
    const states = new Map<string, MeterState>();
    const failures = await forEachBounded(
      this.options.credentials,
      STATE_IO_CONCURRENCY,
      async ({ meterNo }) => {
        const state = await loadMeterState(this.stateDir, meterNo);
        if (state !== null) states.set(meterNo, state);
      },
    );
    if (failures.length > 0) {
      const first = failures[0]?.error;
      throw new Error(
        `cannot load ${failures.length} meter state file(s): ${first instanceof Error ? first.message : String(first)}`,
      );
    }
    for (const [meterNo, state] of states) this.lastSaved.set(meterNo, JSON.stringify(state));

    const fleetSeed = this.options.seed ?? 1;
    const intervalMs = this.options.publishIntervalMs ?? DEFAULT_PUBLISH_INTERVAL_MS;
    const startMs = this.options.startMs ?? this.clock();
    for (const { meterNo, secret } of this.options.credentials) {
      const seed = deriveSeed(fleetSeed, meterNo);
      const state = states.get(meterNo);
      this.meterList.push(
        new VirtualMeter({
          meterNo,
          secret,
          url: this.options.url,
          seed,
          ...(this.options.loadModelFactory
            ? { loadModel: this.options.loadModelFactory(meterNo, seed) }
            : {}),
          publishIntervalMs: intervalMs,
          publishPhaseMs: Math.floor(mulberry32(deriveSeed(seed, 'phase'))() * intervalMs),
          ...(this.options.emergencyCreditMwh !== undefined
            ? { emergencyCreditMwh: this.options.emergencyCreditMwh }
            : {}),
          ...(this.options.lowBalanceMwh !== undefined ? { lowBalanceMwh: this.options.lowBalanceMwh } : {}),
          legacy: this.options.legacy ?? false,
          faults: this.options.faults ?? {},
          ...(this.options.retainPresence !== undefined
            ? { retainPresence: this.options.retainPresence }
            : {}),
          ...(state ? { initialState: state } : {}),
          startMs,
          ...(this.options.connectTimeoutMs !== undefined
            ? { connectTimeoutMs: this.options.connectTimeoutMs }
            : {}),
          ...(this.options.reconnectMinMs !== undefined
            ? { reconnectMinMs: this.options.reconnectMinMs }
            : {}),
          ...(this.options.reconnectMaxMs !== undefined
            ? { reconnectMaxMs: this.options.reconnectMaxMs }
            : {}),
        }),
      );
    }
    if (states.size > 0) this.log(`resumed ${states.size} meter(s) from ${this.stateDir}`);

    if (this.options.realtime ?? true) {
      this.lastWallMs = this.clock();
      this.tickTimer = setInterval(
        () => this.tickRealtime(),
        this.options.tickIntervalMs ?? DEFAULT_REALTIME_TICK_MS,
      );
    }
    const persistEveryMs = this.options.persistIntervalMs ?? DEFAULT_PERSIST_INTERVAL_MS;
    if (persistEveryMs > 0) {
      this.persistTimer = setInterval(() => {
        this.persist().catch((error: unknown) => this.log(`persisting state failed: ${String(error)}`));
      }, persistEveryMs);
    }
    await this.connectAll();
  }

  /** Advances every meter by the same simulated time. */
  tick(simulatedMs: number): void {
    for (const meter of this.meterList) meter.tick(simulatedMs);
  }

  stats(): FleetStats {
    const stats: FleetStats = {
      meters: this.meterList.length,
      connected: 0,
      reportsPublished: 0,
      reportsSkipped: 0,
      relaysClosed: 0,
      relaysOpen: 0,
      energyMwh: 0,
      connectFailures: this.connectFailureCount,
    };
    for (const meter of this.meterList) {
      if (meter.connected) stats.connected += 1;
      if (meter.relayClosed) stats.relaysClosed += 1;
      else stats.relaysOpen += 1;
      stats.reportsPublished += meter.reportsPublished;
      stats.reportsSkipped += meter.reportsSkipped;
      stats.energyMwh += meter.energyMwh;
    }
    return stats;
  }

  /** Writes the state of every meter that changed since the last write. Concurrent calls share one run. */
  async persist(): Promise<void> {
    if (this.persisting !== null) {
      // a run already in progress may have snapshotted before the latest ticks: wait, then run again
      await this.persisting.catch(() => undefined);
      if (this.persisting !== null) return this.persisting;
    }
    const run = this.writeChangedStates();
    this.persisting = run;
    try {
      await run;
    } finally {
      this.persisting = null;
    }
  }

  /** Stops the clock, closes every meter (announcing offline) and persists the final state. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    if (this.tickTimer !== null) clearInterval(this.tickTimer);
    if (this.persistTimer !== null) clearInterval(this.persistTimer);
    this.tickTimer = null;
    this.persistTimer = null;
    await forEachBounded(this.meterList, this.connectConcurrency(), (meter) => meter.close());
    await this.persist();
  }

  private connectConcurrency(): number {
    return this.options.connectConcurrency ?? DEFAULT_CONNECT_CONCURRENCY;
  }

  private async connectAll(): Promise<void> {
    const spacingMs = 1_000 / (this.options.connectRatePerS ?? DEFAULT_CONNECT_RATE_PER_S);
    let nextStartMs = Date.now();
    await forEachBounded(this.meterList, this.connectConcurrency(), async (meter) => {
      if (this.stopping) return;
      // spacing connect starts staggers the fleet even when the broker accepts instantly
      const waitMs = nextStartMs - Date.now();
      nextStartMs = Math.max(nextStartMs, Date.now()) + spacingMs;
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
      if (this.stopping) return;
      try {
        await meter.connect();
      } catch (error) {
        if (this.stopping) return; // closed mid-connect by stop(): not a failure
        this.connectFailureCount += 1;
        if (this.connectFailureCount <= CONNECT_FAILURES_LOGGED) {
          this.log(
            `${meter.meterNo}: connect failed (${error instanceof Error ? error.message : String(error)}); retrying`,
          );
        } else if (this.connectFailureCount === CONNECT_FAILURES_LOGGED + 1) {
          this.log('more connect failures: counting them in the summary only');
        }
      }
    });
  }

  private tickRealtime(): void {
    const now = this.clock();
    const elapsedMs = Math.max(0, Math.floor(now - this.lastWallMs));
    this.lastWallMs = now;
    const meteredMs = Math.min(elapsedMs, MAX_REALTIME_CATCHUP_MS);
    for (const meter of this.meterList) {
      meter.tick(meteredMs);
      if (elapsedMs > meteredMs) meter.skipTime(elapsedMs - meteredMs);
    }
  }

  private async writeChangedStates(): Promise<void> {
    const changed: MeterState[] = [];
    for (const meter of this.meterList) {
      const state = meter.snapshot();
      if (this.lastSaved.get(state.meterNo) !== JSON.stringify(state)) changed.push(state);
    }
    const failures = await forEachBounded(changed, STATE_IO_CONCURRENCY, async (state) => {
      await saveMeterState(this.stateDir, state);
      this.lastSaved.set(state.meterNo, JSON.stringify(state));
    });
    if (failures.length > 0) {
      const first = failures[0]?.error;
      throw new Error(
        `could not save ${failures.length} meter state file(s): ${first instanceof Error ? first.message : String(first)}`,
      );
    }
  }
}

/** One compact line for the periodic summary. */
export function formatSummary(stats: FleetStats, reportsPerS: number, now: Date): string {
  const time = now.toISOString().slice(11, 19);
  return (
    `${time} meters ${stats.connected}/${stats.meters} connected · ${reportsPerS.toFixed(1)} reports/s · ` +
    `relays ${stats.relaysClosed} on / ${stats.relaysOpen} off · ${(stats.energyMwh / 1_000_000).toFixed(3)} kWh metered` +
    (stats.reportsSkipped > 0 ? ` · ${stats.reportsSkipped} skipped offline` : '')
  );
}
