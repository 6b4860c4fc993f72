import { describe, expect, it } from 'vitest';
import { ThroughputThrottle } from './throughput-throttle.js';

describe('ThroughputThrottle', () => {
  it('keeps the average rate since the start at the target', () => {
    const throttle = new ThroughputThrottle(100, 1_000);
    expect(throttle.delayMs(0, 1_000)).toBe(0);
    // Record 51 is due 500 ms after the start.
    expect(throttle.delayMs(50, 1_100)).toBe(400);
    expect(throttle.delayMs(50, 1_500)).toBe(0);
    // Behind schedule: no wait, no burst credit either way.
    expect(throttle.delayMs(10, 5_000)).toBe(0);
  });

  it('never waits without a cap', () => {
    expect(new ThroughputThrottle(-1, 0).delayMs(1_000_000, 0)).toBe(0);
  });
});
