import { describe, expect, it } from 'vitest';
import { RecentSet } from './recent-set';

describe('RecentSet', () => {
  it('holds the last `capacity` distinct keys and forgets the oldest first', () => {
    const s = new RecentSet(3);
    for (const k of ['a', 'b', 'c']) s.add(k);
    expect(['a', 'b', 'c'].map((k) => s.has(k))).toEqual([true, true, true]);
    s.add('d');
    expect(s.has('a')).toBe(false);
    expect(['b', 'c', 'd'].map((k) => s.has(k))).toEqual([true, true, true]);
    expect(s.size).toBe(3);
  });

  it('does not move a key added again: it is still forgotten in its first turn', () => {
    const s = new RecentSet(3);
    for (const k of ['a', 'b', 'c', 'a', 'd']) s.add(k);
    expect(s.has('a')).toBe(false);
    expect(s.size).toBe(3);
  });

  it('stays at its capacity over many turns of the ring', () => {
    const s = new RecentSet(100);
    for (let i = 0; i < 10_050; i++) s.add(`k${i}`);
    expect(s.size).toBe(100);
    expect(s.has('k9949')).toBe(false);
    expect(s.has('k9950')).toBe(true);
    expect(s.has('k10049')).toBe(true);
  });

  it('refuses a capacity that is not a positive integer', () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => new RecentSet(bad)).toThrow(RangeError);
  });
});
