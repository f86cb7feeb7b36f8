// Protects the operator console's dictionary: Kiswahili for every English word, the same
// placeholders, and no key that shadows one of the app dictionary's.
import { describe, expect, it } from 'vitest';
import { en } from '../i18n/dictionary';
import { adminEn, adminSw } from './admin-dictionary';
import { alertMessage, translateAdmin } from './admin-i18n';

describe('the console dictionary', () => {
  it('Kiswahili has a message for every English key, with the same placeholders', () => {
    const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();
    for (const key of Object.keys(adminEn) as (keyof typeof adminEn)[]) {
      expect(adminSw[key], key).toBeTruthy();
      expect(placeholders(adminSw[key]), key).toEqual(placeholders(adminEn[key]));
    }
  });

  it('no console key shadows an app key', () => {
    expect(Object.keys(adminEn).filter((key) => Object.hasOwn(en, key))).toEqual([]);
  });

  it('falls back to the app dictionary and fills placeholders', () => {
    expect(translateAdmin('sw', 'signOut')).toBe('Toka');
    expect(translateAdmin('sw', 'fleetCount', { shown: 2, total: 5 })).toBe('mita 2 kati ya 5');
  });

  it('an alert reads in Kiswahili by its kind, and as the server wrote it in English', () => {
    expect(alertMessage('sw', 'connection_lost', 'The meter is offline.')).toBe('Mita iko nje ya mtandao.');
    expect(alertMessage('sw', 'some_new_kind', 'New thing.')).toBe(adminSw.alertMsg_unknown);
    expect(alertMessage('en', 'low_balance', 'Low balance: 1.00 kWh left.')).toBe(
      'Low balance: 1.00 kWh left.',
    );
  });
});
