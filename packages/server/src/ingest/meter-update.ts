import { isOnlineStatus } from '@umeme/protocol';
import type { SupplyRow } from '../meters/supply';

/** One decoded consumption report, energy already in integer mWh. */
export interface ConsumptionItem {
  meterNo: string;
  kind: 'v2' | 'legacy';
  energyMwh: number;
  /** v2 sequence number; legacy reports use their timestamp */
  seq: number;
  reportTs: number;
  powerW: number | null;
  relay: 'on' | 'off' | null;
  meterBalanceMwh: number | null;
  receivedAtMs: number;
}

export interface MeterRow extends Omit<SupplyRow, 'credit_limit_mwh' | 'energy_mwh'> {
  meter_no: string;
  user_id: string | null;
  e0_mwh: number;
  energy_mwh: number;
  credit_limit_mwh: number;
  legacy_raw_mwh: number | null;
  epoch_offset_mwh: number;
  last_report_ts: number | null;
  last_seq: number | null;
  relay: 'on' | 'off';
  status: string;
  status_changed_ms: number | null;
  power_w: number | null;
  event_seq: number;
  meter_balance_mwh: number | null;
  low_balance_mwh: number;
  max_load_w: number | null;
  register_at_ms: number;
  held_from_mwh: number | null;
  open_alerts: string[] | null;
}

/** Reports of one meter held in this batch: an implausible register jump (MQ-13). */
export interface HeldJump {
  kind: 'v2' | 'legacy';
  /** the applied register when the first of them was held */
  baseEnergyMwh: number;
  heldFromMwh: number;
  /** the last one received, and what it would set */
  latestEnergyMwh: number;
  latestEpochOffsetMwh: number;
  latestRawMwh: number;
  latestSeq: number;
  reports: number;
  allowedMwh: number;
  elapsedMs: number;
  ratedPowerW: number;
  firstReceivedMs: number;
  lastReceivedMs: number;
}

interface RegisterState {
  e0Mwh: number;
  energyMwh: number;
  legacyRawMwh: number | null;
  epochOffsetMwh: number;
  lastReportTs: number | null;
}

/** What one batch makes of one meter: its row as read, then each of its reports folded in. */
export interface MeterUpdate {
  row: MeterRow;
  state: RegisterState;
  debitedMwh: number;
  maxSeq: number | null;
  powerW: number | null;
  relay: 'on' | 'off';
  meterBalanceMwh: number | null;
  lastSeenMs: number;
  epochRestarted: boolean;
  reports: number;
  /** energy debited from reports saying the relay was off when it already was (tamper rule) */
  relayOffDebitMwh: number;
  /** server time the register last grew: the next growth is judged against the time since */
  registerAtMs: number;
  /** lowest held register of the meter's open hold, or null */
  heldFromMwh: number | null;
  held: HeldJump | null;
  /** the newest report that changed anything was debited, not held (only tracked under a hold) */
  backOnRegister: boolean | null;
  hourly: Map<number, { energyMwh: number; maxPowerW: number | null; reports: number }>;
}

/**
 * Whether a batch brings its meter (back) online: only reports received after the last recorded
 * status change count. A report sent just before a Last Will, but committed after it, does not.
 */
export function comesOnline(u: MeterUpdate): boolean {
  return (
    !isOnlineStatus(u.row.status) &&
    (u.row.status_changed_ms === null || u.lastSeenMs > u.row.status_changed_ms)
  );
}
