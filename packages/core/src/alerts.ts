/**
 * Alert rules (issue 2 item 3): which alerts should be open for a meter right now. The
 * server compares the answer with the alerts it has open and opens or closes the difference.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from './money';

export type AlertKind = 'low_balance' | 'zero_balance' | 'connection_lost' | 'balance_mismatch';

/** In the order a dashboard lists them: most urgent first. */
export const ALERT_KINDS: readonly AlertKind[] = [
  'zero_balance',
  'low_balance',
  'connection_lost',
  'balance_mismatch',
];

/** A meter is lost after this many report intervals without a message, so one late report is no alarm. */
export const DEFAULT_MISSED_INTERVALS_BEFORE_LOST = 3;

export interface AlertInputs {
  /** Server balance C − E. */
  balanceMwh: number;
  /** low_balance is open while 0 < balance ≤ this. */
  lowBalanceThresholdMwh: number;
  /** Last message from the meter, or null if it has never been heard from. */
  lastSeenMs: number | null;
  nowMs: number;
  /** The meter's publish interval. */
  expectedIntervalMs: number;
  missedIntervalsBeforeLost?: number;
  /** The meter's own balance from its last balance report, or null if unknown. */
  meterReportedBalanceMwh: number | null;
  /** Largest disagreement that is not an alert: reports in flight make the two views differ a little. */
  balanceToleranceMwh: number;
}

/** The alerts that should be open, in ALERT_KINDS order. */
export function evaluateAlerts(inputs: AlertInputs): AlertKind[] {
  assertSafeInteger(inputs.balanceMwh, 'balanceMwh');
  assertNonNegativeSafeInteger(inputs.lowBalanceThresholdMwh, 'lowBalanceThresholdMwh');
  assertSafeInteger(inputs.nowMs, 'nowMs');
  assertNonNegativeSafeInteger(inputs.expectedIntervalMs, 'expectedIntervalMs');
  assertNonNegativeSafeInteger(inputs.balanceToleranceMwh, 'balanceToleranceMwh');
  const missed = inputs.missedIntervalsBeforeLost ?? DEFAULT_MISSED_INTERVALS_BEFORE_LOST;
  assertNonNegativeSafeInteger(missed, 'missedIntervalsBeforeLost');

  const open = new Set<AlertKind>();
  // Zero balance supersedes low balance: one alert per condition, the more urgent one.
  if (inputs.balanceMwh <= 0) open.add('zero_balance');
  else if (inputs.balanceMwh <= inputs.lowBalanceThresholdMwh) open.add('low_balance');

  // A meter never heard from is not installed yet, not lost.
  if (inputs.lastSeenMs !== null) {
    assertSafeInteger(inputs.lastSeenMs, 'lastSeenMs');
    if (inputs.nowMs - inputs.lastSeenMs > missed * inputs.expectedIntervalMs) open.add('connection_lost');
  }

  if (inputs.meterReportedBalanceMwh !== null) {
    assertSafeInteger(inputs.meterReportedBalanceMwh, 'meterReportedBalanceMwh');
    if (Math.abs(inputs.meterReportedBalanceMwh - inputs.balanceMwh) > inputs.balanceToleranceMwh) {
      open.add('balance_mismatch');
    }
  }
  return ALERT_KINDS.filter((kind) => open.has(kind));
}

/** The alerts to open and to close to get from those open now to those that should be. */
export function diffAlerts(
  openNow: readonly AlertKind[],
  shouldBeOpen: readonly AlertKind[],
): { toOpen: AlertKind[]; toClose: AlertKind[] } {
  return {
    toOpen: ALERT_KINDS.filter((k) => shouldBeOpen.includes(k) && !openNow.includes(k)),
    toClose: ALERT_KINDS.filter((k) => openNow.includes(k) && !shouldBeOpen.includes(k)),
  };
}
