// Protects how socket events and HTTP answers update a meter: sequence order, gaps, duplicates, and the server's supply decision.
import type { BalanceUpdated } from '@umeme/protocol';
import { describe, expect, it } from 'vitest';
import {
  applyBalanceUpdated,
  applyMeterStatus,
  classifySeq,
  crossedBelow,
  emergencyOffered,
  meterFromApi,
  meterFromSnapshot,
  mergeFullState,
  missedBefore,
  shownRelay,
  type MeterView,
} from './meter-state';

function newMeterView(over: Partial<MeterView> = {}): MeterView {
  return {
    meterNo: 'M1',
    accountNo: 'M1',
    ownerName: 'Wanjiru',
    balanceKwh: 10,
    creditLimitKwh: 110,
    energyTotalKwh: 100,
    relay: 'on',
    status: 'online',
    lastSeenMs: 1_000,
    powerW: 400,
    seq: 5,
    lowBalanceKwh: 2,
    supply: null,
    tariffGroup: 'standard',
    ...over,
  };
}

function consumption(
  seq: number,
  energyTotal: number,
  newBalance: number,
  previousBalance = 10,
): BalanceUpdated {
  return {
    meterNo: 'M1',
    seq,
    newBalance,
    previousBalance,
    transactionType: 'consumption',
    energyTotal,
    powerW: 600,
    timestamp: 1_760_000_000,
  };
}

describe('sequence numbers', () => {
  it('classifies older, equal, next and skipping sequence numbers', () => {
    expect(classifySeq(5, 4)).toBe('stale');
    expect(classifySeq(5, 5)).toBe('current');
    expect(classifySeq(5, 6)).toBe('next');
    expect(classifySeq(5, 8)).toBe('gap');
  });

  it('a coalesced update covering the missing changes is not a gap', () => {
    expect(classifySeq(5, 9, 6)).toBe('next');
    expect(classifySeq(5, 9, 5)).toBe('next');
    expect(classifySeq(5, 9, 7)).toBe('gap');
    const out = applyBalanceUpdated(newMeterView(), { ...consumption(9, 101, 9), fromSeq: 6 });
    expect(out.verdict).toBe('next');
    expect(out.consumedKwh).toBeCloseTo(1);
  });

  it('state carried by the update wins over what we inferred', () => {
    const out = applyBalanceUpdated(newMeterView(), {
      ...consumption(6, 100.5, 0),
      creditLimit: 100.5,
      relay: 'off',
      status: 'low_balance',
      lastSeen: 1_760_000_000_500,
    });
    expect(out.meter).toMatchObject({ relay: 'off', status: 'low_balance', creditLimitKwh: 100.5 });
    expect(out.meter.lastSeenMs).toBe(1_760_000_000_500);
  });

  it('the next consumption update moves the balance and feeds the chart', () => {
    const out = applyBalanceUpdated(newMeterView(), consumption(6, 100.5, 9.5));
    expect(out.verdict).toBe('next');
    expect(out.consumedKwh).toBeCloseTo(0.5);
    expect(out.meter).toMatchObject({ balanceKwh: 9.5, energyTotalKwh: 100.5, powerW: 600, seq: 6 });
    expect(out.meter.creditLimitKwh).toBeCloseTo(110);
    expect(out.meter.lastSeenMs).toBe(1_760_000_000_000);
  });

  it('a reordered older update never rolls the balance back', () => {
    const m = newMeterView({ seq: 7, balanceKwh: 9 });
    const out = applyBalanceUpdated(m, consumption(6, 100.5, 9.5));
    expect(out.verdict).toBe('stale');
    expect(out.meter).toBe(m);
    expect(out.consumedKwh).toBe(0);
  });

  it('a duplicated update is applied idempotently and adds no usage twice', () => {
    const once = applyBalanceUpdated(newMeterView(), consumption(6, 100.5, 9.5)).meter;
    const twice = applyBalanceUpdated(once, consumption(6, 100.5, 9.5));
    expect(twice.verdict).toBe('current');
    expect(twice.consumedKwh).toBe(0);
    expect(twice.meter.balanceKwh).toBe(9.5);
  });

  it('a skipped sequence number is a gap, and the newer state is still shown', () => {
    const out = applyBalanceUpdated(newMeterView(), consumption(9, 101, 9));
    expect(out.verdict).toBe('gap');
    expect(out.meter.balanceKwh).toBe(9);
    expect(out.meter.seq).toBe(9);
  });

  it('a credit raises the credit limit and adds no usage', () => {
    const out = applyBalanceUpdated(newMeterView(), {
      meterNo: 'M1',
      seq: 6,
      newBalance: 15,
      previousBalance: 10,
      transactionType: 'simulate',
      amount: 100,
      timestamp: 1_760_000_000_000,
    });
    expect(out.consumedKwh).toBe(0);
    expect(out.meter).toMatchObject({
      balanceKwh: 15,
      creditLimitKwh: 115,
      energyTotalKwh: 100,
      lastSeenMs: 1_000,
    });
  });

  it('a consumption update without a register reading infers usage from the balance drop', () => {
    const { energyTotal: _omitted, ...event } = consumption(6, 0, 9.75);
    const out = applyBalanceUpdated(newMeterView(), event);
    expect(out.consumedKwh).toBeCloseTo(0.25);
    expect(out.meter.energyTotalKwh).toBeCloseTo(100.25);
  });

  it('an offline meter that reports again is online', () => {
    const out = applyBalanceUpdated(newMeterView({ status: 'offline' }), consumption(6, 100.5, 9.5));
    expect(out.meter.status).toBe('online');
  });

  it('status events change presence and relay and keep the last sighting when going offline', () => {
    const out = applyMeterStatus(newMeterView(), {
      meterNo: 'M1',
      seq: 6,
      status: 'offline',
      relay: 'off',
      lastSeen: null,
    });
    expect(out.meter).toMatchObject({ status: 'offline', relay: 'off', lastSeenMs: 1_000, seq: 6 });
    expect(
      applyMeterStatus(newMeterView(), { meterNo: 'M1', seq: 4, status: 'offline', lastSeen: null }).verdict,
    ).toBe('stale');
  });

  it('events without state reveal missed changes only when they skip ahead', () => {
    expect(missedBefore(newMeterView(), 6)).toBe(false);
    expect(missedBefore(newMeterView(), 7)).toBe(true);
  });
});

