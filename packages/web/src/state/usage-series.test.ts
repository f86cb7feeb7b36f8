// Protects the usage chart's buckets: filling from the API and growing live.
import { describe, expect, it } from 'vitest';
import {
  addUsage,
  averageRateKw,
  bucketStartMs,
  emptySeries,
  seriesFromPoints,
  seriesRange,
  seriesTotalKwh,
} from './usage-series';

const NOW = new Date(2026, 2, 14, 15, 40, 12).getTime();
const HOUR = 3_600_000;

describe('usage series', () => {
  it('the 24 h chart has 24 hourly buckets ending with the current hour', () => {
    const s = emptySeries('hour', NOW);
    expect(s.startsMs).toHaveLength(24);
    expect(s.startsMs.at(-1)).toBe(new Date(2026, 2, 14, 15).getTime());
    expect(s.startsMs[0]).toBe(new Date(2026, 2, 13, 16).getTime());
    expect(seriesRange('hour', NOW)).toEqual({ fromMs: s.startsMs[0], toMs: NOW });
  });

  it('the 30 day chart has 30 local days ending today', () => {
    const s = emptySeries('day', NOW);
    expect(s.startsMs).toHaveLength(30);
    expect(s.startsMs.at(-1)).toBe(new Date(2026, 2, 14).getTime());
    expect(s.startsMs[0]).toBe(new Date(2026, 1, 13).getTime());
  });

  it('files server points into their buckets and drops those outside the window', () => {
    const s = seriesFromPoints('hour', NOW, [
      { startMs: new Date(2026, 2, 14, 15).getTime(), kwh: 0.5 },
      { startMs: new Date(2026, 2, 14, 14, 10).getTime(), kwh: 0.25 },
      { startMs: new Date(2026, 2, 14, 14).getTime(), kwh: 0.25 },
      { startMs: new Date(2026, 2, 10).getTime(), kwh: 9 },
    ]);
    expect(s.kwh.at(-1)).toBe(0.5);
    expect(s.kwh.at(-2)).toBe(0.5);
    expect(seriesTotalKwh(s)).toBe(1);
  });

  it('a day the server starts a few hours off local midnight lands on its own date', () => {
    const today = new Date(2026, 2, 14).getTime();
    const s = seriesFromPoints('day', NOW, [
      { startMs: today - 3 * HOUR, kwh: 4 },
      { startMs: today + 3 * HOUR, kwh: 0 },
      { startMs: today - 21 * HOUR, kwh: 6 },
    ]);
    expect(s.kwh.at(-1)).toBe(4);
    expect(s.kwh.at(-2)).toBe(6);
  });

  it('live usage grows the current bucket', () => {
    const s = addUsage(emptySeries('hour', NOW), NOW + 60_000, 0.2);
    expect(s.kwh.at(-1)).toBeCloseTo(0.2);
    expect(addUsage(s, NOW, 0).kwh).toEqual(s.kwh);
  });

  it('live usage after the hour turns slides the window forward', () => {
    const s = addUsage(addUsage(emptySeries('hour', NOW), NOW, 1), NOW + HOUR, 0.3);
    expect(s.startsMs).toHaveLength(24);
    expect(s.startsMs.at(-1)).toBe(bucketStartMs(NOW + HOUR, 'hour'));
    expect(s.kwh.at(-1)).toBeCloseTo(0.3);
    expect(s.kwh.at(-2)).toBe(1);
  });

  it('live usage days later starts a fresh window', () => {
    const s = addUsage(addUsage(emptySeries('hour', NOW), NOW, 1), NOW + 3 * 24 * HOUR, 0.3);
    expect(s.startsMs.at(-1)).toBe(bucketStartMs(NOW + 3 * 24 * HOUR, 'hour'));
    expect(seriesTotalKwh(s)).toBeCloseTo(0.3);
  });

  it('the average rate spreads the window total over the time it covers', () => {
    const s = seriesFromPoints('hour', NOW, [{ startMs: bucketStartMs(NOW, 'hour'), kwh: 2.34 }]);
    const hours = (NOW - (s.startsMs[0] ?? 0)) / HOUR;
    expect(averageRateKw(s, NOW)).toBeCloseTo(2.34 / hours);
    expect(averageRateKw(emptySeries('hour', NOW), NOW)).toBeNull();
  });
});
