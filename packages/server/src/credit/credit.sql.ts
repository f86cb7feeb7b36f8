/**
 * The SQL of crediting, below the service: the locked meter's columns, what a batch of credits
 * reads under its meters' locks, and the one statement that writes transactions, ledger entries
 * and new credit limits. Payments runs these reads in its own round trip (with its locks), so
 * they live here rather than in either service.
 */
import type { RelayOverride } from '@umeme/core';
import { arrayLiteral, type Queryable, type Statement } from '../db/db';
import type { Receipt } from './receipt';

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
  /** the customer group whose tariff prices its purchases */
  tariff_group: string;
  relay_override: RelayOverride;
  relay_override_reason: string | null;
}

/** The columns of LockedMeter, for a caller that locks the meter in a query of its own. */
export const LOCKED_METER_COLUMNS = `meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, event_seq, relay, status,
  power_w, low_balance_mwh, meter_balance_mwh, debt_cents, emergency_credit_mwh, tariff_group, relay_override,
  relay_override_reason`;

/** The column names of LockedMeter, one by one. */
export const LOCKED_METER_KEYS = LOCKED_METER_COLUMNS.split(',').map((c) => c.trim());

/** Locks several meters, in meter order (the order every path that locks more than one uses). */
export function lockMetersStatement(meterNos: readonly string[]): Statement {
  return {
    text: `SELECT ${LOCKED_METER_COLUMNS} FROM meters WHERE meter_no = ANY($1::text[]) ORDER BY meter_no FOR UPDATE`,
    values: [arrayLiteral(meterNos)],
  };
}

export async function lockMeter(tx: Queryable, meterNo: string): Promise<LockedMeter | null> {
  const { rows } = await tx.query<LockedMeter>(
    `SELECT ${LOCKED_METER_COLUMNS} FROM meters WHERE meter_no = $1 FOR UPDATE`,
    [meterNo],
  );
  return rows[0] ?? null;
}

/** What a batch of credits reads under its meters' locks, per meter (see creditBatchReads). */
export interface CreditBatchReads {
  meter_no: string;
  month_mwh: number;
  month_n: number;
  ledger_mwh: number;
  open_alerts: string[];
  /** the meter's latest relay connect command, when the meter is in debt past its emergency credit */
  connect_reason: string | null;
  connect_created_by: string | null;
  /** on the first row only: the credits already written with the batch's external references */
  priors: PriorCredit[] | null;
}

/** A credit already written with one of the batch's external references. */
export interface PriorCredit {
  id: string;
  external_ref: string;
  meter_no: string;
  amount_cents: number;
  energy_mwh: number;
  receipt: Receipt | null;
}

/** The meter's latest relay connect command: who sent it and why. */
export interface LastConnect {
  reason: string;
  created_by: string | null;
}

/**
 * One statement for everything a credit batch must know, so a batch of one costs one statement
 * like a batch of fifty. Per meter: the month's purchases, the ledger sum, open alerts and, for
 * a meter in debt past its emergency credit (it may be repaying friendly-hours use: the receipt
 * names it when the last connect command was a friendly-hours one), that command. On the first
 * row, the credits already written with the batch's external references (usually none).
 */
const creditReadsSql = (source: string) => `
  SELECT m.meter_no, mo.mwh AS month_mwh, mo.n AS month_n,
         (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM ledger_entries WHERE meter_no = m.meter_no) AS ledger_mwh,
         ARRAY(SELECT kind FROM alerts WHERE meter_no = m.meter_no AND closed_at IS NULL) AS open_alerts,
         lc.reason AS connect_reason, lc.created_by AS connect_created_by,
         CASE WHEN m.ord = 1 THEN (
           SELECT COALESCE(json_agg(json_build_object('id', p.id, 'external_ref', p.external_ref,
                    'meter_no', p.meter_no, 'amount_cents', p.amount_cents, 'energy_mwh', p.energy_mwh,
                    'receipt', p.receipt)), '[]')
             FROM transactions p WHERE p.external_ref = ANY($2::text[])) END AS priors
    FROM ${source}
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(energy_mwh), 0)::bigint AS mwh, COUNT(*)::bigint AS n FROM transactions
       WHERE meter_no = m.meter_no AND status = 'completed' AND amount_cents > 0
         AND created_at >= date_trunc('month', now() AT TIME ZONE 'Africa/Nairobi') AT TIME ZONE 'Africa/Nairobi') mo
    LEFT JOIN meters mm ON mm.meter_no = m.meter_no
    LEFT JOIN LATERAL (
      SELECT c.reason, c.created_by FROM meter_commands c
       WHERE mm.credit_limit_mwh - mm.energy_mwh + mm.emergency_credit_mwh < 0
         AND c.meter_no = m.meter_no AND c.kind = 'relay' AND c.payload->>'action' = 'connect'
         AND c.status <> 'superseded'
       ORDER BY c.created_at DESC LIMIT 1) lc ON true
   ORDER BY m.ord`;

