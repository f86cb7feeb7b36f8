/**
 * Every limit of the Daraja adapter, named once. Values that come from Safaricom's published
 * documentation say so; the rest are our own guards against runaway input or memory.
 */

/** Daraja's per-transaction ceiling for M-Pesa Express (KES, whole shillings). */
export const MAX_STK_AMOUNT_KES = 250_000;
/** Daraja documents AccountReference as at most 12 characters; ours is the meter's paybill account number. */
export const MAX_ACCOUNT_REFERENCE_CHARS = 12;
/** Daraja documents TransactionDesc as at most 13 characters. */
export const MAX_TRANSACTION_DESC_CHARS = 13;
/** Longest TransactionDesc the emulator lets through; Daraja fails longer ones with 1025/9999. */
export const EMULATOR_MAX_TRANSACTION_DESC_CHARS = 182;
/** BillRefNumber typed by a customer at a paybill: alphanumeric, up to 20 characters. */
export const MAX_BILL_REF_CHARS = 20;
export const MAX_URL_CHARS = 512;
/** Metadata items in one STK callback; Safaricom sends five, we refuse absurd lists. */
export const MAX_CALLBACK_ITEMS = 32;

/** Daraja answers are small JSON documents; anything larger is refused unread. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 60_000;
export const DEFAULT_RETRIES = 2;
export const MAX_RETRIES = 5;
export const RETRY_BASE_DELAY_MS = 200;
export const RETRY_MAX_DELAY_MS = 5_000;
/** Refresh the OAuth token this long before Daraja says it expires, so no request races expiry. */
export const TOKEN_REFRESH_MARGIN_MS = 60_000;
/** Bounds on the token lifetime we accept from the wire (seconds). */
export const MAX_TOKEN_LIFETIME_S = 86_400;

export const EMULATOR_BODY_LIMIT_BYTES = 64 * 1024;
export const EMULATOR_MAX_TRANSACTIONS = 100_000;
export const EMULATOR_MAX_TOKENS = 10_000;
export const EMULATOR_MAX_PHONE_OUTCOMES = 10_000;
export const EMULATOR_MAX_C2B_REGISTRATIONS = 100;
export const EMULATOR_MAX_DELIVERIES = 100;
/** Requests the emulator remembers in `arrivals`. */
export const EMULATOR_MAX_ARRIVALS = 10_000;
export const EMULATOR_MAX_DELAY_MS = 10 * 60_000;
export const EMULATOR_TOKEN_LIFETIME_S = 3599;
export const EMULATOR_PROMPT_TIMEOUT_MS = 60_000;
/** A Timestamp further than this from the emulator's clock is refused (catches UTC-instead-of-Nairobi). */
export const EMULATOR_TIMESTAMP_TOLERANCE_MS = 15 * 60_000;
export const EMULATOR_CALLBACK_TIMEOUT_MS = 10_000;
/** Daraja waits about eight seconds for a validation answer before applying the default action. */
export const EMULATOR_C2B_VALIDATION_TIMEOUT_MS = 8_000;
export const EMULATOR_MAX_PROMPTS_LISTED = 50;
