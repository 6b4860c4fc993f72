import { afterEach, describe, expect, it, vi } from 'vitest';
import { WakeTimer } from './wake-timer.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('WakeTimer', () => {
  it('fires once at the earliest time asked for, and never after stop()', () => {
    vi.useFakeTimers();
    const wakes: number[] = [];
    const timer = new WakeTimer(
      () => Date.now(),
      () => wakes.push(Date.now()),
    );
    const start = Date.now();
    timer.arm(start + 100);
    timer.arm(start + 300);
    timer.arm(start + 50);
    vi.advanceTimersByTime(400);
    expect(wakes).toEqual([start + 50]);
    timer.arm(start + 500);
    timer.stop();
    timer.arm(start + 450);
    vi.advanceTimersByTime(400);
    expect(wakes).toEqual([start + 50]);
  });
});
