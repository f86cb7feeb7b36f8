import { EventEmitter } from 'node:events';
import { isLowBalance, mergeCreditLimitMwh, relayShouldClose, type RelayOverride } from '@umeme/core';
import { connect, type MqttClient } from 'mqtt';
import {
  commandBalanceSchema,
  commandConfigSchema,
  commandRelaySchema,
  decodeWith,
  kwhToMwh,
  meterTopic,
  METER_NO_PATTERN,
  mwhToKwh,
  type CommandKind,
  type MeterStatusValue,
  TOPIC_ROOT,
} from '@umeme/protocol';
import {
  DEFAULT_PUBLISH_INTERVAL_MS,
  LOAD_STEP_MS,
  MAX_INFLIGHT_PUBLISHES,
  MAX_PUBLISH_INTERVAL_MS,
  MIN_PUBLISH_INTERVAL_MS,
  MQTT_CLOSE_TIMEOUT_MS,
  MQTT_CONNECT_TIMEOUT_MS,
  MQTT_KEEPALIVE_S,
  RECONNECT_MAX_BACKOFF_MS,
  RECONNECT_MIN_BACKOFF_MS,
} from './limits';
import {
  deriveSeed,
  EnergyIntegrator,
  HouseholdLoadModel,
  householdScaleFromSeed,
  mulberry32,
  type LoadModel,
  type Rng,
} from './load-model';

/**
 * A simulated prepaid meter speaking the Umeme protocol (docs/design.md §3–4) over real MQTT.
 * It owns the energy register E (integer mWh, never decreasing) and keeps the largest credit
 * limit C it has been sent; the relay is closed iff E < C + emergency credit, unless overridden.
 * Time only moves through `tick`, so tests drive it as fast as they like and a seed replays.
 */

export const SIMULATOR_FIRMWARE = 'umeme-sim/0.1.0';
/** Kenya's nominal supply; the reported voltage wanders a few percent around it. */
const NOMINAL_VOLTAGE_V = 240;
const POWER_FACTOR = 0.95;

export interface FaultOptions {
  /** Probability in [0, 1] that a report is published twice. */
  duplicateRate?: number;
  /** Probability in [0, 1] that a report is held back and sent after the next one. */
  reorderRate?: number;
  /** Skip every Nth report (0 = never). The register still advances and the seq number is spent. */
  dropEvery?: number;
}

/** What a meter keeps in flash: enough to resume without the register ever going backwards. */
export interface MeterState {
  meterNo: string;
  /** Lifetime register E. */
  energyMwh: number;
  creditLimitMwh: number;
  /** Last sequence number used. */
  seq: number;
  /** Register value at the last simulated firmware reset: reports carry E − base. */
  registerBaseMwh: number;
  /** Sub-mWh energy not yet on the register. */
  remainderWattMs: number;
}

export type { RelayOverride };

export interface VirtualMeterOptions {
  meterNo: string;
  secret: string;
  /** Broker URL, e.g. mqtt://127.0.0.1:1883. */
  url: string;
  /** Seeds the household load and the fault stream; default derived from the meter number. */
  seed?: number;
  /** Household load scale; default drawn from the seed. Ignored when loadModel is given. */
  scale?: number;
  /** Replace the household curve, e.g. with a ConstantLoadModel for exact arithmetic. */
  loadModel?: LoadModel;
  publishIntervalMs?: number;
  emergencyCreditMwh?: number;
  lowBalanceMwh?: number;
  /** Publish the original firmware's payload (no seq, no energyTotal). */
  legacy?: boolean;
  faults?: FaultOptions;
  /** Resume from persisted state. */
  initialState?: MeterState;
  /** Epoch ms at which simulated time starts; default clock(). */
  startMs?: number;
  /** Wall clock, used for the default start time. */
  clock?: () => number;
  /** Offset of the first report inside the publish interval, so a fleet does not report in lock-step. */
  publishPhaseMs?: number;
  connectTimeoutMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /**
   * Publish presence (online, the offline Last Will) retained, as the firmware does (default).
   * false leaves nothing retained on the broker: the server's demo on a shared broker.
   */
  retainPresence?: boolean;
}

