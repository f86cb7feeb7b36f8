import {
  balanceInitialSchema,
  balanceInsufficientSchema,
  balanceUpdatedSchema,
  meterStatusEventSchema,
  notificationSchema,
  paymentFailedSchema,
  paymentSuccessSchema,
  subscribeMeterAckSchema,
  transactionCompletedSchema,
  transactionFailedSchema,
  topupUpdatedSchema,
  type TopupUpdated,
  type ClientToServerEvents,
  type MeterSnapshot,
  type ServerToClientEvents,
  type TransactionType,
} from '@umeme/protocol';
import type { Socket } from 'socket.io-client';
import type { Bucket, TransactionItem } from '../api/api-types';
import { ApiError, type HttpClient } from '../api/http-client';
import { errorKey } from '../i18n/error-text';
import type { MessageKey } from '../i18n/dictionary';
import { createCoalescer, createRefetcher, realTimers, type Timers } from '../state/coalescer';
import {
  applyBalanceUpdated,
  applyMeterStatus,
  crossedBelow,
  meterFromApi,
  meterFromSnapshot,
  mergeFullState,
  missedBefore,
  type EventOutcome,
  type MeterView,
} from '../state/meter-state';
import {
  dismissToast,
  emptyToasts,
  expireToasts,
  pushToast,
  TOAST_LIFETIME_MS,
  type ToastKind,
  type ToastParams,
  type ToastState,
} from '../state/toasts';
import {
  addUsage,
  emptySeries,
  seriesFromPoints,
  seriesRange,
  type UsageSeries,
} from '../state/usage-series';

/** Payment news from the socket, for the panel following one payment (at most once: poll too). */
export type PaymentEvent =
  | { kind: 'success'; transactionId: string; amountKes: number; meterNo: string | null }
  | { kind: 'failed'; intentId: string; reason: string; meterNo: string | null }
  | { kind: 'credited'; transactionId: string; meterNo: string };

export type BalanceSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
type Notification = Parameters<ServerToClientEvents['notification']>[0];

/** Renders at most this often however fast events arrive. */
export const RENDER_INTERVAL_MS = 50;
/** A sequence gap refetches over HTTP at most this often per meter. */
export const GAP_REFETCH_INTERVAL_MS = 2000;
/** Reconnect delays after the server closed the socket itself, doubling up to the last. */
export const SERVER_CLOSE_RETRY_MS = [1000, 2000, 5000, 15_000] as const;
/** After the balance crosses zero the meter switches its relay; look again once it has reported. */
export const RELAY_RECHECK_DELAY_MS = 4000;

const CREDIT_TYPES: ReadonlySet<TransactionType> = new Set([
  'payment',
  'paybill',
  'topup',
  'simulate',
  'refund',
]);

/** The part of a zod schema the session uses. */
interface EventSchema<T> {
  safeParse(raw: unknown): { success: true; data: T } | { success: false };
}

export type LinkStatus = 'connecting' | 'connected' | 'disconnected';
export type LoadStatus = 'loading' | 'ready' | 'unavailable' | 'error';

export interface UsageState {
  status: LoadStatus;
  series: UsageSeries;
}

export interface TransactionsState {
  status: LoadStatus;
  items: TransactionItem[];
}

export interface SessionState {
  meterNos: string[];
  meters: Record<string, MeterView>;
  metersStatus: 'loading' | 'ready' | 'error';
  /** the dictionary key of what went wrong reading the meters */
  metersError: MessageKey | null;
  /** Meters the server answered 404 for: missing, or someone else's (they answer the same). */
  missing: Record<string, true>;
  link: { status: LinkStatus; lastUpdateMs: number | null };
  usage: Record<string, UsageState>;
  transactions: Record<string, TransactionsState>;
  toasts: ToastState;
}

export function usageKey(meterNo: string, bucket: Bucket): string {
  return `${meterNo}|${bucket}`;
}

/** The browser around the session; absent in unit tests. */
export interface SessionEnvironment {
  addEventListener(type: 'online' | 'offline' | 'visibilitychange', fn: () => void): void;
  removeEventListener(type: 'online' | 'offline' | 'visibilitychange', fn: () => void): void;
  isOnline(): boolean;
  isVisible(): boolean;
}

