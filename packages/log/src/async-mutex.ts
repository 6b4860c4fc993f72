/**
 * A FIFO async lock: `run` executes critical sections one at a time in arrival order. It
 * serializes the writers of one partition; readers never take it.
 */
export class AsyncMutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Critical sections queued or running. */
  get pending(): number {
    return this.waiting;
  }

  run<T>(section: () => Promise<T>): Promise<T> {
    this.waiting++;
    const result = this.tail.then(section);
    this.tail = result.then(
      () => this.done(),
      () => this.done(),
    );
    return result;
  }

  private done(): void {
    this.waiting--;
  }
}
