import { z } from 'zod';

import type { NoticeKind } from '../sms/sms-texts';

/**
 * What a browser can be told about (the same notices as SMS); the customer picks among them when
 * opting in.
 */
export const PUSH_KINDS = [
  'receipt',
  'low_balance',
  'predicted_low',
  'supply_cut',
  'supply_restored',
  'operator_disconnect',
  'topup_approved',
  'topup_rejected',
  'emergency_credit',
] as const satisfies readonly NoticeKind[];
export type PushKind = (typeof PUSH_KINDS)[number];
// Every notice kind is a push kind too.
const _everyNoticeKind: Record<NoticeKind, PushKind> = {} as Record<NoticeKind, NoticeKind>;
void _everyNoticeKind;

const base64url = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[A-Za-z0-9_-]+=*$/, 'must be base64url');

/** A browser's PushSubscription as `toJSON()` gives it, plus the customer's choices. */
export const pushSubscribeBody = z.strictObject({
  endpoint: z.url({ protocol: /^https?$/ }).max(1024),
  expirationTime: z.number().nullable().optional(),
  keys: z.strictObject({
    /** the browser's P-256 public key: 65 bytes, 87 characters of base64url */
    p256dh: base64url(200),
    /** the browser's 16-byte auth secret */
    auth: base64url(100),
  }),
  lang: z.enum(['en', 'sw']).default('en'),
  /** which notices this browser wants; all of them when left out */
  kinds: z.array(z.enum(PUSH_KINDS)).min(1).max(PUSH_KINDS.length).optional(),
});
export type PushSubscribeBody = z.infer<typeof pushSubscribeBody>;

export const pushUnsubscribeBody = z.strictObject({ endpoint: z.string().min(1).max(1024) });

export const pushConfigResponse = z.strictObject({
  /** the VAPID public key to subscribe with (applicationServerKey) */
  publicKey: z.string(),
  kinds: z.array(z.enum(PUSH_KINDS)),
});

export const pushSubscriptionResponse = z.strictObject({
  endpoint: z.string(),
  lang: z.enum(['en', 'sw']),
  kinds: z.array(z.enum(PUSH_KINDS)),
  createdAt: z.string(),
});

export const pushSubscriptionsResponse = z.strictObject({
  subscriptions: z.array(pushSubscriptionResponse),
});
