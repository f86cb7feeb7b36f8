/**
 * Conversions between wire units (kWh and KES as JSON numbers) and domain units
 * (integer milliwatt-hours and cents). Rounding happens once, here, half-even, on the
 * decimal text of the number so that 0.1 kWh is exactly 100000 mWh.
 */

export const MWH_PER_KWH = 1_000_000;
export const CENTS_PER_KES = 100;

/** Largest wire quantity accepted (kWh or KES): keeps every domain integer a safe integer. */
export const MAX_WIRE_QUANTITY = 1e9;

/** Scales a finite decimal number by 10^digits and rounds half-even, using its decimal text. */
export function scaleDecimalHalfEven(value: number, digits: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`not a finite number: ${value}`);
  if (Math.abs(value) > MAX_WIRE_QUANTITY) throw new RangeError(`out of range: ${value}`);
  const negative = value < 0;
  const text = Math.abs(value).toString();
  const [mantissa = '0', exponentText] = text.split('e');
  const exponent = exponentText === undefined ? 0 : Number(exponentText);
  const [intPart = '0', fracPart = ''] = mantissa.split('.');
  let digitsText = intPart + fracPart;
  // position of the decimal point after scaling, counted from the left of digitsText
  const point = intPart.length + exponent + digits;
  if (point <= 0) {
    digitsText = '0'.repeat(1 - point) + digitsText;
  }
  const pointAt = Math.max(point, 1);
  const padded = digitsText.padEnd(pointAt, '0');
  const whole = padded.slice(0, pointAt);
  const rest = padded.slice(pointAt);
  let result = Number(whole);
  const first = rest.charCodeAt(0) - 48;
  if (rest.length > 0 && first >= 5) {
    const tail = rest.slice(1);
    const exactlyHalf = first === 5 && /^0*$/.test(tail);
    if (!exactlyHalf || result % 2 === 1) result += 1;
  }
  if (!Number.isSafeInteger(result)) throw new RangeError(`out of range: ${value}`);
  return negative && result !== 0 ? -result : result;
}

export function kwhToMwh(kwh: number): number {
  return scaleDecimalHalfEven(kwh, 6);
}

export function kesToCents(kes: number): number {
  return scaleDecimalHalfEven(kes, 2);
}

/** For the wire and display only: never feed the result back into the ledger. */
export function mwhToKwh(mwh: number): number {
  return mwh / MWH_PER_KWH;
}

/** For the wire and display only. */
export function centsToKes(cents: number): number {
  return cents / CENTS_PER_KES;
}

/** Exact decimal text of an integer with `digits` implied decimals, no float: (123456, 2) → "1234.56". */
export function impliedDecimalText(units: number, digits: number): string {
  const text = String(Math.abs(units)).padStart(digits + 1, '0');
  const fixed = digits === 0 ? text : `${text.slice(0, -digits)}.${text.slice(-digits)}`;
  return units < 0 ? `-${fixed}` : fixed;
}

/** Cents as shillings for display: 12345 → "123.45". */
export const centsText = (cents: number): string => impliedDecimalText(cents, 2);

/** mWh as kWh to the Wh for display (half away from zero): 1234567 → "1.235". */
export function mwhAsKwhText(mwh: number): string {
  const wh = Math.floor((Math.abs(mwh) + 500) / 1000);
  return impliedDecimalText(mwh < 0 ? -wh : wh, 3);
}
