/**
 * The SQL of crediting, below the service: the locked meter's columns, what a batch of credits
 * reads under its meters' locks, and the one statement that writes transactions, ledger entries
 * and new credit limits. Payments runs these reads in its own round trip (with its locks), so
 * they live here rather than in either service.
 */
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
}

/** The columns of LockedMeter, for a caller that locks the meter in a query of its own. */
export const LOCKED_METER_COLUMNS = `meter_no, user_id, e0_mwh, credit_limit_mwh, energy_mwh, event_seq, relay, status,
  power_w, low_balance_mwh, meter_balance_mwh, debt_cents, emergency_credit_mwh`;

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

/** What a batch of credits reads under its meters' locks, per meter. */
export interface CreditBatchReads {
  meter_no: string;
  month_mwh: number;
  month_n: number;
  ledger_mwh: number;
  open_alerts: string[];
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
  meter_no: string;
  reason: string;
  created_by: string | null;
}

const CREDIT_BATCH_READS_SQL = `
  SELECT m.meter_no, mo.mwh AS month_mwh, mo.n AS month_n,
         (SELECT COALESCE(SUM(energy_mwh), 0)::bigint FROM ledger_entries WHERE meter_no = m.meter_no) AS ledger_mwh,
         ARRAY(SELECT kind FROM alerts WHERE meter_no = m.meter_no AND closed_at IS NULL) AS open_alerts
    FROM unnest($1::text[]) AS m(meter_no)
    CROSS JOIN LATERAL (
      SELECT COALESCE(SUM(energy_mwh), 0)::bigint AS mwh, COUNT(*)::bigint AS n FROM transactions
       WHERE meter_no = m.meter_no AND status = 'completed' AND amount_cents > 0
         AND created_at >= date_trunc('month', now() AT TIME ZONE 'Africa/Nairobi') AT TIME ZONE 'Africa/Nairobi') mo`;

/**
 * What a credit batch reads about its meters, as statements to run once the meters are locked
 * (each takes its own snapshot, so it sees every credit committed before): the month's
 * purchases, the ledger sum and open alerts of each meter; the credits already written with
 * these external references; then the last connect command of each meter in debt past its
 * emergency credit. A caller that runs them in the round trip that takes the locks passes
 * their results to `creditBatchWithin`.
 */
export function creditBatchReads(meterNos: readonly string[], externalRefs: readonly string[]): Statement[] {
  return [
    { text: CREDIT_BATCH_READS_SQL, values: [arrayLiteral(meterNos)] },
    {
      text: `SELECT id, external_ref, meter_no, amount_cents, energy_mwh, receipt FROM transactions
              WHERE external_ref = ANY($1::text[])`,
      values: [arrayLiteral(externalRefs)],
    },
    {
      // Meters in debt past their emergency credit may be repaying friendly-hours use: the
      // receipt names it when their last connect command was a friendly-hours one.
      text: `SELECT DISTINCT ON (c.meter_no) c.meter_no, c.reason, c.created_by FROM meter_commands c
        WHERE c.meter_no IN (SELECT meter_no FROM meters WHERE meter_no = ANY($1::text[])
                               AND credit_limit_mwh - energy_mwh + emergency_credit_mwh < 0)
          AND c.kind = 'relay' AND c.payload->>'action' = 'connect' AND c.status <> 'superseded'
        ORDER BY c.meter_no, c.created_at DESC`,
      values: [arrayLiteral(meterNos)],
    },
  ];
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
