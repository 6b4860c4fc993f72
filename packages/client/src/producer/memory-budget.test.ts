import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BufferExhaustedError, ClientClosedError } from '../errors.js';
import { MemoryBudget } from './memory-budget.js';

describe('MemoryBudget', () => {
  it('reserves up to its capacity and releases', () => {
    const budget = new MemoryBudget(100);
    expect(budget.tryReserve(60)).toBe(true);
    expect(budget.tryReserve(50)).toBe(false);
    expect(budget.available).toBe(40);
    budget.release(60);
    expect(budget.used).toBe(0);
    expect(() => budget.release(1)).toThrow();
  });

  it('makes reservations wait in FIFO order, and fails them at their timeout', async () => {
    const budget = new MemoryBudget(100);
    expect(budget.tryReserve(90)).toBe(true);
    const order: string[] = [];
    const big = budget.reserve(80, 1_000).then(() => order.push('big'));
    const small = budget.reserve(10, 1_000).then(() => order.push('small'));
    // A small reservation that would fit does not overtake a waiting one.
    expect(budget.tryReserve(5)).toBe(false);
    expect(budget.hasWaiters).toBe(true);
    budget.release(90);
    await Promise.all([big, small]);
    expect(order).toEqual(['big', 'small']);
    expect(budget.used).toBe(90);
    const started = Date.now();
    await expect(budget.reserve(50, 100)).rejects.toBeInstanceOf(BufferExhaustedError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(95);
    expect(budget.used).toBe(90);
  });

  it('lets waiters behind a timed-out head through', async () => {
    const budget = new MemoryBudget(100);
    budget.tryReserve(60);
    const head = budget.reserve(80, 50);
    const behind = budget.reserve(30, 1_000);
    await expect(head).rejects.toBeInstanceOf(BufferExhaustedError);
    await behind;
    expect(budget.used).toBe(90);
  });

  it('fails every waiter on close', async () => {
    const budget = new MemoryBudget(10);
    budget.tryReserve(10);
    const waiting = budget.reserve(5, 10_000);
    await sleep(1);
    budget.failWaiters(new ClientClosedError('the producer'));
    await expect(waiting).rejects.toBeInstanceOf(ClientClosedError);
    expect(budget.hasWaiters).toBe(false);
  });
});