export interface LiveSessionOptions {
  http: HttpClient;
  openSocket: () => BalanceSocket;
  /**
   * Customers see every meter they own, including one assigned while they watch; admins
   * receive every meter's events and keep to the list they loaded.
   */
  adoptUnknownMeters: boolean;
  /** The server refused our token: sign out. */
  onUnauthorized: () => void;
  env?: SessionEnvironment;
  timers?: Timers;
}

/**
 * One signed-in customer's live view of their meters: HTTP for the first state and for
 * repairs, Socket.IO `/balance` for changes. Plain TypeScript; React only subscribes.
 */
export class LiveSession {
  private state: SessionState = {
    meterNos: [],
    meters: {},
    metersStatus: 'loading',
    metersError: null,
    missing: {},
    link: { status: 'connecting', lastUpdateMs: null },
    usage: {},
    transactions: {},
    toasts: emptyToasts,
  };
  private readonly listeners = new Set<() => void>();
  private readonly paymentListeners = new Set<(e: PaymentEvent) => void>();
  private readonly topupListeners = new Set<(e: TopupUpdated) => void>();
  private readonly timers: Timers;
  private readonly render;
  private readonly meterRefetcher;
  private readonly transactionsRefetcher;
  private socket: BalanceSocket | null = null;
  private everConnected = false;
  private pausedOffline = false;
  private serverCloseRetries = 0;
  private readonly pendingTimers = new Set<unknown>();
  private stopped = false;
  private readonly invalidEvents = new Map<string, number>();
  /** Meters opened that are not ours (an admin's view): their events come by subscription. */
  private readonly watched = new Set<string>();

  constructor(private readonly opts: LiveSessionOptions) {
    this.timers = opts.timers ?? realTimers;
    this.render = createCoalescer(() => this.notify(), RENDER_INTERVAL_MS, this.timers);
    this.meterRefetcher = createRefetcher(
      (meterNo) => this.repairMeter(meterNo),
      GAP_REFETCH_INTERVAL_MS,
      this.timers,
    );
    this.transactionsRefetcher = createRefetcher(
      (meterNo) => this.loadTransactions(meterNo),
      GAP_REFETCH_INTERVAL_MS,
      this.timers,
    );
  }

  getState = (): SessionState => this.state;

  /** The HTTP client, for screens that call the API themselves (payments). */
  get http(): HttpClient {
    return this.opts.http;
  }

  onPayment = (listener: (e: PaymentEvent) => void): (() => void) => {
    this.paymentListeners.add(listener);
    return () => this.paymentListeners.delete(listener);
  };

  /** An operator decided one of the customer's manual top-up requests. */
  onTopup = (listener: (e: TopupUpdated) => void): (() => void) => {
    this.topupListeners.add(listener);
    return () => this.topupListeners.delete(listener);
  };

