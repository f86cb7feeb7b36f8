import { DEFAULT_MISSED_INTERVALS_BEFORE_LOST } from '@umeme/core';

/** Limits of the operator console (issue 5), each named once. */
export const OPERATOR_LIMITS = {
  /** fleet, users and alerts pages */
  pageDefault: 50,
  pageMax: 200,
  searchMaxChars: 64,
  cursorMaxChars: 200,
  /** rows of each section of the meter detail */
  detailLedgerRows: 200,
  detailReadings: 50,
  detailStatusRows: 50,
  detailAlerts: 50,
  detailCommands: 50,
  detailAudit: 50,
  detailRegisterHolds: 10,
  reasonMaxChars: 256,
  /** largest single adjustment, either sign */
  adjustmentMaxKwh: 100_000,
  /** a command not acknowledged within this time expires and the operators are told */
  commandTtlMs: 24 * 3_600_000,
  commandSweepIntervalMs: 15_000,
  /** system commands (friendly hours) published at once */
  commandPublishConcurrency: 500,
  /** open commands re-sent to a meter when it comes online */
  commandsResentPerMeter: 20,
  /** connection lost after this many publish intervals without a report */
  missedIntervalsBeforeLost: DEFAULT_MISSED_INTERVALS_BEFORE_LOST,
  connectionSweepIntervalMs: 15_000,
  connectionSweepBatch: 1000,
  /** live fleet rows for the admins room: one batch per window, coalesced per meter */
  fleetLiveWindowMs: 1000,
  fleetLiveMaxBatch: 1000,
  /** the emergency advance a customer may take once at zero balance */
  emergencyAdvanceKwh: 2,
  /** bulk import */
  importMaxRows: 500,
  importCsvMaxChars: 60_000,
  /** reports */
  reportMaxDays: 400,
  reportMaxMonths: 36,
} as const;
