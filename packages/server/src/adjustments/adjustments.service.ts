import { DEFAULT_TARIFF, quoteEnergy } from '@umeme/core';
import { kwhToMwh, mwhToKwh, type TransactionType } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { AlertsService } from '../alerts/alerts.service';
import { OPERATOR_LIMITS as L } from '../shared/operator.limits';
import { assertLedgerInvariant, lockMeter } from '../credit/credit.sql';
import type { Db, Queryable } from '../db/db';
import { actorId, assertCan, assertMeterAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { AlertChanged, EventBus, MeterChanged } from '../shared/events';
import { supplyInputsOf } from '../meters/supply';
import type { AdjustmentBody } from './adjustments.schema';

interface Posting {
  meterNo: string;
  kind: 'adjustment' | 'refund' | 'purchase' | 'emergency';
  energyMwh: number;
  amountCents: number;
  transactionId: string;
  memo: string;
  cause: TransactionType;
}

interface Posted {
  changed: MeterChanged;
  alerts: AlertChanged[];
}

/** The one emergency advance a customer may take at zero balance (issue 5 §4). */
export const EMERGENCY_ADVANCE_KWH = L.emergencyAdvanceKwh;

/**
 * Corrections that change a credit limit C outside a purchase: operator adjustments (the only
 * way C decreases besides a moved payment), payments moved to the right meter, and the
 * emergency advance. Each is ledgered and audited; nothing already written is edited.
 */
export class AdjustmentsService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly logger: Logger,
  ) {}

  async adjust(caller: Caller, meterNo: string, body: AdjustmentBody) {
    assertCan(caller, 'money.move');
    const reason = body.reason.trim();
    if (reason.length === 0) throw new AppError('BAD_REQUEST', 'A reason is required.');
    const energyMwh = kwhToMwh(body.energyKwh);
    if (energyMwh === 0) throw new AppError('BAD_REQUEST', 'An adjustment of zero changes nothing.');
    const posted = await this.db.transaction(async (tx) => {
      const meter = await lockMeter(tx, meterNo);
      if (!meter) throw new AppError('METER_NOT_FOUND');
      const t = await insertTransaction(tx, {
        meterNo,
        userId: meter.user_id,
        type: 'adjustment',
        source: 'operator',
        amountCents: 0,
        energyMwh,
        externalRef: null,
        receipt: { reason },
        createdBy: actorId(caller),
      });
      const p = await this.post(tx, {
        meterNo,
        kind: 'adjustment',
        energyMwh,
        amountCents: 0,
        transactionId: t,
        memo: reason,
        cause: 'adjustment',
      });
      await audit(tx, caller, 'ledger.adjustment', meterNo, { transactionId: t, energyMwh, reason });
      return p;
    });
    this.publish([posted]);
    return toPostingResponse(posted.changed, energyMwh);
  }

  /** Moves a payment credited to the wrong meter: a refund on the source, a credit on the target. */
  async moveTransaction(caller: Caller, transactionId: string, toMeterNo: string, reason: string) {
    assertCan(caller, 'money.move');
    const why = reason.trim();
    if (why.length === 0) throw new AppError('BAD_REQUEST', 'A reason is required.');
    const posted = await this.db.transaction(async (tx) => {
      const { rows } = await tx.query<{
        id: string;
        meter_no: string;
        type: string;
        source: string;
        status: string;
        amount_cents: number;
        energy_mwh: number;
        phone: string | null;
      }>(
        `SELECT id, meter_no, type, source, status, amount_cents, energy_mwh, phone FROM transactions WHERE id = $1 FOR UPDATE`,
        [transactionId],
      );
      const orig = rows[0];
      if (!orig) throw new AppError('NOT_FOUND', 'Transaction not found.');
      if (
        orig.status !== 'completed' ||
        orig.amount_cents <= 0 ||
        orig.source === 'opening' ||
        orig.source === 'operator'
      ) {
        throw new AppError('TRANSACTION_NOT_MOVABLE');
      }
      if (orig.meter_no === toMeterNo)
        throw new AppError('BAD_REQUEST', 'The payment is already on that meter.');
      // Lock both meters in one order, so two moves in opposite directions cannot deadlock.
      const [first, second] = [orig.meter_no, toMeterNo].sort();
      const a = await lockMeter(tx, first!);
      const b = await lockMeter(tx, second!);
      const target = first === toMeterNo ? a : b;
      if (!a || !b || !target) throw new AppError('METER_NOT_FOUND');
      await tx.query(`UPDATE transactions SET status = 'reversed' WHERE id = $1`, [orig.id]);
      const fromPosted = await this.post(tx, {
        meterNo: orig.meter_no,
        kind: 'refund',
        energyMwh: -orig.energy_mwh,
        amountCents: -orig.amount_cents,
        transactionId: orig.id,
        memo: `moved to ${toMeterNo}: ${why}`,
        cause: 'refund',
      });
      const moved = await insertTransaction(tx, {
        meterNo: toMeterNo,
        userId: target.user_id,
        type: orig.type,
        source: orig.source,
        amountCents: orig.amount_cents,
        energyMwh: orig.energy_mwh,
        externalRef: `move:${orig.id}`,
        receipt: { movedFrom: { transactionId: orig.id, meterNo: orig.meter_no }, reason: why },
        createdBy: actorId(caller),
        phone: orig.phone,
      });
      const toPosted = await this.post(tx, {
        meterNo: toMeterNo,
        kind: 'purchase',
        energyMwh: orig.energy_mwh,
        amountCents: orig.amount_cents,
        transactionId: moved,
        memo: `moved from ${orig.meter_no} (transaction ${orig.id}): ${why}`,
        cause: 'adjustment',
      });
      await audit(tx, caller, 'transaction.moved', orig.meter_no, {
        transactionId: orig.id,
        newTransactionId: moved,
        from: orig.meter_no,
        to: toMeterNo,
        amountCents: orig.amount_cents,
        energyMwh: orig.energy_mwh,
        reason: why,
      });
      return { fromPosted, toPosted, energyMwh: orig.energy_mwh };
    });
    this.publish([posted.fromPosted, posted.toPosted]);
    return {
      from: toPostingResponse(posted.fromPosted.changed, -posted.energyMwh),
      to: toPostingResponse(posted.toPosted.changed, posted.energyMwh),
    };
  }

  /**
   * The owner takes the emergency advance once at zero balance; it is owed as debt. An operator
   * may grant it for the customer, with a reason kept in the ledger and the audit log.
   */
  async emergency(caller: Caller, meterNo: string, reasonGiven?: string) {
    const reason = reasonGiven?.trim() || null;
    const posted = await this.db.transaction(async (tx) => {
      const meter = await lockMeter(tx, meterNo);
      assertMeterAccess(caller, meterNo, meter ? { userId: meter.user_id } : null, 'money.move');
      if (!meter || caller.kind === 'device') throw new AppError('METER_NOT_FOUND');
      const byOperator = caller.kind === 'user' && caller.userId !== meter.user_id;
      if (byOperator && reason === null) throw new AppError('EMERGENCY_REASON_REQUIRED');
      const balanceMwh = meter.credit_limit_mwh - meter.energy_mwh;
      if (balanceMwh > 0 || meter.debt_cents > 0) throw new AppError('EMERGENCY_NOT_AVAILABLE');
      const energyMwh = kwhToMwh(EMERGENCY_ADVANCE_KWH);
      const debtCents = quoteEnergy({
        tariff: DEFAULT_TARIFF,
        energyMwh,
        purchasedThisMonthMwh: 0,
        standingChargeDue: false,
      }).totalCents;
      const t = await insertTransaction(tx, {
        meterNo,
        userId: meter.user_id,
        type: 'adjustment',
        source: 'emergency',
        amountCents: 0,
        energyMwh,
        externalRef: null,
        receipt: { emergencyAdvance: true, debtCents, ...(reason === null ? {} : { reason }) },
        createdBy: actorId(caller),
      });
      const p = await this.post(tx, {
        meterNo,
        kind: 'emergency',
        energyMwh,
        amountCents: 0,
        transactionId: t,
        memo: `emergency advance, owed ${debtCents} cents${reason === null ? '' : `: ${reason}`}`,
        cause: 'adjustment',
      });
      await tx.query(
        `UPDATE meters SET debt_cents = debt_cents + $2, emergency_taken_at = now() WHERE meter_no = $1`,
        [meterNo, debtCents],
      );
      await audit(tx, caller, 'ledger.emergency', meterNo, {
        transactionId: t,
        energyMwh,
        debtCents,
        ...(reason === null ? {} : { reason }),
      });
      if (p.changed.supply)
        p.changed.supply = { ...p.changed.supply, debtCents: meter.debt_cents + debtCents };
      return { p, debtCents };
    });
    this.publish([posted.p]);
    return {
      ...toPostingResponse(posted.p.changed, kwhToMwh(EMERGENCY_ADVANCE_KWH)),
      debtCents: posted.debtCents,
    };
  }

  /** One ledger entry and the new C, inside the caller's transaction; the meter must be locked. */
  private async post(tx: Queryable, p: Posting): Promise<Posted> {
    const meter = await lockMeter(tx, p.meterNo);
    if (!meter) throw new AppError('METER_NOT_FOUND');
    const creditLimitMwh = meter.credit_limit_mwh + p.energyMwh;
    await tx.query(
      `INSERT INTO ledger_entries (meter_no, transaction_id, kind, energy_mwh, amount_cents, credit_limit_after_mwh, memo)
       VALUES ($1, $2, $3, $4, $5, $6, $7)`,
      [p.meterNo, p.transactionId, p.kind, p.energyMwh, p.amountCents, creditLimitMwh, p.memo],
    );
    await tx.query(`UPDATE meters SET credit_limit_mwh = $2, event_seq = event_seq + 1 WHERE meter_no = $1`, [
      p.meterNo,
      creditLimitMwh,
    ]);
    await assertLedgerInvariant(tx, p.meterNo, meter.e0_mwh, creditLimitMwh);
    const balanceMwh = creditLimitMwh - meter.energy_mwh;
    const alerts = await this.alerts.evaluateBalances(tx, [
      {
        meterNo: p.meterNo,
        userId: meter.user_id,
        balanceMwh,
        creditLimitMwh,
        energyMwh: meter.energy_mwh,
        lowBalanceMwh: meter.low_balance_mwh,
        meterBalanceMwh: null,
      },
    ]);
    return {
      alerts,
      changed: {
        meterNo: p.meterNo,
        userId: meter.user_id,
        eventSeq: meter.event_seq + 1,
        previousBalanceMwh: meter.credit_limit_mwh - meter.energy_mwh,
        balanceMwh,
        creditLimitMwh,
        energyMwh: meter.energy_mwh,
        powerW: meter.power_w,
        relay: meter.relay,
        status: meter.status,
        lastSeen: null,
        cause: p.cause,
        transactionId: p.transactionId,
        amountCents: p.amountCents,
        energyDeltaMwh: p.energyMwh,
        at: Date.now(),
        supply: supplyInputsOf(meter),
      },
    };
  }

  private publish(posted: Posted[]): void {
    for (const p of posted) {
      this.bus.emit('credit_limit_changed', {
        meterNo: p.changed.meterNo,
        creditLimitMwh: p.changed.creditLimitMwh,
        balanceMwh: p.changed.balanceMwh,
      });
      this.bus.emit('meter_changed', p.changed);
      this.alerts.publish(p.alerts);
      this.logger.info(
        { meterNo: p.changed.meterNo, energyMwh: p.changed.energyDeltaMwh },
        'credit limit corrected',
      );
    }
  }
}

