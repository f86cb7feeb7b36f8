import {
  BALANCE_ALERT_KINDS,
  balanceAlert,
  balanceAlertFlags,
  balanceAlerts,
  meterBalanceDisagreement,
  type AlertDecision,
  type BalanceAlertInput,
} from '@umeme/core';
import type { Queryable } from '../db/db';
import type { AlertChanged, EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';

/** A meter's balance as the ingest and credit paths see it after their writes. */
export interface BalanceInput extends BalanceAlertInput {
  creditLimitMwh: number;
  energyMwh: number;
}

/** An alert to open or close; predicted_low also carries the hours left for the customer's notice. */
type Desired = AlertDecision & { hoursLeft?: number };

/** True when the meter evidently has not taken the current credit limit: send it again. */
export function meterLagsCreditLimit(input: BalanceInput): boolean {
  return meterBalanceDisagreement(input.balanceMwh, input.meterBalanceMwh) === 'below';
}

/** Opens and closes alerts in bulk inside the caller's transaction; events go out after commit. */
export class AlertsService {
  constructor(
    private readonly bus: EventBus,
    private readonly metrics: Metrics,
  ) {}

  async apply(tx: Queryable, desired: Desired[]): Promise<AlertChanged[]> {
    if (desired.length === 0) return [];
    const toOpen = desired.filter((d) => d.open);
    const toClose = desired.filter((d) => !d.open);
    const changes: AlertChanged[] = [];
    const now = Date.now();
    if (toOpen.length > 0) {
      const { rows } = await tx.query<{ meter_no: string; kind: string }>(
        `INSERT INTO alerts (meter_no, kind, severity, message)
         SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[])
         ON CONFLICT (meter_no, kind) WHERE closed_at IS NULL DO NOTHING
         RETURNING meter_no, kind`,
        [
          toOpen.map((d) => d.meterNo),
          toOpen.map((d) => d.kind),
          toOpen.map((d) => d.severity),
          toOpen.map((d) => d.message),
        ],
      );
      for (const r of rows) {
        const d = toOpen.find((x) => x.meterNo === r.meter_no && x.kind === r.kind);
        if (!d) continue;
        this.metrics.alertsOpened.inc({ kind: d.kind });
        changes.push({ ...d, open: true, at: now });
      }
    }
    if (toClose.length > 0) {
      const { rows } = await tx.query<{ meter_no: string; kind: string }>(
        `UPDATE alerts a SET closed_at = now()
           FROM unnest($1::text[], $2::text[]) AS c(meter_no, kind)
          WHERE a.meter_no = c.meter_no AND a.kind = c.kind AND a.closed_at IS NULL
          RETURNING a.meter_no, a.kind`,
        [toClose.map((d) => d.meterNo), toClose.map((d) => d.kind)],
      );
      for (const r of rows) {
        const d = toClose.find((x) => x.meterNo === r.meter_no && x.kind === r.kind);
        if (d) changes.push({ ...d, open: false, at: now });
      }
    }
    return changes;
  }

  /**
   * Opens and closes balance alerts. `openNow` (meter → open alert kinds), when the caller
   * already read it, limits the writes to real changes: the ingest hot path then usually
   * writes nothing.
   */
  async evaluateBalances(
    tx: Queryable,
    inputs: BalanceInput[],
    openNow?: ReadonlyMap<string, readonly string[]>,
  ): Promise<AlertChanged[]> {
    if (!openNow) return this.apply(tx, inputs.flatMap(balanceAlerts));
    // The ingest hot path: build an alert only where its state changes.
    const desired: Desired[] = [];
    for (const input of inputs) {
      const flags = balanceAlertFlags(input);
      const open = openNow.get(input.meterNo) ?? [];
      for (const kind of BALANCE_ALERT_KINDS) {
        if (open.includes(kind) !== flags[kind]) desired.push(balanceAlert(input, kind, flags[kind]));
      }
    }
    return desired.length === 0 ? [] : this.apply(tx, desired);
  }

  async setConnectionLost(
    tx: Queryable,
    meterNo: string,
    userId: string | null,
    lost: boolean,
  ): Promise<AlertChanged[]> {
    return this.apply(tx, [
      {
        meterNo,
        userId,
        kind: 'connection_lost',
        open: lost,
        severity: 'warning',
        message: 'The meter is offline.',
      },
    ]);
  }

  publish(changes: AlertChanged[]): void {
    for (const c of changes) this.bus.emit('alert_changed', c);
  }
}
