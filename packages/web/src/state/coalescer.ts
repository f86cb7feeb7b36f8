export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

export const realTimers: Timers = {
  setTimeout: (fn, ms) => globalThis.setTimeout(fn, ms),
  clearTimeout: (handle) => globalThis.clearTimeout(handle as ReturnType<typeof globalThis.setTimeout>),
  now: () => Date.now(),
};

/**
 * Calls `flush` at most once per `intervalMs` however often `request` is called, and always
 * once after the last request: a burst of socket events becomes one render.
 */
export function createCoalescer(flush: () => void, intervalMs: number, timers: Timers = realTimers) {
  let pending: unknown = null;
  let lastFlushMs = -Infinity;
  const run = () => {
    pending = null;
    lastFlushMs = timers.now();
    flush();
  };
  return {
    request(): void {
      if (pending !== null) return;
      const waitMs = Math.max(0, lastFlushMs + intervalMs - timers.now());
      pending = timers.setTimeout(run, waitMs);
    },
    cancel(): void {
      if (pending !== null) timers.clearTimeout(pending);
      pending = null;
    },
  };
}

/**
 * Runs `task(key)` on request, never two at once per key and at most once per `minIntervalMs`;
 * requests that arrive meanwhile fold into one trailing run. Used for HTTP refetches after a
 * sequence gap, which can come in bursts.
 */
export function createRefetcher(
  task: (key: string) => Promise<void>,
  minIntervalMs: number,
  timers: Timers = realTimers,
) {
  const state = new Map<string, { running: boolean; again: boolean; lastStartMs: number; timer: unknown }>();
  const start = (key: string): void => {
    const s = state.get(key);
    if (!s) return;
    s.timer = null;
    s.running = true;
    s.again = false;
    s.lastStartMs = timers.now();
    void task(key)
      .catch(() => {})
      .finally(() => {
        s.running = false;
        if (s.again) schedule(key);
      });
  };
  const schedule = (key: string): void => {
    let s = state.get(key);
    if (!s) {
      s = { running: false, again: false, lastStartMs: -Infinity, timer: null };
      state.set(key, s);
    }
    if (s.running) {
      s.again = true;
      return;
    }
    if (s.timer !== null) return;
    const waitMs = Math.max(0, s.lastStartMs + minIntervalMs - timers.now());
    s.timer = timers.setTimeout(() => start(key), waitMs);
  };
  return {
    request: schedule,
    cancelAll(): void {
      for (const s of state.values()) if (s.timer !== null) timers.clearTimeout(s.timer);
      state.clear();
    },
  };
}
