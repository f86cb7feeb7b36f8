// Protects the cost of an SMS: one message is one charge, so the encoding and part count must be exact.
import { describe, expect, it } from 'vitest';
import { isGsm7, smsLength, toGsm7Friendly } from './gsm7';

describe('GSM-7 lengths', () => {
  it('counts plain English and Kiswahili as GSM-7, one septet a character', () => {
    const sw = 'Umenunua KSh 100.00 (kWh 5.00). Salio: kWh 12.34. Risiti QJK1ABC2DE.';
    expect(isGsm7(sw)).toBe(true);
    expect(smsLength(sw)).toEqual({
      encoding: 'gsm7',
      units: sw.length,
      parts: 1,
      remaining: 160 - sw.length,
    });
  });

  it('fits 160 septets in one message and needs two parts at 161', () => {
    expect(smsLength('a'.repeat(160)).parts).toBe(1);
    expect(smsLength('a'.repeat(161))).toMatchObject({ parts: 2, units: 161, remaining: 306 - 161 });
    expect(smsLength('a'.repeat(306)).parts).toBe(2);
    expect(smsLength('a'.repeat(307)).parts).toBe(3);
  });

  it('counts extension characters twice', () => {
    expect(smsLength('€').units).toBe(2);
    expect(smsLength('[x]').units).toBe(5);
    expect(smsLength('a'.repeat(159) + '€').parts).toBe(2);
  });

  it('turns the whole text into UCS-2 for one character outside the alphabet', () => {
    const curly = 'Asante ’ sana';
    expect(isGsm7(curly)).toBe(false);
    expect(smsLength(curly)).toMatchObject({ encoding: 'ucs2', units: curly.length, parts: 1 });
    expect(smsLength('’' + 'a'.repeat(70)).parts).toBe(2);
    expect(smsLength('’' + 'a'.repeat(133)).parts).toBe(2);
    expect(smsLength('’' + 'a'.repeat(134)).parts).toBe(3);
  });

  it('counts an emoji as two UTF-16 units', () => {
    expect(smsLength('⚡').units).toBe(1);
    expect(smsLength('🔌').units).toBe(2);
  });

  it('an empty text is no message at all', () => {
    expect(smsLength('')).toEqual({ encoding: 'gsm7', units: 0, parts: 0, remaining: 160 });
  });

  it('replaces pasted typography by GSM-7 characters and leaves other text alone', () => {
    expect(toGsm7Friendly('“Mama’s” meter – 5 kWh…\u00a0ok')).toBe('"Mama\'s" meter - 5 kWh... ok');
    expect(isGsm7(toGsm7Friendly('“Mama’s” meter – 5 kWh…'))).toBe(true);
    expect(toGsm7Friendly('Ωμέγα')).toBe('Ωμέγα');
  });
});
