/**
 * Collects items and applies them in batches: at most `concurrency` `apply` calls at a time,
 * a batch flushed when `maxBatch` items wait or `maxDelayMs` after the first one arrived.
 * Each item's promise settles when its batch has been applied (committed) or failed.
 */
interface BatcherOptions<T> {
  maxBatch: number;
  maxDelayMs: number;
  /** batches applied at once (1 for an embedded single-connection database) */
  concurrency: number;
  /** above this many waiting items `backpressure()` returns a promise */
  highWater: number;
  apply: (items: T[]) => Promise<void>;
  /** `retrying`: the batch goes back to the head of the queue after `retryDelayMs` */
  onError: (err: unknown, items: T[], retrying: boolean) => void;
  /**
   * A failure that is the database's absence, not the batch's fault: the batch is applied again
   * after `retryDelayMs`, ahead of everything queued since, until it succeeds or the batcher
   * closes. Its items' promises stay pending meanwhile (their MQTT PUBACKs wait), and the queue
   * fills up to its high-water mark, which holds the producers back.
   */
  retryable?: (err: unknown) => boolean;
  retryDelayMs?: number;
}

interface Waiting<T> {
  item: T;
  resolve: () => void;
  reject: (err: unknown) => void;
}

export class Batcher<T> {
  private queue: Waiting<T>[] = [];
  private timer: NodeJS.Timeout | null = null;
  private running = 0;
  private drainWaiters: (() => void)[] = [];
  private isClosed = false;
  private closing = false;

  constructor(private readonly opts: BatcherOptions<T>) {}

  /** Closed (after `close()`): `add` refuses new items. */
  get closed(): boolean {
    return this.isClosed;
  }

  get pending(): number {
    return this.queue.length;
  }

  add(item: T): Promise<void> {
    if (this.isClosed) return Promise.reject(new Error('batcher closed'));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  /** A promise to wait on while the queue is above its high-water mark; null otherwise. */
  backpressure(): Promise<void> | null {
    if (this.queue.length < this.opts.highWater) return null;
    return new Promise<void>((resolve) => this.drainWaiters.push(resolve));
  }

  /** Applies everything queued so far. */
  async flush(): Promise<void> {
    while (this.queue.length > 0 || this.running > 0) {
      if (this.queue.length > 0 && this.running < this.opts.concurrency) this.run();
      await new Promise((r) => setTimeout(r, 1));
    }
  }

  async close(): Promise<void> {
    // A batch failing from here on fails (its items stay unacknowledged) rather than retrying.
    this.closing = true;
    await this.flush();
    this.isClosed = true;
  }

  private schedule(): void {
    if (this.running >= this.opts.concurrency) return;
    // With a batch already in flight, wait for a full batch or the timer rather than
    // committing a trickle of tiny transactions.
    if (this.queue.length >= this.opts.maxBatch || (this.running === 0 && this.opts.maxDelayMs === 0)) {
      this.run();
      return;
    }
    this.timer ??= setTimeout(() => {
      this.timer = null;
      this.run();
    }, this.opts.maxDelayMs);
  }

  private run(): void {
    if (this.running >= this.opts.concurrency || this.queue.length === 0) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.running++;
    const batch = this.queue.splice(0, this.opts.maxBatch);
    this.releaseWaiters();
    void this.opts
      .apply(batch.map((w) => w.item))
      .then(
        () => {
          for (const w of batch) w.resolve();
        },
        async (err: unknown) => {
          const retrying = !this.closing && this.opts.retryable?.(err) === true;
          this.opts.onError(
            err,
            batch.map((w) => w.item),
            retrying,
          );
          if (!retrying) {
            for (const w of batch) w.reject(err);
            return;
          }
          // Still counted as running while it waits: nothing overtakes it.
          await new Promise((r) => setTimeout(r, this.opts.retryDelayMs ?? 1000));
          this.queue.unshift(...batch);
        },
      )
      .finally(() => {
        this.running--;
        // whatever arrived meanwhile has already waited one commit: apply it now
        if (this.queue.length > 0) this.run();
        if (this.queue.length > 0) this.schedule();
      });
  }

  private releaseWaiters(): void {
    if (this.queue.length >= this.opts.highWater / 2) return;
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
  }
}
