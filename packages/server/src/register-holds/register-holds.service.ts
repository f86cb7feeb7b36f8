import { rebaseRegister } from '@umeme/core';
import type { Logger } from 'pino';
import { iso } from '../shared/dates';
import type { AlertsService } from '../alerts/alerts.service';
import { assertLedgerInvariant } from '../credit/credit.sql';
import type { Db, Queryable } from '../db/db';
import { actorId, assertCan, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { AlertChanged, EventBus, MeterChanged } from '../shared/events';
import type { HoldAction, RegisterHoldRow } from './register-holds.schema';

const HOUR_MS = 3_600_000;

interface HoldDbRow {
  id: number | string;
  meter_no: string;
  status: RegisterHoldRow['status'];
  report_kind: 'v2' | 'legacy';
  base_energy_mwh: number;
  held_from_mwh: number;
  latest_energy_mwh: number;
  latest_epoch_offset_mwh: number;
  latest_raw_mwh: number;
  reports: number;
  allowed_mwh: number;
  elapsed_ms: number;
  rated_power_w: number;
  first_received_ms: number;
  last_received_ms: number;
  back_on_register: boolean;
  opened_at: Date | string;
  resolved_at: Date | string | null;
  resolved_by: string | null;
  resolution_reason: string | null;
  debited_mwh: number | null;
  rebased_mwh: number | null;
  /** the meter's applied register, read with the hold */
  energy_mwh: number;
}

const HOLD_SELECT = `SELECT h.*, m.energy_mwh FROM register_holds h JOIN meters m ON m.meter_no = h.meter_no`;

interface LockedRegister {
  meter_no: string;
  user_id: string | null;
  e0_mwh: number;
  credit_limit_mwh: number;
  energy_mwh: number;
  register_at_ms: number;
  event_seq: number;
  relay: 'on' | 'off';
  status: string;
  power_w: number | null;
  low_balance_mwh: number;
}

const AUDIT_ACTION: Record<HoldAction, string> = {
  accept: 'register_hold.accepted',
  reset_epoch: 'register_hold.epoch_reset',
  dismiss: 'register_hold.dismissed',
};
const RESOLVED_STATUS: Record<HoldAction, 'accepted' | 'rebased' | 'dismissed'> = {
  accept: 'accepted',
  reset_epoch: 'rebased',
  dismiss: 'dismissed',
};

/** What fits a held jump now: the held level is the meter's current register, or it is back on the old one. */
export function holdActionsFor(h: { status: string; back_on_register: boolean }): HoldAction[] {
  if (h.status !== 'held') return [];
  return h.back_on_register ? ['dismiss'] : ['accept', 'reset_epoch'];
}

export function toHoldRow(h: HoldDbRow): RegisterHoldRow {
  return {
    id: Number(h.id),
    meterNo: h.meter_no,
    status: h.status,
    reportKind: h.report_kind,
    baseEnergyMwh: h.base_energy_mwh,
    appliedEnergyMwh: h.energy_mwh,
    heldFromMwh: h.held_from_mwh,
    heldEnergyMwh: h.latest_energy_mwh,
    allowedMwh: h.allowed_mwh,
    elapsedMs: h.elapsed_ms,
    ratedPowerW: h.rated_power_w,
    reports: h.reports,
    firstReceivedAt: new Date(h.first_received_ms).toISOString(),
    lastReceivedAt: new Date(h.last_received_ms).toISOString(),
    backOnRegister: h.back_on_register,
    actions: holdActionsFor(h),
    openedAt: iso(h.opened_at)!,
    resolvedAt: iso(h.resolved_at),
    resolvedBy: h.resolved_by,
    reason: h.resolution_reason,
    debitedMwh: h.debited_mwh,
    rebasedMwh: h.rebased_mwh,
  };
}

/** A meter's held jumps, newest first (the meter detail page). */
export async function holdsOfMeter(
  db: Queryable,
  meterNo: string,
  limit: number,
): Promise<RegisterHoldRow[]> {
  const { rows } = await db.query<HoldDbRow>(
    `${HOLD_SELECT} WHERE h.meter_no = $1 ORDER BY h.id DESC LIMIT $2`,
    [meterNo, limit],
  );
  return rows.map(toHoldRow);
}

/**
 * Operators' decisions on register jumps ingest held as implausible (MQ-13). Each runs in one
 * transaction that locks the meter (as ingest does, so no report lands half-way), writes the
 * register, the hold, the audit entry and the alert, and checks C = E0 + Σ ledger.
 * - accept: the jump was genuine use: E moves to the held register and the difference is debited.
 * - reset_epoch: the meter's register was replaced or reset: E0, C and E move up by the jump
 *   together (docs/design.md §3 stays exact: balance, Σ ledger = C − E0 and debited = E − E0 unchanged)
 *   and the meter gets the re-based C.
 * - dismiss: the meter went back to its old register (a glitch): nothing changes but the hold.
 */
export class RegisterHoldsService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly logger: Logger,
  ) {}

  async list(caller: Caller, q: { status: 'held' | 'all'; meterNo?: string | undefined; limit: number }) {
    assertCan(caller, 'console.view');
    const where: string[] = [];
    const params: unknown[] = [q.limit];
    if (q.status === 'held') where.push(`h.status = 'held'`);
    if (q.meterNo) {
      params.push(q.meterNo);
      where.push(`h.meter_no = $2`);
    }
    const { rows } = await this.db.query<HoldDbRow>(
      `${HOLD_SELECT} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY h.id DESC LIMIT $1`,
      params,
    );
    return rows.map(toHoldRow);
  }

  async decide(caller: Caller, holdId: number, action: HoldAction, reasonText: string) {
    assertCan(caller, 'money.move');
    const reason = reasonText.trim();
    if (reason.length === 0) throw new AppError('BAD_REQUEST', 'A reason is required.');
    const done = await this.db.transaction(async (tx) => {
      const found = await tx.query<{ meter_no: string }>(
        `SELECT meter_no FROM register_holds WHERE id = $1`,
        [holdId],
      );
      const meterNo = found.rows[0]?.meter_no;
      if (meterNo === undefined) throw new AppError('REGISTER_HOLD_NOT_FOUND');
      // The meter first, then its hold: the order ingest takes them in.
      const meter = (
        await tx.query<LockedRegister>(
          `SELECT meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, register_at_ms, event_seq, relay, status,
                  power_w, low_balance_mwh
             FROM meters WHERE meter_no = $1 FOR UPDATE`,
          [meterNo],
        )
      ).rows[0]!;
      const hold = (
        await tx.query<HoldDbRow>(
          `SELECT h.*, 0 AS energy_mwh FROM register_holds h WHERE h.id = $1 FOR UPDATE`,
          [holdId],
        )
      ).rows[0]!;
      if (hold.status !== 'held') throw new AppError('REGISTER_HOLD_RESOLVED');
      if (!holdActionsFor(hold).includes(action)) {
        throw new AppError(
          'REGISTER_HOLD_ACTION_UNFIT',
          hold.back_on_register
            ? 'The meter reports from its previous register again: the jump was a glitch; dismiss it.'
            : 'The meter still reports the held register: accept the jump or reset the register epoch.',
        );
      }
      const target = hold.latest_energy_mwh;
      if (action !== 'dismiss' && target <= meter.energy_mwh) {
        throw new AppError(
          'REGISTER_HOLD_ACTION_UNFIT',
          'The held register is no longer above the applied one.',
        );
      }
      let e0Mwh = meter.e0_mwh;
      let creditLimitMwh = meter.credit_limit_mwh;
      let energyMwh = meter.energy_mwh;
      let debitedMwh: number | null = null;
      let rebasedMwh: number | null = null;
      switch (action) {
        case 'accept':
          debitedMwh = target - meter.energy_mwh;
          energyMwh = target;
          break;
        case 'reset_epoch': {
          const r = rebaseRegister(
            { e0Mwh: meter.e0_mwh, creditLimitMwh: meter.credit_limit_mwh, energyMwh: meter.energy_mwh },
            target,
          );
          ({ e0Mwh, creditLimitMwh, energyMwh, rebasedMwh } = r);
          break;
        }
        case 'dismiss':
          break;
      }
      const moved = action !== 'dismiss';
      await tx.query(
        `UPDATE meters SET e0_mwh = $2, credit_limit_mwh = $3, energy_mwh = $4,
                epoch_offset_mwh = CASE WHEN $5::bool THEN $6::bigint ELSE epoch_offset_mwh END,
                legacy_raw_mwh = CASE WHEN $5::bool AND $7::text = 'legacy' THEN $8::bigint ELSE legacy_raw_mwh END,
                register_at_ms = CASE WHEN $5::bool THEN GREATEST(register_at_ms, $9::bigint) ELSE register_at_ms END,
                held_from_mwh = NULL, event_seq = event_seq + 1
          WHERE meter_no = $1`,
        [
          meterNo,
          e0Mwh,
          creditLimitMwh,
          energyMwh,
          moved,
          hold.latest_epoch_offset_mwh,
          hold.report_kind,
          hold.latest_raw_mwh,
          hold.last_received_ms,
        ],
      );
      if (debitedMwh !== null) {
        // The accepted use lands in the hour the jump was first reported: hourly rollups keep
        // summing to E − E0 (docs/design.md §3 invariant 3).
        await tx.query(
          `INSERT INTO consumption_hourly (meter_no, hour, energy_mwh, max_power_w, reports)
           VALUES ($1, to_timestamp($2 / 1000.0), $3, NULL, 1)
           ON CONFLICT (meter_no, hour) DO UPDATE SET energy_mwh = consumption_hourly.energy_mwh + EXCLUDED.energy_mwh,
             reports = consumption_hourly.reports + 1`,
          [meterNo, Math.floor(hold.first_received_ms / HOUR_MS) * HOUR_MS, debitedMwh],
        );
      }
      await assertLedgerInvariant(tx, meterNo, e0Mwh, creditLimitMwh);
      const resolved = (
        await tx.query<HoldDbRow>(
          `UPDATE register_holds SET status = $2, resolved_at = now(), resolved_by = $3, resolution_reason = $4,
                  debited_mwh = $5, rebased_mwh = $6
            WHERE id = $1 RETURNING *, $7::bigint AS energy_mwh`,
          [holdId, RESOLVED_STATUS[action], actorId(caller), reason, debitedMwh, rebasedMwh, energyMwh],
        )
      ).rows[0]!;
      await tx.query(
        `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, $2, $3, $4, $5)`,
        [
          actorId(caller),
          caller.kind === 'user' ? 'user' : caller.kind,
          AUDIT_ACTION[action],
          meterNo,
          JSON.stringify({
            holdId,
            reason,
            appliedEnergyMwh: meter.energy_mwh,
            heldEnergyMwh: target,
            debitedMwh,
            rebasedMwh,
            e0Mwh,
            creditLimitMwh,
          }),
        ],
      );
      const balanceMwh = creditLimitMwh - energyMwh;
      const alertChanges: AlertChanged[] = [
        ...(await this.alerts.apply(tx, [
          {
            meterNo,
            userId: meter.user_id,
            kind: 'register_anomaly',
            open: false,
            severity: 'critical',
            message: `Held register jump ${RESOLVED_STATUS[action]} by an operator.`,
          },
        ])),
        ...(await this.alerts.evaluateBalances(tx, [
          {
            meterNo,
            userId: meter.user_id,
            balanceMwh,
            creditLimitMwh,
            energyMwh,
            lowBalanceMwh: meter.low_balance_mwh,
            meterBalanceMwh: null,
          },
        ])),
      ];
      const changed: MeterChanged | null = moved
        ? {
            meterNo,
            userId: meter.user_id,
            eventSeq: meter.event_seq + 1,
            previousBalanceMwh: meter.credit_limit_mwh - meter.energy_mwh,
            balanceMwh,
            creditLimitMwh,
            energyMwh,
            powerW: meter.power_w,
            relay: meter.relay,
            status: meter.status,
            lastSeen: null,
            cause: action === 'accept' ? 'consumption' : 'adjustment',
            energyDeltaMwh: debitedMwh ?? 0,
            at: Date.now(),
          }
        : null;
      return {
        hold: resolved,
        changed,
        alertChanges,
        meter: { meterNo, e0Mwh, energyTotalMwh: energyMwh, creditLimitMwh, balanceMwh },
      };
    });
    if (action === 'reset_epoch') {
      // The meter keeps the largest C it has seen: the re-based C is larger, so it takes it.
      this.bus.emit('credit_limit_changed', {
        meterNo: done.meter.meterNo,
        creditLimitMwh: done.meter.creditLimitMwh,
        balanceMwh: done.meter.balanceMwh,
      });
    }
    if (done.changed) this.bus.emit('meter_changed', done.changed);
    this.alerts.publish(done.alertChanges);
    this.logger.info({ meterNo: done.meter.meterNo, holdId, action }, 'held register jump decided');
    return { hold: toHoldRow(done.hold), meter: done.meter };
  }
}
