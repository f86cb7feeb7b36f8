/**
 * Credit-protocol arithmetic (docs/design.md §3): the meter-owned energy register E and the
 * server-owned credit limit C only grow, balance = C − E, and the relay is closed iff
 * E < C + emergency credit. Every function is pure; the server persists what they return.
 */
import { assertNonNegativeSafeInteger, assertSafeInteger } from './money';

export type ReportKind = 'v2' | 'legacy';
export type RelayOverride = 'auto' | 'connect' | 'disconnect';

/** What the server keeps per meter to apply reports. */
export interface EnergyRegisterState {
  /** Register value at commissioning. */
  e0Mwh: number;
  /** Largest E applied so far: the debits so far are lastEnergyMwh − e0Mwh. */
  lastEnergyMwh: number;
  /** Legacy meters only: E at the start of the current totalConsumed epoch (0 until one restarts). */
  epochOffsetMwh: number;
}

export interface EnergyReportResult {
  /** Energy to debit for this report: 0 for duplicates, stale and reordered reports. */
  debitedMwh: number;
  newLastEnergyMwh: number;
  /** Equal to the old offset unless a legacy meter restarted. */
  newEpochOffsetMwh: number;
  /** A legacy meter's totalConsumed dropped: the server logs it. */
  epochRestarted: boolean;
  /** The report changed nothing: a duplicate, a late one or a reordered one (worth counting). */
  stale: boolean;
}

/** Meter timestamps (Unix seconds) of this report and of the last one applied, when known. */
export interface ReportTiming {
  reportTs: number;
  lastReportTs: number | null;
}

function assertState(state: EnergyRegisterState): void {
  assertNonNegativeSafeInteger(state.e0Mwh, 'e0Mwh');
  assertNonNegativeSafeInteger(state.lastEnergyMwh, 'lastEnergyMwh');
  assertNonNegativeSafeInteger(state.epochOffsetMwh, 'epochOffsetMwh');
  // The register never goes backwards, and an epoch starts at a register value already reached.
  if (state.lastEnergyMwh < state.e0Mwh) throw new RangeError('lastEnergyMwh is below e0Mwh');
  if (state.epochOffsetMwh > state.lastEnergyMwh) {
    throw new RangeError('epochOffsetMwh is above lastEnergyMwh');
  }
}

/**
 * Applies one consumption report. v2 reports carry the register E itself: debit E − E_last
 * when E > E_last, otherwise nothing. Legacy reports carry totalConsumed, which restarts
 * at zero when old firmware reboots without persistence: E = offset + totalConsumed while
 * it grows, and a drop starts a new epoch at the last E, debiting what was used since.
 * A late legacy report also looks like a drop, and legacy payloads carry no sequence
 * number; given `timing`, a drop that is not newer than the last applied report is
 * treated as stale rather than as a restart.
 */
export function applyEnergyReport(
  state: EnergyRegisterState,
  reportedMwh: number,
  kind: ReportKind,
  timing?: ReportTiming,
): EnergyReportResult {
  assertState(state);
  assertNonNegativeSafeInteger(reportedMwh, 'reportedMwh');
  const last = state.lastEnergyMwh;
  const unchanged: EnergyReportResult = {
    debitedMwh: 0,
    newLastEnergyMwh: last,
    newEpochOffsetMwh: state.epochOffsetMwh,
    epochRestarted: false,
    stale: true,
  };
  switch (kind) {
    case 'v2': {
      if (reportedMwh <= last) return unchanged;
      return { ...unchanged, debitedMwh: reportedMwh - last, newLastEnergyMwh: reportedMwh, stale: false };
    }
    case 'legacy': {
      const energyMwh = state.epochOffsetMwh + reportedMwh;
      assertSafeInteger(energyMwh, 'energyMwh');
      if (energyMwh >= last) {
        if (energyMwh === last) return unchanged;
        return { ...unchanged, debitedMwh: energyMwh - last, newLastEnergyMwh: energyMwh, stale: false };
      }
      if (timing !== undefined && timing.lastReportTs !== null && timing.reportTs <= timing.lastReportTs) {
        return unchanged;
      }
      const restarted = last + reportedMwh;
      assertSafeInteger(restarted, 'energyMwh');
      return {
        debitedMwh: reportedMwh,
        newLastEnergyMwh: restarted,
        newEpochOffsetMwh: last,
        epochRestarted: true,
        stale: false,
      };
    }
  }
}

/** Balance = C − E; negative while emergency credit or friendly hours are in use. */
export function balanceMwh(creditLimitMwh: number, energyMwh: number): number {
  assertSafeInteger(creditLimitMwh, 'creditLimitMwh');
  assertSafeInteger(energyMwh, 'energyMwh');
  const balance = creditLimitMwh - energyMwh;
  assertSafeInteger(balance, 'balanceMwh');
  return balance;
}

/** C at commissioning: the register then plus the opening credit. */
export function openingCreditLimitMwh(e0Mwh: number, openingCreditMwh: number): number {
  assertNonNegativeSafeInteger(e0Mwh, 'e0Mwh');
  assertNonNegativeSafeInteger(openingCreditMwh, 'openingCreditMwh');
  const creditLimit = e0Mwh + openingCreditMwh;
  assertSafeInteger(creditLimit, 'creditLimitMwh');
  return creditLimit;
}

/** The meter's rule for command/balance: keep the largest C seen, so duplicates and reordering are harmless. */
export function mergeCreditLimitMwh(keptMwh: number | null, receivedMwh: number): number {
  assertNonNegativeSafeInteger(receivedMwh, 'receivedMwh');
  if (keptMwh === null) return receivedMwh;
  assertNonNegativeSafeInteger(keptMwh, 'keptMwh');
  return receivedMwh > keptMwh ? receivedMwh : keptMwh;
}

export interface RelayInputs {
  energyMwh: number;
  creditLimitMwh: number;
  emergencyMwh: number;
  override: RelayOverride;
  /** Nights and holidays when an auto relay is never opened for lack of credit. */
  friendlyHours: boolean;
}

export type RelayReason =
  'override_connect' | 'override_disconnect' | 'credit' | 'emergency_credit' | 'friendly_hours' | 'no_credit';

export interface RelayDecision {
  closed: boolean;
  reason: RelayReason;
}

/** Whether the relay should be closed (load on), and why: the reason goes in command/relay. */
export function relayDecision(inputs: RelayInputs): RelayDecision {
  assertNonNegativeSafeInteger(inputs.energyMwh, 'energyMwh');
  assertNonNegativeSafeInteger(inputs.creditLimitMwh, 'creditLimitMwh');
  assertNonNegativeSafeInteger(inputs.emergencyMwh, 'emergencyMwh');
  switch (inputs.override) {
    case 'connect':
      return { closed: true, reason: 'override_connect' };
    case 'disconnect':
      return { closed: false, reason: 'override_disconnect' };
    case 'auto':
      if (inputs.energyMwh < inputs.creditLimitMwh) return { closed: true, reason: 'credit' };
      if (inputs.energyMwh < inputs.creditLimitMwh + inputs.emergencyMwh) {
        return { closed: true, reason: 'emergency_credit' };
      }
      if (inputs.friendlyHours) return { closed: true, reason: 'friendly_hours' };
      return { closed: false, reason: 'no_credit' };
  }
}

/** True iff the relay should be closed: override first, then E < C + emergency, then friendly hours. */
export function relayShouldClose(inputs: RelayInputs): boolean {
  return relayDecision(inputs).closed;
}
