// Protects the one place where wire floats become ledger integers.
import { describe, expect, it } from 'vitest';
import { centsText, kesToCents, kwhToMwh, mwhAsKwhText, scaleDecimalHalfEven } from './units';
import vectors from '../vectors/units.json';

describe('unit conversion', () => {
  it.each(vectors.kwhToMwh)('converts $kwh kWh to $mwh mWh', ({ kwh, mwh }) => {
    expect(kwhToMwh(kwh)).toBe(mwh);
  });
  it.each(vectors.kesToCents)('converts $kes KES to $cents cents', ({ kes, cents }) => {
    expect(kesToCents(kes)).toBe(cents);
  });
  it('rounds exact halves to even and everything else to nearest', () => {
    expect(scaleDecimalHalfEven(0.5, 0)).toBe(0);
    expect(scaleDecimalHalfEven(1.5, 0)).toBe(2);
    expect(scaleDecimalHalfEven(2.5, 0)).toBe(2);
    expect(scaleDecimalHalfEven(2.51, 0)).toBe(3);
    expect(scaleDecimalHalfEven(-2.5, 0)).toBe(-2);
  });
  it('refuses non-finite and out-of-range numbers', () => {
    expect(() => kwhToMwh(Number.NaN)).toThrow(RangeError);
    expect(() => kwhToMwh(Infinity)).toThrow(RangeError);
    expect(() => kwhToMwh(1e308)).toThrow(RangeError);
  });
});

describe('display text of integer amounts', () => {
  it('writes cents as shillings exactly, with the sign', () => {
    expect(centsText(0)).toBe('0.00');
    expect(centsText(5)).toBe('0.05');
    expect(centsText(12_345)).toBe('123.45');
    expect(centsText(-250)).toBe('-2.50');
    expect(centsText(900_719_925_474_099)).toBe('9007199254740.99');
  });

  it('writes mWh as kWh to the Wh, halves away from zero', () => {
    expect(mwhAsKwhText(0)).toBe('0.000');
    expect(mwhAsKwhText(1_234_567)).toBe('1.235');
    expect(mwhAsKwhText(1_234_499)).toBe('1.234');
    expect(mwhAsKwhText(500)).toBe('0.001');
    expect(mwhAsKwhText(-1_500)).toBe('-0.002');
    expect(mwhAsKwhText(25_000_000)).toBe('25.000');
  });
});