  private emitPayment(e: PaymentEvent): void {
    for (const listener of this.paymentListeners) listener(e);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** How many events failed their schema, by name: shown nowhere, kept for debugging. */
  get invalidEventCounts(): ReadonlyMap<string, number> {
    return this.invalidEvents;
  }

  /** Starts, or starts again after `stop()` (React may unmount and remount the same session). */
  start(): void {
    this.stopped = false;
    void this.loadMeters();
    this.connect();
    const env = this.opts.env;
    if (env) {
      env.addEventListener('offline', this.onBrowserOffline);
      env.addEventListener('online', this.onBrowserOnline);
      env.addEventListener('visibilitychange', this.onVisibilityChange);
      if (!env.isOnline()) this.onBrowserOffline();
    }
  }

  stop(): void {
    this.stopped = true;
    const env = this.opts.env;
    if (env) {
      env.removeEventListener('offline', this.onBrowserOffline);
      env.removeEventListener('online', this.onBrowserOnline);
      env.removeEventListener('visibilitychange', this.onVisibilityChange);
    }
    this.render.cancel();
    this.meterRefetcher.cancelAll();
    this.transactionsRefetcher.cancelAll();
    for (const t of this.pendingTimers) this.timers.clearTimeout(t);
    this.pendingTimers.clear();
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
    this.socket = null;
    this.everConnected = false;
    this.pausedOffline = false;
  }

  /** Loads what the dashboard of one meter shows. */
  openMeter(meterNo: string): void {
    if (!this.state.meters[meterNo]) void this.loadMeter(meterNo);
    if (!this.opts.adoptUnknownMeters && !this.watched.has(meterNo)) {
      this.watched.add(meterNo);
      this.watch(meterNo);
    }
    for (const bucket of ['hour', 'day'] as const) {
      const usage = this.state.usage[usageKey(meterNo, bucket)];
      if (!usage || usage.status === 'error') void this.loadUsage(meterNo, bucket);
    }
    if (!this.state.transactions[meterNo]) void this.loadTransactions(meterNo);
  }

  reloadMeters(): void {
    void this.loadMeters();
  }

  async takeEmergencyCredit(meterNo: string): Promise<void> {
    await this.opts.http.emergency(meterNo);
    // The socket brings the credit and the debt; without it, fetch them.
    if (this.state.link.status !== 'connected') this.meterRefetcher.request(meterNo);
    this.transactionsRefetcher.request(meterNo);
  }

  async topUpDemo(meterNo: string, amountKes: number): Promise<void> {
    await this.opts.http.simulateTopUp(meterNo, amountKes);
    // The socket brings the change; without it, fetch it.
    if (this.state.link.status !== 'connected') this.meterRefetcher.request(meterNo);
    this.transactionsRefetcher.request(meterNo);
  }

  dismissToast(id: number): void {
    this.update({ toasts: dismissToast(this.state.toasts, id) });
  }

  // ---- HTTP ----

  private async loadMeters(): Promise<void> {
    try {
      const list = await this.opts.http.meters();
      const meters = { ...this.state.meters };
      for (const m of list.meters) {
        const fresh = meterFromApi(m);
        const merged = mergeFullState(meters[m.meterNo], fresh);
        meters[m.meterNo] = { ...merged, ownerName: fresh.ownerName, lowBalanceKwh: fresh.lowBalanceKwh };
      }
      const meterNos = list.meters.map((m) => m.meterNo);
      this.update({ meters, meterNos, metersStatus: 'ready', metersError: null });
      this.touch();
      for (const meterNo of meterNos) this.announceIfLow(meters[meterNo]);
    } catch (err) {
      this.update({ metersStatus: 'error', metersError: errorKey(err) });
    }
  }

  private async loadMeter(meterNo: string): Promise<void> {
    try {
      const fresh = meterFromApi(await this.opts.http.meter(meterNo));
      const current = this.state.meters[meterNo];
      const merged = mergeFullState(current, fresh);
      this.update({
        meters: {
          ...this.state.meters,
          [meterNo]: { ...merged, ownerName: fresh.ownerName, lowBalanceKwh: fresh.lowBalanceKwh },
        },
        meterNos: this.state.meterNos.includes(meterNo)
          ? this.state.meterNos
          : [...this.state.meterNos, meterNo],
      });
      this.touch();
      if (!current) this.announceIfLow(this.state.meters[meterNo]);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        this.update({ missing: { ...this.state.missing, [meterNo]: true } });
        return;
      }
      throw err;
    }
  }

  /** After missed events: the meter's state, and the usage the chart may have missed. */
  private async repairMeter(meterNo: string): Promise<void> {
    const reloads: Promise<void>[] = [this.loadMeter(meterNo)];
    for (const bucket of ['hour', 'day'] as const) {
      if (this.state.usage[usageKey(meterNo, bucket)]) reloads.push(this.loadUsage(meterNo, bucket));
    }
    await Promise.all(reloads);
  }

