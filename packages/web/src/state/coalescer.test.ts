// Protects render coalescing and the rate limit on refetches after sequence gaps.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createCoalescer, createRefetcher, realTimers } from './coalescer';

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('coalescer', () => {
  it('a burst of requests flushes once', () => {
    const flush = vi.fn();
    const c = createCoalescer(flush, 100, realTimers);
    for (let i = 0; i < 50; i++) c.request();
    vi.advanceTimersByTime(0);
    expect(flush).toHaveBeenCalledTimes(1);
  });

  it('requests right after a flush wait for the interval, then flush once', () => {
    const flush = vi.fn();
    const c = createCoalescer(flush, 100, realTimers);
    c.request();
    vi.advanceTimersByTime(0);
    c.request();
    c.request();
    vi.advanceTimersByTime(99);
    expect(flush).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(1);
    expect(flush).toHaveBeenCalledTimes(2);
  });

  it('a cancelled request never flushes', () => {
    const flush = vi.fn();
    const c = createCoalescer(flush, 100, realTimers);
    c.request();
    c.cancel();
    vi.advanceTimersByTime(1000);
    expect(flush).not.toHaveBeenCalled();
  });
});

describe('refetcher', () => {
  it('runs at once, then folds requests during the cooldown into one trailing run', async () => {
    const task = vi.fn(async (_key: string) => {});
    const r = createRefetcher(task, 1000, realTimers);
    r.request('M1');
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(1);
    r.request('M1');
    r.request('M1');
    r.request('M1');
    await vi.advanceTimersByTimeAsync(999);
    expect(task).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('a request while a run is in flight runs again after it, not alongside', async () => {
    let finish: () => void = () => {};
    const task = vi.fn(() => new Promise<void>((resolve) => (finish = resolve)));
    const r = createRefetcher(task, 0, realTimers);
    r.request('M1');
    await vi.advanceTimersByTimeAsync(0);
    r.request('M1');
    await vi.advanceTimersByTimeAsync(50);
    expect(task).toHaveBeenCalledTimes(1);
    finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(task).toHaveBeenCalledTimes(2);
  });

  it('meters are rate limited independently and a failed run does not wedge the key', async () => {
    const task = vi.fn(async (key: string) => {
      if (key === 'BAD') throw new Error('offline');
    });
    const r = createRefetcher(task, 1000, realTimers);
    r.request('M1');
    r.request('BAD');
    await vi.advanceTimersByTimeAsync(0);
    expect(task.mock.calls.map((c) => c[0]).sort()).toEqual(['BAD', 'M1']);
    r.request('BAD');
    await vi.advanceTimersByTimeAsync(1000);
    expect(task).toHaveBeenCalledTimes(3);
  });
});
