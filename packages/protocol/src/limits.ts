export { MAX_WIRE_QUANTITY } from './units';
/** Longest meter number; longer than M-Pesa's 12-character AccountReference (see accountNo). */
export const METER_NO_MAX_CHARS = 32;
export const METER_NO_PATTERN_SOURCE = `^[A-Za-z0-9_-]{1,${METER_NO_MAX_CHARS}}$`;
/** M-Pesa's AccountReference and a paybill BillRefNumber take at most 12 characters. */
export const ACCOUNT_NO_MAX_CHARS = 12;
/** Message for a meter number that does not match the pattern. */
export const METER_NO_MESSAGE = `meter numbers are 1–${METER_NO_MAX_CHARS} letters, digits, - or _`;
