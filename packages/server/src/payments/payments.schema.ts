import { METER_NO_MESSAGE, METER_NO_PATTERN_SOURCE } from '@umeme/protocol';
import { z } from 'zod';
import {
  CALLBACK_TOKEN_MAX_CHARS,
  IDEMPOTENCY_KEY_PATTERN,
  STK_MAX_AMOUNT_KES,
  STK_MIN_AMOUNT_KES,
} from './payments.limits';

export const INTENT_STATUSES = ['pending', 'succeeded', 'failed', 'expired', 'unknown'] as const;
export type IntentStatus = (typeof INTENT_STATUSES)[number];

/** Strict: a client cannot slip balance, creditLimit, userId or anything else in (SEC-3). */
export const stkPushBody = z.strictObject({
  /** any common Kenyan spelling; normalised to 2547XXXXXXXX */
  phoneNumber: z.string().min(9).max(20),
  /** whole KES: M-Pesa takes no cents */
  amount: z.number().int('amount must be whole shillings').min(STK_MIN_AMOUNT_KES).max(STK_MAX_AMOUNT_KES),
  meterNo: z.string().regex(new RegExp(METER_NO_PATTERN_SOURCE), METER_NO_MESSAGE),
});
export type StkPushBody = z.infer<typeof stkPushBody>;

/** Headers are never strict (proxies add their own); only the key is read. */
export const stkPushHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN, 'Idempotency-Key must be 1–128 letters, digits or _ . : -')
    .optional(),
});

export const stkPushResponse = z.strictObject({
  intentId: z.string(),
  checkoutRequestId: z.string().nullable(),
  status: z.enum(INTENT_STATUSES),
  customerMessage: z.string(),
});
export type StkPushResponse = z.infer<typeof stkPushResponse>;

export const errorBody = z.strictObject({ error: z.string(), message: z.string() });
export type ErrorBody = z.infer<typeof errorBody>;
/** A 429 says how long to wait: seconds until the limit that refused lets the next request through. */
export const rateLimitedBody = errorBody.extend({ retryAfter: z.number().int().min(0).optional() });

export const intentIdParam = z.strictObject({ id: z.uuid() });

export const intentResponse = z.strictObject({
  intentId: z.string(),
  meterNo: z.string(),
  status: z.enum(INTENT_STATUSES),
  /** readable, for the customer; null while pending or after success */
  reason: z.string().nullable(),
  resultCode: z.number().int().nullable(),
  amountKes: z.number(),
  amountCents: z.number().int(),
  /** masked */
  phone: z.string(),
  checkoutRequestId: z.string().nullable(),
  /** the M-Pesa receipt number; null until a callback brought it */
  receipt: z.string().nullable(),
  transactionId: z.string().nullable(),
  energyKwh: z.number().nullable(),
  createdAt: z.string(),
  resolvedAt: z.string().nullable(),
});
export type IntentResponse = z.infer<typeof intentResponse>;

export const callbackTokenParam = z.strictObject({ token: z.string().max(CALLBACK_TOKEN_MAX_CHARS) });
export const callbackTokenQuery = z.strictObject({ t: z.string().max(CALLBACK_TOKEN_MAX_CHARS).optional() });

export const stkCallbackAck = z.strictObject({ ResultCode: z.literal(0), ResultDesc: z.literal('Accepted') });
