import { en, sw, type Dictionary, type MessageKey } from './dictionary';

export const locales = ['en', 'sw'] as const;
export type Locale = (typeof locales)[number];

const dictionaries: Record<Locale, Dictionary> = { en, sw };

/** BCP 47 tags for Intl formatting: Kenyan conventions in both languages. */
export const intlLocale: Record<Locale, string> = { en: 'en-KE', sw: 'sw-KE' };

export type MessageParams = Record<string, string | number>;

export function translate(locale: Locale, key: MessageKey, params: MessageParams = {}): string {
  return fillTemplate(dictionaries[locale][key], params);
}

/** `{name}` placeholders filled from `params`; an unknown one stays visible. */
export function fillTemplate(template: string, params: MessageParams = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => {
    const value = params[name];
    return value === undefined ? whole : String(value);
  });
}

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (locales as readonly string[]).includes(value);
}

/** The remembered choice first, then the browser's languages, then English. */
export function pickLocale(stored: string | null, browserLanguages: readonly string[]): Locale {
  if (isLocale(stored)) return stored;
  for (const tag of browserLanguages) {
    const base = tag.toLowerCase().split('-')[0];
    if (isLocale(base)) return base;
  }
  return 'en';
}
