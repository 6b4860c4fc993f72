import { describe, expect, it } from 'vitest';
import { DeadlineHeap } from './deadline-heap.js';
import { ProducePurgatory } from './produce-purgatory.js';

describe('ProducePurgatory', () => {
  it('completes waiters in offset order as the high watermark passes them', () => {
    const purgatory = new ProducePurgatory<string>(10);
    expect(purgatory.add('t-0', 10n, 1_000, 'a')).toBe(true);
    expect(purgatory.add('t-0', 20n, 1_000, 'b')).toBe(true);
    expect(purgatory.add('t-0', 30n, 1_000, 'c')).toBe(true);
    expect(purgatory.add('t-1', 5n, 1_000, 'other')).toBe(true);
    expect(purgatory.completeUpTo('t-0', 9n)).toEqual([]);
    expect(purgatory.completeUpTo('t-0', 20n)).toEqual(['a', 'b']);
    expect(purgatory.sizeOf('t-0')).toBe(1);
    expect(purgatory.size).toBe(2);
    expect(purgatory.completeUpTo('t-0', 100n)).toEqual(['c']);
    expect(purgatory.completeUpTo('t-1', 5n)).toEqual(['other']);
    expect(purgatory.size).toBe(0);
    expect(purgatory.nextDeadlineMs()).toBeUndefined();
  });

  it('inserts a retried duplicate waiting for an older offset in order', () => {
    const purgatory = new ProducePurgatory<string>(10);
    purgatory.add('p', 30n, 1_000, 'new');
    purgatory.add('p', 10n, 1_000, 'duplicate');
    expect(purgatory.completeUpTo('p', 10n)).toEqual(['duplicate']);
    expect(purgatory.completeUpTo('p', 30n)).toEqual(['new']);
  });

  it('expires waiters at their deadlines, independently of their offsets', () => {
    const purgatory = new ProducePurgatory<string>(10);
    purgatory.add('p', 10n, 500, 'late');
    purgatory.add('p', 20n, 100, 'early');
    expect(purgatory.nextDeadlineMs()).toBe(100);
    expect(purgatory.expire(99)).toEqual([]);
    expect(purgatory.expire(100)).toEqual(['early']);
    expect(purgatory.nextDeadlineMs()).toBe(500);
    // The expired waiter no longer completes; the other one still does.
    expect(purgatory.completeUpTo('p', 100n)).toEqual(['late']);
    expect(purgatory.expire(10_000)).toEqual([]);
  });

  it('is bounded, and frees room as waiters complete', () => {
    const purgatory = new ProducePurgatory<number>(2);
    expect(purgatory.add('p', 1n, 10, 1)).toBe(true);
    expect(purgatory.add('p', 2n, 10, 2)).toBe(true);
    expect(purgatory.isFull).toBe(true);
    expect(purgatory.add('p', 3n, 10, 3)).toBe(false);
    expect(purgatory.completeUpTo('p', 1n)).toEqual([1]);
    expect(purgatory.add('p', 3n, 10, 3)).toBe(true);
  });

  it('drains a partition that lost its leadership, and everything at shutdown', () => {
    const purgatory = new ProducePurgatory<string>(10);
    purgatory.add('a', 1n, 10, 'a1');
    purgatory.add('a', 2n, 10, 'a2');
    purgatory.add('b', 1n, 10, 'b1');
    expect(purgatory.drain('a')).toEqual(['a1', 'a2']);
    expect(purgatory.size).toBe(1);
    expect(purgatory.drainAll()).toEqual(['b1']);
    expect(purgatory.size).toBe(0);
    expect(purgatory.expire(1_000)).toEqual([]);
  });

  it('stays consistent over many waiters completing and expiring (bounded work, no leaks)', () => {
    const purgatory = new ProducePurgatory<number>(100_000);
    let completed = 0;
    let expired = 0;
    for (let i = 1; i <= 20_000; i++) {
      purgatory.add('p', BigInt(i), i % 7 === 0 ? i : 1_000_000, i);
      if (i % 100 === 0) completed += purgatory.completeUpTo('p', BigInt(i - 50)).length;
      if (i % 333 === 0) expired += purgatory.expire(i).length;
    }
    completed += purgatory.completeUpTo('p', 20_000n).length;
    expect(completed + expired).toBe(20_000);
    expect(purgatory.size).toBe(0);
    expect(purgatory.nextDeadlineMs()).toBeUndefined();
  });
});

describe('DeadlineHeap', () => {
  it('pops in deadline order, ties in insertion order, skipping cancelled entries', () => {
    const heap = new DeadlineHeap<string>();
    heap.push(30, 'c');
    const b = heap.push(20, 'b');
    heap.push(10, 'a1');
    heap.push(10, 'a2');
    expect(heap.cancel(b)).toBe(true);
    expect(heap.cancel(b)).toBe(false);
    expect(heap.size).toBe(3);
    expect(heap.nextDeadlineMs()).toBe(10);
    expect(heap.popExpired(25)).toEqual(['a1', 'a2']);
    expect(heap.popExpired(100)).toEqual(['c']);
    expect(heap.size).toBe(0);
  });

  it('rebuilds itself when cancelled entries dominate', () => {
    const heap = new DeadlineHeap<number>();
    const entries = Array.from({ length: 1_000 }, (_, i) => heap.push(1_000 - i, i));
    for (const entry of entries.slice(0, 990)) heap.cancel(entry);
    expect(heap.size).toBe(10);
    expect(heap.popExpired(Infinity)).toEqual([999, 998, 997, 996, 995, 994, 993, 992, 991, 990]);
  });
});
