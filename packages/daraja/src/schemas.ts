/**
 * The Daraja wire: zod schemas and types for every request and answer we exchange with
 * Safaricom, plus the small pure helpers around them (password, Kenyan timestamp, MSISDN,
 * callback metadata, readable result reasons).
 *
 * Answers and callbacks that Safaricom sends us are parsed with loose objects: Safaricom adds
 * fields over time and an unknown field must not turn a real payment into a parse failure.
 * Requests that we build are strict, so a typo never reaches the wire.
 */
import { z } from 'zod';
import { kesToCents } from '@umeme/protocol';
import {
  MAX_ACCOUNT_REFERENCE_CHARS,
  MAX_CALLBACK_ITEMS,
  MAX_STK_AMOUNT_KES,
  MAX_TRANSACTION_DESC_CHARS,
  MAX_URL_CHARS,
} from './limits';

// ---------------------------------------------------------------------------------------------
// Small building blocks

/** Kenyan mobile numbers as Daraja wants them: 254 followed by 7XXXXXXXX or 1XXXXXXXX. */
export const MSISDN_PATTERN = /^254[17]\d{8}$/;
/** `YYYYMMDDHHmmss`, Kenyan time. */
export const DARAJA_TIMESTAMP_PATTERN = /^\d{14}$/;