export interface MeterReport {
  seq: number;
  /** Register value carried by the report (E − base). */
  energyMwh: number;
  topic: string;
  payload: Record<string, unknown>;
}

export interface PublishedReport extends MeterReport {
  duplicate: boolean;
  reordered: boolean;
}

export interface VirtualMeterEvents {
  relay: [closed: boolean];
  creditLimit: [creditLimitMwh: number];
  /** A report the broker acknowledged. */
  published: [report: PublishedReport];
  /** A report removed by dropEvery. */
  dropped: [report: MeterReport];
  /** A report held back for reordering. */
  held: [report: MeterReport];
  /** A report not sent because the meter was offline or had too many unacknowledged publishes. */
  skipped: [report: MeterReport];
  command: [kind: CommandKind, accepted: boolean];
  status: [payload: Record<string, unknown>];
  connected: [];
  disconnected: [];
  connectError: [error: Error];
}

function assertMwh(name: string, value: number): void {
  if (!Number.isSafeInteger(value) || value < 0)
    throw new RangeError(`${name} must be a non-negative integer mWh: ${value}`);
}

function assertRate(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0 || value > 1)
    throw new RangeError(`${name} must be in [0, 1]: ${value}`);
}

export class VirtualMeter extends EventEmitter<VirtualMeterEvents> {
  readonly meterNo: string;
  private readonly secret: string;
  private readonly url: string;
  private readonly legacy: boolean;
  private readonly loadModel: LoadModel;
  private readonly faultRng: Rng;
  private readonly noiseRng: Rng;
  private readonly duplicateRate: number;
  private readonly reorderRate: number;
  private readonly dropEvery: number;
  private readonly connectTimeoutMs: number;
  private readonly reconnectMinMs: number;
  private readonly reconnectMaxMs: number;
  private readonly wifiRssi: number;
  private readonly retainPresence: boolean;

  private energy: number;
  private creditLimit: number;
  private sequence: number;
  private registerBase: number;
  private readonly integrator: EnergyIntegrator;
  private lastReportedMwh: number;

  private publishInterval: number;
  private emergencyCredit: number;
  private lowBalance: number;
  private override: RelayOverride = 'auto';
  private closed: boolean;
  private lowBalanceState: boolean;
  private lastAckId: string | undefined;

  private simNow: number;
  private pendingMs = 0;
  private sinceReportMs: number;
  private lastPowerW = 0;

  private reportAttempts = 0;
  private heldReport: MeterReport | null = null;
  private inflight = 0;
  private publishedCount = 0;
  private skippedCount = 0;
  private rejectedCommandCount = 0;

  private client: MqttClient | null = null;
  private isConnected = false;
  /** Set by connect/restart, cleared by crash/close: whether the meter should be trying to stay online. */
  private wantOnline = false;
  private stopped = false;
  private reconnectAttempt = 0;
  private reconnectTimer: NodeJS.Timeout | null = null;
  private connectWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  private readonly commandPrefix: string;

