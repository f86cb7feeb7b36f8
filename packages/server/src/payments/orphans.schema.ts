import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';
import {
  ORPHAN_ID_MAX_CHARS,
  ORPHAN_PAGE_DEFAULT,
  ORPHAN_PAGE_MAX,
  ORPHAN_REASON_MAX_CHARS,
  ORPHAN_REASON_MIN_CHARS,
} from './payments.limits';

export const ORPHAN_STATES = ['open', 'assigned', 'dismissed'] as const;
export type OrphanState = (typeof ORPHAN_STATES)[number];

/** Any text up to a bound: an id that is no orphan of ours answers 404, like a missing one. */
export const orphanIdParam = z.strictObject({ id: z.string().min(1).max(ORPHAN_ID_MAX_CHARS) });

export const listOrphansQuery = z.strictObject({
  /** open (the default: what needs a decision), assigned, dismissed, or all */
  status: z.enum([...ORPHAN_STATES, 'all']).default('open'),
  limit: z.coerce.number().int().min(1).max(ORPHAN_PAGE_MAX).default(ORPHAN_PAGE_DEFAULT),
  /** nextCursor of the previous page */
  cursor: z
    .string()
    .regex(/^[0-9]{1,18}$/, 'cursor is the nextCursor of a previous page')
    .optional(),
});
export type ListOrphansQuery = z.infer<typeof listOrphansQuery>;

const reason = z.string().trim().min(ORPHAN_REASON_MIN_CHARS).max(ORPHAN_REASON_MAX_CHARS);

export const assignOrphanBody = z.strictObject({
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE),
  /** why this meter: required, kept in the audit log */
  reason,
});
export type AssignOrphanBody = z.infer<typeof assignOrphanBody>;

export const dismissOrphanBody = z.strictObject({ reason });
export type DismissOrphanBody = z.infer<typeof dismissOrphanBody>;

export const orphanResponse = z.strictObject({
  id: z.string(),
  checkoutRequestId: z.string().nullable(),
  merchantRequestId: z.string().nullable(),
  resultCode: z.number().int().nullable(),
  resultDesc: z.string().nullable(),
  /** from the callback's metadata; null on a failure callback */
  amountKes: z.number().nullable(),
  amountCents: z.number().int().nullable(),
  receipt: z.string().nullable(),
  /** as M-Pesa sent it (operators match payers by it) */
  phone: z.string().nullable(),
  /** M-Pesa's YYYYMMDDHHmmss, Kenyan time */
  transactionDate: z.string().nullable(),
  /** whether it can be assigned: a success with a receipt and an amount */
  creditable: z.boolean(),
  receivedAt: z.string(),
  state: z.enum(ORPHAN_STATES),
  resolvedBy: z.string().nullable(),
  resolvedAt: z.string().nullable(),
  reason: z.string().nullable(),
  meterNo: z.string().nullable(),
  transactionId: z.string().nullable(),
});
export type OrphanResponse = z.infer<typeof orphanResponse>;

export const orphanListResponse = z.strictObject({
  orphans: z.array(orphanResponse),
  /** pass as `cursor` for the next (older) page; null on the last page */
  nextCursor: z.string().nullable(),
});
export type OrphanListResponse = z.infer<typeof orphanListResponse>;

export const assignOrphanResponse = z.strictObject({
  orphan: orphanResponse,
  /** false when the receipt had already been credited to this meter: nothing was added */
  credited: z.boolean(),
  energyKwh: z.number().nullable(),
  balanceKwh: z.number(),
});
export type AssignOrphanResponse = z.infer<typeof assignOrphanResponse>;
