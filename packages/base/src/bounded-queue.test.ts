import { describe, expect, it } from 'vitest';
import { BoundedQueue } from './bounded-queue.js';
import { EddyError } from './eddy-error.js';

describe('BoundedQueue', () => {
  it('is FIFO and refuses items beyond its capacity', () => {
    const queue = new BoundedQueue<number>(2);
    expect(queue.offer(1)).toBe(true);
    expect(queue.offer(2)).toBe(true);
    expect(queue.offer(3)).toBe(false);
    expect(queue.poll()).toBe(1);
    expect(queue.offer(3)).toBe(true);
    expect([queue.poll(), queue.poll(), queue.poll()]).toEqual([2, 3, undefined]);
  });

  it('hands an offered item straight to a waiting taker', async () => {
    const queue = new BoundedQueue<string>(1);
    const taken = queue.take(1000);
    expect(queue.offer('a')).toBe(true);
    await expect(taken).resolves.toBe('a');
    expect(queue.size).toBe(0);
  });

  it('times out a take with a retriable typed error', async () => {
    const queue = new BoundedQueue<string>(1);
    const error = await queue.take(5).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EddyError);
    expect(error).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
  });

  it('wakes waiters with undefined on close and refuses new items', async () => {
    const queue = new BoundedQueue<number>(4);
    const taken = queue.take(1000);
    queue.close();
    await expect(taken).resolves.toBeUndefined();
    expect(queue.offer(1)).toBe(false);
  });

  it('drains what it holds after close', async () => {
    const queue = new BoundedQueue<number>(4);
    queue.offer(1);
    queue.close();
    await expect(queue.take(10)).resolves.toBe(1);
    await expect(queue.take(10)).resolves.toBeUndefined();
  });
});
