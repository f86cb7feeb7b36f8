/**
 * How often a meter really reports, measured from its recent readings (pure: no I/O).
 *
 * The median gap between consecutive reports, by the meter's own timestamps where it sent
 * them: a meter that was offline replays its buffered reports in one burst, so arrival times
 * would show gaps near zero, while its own clock shows the cadence it kept. One long outage
 * moves a median little. Where fewer than two reports carry the meter's time (legacy reports),
 * arrival times are used.
 */
import { z } from 'zod';

/** At least this many gaps before a median is shown: fewer say little about a cadence. */
export const MIN_INTERVAL_GAPS = 3;

export const reportingInterval = z.object({
  /** the median gap in seconds (rounded), or null when there are too few reports */
  medianS: z.number().int().nullable(),
  /** how many gaps the median was taken over */
  gaps: z.number().int(),
  /** whose clock: the meter's timestamps, or when the server received the reports */
  basis: z.enum(['meter_time', 'received_time']),
});
export type ReportingInterval = z.infer<typeof reportingInterval>;

interface Reading {
  seq: number;
  reported_at: Date | string | null;
  received_at: Date | string;
}

const ms = (v: Date | string): number => (v instanceof Date ? v.getTime() : Date.parse(v));

function medianGapMs(times: number[]): { median: number | null; gaps: number } {
  const sorted = [...times].sort((a, b) => a - b);
  const gaps: number[] = [];
  for (let i = 1; i < sorted.length; i++) gaps.push(sorted[i]! - sorted[i - 1]!);
  if (gaps.length < MIN_INTERVAL_GAPS) return { median: null, gaps: gaps.length };
  gaps.sort((a, b) => a - b);
  const mid = gaps.length >> 1;
  const median = gaps.length % 2 ? gaps[mid]! : (gaps[mid - 1]! + gaps[mid]!) / 2;
  return { median, gaps: gaps.length };
}

export function measuredReportingInterval(readings: readonly Reading[]): ReportingInterval {
  const meterTimes = readings.filter((r) => r.reported_at !== null).map((r) => ms(r.reported_at!));
  const basis = meterTimes.length >= 2 ? 'meter_time' : 'received_time';
  const times = basis === 'meter_time' ? meterTimes : readings.map((r) => ms(r.received_at));
  const { median, gaps } = medianGapMs(times.filter(Number.isFinite));
  return { medianS: median === null ? null : Math.round(median / 1000), gaps, basis };
}
