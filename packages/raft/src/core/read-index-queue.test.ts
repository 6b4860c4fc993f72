import { describe, expect, it } from 'vitest';
import { ReadIndexQueue } from './read-index-queue.js';

const ctx = (n: number): Uint8Array => new Uint8Array([n]);

describe('ReadIndexQueue', () => {
  it('groups reads arriving together into the next round and releases them once it is confirmed', () => {
    const queue = new ReadIndexQueue(10);
    queue.add(ctx(1), 1, 5);
    queue.add(ctx(2), 2, 5);
    expect(queue.startRound()).toBe(true);
    expect(queue.startRound()).toBe(false);
    queue.add(ctx(3), 1, 6);
    expect(queue.release(0)).toEqual([]);
    expect(queue.release(1).map((r) => r.context[0])).toEqual([1, 2]);
    expect(queue.startRound()).toBe(true);
    expect(queue.release(2).map((r) => [r.context[0], r.index, r.round])).toEqual([[3, 6, 2]]);
    expect(queue.size).toBe(0);
  });

  it('holds reads until the leader can stamp them, and bounds what waits', () => {
    const queue = new ReadIndexQueue(2);
    queue.hold(ctx(1), 1);
    queue.add(ctx(2), 1, 3);
    expect(queue.isFull()).toBe(true);
    expect(queue.takeHeld()).toEqual([{ context: ctx(1), requester: 1 }]);
    expect(queue.isFull()).toBe(false);
  });
});