  constructor(options: VirtualMeterOptions) {
    super();
    this.retainPresence = options.retainPresence ?? true;
    if (!METER_NO_PATTERN.test(options.meterNo))
      throw new RangeError(`invalid meter number: ${options.meterNo}`);
    this.meterNo = options.meterNo;
    this.commandPrefix = `${TOPIC_ROOT}/${options.meterNo}/command/`;
    this.secret = options.secret;
    this.url = options.url;
    this.legacy = options.legacy ?? false;

    const seed = options.seed ?? deriveSeed(0, options.meterNo);
    this.loadModel =
      options.loadModel ??
      new HouseholdLoadModel({ seed, scale: options.scale ?? householdScaleFromSeed(seed) });
    // separate streams, so turning faults on does not change the household's consumption
    this.faultRng = mulberry32(deriveSeed(seed, 'faults'));
    this.noiseRng = mulberry32(deriveSeed(seed, 'readings'));
    this.wifiRssi = -45 - Math.floor(this.noiseRng() * 40);

    const faults = options.faults ?? {};
    this.duplicateRate = faults.duplicateRate ?? 0;
    this.reorderRate = faults.reorderRate ?? 0;
    this.dropEvery = faults.dropEvery ?? 0;
    assertRate('duplicateRate', this.duplicateRate);
    assertRate('reorderRate', this.reorderRate);
    if (!Number.isSafeInteger(this.dropEvery) || this.dropEvery < 0) {
      throw new RangeError(`dropEvery must be a non-negative integer: ${this.dropEvery}`);
    }

    this.publishInterval = options.publishIntervalMs ?? DEFAULT_PUBLISH_INTERVAL_MS;
    if (
      !Number.isSafeInteger(this.publishInterval) ||
      this.publishInterval < MIN_PUBLISH_INTERVAL_MS ||
      this.publishInterval > MAX_PUBLISH_INTERVAL_MS
    ) {
      throw new RangeError(`publishIntervalMs out of range: ${this.publishInterval}`);
    }
    this.emergencyCredit = options.emergencyCreditMwh ?? 0;
    this.lowBalance = options.lowBalanceMwh ?? 2_000_000;
    assertMwh('emergencyCreditMwh', this.emergencyCredit);
    assertMwh('lowBalanceMwh', this.lowBalance);

    this.connectTimeoutMs = options.connectTimeoutMs ?? MQTT_CONNECT_TIMEOUT_MS;
    this.reconnectMinMs = options.reconnectMinMs ?? RECONNECT_MIN_BACKOFF_MS;
    this.reconnectMaxMs = Math.max(this.reconnectMinMs, options.reconnectMaxMs ?? RECONNECT_MAX_BACKOFF_MS);

    const state = options.initialState;
    if (state !== undefined) {
      if (state.meterNo !== options.meterNo) throw new RangeError(`state belongs to ${state.meterNo}`);
      assertMwh('energyMwh', state.energyMwh);
      assertMwh('creditLimitMwh', state.creditLimitMwh);
      assertMwh('registerBaseMwh', state.registerBaseMwh);
      if (state.registerBaseMwh > state.energyMwh) throw new RangeError('registerBaseMwh exceeds energyMwh');
      if (!Number.isSafeInteger(state.seq) || state.seq < 0)
        throw new RangeError(`invalid seq: ${state.seq}`);
    }
    this.energy = state?.energyMwh ?? 0;
    this.creditLimit = state?.creditLimitMwh ?? 0;
    this.sequence = state?.seq ?? 0;
    this.registerBase = state?.registerBaseMwh ?? 0;
    this.integrator = new EnergyIntegrator(state?.remainderWattMs ?? 0);
    this.lastReportedMwh = this.energy - this.registerBase;

    this.simNow = options.startMs ?? (options.clock ?? Date.now)();
    const phase = options.publishPhaseMs ?? 0;
    this.sinceReportMs = Math.min(Math.max(0, Math.floor(phase)), this.publishInterval - 1);
    this.closed = this.decideRelay();
    this.lowBalanceState = this.isLowBalance();
  }

  // ---- state ----------------------------------------------------------------------------

  /** Lifetime energy register E (integer mWh, never decreasing). */
  get energyMwh(): number {
    return this.energy;
  }
  /** The register value the firmware reports: E minus the base of the last simulated reset. */
  get reportedEnergyMwh(): number {
    return this.energy - this.registerBase;
  }
  get creditLimitMwh(): number {
    return this.creditLimit;
  }
  get balanceMwh(): number {
    return this.creditLimit - this.energy;
  }
  get relayClosed(): boolean {
    return this.closed;
  }
  get relayOverride(): RelayOverride {
    return this.override;
  }
  /** Last sequence number used by a report. */
  get seq(): number {
    return this.sequence;
  }
  get connected(): boolean {
    return this.isConnected;
  }
  get publishIntervalMs(): number {
    return this.publishInterval;
  }
  get emergencyCreditMwh(): number {
    return this.emergencyCredit;
  }
  get lowBalanceMwh(): number {
    return this.lowBalance;
  }
  /** Simulated time, epoch ms. */
  get nowMs(): number {
    return this.simNow;
  }
  get powerW(): number {
    return this.lastPowerW;
  }
  get reportsPublished(): number {
    return this.publishedCount;
  }
  get reportsSkipped(): number {
    return this.skippedCount;
  }
  get commandsRejected(): number {
    return this.rejectedCommandCount;
  }

