// Protects the realtime edge: mWh and cents become kWh and KES once, and each event says what the protocol schema says.
import { describe, expect, it } from 'vitest';
import type { MeterChanged } from '../shared/events';
import {
  balanceInsufficientFrom,
  balanceUpdatedFrom,
  crossedZero,
  mergeBalanceUpdates,
  meterRooms,
  notificationFrom,
  paymentSuccessFrom,
  transactionCompletedFrom,
} from './realtime.events';

const credit: MeterChanged = {
  meterNo: 'M1',
  userId: 'u1',
  eventSeq: 7,
  previousBalanceMwh: -250_000,
  balanceMwh: 4_750_000,
  creditLimitMwh: 10_000_000,
  energyMwh: 5_250_000,
  powerW: 320,
  relay: 'on',
  status: 'online',
  lastSeen: 1_700_000_000_000,
  cause: 'payment',
  transactionId: 't1',
  amountCents: 10_050,
  energyDeltaMwh: 5_000_000,
  at: 1_700_000_001_000,
};

describe('realtime events', () => {
  it('converts a credit to kWh and KES at the edge', () => {
    expect(balanceUpdatedFrom(credit)).toEqual({
      meterNo: 'M1',
      seq: 7,
      newBalance: 4.75,
      previousBalance: -0.25,
      transactionId: 't1',
      transactionType: 'payment',
      amount: 100.5,
      timestamp: 1_700_000_001_000,
      energyTotal: 5.25,
      powerW: 320,
      creditLimit: 10,
      relay: 'on',
      status: 'online',
      lastSeen: 1_700_000_000_000,
    });
    expect(transactionCompletedFrom(credit)).toMatchObject({ amount: 100.5, energyKwh: 5, seq: 7 });
    expect(paymentSuccessFrom(credit)).toMatchObject({ transactionId: 't1', amount: 100.5, balance: 4.75 });
  });

  it('sends no payment events for consumption or adjustments', () => {
    const used: MeterChanged = {
      ...credit,
      cause: 'consumption',
      transactionId: undefined,
      amountCents: undefined,
    };
    expect(transactionCompletedFrom(used)).toBeNull();
    expect(paymentSuccessFrom(used)).toBeNull();
    expect(paymentSuccessFrom({ ...credit, cause: 'adjustment' })).toBeNull();
    expect(balanceUpdatedFrom(used).amount).toBeUndefined();
  });

  it('reports a balance reaching zero once, on the crossing', () => {
    const toZero: MeterChanged = { ...credit, cause: 'consumption', previousBalanceMwh: 1, balanceMwh: 0 };
    expect(crossedZero(toZero)).toBe(true);
    expect(crossedZero({ ...toZero, previousBalanceMwh: 0, balanceMwh: -5 })).toBe(false);
    expect(balanceInsufficientFrom(toZero)).toEqual({
      meterNo: 'M1',
      seq: 7,
      timestamp: credit.at,
      balance: 0,
    });
  });

  it('merges coalesced updates into the newest state spanning all their changes', () => {
    const a = balanceUpdatedFrom({
      ...credit,
      cause: 'consumption',
      eventSeq: 3,
      previousBalanceMwh: 9,
      balanceMwh: 8,
    });
    const b = balanceUpdatedFrom({
      ...credit,
      cause: 'consumption',
      eventSeq: 5,
      previousBalanceMwh: 7,
      balanceMwh: 6,
    });
    expect(mergeBalanceUpdates(a, b)).toMatchObject({
      seq: 5,
      fromSeq: 3,
      previousBalance: 9e-6,
      newBalance: 6e-6,
    });
    // reordered arrivals keep the highest seq
    expect(mergeBalanceUpdates(b, a)).toMatchObject({ seq: 5, fromSeq: 3, newBalance: 6e-6 });
  });

  it('addresses a meter’s owner and watchers, and only the watchers of an unowned meter', () => {
    expect(meterRooms('M1', 'u1')).toEqual(['meter:M1', 'user:u1']);
    expect(meterRooms('M1', null)).toEqual(['meter:M1']);
  });

  it('tells the customer about their alerts and keeps operator-only alerts from them', () => {
    const base = { meterNo: 'M1', userId: 'u1', severity: 'critical' as const, message: 'x', at: 1 };
    expect(notificationFrom({ ...base, kind: 'zero_balance', open: true })).toMatchObject({
      toOwner: true,
      payload: { type: 'error', kind: 'zero_balance', meterNo: 'M1' },
    });
    expect(notificationFrom({ ...base, kind: 'balance_mismatch', open: true })?.toOwner).toBe(false);
    expect(notificationFrom({ ...base, kind: 'low_balance', open: false })).toBeNull();
    expect(notificationFrom({ ...base, kind: 'connection_lost', open: false })?.payload.kind).toBe(
      'connection_restored',
    );
  });
});
