import { friendlyHoursRecovery } from '@umeme/core';
import type { TransactionType } from '@umeme/protocol';
import type { Logger } from 'pino';
import type { Db, Queryable } from '../db/db';
import { assertMeterAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus, MeterChanged } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import type { AlertsService } from '../alerts/alerts.service';
import type { AlertChanged } from '../shared/events';
import { isFriendlyHoursCommand } from '../commands/commands.service';
import type { Pricing, PurchaseQuote } from './pricing';

export type CreditSource = 'mpesa_stk' | 'mpesa_c2b' | 'topup' | 'simulate';

export interface CreditRequest {
  meterNo: string;
  amountCents: number;
  source: CreditSource;
  /** Idempotency key: M-Pesa receipt, C2B TransID, top-up id… */
  externalRef: string;
  type: TransactionType;
  phone?: string | null;
  createdBy?: string | null;
}

export interface CreditResult {
  transactionId: string;
  duplicate: boolean;
  meterNo: string;
  amountCents: number;
  energyMwh: number;
  creditLimitMwh: number;
  balanceMwh: number;
  receipt: Receipt | null;
}

/** Largest single credit accepted (KES 1,000,000): a limit on everything. */
export const MAX_CREDIT_CENTS = 100_000_000;

export interface LockedMeter {
  meter_no: string;
  user_id: string | null;
  e0_mwh: number;
  credit_limit_mwh: number;
  energy_mwh: number;
  event_seq: number;
  relay: 'on' | 'off';
  status: string;
  power_w: number | null;
  low_balance_mwh: number;
  meter_balance_mwh: number | null;
  /** an emergency advance still owed, recovered first from the next purchase */
  debt_cents: number;
  /** the meter's own allowance past C */
  emergency_credit_mwh: number;
}

/**
 * A line shown on the receipt that is not part of the sum: it explains where some of the
 * energy bought went. The ledger is untouched — C still grows by all the energy bought.
 */
export interface ReceiptInfoLine {
  kind: 'friendly_debt';
  code: 'friendly_hours_debt';
  label: string;
  /** energy bought that fills the balance below zero left by friendly hours */
  energyMwh: number;
  /** its value at what this purchase paid per kWh */
  valueCents: number;
}

/**
 * The stored receipt: the tariff quote, plus information lines and the meter's balance right
 * after the purchase (what the customer's receipt shows as the new balance).
 */
export type Receipt = PurchaseQuote & { infoLines?: ReceiptInfoLine[]; balanceAfterMwh?: number };

/**
 * The crediting service: one database transaction writes the transaction, the ledger entry
 * and the new credit limit C; then the meter gets command/balance and sockets get events.
 * Idempotent on `externalRef`.
 */
export class CreditService {
  constructor(
    private readonly db: Db,
    private readonly bus: EventBus,
    private readonly alerts: AlertsService,
    private readonly pricing: Pricing,
    private readonly metrics: Metrics,
    private readonly logger: Logger,
  ) {}

  /** Credits in a transaction of its own, then publishes. */
  async credit(caller: Caller, req: CreditRequest): Promise<CreditResult> {
    const applied = await this.db.transaction((tx) => this.creditWithin(tx, caller, req));
    this.afterCommit(applied);
    return applied.result;
  }

