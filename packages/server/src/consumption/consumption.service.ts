import { mwhToKwh } from '@umeme/protocol';
import type { Db } from '../db/db';
import { assertMeterAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { findMeterOwner } from '../shared/meter-owner';
import {
  CONSUMPTION_DEFAULT_SPAN_MS,
  CONSUMPTION_POINTS_MAX,
  CONSUMPTION_RANGE_MAX_DAYS,
  CONSUMPTION_TIMEZONE,
  type ConsumptionQuery,
  type ConsumptionResponse,
} from './consumption.schema';

const DAY_MS = 86_400_000;
const BUCKET_MS = { hour: 3_600_000, day: DAY_MS } as const;

interface PointRow {
  start: Date | string;
  energy_mwh: number;
  max_power_w: number | null;
  reports: number;
}

/** Consumption series from the hourly rollups, with empty buckets as zeros. */
export class ConsumptionService {
  constructor(private readonly db: Db) {}

  async series(
    caller: Caller,
    meterNo: string,
    q: ConsumptionQuery,
    nowMs = Date.now(),
  ): Promise<ConsumptionResponse> {
    assertMeterAccess(caller, meterNo, await findMeterOwner(this.db, meterNo));
    const toMs = q.to === undefined ? nowMs : Date.parse(q.to);
    const fromMs = q.from === undefined ? toMs - CONSUMPTION_DEFAULT_SPAN_MS[q.bucket] : Date.parse(q.from);
    if (!(fromMs < toMs)) throw new AppError('BAD_REQUEST', '`from` must be before `to`.');
    if (toMs - fromMs > CONSUMPTION_RANGE_MAX_DAYS * DAY_MS) {
      throw new AppError('BAD_REQUEST', `The range may span at most ${CONSUMPTION_RANGE_MAX_DAYS} days.`);
    }
    // +2: the first bucket starts before `from`, the last may end after `to`.
    if ((toMs - fromMs) / BUCKET_MS[q.bucket] + 2 > CONSUMPTION_POINTS_MAX) {
      throw new AppError('BAD_REQUEST', `At most ${CONSUMPTION_POINTS_MAX} points per request.`);
    }
    // Hours are truncated in UTC (the rollups are UTC hours); days in Kenyan time.
    const zone = q.bucket === 'day' ? CONSUMPTION_TIMEZONE : 'UTC';
    const { rows } = await this.db.query<PointRow>(
      `WITH series AS (
         SELECT g AS local_start
           FROM generate_series(date_trunc($4, $2::timestamptz AT TIME ZONE $5),
                                ($3::timestamptz - interval '1 microsecond') AT TIME ZONE $5,
                                ('1 ' || $4)::interval) AS g
       ), sums AS (
         SELECT date_trunc($4, hour AT TIME ZONE $5) AS local_start, SUM(energy_mwh) AS energy_mwh,
                MAX(max_power_w) AS max_power_w, SUM(reports) AS reports
           FROM consumption_hourly
          WHERE meter_no = $1 AND hour >= date_trunc($4, $2::timestamptz AT TIME ZONE $5) AT TIME ZONE $5
            AND hour < $3::timestamptz
          GROUP BY 1
       )
       SELECT s.local_start AT TIME ZONE $5 AS start, COALESCE(x.energy_mwh, 0)::bigint AS energy_mwh,
              x.max_power_w, COALESCE(x.reports, 0)::bigint AS reports
         FROM series s LEFT JOIN sums x ON x.local_start = s.local_start
        ORDER BY s.local_start
        LIMIT $6`,
      [
        meterNo,
        new Date(fromMs).toISOString(),
        new Date(toMs).toISOString(),
        q.bucket,
        zone,
        CONSUMPTION_POINTS_MAX,
      ],
    );
    let totalMwh = 0;
    const points = rows.map((r) => {
      totalMwh += r.energy_mwh;
      return {
        start: new Date(r.start).toISOString(),
        energyKwh: mwhToKwh(r.energy_mwh),
        energyMwh: r.energy_mwh,
        maxPowerW: r.max_power_w,
        reports: r.reports,
      };
    });
    return {
      meterNo,
      bucket: q.bucket,
      timezone: CONSUMPTION_TIMEZONE,
      from: points[0]?.start ?? new Date(fromMs).toISOString(),
      to: new Date(toMs).toISOString(),
      points,
      totalKwh: mwhToKwh(totalMwh),
      totalMwh,
    };
  }
}
