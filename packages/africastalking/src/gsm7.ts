/**
 * How an SMS text is encoded and how many messages (each one a charge) it takes. GSM 03.38's
 * default alphabet fits 160 characters in one message and 153 in each part of a long one; the
 * extension table's characters (€ [ ] { } \ ~ ^ |) take two places each. Anything else makes
 * the whole message UCS-2: 70 per message, 67 per part. Kiswahili needs nothing outside GSM-7;
 * a curly quote or an emoji from a customer's name would quietly double the cost.
 */

const GSM7_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\u001bÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
  '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM7_EXTENSION = '\f^{}\\[~]|€';

const BASIC = new Set(Array.from(GSM7_BASIC).filter((c) => c !== '\u001b'));
const EXTENSION = new Set(Array.from(GSM7_EXTENSION));

export const SMS_SINGLE_GSM7 = 160;
export const SMS_PART_GSM7 = 153;
export const SMS_SINGLE_UCS2 = 70;
export const SMS_PART_UCS2 = 67;

export type SmsEncoding = 'gsm7' | 'ucs2';

export interface SmsLength {
  encoding: SmsEncoding;
  /** Septets for GSM-7 (extension characters count two), UTF-16 code units for UCS-2. */
  units: number;
  /** Messages the network bills for this text. */
  parts: number;
  /** Units left in the last part before another part is needed. */
  remaining: number;
}

/** Whether every character of the text is in GSM-7's default alphabet or its extension. */
export function isGsm7(text: string): boolean {
  for (const c of text) if (!BASIC.has(c) && !EXTENSION.has(c)) return false;
  return true;
}

export function smsLength(text: string): SmsLength {
  if (isGsm7(text)) {
    let units = 0;
    for (const c of text) units += EXTENSION.has(c) ? 2 : 1;
    return sized('gsm7', units, SMS_SINGLE_GSM7, SMS_PART_GSM7);
  }
  return sized('ucs2', text.length, SMS_SINGLE_UCS2, SMS_PART_UCS2);
}

function sized(encoding: SmsEncoding, units: number, single: number, part: number): SmsLength {
  if (units <= single) return { encoding, units, parts: units === 0 ? 0 : 1, remaining: single - units };
  const parts = Math.ceil(units / part);
  return { encoding, units, parts, remaining: parts * part - units };
}

/**
 * Replaces the characters people paste that push a text out of GSM-7 (curly quotes, dashes,
 * ellipsis, non-breaking space) by their plain forms; anything else is left as it is.
 */
export function toGsm7Friendly(text: string): string {
  return text
    .replace(/[\u2018\u2019\u201a\u2032]/g, "'")
    .replace(/[\u201c\u201d\u201e\u2033]/g, '"')
    .replace(/[\u2013\u2014\u2212]/g, '-')
    .replace(/\u2026/g, '...')
    .replace(/[\u00a0\u2007\u202f]/g, ' ');
}
