import { assert } from './assert.js';
import { EddyError } from './eddy-error.js';

/**
 * A FIFO with a hard capacity between a producer and an async consumer. `offer` refuses when
 * full (the caller applies backpressure); `take` waits, with a deadline, for the next item.
 * Closing wakes every waiter.
 */
export class BoundedQueue<T> {
  private readonly items: T[] = [];
  private head = 0;
  private readonly takers: Array<(item: T | undefined) => void> = [];
  private closed = false;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 0, `capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.items.length - this.head;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Adds an item; returns false (and keeps nothing) when the queue is full or closed. */
  offer(item: T): boolean {
    if (this.closed) return false;
    const taker = this.takers.shift();
    if (taker !== undefined) {
      taker(item);
      return true;
    }
    if (this.size >= this.capacity) return false;
    this.items.push(item);
    return true;
  }

  /** Removes and returns the next item, or undefined when empty. */
  poll(): T | undefined {
    if (this.size === 0) return undefined;
    const item = this.items[this.head] as T;
    this.head++;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items.splice(0, this.head);
      this.head = 0;
    }
    return item;
  }

  /**
   * Waits for the next item. Resolves undefined once the queue is closed and drained; rejects
   * with a TIMEOUT error after `timeoutMs`.
   */
  take(timeoutMs: number): Promise<T | undefined> {
    const ready = this.poll();
    if (ready !== undefined || this.closed) return Promise.resolve(ready);
    return new Promise<T | undefined>((resolve, reject) => {
      const taker = (item: T | undefined): void => {
        clearTimeout(timer);
        resolve(item);
      };
      const timer = setTimeout(() => {
        const at = this.takers.indexOf(taker);
        if (at >= 0) this.takers.splice(at, 1);
        reject(new EddyError('REQUEST_TIMED_OUT', `no item arrived within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      this.takers.push(taker);
    });
  }

  close(): void {
    this.closed = true;
    for (const taker of this.takers.splice(0)) taker(undefined);
  }
}
