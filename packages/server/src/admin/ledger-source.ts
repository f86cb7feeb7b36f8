/** Where a ledger entry's credit came from, worked out from its transaction (pure: no I/O). */
import { z } from 'zod';

export const ledgerSourceKinds = [
  'mpesa_stk',
  'mpesa_c2b',
  'topup',
  'operator',
  'emergency',
  'opening',
  'simulate',
  /** a payment moved here from another meter by an operator */
  'moved_in',
  /** a payment moved away to another meter by an operator (the refund entry) */
  'moved_out',
  'other',
] as const;
export type LedgerSourceKind = (typeof ledgerSourceKinds)[number];

export const ledgerSource = z.object({
  kind: z.enum(ledgerSourceKinds),
  /** the M-Pesa receipt number (STK receipt or paybill TransID), also for a payment moved here */
  mpesaReceipt: z.string().nullable(),
  /** the operator who posted, approved or moved it (email), or null for the customer or the system */
  operatorEmail: z.string().nullable(),
  /** the operator's reason, when one was given */
  reason: z.string().nullable(),
  /** the meter a payment was moved from (moved_in) or to (moved_out) */
  otherMeterNo: z.string().nullable(),
  /** of the energy bought, what filled the balance below zero left by friendly hours */
  friendlyHoursRepaidMwh: z.number().int(),
  /** of the money paid, what repaid an emergency advance */
  advanceRepaidCents: z.number().int(),
});
export type LedgerSource = z.infer<typeof ledgerSource>;

/** What the meter detail reads for each entry: its transaction and, for a moved payment, the other side. */
export interface LedgerSourceInput {
  entryKind: string;
  source: string | null;
  externalRef: string | null;
  receipt: unknown;
  /** who wrote the transaction: for an adjustment, top-up or operator's advance, the operator */
  createdBy: { email: string; role: string } | null;
  /** moved_in: the original transaction (its reference and meter) */
  origin: { externalRef: string | null; meterNo: string } | null;
  /** moved_out (a refund entry): the transaction the payment became on the other meter */
  movedTo: { meterNo: string; receipt: unknown; createdBy: { email: string; role: string } | null } | null;
}

const KNOWN = new Set<string>([
  'mpesa_stk',
  'mpesa_c2b',
  'topup',
  'operator',
  'emergency',
  'opening',
  'simulate',
]);

/** `MPESA-<receipt>` (STK and settled orphans) or `C2B-<TransID>` (paybill): the M-Pesa receipt number. */
export function mpesaReceiptOf(externalRef: string | null): string | null {
  const m = externalRef === null ? null : /^(?:MPESA|C2B)-(.+)$/.exec(externalRef);
  return m?.[1] ?? null;
}

const record = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
const str = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v : null);
const int = (v: unknown): number => (typeof v === 'number' && Number.isSafeInteger(v) ? v : 0);
// Only an operator is named: a customer taking their own advance shows as the customer.
const operator = (by: { email: string; role: string } | null): string | null =>
  by !== null && by.role === 'admin' ? by.email : null;

export function ledgerSourceOf(i: LedgerSourceInput): LedgerSource {
  const receipt = record(i.receipt);
  const friendly = Array.isArray(receipt.infoLines)
    ? receipt.infoLines.map(record).find((l) => l.kind === 'friendly_debt')
    : undefined;
  const common = {
    mpesaReceipt: mpesaReceiptOf(i.origin?.externalRef ?? null) ?? mpesaReceiptOf(i.externalRef),
    friendlyHoursRepaidMwh: 0,
    advanceRepaidCents: 0,
  };
  if (i.entryKind === 'refund') {
    return {
      ...common,
      kind: 'moved_out',
      operatorEmail: operator(i.movedTo?.createdBy ?? null),
      reason: str(record(i.movedTo?.receipt).reason),
      otherMeterNo: i.movedTo?.meterNo ?? null,
    };
  }
  const kind: LedgerSourceKind =
    i.origin !== null
      ? 'moved_in'
      : i.source !== null && KNOWN.has(i.source)
        ? (i.source as LedgerSourceKind)
        : 'other';
  return {
    ...common,
    kind,
    operatorEmail: operator(i.createdBy),
    reason: str(receipt.reason),
    otherMeterNo: i.origin?.meterNo ?? null,
    friendlyHoursRepaidMwh: friendly ? int(friendly.energyMwh) : 0,
    advanceRepaidCents: i.entryKind === 'purchase' ? int(receipt.recoveredDebtCents) : 0,
  };
}
