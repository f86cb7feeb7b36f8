/**
 * Africa's Talking wire shapes: the SMS send answer, delivery reports and the USSD callback, as
 * its API documents them. Numbers travel in international form (+2547…); texts as given.
 */
import { z } from 'zod';

export type AtEnv = 'sandbox' | 'production';

export function atBaseUrlFor(env: AtEnv): string {
  return env === 'production' ? 'https://api.africastalking.com' : 'https://api.sandbox.africastalking.com';
}

/** Per-recipient status codes of `POST /version1/messaging`. */
export const AT_SMS_STATUS = {
  100: 'Processed',
  101: 'Success',
  102: 'Queued',
  401: 'RiskHold',
  402: 'InvalidSenderId',
  403: 'InvalidPhoneNumber',
  404: 'UnsupportedNumberType',
  405: 'InsufficientBalance',
  406: 'UserInBlacklist',
  407: 'CouldNotRoute',
  409: 'DoNotDisturbRejection',
  500: 'InternalServerError',
  501: 'GatewayError',
  502: 'RejectedByGateway',
} as const;
export type AtSmsStatusCode = keyof typeof AT_SMS_STATUS;

/** Accepted by the gateway: the message is on its way (a delivery report follows). */
export const AT_ACCEPTED_CODES: ReadonlySet<number> = new Set([100, 101, 102]);
/**
 * Refused for this number for good: sending again would be refused again (or, for a blacklist or
 * do-not-disturb, would go against the subscriber's own choice).
 */
export const AT_PERMANENT_CODES: ReadonlySet<number> = new Set([402, 403, 404, 406, 409]);

export const sendSmsResponseSchema = z.object({
  SMSMessageData: z.object({
    Message: z.string(),
    Recipients: z.array(
      z.object({
        statusCode: z.number().int(),
        number: z.string(),
        status: z.string(),
        cost: z.string(),
        messageId: z.string(),
      }),
    ),
  }),
});
export type SendSmsResponse = z.infer<typeof sendSmsResponseSchema>;

export const DELIVERY_STATUSES = [
  'Sent',
  'Submitted',
  'Buffered',
  'Rejected',
  'Success',
  'Failed',
  'AbsentSubscriber',
] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];
/** The last word on a message: no later report changes it. */
export const FINAL_DELIVERY_STATUSES: ReadonlySet<DeliveryStatus> = new Set([
  'Rejected',
  'Success',
  'Failed',
  'AbsentSubscriber',
]);

/** Form fields of a delivery report POSTed to our callback. */
export const deliveryReportSchema = z.object({
  id: z.string().min(1).max(100),
  status: z.enum(DELIVERY_STATUSES),
  phoneNumber: z.string().min(1).max(20),
  networkCode: z.string().max(10).optional(),
  failureReason: z.string().max(100).optional(),
  retryCount: z.coerce.number().int().min(0).max(1000).optional(),
});
export type DeliveryReport = z.infer<typeof deliveryReportSchema>;

/** Longest USSD `text` we accept: every answer of the session so far, joined by `*`. */
export const MAX_USSD_TEXT_CHARS = 182 * 4;

/** Form fields of a USSD callback. */
export const ussdCallbackSchema = z.object({
  sessionId: z.string().min(1).max(100),
  serviceCode: z.string().min(1).max(40),
  phoneNumber: z.string().min(1).max(20),
  networkCode: z.string().max(10).optional(),
  text: z.string().max(MAX_USSD_TEXT_CHARS).default(''),
});
export type UssdCallback = z.infer<typeof ussdCallbackSchema>;

/** The caller's answers so far: `""` is the session's first request, `"1*2"` two answers. */
export function ussdAnswers(text: string): string[] {
  return text === '' ? [] : text.split('*');
}

/** The most a USSD screen shows; longer replies are cut by the network. */
export const MAX_USSD_REPLY_CHARS = 182;

/** `CON …` keeps the session open for an answer, `END …` closes it. */
export function ussdReply(kind: 'CON' | 'END', text: string): string {
  return `${kind} ${text}`;
}

const KENYAN_MSISDN = /^(?:\+?254|0)?([17]\d{8})$/;

/** +2547XXXXXXXX from any common spelling of a Kenyan mobile number, or null. */
export function toInternationalMsisdn(phone: string): string | null {
  const m = KENYAN_MSISDN.exec(phone.replace(/[\s-]/g, ''));
  return m ? `+254${m[1]}` : null;
}

/** "KES 0.8000" → 8000 ten-thousandths of a shilling (integer), or null if unreadable. */
export function parseAtCost(cost: string): { currency: string; tenThousandths: number } | null {
  const m = /^([A-Z]{3}) (\d{1,9})(?:\.(\d{1,4}))?$/.exec(cost.trim());
  if (!m) return null;
  const frac = (m[3] ?? '').padEnd(4, '0');
  return { currency: m[1]!, tenThousandths: Number(m[2]) * 10_000 + Number(frac) };
}
