import type { TransactionType } from '@umeme/protocol';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import { deferOrRun, type Db, type QueryResult, type Transaction } from '../db/db';
import { assertMeterAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { AlertChanged, EventBus, MeterChanged } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import type { AlertsService } from '../alerts/alerts.service';
import {
  assertLedgerSum,
  creditBatchReads,
  lockMeter,
  writeCreditsStatement,
  type CreditBatchReads,
  type CreditRow,
  type LastConnect,
  type LockedMeter,
  type PriorCredit,
} from './credit.sql';
import type { Pricing, PurchaseQuote } from './pricing';
import { friendlyDebtReceipt, type Receipt } from './receipt';
import { supplyInputsOf } from '../meters/supply';

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
  /**
   * Whose purchase it is, when someone asked for it (an STK push, a top-up request): it stays
   * theirs on statements, lists and receipts even if the meter changed hands before the money
   * landed. Otherwise the meter's owner at the time of the credit.
   */
  paidBy?: string | null;
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

/**
 * What became of one request of a batch: written now, already written before with its
 * reference (the same meter and amount: a redelivery), or refused (nothing written).
 */
export type CreditOutcome =
  | { kind: 'applied'; result: CreditResult }
  | { kind: 'duplicate'; result: CreditResult }
  | { kind: 'refused'; error: AppError };

/** Largest single credit accepted (KES 1,000,000): a limit on everything. */
export const MAX_CREDIT_CENTS = 100_000_000;

/** Each meter as it stands after the requests of a batch applied so far. */
interface MeterInBatch {
  meter: LockedMeter;
  monthMwh: number;
  monthN: number;
  ledgerMwh: number;
  openAlerts: string[];
  lastConnect: LastConnect | undefined;
  creditLimitMwh: number;
  debtCents: number;
  eventSeq: number;
}

/**
 * The crediting service: one database transaction writes the transaction, the ledger entry
 * and the new credit limit C; once it commits, the meter gets command/balance and sockets get
 * events (scheduled on the transaction's after-commit queue). Idempotent on `externalRef`.
 * There is one crediting path, `creditBatchWithin`; a single credit is a batch of one.
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

  /** Credits in a transaction of its own; its events follow the commit. */
  credit(caller: Caller, req: CreditRequest): Promise<CreditResult> {
    return this.db.pipelined((tx) => this.creditWithin(tx, caller, req));
  }

  /**
   * Credits inside the caller's transaction (payments write their intent in the same one): a
   * batch of one. A reference already used for the same meter and amount answers the earlier
   * credit as a duplicate; for another credit, PAYMENT_DUPLICATE.
   */
  async creditWithin(
    tx: Transaction,
    caller: Caller,
    req: CreditRequest,
    /** the meter's row, when the caller already locked it in `tx` (see LOCKED_METER_COLUMNS) */
    locked?: LockedMeter,
  ): Promise<CreditResult> {
    assertCreditAmount(req.amountCents);
    const meter = locked?.meter_no === req.meterNo ? locked : await lockMeter(tx, req.meterNo);
    const outcome = (
      await this.creditBatchWithin(tx, caller, [req], new Map(meter ? [[meter.meter_no, meter]] : []))
    )[0]!;
    if (outcome.kind === 'refused') throw outcome.error;
    if (outcome.kind === 'duplicate') {
      tx.afterCommit(() => this.metrics.credits.inc({ source: req.source, outcome: 'duplicate' }));
    }
    return outcome.result;
  }

  /**
   * Credits several requests inside the caller's transaction with a fixed number of round trips
   * (group commit for payments under load): one read for every meter and reference, one write
   * for every transaction, ledger entry and new C, and the balance alerts. The caller must have
   * locked each request's meter in `tx` (rows in `locked`) after anything else it locks; a
   * meter not in `locked` is taken as not found.
   *
   * Requests apply in order, so several for one meter compound exactly as one after the other
   * would (tariff blocks, the month's first purchase, debt recovery). Each applied credit's
   * events are scheduled on `tx.afterCommit`; duplicates and refusals schedule nothing.
   */
  async creditBatchWithin(
    tx: Transaction,
    caller: Caller,
    reqs: readonly CreditRequest[],
    locked: ReadonlyMap<string, LockedMeter>,
    /** the result of `creditBatchReads` for these meters, when the caller ran it already */
    prefetched?: QueryResult<Record<string, unknown>>,
  ): Promise<CreditOutcome[]> {
    for (const req of reqs) {
      assertCreditAmount(req.amountCents);
      const meter = locked.get(req.meterNo);
      assertMeterAccess(caller, req.meterNo, meter ? { userId: meter.user_id } : null, 'money.move');
    }
    // Filled in below; a request left without an outcome is for a meter not in `locked` (an
    // AppError, with its stack, is built only for those: this runs for every payment).
    const out: (CreditOutcome | undefined)[] = reqs.map(() => undefined);
    const meterNos = [...new Set(reqs.map((r) => r.meterNo).filter((m) => locked.has(m)))];
    if (meterNos.length === 0) return orNotFound(out);
    let result = prefetched;
    if (!result) {
      const { text, values } = creditBatchReads(
        meterNos,
        reqs.map((r) => r.externalRef),
      );
      result = await tx.query(text, values);
    }
    const reads = result.rows as unknown as CreditBatchReads[];
    /** credits already written, and written by this batch, by external reference */
    const written = new Map<string, PriorCredit>();
    for (const p of reads[0]?.priors ?? []) written.set(p.external_ref, p);
    const state = new Map<string, MeterInBatch>();
    for (const r of reads) {
      const meter = locked.get(r.meter_no)!;
      state.set(r.meter_no, {
        meter,
        monthMwh: r.month_mwh,
        monthN: r.month_n,
        ledgerMwh: r.ledger_mwh,
        openAlerts: r.open_alerts,
        lastConnect:
          r.connect_reason === null
            ? undefined
            : { reason: r.connect_reason, created_by: r.connect_created_by },
        creditLimitMwh: meter.credit_limit_mwh,
        debtCents: meter.debt_cents,
        eventSeq: meter.event_seq,
      });
    }
    const at = new Date();
    const rows: CreditRow[] = [];
    const taken: { index: number; req: CreditRequest; changed: MeterChanged }[] = [];
    reqs.forEach((req, index) => {
      const st = state.get(req.meterNo);
      if (!st) return;
      const prior = written.get(req.externalRef);
      if (prior) {
        out[index] = duplicateOf(prior, req, st);
        return;
      }
      const balanceBeforeMwh = st.creditLimitMwh - st.meter.energy_mwh;
      const quote = this.pricing({
        amountCents: req.amountCents,
        purchasedThisMonthMwh: st.monthMwh,
        purchasesThisMonth: st.monthN,
        debtCents: st.debtCents,
        tariffGroup: st.meter.tariff_group,
        at,
      });
      assertQuote(quote, req.amountCents);
      const receipt = friendlyDebtReceipt(
        st.meter.emergency_credit_mwh,
        balanceBeforeMwh,
        quote,
        st.lastConnect,
      );
      const after = st.creditLimitMwh + quote.energyMwh;
      // Invariant 2 of docs/design.md §3 (C = E0 + Σ ledger), on the ledger as read under the
      // lock plus the entries of this batch.
      assertLedgerSum(req.meterNo, st.meter.e0_mwh, st.ledgerMwh + quote.energyMwh, after);
      st.ledgerMwh += quote.energyMwh;
      st.monthMwh += quote.energyMwh;
      st.monthN += 1;
      st.debtCents = quote.remainingDebtCents;
      st.creditLimitMwh = after;
      st.eventSeq += 1;
      const id = randomUUID();
      const balanceMwh = after - st.meter.energy_mwh;
      rows.push({
        id,
        meterNo: req.meterNo,
        userId: req.paidBy ?? st.meter.user_id,
        type: req.type,
        source: req.source,
        amountCents: req.amountCents,
        energyMwh: quote.energyMwh,
        externalRef: req.externalRef,
        phone: req.phone ?? null,
        receipt: JSON.stringify({ ...receipt, balanceAfterMwh: balanceMwh }),
        createdBy: req.createdBy ?? null,
        creditLimitAfterMwh: after,
      });
      written.set(req.externalRef, {
        id,
        external_ref: req.externalRef,
        meter_no: req.meterNo,
        amount_cents: req.amountCents,
        energy_mwh: quote.energyMwh,
        receipt,
      });
      out[index] = {
        kind: 'applied',
        result: {
          transactionId: id,
          duplicate: false,
          meterNo: req.meterNo,
          amountCents: req.amountCents,
          energyMwh: quote.energyMwh,
          creditLimitMwh: after,
          balanceMwh,
          receipt,
        },
      };
      taken.push({
        index,
        req,
        changed: creditChanged(st.meter, req, {
          eventSeq: st.eventSeq,
          creditLimitMwh: after,
          energyMwh: quote.energyMwh,
          transactionId: id,
          debtCents: st.debtCents,
        }),
      });
    });
    if (taken.length === 0) return orNotFound(out);
    const touched = [...state.values()].filter((st) => st.eventSeq !== st.meter.event_seq);
    // Nothing comes back: where the transaction allows, the write goes with the next round trip
    // (at the latest with COMMIT) and fails the transaction there if it fails.
    await deferOrRun(
      tx,
      writeCreditsStatement(
        rows,
        touched.map((st) => ({
          meterNo: st.meter.meter_no,
          creditLimitMwh: st.creditLimitMwh,
          debtCents: st.debtCents,
          credits: st.eventSeq - st.meter.event_seq,
        })),
      ),
    );
    // Only real changes are written: a purchase usually opens or closes no alert.
    const alertChanges = await this.alerts.evaluateBalances(
      tx,
      touched.map((st) => ({
        meterNo: st.meter.meter_no,
        userId: st.meter.user_id,
        balanceMwh: st.creditLimitMwh - st.meter.energy_mwh,
        creditLimitMwh: st.creditLimitMwh,
        energyMwh: st.meter.energy_mwh,
        lowBalanceMwh: st.meter.low_balance_mwh,
        meterBalanceMwh: null,
      })),
      new Map(touched.map((st) => [st.meter.meter_no, st.openAlerts])),
    );
    tx.afterCommit(() => this.publish(taken, alertChanges));
    return orNotFound(out);
  }

  /** Publishes committed credits: command/balance to each meter, events to sockets. */
  private publish(
    taken: readonly { req: CreditRequest; changed: MeterChanged }[],
    alerts: AlertChanged[],
  ): void {
    for (const { req, changed } of taken) {
      this.metrics.credits.inc({ source: req.source, outcome: 'applied' });
      this.bus.emit('credit_limit_changed', {
        meterNo: changed.meterNo,
        creditLimitMwh: changed.creditLimitMwh,
        balanceMwh: changed.balanceMwh,
      });
      this.bus.emit('meter_changed', changed);
      this.logger.info(
        {
          meterNo: changed.meterNo,
          transactionId: changed.transactionId,
          amountCents: changed.amountCents,
          source: req.source,
        },
        'credit applied',
      );
    }
    // after the credits: an alert a purchase closes is announced once its balance is
    this.alerts.publish(alerts);
  }
}

