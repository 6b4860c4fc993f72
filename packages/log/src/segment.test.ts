import { stat } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '@eddy/base';
import { readBatchHeader } from '@eddy/record';
import { FileHandleCache } from './file-handle-cache.js';
import { type AppendedBatch, LogSegment, type SegmentDeps } from './segment.js';
import { batchesOf, makeBatch, tempDir } from './test-support/fixtures.js';

describe('LogSegment', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let deps: SegmentDeps;
  beforeEach(async () => {
    root = await tempDir();
    deps = { cache: new FileHandleCache(8), logger: silentLogger, indexIntervalBytes: 128 };
  });
  afterEach(async () => {
    await deps.cache.closeIdle();
    await root.remove();
  });

  async function fill(segment: LogSegment, count: number, firstOffset: bigint): Promise<bigint> {
    let next = firstOffset;
    for (let i = 0; i < count; i++) {
      const batch = makeBatch({ records: 2, baseOffset: next, seed: i, timestampMs: 1000 + i });
      const header = readBatchHeader(batch);
      const appended: AppendedBatch = { size: batch.length, baseOffset: next, lastOffset: next + 1n, maxTimestamp: header.maxTimestamp };
      await segment.append(batch, [appended], 0);
      next += 2n;
    }
    return next;
  }

  it('appends, reads by offset with a sparse index, and reopens trusting the index', async () => {
    const segment = await LogSegment.create(root.dir, 100n, deps);
    const end = await fill(segment, 40, 100n);
    expect(segment.nextOffset).toBe(end);
    for (const offset of [100n, 101n, 150n, 179n]) {
      const records = await segment.read(offset, 1, end, segment.size);
      const [first] = batchesOf(records!);
      expect(first!.baseOffset <= offset && offset <= first!.lastOffset).toBe(true);
    }
    expect(await segment.read(end, 100, end, segment.size)).toBeUndefined();
    await segment.writeIndexes();
    await segment.sync(true);
    await segment.closeFiles();

    const size = (await stat(segment.logFile.path)).size;
    const reopened = LogSegment.existing(root.dir, 100n, size, 100n, true, deps);
    expect(await reopened.activate()).toBeUndefined();
    expect(reopened.nextOffset).toBe(end);
    expect(await reopened.maxTimestamp()).toBe(1040); // batch i holds timestamps 1000 + i and 1001 + i
    expect(batchesOf((await reopened.read(150n, 1, end, reopened.size))!)[0]!.baseOffset).toBe(150n);
    expect(await reopened.findOffsetByTimestamp(1020, 100n, reopened.size)).toEqual({ offset: 139n, timestamp: 1020 });
    await reopened.closeFiles();
  });

  it('truncates whole batches and drops the index entries past the cut', async () => {
    const segment = await LogSegment.create(root.dir, 0n, deps);
    const end = await fill(segment, 30, 0n);
    expect(await segment.read(40n, 1 << 16, end, segment.size)).toBeDefined(); // leaves a read hint
    expect(await segment.truncateTo(41n)).toBe(40n);
    expect(segment.nextOffset).toBe(40n);
    expect(await segment.read(40n, 100, 40n, segment.size)).toBeUndefined();
    const tail = batchesOf((await segment.read(30n, 1 << 16, 40n, segment.size))!);
    expect(tail.at(-1)!.lastOffset).toBe(39n);
    expect(await fill(segment, 2, 40n)).toBe(44n);
    expect(batchesOf((await segment.read(40n, 1 << 16, 44n, segment.size))!).map((b) => b.baseOffset)).toEqual([40n, 42n]);
    await segment.closeFiles();
  });

  it('recovers a torn tail by truncating it and rebuilding the indexes', async () => {
    const segment = await LogSegment.create(root.dir, 0n, deps);
    await fill(segment, 10, 0n);
    await segment.closeFiles();
    const size = (await stat(segment.logFile.path)).size;
    const damaged = LogSegment.existing(root.dir, 0n, size - 5, 0n, false, deps);
    const seen: bigint[] = [];
    const outcome = await damaged.recover(0n, (batch) => seen.push(batch.header.baseOffset));
    expect(outcome.problem).toBeDefined();
    expect(outcome.nextOffset).toBe(18n);
    expect(seen.length).toBe(9);
    expect((await stat(damaged.logFile.path)).size).toBe(damaged.size);
    expect(batchesOf((await damaged.read(16n, 100, 18n, damaged.size))!)[0]!.baseOffset).toBe(16n);
    await damaged.closeFiles();
  });
});
