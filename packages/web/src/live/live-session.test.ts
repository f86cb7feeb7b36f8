// Protects the live session's repair rules: gaps and unrecovered reconnects refetch over HTTP; bad events are dropped.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiMeter } from '../api/api-types';
import { ApiError, type HttpClient } from '../api/http-client';
import { GAP_REFETCH_INTERVAL_MS, LiveSession, RENDER_INTERVAL_MS, type BalanceSocket } from './live-session';

class FakeSocket {
  connected = false;
  recovered = false;
  active = true;
  private handlers = new Map<string, ((...args: unknown[]) => void)[]>();
  on(event: string, fn: (...args: unknown[]) => void) {
    this.handlers.set(event, [...(this.handlers.get(event) ?? []), fn]);
    return this;
  }
  fire(event: string, ...args: unknown[]) {
    for (const fn of this.handlers.get(event) ?? []) fn(...args);
  }
  connect() {
    return this;
  }
  disconnect() {
    this.connected = false;
    return this;
  }
  removeAllListeners() {
    this.handlers.clear();
    return this;
  }
  serverConnects(recovered: boolean) {
    this.connected = true;
    this.recovered = recovered;
    this.fire('connect');
  }
}

function newApiMeter(over: Partial<ApiMeter> = {}): ApiMeter {
  return {
    meterNo: 'M1',
    accountNo: 'M1',
    userId: 'u1',
    ownerName: 'Otieno',
    balanceKwh: 10,
    balanceMwh: 10_000_000,
    creditLimitKwh: 110,
    creditLimitMwh: 110_000_000,
    energyTotalKwh: 100,
    energyTotalMwh: 100_000_000,
    e0Mwh: 0,
    relay: 'on',
    status: 'online',
    lastSeen: null,
    powerW: 300,
    fw: null,
    meterBalanceKwh: null,
    emergencyCreditKwh: 0,
    lowBalanceKwh: 2,
    publishIntervalS: 60,
    seq: 5,
    createdAt: '2026-01-01T00:00:00.000Z',
    tariffGroup: 'standard',
    current_balance: 10,
    supply: { relay: 'on', reason: 'credit', operatorReason: null, debt: 0 },
    ...over,
  };
}

