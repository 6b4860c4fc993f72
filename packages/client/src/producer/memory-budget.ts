import { assert, type EddyError } from '@eddy/base';
import { BufferExhaustedError } from '../errors.js';

interface Waiter {
  readonly bytes: number;
  readonly resolve: () => void;
  readonly reject: (error: EddyError) => void;
  readonly timer: NodeJS.Timeout;
}

/**
 * The producer's buffer memory: bytes of records accepted by `send()` and not yet acknowledged.
 * A send reserves before it appends and the bytes come back when the batch completes. When the
 * buffer is full, reservations wait in FIFO order (first come, first served: a large send is
 * not starved by small ones) for up to their timeout, then fail with BufferExhaustedError. So
 * memory never grows past the capacity.
 */
export class MemoryBudget {
  private usedBytes = 0;
  private readonly waiters: Waiter[] = [];

  constructor(readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes > 0, `buffer memory must be a positive integer, got ${capacityBytes}`);
  }

  get used(): number {
    return this.usedBytes;
  }

  get available(): number {
    return this.capacityBytes - this.usedBytes;
  }

  /** True while a reservation waits (the producer then sends whatever is ready, lingering or not). */
  get hasWaiters(): boolean {
    return this.waiters.length > 0;
  }

  /** Takes `bytes` now if they fit and nobody waits before us. */
  tryReserve(bytes: number): boolean {
    if (this.waiters.length > 0 || this.usedBytes + bytes > this.capacityBytes) return false;
    this.usedBytes += bytes;
    return true;
  }

  /** Waits (FIFO) until `bytes` fit, up to `timeoutMs`. `bytes` must not exceed the capacity. */
  reserve(bytes: number, timeoutMs: number): Promise<void> {
    assert(bytes <= this.capacityBytes, `cannot reserve ${bytes} bytes of ${this.capacityBytes}`);
    if (this.tryReserve(bytes)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter: Waiter = {
        bytes,
        resolve,
        reject,
        timer: setTimeout(() => {
          const at = this.waiters.indexOf(waiter);
          if (at >= 0) this.waiters.splice(at, 1);
          reject(
            new BufferExhaustedError(
              `the producer buffer (${this.capacityBytes} bytes, ${this.usedBytes} in use) had no room for ${bytes} bytes within ${timeoutMs} ms`,
            ),
          );
          // The head may have been the one blocking smaller reservations behind it.
          this.wake();
        }, Math.max(0, timeoutMs)),
      };
      this.waiters.push(waiter);
    });
  }

  release(bytes: number): void {
    this.usedBytes -= bytes;
    assert(this.usedBytes >= 0, `released more than reserved (${this.usedBytes})`);
    this.wake();
  }

  /** Fails every waiting reservation (the producer is closing). */
  failWaiters(error: EddyError): void {
    for (const waiter of this.waiters.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.reject(error);
    }
  }

  private wake(): void {
    while (this.waiters.length > 0) {
      const head = this.waiters[0] as Waiter;
      if (this.usedBytes + head.bytes > this.capacityBytes) return;
      this.waiters.shift();
      clearTimeout(head.timer);
      this.usedBytes += head.bytes;
      head.resolve();
    }
  }
}
