// Protects the usage chart's axis: round maxima and label spacing.
import { describe, expect, it } from 'vitest';
import { axisDigits, labelledIndexes, niceCeil, readingDigits } from './chart-scale';

describe('chart scale', () => {
  it('rounds the axis maximum up to 1, 2, 2.5 or 5 times a power of ten', () => {
    expect(niceCeil(0)).toBe(1);
    expect(niceCeil(0.42)).toBe(0.5);
    expect(niceCeil(1)).toBe(1);
    expect(niceCeil(1.01)).toBe(2);
    expect(niceCeil(2.3)).toBe(2.5);
    expect(niceCeil(7)).toBe(10);
    expect(niceCeil(0.3)).toBeCloseTo(0.5);
    expect(niceCeil(0.2)).toBeCloseTo(0.2);
  });

  it('labels the newest bucket and every n-th before it', () => {
    expect(labelledIndexes(24, 6)).toEqual([5, 11, 17, 23]);
    expect(labelledIndexes(3, 6)).toEqual([2]);
  });
});

describe('axis digits', () => {
  it('shows every grid label of a nice maximum without rounding it away', () => {
    expect(axisDigits(niceCeil(0.0019))).toBe(3); // 0.002 → 0.001
    expect(axisDigits(0.5)).toBe(2); // 0.25
    expect(axisDigits(1)).toBe(1); // 0.5
    expect(axisDigits(2)).toBe(0);
    expect(axisDigits(25)).toBe(1); // 12.5
    expect(axisDigits(50)).toBe(0);
  });
});

describe('readingDigits', () => {
  it('shows a small non-zero reading with enough decimals not to read as zero', () => {
    expect(readingDigits(0)).toBe(2);
    expect(readingDigits(1.234)).toBe(2);
    expect(readingDigits(0.01)).toBe(2);
    expect(readingDigits(0.004)).toBe(3);
    expect(readingDigits(0.0004)).toBe(4);
    expect(readingDigits(-0.004)).toBe(3);
  });
});
