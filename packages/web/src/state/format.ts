import { intlLocale, translate, type Locale } from '../i18n/i18n';

/**
 * The flat tariff (docs/design.md §2): what a balance is worth only until the server's quote
 * for the tariff in force arrives (`GET /api/tariff/quote`), never to bill.
 */
export const TARIFF_KES_PER_KWH = 20;

/** Every time the customer reads is Kenya's, whatever the browser's own zone (issue 17 §4). */
export const APP_TIME_ZONE = 'Africa/Nairobi';
/** The label shown after such a time. */
export const APP_TIME_ZONE_LABEL = 'EAT';

/** Digits of kWh the balance headline shows: Wh, the smallest step a report moves it by. */
export const BALANCE_KWH_DIGITS = 3;

const MS_PER_MINUTE = 60_000;
const MS_PER_HOUR = 3_600_000;
const MS_PER_DAY = 86_400_000;
const MS_PER_YEAR = 365 * MS_PER_DAY;

/** Wire timestamps below this are Unix seconds, above it milliseconds (the year 5138 in seconds). */
const SECONDS_EPOCH_CEILING = 1e11;

/** KES a balance is worth at `kesPerKwh` (the quoted price of the tariff in force). */
export function balanceWorthKes(balanceKwh: number, kesPerKwh: number = TARIFF_KES_PER_KWH): number {
  return balanceKwh * kesPerKwh;
}

/** KES per kWh from the server's quote of an amount at the tariff in force; null if it bought nothing. */
export function kesPerKwhFromQuote(amountCents: number, energyMwh: number): number | null {
  if (!(energyMwh > 0) || !(amountCents > 0)) return null;
  // cents/mWh × (1e6 mWh/kWh ÷ 100 cents/KES)
  return (amountCents / energyMwh) * 10_000;
}

/**
 * The balance headline: kWh to the watt-hour, so it moves with every consumption report that
 * used at least 1 Wh. The digits stay fixed (and the font's figures are tabular), so the text
 * never changes width between reports.
 */
export function formatBalanceKwh(locale: Locale, kwh: number): string {
  return formatNumber(locale, kwh, BALANCE_KWH_DIGITS);
}

function numberFormat(locale: Locale, fractionDigits: number): Intl.NumberFormat {
  return new Intl.NumberFormat(intlLocale[locale], {
    minimumFractionDigits: fractionDigits,
    maximumFractionDigits: fractionDigits,
  });
}

export function formatNumber(locale: Locale, value: number, fractionDigits = 2): string {
  // -0.00 reads as a debt of nothing: show 0.00
  const shown = Math.abs(value) < 0.5 * 10 ** -fractionDigits ? 0 : value;
  return numberFormat(locale, fractionDigits).format(shown);
}

export function formatKwh(locale: Locale, kwh: number, fractionDigits = 2): string {
  return `${formatNumber(locale, kwh, fractionDigits)} kWh`;
}

export function formatKes(locale: Locale, kes: number): string {
  return `KSh ${formatNumber(locale, kes, 2)}`;
}

export function formatPowerW(locale: Locale, powerW: number): string {
  if (Math.abs(powerW) >= 1000) return `${formatNumber(locale, powerW / 1000, 2)} kW`;
  return `${formatNumber(locale, powerW, 0)} W`;
}

/** A duration as a customer reads it: the two largest units, rounded down. */
export function formatDuration(locale: Locale, durationMs: number): string {
  if (durationMs >= MS_PER_YEAR) return translate(locale, 'durationOverYear');
  if (durationMs < MS_PER_MINUTE) return translate(locale, 'durationUnderMinute');
  const days = Math.floor(durationMs / MS_PER_DAY);
  const hours = Math.floor((durationMs % MS_PER_DAY) / MS_PER_HOUR);
  const minutes = Math.floor((durationMs % MS_PER_HOUR) / MS_PER_MINUTE);
  if (days > 0) return translate(locale, 'durationDays', { d: days, h: hours });
  if (hours > 0) return translate(locale, 'durationHours', { h: hours, m: minutes });
  return translate(locale, 'durationMinutes', { m: minutes });
}

/** A clock time in East Africa Time, labelled: "14:05:09 EAT". */
export function formatClock(locale: Locale, atMs: number): string {
  const time = new Intl.DateTimeFormat(intlLocale[locale], {
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
    timeZone: APP_TIME_ZONE,
  }).format(atMs);
  return `${time} ${APP_TIME_ZONE_LABEL}`;
}

/** A date and time in East Africa Time, labelled: "7 Dec, 14:05 EAT". */
export function formatDateTime(locale: Locale, atMs: number): string {
  const when = new Intl.DateTimeFormat(intlLocale[locale], {
    day: 'numeric',
    month: 'short',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
    timeZone: APP_TIME_ZONE,
  }).format(atMs);
  return `${when} ${APP_TIME_ZONE_LABEL}`;
}

/** "5 minutes ago" in the chosen language, lower-case to sit inside a sentence. */
export function formatAgo(locale: Locale, atMs: number, nowMs: number): string {
  const rtf = new Intl.RelativeTimeFormat(intlLocale[locale], { numeric: 'auto' });
  const ageMs = Math.max(0, nowMs - atMs);
  let text: string;
  if (ageMs < MS_PER_MINUTE) text = rtf.format(-Math.round(ageMs / 1000), 'second');
  else if (ageMs < MS_PER_HOUR) text = rtf.format(-Math.floor(ageMs / MS_PER_MINUTE), 'minute');
  else if (ageMs < MS_PER_DAY) text = rtf.format(-Math.floor(ageMs / MS_PER_HOUR), 'hour');
  else text = rtf.format(-Math.floor(ageMs / MS_PER_DAY), 'day');
  return text.charAt(0).toLocaleLowerCase(intlLocale[locale]) + text.slice(1);
}

/** Socket events may carry Unix seconds or milliseconds; the app works in milliseconds. */
export function epochToMs(value: number): number {
  return Math.abs(value) < SECONDS_EPOCH_CEILING ? value * 1000 : value;
}

export function isoToMs(value: string | null | undefined): number | null {
  if (!value) return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * The `2547XXXXXXXX` form the API and M-Pesa want, from what people type:
 * `0712 345 678`, `+254 712 345 678`, `712345678`. Null when it is not a Kenyan mobile number.
 */
export function normalizeKenyanPhone(input: string): string | null {
  const digits = input.replace(/[\s\-().]/g, '').replace(/^\+/, '');
  if (!/^\d+$/.test(digits)) return null;
  let national: string;
  if (digits.startsWith('254')) national = digits.slice(3);
  else if (digits.startsWith('0')) national = digits.slice(1);
  else national = digits;
  return /^[17]\d{8}$/.test(national) ? `254${national}` : null;
}
