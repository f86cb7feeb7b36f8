/**
 * Integer arithmetic for money (cents) and energy (mWh). Nothing here uses floating point
 * for a result: products that may pass 2^53 are taken in BigInt, and every division says
 * how it rounds. Design §2: round once, at the edge, half-even.
 */

export const BASIS_POINTS_PER_WHOLE = 10_000;

/** Throws a RangeError unless `value` is a safe integer: a programmer error in the core. */
export function assertSafeInteger(value: number, name: string): void {
  if (!Number.isSafeInteger(value)) {
    throw new RangeError(`${name} must be a safe integer, got ${String(value)}`);
  }
}

/** Throws a RangeError unless `value` is a safe integer ≥ 0. */
export function assertNonNegativeSafeInteger(value: number, name: string): void {
  assertSafeInteger(value, name);
  if (value < 0) throw new RangeError(`${name} must not be negative, got ${value}`);
}

/** Converts a BigInt back to a number, throwing if it would lose precision. */
export function toSafeNumber(value: bigint, name: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new RangeError(`${name} is outside the safe integer range: ${value}`);
  }
  return Number(value);
}

function roundHalfEvenDivBig(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('division by zero');
  // Half-even is symmetric around zero, so round the magnitude and put the sign back.
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let quotient = n / d;
  const twiceRemainder = (n % d) * 2n;
  if (twiceRemainder > d || (twiceRemainder === d && quotient % 2n === 1n)) quotient += 1n;
  return negative ? -quotient : quotient;
}

/** numerator / denominator rounded to the nearest integer, ties to even (banker's rounding). */
export function roundHalfEvenDiv(numerator: bigint, denominator: bigint): bigint;
export function roundHalfEvenDiv(numerator: number, denominator: number): number;
export function roundHalfEvenDiv(numerator: bigint | number, denominator: bigint | number): bigint | number {
  if (typeof numerator === 'bigint' && typeof denominator === 'bigint') {
    return roundHalfEvenDivBig(numerator, denominator);
  }
  if (typeof numerator === 'number' && typeof denominator === 'number') {
    assertSafeInteger(numerator, 'numerator');
    assertSafeInteger(denominator, 'denominator');
    return Number(roundHalfEvenDivBig(BigInt(numerator), BigInt(denominator)));
  }
  throw new TypeError('roundHalfEvenDiv takes two bigints or two numbers');
}

/** ⌈n / d⌉ for n ≥ 0 and d > 0. */
export function ceilDivNonNegative(numerator: bigint, denominator: bigint): bigint {
  if (numerator < 0n || denominator <= 0n) throw new RangeError('ceilDivNonNegative needs n ≥ 0 and d > 0');
  return (numerator + denominator - 1n) / denominator;
}

/**
 * Reads a non-negative decimal quantity from configuration (a number such as 122.98 or a
 * string such as "0.0125") as an exact integer scaled by 10^fractionDigits, from its
 * decimal text. Refuses more fraction digits than allowed instead of rounding, so a
 * tariff rate can never be silently changed.
 */
export function parseScaledDecimal(value: number | string, fractionDigits: number, name: string): number {
  assertNonNegativeSafeInteger(fractionDigits, 'fractionDigits');
  let text: string;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
    // The shortest round-trip text of a double is the decimal the configuration was written as.
    text = String(value);
  } else {
    text = value.trim();
  }
  const match = /^(\d+)(?:\.(\d*))?(?:e([+-]?\d+))?$/i.exec(text);
  if (match === null) {
    throw new RangeError(`${name} must be a non-negative decimal, got ${JSON.stringify(value)}`);
  }
  const intDigits = match[1] ?? '0';
  const fracDigits = match[2] ?? '';
  const exponent = match[3] === undefined ? 0 : Number(match[3]);
  const digits = intDigits + fracDigits;
  // Position of the decimal point within `digits` once scaled by 10^fractionDigits.
  const point = intDigits.length + exponent + fractionDigits;
  let whole: string;
  let rest: string;
  if (point <= 0) {
    whole = '0';
    rest = '0'.repeat(-point) + digits;
  } else {
    whole = digits.padEnd(point, '0').slice(0, point);
    rest = digits.slice(point);
  }
  if (!/^0*$/.test(rest)) {
    throw new RangeError(`${name} has more than ${fractionDigits} decimal places: ${JSON.stringify(value)}`);
  }
  const scaled = BigInt(whole);
  return toSafeNumber(scaled, name);
}
