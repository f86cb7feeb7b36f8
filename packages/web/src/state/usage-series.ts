import type { Bucket, ConsumptionPoint } from '../api/api-types';

/** How many buckets each chart shows: the last 24 hours, the last 30 days. */
export const BUCKETS_SHOWN: Record<Bucket, number> = { hour: 24, day: 30 };

/** Usage per bucket, oldest first; the last bucket is the one in progress. Local time. */
export interface UsageSeries {
  bucket: Bucket;
  startsMs: number[];
  kwh: number[];
}

export function bucketStartMs(atMs: number, bucket: Bucket): number {
  const d = new Date(atMs);
  if (bucket === 'hour') d.setMinutes(0, 0, 0);
  else d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export function shiftBucketMs(startMs: number, bucket: Bucket, count: number): number {
  const d = new Date(startMs);
  if (bucket === 'hour') d.setHours(d.getHours() + count);
  else d.setDate(d.getDate() + count);
  return d.getTime();
}

export function emptySeries(bucket: Bucket, nowMs: number): UsageSeries {
  const count = BUCKETS_SHOWN[bucket];
  const current = bucketStartMs(nowMs, bucket);
  const startsMs = Array.from({ length: count }, (_, i) => shiftBucketMs(current, bucket, i - (count - 1)));
  return { bucket, startsMs, kwh: startsMs.map(() => 0) };
}

/** The query range for a chart: from the start of its first bucket until now. */
export function seriesRange(bucket: Bucket, nowMs: number): { fromMs: number; toMs: number } {
  const first = emptySeries(bucket, nowMs).startsMs[0] ?? nowMs;
  return { fromMs: first, toMs: nowMs };
}

/** Half a bucket: a server bucket is filed by its middle (see `seriesFromPoints`). */
const HALF_BUCKET_MS: Record<Bucket, number> = { hour: 1_800_000, day: 43_200_000 };

/**
 * Places server points into local buckets. The server counts days in Kenyan time; a phone set
 * to another zone would see each day's start fall on the evening before, so a point is filed
 * by the middle of its bucket, which lies on the same date in any zone within twelve hours.
 */
export function seriesFromPoints(
  bucket: Bucket,
  nowMs: number,
  points: readonly ConsumptionPoint[],
): UsageSeries {
  const series = emptySeries(bucket, nowMs);
  const index = new Map(series.startsMs.map((start, i) => [start, i]));
  for (const p of points) {
    const i = index.get(bucketStartMs(p.startMs + HALF_BUCKET_MS[bucket], bucket));
    if (i !== undefined) series.kwh[i] = (series.kwh[i] ?? 0) + Math.max(0, p.kwh);
  }
  return series;
}

/** Adds live usage; when time has moved past the last bucket the window slides forward. */
export function addUsage(series: UsageSeries, atMs: number, kwh: number): UsageSeries {
  if (kwh <= 0) return series;
  const startsMs = [...series.startsMs];
  const values = [...series.kwh];
  const target = bucketStartMs(atMs, series.bucket);
  let last = startsMs[startsMs.length - 1];
  if (last === undefined) return series;
  let slid = 0;
  while (target > last && slid < startsMs.length) {
    last = shiftBucketMs(last, series.bucket, 1);
    startsMs.push(last);
    values.push(0);
    startsMs.shift();
    values.shift();
    slid++;
  }
  if (target > last) {
    const fresh = emptySeries(series.bucket, atMs);
    fresh.kwh[fresh.kwh.length - 1] = kwh;
    return fresh;
  }
  const i = startsMs.indexOf(target);
  if (i < 0) return { ...series, startsMs, kwh: values };
  values[i] = (values[i] ?? 0) + kwh;
  return { ...series, startsMs, kwh: values };
}

export function seriesTotalKwh(series: UsageSeries): number {
  return series.kwh.reduce((sum, v) => sum + v, 0);
}

/** Average rate over the buckets that have passed, in kW; null when nothing was used. */
export function averageRateKw(series: UsageSeries, nowMs: number): number | null {
  const first = series.startsMs[0];
  if (first === undefined) return null;
  const hours = (nowMs - first) / 3_600_000;
  const total = seriesTotalKwh(series);
  return hours > 0 && total > 0 ? total / hours : null;
}
