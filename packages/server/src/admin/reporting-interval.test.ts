// Protects the meter detail's measured reporting interval: the median gap of recent reports, by the meter's clock.
import { describe, expect, it } from 'vitest';
import { measuredReportingInterval } from './reporting-interval';

const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s)).toISOString();

describe('measuredReportingInterval', () => {
  it('is the median gap of the meter timestamps, so one outage does not move it', () => {
    const secs = [0, 30, 60, 90, 1_000, 1_030, 1_060];
    const r = measuredReportingInterval(
      secs.map((s, i) => ({ seq: i, reported_at: at(s), received_at: at(2_000 + i) })),
    );
    expect(r).toEqual({ medianS: 30, gaps: 6, basis: 'meter_time' });
  });

  it('uses arrival times when the reports carry no meter time', () => {
    const r = measuredReportingInterval(
      [0, 15, 30, 45].map((s, i) => ({ seq: i, reported_at: null, received_at: at(s) })),
    );
    expect(r).toEqual({ medianS: 15, gaps: 3, basis: 'received_time' });
  });

  it('says nothing with fewer than three gaps', () => {
    const r = measuredReportingInterval(
      [0, 15].map((s, i) => ({ seq: i, reported_at: at(s), received_at: at(s) })),
    );
    expect(r.medianS).toBeNull();
  });
});
