interface CoalescerOptions<T> {
  windowMs: number;
  /** combines what is waiting with a newer value for the same key */
  merge: (waiting: T, incoming: T) => T;
  send: (key: string, value: T) => void;
  now?: () => number;
}

interface Entry<T> {
  lastSentMs: number;
  waiting: T | null;
  timer: NodeJS.Timeout | null;
}

/**
 * Sends at most one value per key per window. The first value after a quiet window goes out
 * at once (so a meter reporting every few seconds sees no added latency); values arriving
 * within the window are merged and sent when it ends.
 */
export class Coalescer<T> {
  private readonly entries = new Map<string, Entry<T>>();
  private readonly sweeper: NodeJS.Timeout;
  private readonly now: () => number;

  constructor(private readonly opts: CoalescerOptions<T>) {
    this.now = opts.now ?? Date.now;
    // Entries only remember when a key last sent; forget the quiet ones so the map stays small.
    this.sweeper = setInterval(() => this.sweep(), Math.max(opts.windowMs * 10, 1000));
    this.sweeper.unref();
  }

  get size(): number {
    return this.entries.size;
  }

  offer(key: string, value: T): void {
    const now = this.now();
    const entry = this.entries.get(key);
    if (!entry) {
      this.entries.set(key, { lastSentMs: now, waiting: null, timer: null });
      this.opts.send(key, value);
      return;
    }
    if (entry.waiting === null && now - entry.lastSentMs >= this.opts.windowMs) {
      entry.lastSentMs = now;
      this.opts.send(key, value);
      return;
    }
    entry.waiting = entry.waiting === null ? value : this.opts.merge(entry.waiting, value);
    entry.timer ??= setTimeout(
      () => this.flush(key),
      Math.max(0, entry.lastSentMs + this.opts.windowMs - now),
    );
  }

  /** Sends what waits for `key` now: an event that must go out at once may not overtake it. */
  flush(key: string): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = null;
    const value = entry.waiting;
    if (value === null) return;
    entry.waiting = null;
    entry.lastSentMs = this.now();
    this.opts.send(key, value);
  }

  sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      if (entry.waiting === null && now - entry.lastSentMs >= this.opts.windowMs) this.entries.delete(key);
    }
  }

  /** Sends everything still waiting and stops. */
  close(): void {
    clearInterval(this.sweeper);
    for (const key of [...this.entries.keys()]) this.flush(key);
    this.entries.clear();
  }
}
