// Protects the one place where wire floats become ledger integers.
import { describe, expect, it } from 'vitest';
import { kesToCents, kwhToMwh, scaleDecimalHalfEven } from './units';
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