/**
 * A request whose reference is already written: the earlier credit when it is the same payment
 * (same meter and amount, a redelivery), else a conflict.
 */
function duplicateOf(prior: PriorCredit, req: CreditRequest, st: MeterInBatch): CreditOutcome {
  if (prior.meter_no !== req.meterNo || prior.amount_cents !== req.amountCents) {
    return {
      kind: 'refused',
      error: new AppError('PAYMENT_DUPLICATE', 'That payment reference was already used for another credit.'),
    };
  }
  return {
    kind: 'duplicate',
    result: {
      transactionId: prior.id,
      duplicate: true,
      meterNo: req.meterNo,
      amountCents: prior.amount_cents,
      energyMwh: prior.energy_mwh,
      creditLimitMwh: st.creditLimitMwh,
      balanceMwh: st.creditLimitMwh - st.meter.energy_mwh,
      receipt: prior.receipt,
    },
  };
}

function orNotFound(out: readonly (CreditOutcome | undefined)[]): CreditOutcome[] {
  return out.map((o) => o ?? { kind: 'refused', error: new AppError('METER_NOT_FOUND') });
}

function assertCreditAmount(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0 || amountCents > MAX_CREDIT_CENTS) {
    throw new AppError('BAD_REQUEST', 'Amount must be a positive whole number of cents within limits.');
  }
}

