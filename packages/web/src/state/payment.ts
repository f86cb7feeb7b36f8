/**
 * Rules of the "Buy electricity" panel, kept out of React so they can be tested: amounts,
 * the kWh estimate shown before paying, idempotency keys and what an intent's status means.
 */
import type { IntentStatus } from '../api/api-types';
import type { MessageKey } from '../i18n/dictionary';

export const QUICK_AMOUNTS_KES = [50, 100, 200, 500] as const;
/** The server's STK push limits (packages/server/src/payments/payments.limits.ts). */
export const MIN_AMOUNT_KES = 10;
/** M-Pesa's own ceiling; the server's (`stkMaxKes` in `GET /api/config`) is usually lower. */
export const MAX_AMOUNT_KES = 250_000;
/** Sockets deliver at most once: the panel also asks for the intent this often. */
export const INTENT_POLL_MS = 3000;

/** A whole number of shillings within the limits (`maxKes`: the server's ceiling), or null. */
export function parseAmountKes(input: string, maxKes: number = MAX_AMOUNT_KES): number | null {
  const trimmed = input.trim();
  if (!/^\d{1,7}$/.test(trimmed)) return null;
  const kes = Number(trimmed);
  return kes >= MIN_AMOUNT_KES && kes <= Math.min(maxKes, MAX_AMOUNT_KES) ? kes : null;
}

/** A fresh key per attempt: a retried request with the same key never charges twice. */
export function newIdempotencyKey(cryptoImpl: Pick<Crypto, 'getRandomValues'> = crypto): string {
  const bytes = cryptoImpl.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

type IntentOutcome = 'waiting' | 'succeeded' | 'failed';

export function intentOutcome(status: IntentStatus): IntentOutcome {
  if (status === 'succeeded') return 'succeeded';
  if (status === 'failed' || status === 'expired') return 'failed';
  return 'waiting';
}

/**
 * Every M-Pesa result code the server reports (the Daraja emulator's list is the reference, see
 * tests/i18n/error-codes.test.ts), worded in the app's language. The server's English `reason`
 * is never shown: an unknown code reads as `payFailedUnknown`.
 */
const RESULT_CODE_MESSAGES: Readonly<Record<number, MessageKey>> = {
  1: 'payFailedFunds',
  17: 'payFailedSystem',
  26: 'payFailedBusy',
  1001: 'payFailedBusy',
  1019: 'payFailedNoAnswer',
  1025: 'payFailedSystem',
  1031: 'payFailedCancelled',
  1032: 'payFailedCancelled',
  1037: 'payFailedNoAnswer',
  2001: 'payFailedPin',
  9999: 'payFailedSystem',
};

/** The app's own words for a payment's failure: the result code's, or a generic one. */
export function failureMessageKey(resultCode: number | null): MessageKey {
  return resultCode === null ? 'payFailedUnknown' : (RESULT_CODE_MESSAGES[resultCode] ?? 'payFailedUnknown');
}

/** Whether a result code has words of its own (not the generic failure). */
export function hasFailureMessage(resultCode: number): boolean {
  return RESULT_CODE_MESSAGES[resultCode] !== undefined;
}
