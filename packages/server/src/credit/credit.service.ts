import { friendlyHoursRecovery } from '@umeme/core';
import type { TransactionType } from '@umeme/protocol';
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import {
  arrayLiteral,
  deferOrRun,
  queryMany,
  type Db,
  type Queryable,
  type QueryResult,
  type Statement,
} from '../db/db';
import { assertMeterAccess, type Caller } from '../shared/access';
import { AppError } from '../shared/errors';
import type { EventBus, MeterChanged } from '../shared/events';
import type { Metrics } from '../shared/metrics';
import type { AlertsService } from '../alerts/alerts.service';
import type { AlertChanged } from '../shared/events';
import { isFriendlyHoursCommand } from '../commands/command-row';
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
    assertCreditAmount(req.amountCents);
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
    // Invariant 2 of docs/design.md §3 (C = E0 + Σ ledger), on the ledger as read under the lock plus
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
        req.paidBy ?? meter.user_id,
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
    const changed = creditChanged(meter, req, {
      eventSeq: meter.event_seq + 1,
      creditLimitMwh,
      energyMwh: quote.energyMwh,
      transactionId,
    });
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

  /**
   * Credits several requests inside the caller's transaction with a fixed number of round trips
   * (group commit for payments under load): one read for every meter and reference, one write
   * for every transaction, ledger entry and new C, and the balance alerts. The caller must have
   * locked each request's meter in `tx` (rows in `locked`) after anything else it locks.
   *
   * Requests apply in order, so several for one meter compound exactly as one after the other
   * would (tariff blocks, the month's first purchase, debt recovery). A request the batch does
   * not take gets `null` and nothing is written for it: a reference already used (or used twice
   * here), or a meter not in `locked`. The caller settles those with `credit`/`creditWithin`,
   * which tell a duplicate from a conflict.
   */
  async creditBatchWithin(
    tx: Queryable,
    caller: Caller,
    reqs: readonly CreditRequest[],
    locked: ReadonlyMap<string, LockedMeter>,
    /** the results of `creditBatchReads` for these meters, when the caller ran them already */
    prefetched?: readonly QueryResult<Record<string, unknown>>[],
  ): Promise<(AppliedCredit | null)[]> {
    for (const req of reqs) {
      assertCreditAmount(req.amountCents);
      const meter = locked.get(req.meterNo);
      assertMeterAccess(caller, req.meterNo, meter ? { userId: meter.user_id } : null);
    }
    const meterNos = [...new Set(reqs.map((r) => r.meterNo).filter((m) => locked.has(m)))];
    if (meterNos.length === 0) return reqs.map(() => null);
    const [reads, connects] =
      prefetched ??
      (await queryMany(
        tx,
        creditBatchReads(
          meterNos,
          reqs.map((r) => r.externalRef),
        ),
      ));
    const rows = reads!.rows as unknown as CreditBatchReads[];
    // Meters in debt past their emergency credit may be repaying friendly-hours use: the
    // receipt names it when their last connect command was a friendly-hours one.
    const lastConnect = new Map(
      (connects!.rows as unknown as (LastConnect & { meter_no: string })[]).map((r) => [r.meter_no, r]),
    );
    const usedRefs = new Set(rows[0]?.used_refs ?? []);
    /** each meter as it stands after the requests applied so far */
    const state = new Map<
      string,
      {
        meter: LockedMeter;
        monthMwh: number;
        monthN: number;
        ledgerMwh: number;
        openAlerts: string[];
        creditLimitMwh: number;
        debtCents: number;
        eventSeq: number;
      }
    >();
    for (const r of rows) {
      const meter = locked.get(r.meter_no)!;
      state.set(r.meter_no, {
        meter,
        monthMwh: r.month_mwh,
        monthN: r.month_n,
        ledgerMwh: r.ledger_mwh,
        openAlerts: r.open_alerts,
        creditLimitMwh: meter.credit_limit_mwh,
        debtCents: meter.debt_cents,
        eventSeq: meter.event_seq,
      });
    }
    const at = new Date();
    const taken: {
      index: number;
      req: CreditRequest;
      quote: PurchaseQuote;
      receipt: Receipt;
      after: number;
      eventSeq: number;
    }[] = [];
    const out: (AppliedCredit | null)[] = reqs.map(() => null);
    reqs.forEach((req, index) => {
      const st = state.get(req.meterNo);
      if (!st || usedRefs.has(req.externalRef)) return;
      const balanceBeforeMwh = st.creditLimitMwh - st.meter.energy_mwh;
      usedRefs.add(req.externalRef);
      const quote = this.pricing({
        amountCents: req.amountCents,
        purchasedThisMonthMwh: st.monthMwh,
        purchasesThisMonth: st.monthN,
        debtCents: st.debtCents,
        at,
      });
      assertQuote(quote, req.amountCents);
      const receipt = friendlyDebtReceipt(st.meter, balanceBeforeMwh, quote, lastConnect.get(req.meterNo));
      const after = st.creditLimitMwh + quote.energyMwh;
      assertLedgerSum(req.meterNo, st.meter.e0_mwh, st.ledgerMwh + quote.energyMwh, after);
      st.ledgerMwh += quote.energyMwh;
      st.monthMwh += quote.energyMwh;
      st.monthN += 1;
      st.debtCents = quote.remainingDebtCents;
      st.creditLimitMwh = after;
      st.eventSeq += 1;
      taken.push({
        index,
        req,
        quote,
        receipt,
        after,
        eventSeq: st.eventSeq,
      });
    });
    if (taken.length === 0) return out;
    const touched = [...state.values()].filter((st) => st.eventSeq !== st.meter.event_seq);
    // Every transaction, its ledger entry (in request order, so ledger ids follow it) and each
    // meter's final C in one statement. Transaction ids are chosen here, so nothing needs to
    // come back: where the transaction allows, the write goes with the next round trip (at the
    // latest with COMMIT) and fails the transaction there if it fails.
    const ids = new Map(taken.map((x) => [x.req.externalRef, randomUUID()]));
    if (ids.size !== taken.length) throw new Error('two credits in one batch share an external reference');
    await deferOrRun(tx, {
      text: `WITH u AS (
         SELECT * FROM unnest($1::text[], $2::uuid[], $3::text[], $4::text[], $5::bigint[], $6::bigint[],
                              $7::text[], $8::text[], $9::text[], $10::uuid[], $11::bigint[], $16::uuid[])
           WITH ORDINALITY AS u(meter_no, user_id, type, source, amount_cents, energy_mwh, external_ref, phone,
                                receipt, created_by, credit_limit_after_mwh, id, ord)),
       t AS (
         INSERT INTO transactions (id, meter_no, user_id, type, source, status, amount_cents, energy_mwh, external_ref,
                                   phone, receipt, created_by, completed_at)
         SELECT id, meter_no, user_id, type, source, 'completed', amount_cents, energy_mwh, external_ref, phone,
                receipt::jsonb, created_by, now()
           FROM u ORDER BY ord),
       l AS (
         INSERT INTO ledger_entries (meter_no, transaction_id, kind, energy_mwh, amount_cents, credit_limit_after_mwh)
         SELECT u.meter_no, u.id, 'purchase', u.energy_mwh, u.amount_cents, u.credit_limit_after_mwh
           FROM u ORDER BY u.ord)
       UPDATE meters SET credit_limit_mwh = v.credit_limit_mwh, event_seq = meters.event_seq + v.credits,
                         debt_cents = v.debt_cents
         FROM unnest($12::text[], $13::bigint[], $14::bigint[], $15::int[]) AS v(meter_no, credit_limit_mwh, debt_cents, credits)
        WHERE meters.meter_no = v.meter_no`,
      values: [
        arrayLiteral(taken.map((x) => x.req.meterNo)),
        arrayLiteral(taken.map((x) => x.req.paidBy ?? locked.get(x.req.meterNo)!.user_id)),
        arrayLiteral(taken.map((x) => x.req.type)),
        arrayLiteral(taken.map((x) => x.req.source)),
        arrayLiteral(taken.map((x) => x.req.amountCents)),
        arrayLiteral(taken.map((x) => x.quote.energyMwh)),
        arrayLiteral(taken.map((x) => x.req.externalRef)),
        arrayLiteral(taken.map((x) => x.req.phone ?? null)),
        arrayLiteral(
          taken.map((x) =>
            JSON.stringify({
              ...x.receipt,
              balanceAfterMwh: x.after - locked.get(x.req.meterNo)!.energy_mwh,
            }),
          ),
        ),
        arrayLiteral(taken.map((x) => x.req.createdBy ?? null)),
        arrayLiteral(taken.map((x) => x.after)),
        arrayLiteral(touched.map((st) => st.meter.meter_no)),
        arrayLiteral(touched.map((st) => st.creditLimitMwh)),
        arrayLiteral(touched.map((st) => st.debtCents)),
        arrayLiteral(touched.map((st) => st.eventSeq - st.meter.event_seq)),
        arrayLiteral(taken.map((x) => ids.get(x.req.externalRef)!)),
      ],
    });
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
    /** the last credit of each meter carries that meter's alert changes */
    const lastOfMeter = new Map(taken.map((x) => [x.req.meterNo, x.index]));
    for (const x of taken) {
      const meter = locked.get(x.req.meterNo)!;
      const transactionId = ids.get(x.req.externalRef)!;
      const balanceMwh = x.after - meter.energy_mwh;
      out[x.index] = {
        source: x.req.source,
        changed: creditChanged(meter, x.req, {
          eventSeq: x.eventSeq,
          creditLimitMwh: x.after,
          energyMwh: x.quote.energyMwh,
          transactionId,
        }),
        alertChanges:
          lastOfMeter.get(x.req.meterNo) === x.index
            ? alertChanges.filter((a) => a.meterNo === meter.meter_no)
            : [],
        result: {
          transactionId,
          duplicate: false,
          meterNo: meter.meter_no,
          amountCents: x.req.amountCents,
          energyMwh: x.quote.energyMwh,
          creditLimitMwh: x.after,
          balanceMwh,
          receipt: x.receipt,
        },
      };
    }
    return out;
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

/** What a batch of credits reads under its meters' locks: per meter, and the references already used. */
interface CreditBatchReads {
  meter_no: string;
  month_mwh: number;
  month_n: number;
  ledger_mwh: number;
  open_alerts: string[];
  used_refs: string[];
}

const CREDIT_BATCH_READS_SQL = `
  SELECT m.meter_no, mo.mwh AS month_mwh, mo.n AS month_n,
         (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM ledger_entries WHERE meter_no = m.meter_no) AS ledger_mwh,
         ARRAY(SELECT kind FROM alerts WHERE meter_no = m.meter_no AND closed_at IS NULL) AS open_alerts,
         ARRAY(SELECT external_ref FROM transactions WHERE external_ref = ANY($2::text[])) AS used_refs
    FROM unnest($1::text[]) AS m(meter_no)
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(energy_mwh), 0)::bigint AS mwh, COUNT(*)::bigint AS n FROM transactions
       WHERE meter_no = m.meter_no AND status = 'completed' AND amount_cents > 0
         AND created_at >= date_trunc('month', now() AT TIME ZONE 'Africa/Nairobi') AT TIME ZONE 'Africa/Nairobi') mo`;

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

/** Locks several meters, in meter order (the order every path that locks more than one uses). */
export async function lockMeters(tx: Queryable, meterNos: readonly string[]): Promise<LockedMeter[]> {
  const { rows } = await tx.query<LockedMeter>(
    `SELECT ${LOCKED_METER_COLUMNS} FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no FOR UPDATE`,
    [arrayLiteral([...meterNos])],
  );
  return rows;
}

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
  const { text, values } = lastConnectsInDebt([meter.meter_no]);
  const { rows } = await tx.query<LastConnect>(text, values);
  return friendlyDebtReceipt(meter, balanceBeforeMwh, quote, rows[0]);
}