  private async loadUsage(meterNo: string, bucket: Bucket): Promise<void> {
    const key = usageKey(meterNo, bucket);
    const nowMs = this.timers.now();
    // A reload keeps the chart on screen; only a first load shows "loading".
    if (this.state.usage[key]?.status !== 'ready') {
      this.update({
        usage: { ...this.state.usage, [key]: { status: 'loading', series: emptySeries(bucket, nowMs) } },
      });
    }
    const { fromMs, toMs } = seriesRange(bucket, nowMs);
    try {
      const points = await this.opts.http.consumption(meterNo, bucket, fromMs, toMs);
      this.update({
        usage: {
          ...this.state.usage,
          [key]: { status: 'ready', series: seriesFromPoints(bucket, nowMs, points) },
        },
      });
    } catch (err) {
      if (this.state.usage[key]?.status === 'ready') return; // keep what is shown; the next repair retries
      const status = err instanceof ApiError && err.status === 404 ? 'unavailable' : 'error';
      this.update({ usage: { ...this.state.usage, [key]: { status, series: emptySeries(bucket, nowMs) } } });
    }
  }

  private async loadTransactions(meterNo: string): Promise<void> {
    const previous = this.state.transactions[meterNo];
    if (!previous) {
      this.update({
        transactions: { ...this.state.transactions, [meterNo]: { status: 'loading', items: [] } },
      });
    }
    try {
      const page = await this.opts.http.transactions(meterNo);
      this.update({
        transactions: { ...this.state.transactions, [meterNo]: { status: 'ready', items: page.items } },
      });
    } catch (err) {
      const status = err instanceof ApiError && err.status === 404 ? 'unavailable' : 'error';
      this.update({
        transactions: { ...this.state.transactions, [meterNo]: { status, items: previous?.items ?? [] } },
      });
    }
  }

  // ---- Socket.IO ----

  private connect(): void {
    const socket = this.opts.openSocket();
    this.socket = socket;
    socket.on('connect', () => {
      this.serverCloseRetries = 0;
      const reconnected = this.everConnected;
      this.everConnected = true;
      this.setLink('connected');
      // Recovery replays what we missed; without it, anything may have changed meanwhile.
      if (reconnected && !socket.recovered) this.refetchAll();
      for (const meterNo of this.watched) this.watch(meterNo);
    });
    socket.on('disconnect', (reason) => {
      this.setLink('disconnected');
      // Socket.IO does not reconnect by itself after the server closed the socket.
      if (reason === 'io server disconnect' && !this.pausedOffline) this.retryAfterServerClose();
    });
    socket.on('connect_error', (err) => {
      this.setLink('disconnected');
      if (socket.active || this.pausedOffline) return; // a network failure: Socket.IO retries by itself
      // Refused by the server: a token that expired signs the customer out, anything else is retried.
      if (err.message === 'UNAUTHENTICATED') this.opts.onUnauthorized();
      else this.retryAfterServerClose();
    });

    this.on(socket, 'balance_initial', balanceInitialSchema, (e) => this.applySnapshots(e.meters));
    this.on(socket, 'balance_updated', balanceUpdatedSchema, (e) => {
      const m = this.state.meters[e.meterNo];
      if (!m) return this.unknownMeter(e.meterNo);
      const outcome = applyBalanceUpdated(m, e);
      this.applyOutcome(m, outcome);
      if (outcome.verdict === 'stale') return;
      if (CREDIT_TYPES.has(e.transactionType) && e.newBalance > e.previousBalance) {
        this.toast(
          e.transactionId ? `tx:${e.transactionId}` : `credit:${e.meterNo}:${e.seq}`,
          'success',
          'toastCredited',
          {
            energyKwh: e.newBalance - e.previousBalance,
            meterNo: e.meterNo,
          },
        );
        this.transactionsRefetcher.request(e.meterNo);
      }
    });
    this.on(socket, 'meter_status', meterStatusEventSchema, (e) => {
      const m = this.state.meters[e.meterNo];
      if (!m) return this.unknownMeter(e.meterNo);
      this.applyOutcome(m, applyMeterStatus(m, e));
    });
    this.on(socket, 'transaction_completed', transactionCompletedSchema, (e) => {
      this.checkGap(e.meterNo, e.seq);
      if (e.transactionType !== 'consumption' && e.energyKwh > 0) {
        this.toast(`tx:${e.transactionId}`, 'success', 'toastCredited', {
          energyKwh: e.energyKwh,
          meterNo: e.meterNo,
        });
      }
      this.transactionsRefetcher.request(e.meterNo);
      this.emitPayment({ kind: 'credited', transactionId: e.transactionId, meterNo: e.meterNo });
    });
    this.on(socket, 'transaction_failed', transactionFailedSchema, (e) => {
      if (e.seq !== undefined) this.checkGap(e.meterNo, e.seq);
      this.toast(`txf:${e.transactionId}`, 'error', 'toastTransactionFailed', { reason: e.reason });
      this.transactionsRefetcher.request(e.meterNo);
    });
    this.on(socket, 'payment_success', paymentSuccessSchema, (e) => {
      this.toast(`tx:${e.transactionId}`, 'success', 'toastPayment', { amountKes: e.amount });
      if (e.meterNo) this.transactionsRefetcher.request(e.meterNo);
      this.emitPayment({
        kind: 'success',
        transactionId: e.transactionId,
        amountKes: e.amount,
        meterNo: e.meterNo ?? null,
      });
    });
    this.on(socket, 'payment_failed', paymentFailedSchema, (e) => {
      this.toast(`txf:${e.transactionId}`, 'error', 'toastPaymentFailed', { reason: e.reason });
      // The server sends the payment intent's id as transactionId here.
      this.emitPayment({
        kind: 'failed',
        intentId: e.transactionId,
        reason: e.reason,
        meterNo: e.meterNo ?? null,
      });
    });
    this.on(socket, 'balance_insufficient', balanceInsufficientSchema, (e) => {
      this.checkGap(e.meterNo, e.seq);
      this.toast(this.episodeKey('empty', e.meterNo), 'warning', 'toastNoCredit', { meterNo: e.meterNo });
    });
    this.on(socket, 'notification', notificationSchema, (e) => this.announceNotification(e));
    this.on(socket, 'topup_updated', topupUpdatedSchema, (e) => {
      if (e.status === 'approved') {
        this.toast(`topup:${e.id}`, 'success', 'toastTopupApproved', {
          amountKes: e.amount,
          meterNo: e.meterNo,
        });
      } else {
        this.toast(`topup:${e.id}`, 'error', 'toastTopupRejected', { amountKes: e.amount, reason: e.reason });
      }
      for (const listener of this.topupListeners) listener(e);
    });
  }

