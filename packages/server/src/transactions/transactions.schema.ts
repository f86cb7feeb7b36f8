import { z } from 'zod';

/** Largest page of transactions; a bigger `limit` is refused, not clipped. */
export const TRANSACTIONS_PAGE_MAX = 100;
export const TRANSACTIONS_PAGE_DEFAULT = 20;
/** The original paths answer with a plain array of this many, newest first, unless `limit` says. */
export const TRANSACTIONS_ORIGINAL_DEFAULT = 50;

export const userIdParam = z.strictObject({ userId: z.uuid() });

/** Keyset cursor: the creation time in microseconds and the id of the last row of the page. */
const cursorPattern = /^\d{1,17}_[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export const transactionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(TRANSACTIONS_PAGE_MAX).default(TRANSACTIONS_PAGE_DEFAULT),
  cursor: z
    .string()
    .max(64)
    .regex(cursorPattern, 'cursor must be the `next` value of a previous page')
    .optional(),
});
export type TransactionsQuery = z.infer<typeof transactionsQuery>;

/** The original paths: no cursor (the array has nowhere to put one); pages are on /api/v2. */
export const originalTransactionsQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(TRANSACTIONS_PAGE_MAX).default(TRANSACTIONS_ORIGINAL_DEFAULT),
});

export const transactionResponse = z.object({
  id: z.string(),
  meterNo: z.string(),
  type: z.string(),
  source: z.string(),
  status: z.enum(['pending', 'completed', 'failed', 'reversed']),
  amountKes: z.number(),
  amountCents: z.number().int(),
  energyKwh: z.number(),
  energyMwh: z.number().int(),
  /** M-Pesa receipt or other payment reference */
  reference: z.string().nullable(),
  /** masked (maskPhone): 2547*****678 */
  phone: z.string().nullable(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
});
export type TransactionResponse = z.infer<typeof transactionResponse>;

export const transactionPageResponse = z.object({
  transactions: z.array(transactionResponse),
  /** pass as `cursor` for the next (older) page; null on the last page */
  next: z.string().nullable(),
});
export type TransactionPage = z.infer<typeof transactionPageResponse>;

/** The original shape: an array, newest first. */
export const transactionArrayResponse = z.array(transactionResponse);

export const transactionIdParam = z.strictObject({ id: z.uuid() });

/** One line of the split; the lines of a receipt sum to its amount. */
export const receiptLineResponse = z.object({
  /** debt (recovered emergency credit), standing, energy, pass_through, levy, vat, rounding */
  kind: z.string(),
  /** the tariff's code for the component ('energy', 'vat', 'fuel', 'epra'…) */
  code: z.string(),
  /** the tariff's own wording, in English */
  label: z.string(),
  amountCents: z.number().int(),
  amountKes: z.number(),
  /** energy the line is charged on (energy, pass-through and per-kWh levy lines) */
  energyKwh: z.number().nullable(),
  /** the configured rate, for display */
  rateCentsPerKwh: z.number().nullable(),
  /** percentage lines: the rate × 100 (1600 is 16%) */
  basisPoints: z.number().int().nullable(),
});

/** A line that explains where some of the energy went; not part of the sum. */
export const receiptInfoLineResponse = z.object({
  code: z.string(),
  label: z.string(),
  energyKwh: z.number(),
  energyMwh: z.number().int(),
  valueCents: z.number().int(),
  valueKes: z.number(),
});

/** `GET /api/transactions/:id/receipt`: a purchase as stored, with its split. */
export const transactionReceiptResponse = z.object({
  transactionId: z.string(),
  meterNo: z.string(),
  /** the meter's paybill account number (what the customer types in M-Pesa) */
  accountNo: z.string(),
  type: z.string(),
  source: z.string(),
  status: z.enum(['pending', 'completed', 'failed', 'reversed']),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  amountCents: z.number().int(),
  amountKes: z.number(),
  energyKwh: z.number(),
  energyMwh: z.number().int(),
  /** the M-Pesa receipt number (STK push or Paybill); null for other credits */
  mpesaReceipt: z.string().nullable(),
  /** masked (maskPhone): 2547*****678 */
  phone: z.string().nullable(),
  /** the meter's balance right after the purchase; null for receipts stored before it was kept */
  balanceAfterKwh: z.number().nullable(),
  tariffId: z.string().nullable(),
  /** the name of the tariff version that priced it; null for receipts stored before versions had names */
  tariffName: z.string().nullable(),
  /** empty when the credit was not priced by the tariff (adjustments, moved payments) */
  lines: z.array(receiptLineResponse),
  infoLines: z.array(receiptInfoLineResponse),
});
export type TransactionReceipt = z.infer<typeof transactionReceiptResponse>;
