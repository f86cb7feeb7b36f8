import { mwhToKwh } from '@umeme/protocol';
import type { Db } from '../db/db';
import { assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import { iso } from '../shared/dates';
import { FLEET_SELECT, toAuditRow, toFleetRow, type AuditDbRow, type FleetDbRow } from './admin.service';
import { holdsOfMeter } from '../register-holds/register-holds.service';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { toCommandRow, type CommandDbRow } from '../commands/command-row';
import { ledgerSourceOf } from './ledger-source';
import { LEDGER_SQL, toLedgerSourceInput, type LedgerSourceDbRow } from './ledger-source.sql';
import { measuredReportingInterval } from './reporting-interval';

export interface AlertDbRow {
  id: number | string;
  meter_no: string;
  kind: string;
  severity: string;
  message: string;
  opened_at: Date | string;
  closed_at: Date | string | null;
  acknowledged_by: string | null;
  acknowledged_at: Date | string | null;
}

export const toAlertRow = (a: AlertDbRow) => ({
  id: Number(a.id),
  meterNo: a.meter_no,
  kind: a.kind,
  severity: a.severity,
  message: a.message,
  openedAt: iso(a.opened_at)!,
  closedAt: iso(a.closed_at),
  acknowledgedBy: a.acknowledged_by,
  acknowledgedAt: iso(a.acknowledged_at),
});

/** Everything an operator needs about one meter, read in one go. */
export async function readMeterDetail(db: Db, caller: Caller, meterNo: string) {
  assertCan(caller, 'console.view');
  const { rows } = await db.query<
    FleetDbRow & {
      credit_limit_mwh: number;
      energy_mwh: number;
      e0_mwh: number;
      meter_balance_mwh: number | null;
      emergency_credit_mwh: number;
      low_balance_mwh: number;
      publish_interval_s: number;
      max_load_w: number | null;
      emergency_taken_at: Date | string | null;
      created_at: Date | string;
    }
  >(
    FLEET_SELECT.replace(
      'FROM meters m',
      `, m.credit_limit_mwh, m.energy_mwh, m.e0_mwh, m.meter_balance_mwh, m.emergency_credit_mwh,
         m.low_balance_mwh, m.publish_interval_s, m.max_load_w, m.emergency_taken_at, m.created_at
       FROM meters m`,
    ) + ' WHERE m.meter_no = $1',
    [meterNo],
  );
  const m = rows[0];
  if (!m) throw new AppError('METER_NOT_FOUND');
  const [ledger, status, alerts, readings, commands, audit, registerHolds] = await Promise.all([
    db.query<
      {
        id: number | string;
        kind: string;
        energy_mwh: number;
        amount_cents: number;
        credit_limit_after_mwh: number;
        running_mwh: number;
        transaction_id: string | null;
        memo: string | null;
        created_at: Date | string;
      } & LedgerSourceDbRow
    >(LEDGER_SQL, [meterNo, L.detailLedgerRows]),
    db.query<{ status: string; relay: string | null; at: Date | string }>(
      `SELECT status, relay, at FROM meter_status_history WHERE meter_no = $1 ORDER BY id DESC LIMIT $2`,
      [meterNo, L.detailStatusRows],
    ),
    db.query<AlertDbRow>(
      `SELECT * FROM alerts WHERE meter_no = $1 ORDER BY opened_at DESC, id DESC LIMIT $2`,
      [meterNo, L.detailAlerts],
    ),
    db.query<{
      seq: number;
      energy_mwh: number;
      power_w: number | null;
      reported_at: Date | string | null;
      received_at: Date | string;
    }>(
      `SELECT seq, energy_mwh, power_w, reported_at, received_at FROM readings WHERE meter_no = $1
        ORDER BY received_at DESC LIMIT $2`,
      [meterNo, L.detailReadings],
    ),
    db.query<CommandDbRow>(
      `SELECT * FROM meter_commands WHERE meter_no = $1 ORDER BY created_at DESC LIMIT $2`,
      [meterNo, L.detailCommands],
    ),
    db.query<AuditDbRow>(
      `SELECT id, actor_id, actor_kind, action, target, details, created_at FROM audit_log WHERE target = $1
        ORDER BY id DESC LIMIT $2`,
      [meterNo, L.detailAudit],
    ),
    holdsOfMeter(db, meterNo, L.detailRegisterHolds),
  ]);
  return {
    meter: {
      ...toFleetRow(m),
      creditLimitMwh: m.credit_limit_mwh,
      energyTotalMwh: m.energy_mwh,
      e0Mwh: m.e0_mwh,
      meterBalanceKwh: m.meter_balance_mwh === null ? null : mwhToKwh(m.meter_balance_mwh),
      serverBalanceKwh: mwhToKwh(m.credit_limit_mwh - m.energy_mwh),
      emergencyCreditKwh: mwhToKwh(m.emergency_credit_mwh),
      lowBalanceKwh: mwhToKwh(m.low_balance_mwh),
      publishIntervalS: m.publish_interval_s,
      reportingInterval: measuredReportingInterval(readings.rows),
      maxLoadW: m.max_load_w,
      emergencyTakenAt: iso(m.emergency_taken_at),
      createdAt: iso(m.created_at)!,
    },
    ledger: ledger.rows.map((e) => ({
      id: Number(e.id),
      kind: e.kind,
      energyKwh: mwhToKwh(e.energy_mwh),
      energyMwh: e.energy_mwh,
      amountCents: e.amount_cents,
      creditLimitAfterMwh: e.credit_limit_after_mwh,
      runningCreditMwh: e.running_mwh,
      transactionId: e.transaction_id,
      memo: e.memo,
      at: iso(e.created_at)!,
      source: ledgerSourceOf(toLedgerSourceInput(e)),
    })),
    statusHistory: status.rows.map((s) => ({ status: s.status, relay: s.relay, at: iso(s.at)! })),
    alerts: alerts.rows.map(toAlertRow),
    readings: readings.rows.map((r) => ({
      seq: r.seq,
      energyKwh: mwhToKwh(r.energy_mwh),
      powerW: r.power_w,
      reportedAt: iso(r.reported_at),
      receivedAt: iso(r.received_at)!,
    })),
    commands: commands.rows.map(toCommandRow),
    audit: audit.rows.map(toAuditRow),
    registerHolds,
  };
}
