// Protects the integer helpers every cent and milliwatt-hour goes through.
// The import boundary is for production code; tests need their runner.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assertNonNegativeSafeInteger,
  assertSafeInteger,
  ceilDivNonNegative,
  parseScaledDecimal,
  roundHalfEvenDiv,
  toSafeNumber,
} from './money';

describe('roundHalfEvenDiv', () => {
  it('rounds exact halves to the even neighbour and everything else to the nearest', () => {
    expect([5, 15, 25, 35, 26, 24].map((n) => roundHalfEvenDiv(n, 10))).toEqual([0, 2, 2, 4, 3, 2]);
    expect([-5, -15, -25, -26].map((n) => roundHalfEvenDiv(n, 10))).toEqual([0, -2, -2, -3]);
    expect(roundHalfEvenDiv(7, -2)).toBe(-4);
  });

  it('keeps bigint in bigint, past 2^53', () => {
    const big = 10n ** 30n + 5n;
    expect(roundHalfEvenDiv(big, 10n)).toBe(10n ** 29n);
    expect(roundHalfEvenDiv(big + 10n, 10n)).toBe(10n ** 29n + 2n);
  });

  it('refuses division by zero and non-integer numbers', () => {
    expect(() => roundHalfEvenDiv(1n, 0n)).toThrow(RangeError);
    expect(() => roundHalfEvenDiv(1.5, 1)).toThrow(RangeError);
  });

  it('is never more than half a unit from the true quotient', () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: -(10n ** 25n), max: 10n ** 25n }),
        fc.bigInt({ min: 1n, max: 10n ** 12n }),
        (n, d) => {
          const q = roundHalfEvenDiv(n, d);
          const twiceError = 2n * (n - q * d);
          expect(twiceError <= d && twiceError >= -d).toBe(true);
          if (twiceError === d || twiceError === -d) expect(q % 2n).toBe(0n);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('other helpers', () => {
  it('rounds up only when there is a remainder', () => {
    expect(ceilDivNonNegative(10n, 5n)).toBe(2n);
    expect(ceilDivNonNegative(11n, 5n)).toBe(3n);
    expect(ceilDivNonNegative(0n, 5n)).toBe(0n);
  });

  it('asserts safe integers and converts bigints back only when exact', () => {
    expect(() => assertSafeInteger(2 ** 53, 'x')).toThrow(RangeError);
    expect(() => assertNonNegativeSafeInteger(-1, 'x')).toThrow(RangeError);
    expect(() => assertNonNegativeSafeInteger(0, 'x')).not.toThrow();
    expect(toSafeNumber(123n, 'x')).toBe(123);
    expect(() => toSafeNumber(2n ** 53n, 'x')).toThrow(RangeError);
  });

  it('reads configured decimals exactly and refuses extra digits', () => {
    expect(parseScaledDecimal(122.98, 4, 'rate')).toBe(1_229_800);
    expect(parseScaledDecimal(0.0125, 4, 'rate')).toBe(125);
    expect(parseScaledDecimal('1.2500', 4, 'rate')).toBe(12_500);
    expect(parseScaledDecimal(30, 6, 'kWh')).toBe(30_000_000);
    expect(parseScaledDecimal(1e-6, 6, 'kWh')).toBe(1);
    expect(parseScaledDecimal(2.5e3, 0, 'exponent')).toBe(2500);
    for (const bad of [0.00001, -1, Number.NaN, Infinity, 1e21, 'abc', '1.2.3', '']) {
      expect(() => parseScaledDecimal(bad, 4, 'rate')).toThrow(RangeError);
    }
  });
});
