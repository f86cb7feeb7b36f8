// Protects the English and Kiswahili dictionaries and the locale choice.
import { describe, expect, it } from 'vitest';
import { en, sw } from './dictionary';
import { pickLocale, translate } from './i18n';

describe('i18n', () => {
  it('Kiswahili has a non-empty message for every English key', () => {
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(sw[key], key).toBeTruthy();
    }
    expect(Object.keys(sw).sort()).toEqual(Object.keys(en).sort());
  });

  it('every placeholder in English also appears in Kiswahili', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(en) as (keyof typeof en)[]) {
      expect(placeholders(sw[key]), key).toEqual(placeholders(en[key]));
    }
  });

  it('fills placeholders and leaves unknown ones visible', () => {
    expect(translate('en', 'balanceWorth', { amount: 'KSh 20.00' })).toBe('worth KSh 20.00');
    expect(translate('sw', 'lastSeen', { when: 'sasa' })).toBe('Ilionekana mwisho sasa');
    expect(translate('en', 'balanceWorth')).toBe('worth {amount}');
  });

  it('a remembered locale wins over the browser languages', () => {
    expect(pickLocale('sw', ['en-US'])).toBe('sw');
    expect(pickLocale(null, ['fr-FR', 'sw-KE'])).toBe('sw');
    expect(pickLocale('de', ['de-DE'])).toBe('en');
  });
});
