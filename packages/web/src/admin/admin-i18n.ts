/**
 * The console's words: the app dictionary plus the console's own (admin-dictionary.ts), which
 * ships in the lazily loaded console chunk so the customer dashboard's first load stays small.
 */
import { useMemo } from 'react';
import { en as appEn, type MessageKey } from '../i18n/dictionary';
import { errorText } from '../i18n/error-text';
import { fillTemplate, translate, type Locale, type MessageParams } from '../i18n/i18n';
import { useI18n } from '../ui/i18n-context';
import { adminEn, adminSw, type AdminKey } from './admin-dictionary';

export type { AdminKey };
export type AdminT = (key: AdminKey | MessageKey, params?: MessageParams) => string;

const adminDictionaries: Record<Locale, Record<AdminKey, string>> = { en: adminEn, sw: adminSw };

export function translateAdmin(locale: Locale, key: AdminKey | MessageKey, params?: MessageParams): string {
  const own = (adminDictionaries[locale] as Record<string, string>)[key];
  return own === undefined ? translate(locale, key as MessageKey, params) : fillTemplate(own, params);
}

/**
 * The language the console shows. Kept here as well as in the React context so the shared helpers
 * (errorText, the admin-format functions) follow it without a locale argument at each of their
 * many call sites; AdminConsole sets it on every render, before its pages render.
 */
let consoleLocale: Locale = 'en';

export function setConsoleLocale(locale: Locale): void {
  consoleLocale = locale;
}

export function getConsoleLocale(): Locale {
  return consoleLocale;
}

/** A failed call in the console's language: the error code's words (see errorText). */
export function consoleErrorText(err: unknown): string {
  return errorText({ locale: consoleLocale, t: (key, params) => translate(consoleLocale, key, params) }, err);
}

export function useAdminI18n(): { locale: Locale; t: AdminT } {
  const { locale } = useI18n();
  return useMemo(() => ({ locale, t: (key, params) => translateAdmin(locale, key, params) }), [locale]);
}

/** The dictionary key for a meter's status (`status_<status>`), or `status_unknown`. */
export function meterStatusKey(status: string): MessageKey {
  const key = `status_${status}`;
  return Object.hasOwn(appEn, key) ? (key as MessageKey) : 'status_unknown';
}

/** An alert's kind as a dictionary key (the server's kinds; an unknown one reads as "other"). */
export function alertKindKey(kind: string): AdminKey {
  const key = `alertKind_${kind}`;
  return Object.hasOwn(adminEn, key) ? (key as AdminKey) : 'alertKind_unknown';
}

/**
 * An alert's description in the console's language: the server words alerts in English (with
 * the numbers), so English shows them as sent and other languages the kind's own description.
 */
export function alertMessage(locale: Locale, kind: string, serverMessage: string): string {
  if (locale === 'en') return serverMessage;
  const key = `alertMsg_${kind}`;
  return translateAdmin(locale, Object.hasOwn(adminEn, key) ? (key as AdminKey) : 'alertMsg_unknown');
}

/** An alert's severity as a dictionary key. */
export function severityKey(severity: string): AdminKey {
  const key = `severity_${severity}`;
  return Object.hasOwn(adminEn, key) ? (key as AdminKey) : 'severity_warning';
}