/** The change one credit makes to its meter, for sockets; C before it is C after minus the energy. */
function creditChanged(
  meter: LockedMeter,
  req: CreditRequest,
  c: {
    eventSeq: number;
    creditLimitMwh: number;
    energyMwh: number;
    transactionId: string;
    debtCents: number;
  },
): MeterChanged {
  return {
    meterNo: meter.meter_no,
    userId: meter.user_id,
    eventSeq: c.eventSeq,
    previousBalanceMwh: c.creditLimitMwh - c.energyMwh - meter.energy_mwh,
    balanceMwh: c.creditLimitMwh - meter.energy_mwh,
    creditLimitMwh: c.creditLimitMwh,
    energyMwh: meter.energy_mwh,
    powerW: meter.power_w,
    relay: meter.relay,
    status: meter.status,
    lastSeen: null,
    cause: req.type,
    transactionId: c.transactionId,
    amountCents: req.amountCents,
    energyDeltaMwh: c.energyMwh,
    at: Date.now(),
    supply: supplyInputsOf({ ...meter, debt_cents: c.debtCents }),
  };
}

function assertQuote(quote: PurchaseQuote, amountCents: number): void {
  const sum = quote.lines.reduce((s, l) => s + l.amountCents, 0);
  if (sum !== amountCents || !Number.isSafeInteger(quote.energyMwh) || quote.energyMwh < 0) {
    throw new Error(`tariff quote does not balance: lines ${sum} vs paid ${amountCents}`);
  }
}