export function isHttpUrl(text: string): boolean {
  if (text.length > MAX_URL_CHARS) return false;
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

const shortCodeSchema = z.string().regex(/^\d{5,7}$/, 'a 5 to 7 digit shortcode');
const msisdnSchema = z.string().regex(MSISDN_PATTERN, 'a phone number 2547XXXXXXXX or 2541XXXXXXXX');
const httpUrlSchema = z.string().refine(isHttpUrl, 'an http(s) URL');
const timestampSchema = z.string().regex(DARAJA_TIMESTAMP_PATTERN, 'YYYYMMDDHHmmss');
const idSchema = z.string().min(1).max(128);
const descSchema = z.string().max(1024);

// ---------------------------------------------------------------------------------------------
// OAuth

/** `GET /oauth/v1/generate?grant_type=client_credentials`. `expires_in` is a string of seconds. */
export const oauthTokenResponseSchema = z.looseObject({
  access_token: z.string().min(1).max(4096),
  expires_in: z.union([z.string().regex(/^\d{1,9}$/), z.number().int().nonnegative()]),
});
export type OAuthTokenResponse = z.infer<typeof oauthTokenResponseSchema>;

/** Daraja's error envelope, returned with a non-2xx status by every endpoint. */
export const darajaErrorResponseSchema = z.looseObject({
  requestId: z.string().max(256).optional(),
  errorCode: z.string().min(1).max(64),
  errorMessage: z.string().max(1024),
});
export type DarajaErrorResponse = z.infer<typeof darajaErrorResponseSchema>;

// ---------------------------------------------------------------------------------------------
// M-Pesa Express (STK push)

export const STK_TRANSACTION_TYPES = ['CustomerPayBillOnline', 'CustomerBuyGoodsOnline'] as const;
export const stkTransactionTypeSchema = z.enum(STK_TRANSACTION_TYPES);
export type StkTransactionType = z.infer<typeof stkTransactionTypeSchema>;

/** `POST /mpesa/stkpush/v1/processrequest`. Amount is whole shillings: Daraja has no cents. */
export const stkPushRequestSchema = z.strictObject({
  BusinessShortCode: shortCodeSchema,
  Password: z.string().min(1).max(512),
  Timestamp: timestampSchema,
  TransactionType: stkTransactionTypeSchema,
  Amount: z.number().int().min(1).max(MAX_STK_AMOUNT_KES),
  PartyA: msisdnSchema,
  PartyB: shortCodeSchema,
  PhoneNumber: msisdnSchema,
  CallBackURL: httpUrlSchema,
  AccountReference: z.string().min(1).max(MAX_ACCOUNT_REFERENCE_CHARS),
  TransactionDesc: z.string().min(1).max(MAX_TRANSACTION_DESC_CHARS),
});
export type StkPushRequest = z.infer<typeof stkPushRequestSchema>;

/** The synchronous answer to a push. It means "prompt sent", never "paid". */
export const stkPushResponseSchema = z.looseObject({
  MerchantRequestID: idSchema,
  CheckoutRequestID: idSchema,
  ResponseCode: z.literal('0'),
  ResponseDescription: descSchema,
  CustomerMessage: descSchema,
});
export type StkPushResponse = z.infer<typeof stkPushResponseSchema>;

/** `POST /mpesa/stkpushquery/v1/query`. */
export const stkQueryRequestSchema = z.strictObject({
  BusinessShortCode: shortCodeSchema,
  Password: z.string().min(1).max(512),
  Timestamp: timestampSchema,
  CheckoutRequestID: idSchema,
});
export type StkQueryRequest = z.infer<typeof stkQueryRequestSchema>;

/**
 * The query answer carries ResultCode as a string ("0", "1032"); a number is accepted too and
 * turned into its text so that one odd payload cannot stall reconciliation.
 */
const codeTextSchema = z.union([z.string().regex(/^\d{1,9}$/), z.number().int()]).transform(String);
export const stkQueryResponseSchema = z.looseObject({
  ResponseCode: codeTextSchema,
  ResponseDescription: descSchema,
  MerchantRequestID: idSchema,
  CheckoutRequestID: idSchema,
  ResultCode: codeTextSchema,
  ResultDesc: descSchema,
});
export type StkQueryResponse = z.infer<typeof stkQueryResponseSchema>;

export const callbackMetadataItemSchema = z.looseObject({
  Name: z.string().min(1).max(64),
  // Some items (Balance) arrive without a Value at all.
  Value: z.union([z.string().max(256), z.number()]).optional(),
});
export type CallbackMetadataItem = z.infer<typeof callbackMetadataItemSchema>;

export const stkCallbackSchema = z.looseObject({
  MerchantRequestID: idSchema,
  CheckoutRequestID: idSchema,
  ResultCode: z.number().int(),
  ResultDesc: descSchema,
  // Present on success only; failed results carry no metadata.
  CallbackMetadata: z
    .looseObject({ Item: z.array(callbackMetadataItemSchema).max(MAX_CALLBACK_ITEMS) })
    .optional(),
});
export type StkCallback = z.infer<typeof stkCallbackSchema>;

/** What Daraja POSTs to our CallBackURL. */
export const stkCallbackBodySchema = z.looseObject({
  Body: z.looseObject({ stkCallback: stkCallbackSchema }),
});
export type StkCallbackBody = z.infer<typeof stkCallbackBodySchema>;

export interface CallbackMetadata {
  amountCents?: number;
  mpesaReceiptNumber?: string;
  /** `YYYYMMDDHHmmss`, Kenyan time, as sent; see `parseDarajaTimestamp`. */
  transactionDate?: string;
  phoneNumber?: string;
}

/**
 * Reads the metadata items by Name, because the list varies in length and order between
 * payloads. Items without a Value, or with a value of the wrong kind, are skipped: the caller
 * decides whether a success without an amount is acceptable.
 */
export function readCallbackMetadata(items: readonly CallbackMetadataItem[] | undefined): CallbackMetadata {
  const out: CallbackMetadata = {};
  for (const item of items ?? []) {
    const value = item.Value;
    if (value === undefined) continue;
    switch (item.Name) {
      case 'Amount': {
        const cents = amountToCents(value);
        if (cents !== undefined && out.amountCents === undefined) out.amountCents = cents;
        break;
      }
      case 'MpesaReceiptNumber':
        if (out.mpesaReceiptNumber === undefined && String(value).length > 0) {
          out.mpesaReceiptNumber = String(value);
        }
        break;
      case 'TransactionDate': {
        const text = typeof value === 'number' ? integerText(value) : value.trim();
        if (text !== undefined && DARAJA_TIMESTAMP_PATTERN.test(text) && out.transactionDate === undefined) {
          out.transactionDate = text;
        }
        break;
      }
      case 'PhoneNumber': {
        // Usually a number (254712345678); newer payloads may carry a masked string instead.
        const text = typeof value === 'number' ? integerText(value) : value.trim();
        if (text !== undefined && text.length > 0 && out.phoneNumber === undefined) out.phoneNumber = text;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function integerText(value: number): string | undefined {
  return Number.isSafeInteger(value) && value >= 0 ? String(value) : undefined;
}

/** A KES amount (number like 100 or 99.5, or decimal text like "100.00") to integer cents. */
function amountToCents(value: string | number): number | undefined {
  const kes =
    typeof value === 'number' ? value : /^\d{1,12}(\.\d{1,6})?$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(kes) || kes < 0) return undefined;
  try {
    return kesToCents(kes);
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// C2B (paybill)

export const C2B_RESPONSE_TYPES = ['Completed', 'Cancelled'] as const;

/** `POST /mpesa/c2b/v1/registerurl`. ResponseType is what M-Pesa does when validation is unreachable. */
export const c2bRegisterUrlRequestSchema = z.strictObject({
  ShortCode: shortCodeSchema,
  ResponseType: z.enum(C2B_RESPONSE_TYPES),
  ConfirmationURL: httpUrlSchema,
  ValidationURL: httpUrlSchema,
});
export type C2bRegisterUrlRequest = z.infer<typeof c2bRegisterUrlRequestSchema>;

/** Safaricom spells the first field "OriginatorCoversationID"; we keep its spelling. */
export const c2bRegisterUrlResponseSchema = z.looseObject({
  OriginatorCoversationID: z.string().max(256).optional(),
  ResponseCode: z.literal('0'),
  ResponseDescription: descSchema,
});
export type C2bRegisterUrlResponse = z.infer<typeof c2bRegisterUrlResponseSchema>;

/** TransAmount is decimal text such as "100.00". */
export const TRANS_AMOUNT_PATTERN = /^\d{1,9}(\.\d{1,2})?$/;
const optionalText = z.string().max(256).optional();

/** The body M-Pesa POSTs to both the ValidationURL and the ConfirmationURL. */
export const c2bTransactionSchema = z.looseObject({
  TransactionType: z.string().max(64),
  TransID: z.string().min(1).max(64),
  TransTime: timestampSchema,
  TransAmount: z.string().regex(TRANS_AMOUNT_PATTERN, 'decimal text such as "100.00"'),
  BusinessShortCode: z.string().min(1).max(16),
  BillRefNumber: z.string().max(64),
  InvoiceNumber: optionalText,
  OrgAccountBalance: optionalText,
  ThirdPartyTransID: optionalText,
  // May be masked ("2547 ***** 126") or hashed in newer payloads: never use it to find a meter.
  MSISDN: z.string().max(128),
  FirstName: optionalText,
  MiddleName: optionalText,
  LastName: optionalText,
});
export type C2bTransaction = z.infer<typeof c2bTransactionSchema>;
export type C2bValidationRequest = C2bTransaction;
export type C2bConfirmationRequest = C2bTransaction;

/** "100.00" → 10000. Returns undefined for anything that is not plain decimal text. */
export function transAmountToCents(transAmount: string): number | undefined {
  if (!TRANS_AMOUNT_PATTERN.test(transAmount)) return undefined;
  return amountToCents(transAmount);
}

/** Documented reasons a validation may refuse a payment. */
export const C2B_REJECT_CODES = {
  C2B00011: 'Invalid MSISDN',
  C2B00012: 'Invalid Account Number',
  C2B00013: 'Invalid Amount',
  C2B00014: 'Invalid KYC Details',
  C2B00015: 'Invalid Shortcode',
  C2B00016: 'Other Error',
} as const;
export type C2bRejectCode = keyof typeof C2B_REJECT_CODES;

export const c2bValidationAcceptSchema = z.strictObject({
  ResultCode: z.literal('0'),
  ResultDesc: z.literal('Accepted'),
});
export const c2bValidationRejectSchema = z.strictObject({
  ResultCode: z.enum(Object.keys(C2B_REJECT_CODES) as [C2bRejectCode, ...C2bRejectCode[]]),
  ResultDesc: z.literal('Rejected'),
});
export const c2bValidationResponseSchema = z.union([c2bValidationAcceptSchema, c2bValidationRejectSchema]);
export type C2bValidationResponse = z.infer<typeof c2bValidationResponseSchema>;

/** Confirmation is acknowledged with a numeric ResultCode, unlike validation. */
export const c2bConfirmationResponseSchema = z.strictObject({
  ResultCode: z.literal(0),
  ResultDesc: z.literal('Success'),
});
export type C2bConfirmationResponse = z.infer<typeof c2bConfirmationResponseSchema>;

export function c2bAccept(): C2bValidationResponse {
  return { ResultCode: '0', ResultDesc: 'Accepted' };
}
export function c2bReject(code: C2bRejectCode = 'C2B00012'): C2bValidationResponse {
  return { ResultCode: code, ResultDesc: 'Rejected' };
}
export function c2bConfirmationAck(): C2bConfirmationResponse {
  return { ResultCode: 0, ResultDesc: 'Success' };
}

// ---------------------------------------------------------------------------------------------
// Result codes

/** Result codes met in practice (docs/design.md §7), with the reason we show to a customer. */
export const RESULT_CODE_REASONS: Readonly<Record<number, string>> = {
  0: 'Payment received',
  1: 'Insufficient M-Pesa balance',
  17: 'M-Pesa could not process the payment right now; please try again',
  26: 'M-Pesa is busy; please try again in a moment',
  1001: 'Another M-Pesa transaction is in progress on this phone; finish it and try again',
  1019: 'The payment request expired before it was completed',
  1025: 'The payment prompt could not be sent to the phone; please try again',
  9999: 'The payment prompt could not be sent to the phone; please try again',
  1031: 'Payment cancelled on the phone',
  1032: 'Payment cancelled on the phone',
  1037: 'The phone could not be reached or did not respond in time',
  2001: 'Wrong M-Pesa PIN entered',
};

export function resultCodeReason(code: number | string): string {
  const n = typeof code === 'number' ? code : /^\d{1,9}$/.test(code.trim()) ? Number(code) : NaN;
  return RESULT_CODE_REASONS[n] ?? `Payment failed (M-Pesa code ${String(code).slice(0, 16)})`;
}

// ---------------------------------------------------------------------------------------------
// Password, Kenyan time, phone numbers

export function stkPassword(shortCode: string, passkey: string, timestamp: string): string {
  return Buffer.from(`${shortCode}${passkey}${timestamp}`, 'utf8').toString('base64');
}

/** Kenya keeps UTC+3 all year (no daylight saving), so a fixed offset is exact. */
const NAIROBI_OFFSET_MS = 3 * 60 * 60 * 1000;

function pad2(n: number): string {
  return n.toString().padStart(2, '0');
}

/**
 * `YYYYMMDDHHmmss` in Africa/Nairobi time. Computed from the UTC instant, never from the
 * machine's time zone, so a server running in UTC still sends what Daraja expects.
 */
export function darajaTimestamp(date: Date = new Date()): string {
  const ms = date.getTime();
  if (!Number.isFinite(ms)) throw new RangeError('darajaTimestamp: invalid date');
  const k = new Date(ms + NAIROBI_OFFSET_MS);
  return (
    k.getUTCFullYear().toString().padStart(4, '0') +
    pad2(k.getUTCMonth() + 1) +
    pad2(k.getUTCDate()) +
    pad2(k.getUTCHours()) +
    pad2(k.getUTCMinutes()) +
    pad2(k.getUTCSeconds())
  );
}

/** The inverse of `darajaTimestamp`; null for text that is not a real Kenyan wall-clock time. */
export function parseDarajaTimestamp(text: string): Date | null {
  if (!DARAJA_TIMESTAMP_PATTERN.test(text)) return null;
  const n = (from: number, to: number): number => Number(text.slice(from, to));
  const ms = Date.UTC(n(0, 4), n(4, 6) - 1, n(6, 8), n(8, 10), n(10, 12), n(12, 14)) - NAIROBI_OFFSET_MS;
  const date = new Date(ms);
  // Date.UTC silently rolls month 13 or day 32 over; the round trip refuses them.
  return Number.isFinite(ms) && darajaTimestamp(date) === text ? date : null;
}

/**
 * '0712345678', '+254712345678', '254712345678', '712345678' (spaces and dashes ignored)
 * → '254712345678'; the same for 01XXXXXXXX numbers. Anything else → null.
 */
export function normalizeMsisdn(input: string): string | null {
  if (typeof input !== 'string' || input.length > 32) return null;
  const compact = input.replace(/[\s-]/g, '');
  const match = /^(?:\+254|254|0)?([17]\d{8})$/.exec(compact);
  return match?.[1] === undefined ? null : `254${match[1]}`;
}

/** For logs: enough of the number to recognise it, not enough to reuse it. */
export function maskMsisdn(msisdn: string): string {
  if (msisdn.length < 8) return '***';
  return `${msisdn.slice(0, 6)}***${msisdn.slice(-3)}`;
}
