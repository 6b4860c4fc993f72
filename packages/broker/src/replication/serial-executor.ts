/**
 * Runs async tasks one at a time in submission order: the per-partition lane that orders role
 * changes, leader appends and follower appends/truncations. A failing task does not stop the
 * ones after it; its error goes to its own caller.
 */
export class SerialExecutor {
  private tail: Promise<void> = Promise.resolve();
  private queued = 0;

  /** Tasks submitted and not finished (the running one included). */
  get pending(): number {
    return this.queued;
  }

  run<T>(task: () => Promise<T>): Promise<T> {
    this.queued++;
    const result = this.tail.then(task);
    this.tail = result.then(
      () => {
        this.queued--;
      },
      () => {
        this.queued--;
      },
    );
    return result;
  }

  /** Resolves once every task submitted so far has finished. */
  idle(): Promise<void> {
    return this.tail;
  }
}

/** Runs at most `limit` async tasks at once, the rest in submission order. */
export class ConcurrencyLimiter {
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(readonly limit: number) {}

  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.running >= this.limit) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running++;
    try {
      return await task();
    } finally {
      this.running--;
      this.waiting.shift()?.();
    }
  }
}
