/**
 * Alert rules (docs/design.md §3.6): which meter alerts should be open for a meter's state. The
 * server reads the state, asks these rules, and opens or closes the difference in the same
 * transaction. Messages are written here too, so every caller words an alert the same way.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from './money';

/** Every kind of alert an operator can see (the Alerts page filters by these). */
export const ALERT_KINDS = [
  'low_balance',
  'zero_balance',
  'balance_mismatch',
  'connection_lost',
  /** a payment callback disagreed with its intent or with STK Query: operators look */
  'payment_mismatch',
  /** suspected tamper: the relay is reported off while consumption still grows */
  'tamper_relay',
  /** suspected tamper or fault: power above the meter's rated maximum */
  'power_over_rated',
  /** an operator's command was not acknowledged in time */
  'command_expired',
  /** credit will run out within hours at the recent rate of use (issue 5 §6) */
  'predicted_low',
  /** a register jump beyond rated power × elapsed time is held for an operator (MQ-13) */
  'register_anomaly',
] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export type AlertSeverity = 'info' | 'warning' | 'critical';

/** One alert a rule says should be open (`open: true`) or closed for a meter. */
export interface AlertDecision<K extends AlertKind = AlertKind> {
  meterNo: string;
  userId: string | null;
  kind: K;
  open: boolean;
  severity: AlertSeverity;
  message: string;
}

/** A meter is lost after this many report intervals without a message, so one late report is no alarm. */
export const DEFAULT_MISSED_INTERVALS_BEFORE_LOST = 3;

// ---- balance --------------------------------------------------------------------------

/**
 * The meter's view of its balance may differ from the server's by this much before it counts as
 * disagreement: the two are read at slightly different moments of consumption.
 */
export const BALANCE_TOLERANCE_MWH = 10_000;

/**
 * Below the threshold the balance is low: the meter's own `low_balance` status (firmware
 * `isLowBalance`, the simulator) and the server's alert use this one rule. Zero and below count.
 */
export function isLowBalance(balanceMwh: number, lowBalanceMwh: number): boolean {
  assertSafeInteger(balanceMwh, 'balanceMwh');
  assertNonNegativeSafeInteger(lowBalanceMwh, 'lowBalanceMwh');
  return balanceMwh < lowBalanceMwh;
}

/**
 * How the meter's own balance compares with the server's, beyond the tolerance:
 * `above` means the meter believes it has more credit than was granted (tamper, firmware fault:
 * the supply stays on unpaid); `below` means it has not taken the server's credit limit (a lost
 * or refused command/balance: the customer paid and may sit in the dark). Both need an operator;
 * `below` also makes the server send the limit again.
 */
export function meterBalanceDisagreement(
  serverBalanceMwh: number,
  meterBalanceMwh: number | null,
): 'above' | 'below' | null {
  assertSafeInteger(serverBalanceMwh, 'serverBalanceMwh');
  if (meterBalanceMwh === null) return null;
  assertSafeInteger(meterBalanceMwh, 'meterBalanceMwh');
  if (meterBalanceMwh > serverBalanceMwh + BALANCE_TOLERANCE_MWH) return 'above';
  if (meterBalanceMwh < serverBalanceMwh - BALANCE_TOLERANCE_MWH) return 'below';
  return null;
}

export type BalanceAlertKind = 'zero_balance' | 'low_balance' | 'balance_mismatch';
export const BALANCE_ALERT_KINDS: readonly BalanceAlertKind[] = [
  'zero_balance',
  'low_balance',
  'balance_mismatch',
];

export interface BalanceAlertInput {
  meterNo: string;
  userId: string | null;
  /** Server balance C − E. */
  balanceMwh: number;
  /** The meter's low-balance threshold. */
  lowBalanceMwh: number;
  /** The meter's own balance from its newest report, or null if unknown. */
  meterBalanceMwh: number | null;
}

/**
 * Whether each balance alert should be open. `zero_balance` supersedes `low_balance`: one alert
 * per condition, the more urgent one.
 */