  /** Subscribes with the event's schema: a payload that does not match is dropped, never applied. */
  private on<T>(
    socket: BalanceSocket,
    event: keyof ServerToClientEvents,
    schema: EventSchema<T>,
    handle: (e: T) => void,
  ): void {
    const listener = (raw: unknown) => {
      const parsed = schema.safeParse(raw);
      if (!parsed.success) {
        this.invalidEvents.set(event, (this.invalidEvents.get(event) ?? 0) + 1);
        return;
      }
      this.touch();
      handle(parsed.data);
    };
    socket.on(event, listener);
  }

  private applySnapshots(snapshots: readonly MeterSnapshot[], adopt = this.opts.adoptUnknownMeters): void {
    const meters = { ...this.state.meters };
    let meterNos = this.state.meterNos;
    for (const s of snapshots) {
      const current = meters[s.meterNo];
      if (!current && !adopt) continue;
      const next = mergeFullState(current, meterFromSnapshot(current, s));
      meters[s.meterNo] = next;
      if (!meterNos.includes(s.meterNo)) {
        meterNos = [...meterNos, s.meterNo];
        // Owner name and thresholds come only over HTTP.
        this.meterRefetcher.request(s.meterNo);
      }
      if (current) this.announceCrossings(current, next);
    }
    this.update({ meters, meterNos });
  }

  private applyOutcome(before: MeterView, outcome: EventOutcome): void {
    const after = outcome.meter;
    if (after !== before) {
      const patch: Partial<SessionState> = { meters: { ...this.state.meters, [after.meterNo]: after } };
      if (outcome.consumedKwh > 0) {
        const usage = { ...this.state.usage };
        const atMs = this.timers.now();
        for (const bucket of ['hour', 'day'] as const) {
          const key = usageKey(after.meterNo, bucket);
          const u = usage[key];
          if (u?.status === 'ready')
            usage[key] = { ...u, series: addUsage(u.series, atMs, outcome.consumedKwh) };
        }
        patch.usage = usage;
      }
      this.update(patch);
      this.announceCrossings(before, after);
    }
    if (outcome.verdict === 'gap') this.meterRefetcher.request(after.meterNo);
  }

