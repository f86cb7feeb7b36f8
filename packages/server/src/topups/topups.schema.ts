import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';

/** Manual channels, reviewed by a person before anything is credited. */
export const TOPUP_CHANNELS = ['cash', 'agent', 'bank', 'other'] as const;
export const TOPUP_STATUSES = ['pending', 'approved', 'rejected'] as const;
export type TopupStatus = (typeof TOPUP_STATUSES)[number];

export const TOPUP_MIN_AMOUNT_KES = 1;
export const TOPUP_MAX_AMOUNT_KES = 1_000_000;
export const TOPUP_REFERENCE_MAX_CHARS = 64;
export const TOPUP_NOTES_MAX_CHARS = 1_000;
/** Largest page; a bigger `limit` is refused, not clipped. */
export const TOPUP_PAGE_MAX = 200;
export const TOPUP_PAGE_DEFAULT = 50;

/**
 * Strict: balance, creditLimit, userId, status and the like cannot be slipped in (SEC-3).
 * The original body `{amount, description}` works too: the meter is then the customer's only
 * one, the channel `other` and the description its reference.
 */
export const topupRequestBody = z.strictObject({
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE).optional(),
  /** KES; at most two decimals */
  amount: z
    .number()
    .min(TOPUP_MIN_AMOUNT_KES)
    .max(TOPUP_MAX_AMOUNT_KES)
    .refine((kes) => Math.abs(kes * 100 - Math.round(kes * 100)) < 1e-6, 'amount has at most two decimals'),
  channel: z.enum(TOPUP_CHANNELS).default('other'),
  reference: z.string().trim().min(1).max(TOPUP_REFERENCE_MAX_CHARS).optional(),
  /** the original body's free text; kept as the reference when there is none */
  description: z.string().trim().min(1).max(TOPUP_REFERENCE_MAX_CHARS).optional(),
});
export type TopupRequestBody = z.infer<typeof topupRequestBody>;

export const topupIdParam = z.strictObject({ id: z.uuid() });

/** The original approval body `{"status":"success"}` (and `"failed"`) means approved (rejected). */
export const processTopupBody = z
  .strictObject({
    status: z
      .enum(['approved', 'rejected', 'success', 'failed'])
      .transform((s) => (s === 'success' ? 'approved' : s === 'failed' ? 'rejected' : s)),
    admin_notes: z.string().trim().max(TOPUP_NOTES_MAX_CHARS).default(''),
  })
  // The customer is told why: a rejection without a reason is refused.
  .refine((b) => b.status !== 'rejected' || b.admin_notes !== '', {
    message: 'A rejection needs a reason in admin_notes: the customer is told it.',
    path: ['admin_notes'],
  });
export type ProcessTopupBody = z.infer<typeof processTopupBody>;

export const listTopupsQuery = z.strictObject({
  status: z.enum(TOPUP_STATUSES).optional(),
  /** one meter's requests (a customer's dashboard); a meter not theirs lists nothing */
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE).optional(),
  /** `oldest` first for the operators' pending queue; `newest` first otherwise */
  order: z.enum(['newest', 'oldest']).default('newest'),
  limit: z.coerce.number().int().min(1).max(TOPUP_PAGE_MAX).default(TOPUP_PAGE_DEFAULT),
});
export type ListTopupsQuery = z.infer<typeof listTopupsQuery>;

export const topupResponse = z.strictObject({
  id: z.string(),
  meterNo: z.string(),
  userId: z.string(),
  /** the requesting customer's name and phone, for the operators' queue */
  customerName: z.string(),
  customerPhone: z.string().nullable(),
  amountKes: z.number(),
  amountCents: z.number().int(),
  channel: z.string(),
  reference: z.string().nullable(),
  status: z.enum(TOPUP_STATUSES),
  adminNotes: z.string().nullable(),
  processedBy: z.string().nullable(),
  processedAt: z.string().nullable(),
  transactionId: z.string().nullable(),
  createdAt: z.string(),
});
export type TopupResponse = z.infer<typeof topupResponse>;

export const topupListResponse = z.strictObject({ topups: z.array(topupResponse) });