function toPostingResponse(c: MeterChanged, energyMwh: number) {
  return {
    meterNo: c.meterNo,
    transactionId: c.transactionId ?? '',
    energyKwh: mwhToKwh(energyMwh),
    creditLimitKwh: mwhToKwh(c.creditLimitMwh),
    balanceKwh: mwhToKwh(c.balanceMwh),
  };
}

async function insertTransaction(
  tx: Queryable,
  t: {
    meterNo: string;
    userId: string | null;
    type: string;
    source: string;
    amountCents: number;
    energyMwh: number;
    externalRef: string | null;
    receipt: unknown;
    createdBy: string | null;
    phone?: string | null;
  },
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO transactions (meter_no, user_id, type, source, status, amount_cents, energy_mwh, external_ref,
                               phone, receipt, created_by, completed_at)
     VALUES ($1, $2, $3, $4, 'completed', $5, $6, $7, $8, $9, $10, now()) RETURNING id`,
    [
      t.meterNo,
      t.userId,
      t.type,
      t.source,
      t.amountCents,
      t.energyMwh,
      t.externalRef,
      t.phone ?? null,
      JSON.stringify(t.receipt),
      t.createdBy,
    ],
  );
  return rows[0]!.id;
}

async function audit(
  tx: Queryable,
  caller: Caller,
  action: string,
  target: string,
  details: unknown,
): Promise<void> {
  await tx.query(
    `INSERT INTO audit_log (actor_id, actor_kind, action, target, details) VALUES ($1, $2, $3, $4, $5)`,
    [actorId(caller), caller.kind === 'user' ? 'user' : caller.kind, action, target, JSON.stringify(details)],
  );
}