  private checkGap(meterNo: string, seq: number): void {
    const m = this.state.meters[meterNo];
    if (!m) return this.unknownMeter(meterNo);
    if (missedBefore(m, seq)) this.meterRefetcher.request(meterNo);
  }

  /** An event for a meter we do not list: newly assigned to this customer, or an admin's. */
  private unknownMeter(meterNo: string): void {
    if (this.opts.adoptUnknownMeters && !this.state.missing[meterNo]) this.meterRefetcher.request(meterNo);
  }

  private refetchAll(): void {
    for (const meterNo of this.state.meterNos) {
      this.meterRefetcher.request(meterNo);
      if (this.state.transactions[meterNo]) this.transactionsRefetcher.request(meterNo);
    }
  }

  private retryAfterServerClose(): void {
    if (this.stopped) return;
    const delayMs =
      SERVER_CLOSE_RETRY_MS[Math.min(this.serverCloseRetries, SERVER_CLOSE_RETRY_MS.length - 1)] ?? 15_000;
    this.serverCloseRetries++;
    this.later(() => {
      if (!this.pausedOffline && this.socket && !this.socket.connected) {
        this.setLink('connecting');
        this.socket.connect();
      }
    }, delayMs);
  }

  private watch(meterNo: string): void {
    const socket = this.socket;
    if (!socket?.connected) return; // subscribed on connect
    socket.emit('subscribe_meter', meterNo, (answer) => {
      const parsed = subscribeMeterAckSchema.safeParse(answer);
      if (parsed.success && parsed.data.ok) this.applySnapshots([parsed.data.meter], true);
    });
  }

  /** Asks the server for every meter's state now (a tab that slept may have missed events). */
  resync(): void {
    const socket = this.socket;
    if (!socket?.connected) return;
    // The server may answer with the ack or with a balance_initial event; both are handled.
    socket.emit('get_current_balance', (answer) => {
      const parsed = balanceInitialSchema.safeParse(answer);
      if (parsed.success) {
        this.touch();
        this.applySnapshots(parsed.data.meters);
      }
    });
  }

  private readonly onBrowserOffline = (): void => {
    // The phone lost its network: say so at once rather than after the heartbeat times out.
    this.pausedOffline = true;
    this.socket?.disconnect();
    this.setLink('disconnected');
  };

  private readonly onBrowserOnline = (): void => {
    if (!this.pausedOffline) return;
    this.pausedOffline = false;
    this.setLink('connecting');
    this.socket?.connect();
  };

  private readonly onVisibilityChange = (): void => {
    if (this.opts.env?.isVisible()) this.resync();
  };

  // ---- announcements ----

  private announceIfLow(m: MeterView | undefined): void {
    if (!m) return;
    if (m.balanceKwh <= 0)
      this.toast(this.episodeKey('empty', m.meterNo), 'warning', 'toastNoCredit', { meterNo: m.meterNo });
    else if (m.balanceKwh <= m.lowBalanceKwh) {
      this.toast(this.episodeKey('low', m.meterNo), 'warning', 'toastLowBalance', {
        meterNo: m.meterNo,
        energyKwh: m.balanceKwh,
      });
    }
  }

  /**
   * Low and exhausted credit is announced by the server (alerts) and seen by us (crossings):
   * both use the same key for a meter within a minute, so the customer reads it once.
   */
  private episodeKey(kind: 'low' | 'empty', meterNo: string): string {
    return `${kind}:${meterNo}:${Math.floor(this.timers.now() / 60_000)}`;
  }

