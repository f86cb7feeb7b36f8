// Protects the Kiswahili dictionary from English copied into it, and the English-word finder the
// Kiswahili screen walks rely on.
import { describe, expect, it } from 'vitest';
import { adminSw } from '../../packages/web/src/admin/admin-dictionary';
import { en, sw } from '../../packages/web/src/i18n/dictionary';
import { englishWordIn } from './english-left';

const withoutPlaceholders = (text: string) => text.replace(/\{\w+\}/g, '');

describe('finding English on a Kiswahili screen', () => {
  it('finds English words as whole words, not inside Kiswahili ones', () => {
    expect(englishWordIn('Your balance')).toBe('your');
    expect(englishWordIn('Top-up requests')).toBe('top-up');
    expect(englishWordIn('Salio lako: 12.345 kWh')).toBeNull();
    // "kutoka" holds "to", "mita" is not "meter", "Malipo" is not "pay"
    expect(englishWordIn('Malipo kutoka M-Pesa kwa mita METER_12345678')).toBeNull();
  });

  it('the Kiswahili dictionary has no English left in any entry', () => {
    const english = Object.entries(sw)
      .map(([key, text]) => ({ key, word: englishWordIn(withoutPlaceholders(text)) }))
      .filter((e) => e.word !== null);
    expect(english).toEqual([]);
  });

  it('the console dictionary has no English left in any Kiswahili entry', () => {
    const english = Object.entries(adminSw)
      .map(([key, text]) => ({ key, word: englishWordIn(withoutPlaceholders(text)) }))
      .filter((e) => e.word !== null);
    expect(english).toEqual([]);
  });

  it('the finder sees the English dictionary as English', () => {
    // Most English entries hold one of the words; if this drops, the word list has rotted.
    const entries = Object.values(en).map(withoutPlaceholders);
    const found = entries.filter((text) => englishWordIn(text) !== null).length;
    expect(found / entries.length).toBeGreaterThan(0.6);
  });
});
