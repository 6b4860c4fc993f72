import { describe, expect, it } from 'vitest';
import { formatTotal, formatWindow, LatencyStats } from './latency-stats.js';

describe('LatencyStats', () => {
  it('reports throughput and latency percentiles, and starts windows afresh', () => {
    const stats = new LatencyStats(0);
    for (let i = 1; i <= 1_000; i++) stats.record(i / 10, 1024);
    const summary = stats.summary(2_000);
    expect(summary).toMatchObject({ records: 1_000, bytes: 1_024_000, elapsedMs: 2_000, recordsPerSecond: 500 });
    expect(summary.mbPerSecond).toBeCloseTo(1_024_000 / 2 / 1024 / 1024, 6);
    expect(summary.p50LatencyMs).toBeCloseTo(50, 0);
    expect(summary.p99LatencyMs).toBeCloseTo(99, 0);
    expect(summary.maxLatencyMs).toBeCloseTo(100, 0);
    expect(summary.avgLatencyMs).toBeCloseTo(50.05, 0);
    expect(formatTotal(summary)).toMatch(/^1000 records sent, 500\.0 records\/sec \(0\.49 MB\/sec\), 50\.\d\d ms avg latency, .* ms 99\.9th\.$/);

    stats.reset(2_000);
    expect(stats.summary(3_000)).toMatchObject({ records: 0, avgLatencyMs: 0, maxLatencyMs: 0 });
    expect(formatWindow(stats.summary(3_000))).toBe('0 records sent, 0.0 records/sec (0.00 MB/sec), 0.0 ms avg latency, 0.0 ms max latency.');
    stats.close();
  });
});
