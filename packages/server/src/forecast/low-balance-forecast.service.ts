import { describeTimeLeft, minutesOfCreditLeft, predictedLowOpen } from '@umeme/core';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import type { Db, Queryable } from '../db/db';

/** The recent rate is taken over the current hour and this many whole hours before it. */
export const FORECAST_WHOLE_HOURS = 2;
const HOUR_MS = 3_600_000;

/**
 * The recent use the forecast goes by: each meter's consumption since the start of the hour
 * FORECAST_WHOLE_HOURS whole hours ago (`$2`), and the seconds that window covers up to `$1`
 * (from the meter's commissioning when younger, at least a minute). Joined as `h` on `m`.
 */
const RECENT_USE_JOIN = `LEFT JOIN (SELECT meter_no, SUM(energy_mwh)::bigint AS mwh FROM consumption_hourly
                       WHERE hour >= $2 GROUP BY meter_no) h ON h.meter_no = m.meter_no`;
const RECENT_COLUMNS = `COALESCE(h.mwh, 0)::bigint AS recent_mwh,
                GREATEST(60, EXTRACT(EPOCH FROM ($1::timestamptz - GREATEST($2::timestamptz, m.created_at))))::bigint
                  AS elapsed_s`;

const windowStartOf = (nowMs: number): Date =>
  new Date(Math.floor(nowMs / HOUR_MS) * HOUR_MS - FORECAST_WHOLE_HOURS * HOUR_MS);

/** mWh per hour over the recent window. */
const rateOf = (recentMwh: number, elapsedS: number): number =>
  Math.floor((recentMwh * 3600) / Math.max(1, elapsedS));

/** Whole hours of credit left at the recent rate (at least 1 while any is left); null with no recent use or no credit. */
function hoursLeftOf(balanceMwh: number, rateMwhPerHour: number): number | null {
  if (balanceMwh <= 0) return null;
  const minutes = minutesOfCreditLeft(balanceMwh, rateMwhPerHour);
  return minutes === null ? null : Math.max(1, Math.round(minutes / 60));
}

/** Hours of credit left for each of these meters, as the forecast reckons them (USSD's balance screen). */
export async function hoursOfCreditLeft(
  db: Queryable,
  meterNos: readonly string[],
  nowMs: number = Date.now(),
): Promise<Map<string, number | null>> {
  const { rows } = await db.query<{
    meter_no: string;
    balance_mwh: number;
    recent_mwh: number;
    elapsed_s: number;
  }>(
    `SELECT m.meter_no, (m.credit_limit_mwh - m.energy_mwh)::bigint AS balance_mwh, ${RECENT_COLUMNS}
       FROM meters m ${RECENT_USE_JOIN}
      WHERE m.meter_no = ANY($3::text[])`,
    [new Date(nowMs), windowStartOf(nowMs), [...meterNos]],
  );
  return new Map(
    rows.map((r) => [
      r.meter_no,
      hoursLeftOf(Number(r.balance_mwh), rateOf(Number(r.recent_mwh), Number(r.elapsed_s))),
    ]),
  );
}

interface Row {
  meter_no: string;
  user_id: string | null;
  balance_mwh: number;
  recent_mwh: number;
  elapsed_s: number;
  open: boolean;
}

interface SweepResult {
  opened: number;
  closed: number;
}

/**
 * Predictive low-balance notice (issue 5 §6): "about 6 hours of credit left at your current
 * use". One query reads every meter's balance and its consumption over the last two to three
 * hours (`consumption_hourly`), the pure rule in @umeme/core decides, and `predicted_low`
 * alerts open and close in one transaction. Opening one sends the customer a `notification`
 * through the realtime gateway, once per episode (one open alert per meter and kind).
 */
export class LowBalanceForecastService {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly db: Db,
    private readonly alerts: AlertsService,
    private readonly logger: Logger,
    private readonly opts: { thresholdMinutes: number; intervalMs: number },
  ) {}

  start(): void {
    this.timer = setInterval(() => {
      this.sweep().catch((err: unknown) => this.logger.warn({ err }, 'low-balance forecast sweep failed'));
    }, this.opts.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  async sweep(nowMs: number = Date.now()): Promise<SweepResult> {
    const windowStart = windowStartOf(nowMs);
    const changes = await this.db.transaction(async (tx) => {
      // Only meters that can change: an open notice, or credit left and recent use.
      const { rows } = await tx.query<Row>(
        `SELECT m.meter_no, m.user_id, (m.credit_limit_mwh - m.energy_mwh)::bigint AS balance_mwh,
                ${RECENT_COLUMNS},
                (a.id IS NOT NULL) AS open
           FROM meters m
           ${RECENT_USE_JOIN}
           LEFT JOIN alerts a ON a.meter_no = m.meter_no AND a.kind = 'predicted_low' AND a.closed_at IS NULL
          WHERE a.id IS NOT NULL OR (m.credit_limit_mwh > m.energy_mwh AND h.mwh > 0)`,
        [new Date(nowMs), windowStart],
      );
      const desired = rows.flatMap((r) => {
        const balanceMwh = Number(r.balance_mwh);
        const rateMwhPerHour = rateOf(Number(r.recent_mwh), Number(r.elapsed_s));
        const open = predictedLowOpen({
          balanceMwh,
          rateMwhPerHour,
          thresholdMinutes: this.opts.thresholdMinutes,
          open: r.open,
        });
        if (open === r.open) return [];
        const minutes = minutesOfCreditLeft(balanceMwh, rateMwhPerHour) ?? 0;
        const words = describeTimeLeft(minutes);
        return [
          {
            meterNo: r.meter_no,
            userId: r.user_id,
            kind: 'predicted_low' as const,
            open,
            severity: 'warning' as const,
            message: `${words[0]!.toUpperCase()}${words.slice(1)} of credit left at your current use.`,
            hoursLeft: hoursLeftOf(balanceMwh, rateMwhPerHour) ?? 1,
          },
        ];
      });
      return this.alerts.apply(tx, desired);
    });
    this.alerts.publish(changes);
    const opened = changes.filter((c) => c.open).length;
    return { opened, closed: changes.length - opened };
  }
}