const CREDIT_BATCH_READS_SQL = creditReadsSql(`unnest($1::text[]) WITH ORDINALITY AS m(meter_no, ord)`);
/** For one meter: PGlite plans a one-row source for less than an unnested array (see writeOneCreditStatement). */
const CREDIT_READS_OF_ONE_SQL = creditReadsSql(`(SELECT $1::text AS meter_no, 1 AS ord) m`);

/**
 * What a credit batch reads about its meters, as a statement to run once the meters are locked
 * (it takes its own snapshot, so it sees every credit committed before). A caller that runs it
 * in the round trip that takes the locks passes its result to `creditBatchWithin`.
 */
export function creditBatchReads(meterNos: readonly string[], externalRefs: readonly string[]): Statement {
  if (meterNos.length === 1) {
    return { text: CREDIT_READS_OF_ONE_SQL, values: [meterNos[0], arrayLiteral(externalRefs)] };
  }
  return { text: CREDIT_BATCH_READS_SQL, values: [arrayLiteral(meterNos), arrayLiteral(externalRefs)] };
}

/** One credit to write, as the batch priced it. */
export interface CreditRow {
  id: string;
  meterNo: string;
  userId: string | null;
  type: string;
  source: string;
  amountCents: number;
  energyMwh: number;
  externalRef: string;
  phone: string | null;
  /** the stored receipt, as JSON */
  receipt: string;
  createdBy: string | null;
  creditLimitAfterMwh: number;
}

/** A meter's state once every credit of the batch for it applied. */
export interface MeterAfterCredits {
  meterNo: string;
  creditLimitMwh: number;
  debtCents: number;
  credits: number;
}

/**
 * Every transaction, its ledger entry (in the given order, so ledger ids follow it) and each
 * meter's final C in one statement. Transaction ids are chosen by the caller, so nothing needs to
 * come back and the write can go with the transaction's next round trip.
 */
export function writeCreditsStatement(
  rows: readonly CreditRow[],
  meters: readonly MeterAfterCredits[],
): Statement {
  if (rows.length === 1 && meters.length === 1) return writeOneCreditStatement(rows[0]!, meters[0]!);
  const col = <T extends string | number | null>(f: (r: CreditRow) => T) => arrayLiteral(rows.map(f));
  const met = <T extends string | number>(f: (m: MeterAfterCredits) => T) => arrayLiteral(meters.map(f));
  return {
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
      col((r) => r.meterNo),
      col((r) => r.userId),
      col((r) => r.type),
      col((r) => r.source),
      col((r) => r.amountCents),
      col((r) => r.energyMwh),
      col((r) => r.externalRef),
      col((r) => r.phone),
      col((r) => r.receipt),
      col((r) => r.createdBy),
      col((r) => r.creditLimitAfterMwh),
      met((m) => m.meterNo),
      met((m) => m.creditLimitMwh),
      met((m) => m.debtCents),
      met((m) => m.credits),
      col((r) => r.id),
    ],
  };
}

/**
 * The same write for a batch of one, with plain parameters. PGlite parses and plans every
 * statement each time: with this and the one-row read (CREDIT_READS_OF_ONE_SQL), a single credit
 * costs 3–4 ms less CPU there than with unnested one-element arrays (docs/benchmarks.md,
 * 2026-12-06 night). The values are the batch's, unchanged.
 */
function writeOneCreditStatement(r: CreditRow, m: MeterAfterCredits): Statement {
  return {
    text: `WITH t AS (
       INSERT INTO transactions (id, meter_no, user_id, type, source, status, amount_cents, energy_mwh, external_ref,
                                 phone, receipt, created_by, completed_at)
       VALUES ($1, $2, $3, $4, $5, 'completed', $6, $7, $8, $9, $10::jsonb, $11, now())),
     l AS (
       INSERT INTO ledger_entries (meter_no, transaction_id, kind, energy_mwh, amount_cents, credit_limit_after_mwh)
       VALUES ($2, $1, 'purchase', $7, $6, $12))
     UPDATE meters SET credit_limit_mwh = $13, event_seq = event_seq + $15, debt_cents = $14 WHERE meter_no = $16`,
    values: [
      r.id,
      r.meterNo,
      r.userId,
      r.type,
      r.source,
      r.amountCents,
      r.energyMwh,
      r.externalRef,
      r.phone,
      r.receipt,
      r.createdBy,
      r.creditLimitAfterMwh,
      m.creditLimitMwh,
      m.debtCents,
      m.credits,
      m.meterNo,
    ],
  };
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
  assertLedgerSum(meterNo, e0Mwh, rows[0]?.total ?? 0, creditLimitMwh);
}

export function assertLedgerSum(
  meterNo: string,
  e0Mwh: number,
  ledgerMwh: number,
  creditLimitMwh: number,
): void {
  if (e0Mwh + ledgerMwh !== creditLimitMwh) {
    throw new Error(
      `ledger invariant broken for ${meterNo}: E0 ${e0Mwh} + ledger ${ledgerMwh} != C ${creditLimitMwh}`,
    );
  }
}
