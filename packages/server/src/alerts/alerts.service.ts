import type { Queryable } from '../db/db';
import type { AlertChanged, EventBus } from '../shared/events';
import type { Metrics } from '../shared/metrics';

export type AlertKind =
  | 'low_balance'
  | 'zero_balance'
  | 'balance_mismatch'
  | 'connection_lost'
  /** a payment callback disagreed with its intent or with STK Query: operators look */
  | 'payment_mismatch'
  /** suspected tamper: the relay is reported off while consumption still grows */
  | 'tamper_relay'
  /** suspected tamper or fault: power above the meter's rated maximum */
  | 'power_over_rated'
  /** an operator's command was not acknowledged in time */
  | 'command_expired'
  /** credit will run out within hours at the recent rate of use (issue 5 §6) */
  | 'predicted_low'
  /** a register jump beyond rated power × elapsed time is held for an operator (MQ-13) */
  | 'register_anomaly';
type Severity = AlertChanged['severity'];

export interface BalanceInput {
  meterNo: string;
  userId: string | null;
  balanceMwh: number;
  creditLimitMwh: number;
  energyMwh: number;
  lowBalanceMwh: number;
  meterBalanceMwh: number | null;
}

/** The meter's view may lag the server's by this much before it counts as disagreement. */
export const BALANCE_TOLERANCE_MWH = 10_000;

interface Desired {
  meterNo: string;
  userId: string | null;
  kind: AlertKind;
  open: boolean;
  severity: Severity;
  message: string;
  /** predicted_low: whole hours of credit left, for the customer's notification */
  hoursLeft?: number;
}

type BalanceKind = 'zero_balance' | 'low_balance' | 'balance_mismatch';
const BALANCE_KINDS: readonly BalanceKind[] = ['zero_balance', 'low_balance', 'balance_mismatch'];

/** Pure: whether each balance alert should be open for this meter state. */
export function balanceAlertFlags(input: BalanceInput): Record<BalanceKind, boolean> {
  const zero = input.balanceMwh <= 0;
  // A meter claiming a higher credit limit than we granted is suspicious; a lower one only
  // means it has not yet received the latest command/balance.
  const meterLimit = input.meterBalanceMwh === null ? null : input.meterBalanceMwh + input.energyMwh;
  return {
    zero_balance: zero,
    low_balance: !zero && input.balanceMwh <= input.lowBalanceMwh,
    balance_mismatch: meterLimit !== null && meterLimit > input.creditLimitMwh + BALANCE_TOLERANCE_MWH,
  };
}

function balanceAlert(input: BalanceInput, kind: BalanceKind, open: boolean): Desired {
  const base = { meterNo: input.meterNo, userId: input.userId, kind, open };
  switch (kind) {
    case 'zero_balance':
      return {
        ...base,
        severity: 'critical',
        message: `Credit exhausted (${formatKwh(input.balanceMwh)} kWh); the supply is cut until a purchase.`,
      };
    case 'low_balance':
      return {
        ...base,
        severity: 'warning',
        message: `Low balance: ${formatKwh(input.balanceMwh)} kWh left.`,
      };
    case 'balance_mismatch':
      return {
        ...base,
        severity: 'warning',
        message: 'The meter reports more credit than the server granted.',
      };
  }
}

/** Pure: which balance alerts should be open for this meter state. */
export function balanceAlerts(input: BalanceInput): Desired[] {
  const flags = balanceAlertFlags(input);
  return BALANCE_KINDS.map((kind) => balanceAlert(input, kind, flags[kind]));
}

/** Two decimals for messages, without floating-point formatting of ledger values. */
function formatKwh(mwh: number): string {
  const sign = mwh < 0 ? '-' : '';
  const centiKwh = Math.round(Math.abs(mwh) / 10_000);
  return `${sign}${Math.floor(centiKwh / 100)}.${String(centiKwh % 100).padStart(2, '0')}`;
}

/** True when the meter evidently has not seen the current credit limit. */
export function meterLagsCreditLimit(input: BalanceInput): boolean {
  if (input.meterBalanceMwh === null) return false;
  return input.meterBalanceMwh + input.energyMwh < input.creditLimitMwh - BALANCE_TOLERANCE_MWH;
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
      for (const kind of BALANCE_KINDS) {
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