  /**
   * Credits inside the caller's transaction (payments write their intent in the same one).
   * The caller must pass the returned value to `afterCommit` once the transaction commits.
   */
  async creditWithin(
    tx: Queryable,
    caller: Caller,
    req: CreditRequest,
    /** the meter's row, when the caller already locked it in `tx` (see LOCKED_METER_COLUMNS) */
    locked?: LockedMeter,
  ): Promise<AppliedCredit> {
    if (
      !Number.isSafeInteger(req.amountCents) ||
      req.amountCents <= 0 ||
      req.amountCents > MAX_CREDIT_CENTS
    ) {
      throw new AppError('BAD_REQUEST', 'Amount must be a positive whole number of cents within limits.');
    }
    const meter = locked?.meter_no === req.meterNo ? locked : await lockMeter(tx, req.meterNo);
    assertMeterAccess(caller, req.meterNo, meter ? { userId: meter.user_id } : null);
    if (!meter) throw new AppError('METER_NOT_FOUND');
    // One round trip for everything the credit must know, read after the meter's lock so that
    // it sees every credit committed before (each statement takes a fresh snapshot).
    const known = (await tx.query<CreditReads>(CREDIT_READS_SQL, [req.meterNo, req.externalRef])).rows[0]!;
    const prior = known.prior_id === null ? null : known;
    if (prior) {
      if (prior.prior_meter_no !== req.meterNo || prior.prior_amount_cents !== req.amountCents) {
        throw new AppError(
          'PAYMENT_DUPLICATE',
          'That payment reference was already used for another credit.',
        );
      }
      return {
        source: req.source,
        changed: null,
        alertChanges: [],
        result: {
          transactionId: prior.prior_id!,
          duplicate: true,
          meterNo: meter.meter_no,
          amountCents: prior.prior_amount_cents,
          energyMwh: prior.prior_energy_mwh!,
          creditLimitMwh: meter.credit_limit_mwh,
          balanceMwh: meter.credit_limit_mwh - meter.energy_mwh,
          receipt: prior.prior_receipt,
        },
      };
    }
    const quote = this.pricing({
      amountCents: req.amountCents,
      purchasedThisMonthMwh: known.month_mwh,
      purchasesThisMonth: known.month_n,
      debtCents: meter.debt_cents,
      at: new Date(),
    });
    assertQuote(quote, req.amountCents);
    const receipt = await withFriendlyDebtLine(tx, meter, quote);
    const creditLimitMwh = meter.credit_limit_mwh + quote.energyMwh;
    // Invariant 2 of design §3 (C = E0 + Σ ledger), on the ledger as read under the lock plus
    // the entry written below.
    assertLedgerSum(req.meterNo, meter.e0_mwh, known.ledger_mwh + quote.energyMwh, creditLimitMwh);
    // The transaction, its ledger entry and the new C in one statement.
    const inserted = await tx.query<{ id: string }>(
      `WITH t AS (
         INSERT INTO transactions (meter_no, user_id, type, source, status, amount_cents, energy_mwh, external_ref,
                                   phone, receipt, created_by, completed_at)
         VALUES ($1, $2, $3, $4, 'completed', $5, $6, $7, $8, $9, $10, now()) RETURNING id),
       l AS (
         INSERT INTO ledger_entries (meter_no, transaction_id, kind, energy_mwh, amount_cents, credit_limit_after_mwh)
         SELECT $1, t.id, 'purchase', $6, $5, $11 FROM t),
       m AS (
         UPDATE meters SET credit_limit_mwh = $11, event_seq = event_seq + 1, debt_cents = $12 WHERE meter_no = $1)
       SELECT id FROM t`,
      [
        req.meterNo,
        meter.user_id,
        req.type,
        req.source,
        req.amountCents,
        quote.energyMwh,
        req.externalRef,
        req.phone ?? null,
        JSON.stringify({ ...receipt, balanceAfterMwh: creditLimitMwh - meter.energy_mwh }),
        req.createdBy ?? null,
        creditLimitMwh,
        quote.remainingDebtCents,
      ],
    );
    const transactionId = inserted.rows[0]!.id;
    const balanceMwh = creditLimitMwh - meter.energy_mwh;
    // Only real changes are written: a purchase usually opens or closes no alert.
    const alertChanges = await this.alerts.evaluateBalances(
      tx,
      [
        {
          meterNo: meter.meter_no,
          userId: meter.user_id,
          balanceMwh,
          creditLimitMwh,
          energyMwh: meter.energy_mwh,
          lowBalanceMwh: meter.low_balance_mwh,
          meterBalanceMwh: null,
        },
      ],
      new Map([[meter.meter_no, known.open_alerts]]),
    );
    const changed: MeterChanged = {
      meterNo: meter.meter_no,
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
      cause: req.type,
      transactionId,
      amountCents: req.amountCents,
      energyDeltaMwh: quote.energyMwh,
      at: Date.now(),
    };
    return {
      source: req.source,
      changed,
      alertChanges,
      result: {
        transactionId,
        duplicate: false,
        meterNo: meter.meter_no,
        amountCents: req.amountCents,
        energyMwh: quote.energyMwh,
        creditLimitMwh,
        balanceMwh,
        receipt,
      },
    };
  }

  /** Publishes a committed credit: command/balance to the meter, events to sockets. */
  afterCommit(applied: AppliedCredit): void {
    const { result, changed } = applied;
    this.metrics.credits.inc({ source: applied.source, outcome: result.duplicate ? 'duplicate' : 'applied' });
    if (!changed) return;
    this.bus.emit('credit_limit_changed', {
      meterNo: changed.meterNo,
      creditLimitMwh: changed.creditLimitMwh,
      balanceMwh: changed.balanceMwh,
    });
    this.bus.emit('meter_changed', changed);
    this.alerts.publish(applied.alertChanges);
    this.logger.info(
      {
        meterNo: changed.meterNo,
        transactionId: changed.transactionId,
        amountCents: changed.amountCents,
        source: applied.source,
      },
      'credit applied',
    );
  }
}

/** A credit written inside a transaction, with what to publish after its commit. */
export interface AppliedCredit {
  source: CreditSource;
  result: CreditResult;
  changed: MeterChanged | null;
  alertChanges: AlertChanged[];
}

/** What a credit reads under the meter's lock: a prior credit with its reference, this month's purchases, the ledger. */
interface CreditReads {
  prior_id: string | null;
  prior_meter_no: string | null;
  prior_amount_cents: number | null;
  prior_energy_mwh: number | null;
  prior_receipt: CreditResult['receipt'];
  month_mwh: number;
  month_n: number;
  ledger_mwh: number;
  open_alerts: string[];
}

