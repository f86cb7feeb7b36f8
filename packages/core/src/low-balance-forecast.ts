/**
 * Predictive low-balance notice (issue 5 §6): "about 6 hours of credit left at your current
 * use". Hours left = balance ÷ recent consumption rate; the notice opens below a threshold and
 * closes only well above it (hysteresis), so a household hovering at the line is told once.
 * Integers throughout: minutes and mWh.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from './money';

/** Default: warn at under six hours of credit left. */
export const DEFAULT_FORECAST_THRESHOLD_MINUTES = 6 * 60;
/** Closes once the time left is back above threshold × 3/2. */
export const FORECAST_HYSTERESIS_NUMERATOR = 3;
export const FORECAST_HYSTERESIS_DENOMINATOR = 2;

/** Whole minutes of credit left at this rate (mWh per hour); null when nothing is being used. */
export function minutesOfCreditLeft(balanceMwh: number, rateMwhPerHour: number): number | null {
  assertSafeInteger(balanceMwh, 'balanceMwh');
  assertNonNegativeSafeInteger(rateMwhPerHour, 'rateMwhPerHour');
  if (balanceMwh <= 0) return 0;
  if (rateMwhPerHour === 0) return null;
  return Number((BigInt(balanceMwh) * 60n) / BigInt(rateMwhPerHour));
}

export interface ForecastInputs {
  balanceMwh: number;
  /** Recent consumption rate, mWh per hour. */
  rateMwhPerHour: number;
  thresholdMinutes: number;
  /** Whether the notice is open now. */
  open: boolean;
}

/**
 * Whether the predicted-low notice should be open. Never at zero balance or below: the
 * zero-balance alert takes over. Opens when minutes left < threshold; once open, stays open
 * until minutes left > threshold × 1.5 (a purchase, or the household using much less).
 */
export function predictedLowOpen(inputs: ForecastInputs): boolean {
  assertSafeInteger(inputs.balanceMwh, 'balanceMwh');
  assertNonNegativeSafeInteger(inputs.rateMwhPerHour, 'rateMwhPerHour');
  assertNonNegativeSafeInteger(inputs.thresholdMinutes, 'thresholdMinutes');
  if (inputs.balanceMwh <= 0) return false;
  if (inputs.rateMwhPerHour === 0) return false;
  // balance / rate [h] < threshold [min] / 60, cross-multiplied to stay exact.
  const left = BigInt(inputs.balanceMwh) * 60n * BigInt(FORECAST_HYSTERESIS_DENOMINATOR);
  const rate = BigInt(inputs.rateMwhPerHour);
  const threshold = BigInt(inputs.thresholdMinutes);
  if (!inputs.open) return left < rate * threshold * BigInt(FORECAST_HYSTERESIS_DENOMINATOR);
  return left <= rate * threshold * BigInt(FORECAST_HYSTERESIS_NUMERATOR);
}

/** "about 5 hours" / "about 40 minutes": words for the notice, rounded to what a person can use. */
export function describeTimeLeft(minutes: number): string {
  assertNonNegativeSafeInteger(minutes, 'minutes');
  if (minutes < 60) {
    const m = Math.max(1, minutes);
    return `about ${m} minute${m === 1 ? '' : 's'}`;
  }
  const hours = Math.round(minutes / 60);
  return `about ${hours} hour${hours === 1 ? '' : 's'}`;
}