export function balanceAlertFlags(input: BalanceAlertInput): Record<BalanceAlertKind, boolean> {
  const zero = input.balanceMwh <= 0;
  return {
    zero_balance: zero,
    low_balance: !zero && isLowBalance(input.balanceMwh, input.lowBalanceMwh),
    balance_mismatch: meterBalanceDisagreement(input.balanceMwh, input.meterBalanceMwh) !== null,
  };
}

/** The balance alert of one kind, open or closed, with its severity and message. */
export function balanceAlert(
  input: BalanceAlertInput,
  kind: BalanceAlertKind,
  open: boolean,
): AlertDecision<BalanceAlertKind> {
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
    case 'balance_mismatch': {
      const side = meterBalanceDisagreement(input.balanceMwh, input.meterBalanceMwh);
      const meter = input.meterBalanceMwh === null ? '' : ` (${formatKwh(input.meterBalanceMwh)} kWh`;
      const server = `${formatKwh(input.balanceMwh)} kWh)`;
      return {
        ...base,
        severity: 'warning',
        message:
          side === 'above'
            ? `The meter reports more credit than the server granted${meter} against ${server}.`
            : side === 'below'
              ? `The meter reports less credit than the server granted${meter} against ${server}; the credit limit is being sent again.`
              : 'The meter and the server agree on the balance again.',
      };
    }
  }
}

/** Every balance alert, open or closed, for this meter state. */
export function balanceAlerts(input: BalanceAlertInput): AlertDecision<BalanceAlertKind>[] {
  const flags = balanceAlertFlags(input);
  return BALANCE_ALERT_KINDS.map((kind) => balanceAlert(input, kind, flags[kind]));
}

/** Two decimals of kWh for messages, without floating-point formatting of ledger values. */
function formatKwh(mwh: number): string {
  const sign = mwh < 0 ? '-' : '';
  const centiKwh = Math.round(Math.abs(mwh) / 10_000);
  return `${sign}${Math.floor(centiKwh / 100)}.${String(centiKwh % 100).padStart(2, '0')}`;
}

// ---- suspected tamper -----------------------------------------------------------------

/** Energy a meter may still register with its relay reported off (sensor noise, switching). */
export const RELAY_OFF_TOLERANCE_MWH = 1_000;

export interface TamperInput {
  meterNo: string;
  userId: string | null;
  /** energy debited from reports that said the relay was off, when it was already off before */
  relayOffDebitMwh: number;
  /** the newest reported power */
  powerW: number | null;
  /** the meter's rated maximum load, if configured */
  maxLoadW: number | null;
}

export type TamperAlertKind = 'tamper_relay' | 'power_over_rated';

const isOverRated = (input: TamperInput): boolean =>
  input.maxLoadW !== null && input.powerW !== null && input.powerW > input.maxLoadW;

/** Cheap test for the hot path: whether either tamper alert should be open now. */
export function tamperSuspected(input: TamperInput): boolean {
  return input.relayOffDebitMwh > RELAY_OFF_TOLERANCE_MWH || isOverRated(input);
}

/** Which suspected-tamper alerts should be open after a batch of reports from one meter. */
export function tamperAlerts(input: TamperInput): AlertDecision<TamperAlertKind>[] {
  const base = { meterNo: input.meterNo, userId: input.userId };
  const overRated = isOverRated(input);
  return [
    {
      ...base,
      kind: 'tamper_relay',
      open: input.relayOffDebitMwh > RELAY_OFF_TOLERANCE_MWH,
      severity: 'critical',
      message: 'Suspected tamper: the relay is reported off but consumption is still being recorded.',
    },
    {
      ...base,
      kind: 'power_over_rated',
      open: overRated,
      severity: 'warning',
      message: overRated
        ? `Power ${input.powerW} W is above the rated maximum of ${input.maxLoadW} W.`
        : 'Power is back within the rated maximum.',
    },
  ];
}
