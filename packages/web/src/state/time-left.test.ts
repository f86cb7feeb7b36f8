// Protects the "time left" estimate shown under the balance.
import { describe, expect, it } from 'vitest';
import { estimateTimeLeft, TIME_LEFT_CAP_MS } from './time-left';

describe('time left', () => {
  it('10 kWh at 500 W lasts 20 hours', () => {
    expect(estimateTimeLeft({ balanceKwh: 10, powerW: 500, averageRateKw: 0.1 })).toEqual({
      kind: 'estimate',
      durationMs: 20 * 3_600_000,
      rateKw: 0.5,
      basis: 'power',
    });
  });

  it('without a power reading the window average is the rate', () => {
    const t = estimateTimeLeft({ balanceKwh: 3, powerW: null, averageRateKw: 0.25 });
    expect(t).toMatchObject({ kind: 'estimate', durationMs: 12 * 3_600_000, basis: 'average' });
  });

  it('a meter drawing nothing is idle, not running out', () => {
    expect(estimateTimeLeft({ balanceKwh: 3, powerW: 0, averageRateKw: 0.25 })).toEqual({ kind: 'idle' });
    expect(estimateTimeLeft({ balanceKwh: 3, powerW: 2, averageRateKw: null })).toEqual({ kind: 'idle' });
    expect(estimateTimeLeft({ balanceKwh: 3, powerW: null, averageRateKw: null })).toEqual({ kind: 'idle' });
  });

  it('no credit or a debt leaves no time', () => {
    expect(estimateTimeLeft({ balanceKwh: 0, powerW: 500, averageRateKw: null })).toEqual({ kind: 'empty' });
    expect(estimateTimeLeft({ balanceKwh: -1.2, powerW: 500, averageRateKw: null })).toEqual({
      kind: 'empty',
    });
  });

  it('a huge balance at a trickle is capped', () => {
    const t = estimateTimeLeft({ balanceKwh: 1e6, powerW: 6, averageRateKw: null });
    expect(t).toMatchObject({ kind: 'estimate', durationMs: TIME_LEFT_CAP_MS });
  });
});
