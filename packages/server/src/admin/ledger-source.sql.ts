import type { LedgerSourceInput } from './ledger-source';

/** The columns LEDGER_SQL adds to each ledger entry for its source. */
export interface LedgerSourceDbRow {
  kind: string;
  t_source: string | null;
  t_external_ref: string | null;
  t_receipt: unknown;
  by_email: string | null;
  by_role: string | null;
  origin_ref: string | null;
  origin_meter_no: string | null;
  moved_meter_no: string | null;
  moved_receipt: unknown;
  moved_by_email: string | null;
  moved_by_role: string | null;
}

/**
 * A meter's newest ledger entries with the running credit and where each came from: its
 * transaction and who wrote it; for a payment moved here, the original (its M-Pesa receipt);
 * for a refund (a payment moved away), the transaction it became on the other meter. Every
 * join is by primary key or the unique external reference.
 */
export const LEDGER_SQL = `
  SELECT l.id, l.kind, l.energy_mwh, l.amount_cents, l.credit_limit_after_mwh, l.transaction_id, l.memo,
         l.created_at, l.running_mwh,
         t.source AS t_source, t.external_ref AS t_external_ref, t.receipt AS t_receipt,
         bu.email AS by_email, bu.role AS by_role,
         o.external_ref AS origin_ref, o.meter_no AS origin_meter_no,
         mv.meter_no AS moved_meter_no, mv.receipt AS moved_receipt,
         mu.email AS moved_by_email, mu.role AS moved_by_role
    FROM (SELECT * FROM (SELECT *, SUM(energy_mwh) OVER (ORDER BY id)::bigint AS running_mwh
                           FROM ledger_entries WHERE meter_no = $1) w
           ORDER BY id DESC LIMIT $2) l
    LEFT JOIN transactions t ON t.id = l.transaction_id
    LEFT JOIN users bu ON bu.id = t.created_by
    LEFT JOIN transactions o ON o.id = (t.receipt->'movedFrom'->>'transactionId')::uuid
    LEFT JOIN transactions mv ON l.kind = 'refund' AND mv.external_ref = 'move:' || l.transaction_id::text
    LEFT JOIN users mu ON mu.id = mv.created_by
   ORDER BY l.id DESC`;

export function toLedgerSourceInput(r: LedgerSourceDbRow): LedgerSourceInput {
  return {
    entryKind: r.kind,
    source: r.t_source,
    externalRef: r.t_external_ref,
    receipt: r.t_receipt,
    createdBy: r.by_email === null ? null : { email: r.by_email, role: r.by_role ?? '' },
    origin: r.origin_meter_no === null ? null : { externalRef: r.origin_ref, meterNo: r.origin_meter_no },
    movedTo:
      r.moved_meter_no === null
        ? null
        : {
            meterNo: r.moved_meter_no,
            receipt: r.moved_receipt,
            createdBy:
              r.moved_by_email === null ? null : { email: r.moved_by_email, role: r.moved_by_role ?? '' },
          },
  };
}
