import { assert } from '@eddy/base';

interface ScheduledEvent {
  readonly time: number;
  readonly id: number;
  readonly run: () => void;
}

/**
 * The simulator's only source of time: a priority queue of callbacks ordered by (time, id).
 * Ids grow with every schedule call, so two events due at the same time run in the order they
 * were scheduled and a seed replays exactly.
 */
export class Scheduler {
  private readonly heap: ScheduledEvent[] = [];
  private nextId = 0;
  private nowMs = 0;

  get now(): number {
    return this.nowMs;
  }

  get pending(): number {
    return this.heap.length;
  }

  /** Runs `run` after `delayMs` (0: after every event already due now). */
  schedule(delayMs: number, run: () => void): void {
    assert(Number.isFinite(delayMs) && delayMs >= 0, `bad delay ${delayMs}`);
    this.push({ time: this.nowMs + delayMs, id: this.nextId++, run });
  }

  /** Runs the next event, moving time to it; returns false when none is left. */
  runNext(): boolean {
    const event = this.pop();
    if (event === undefined) return false;
    assert(event.time >= this.nowMs, 'time went backwards');
    this.nowMs = event.time;
    event.run();
    return true;
  }

  /** The time of the next event, or undefined. */
  peekTime(): number | undefined {
    return this.heap[0]?.time;
  }

  private push(event: ScheduledEvent): void {
    const heap = this.heap;
    heap.push(event);
    let i = heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as ScheduledEvent;
      if (!before(event, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = event;
  }

  private pop(): ScheduledEvent | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (top === undefined || last === undefined || heap.length === 0) return top;
    let i = 0;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right] as ScheduledEvent, heap[left] as ScheduledEvent) ? right : left;
      const c = heap[child] as ScheduledEvent;
      if (!before(c, last)) break;
      heap[i] = c;
      i = child;
    }
    heap[i] = last;
    return top;
  }
}

function before(a: ScheduledEvent, b: ScheduledEvent): boolean {
  return a.time < b.time || (a.time === b.time && a.id < b.id);
}