const CREDIT_READS_SQL = `
  SELECT p.id AS prior_id, p.meter_no AS prior_meter_no, p.amount_cents AS prior_amount_cents,
         p.energy_mwh AS prior_energy_mwh, p.receipt AS prior_receipt,
         mo.mwh AS month_mwh, mo.n AS month_n,
         (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM ledger_entries WHERE meter_no = $1) AS ledger_mwh,
         ARRAY(SELECT kind FROM alerts WHERE meter_no = $1 AND closed_at IS NULL) AS open_alerts
    FROM (SELECT COALESCE(SUM(energy_mwh), 0)::bigint AS mwh, COUNT(*)::bigint AS n FROM transactions
           WHERE meter_no = $1 AND status = 'completed' AND amount_cents > 0
             AND created_at >= date_trunc('month', now() AT TIME ZONE 'Africa/Nairobi') AT TIME ZONE 'Africa/Nairobi') mo
    LEFT JOIN transactions p ON p.external_ref = $2`;

/** The columns of LockedMeter, for a caller that locks the meter in a query of its own. */
export const LOCKED_METER_COLUMNS = `meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, event_seq, relay, status,
  power_w, low_balance_mwh, meter_balance_mwh, debt_cents, emergency_credit_mwh`;

export async function lockMeter(tx: Queryable, meterNo: string): Promise<LockedMeter | null> {
  const { rows } = await tx.query<LockedMeter>(
    `SELECT ${LOCKED_METER_COLUMNS} FROM meters WHERE meter_no = $1 FOR UPDATE`,
    [meterNo],
  );
  return rows[0] ?? null;
}

/**
 * Friendly hours (issue 5 §4) let E pass C + emergency credit; a purchase then repays that use
 * simply by raising C. When the load was last forced on by friendly hours (not an operator),
 * the receipt names the energy that went to it and its value.
 */
async function withFriendlyDebtLine(
  tx: Queryable,
  meter: LockedMeter,
  quote: PurchaseQuote,
): Promise<Receipt> {
  const balanceBeforeMwh = meter.credit_limit_mwh - meter.energy_mwh;
  if (balanceBeforeMwh + meter.emergency_credit_mwh >= 0 || quote.energyMwh === 0) return quote;
  const { rows } = await tx.query<{ reason: string; created_by: string | null }>(
    `SELECT reason, created_by FROM meter_commands
      WHERE meter_no = $1 AND kind = 'relay' AND payload->>'action' = 'connect' AND status <> 'superseded'
      ORDER BY created_at DESC LIMIT 1`,
    [meter.meter_no],
  );
  const last = rows[0];
  if (!last || !isFriendlyHoursCommand(last)) return quote;
  const recovered = friendlyHoursRecovery({
    balanceBeforeMwh,
    emergencyCreditMwh: meter.emergency_credit_mwh,
    energyBoughtMwh: quote.energyMwh,
    energyCentsPaid:
      quote.amountCents - quote.recoveredDebtCents - quote.standingChargeCents - quote.roundingCents,
  });
  if (!recovered) return quote;
  return {
    ...quote,
    infoLines: [
      {
        kind: 'friendly_debt',
        code: 'friendly_hours_debt',
        label: 'Friendly-hours use repaid',
        energyMwh: recovered.energyMwh,
        valueCents: recovered.valueCents,
      },
    ],
  };
}

function assertQuote(quote: PurchaseQuote, amountCents: number): void {
  const sum = quote.lines.reduce((s, l) => s + l.amountCents, 0);
  if (sum !== amountCents || !Number.isSafeInteger(quote.energyMwh) || quote.energyMwh < 0) {
    throw new Error(`tariff quote does not balance: lines ${sum} vs paid ${amountCents}`);
  }
}

function assertLedgerSum(meterNo: string, e0Mwh: number, ledgerMwh: number, creditLimitMwh: number): void {
  if (e0Mwh + ledgerMwh !== creditLimitMwh) {
    throw new Error(
      `ledger invariant broken for ${meterNo}: E0 ${e0Mwh} + ledger ${ledgerMwh} != C ${creditLimitMwh}`,
    );
  }
}

/** Invariant 2 of design §3: C = E0 + Σ ledger, checked inside the writing transaction. */
export async function assertLedgerInvariant(
  tx: Queryable,
  meterNo: string,
  e0Mwh: number,
  creditLimitMwh: number,
): Promise<void> {
  const { rows } = await tx.query<{ total: number }>(
    `SELECT COALESCE(SUM(energy_mwh), 0)::bigint AS total FROM ledger_entries WHERE meter_no = $1`,
    [meterNo],
  );
  const total = rows[0]?.total ?? 0;
  if (e0Mwh + total !== creditLimitMwh) {
    throw new Error(
      `ledger invariant broken for ${meterNo}: E0 ${e0Mwh} + ledger ${total} != C ${creditLimitMwh}`,
    );
  }
}