describe('full states', () => {
  it('an HTTP answer older than the events we hold is ignored', () => {
    const held = newMeterView({ seq: 9, balanceKwh: 8 });
    expect(mergeFullState(held, newMeterView({ seq: 8, balanceKwh: 8.5 }))).toBe(held);
    expect(mergeFullState(held, newMeterView({ seq: 9, balanceKwh: 8.1 })).balanceKwh).toBe(8.1);
    expect(mergeFullState(undefined, held)).toBe(held);
  });

  it('keeps the paybill account number and tariff group from an HTTP answer older than the events we hold', () => {
    const held = newMeterView({ seq: 9, accountNo: null, tariffGroup: null });
    const merged = mergeFullState(
      held,
      newMeterView({ seq: 8, balanceKwh: 1, accountNo: '4815162342', tariffGroup: 'shops' }),
    );
    expect(merged).toEqual({ ...held, accountNo: '4815162342', tariffGroup: 'shops' });
  });

  it('reads the HTTP meter with ISO times', () => {
    const m = meterFromApi({
      meterNo: 'M2',
      accountNo: 'M2',
      ownerName: null,
      balanceKwh: 1,
      creditLimitKwh: 2,
      energyTotalKwh: 1,
      relay: 'off',
      status: 'never_seen',
      lastSeen: '2026-01-01T00:00:00.000Z',
      powerW: null,
      seq: 0,
      lowBalanceKwh: 3,
      supply: { relay: 'off', reason: 'no_credit', operatorReason: null, debt: 0 },
      tariffGroup: 'shops',
    });
    expect(m).toMatchObject({
      lastSeenMs: Date.UTC(2026, 0, 1),
      lowBalanceKwh: 3,
      relay: 'off',
      tariffGroup: 'shops',
    });
  });

  it('a balance_initial snapshot keeps what only HTTP knows', () => {
    const m = meterFromSnapshot(newMeterView({ lowBalanceKwh: 4 }), {
      meterNo: 'M1',
      balance: 3,
      creditLimit: 103,
      energyTotal: 100,
      relay: 'on',
      status: 'online',
      lastSeen: 1_760_000_000,
      powerW: 100,
      seq: 12,
    });
    expect(m).toMatchObject({ ownerName: 'Wanjiru', lowBalanceKwh: 4, balanceKwh: 3, seq: 12 });
    expect(m.lastSeenMs).toBe(1_760_000_000_000);
  });

  it('low balance is announced when the balance crosses the threshold, not while it stays below', () => {
    expect(crossedBelow(2.1, 1.9, 2)).toBe(true);
    expect(crossedBelow(1.9, 1.8, 2)).toBe(false);
    expect(crossedBelow(1.9, 2.5, 2)).toBe(false);
  });
});

describe('the server’s supply decision', () => {
  const on = { relay: 'on', reason: 'credit', operatorReason: null, debt: 0 } as const;
  const cut = { relay: 'off', reason: 'override_disconnect', operatorReason: 'Inspection', debt: 0 } as const;

  it('a payment’s update turns supply on at once, before the meter reports its relay', () => {
    const before = newMeterView({
      relay: 'off',
      balanceKwh: 0,
      supply: { ...on, relay: 'off', reason: 'no_credit' },
    });
    const { meter } = applyBalanceUpdated(before, {
      meterNo: 'M1',
      seq: 6,
      timestamp: 2_000,
      newBalance: 5,
      previousBalance: 0,
      transactionType: 'payment',
      supply: on,
    });
    expect(meter.relay).toBe('off');
    expect(shownRelay(meter)).toBe('on');
  });

  it('a meter that never reports its relay is shown by the decision; without one, by its report', () => {
    expect(shownRelay(newMeterView({ relay: 'on', supply: cut }))).toBe('off');
    expect(shownRelay(newMeterView({ relay: 'on', supply: null }))).toBe('on');
  });

  it('an update without a decision keeps the one held', () => {
    const { meter } = applyBalanceUpdated(newMeterView({ supply: cut }), consumption(6, 100.5, 9.5));
    expect(meter.supply).toEqual(cut);
  });

  it('emergency credit is offered at zero balance without debt only', () => {
    expect(emergencyOffered(newMeterView({ balanceKwh: 0, supply: { ...on, debt: 0 } }))).toBe(true);
    expect(emergencyOffered(newMeterView({ balanceKwh: 0, supply: { ...on, debt: 40 } }))).toBe(false);
    expect(emergencyOffered(newMeterView({ balanceKwh: 0.5 }))).toBe(false);
  });
});
