// Protects the predictive low-balance notice: minutes left from balance and rate, and the threshold's hysteresis.
import { describe, expect, it } from 'vitest';
import { describeTimeLeft, minutesOfCreditLeft, predictedLowOpen } from './low-balance-forecast';

const KWH = 1_000_000;

describe('minutesOfCreditLeft', () => {
  it('divides the balance by the recent rate, in whole minutes', () => {
    expect(minutesOfCreditLeft(6 * KWH, 1 * KWH)).toBe(360);
    expect(minutesOfCreditLeft(1 * KWH, 3 * KWH)).toBe(20);
    expect(minutesOfCreditLeft(0, KWH)).toBe(0);
    expect(minutesOfCreditLeft(-5, KWH)).toBe(0);
    expect(minutesOfCreditLeft(KWH, 0)).toBeNull();
  });
});

describe('predictedLowOpen', () => {
  const at = (balanceKwh: number, open: boolean) =>
    predictedLowOpen({ balanceMwh: balanceKwh * KWH, rateMwhPerHour: KWH, thresholdMinutes: 360, open });

  it('opens below the threshold, not at it', () => {
    expect(at(5.99, false)).toBe(true);
    expect(at(6, false)).toBe(false);
  });

  it('stays open until the time left is above threshold × 1.5', () => {
    expect(at(6, true)).toBe(true);
    expect(at(9, true)).toBe(true);
    expect(at(9.01, true)).toBe(false);
  });

  it('is closed at zero balance (zero_balance takes over) and when nothing is used', () => {
    expect(at(0, true)).toBe(false);
    expect(at(-1, false)).toBe(false);
    expect(predictedLowOpen({ balanceMwh: 1, rateMwhPerHour: 0, thresholdMinutes: 360, open: true })).toBe(
      false,
    );
  });
});

describe('describeTimeLeft', () => {
  it('rounds to hours, or minutes under an hour', () => {
    expect(describeTimeLeft(350)).toBe('about 6 hours');
    expect(describeTimeLeft(60)).toBe('about 1 hour');
    expect(describeTimeLeft(40)).toBe('about 40 minutes');
    expect(describeTimeLeft(0)).toBe('about 1 minute');
  });
});
