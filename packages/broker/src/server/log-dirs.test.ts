import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { describeLogDirs } from './log-dirs.js';

const replica = (topic: string, partition: number, logEndOffset: bigint, highWatermark: bigint) => ({
  topic,
  partition,
  sizeBytes: 100 * partition,
  logStartOffset: 0n,
  logEndOffset,
  highWatermark,
});

describe('describeLogDirs', () => {
  const replicas = [replica('b', 1, 10n, 10n), replica('a', 2, 5n, 8n), replica('a', 0, 7n, 7n)];

  it('reports every local replica, sorted, with the file system capacity', async () => {
    const dir = tmpdir();
    const response = await describeLogDirs(dir, replicas, { topics: [] });
    expect(response.errorCode).toBe('NONE');
    const [logDir] = response.logDirs;
    expect(logDir?.path).toBe(dir);
    expect(logDir?.totalBytes).toBeGreaterThan(0n);
    expect(logDir?.usableBytes).toBeGreaterThanOrEqual(0n);
    expect(logDir?.topics.map((t) => [t.name, t.partitions.map((p) => [p.partition, p.sizeBytes, p.offsetLag])])).toEqual([
      ['a', [[0, 0n, 0n], [2, 200n, 3n]]],
      ['b', [[1, 100n, 0n]]],
    ]);
  });

  it('keeps only the partitions asked for, and answers -1 for the capacity of a missing directory', async () => {
    const response = await describeLogDirs('/no/such/dir/for/eddy', replicas, { topics: [{ topic: 'a', partitions: [2, 9] }] });
    const [logDir] = response.logDirs;
    expect(logDir).toMatchObject({ totalBytes: -1n, usableBytes: -1n });
    expect(logDir?.topics).toEqual([{ name: 'a', partitions: [{ partition: 2, sizeBytes: 200n, logStartOffset: 0n, logEndOffset: 5n, offsetLag: 3n }] }]);
  });
});
