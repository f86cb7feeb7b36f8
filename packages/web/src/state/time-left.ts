/** Longer than this is shown as "over a year"; also keeps absurd rates from overflowing. */
export const TIME_LEFT_CAP_MS = 366 * 86_400_000;

/** Power below this is standby noise, not use. */
export const IDLE_POWER_W = 5;

type TimeLeft =
  | { kind: 'empty' }
  | { kind: 'idle' }
  | { kind: 'estimate'; durationMs: number; rateKw: number; basis: 'power' | 'average' };

/**
 * How long the balance lasts at the current rate of use: the meter's latest power reading,
 * or, when it has none, the average over the usage chart's window.
 */
export function estimateTimeLeft(input: {
  balanceKwh: number;
  powerW: number | null;
  averageRateKw: number | null;
}): TimeLeft {
  if (input.balanceKwh <= 0) return { kind: 'empty' };
  let rateKw: number;
  let basis: 'power' | 'average';
  if (input.powerW !== null && input.powerW >= IDLE_POWER_W) {
    rateKw = input.powerW / 1000;
    basis = 'power';
  } else if (input.powerW === null && input.averageRateKw !== null && input.averageRateKw > 0) {
    rateKw = input.averageRateKw;
    basis = 'average';
  } else {
    return { kind: 'idle' };
  }
  const durationMs = Math.min(TIME_LEFT_CAP_MS, (input.balanceKwh / rateKw) * 3_600_000);
  return { kind: 'estimate', durationMs, rateKw, basis };
}
