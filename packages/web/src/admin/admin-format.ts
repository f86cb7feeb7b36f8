/**
 * Formatting for the operator console: precise numbers, compact times, in the console's language
 * (admin-i18n.ts) and always in East Africa Time, whatever the operator's computer is set to.
 */
import { intlLocale } from '../i18n/i18n';
import { getConsoleLocale, translateAdmin } from './admin-i18n';

export const CONSOLE_TIME_ZONE = 'Africa/Nairobi';

const numberLocale = (): string => intlLocale[getConsoleLocale()];

export const fmtKwh = (kwh: number | null | undefined): string =>
  kwh === null || kwh === undefined
    ? '—'
    : kwh.toLocaleString(numberLocale(), { minimumFractionDigits: 3, maximumFractionDigits: 3 });

export const fmtMwhAsKwh = (mwh: number): string => fmtKwh(mwh / 1_000_000);

export const fmtPower = (w: number | null | undefined): string =>
  w === null || w === undefined
    ? '—'
    : w >= 1000
      ? `${(w / 1000).toLocaleString(numberLocale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 })} kW`
      : `${Math.round(w).toLocaleString(numberLocale())} W`;

export const fmtKes = (cents: number): string =>
  `KES ${(cents / 100).toLocaleString(numberLocale(), { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;

export function fmtTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '—';
  return d.toLocaleString(numberLocale(), {
    timeZone: CONSOLE_TIME_ZONE,
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hour12: false,
  });
}

export function fmtAgo(iso: string | null | undefined, nowMs: number): string {
  const locale = getConsoleLocale();
  if (!iso) return translateAdmin(locale, 'agoNever');
  const s = Math.max(0, Math.round((nowMs - new Date(iso).getTime()) / 1000));
  if (s < 5) return translateAdmin(locale, 'agoJustNow');
  if (s < 60) return translateAdmin(locale, 'agoSeconds', { n: s });
  if (s < 3600) return translateAdmin(locale, 'agoMinutes', { n: Math.floor(s / 60) });
  if (s < 86_400) return translateAdmin(locale, 'agoHours', { n: Math.floor(s / 3600) });
  return translateAdmin(locale, 'agoDays', { n: Math.floor(s / 86_400) });
}
