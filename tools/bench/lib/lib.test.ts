import { describe, expect, it } from 'vitest';
import { formatBytes, formatNumber, formatTable, median, quantile, relativeSpread, timeRounds, timeRoundsAsync } from './index.js';

describe('stats', () => {
  it('takes medians and quantiles without reordering the input', () => {
    const values = [5, 1, 3];
    expect(median(values)).toBe(3);
    expect(values).toEqual([5, 1, 3]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(quantile([10, 20, 30, 40, 50], 0.9)).toBe(46);
    expect(quantile([7], 0.99)).toBe(7);
    expect(relativeSpread([90, 100, 110])).toBeCloseTo(0.2);
    expect(() => median([])).toThrow(RangeError);
    expect(() => quantile([1], 1.5)).toThrow(RangeError);
  });
});

describe('formatTable', () => {
  it('aligns numbers right and text left under a rule', () => {
    const table = formatTable(['name', 'MB/s', { title: 'note', align: 'right' }], [
      ['encode', 1234.5, 'x'],
      ['verifyBatch', 12, 'long note'],
    ]);
    expect(table.split('\n')).toEqual([
      'name           MB/s       note',
      '-----------  ------  ---------',
      'encode       1234.5          x',
      'verifyBatch      12  long note',
    ]);
  });

  it('formats numbers and byte sizes', () => {
    expect(formatNumber(1234567.891, 1)).toBe('1,234,567.9');
    expect(formatNumber(0.4)).toBe('0');
    expect(formatBytes(100)).toBe('100 B');
    expect(formatBytes(16 * 1024)).toBe('16 KiB');
    expect(formatBytes(1.5 * 1024 * 1024)).toBe('1.5 MiB');
  });
});

describe('timeRounds', () => {
  it('calibrates rounds and stays inside its budget', () => {
    let calls = 0;
    const result = timeRounds(
      () => {
        calls++;
        return calls;
      },
      { warmupMs: 10, roundMs: 5, rounds: 5, budgetMs: 200 },
    );
    expect(result.nsPerOp.length).toBeGreaterThanOrEqual(1);
    expect(result.nsPerOp.length).toBeLessThanOrEqual(5);
    expect(result.opsPerRound).toBeGreaterThan(1);
    expect(result.medianNsPerOp).toBeGreaterThan(0);
    expect(result.opsPerSecond).toBeCloseTo(1e9 / result.medianNsPerOp);
    expect(result.totalMs).toBeLessThan(1000);
  });

  it('runs at least one round of a slow operation, then stops at the budget', () => {
    const busy = (ms: number): void => {
      const end = performance.now() + ms;
      while (performance.now() < end) {
        // spin
      }
    };
    const result = timeRounds(() => busy(20), { warmupMs: 1, roundMs: 1, rounds: 100, budgetMs: 50 });
    expect(result.opsPerRound).toBe(1);
    expect(result.nsPerOp.length).toBeLessThan(5);
    expect(result.medianNsPerOp).toBeGreaterThanOrEqual(19e6);
  });

  it('times async operations', async () => {
    const result = await timeRoundsAsync(() => Promise.resolve(1), { warmupMs: 5, roundMs: 2, rounds: 3, budgetMs: 100 });
    expect(result.nsPerOp).toHaveLength(3);
  });

  it('refuses nonsense options', () => {
    expect(() => timeRounds(() => 0, { rounds: 0 })).toThrow(RangeError);
  });
});