  snapshot(): MeterState {
    return {
      meterNo: this.meterNo,
      energyMwh: this.energy,
      creditLimitMwh: this.creditLimit,
      seq: this.sequence,
      registerBaseMwh: this.registerBase,
      remainderWattMs: this.integrator.remainderWattMs,
    };
  }

  // ---- time -----------------------------------------------------------------------------

  /**
   * Advances simulated time: the load model steps, energy accumulates while the relay is closed,
   * the relay follows E against C, and a report goes out each time a publish interval completes.
   * Chunking does not matter: tick(1500) + tick(500) equals tick(2000).
   */
  tick(simulatedMs: number): void {
    if (!Number.isSafeInteger(simulatedMs) || simulatedMs < 0) {
      throw new RangeError(`simulatedMs must be a non-negative integer: ${simulatedMs}`);
    }
    this.pendingMs += simulatedMs;
    while (this.pendingMs >= LOAD_STEP_MS) {
      this.pendingMs -= LOAD_STEP_MS;
      const demandW = this.loadModel.step(this.simNow);
      if (this.closed) {
        const before = this.energy;
        this.energy += this.integrator.add(demandW, LOAD_STEP_MS);
        if (this.energy < before) throw new Error('energy register went backwards'); // programmer error
        this.lastPowerW = demandW;
      } else {
        this.lastPowerW = 0;
      }
      this.simNow += LOAD_STEP_MS;
      this.updateRelay();
      // readings are instantaneous: once the relay has opened the meter sees no load
      if (!this.closed) this.lastPowerW = 0;
      this.sinceReportMs += LOAD_STEP_MS;
      if (this.sinceReportMs >= this.publishInterval) {
        this.sinceReportMs = 0;
        this.emitReport();
      }
    }
  }

  /** Moves simulated time forward with the meter doing nothing (used when real time jumps, e.g. after a stall). */
  skipTime(ms: number): void {
    if (!Number.isSafeInteger(ms) || ms < 0) throw new RangeError(`ms must be a non-negative integer: ${ms}`);
    this.simNow += ms;
  }

  /**
   * Simulates legacy firmware restarting without persistence: the reported register starts again from 0.
   * The lifetime register keeps counting, so relay decisions stay right; only the wire shows the drop.
   */
  resetRegister(): void {
    this.registerBase = this.energy;
    this.lastReportedMwh = 0;
  }

  // ---- connection -----------------------------------------------------------------------

