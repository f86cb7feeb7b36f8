// Protects the alert rules: which alerts a meter's state should have open.
// The import boundary is for production code; tests need their runner.
import { describe, expect, it } from 'vitest';
import { diffAlerts, evaluateAlerts, type AlertInputs } from './alerts';

const NOW_MS = Date.parse('2024-05-01T12:00:00Z');

/** A healthy meter: 10 kWh left, heard from just now, agreeing with the server. */
function newMeterState(overrides: Partial<AlertInputs> = {}): AlertInputs {
  return {
    balanceMwh: 10_000_000,
    lowBalanceThresholdMwh: 2_000_000,
    lastSeenMs: NOW_MS - 1000,
    nowMs: NOW_MS,
    expectedIntervalMs: 30_000,
    meterReportedBalanceMwh: 10_000_000,
    balanceToleranceMwh: 50_000,
    ...overrides,
  };
}

describe('alert rules', () => {
  it('opens nothing for a healthy meter', () => {
    expect(evaluateAlerts(newMeterState())).toEqual([]);
  });

  it('opens low_balance at and below the threshold while credit remains', () => {
    expect(evaluateAlerts(newMeterState({ balanceMwh: 2_000_001, meterReportedBalanceMwh: null }))).toEqual(
      [],
    );
    expect(evaluateAlerts(newMeterState({ balanceMwh: 2_000_000, meterReportedBalanceMwh: null }))).toEqual([
      'low_balance',
    ]);
    expect(evaluateAlerts(newMeterState({ balanceMwh: 1, meterReportedBalanceMwh: null }))).toEqual([
      'low_balance',
    ]);
  });

  it('opens zero_balance instead of low_balance once credit is used up or overdrawn', () => {
    expect(evaluateAlerts(newMeterState({ balanceMwh: 0, meterReportedBalanceMwh: null }))).toEqual([
      'zero_balance',
    ]);
    expect(evaluateAlerts(newMeterState({ balanceMwh: -400, meterReportedBalanceMwh: null }))).toEqual([
      'zero_balance',
    ]);
  });

  it('opens connection_lost only after three missed intervals', () => {
    expect(evaluateAlerts(newMeterState({ lastSeenMs: NOW_MS - 90_000 }))).toEqual([]);
    expect(evaluateAlerts(newMeterState({ lastSeenMs: NOW_MS - 90_001 }))).toEqual(['connection_lost']);
    expect(
      evaluateAlerts(newMeterState({ lastSeenMs: NOW_MS - 30_001, missedIntervalsBeforeLost: 1 })),
    ).toEqual(['connection_lost']);
  });

  it('does not call a meter that has never been heard from lost', () => {
    expect(evaluateAlerts(newMeterState({ lastSeenMs: null }))).toEqual([]);
  });

  it('opens balance_mismatch when the meter and the server disagree beyond the tolerance, either way', () => {
    expect(evaluateAlerts(newMeterState({ meterReportedBalanceMwh: 10_050_000 }))).toEqual([]);
    expect(evaluateAlerts(newMeterState({ meterReportedBalanceMwh: 9_950_000 }))).toEqual([]);
    expect(evaluateAlerts(newMeterState({ meterReportedBalanceMwh: 10_050_001 }))).toEqual([
      'balance_mismatch',
    ]);
    expect(evaluateAlerts(newMeterState({ meterReportedBalanceMwh: 9_949_999 }))).toEqual([
      'balance_mismatch',
    ]);
    expect(evaluateAlerts(newMeterState({ meterReportedBalanceMwh: null }))).toEqual([]);
  });

  it('lists several alerts at once, most urgent first', () => {
    const state = newMeterState({
      balanceMwh: -1,
      lastSeenMs: NOW_MS - 3_600_000,
      meterReportedBalanceMwh: 5_000_000,
    });
    expect(evaluateAlerts(state)).toEqual(['zero_balance', 'connection_lost', 'balance_mismatch']);
  });

  it('refuses non-integer quantities', () => {
    expect(() => evaluateAlerts(newMeterState({ balanceMwh: 0.5 }))).toThrow(RangeError);
    expect(() => evaluateAlerts(newMeterState({ balanceToleranceMwh: -1 }))).toThrow(RangeError);
  });

  it('tells which alerts to open and which to close', () => {
    expect(diffAlerts(['low_balance', 'connection_lost'], ['zero_balance', 'connection_lost'])).toEqual({
      toOpen: ['zero_balance'],
      toClose: ['low_balance'],
    });
    expect(diffAlerts([], [])).toEqual({ toOpen: [], toClose: [] });
  });
});
