// Protects the balance alert rules: which alerts a meter's balance should have open.
// The import boundary is for production code; tests need their runner.
import { describe, expect, it } from 'vitest';
import vectors from '../../protocol/vectors/credit.json';
import {
  BALANCE_TOLERANCE_MWH,
  balanceAlertFlags,
  balanceAlerts,
  isLowBalance,
  meterBalanceDisagreement,
  type BalanceAlertInput,
} from './alerts';

/** A healthy meter: 10 kWh left, threshold 2 kWh, agreeing with the server. */
function newMeterState(overrides: Partial<BalanceAlertInput> = {}): BalanceAlertInput {
  return {
    meterNo: 'M1',
    userId: null,
    balanceMwh: 10_000_000,
    lowBalanceMwh: 2_000_000,
    meterBalanceMwh: 10_000_000,
    ...overrides,
  };
}

const open = (input: BalanceAlertInput) =>
  Object.entries(balanceAlertFlags(input))
    .filter(([, isOpen]) => isOpen)
    .map(([kind]) => kind);

describe('balance alert rules', () => {
  it('a healthy meter has no alert open', () => {
    expect(open(newMeterState())).toEqual([]);
  });

  it('low balance opens below the threshold, not at it, and zero balance supersedes it', () => {
    expect(open(newMeterState({ balanceMwh: 2_000_000, meterBalanceMwh: null }))).toEqual([]);
    expect(open(newMeterState({ balanceMwh: 1_999_999, meterBalanceMwh: null }))).toEqual(['low_balance']);
    expect(open(newMeterState({ balanceMwh: 1, meterBalanceMwh: null }))).toEqual(['low_balance']);
    expect(open(newMeterState({ balanceMwh: 0, meterBalanceMwh: null }))).toEqual(['zero_balance']);
    expect(open(newMeterState({ balanceMwh: -400, meterBalanceMwh: null }))).toEqual(['zero_balance']);
  });

  it('a meter reporting more or less credit than the server beyond the tolerance is a mismatch', () => {
    const at = (meterBalanceMwh: number) => open(newMeterState({ meterBalanceMwh }));
    expect(at(10_000_000 + BALANCE_TOLERANCE_MWH)).toEqual([]);
    expect(at(10_000_000 - BALANCE_TOLERANCE_MWH)).toEqual([]);
    expect(at(10_000_000 + BALANCE_TOLERANCE_MWH + 1)).toEqual(['balance_mismatch']);
    expect(at(10_000_000 - BALANCE_TOLERANCE_MWH - 1)).toEqual(['balance_mismatch']);
    expect(open(newMeterState({ meterBalanceMwh: null }))).toEqual([]);
  });

  it('says which side the meter is on, so the server re-sends the limit only when the meter lags', () => {
    expect(meterBalanceDisagreement(1_000_000, 2_000_000)).toBe('above');
    expect(meterBalanceDisagreement(1_000_000, 0)).toBe('below');
    expect(meterBalanceDisagreement(1_000_000, 1_000_000)).toBeNull();
    expect(meterBalanceDisagreement(1_000_000, null)).toBeNull();
  });

  it('words each alert with its side and amounts', () => {
    const [zero, low, mismatch] = balanceAlerts(
      newMeterState({ balanceMwh: -1_230_000, meterBalanceMwh: 0 }),
    );
    expect(zero).toMatchObject({ kind: 'zero_balance', open: true, severity: 'critical' });
    expect(zero!.message).toContain('-1.23 kWh');
    expect(low).toMatchObject({ kind: 'low_balance', open: false });
    expect(mismatch).toMatchObject({ kind: 'balance_mismatch', open: true });
    expect(mismatch!.message).toContain('more credit');
  });

  it('refuses fractional energy: a programmer error, not input', () => {
    expect(() => isLowBalance(0.5, 1)).toThrow(RangeError);
    expect(() => isLowBalance(1, -1)).toThrow(RangeError);
    expect(() => meterBalanceDisagreement(1, 0.5)).toThrow(RangeError);
  });
});

describe('shared low-balance vectors', () => {
  it.each(vectors.lowBalance)(
    'low=$low at E=$energyMwh, C=$creditLimitMwh, threshold=$lowBalanceMwh',
    ({ energyMwh, creditLimitMwh, lowBalanceMwh, low }) => {
      expect(isLowBalance(creditLimitMwh - energyMwh, lowBalanceMwh)).toBe(low);
    },
  );
});
