import { assert } from '@eddy/base';
import type { Ticker } from './interfaces.js';

/** The production Ticker: a timer every `intervalMs` (the broker uses 100 ms per tick). */
export class IntervalTicker implements Ticker {
  private timer: ReturnType<typeof setInterval> | undefined;

  constructor(readonly intervalMs: number) {
    assert(Number.isInteger(intervalMs) && intervalMs > 0, `tick interval must be a positive integer, got ${intervalMs}`);
  }

  start(onTick: () => void): void {
    assert(this.timer === undefined, 'ticker already started');
    this.timer = setInterval(onTick, this.intervalMs);
    // Ticking alone must not keep a process alive.
    this.timer.unref();
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