  /** Connects (or waits for the connection in progress). Rejects on refusal or timeout; retrying continues in the background. */
  async connect(): Promise<void> {
    if (this.stopped) throw new Error(`${this.meterNo}: meter is closed`);
    this.wantOnline = true;
    if (this.isConnected) return;
    const waiting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => settle(new Error(`${this.meterNo}: no connection within ${this.connectTimeoutMs} ms`)),
        this.connectTimeoutMs,
      );
      const waiter = {
        resolve: () => settle(undefined),
        reject: (error: Error) => settle(error),
      };
      const settle = (error: Error | undefined): void => {
        clearTimeout(timer);
        this.connectWaiters = this.connectWaiters.filter((w) => w !== waiter);
        if (error === undefined) resolve();
        else reject(error);
      };
      this.connectWaiters.push(waiter);
    });
    if (this.client === null && this.reconnectTimer === null) this.openClient();
    return waiting;
  }

  private settleConnectWaiters(error: Error | undefined): void {
    const waiters = this.connectWaiters;
    this.connectWaiters = [];
    for (const waiter of waiters) {
      if (error === undefined) waiter.resolve();
      else waiter.reject(error);
    }
  }

  /**
   * Drops the TCP connection without an MQTT DISCONNECT, as a power cut or firmware crash would,
   * so the broker publishes the Last Will. The meter stays down until restart().
   */
  async crash(): Promise<void> {
    this.wantOnline = false;
    this.clearReconnectTimer();
    const client = this.client;
    this.client = null;
    this.markDisconnected();
    this.settleConnectWaiters(new Error(`${this.meterNo}: crashed while connecting`));
    if (client !== null) await destroyClient(client);
  }

  /** Comes back after crash(): reconnects, announces itself online and receives the retained C again. */
  async restart(): Promise<void> {
    return this.connect();
  }

  /** Graceful shutdown: releases a held report, announces offline (retained), disconnects. */
  async close(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.wantOnline = false;
    this.clearReconnectTimer();
    const client = this.client;
    const wasConnected = this.isConnected;
    if (client !== null && wasConnected) {
      if (this.heldReport !== null) {
        const held = this.heldReport;
        this.heldReport = null;
        this.send(held, false, true);
      }
      const offline = JSON.stringify(this.statusPayload('offline'));
      await withTimeout(
        client.publishAsync(meterTopic(this.meterNo, 'status'), offline, {
          qos: 1,
          retain: this.retainPresence,
        }),
        MQTT_CLOSE_TIMEOUT_MS,
      ).catch(() => undefined);
    }
    this.client = null;
    this.markDisconnected();
    this.settleConnectWaiters(new Error(`${this.meterNo}: closed while connecting`));
    if (client === null) return;
    // a meter still connecting has nothing to say goodbye to: drop it at once rather than wait out the timeout
    if (wasConnected) {
      await withTimeout(client.endAsync(false), MQTT_CLOSE_TIMEOUT_MS).catch(() => destroyClient(client));
    } else {
      await destroyClient(client);
    }
  }

  private openClient(): void {
    const client = connect(this.url, {
      clientId: this.meterNo,
      username: this.meterNo,
      password: this.secret,
      protocolVersion: 4,
      clean: true,
      keepalive: MQTT_KEEPALIVE_S,
      connectTimeout: this.connectTimeoutMs,
      // reconnection is ours: exponential backoff with jitter and a fresh client per attempt
      reconnectPeriod: 0,
      will: {
        topic: meterTopic(this.meterNo, 'status'),
        payload: Buffer.from(JSON.stringify({ meterNo: this.meterNo, status: 'offline' })),
        qos: 1,
        retain: this.retainPresence,
      },
    });
    this.client = client;
    client.on('connect', () => {
      if (client !== this.client) return;
      // Without Nagle: a small PUBACK held back behind an unacknowledged packet holds the
      // broker's next command/balance back too (about 20 ms per delivery through Mosquitto).
      (client.stream as { setNoDelay?: (noDelay: boolean) => void } | undefined)?.setNoDelay?.(true);
      this.onConnected(client);
    });
    client.on('message', (topic, payload) => {
      if (client !== this.client) return;
      this.onMessage(topic, payload);
    });
    client.on('error', (error) => {
      if (client !== this.client) return;
      this.emit('connectError', error);
      this.settleConnectWaiters(error);
    });
    client.on('close', () => {
      if (client !== this.client) return;
      this.client = null;
      // a closed client still holds keepalive and store state: end it and start the next attempt afresh
      client.removeAllListeners('message');
      client.end(true);
      this.markDisconnected();
      this.settleConnectWaiters(new Error(`${this.meterNo}: connection closed before it was established`));
      this.scheduleReconnect();
    });
  }

  private onConnected(client: MqttClient): void {
    this.reconnectAttempt = 0;
    this.isConnected = true;
    this.inflight = 0;
    this.publishStatus('online');
    // retained command/balance arrives on this subscription, so a (re)connecting meter learns the latest C
    client.subscribe(`${this.commandPrefix}#`, { qos: 1 }, (error) => {
      if (error) this.emit('connectError', error);
    });
    this.emit('connected');
    this.settleConnectWaiters(undefined);
  }

  private markDisconnected(): void {
    if (!this.isConnected) return;
    this.isConnected = false;
    this.emit('disconnected');
  }

  private scheduleReconnect(): void {
    if (!this.wantOnline || this.stopped || this.reconnectTimer !== null) return;
    const ceiling = Math.min(
      this.reconnectMaxMs,
      this.reconnectMinMs * 2 ** Math.min(this.reconnectAttempt, 20),
    );
    this.reconnectAttempt += 1;
    const delayMs = Math.round(ceiling * (0.5 + 0.5 * Math.random()));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = null;
      if (this.wantOnline && !this.stopped && this.client === null) this.openClient();
    }, delayMs);
  }

  private clearReconnectTimer(): void {
    if (this.reconnectTimer !== null) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = null;
  }

  // ---- commands -------------------------------------------------------------------------

  private onMessage(topic: string, payload: Buffer): void {
    if (!topic.startsWith(this.commandPrefix)) return;
    const kind = topic.slice(this.commandPrefix.length);
    switch (kind) {
      case 'balance':
        this.applyBalanceCommand(payload);
        return;
      case 'relay':
        this.applyRelayCommand(payload);
        return;
      case 'config':
        this.applyConfigCommand(payload);
        return;
      default:
        this.rejectedCommandCount += 1;
    }
  }

  private applyBalanceCommand(payload: Buffer): void {
    const decoded = decodeWith(commandBalanceSchema, payload);
    if (!decoded.ok) return this.rejectCommand('balance');
    const limitMwh = kwhToMwh(decoded.value.creditLimit);
    // C only grows on the meter: a stale, duplicated or reordered command cannot take credit away
    if (mergeCreditLimitMwh(this.creditLimit, limitMwh) !== this.creditLimit) {
      this.creditLimit = limitMwh;
      this.emit('creditLimit', limitMwh);
      const relayBefore = this.closed;
      this.updateRelay();
      if (this.closed === relayBefore) this.publishBalanceView(); // a relay change already sent it
    }
    this.emit('command', 'balance', true);
  }

  private applyRelayCommand(payload: Buffer): void {
    const decoded = decodeWith(commandRelaySchema, payload);
    if (!decoded.ok) return this.rejectCommand('relay');
    this.override = decoded.value.action;
    this.updateRelay();
    this.acknowledge(decoded.value.id);
    this.emit('command', 'relay', true);
  }

  private applyConfigCommand(payload: Buffer): void {
    const decoded = decodeWith(commandConfigSchema, payload);
    if (!decoded.ok) return this.rejectCommand('config');
    const config = decoded.value;
    this.publishInterval = Math.min(
      MAX_PUBLISH_INTERVAL_MS,
      Math.max(MIN_PUBLISH_INTERVAL_MS, config.publishIntervalS * 1_000),
    );
    this.emergencyCredit = kwhToMwh(config.emergencyCreditKwh);
    this.lowBalance = kwhToMwh(config.lowBalanceKwh);
    this.updateRelay();
    this.acknowledge(config.id);
    this.emit('command', 'config', true);
  }

  private rejectCommand(kind: CommandKind): void {
    this.rejectedCommandCount += 1;
    this.emit('command', kind, false);
  }

  /** The command id goes back as `ack` in the next status, so the server can retire a persistent command. */
  private acknowledge(id: string | undefined): void {
    if (id === undefined) return;
    this.lastAckId = id;
    this.publishStatus('online');
  }

  // ---- relay ----------------------------------------------------------------------------

  /** The firmware's relay rule, checked against the shared vectors: core's, not a copy. */
  private decideRelay(): boolean {
    return relayShouldClose({
      energyMwh: this.energy,
      creditLimitMwh: this.creditLimit,
      emergencyMwh: this.emergencyCredit,
      override: this.override,
      // The meter knows no friendly hours: the server sends `connect` for them.
      friendlyHours: false,
    });
  }

  private isLowBalance(): boolean {
    return isLowBalance(this.creditLimit - this.energy, this.lowBalance);
  }

  private updateRelay(): void {
    const closed = this.decideRelay();
    if (closed !== this.closed) {
      this.closed = closed;
      this.emit('relay', closed);
      this.publishBalanceView();
    }
    const low = this.isLowBalance();
    if (low !== this.lowBalanceState) {
      this.lowBalanceState = low;
      this.publishStatus(low ? 'low_balance' : 'online');
    }
  }

  // ---- publishing -----------------------------------------------------------------------

  private emitReport(): void {
    this.sequence += 1;
    const reported = this.energy - this.registerBase;
    const unitsMwh = Math.max(0, reported - this.lastReportedMwh);
    this.lastReportedMwh = reported;
    const timestamp = Math.floor(this.simNow / 1_000);
    const remainingBalance = mwhToKwh(this.creditLimit - this.energy);
    let payload: Record<string, unknown>;
    if (this.legacy) {
      payload = {
        meterNo: this.meterNo,
        unitsConsumed: mwhToKwh(unitsMwh),
        remainingBalance,
        totalConsumed: mwhToKwh(reported),
        timestamp,
      };
    } else {
      const voltageV = Math.round(NOMINAL_VOLTAGE_V * (0.96 + this.noiseRng() * 0.06) * 10) / 10;
      payload = {
        v: 2,
        meterNo: this.meterNo,
        seq: this.sequence,
        energyTotal: mwhToKwh(reported),
        unitsConsumed: mwhToKwh(unitsMwh),
        remainingBalance,
        powerW: this.lastPowerW,
        currentA: Math.round((this.lastPowerW / (voltageV * POWER_FACTOR)) * 100) / 100,
        voltageV,
        relay: this.closed ? 'on' : 'off',
        timestamp,
      };
    }
    const report: MeterReport = {
      seq: this.sequence,
      energyMwh: reported,
      topic: meterTopic(this.meterNo, 'consumption'),
      payload,
    };

    this.reportAttempts += 1;
    // both draws happen for every report, so one fault's rate does not shift the other's pattern
    const duplicate = this.faultRng() < this.duplicateRate;
    const reorder = this.faultRng() < this.reorderRate;
    if (this.dropEvery > 0 && this.reportAttempts % this.dropEvery === 0) {
      this.emit('dropped', report);
      return;
    }
    if (reorder && this.heldReport === null) {
      this.heldReport = report;
      this.emit('held', report);
      return;
    }
    this.send(report, false, false);
    if (duplicate) this.send(report, true, false);
    if (this.heldReport !== null) {
      const held = this.heldReport;
      this.heldReport = null;
      this.send(held, false, true);
    }
  }

  private send(report: MeterReport, duplicate: boolean, reordered: boolean): void {
    const client = this.client;
    if (client === null || !this.isConnected || this.inflight >= MAX_INFLIGHT_PUBLISHES) {
      this.skippedCount += 1;
      this.emit('skipped', report);
      return;
    }
    this.inflight += 1;
    client.publish(report.topic, JSON.stringify(report.payload), { qos: 1 }, (error) => {
      if (client === this.client) this.inflight = Math.max(0, this.inflight - 1);
      if (error) return;
      this.publishedCount += 1;
      this.emit('published', { ...report, duplicate, reordered });
    });
  }

  private statusPayload(status: MeterStatusValue): Record<string, unknown> {
    const payload: Record<string, unknown> = {
      meterNo: this.meterNo,
      status,
      balance: mwhToKwh(this.creditLimit - this.energy),
      wifi_rssi: this.wifiRssi,
      fw: SIMULATOR_FIRMWARE,
      timestamp: Math.floor(this.simNow / 1_000),
    };
    if (this.lastAckId !== undefined) payload.ack = this.lastAckId;
    return payload;
  }

  /**
   * The retained status is presence only (online, or the offline Last Will), so a server that restarts
   * reads presence from it; a low-balance warning is an event and is not retained over it.
   */
  private publishStatus(status: 'online' | 'low_balance'): void {
    const client = this.client;
    if (client === null || !this.isConnected) return;
    const payload = this.statusPayload(status);
    const retain = status === 'online' && this.retainPresence;
    client.publish(meterTopic(this.meterNo, 'status'), JSON.stringify(payload), { qos: 1, retain }, () => {
      this.emit('status', payload);
    });
  }

  /** The meter's own view of C and E, for the server's reconciliation, sent whenever C or the relay changes. */
  private publishBalanceView(): void {
    const client = this.client;
    if (client === null || !this.isConnected) return;
    const payload = {
      meterNo: this.meterNo,
      balance: mwhToKwh(this.creditLimit - this.energy),
      creditLimit: mwhToKwh(this.creditLimit),
      energyTotal: mwhToKwh(this.energy - this.registerBase),
      timestamp: Math.floor(this.simNow / 1_000),
    };
    client.publish(meterTopic(this.meterNo, 'balance'), JSON.stringify(payload), { qos: 1 });
  }
}

async function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Drops the socket without DISCONNECT; bounded, because mqtt.js never calls back if the stream had already closed. */
async function destroyClient(client: MqttClient): Promise<void> {
  await withTimeout(
    new Promise<void>((resolve) => client.end(true, () => resolve())),
    MQTT_CLOSE_TIMEOUT_MS,
  ).catch(() => undefined);
}
