/**
 * Every limit of the payments capability, named once. Limits that an operator may want to
 * change per deployment live in config.ts instead (rate limits, timeouts).
 */
import { darajaLimits } from '@umeme/daraja';

/** Smallest STK purchase (whole KES): below this the prompt costs more attention than it buys. */
export const STK_MIN_AMOUNT_KES = 10;
/** Daraja's own per-transaction ceiling for M-Pesa Express. */
export const STK_MAX_AMOUNT_KES = darajaLimits.MAX_STK_AMOUNT_KES;
/**
 * How long a prompt still pending (or unknown) blocks the next push to its phone. M-Pesa shows a
 * prompt for about a minute; past this an intent we have not heard about no longer blocks
 * (reconciliation settles it), so a lost callback cannot lock a phone out.
 */
export const STK_PROMPT_BLOCKS_S = 180;
/** Shown on the customer's phone as the purpose; Daraja keeps 13 characters. */
export const STK_TRANSACTION_DESC = 'Electricity';

/** Idempotency-Key: what Stripe and the IETF draft accept, bounded. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,128}$/;
/**
 * How long a retry waits for the first request with its key to finish. Longer than one Daraja
 * request (its timeout) so a slow push is waited for, not answered "in progress".
 */
export const IDEMPOTENCY_WAIT_MS = 15_000;
export const IDEMPOTENCY_POLL_MS = 25;

/** Per request to Daraja (connect, send, read). */
export const DARAJA_REQUEST_TIMEOUT_MS = 10_000;

/** Callback tokens are compared through their hashes; longer text is refused unread. */
export const CALLBACK_TOKEN_MAX_CHARS = 256;

/** Reconciliation: intents claimed per database round trip, per run, and queried at once. */
export const RECONCILE_BATCH = 100;
export const RECONCILE_MAX_PER_RUN = 2_000;
export const RECONCILE_QUERY_CONCURRENCY = 8;
/** An intent claimed by one instance is left alone by the others this long (covers its query). */
export const RECONCILE_LEASE_S = 60;
/** A callback persisted but not settled this long ago is settled again by reconciliation. */
export const UNSETTLED_CALLBACK_AGE_S = 5;
export const UNSETTLED_CALLBACK_BATCH = 200;

/** Orphan review: page sizes, and the operator's reason for assigning or dismissing one. */
export const ORPHAN_PAGE_MAX = 200;
export const ORPHAN_PAGE_DEFAULT = 50;
export const ORPHAN_REASON_MIN_CHARS = 3;
export const ORPHAN_REASON_MAX_CHARS = 500;
/** Callback ids are bigserial; anything longer is not one of ours. */
export const ORPHAN_ID_MAX_CHARS = 40;

/**
 * Requests a second one instance sends to Safaricom unless DARAJA_MAX_REQUESTS_PER_S says
 * otherwise: below the transactions per second Safaricom grants an app (its gateway answers
 * 500.003.02 spike arrest above them).
 */
export const DARAJA_DEFAULT_MAX_REQUESTS_PER_S = 20;
/** The shared OAuth token's row in `settings` (issue 16 §3). */
export const DARAJA_TOKEN_SETTINGS_KEY = 'daraja_oauth_token';
