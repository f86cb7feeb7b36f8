import { z } from 'zod';

export const SMS_LIST_MAX = 200;

export const smsListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(SMS_LIST_MAX).default(50),
  /** only messages to this meter */
  meterNo: z.string().max(12).optional(),
});
export type SmsListQuery = z.infer<typeof smsListQuery>;

export const smsStatus = z.enum(['queued', 'sending', 'sent', 'delivered', 'failed', 'unknown', 'cancelled']);

export const smsRow = z.strictObject({
  id: z.string(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  meterNo: z.string().nullable(),
  /** masked: operators see whose phone by the meter, not the whole number */
  phone: z.string(),
  kind: z.string(),
  lang: z.enum(['en', 'sw']),
  body: z.string(),
  parts: z.number().int(),
  status: smsStatus,
  attempts: z.number().int(),
  deliveryStatus: z.string().nullable(),
  failureReason: z.string().nullable(),
  lastError: z.string().nullable(),
  /** the gateway's price in ten-thousandths of a shilling */
  costTenThousandths: z.number().int().nullable(),
});

export const smsMonth = z.strictObject({
  month: z.string(),
  messages: z.number().int(),
  parts: z.number().int(),
  costTenThousandths: z.number().int(),
});

export const smsListResponse = z.strictObject({
  /** how SMS go out: Africa's Talking, the emulator, or off */
  gateway: z.enum(['africastalking', 'emulator', 'off']),
  messages: z.array(smsRow),
  months: z.array(smsMonth),
  /** by status, over every message still in the outbox */
  counts: z.record(z.string(), z.number().int()),
});

export const smsPreferences = z.strictObject({
  lang: z.enum(['en', 'sw']),
  optOut: z.boolean(),
});
export type SmsPreferences = z.infer<typeof smsPreferences>;

/** Africa's Talking answers our USSD callback as text; anything else is plain text too. */
export const ussdReplyText = z.string();
export const deliveryAck = z.strictObject({ ok: z.literal(true) });
