import type { Clock } from '@eddy/base';
import { type DeadlineEntry, DeadlineHeap } from './deadline-heap.js';

/** A scheduled callback; cancel it through its DeadlineTimer. */
export type TimerHandle = DeadlineEntry<() => void>;

/**
 * Many deadlines on one Node timer: long-polling fetches and acks=all produces each get a
 * deadline here, and a single unref'd timeout is armed for the earliest one, so thousands of
 * waiting requests cost one timer. Deadlines are read from the injected clock.
 */
export class DeadlineTimer {
  private readonly heap = new DeadlineHeap<() => void>();
  private timer: NodeJS.Timeout | undefined;
  private armedForMs: number | undefined;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  get size(): number {
    return this.heap.size;
  }

  /** Runs `callback` once `delayMs` have passed (by the clock), unless cancelled first. */
  schedule(delayMs: number, callback: () => void): TimerHandle {
    const entry = this.heap.push(this.clock.monotonicMs() + Math.max(0, delayMs), callback);
    this.arm();
    return entry;
  }

  cancel(handle: TimerHandle): void {
    if (this.heap.cancel(handle) && this.heap.size === 0) this.disarm();
  }

  /** Cancels everything; later schedules never fire. */
  close(): void {
    this.closed = true;
    this.heap.drain();
    this.disarm();
  }

  private arm(): void {
    if (this.closed) return;
    const next = this.heap.nextDeadlineMs();
    if (next === undefined) {
      this.disarm();
      return;
    }
    if (this.timer !== undefined && this.armedForMs !== undefined && this.armedForMs <= next) return;
    this.disarm();
    this.armedForMs = next;
    this.timer = setTimeout(() => this.fire(), Math.max(0, Math.ceil(next - this.clock.monotonicMs())));
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.armedForMs = undefined;
  }

  private fire(): void {
    this.timer = undefined;
    this.armedForMs = undefined;
    let failure: Error | undefined;
    for (const callback of this.heap.popExpired(this.clock.monotonicMs())) {
      try {
        callback();
      } catch (error) {
        failure ??= error instanceof Error ? error : new Error(`a timer callback threw a ${typeof error}`);
      }
    }
    this.arm();
    // A callback that throws is a bug: report it after the others ran and the timer re-armed.
    if (failure !== undefined) throw failure;
  }
}
