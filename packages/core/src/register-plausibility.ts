/**
 * Register plausibility (issue 13 finding 4, MQ-13): a meter cannot measure more energy than
 * its rated power for the time that passed. A register jump beyond that bound is held for an
 * operator instead of being debited; one implausible report must not empty and freeze an
 * account. Pure: the server reads the inputs with the meter row it already locks.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from './money';

/** A household meter of 100 A at 240 V. */
export const DEFAULT_RATED_POWER_W = 24_000;
/** Time at rated power always allowed on top: reports queued while offline, clocks of several servers. */
export const DEFAULT_REGISTER_GRACE_MS = 15 * 60_000;
/** The elapsed time counts ×3/2: a margin for meters drawing a little over their rating. */
export const REGISTER_MARGIN_NUMERATOR = 3;
export const REGISTER_MARGIN_DENOMINATOR = 2;
/** W × ms → mWh. */
const MS_PER_HOUR = 3_600_000;
const MWH_PER_WH = 1_000;

/**
 * The most a register may plausibly grow in `elapsedMs` at `ratedPowerW`:
 * ⌊ratedPowerW × (elapsedMs × 3/2 + graceMs) / 3,600,000 × 1000⌋ mWh. A negative elapsed time
 * (another server's clock) counts as zero. A threshold, not a ledger value: the product is taken
 * in floating point and saturates at the largest safe integer.
 */
export function plausibleRegisterGrowthMwh(ratedPowerW: number, elapsedMs: number, graceMs: number): number {
  assertNonNegativeSafeInteger(ratedPowerW, 'ratedPowerW');
  assertSafeInteger(elapsedMs, 'elapsedMs');
  assertNonNegativeSafeInteger(graceMs, 'graceMs');
  const elapsed = Math.max(0, elapsedMs);
  const weightedMs = (elapsed * REGISTER_MARGIN_NUMERATOR) / REGISTER_MARGIN_DENOMINATOR + graceMs;
  const bound = Math.floor((ratedPowerW * weightedMs * MWH_PER_WH) / MS_PER_HOUR);
  return Math.min(bound, Number.MAX_SAFE_INTEGER);
}

export interface RegisterJumpInput {
  /** the register as applied so far (E_last) */
  lastEnergyMwh: number;
  /** the register this report would set (from applyEnergyReport) */
  candidateEnergyMwh: number;
  /** what applying the report would debit; 0 for duplicates and stale reports */
  debitedMwh: number;
  /** server time the applied register last grew (or the meter was registered) */
  lastGrowthAtMs: number;
  /** server time this report was received */
  receivedAtMs: number;
  ratedPowerW: number;
  graceMs: number;
  /** lowest register of the meter's open hold, or null when nothing is held */
  heldFromMwh: number | null;
}

export interface RegisterJumpVerdict {
  hold: boolean;
  /** the bound this report was judged against */
  allowedMwh: number;
  elapsedMs: number;
}

/**
 * Whether a report must be held rather than debited. Held: growth above the plausible bound, or
 * (while a hold is open) a report from the held level or above — once the register was seen at
 * that level, more elapsed time does not make the same jump genuine. A report below the held
 * level that is plausible is debited: the meter is back on its old register (the jump was a
 * glitch). Duplicates and stale reports debit nothing and are never held.
 */
export function registerJumpVerdict(input: RegisterJumpInput): RegisterJumpVerdict {
  const elapsedMs = input.receivedAtMs - input.lastGrowthAtMs;
  if (input.debitedMwh <= 0) return { hold: false, allowedMwh: 0, elapsedMs };
  const allowedMwh = plausibleRegisterGrowthMwh(input.ratedPowerW, elapsedMs, input.graceMs);
  if (input.heldFromMwh !== null && input.candidateEnergyMwh >= input.heldFromMwh) {
    return { hold: true, allowedMwh, elapsedMs };
  }
  return { hold: input.debitedMwh > allowedMwh, allowedMwh, elapsedMs };
}

/**
 * Re-basing the register epoch (the operator's "reset"): the register moves from E_last to the
 * held level without a debit, so E0 and C move up by the same amount. Balance C − E, the ledger
 * sum C − E0 and the energy debited E − E0 are all unchanged.
 */
export function rebaseRegister(
  state: { e0Mwh: number; creditLimitMwh: number; energyMwh: number },
  newEnergyMwh: number,
): { e0Mwh: number; creditLimitMwh: number; energyMwh: number; rebasedMwh: number } {
  assertNonNegativeSafeInteger(state.e0Mwh, 'e0Mwh');
  assertSafeInteger(state.creditLimitMwh, 'creditLimitMwh');
  assertNonNegativeSafeInteger(state.energyMwh, 'energyMwh');
  assertNonNegativeSafeInteger(newEnergyMwh, 'newEnergyMwh');
  if (newEnergyMwh <= state.energyMwh)
    throw new RangeError('a re-based register must be above the applied one');
  const rebasedMwh = newEnergyMwh - state.energyMwh;
  const e0Mwh = state.e0Mwh + rebasedMwh;
  const creditLimitMwh = state.creditLimitMwh + rebasedMwh;
  assertSafeInteger(e0Mwh, 'e0Mwh');
  assertSafeInteger(creditLimitMwh, 'creditLimitMwh');
  return { e0Mwh, creditLimitMwh, energyMwh: newEnergyMwh, rebasedMwh };
}