function newSession(serverMeter: () => ApiMeter) {
  const socket = new FakeSocket();
  const consumption = vi.fn(async () => []);
  const http = {
    meters: vi.fn(async () => ({ meters: [serverMeter()], next: null })),
    meter: vi.fn(async (meterNo: string) => {
      const m = serverMeter();
      if (m.meterNo !== meterNo) throw new ApiError(404, 'NOT_FOUND', 'Not found.');
      return m;
    }),
    consumption,
    transactions: vi.fn(async () => ({ items: [], next: null })),
    me: vi.fn(),
    simulateTopUp: vi.fn(),
  } as unknown as HttpClient & Record<'meter' | 'meters' | 'transactions', ReturnType<typeof vi.fn>>;
  const session = new LiveSession({
    http,
    openSocket: () => socket as unknown as BalanceSocket,
    adoptUnknownMeters: true,
    onUnauthorized: () => {},
  });
  return { session, socket, http, consumption };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

const consumptionEvent = (seq: number, newBalance: number, energyTotal: number) => ({
  meterNo: 'M1',
  seq,
  newBalance,
  previousBalance: newBalance + 0.1,
  transactionType: 'consumption',
  energyTotal,
  powerW: 500,
  timestamp: 1_760_000_000,
});

describe('live session', () => {
  it('applies the next balance update without any HTTP request', async () => {
    const { session, socket, http } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.serverConnects(false);
    socket.fire('balance_updated', consumptionEvent(6, 9.9, 100.1));
    await vi.advanceTimersByTimeAsync(GAP_REFETCH_INTERVAL_MS * 2);
    expect(session.getState().meters.M1?.balanceKwh).toBe(9.9);
    expect(http.meter).not.toHaveBeenCalled();
    expect(session.getState().link.status).toBe('connected');
  });

  it('a gap in sequence numbers refetches the meter over HTTP and takes its state', async () => {
    let server = newApiMeter();
    const { session, socket, http } = newSession(() => server);
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.serverConnects(false);
    server = newApiMeter({ seq: 9, balanceKwh: 9.5 });
    socket.fire('balance_updated', consumptionEvent(8, 9.6, 100.4));
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    expect(http.meter).toHaveBeenCalledTimes(1);
    expect(session.getState().meters.M1).toMatchObject({ seq: 9, balanceKwh: 9.5 });
  });

  it('a gap also reloads an open usage chart, which stays on screen meanwhile', async () => {
    const { session, socket, consumption } = newSession(() => newApiMeter({ seq: 9 }));
    session.start();
    session.openMeter('M1');
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    expect(consumption).toHaveBeenCalledTimes(2);
    socket.fire('balance_updated', consumptionEvent(12, 9.6, 100.4));
    expect(session.getState().usage['M1|hour']?.status).toBe('ready');
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    expect(consumption).toHaveBeenCalledTimes(4);
    expect(session.getState().usage['M1|hour']?.status).toBe('ready');
  });

  it('a reconnect without recovery refetches; a recovered one does not', async () => {
    const { session, socket, http } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.serverConnects(false);
    socket.fire('disconnect', 'transport close');
    expect(session.getState().link.status).toBe('disconnected');
    socket.serverConnects(true);
    await vi.advanceTimersByTimeAsync(GAP_REFETCH_INTERVAL_MS);
    expect(http.meter).not.toHaveBeenCalled();
    socket.fire('disconnect', 'transport close');
    socket.serverConnects(false);
    await vi.advanceTimersByTimeAsync(GAP_REFETCH_INTERVAL_MS);
    expect(http.meter).toHaveBeenCalledTimes(1);
  });

  it('an event that fails its schema is dropped and counted', async () => {
    const { session, socket } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.fire('balance_updated', { meterNo: 'M1', seq: 6, newBalance: 'lots' });
    expect(session.getState().meters.M1?.balanceKwh).toBe(10);
    expect(session.invalidEventCounts.get('balance_updated')).toBe(1);
  });

  it('balance_initial after a reconnect converges to the server state', async () => {
    const { session, socket } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.fire('balance_initial', {
      timestamp: 1_760_000_000,
      meters: [
        {
          meterNo: 'M1',
          balance: 25,
          creditLimit: 125,
          energyTotal: 100,
          relay: 'on',
          status: 'online',
          lastSeen: null,
          powerW: null,
          seq: 7,
        },
      ],
    });
    expect(session.getState().meters.M1).toMatchObject({ balanceKwh: 25, seq: 7, ownerName: 'Otieno' });
  });

  it('a credit shows one toast however many events announce it', async () => {
    const { session, socket } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.fire('balance_updated', {
      meterNo: 'M1',
      seq: 6,
      newBalance: 15,
      previousBalance: 10,
      transactionType: 'simulate',
      transactionId: 't-1',
      amount: 100,
      timestamp: 1_760_000_000,
    });
    socket.fire('transaction_completed', {
      meterNo: 'M1',
      seq: 6,
      transactionId: 't-1',
      transactionType: 'simulate',
      amount: 100,
      energyKwh: 5,
      timestamp: 1_760_000_000,
    });
    socket.fire('payment_success', { transactionId: 't-1', amount: 100, meterNo: 'M1' });
    expect(session.getState().toasts.toasts).toHaveLength(1);
    expect(session.getState().toasts.toasts[0]).toMatchObject({ kind: 'success', message: 'toastCredited' });
  });

  it('a credit takes the "run out of credit" toast of that meter off the screen', async () => {
    const { session, socket } = newSession(() => newApiMeter());
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    socket.fire('balance_insufficient', { meterNo: 'M1', seq: 6, timestamp: 1_760_000_000, balance: 0 });
    expect(session.getState().toasts.toasts[0]).toMatchObject({ message: 'toastNoCredit' });
    socket.fire('transaction_completed', {
      meterNo: 'M1',
      seq: 7,
      transactionId: 't-2',
      transactionType: 'payment',
      amount: 100,
      energyKwh: 5,
      timestamp: 1_760_000_001,
    });
    expect(session.getState().toasts.toasts.map((x) => x.message)).toEqual(['toastCredited']);
  });

  it('low credit seen at open and announced by the server shows one toast', async () => {
    const { session, socket } = newSession(() => newApiMeter({ balanceKwh: 1 }));
    session.start();
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    expect(session.getState().toasts.toasts.map((x) => x.message)).toEqual(['toastLowBalance']);
    const lowBalanceAlert = {
      type: 'warning',
      title: 'Low balance',
      message: 'M1 is low',
      meterNo: 'M1',
      kind: 'low_balance',
    };
    // the server's alert for the same episode, at once…
    socket.fire('notification', lowBalanceAlert);
    expect(session.getState().toasts.toasts.map((x) => x.message)).toEqual(['toastLowBalance']);
    // …and again once the clock has passed into the next minute, the first toast still up
    vi.setSystemTime(Math.ceil((Date.now() + 1) / 60_000) * 60_000 + 10);
    socket.fire('notification', lowBalanceAlert);
    expect(session.getState().toasts.toasts.map((x) => x.message)).toEqual(['toastLowBalance']);
  });

  it('a meter the server does not show us is marked missing', async () => {
    const { session, http } = newSession(() => newApiMeter());
    session.start();
    session.openMeter('SOMEONE-ELSE');
    await vi.advanceTimersByTimeAsync(RENDER_INTERVAL_MS);
    expect(http.meter).toHaveBeenCalledWith('SOMEONE-ELSE');
    expect(session.getState().missing['SOMEONE-ELSE']).toBe(true);
  });
});