/** The meter's latest relay connect command: who sent it and why. */
type LastConnect = { reason: string; created_by: string | null };

/**
 * What a credit batch reads about its meters, as statements to run once the meters are locked
 * (each takes its own snapshot, so it sees every credit committed before): the month's
 * purchases, the ledger sum, open alerts and external references already used; then the last
 * connect command of each meter in debt past its emergency credit. A caller that runs them in
 * the round trip that takes the locks passes their results to `creditBatchWithin`.
 */
export function creditBatchReads(meterNos: readonly string[], externalRefs: readonly string[]): Statement[] {
  return [
    { text: CREDIT_BATCH_READS_SQL, values: [arrayLiteral(meterNos), arrayLiteral(externalRefs)] },
    lastConnectsInDebt(meterNos),
  ];
}

/**
 * The latest relay connect command (who sent it and why) of each of these meters that is in
 * debt past its emergency credit, read once the meters are locked.
 */
function lastConnectsInDebt(meterNos: readonly string[]): Statement {
  return {
    text: `SELECT DISTINCT ON (c.meter_no) c.meter_no, c.reason, c.created_by FROM meter_commands c
      WHERE c.meter_no IN (SELECT meter_no FROM meters WHERE meter_no = ANY($1::text[])
                             AND credit_limit_mwh - energy_mwh + emergency_credit_mwh < 0)
        AND c.kind = 'relay' AND c.payload->>'action' = 'connect' AND c.status <> 'superseded'
      ORDER BY c.meter_no, c.created_at DESC`,
    values: [arrayLiteral(meterNos)],
  };
}

/** The receipt with its friendly-hours line, given the meter's last connect command (if any). */
function friendlyDebtReceipt(
  meter: Pick<LockedMeter, 'emergency_credit_mwh'>,
  balanceBeforeMwh: number,
  quote: PurchaseQuote,
  last: LastConnect | undefined,
): Receipt {
  if (balanceBeforeMwh + meter.emergency_credit_mwh >= 0 || quote.energyMwh === 0) return quote;
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

function assertCreditAmount(amountCents: number): void {
  if (!Number.isSafeInteger(amountCents) || amountCents <= 0 || amountCents > MAX_CREDIT_CENTS) {
    throw new AppError('BAD_REQUEST', 'Amount must be a positive whole number of cents within limits.');
  }
}

/** The change one credit makes to its meter, for sockets; C before it is C after minus the energy. */
function creditChanged(
  meter: LockedMeter,
  req: CreditRequest,
  c: { eventSeq: number; creditLimitMwh: number; energyMwh: number; transactionId: string },
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

/** Invariant 2 of docs/design.md §3: C = E0 + Σ ledger, checked inside the writing transaction. */
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
