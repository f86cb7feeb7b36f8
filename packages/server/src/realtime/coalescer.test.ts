// Protects the coalescing rule of docs/design.md §5: at most one value per key per window, the latest, never late by more than a window.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { Coalescer } from './coalescer';

describe('Coalescer', () => {
  let sent: [string, number][];
  let c: Coalescer<number>;
  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    c = new Coalescer<number>({ windowMs: 1000, merge: (_a, b) => b, send: (k, v) => sent.push([k, v]) });
  });
  afterEach(() => {
    c.close();
    vi.useRealTimers();
  });

  it('sends the first value at once', () => {
    c.offer('m1', 1);
    expect(sent).toEqual([['m1', 1]]);
  });

  it('holds values within the window and sends only the latest when it ends', () => {
    c.offer('m1', 1);
    vi.advanceTimersByTime(100);
    c.offer('m1', 2);
    c.offer('m1', 3);
    expect(sent).toEqual([['m1', 1]]);
    vi.advanceTimersByTime(899);
    expect(sent).toEqual([['m1', 1]]);
    vi.advanceTimersByTime(1);
    expect(sent).toEqual([
      ['m1', 1],
      ['m1', 3],
    ]);
  });

  it('keeps keys independent', () => {
    c.offer('m1', 1);
    c.offer('m2', 1);
    c.offer('m1', 2);
    expect(sent).toEqual([
      ['m1', 1],
      ['m2', 1],
    ]);
  });

  it('sends at once again after a quiet window', () => {
    c.offer('m1', 1);
    vi.advanceTimersByTime(1000);
    c.offer('m1', 2);
    expect(sent).toEqual([
      ['m1', 1],
      ['m1', 2],
    ]);
  });

  it('never sends more than one value per window under a steady stream', () => {
    for (let i = 0; i < 100; i++) {
      c.offer('m1', i);
      vi.advanceTimersByTime(50);
    }
    vi.advanceTimersByTime(1000);
    expect(sent.length).toBeLessThanOrEqual(6);
    expect(sent[sent.length - 1]).toEqual(['m1', 99]);
  });

  it('flush sends what waits at once, so an immediate event does not overtake it', () => {
    c.offer('m1', 1);
    c.offer('m1', 2);
    c.flush('m1');
    expect(sent).toEqual([
      ['m1', 1],
      ['m1', 2],
    ]);
    vi.advanceTimersByTime(2000);
    expect(sent).toHaveLength(2);
  });

  it('forgets quiet keys so the map stays small', () => {
    for (let i = 0; i < 50; i++) c.offer(`m${i}`, i);
    expect(c.size).toBe(50);
    vi.advanceTimersByTime(10_000);
    expect(c.size).toBe(0);
  });
});
