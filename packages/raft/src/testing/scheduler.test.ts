import { describe, expect, it } from 'vitest';
import { Scheduler } from './scheduler.js';

describe('Scheduler', () => {
  it('runs events by time, then by the order they were scheduled', () => {
    const scheduler = new Scheduler();
    const ran: string[] = [];
    scheduler.schedule(5, () => ran.push('b'));
    scheduler.schedule(1, () => ran.push('a'));
    scheduler.schedule(5, () => ran.push('c'));
    scheduler.schedule(0, () => scheduler.schedule(0, () => ran.push('d')));
    while (scheduler.runNext());
    expect(ran).toEqual(['d', 'a', 'b', 'c']);
    expect(scheduler.now).toBe(5);
  });

  it('keeps order across many random events (heap property)', () => {
    const scheduler = new Scheduler();
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const delay = (i * 7919) % 101;
      scheduler.schedule(delay, () => times.push(scheduler.now));
    }
    while (scheduler.runNext());
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(times).toHaveLength(1000);
  });
});
