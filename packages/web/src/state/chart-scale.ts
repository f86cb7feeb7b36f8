/** A round axis maximum at or above `value`: 1, 2, 2.5 or 5 times a power of ten. */
export function niceCeil(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    const candidate = step * power;
    if (candidate >= value * (1 - 1e-12)) return candidate;
  }
  return 10 * power;
}

/**
 * Decimals for the axis labels 0, max/2 and max so that none rounds away: 2 for a maximum of
 * 0.5 kWh (0.25), 3 for 0.002 kWh (a quiet first hour), never fewer than 0 or more than 4.
 */
export function axisDigits(max: number): number {
  const half = max / 2;
  for (let digits = 0; digits < 4; digits++) {
    const scaled = half * 10 ** digits;
    if (Math.abs(scaled - Math.round(scaled)) < 1e-9) return digits;
  }
  return 4;
}

/** Which bucket indexes get an axis label: every `every`-th counting back from the newest. */
export function labelledIndexes(count: number, every: number): number[] {
  const out: number[] = [];
  for (let i = count - 1; i >= 0; i -= every) out.unshift(i);
  return out;
}

/**
 * Decimals to show a reading with: 2 as a rule, more for a small non-zero amount so it does not
 * read as nothing (0.004 kWh in a quiet first hour, not "0.00"), at most 4.
 */
export function readingDigits(value: number): number {
  const abs = Math.abs(value);
  if (abs === 0 || abs >= 0.01) return 2;
  return abs >= 0.001 ? 3 : 4;
}
