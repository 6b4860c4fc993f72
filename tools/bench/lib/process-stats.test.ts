import { describe, expect, it } from 'vitest';
import { cpuMicros, RssSampler, rssBytes } from './process-stats.js';

const onLinux = process.platform === 'linux';

describe('rssBytes', () => {
  it.runIf(onLinux)('reads the resident set size of a running process', () => {
    const bytes = rssBytes(process.pid);
    expect(bytes).toBeGreaterThan(1024 * 1024);
    expect(bytes).toBeLessThan(64 * 1024 * 1024 * 1024);
  });

  it('gives undefined for a process that does not exist', () => {
    expect(rssBytes(2 ** 30)).toBeUndefined();
  });
});

describe('cpuMicros', () => {
  it.runIf(onLinux)('counts the CPU time a process has used, growing as it works', () => {
    const before = cpuMicros(process.pid);
    expect(before).toBeGreaterThanOrEqual(0);
    const spinUntil = process.cpuUsage();
    // Spin for about 50 ms of CPU: five clock ticks, so the count must move.
    while (process.cpuUsage(spinUntil).user < 50_000);
    expect(cpuMicros(process.pid)).toBeGreaterThan(before as number);
  });

  it('gives undefined for a process that does not exist', () => {
    expect(cpuMicros(2 ** 30)).toBeUndefined();
  });
});

describe('RssSampler', () => {
  it.runIf(onLinux)('keeps the largest sample per process until reset', () => {
    const sampler = new RssSampler(() => [process.pid, 2 ** 30], 1_000);
    expect(sampler.maxBytes).toBe(0);
    sampler.start();
    const first = sampler.maxBytes;
    expect(first).toBeGreaterThan(0);
    sampler.sample();
    expect(sampler.maxBytes).toBeGreaterThanOrEqual(first);
    sampler.reset();
    expect(sampler.maxBytes).toBeGreaterThan(0);
    sampler.stop();
  });
});