  private announceNotification(e: Notification): void {
    const meterNo = e.meterNo ?? '';
    const nowMs = this.timers.now();
    switch (e.kind) {
      case 'low_balance': {
        const balanceKwh = this.state.meters[meterNo]?.balanceKwh;
        this.toast(this.episodeKey('low', meterNo), 'warning', 'toastLowBalance', {
          meterNo,
          ...(balanceKwh === undefined ? {} : { energyKwh: balanceKwh }),
        });
        return;
      }
      case 'zero_balance':
        this.toast(this.episodeKey('empty', meterNo), 'warning', 'toastNoCredit', { meterNo });
        return;
      case 'predicted_low':
        this.toast(`predicted:${meterNo}:${nowMs}`, 'warning', 'toastPredictedLow', {
          meterNo,
          hoursLeft: e.hoursLeft ?? 1,
        });
        return;
      case 'connection_lost':
        this.toast(`offline:${meterNo}:${nowMs}`, 'warning', 'noteConnectionLost', { meterNo });
        return;
      case 'connection_restored':
        this.toast(`online:${meterNo}:${nowMs}`, 'success', 'noteConnectionRestored', { meterNo });
        return;
      case 'balance_mismatch':
        this.toast(`mismatch:${meterNo}:${nowMs}`, 'warning', 'noteBalanceMismatch', { meterNo });
        return;
      case 'alert_acknowledged':
      case 'payment_orphan':
      case 'payment_orphan_resolved':
      case 'topup_requested':
      case 'topup_processed':
        // Operators' consoles refresh their lists on these; nothing to tell a customer.
        return;
      case undefined:
        this.toast(`note:${nowMs}:${e.title}`, e.type, 'notification', {
          title: e.title,
          message: e.message,
        });
        return;
    }
  }

  private announceCrossings(before: MeterView, after: MeterView): void {
    if (crossedBelow(before.balanceKwh, after.balanceKwh, 0)) {
      this.toast(this.episodeKey('empty', after.meterNo), 'warning', 'toastNoCredit', {
        meterNo: after.meterNo,
      });
    } else if (crossedBelow(before.balanceKwh, after.balanceKwh, after.lowBalanceKwh)) {
      this.toast(this.episodeKey('low', after.meterNo), 'warning', 'toastLowBalance', {
        meterNo: after.meterNo,
        energyKwh: after.balanceKwh,
      });
    }
    const supplyMayChange = before.balanceKwh > 0 !== after.balanceKwh > 0;
    if (supplyMayChange) this.later(() => this.meterRefetcher.request(after.meterNo), RELAY_RECHECK_DELAY_MS);
  }

  /** A toast from outside the session (a device setting that failed, for example). */
  showToast(key: string, kind: ToastKind, message: MessageKey): void {
    this.toast(key, kind, message, {});
  }

  private toast(key: string, kind: ToastKind, message: MessageKey, params: ToastParams): void {
    const nowMs = this.timers.now();
    // One low-credit episode of a meter is one toast on screen, whoever announces it and
    // whichever minute it falls in (the session's own look at open, a crossing, the server's alert).
    const episode = /^(low|empty):([^:]*):/.exec(key)?.[0];
    if (episode !== undefined && this.state.toasts.toasts.some((t) => t.key.startsWith(episode))) return;
    // "Run out of credit" replaces "low balance"; a credit replaces "run out of credit".
    let supersedes: string | undefined;
    if (params.meterNo !== undefined && key.startsWith('empty:')) supersedes = `low:${params.meterNo}:`;
    if (params.meterNo !== undefined && key.startsWith('tx:') && kind === 'success')
      supersedes = `empty:${params.meterNo}:`;
    const toasts = pushToast(
      this.state.toasts,
      { key, kind, message, params, ...(supersedes ? { supersedes } : {}) },
      nowMs,
    );
    if (toasts === this.state.toasts) return;
    this.update({ toasts });
    this.later(
      () => this.update({ toasts: expireToasts(this.state.toasts, this.timers.now()) }),
      TOAST_LIFETIME_MS + 10,
    );
  }

  // ---- plumbing ----

  private setLink(status: LinkStatus): void {
    if (this.state.link.status !== status) this.update({ link: { ...this.state.link, status } });
  }

  /** Marks the moment fresh data arrived, for the live indicator. */
  private touch(): void {
    this.update({ link: { ...this.state.link, lastUpdateMs: this.timers.now() } });
  }

  private later(fn: () => void, ms: number): void {
    const handle = this.timers.setTimeout(() => {
      this.pendingTimers.delete(handle);
      if (!this.stopped) fn();
    }, ms);
    this.pendingTimers.add(handle);
  }

  private update(patch: Partial<SessionState>): void {
    if (this.stopped) return;
    this.state = { ...this.state, ...patch };
    this.render.request();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
