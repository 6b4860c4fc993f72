import { assert } from '@eddy/base';
import { type DeadlineEntry, DeadlineHeap } from './deadline-heap.js';

interface Waiter<T> {
  readonly key: string;
  /** The high watermark that completes it: the offset after the batch's last record. */
  readonly requiredOffset: bigint;
  readonly value: T;
  timer: DeadlineEntry<Waiter<T>> | undefined;
  done: boolean;
}

interface PartitionQueue<T> {
  /** Waiters in increasing requiredOffset; `head` skips the completed prefix. */
  items: Array<Waiter<T>>;
  head: number;
  /** Waiters in `items` not yet done. */
  live: number;
}

/**
 * acks=all produces waiting for the high watermark (Kafka's produce purgatory), keyed by
 * partition and ordered by offset, with a deadline each and a bound on their number. Pure:
 * the caller advances it with high watermarks and the time, and answers what it returns.
 */
export class ProducePurgatory<T> {
  private readonly partitions = new Map<string, PartitionQueue<T>>();
  private readonly deadlines = new DeadlineHeap<Waiter<T>>();
  private count = 0;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity > 0, `capacity must be a positive integer, got ${capacity}`);
  }

  /** Waiters in the purgatory. */
  get size(): number {
    return this.count;
  }

  get isFull(): boolean {
    return this.count >= this.capacity;
  }

  /** Waiters of one partition. */
  sizeOf(key: string): number {
    return this.partitions.get(key)?.live ?? 0;
  }

  /**
   * Parks `value` until the partition's high watermark reaches `requiredOffset` or `deadlineMs`
   * passes. Returns false (and keeps nothing) when the purgatory is full.
   */
  add(key: string, requiredOffset: bigint, deadlineMs: number, value: T): boolean {
    if (this.isFull) return false;
    const waiter: Waiter<T> = { key, requiredOffset, value, timer: undefined, done: false };
    waiter.timer = this.deadlines.push(deadlineMs, waiter);
    let queue = this.partitions.get(key);
    if (queue === undefined) this.partitions.set(key, (queue = { items: [], head: 0, live: 0 }));
    // Appends arrive in offset order, so this is almost always a push; a retried duplicate of an
    // idempotent producer may wait for an older offset and is inserted in order.
    let at = queue.items.length;
    while (at > queue.head && (queue.items[at - 1] as Waiter<T>).requiredOffset > requiredOffset) at--;
    if (at === queue.items.length) queue.items.push(waiter);
    else queue.items.splice(at, 0, waiter);
    queue.live++;
    this.count++;
    return true;
  }

  /** Removes and returns the waiters of `key` that the high watermark now covers, in offset order. */
  completeUpTo(key: string, highWatermark: bigint): T[] {
    const queue = this.partitions.get(key);
    if (queue === undefined) return [];
    const completed: T[] = [];
    while (queue.head < queue.items.length) {
      const waiter = queue.items[queue.head] as Waiter<T>;
      if (!waiter.done) {
        if (waiter.requiredOffset > highWatermark) break;
        this.finish(waiter, queue);
        completed.push(waiter.value);
      }
      queue.head++;
    }
    this.compact(key, queue);
    return completed;
  }

  /** Removes and returns every waiter of `key` (the partition lost its leadership). */
  drain(key: string): T[] {
    const queue = this.partitions.get(key);
    if (queue === undefined) return [];
    const drained: T[] = [];
    for (let i = queue.head; i < queue.items.length; i++) {
      const waiter = queue.items[i] as Waiter<T>;
      if (waiter.done) continue;
      this.finish(waiter, queue);
      drained.push(waiter.value);
    }
    this.partitions.delete(key);
    return drained;
  }

  /** Removes and returns every waiter (shutdown). */
  drainAll(): T[] {
    return [...this.partitions.keys()].flatMap((key) => this.drain(key));
  }

  /** Removes and returns the waiters whose deadline is at or before `nowMs`. */
  expire(nowMs: number): T[] {
    const expired: T[] = [];
    for (const waiter of this.deadlines.popExpired(nowMs)) {
      waiter.timer = undefined;
      const queue = this.partitions.get(waiter.key);
      assert(queue !== undefined, 'a waiting produce belongs to a partition queue');
      this.finish(waiter, queue);
      expired.push(waiter.value);
      this.compact(waiter.key, queue);
    }
    return expired;
  }

  /** The earliest deadline of a waiting produce, or undefined when none waits. */
  nextDeadlineMs(): number | undefined {
    return this.deadlines.nextDeadlineMs();
  }

  private finish(waiter: Waiter<T>, queue: PartitionQueue<T>): void {
    assert(!waiter.done, 'a waiter completes once');
    waiter.done = true;
    if (waiter.timer !== undefined) this.deadlines.cancel(waiter.timer);
    waiter.timer = undefined;
    queue.live--;
    this.count--;
  }

  /** Drops the completed prefix, and completed waiters once they dominate the queue. */
  private compact(key: string, queue: PartitionQueue<T>): void {
    while (queue.head < queue.items.length && (queue.items[queue.head] as Waiter<T>).done) queue.head++;
    if (queue.live === 0) {
      this.partitions.delete(key);
      return;
    }
    const waste = queue.items.length - queue.live;
    if (waste >= 1024 && waste * 2 >= queue.items.length) {
      queue.items = queue.items.slice(queue.head).filter((waiter) => !waiter.done);
      queue.head = 0;
    }
  }
}
