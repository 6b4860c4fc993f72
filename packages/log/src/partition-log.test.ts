import { appendFile, readFile, rm, stat, truncate, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '@eddy/base';
import { decodeRecordBatch } from '@eddy/record';
import { OffsetOutOfRangeError } from './errors.js';
import { FileHandleCache } from './file-handle-cache.js';
import { CLEAN_SHUTDOWN_FILE, LEADER_EPOCH_FILE, LOG_START_OFFSET_FILE, PARTITION_METADATA_FILE } from './file-names.js';
import type { LogConfigInput } from './config.js';
import { EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, PartitionLog, type PartitionLogDeps } from './partition-log.js';
import { batchesOf, listFiles, makeBatch, tempDir } from './test-support/fixtures.js';

describe('PartitionLog', () => {
  let root: { dir: string; remove: () => Promise<void> };
  let dir: string;
  let clock: ManualClock;
  const open = (config: LogConfigInput = {}, deps: PartitionLogDeps = {}): Promise<PartitionLog> =>
    PartitionLog.open(dir, config, { clock, ...deps });

  beforeEach(async () => {
    root = await tempDir();
    dir = path.join(root.dir, 'orders-3');
    clock = new ManualClock();
  });
  afterEach(async () => {
    await root.remove();
  });

  it('assigns offsets and leader epochs on the leader path and reads whole batches back', async () => {
    const log = await open();
    expect([log.logStartOffset, log.logEndOffset]).toEqual([0n, 0n]);
    const first = await log.append(makeBatch({ records: 3 }), { leaderEpoch: 5, assignOffsets: true });
    expect(first).toMatchObject({ baseOffset: 0n, lastOffset: 2n, recordCount: 3, batchCount: 1, position: 0, segmentBaseOffset: 0n });
    const second = await log.append(Buffer.concat([makeBatch({ records: 2, seed: 1 }), makeBatch({ records: 1, seed: 2 })]), {
      leaderEpoch: 5,
      assignOffsets: true,
    });
    expect([second.baseOffset, second.lastOffset, second.batchCount]).toEqual([3n, 5n, 2]);
    expect(log.logEndOffset).toBe(6n);

    const all = await log.read(0n, 1 << 20);
    expect(batchesOf(all.records).map((b) => [b.baseOffset, b.lastOffset, b.epoch])).toEqual([
      [0n, 2n, 5],
      [3n, 4n, 5],
      [5n, 5n, 5],
    ]);
    expect(decodeRecordBatch(all.records.subarray(0, batchesOf(all.records)[0]!.size)).records.map((r) => r.offset)).toEqual([0n, 1n, 2n]);
    // A read inside a batch starts at that batch; maxBytes is exceeded for the first batch only.
    const fromMiddle = await log.read(4n, 1);
    expect(batchesOf(fromMiddle.records).map((b) => b.baseOffset)).toEqual([3n]);
    expect(await log.endOffsetForEpoch(5)).toEqual({ epoch: 5, endOffset: 6n });
    await log.close();
  });

  it('reports reads outside the log as OFFSET_OUT_OF_RANGE and reads at the end as empty', async () => {
    const log = await open();
    await log.append(makeBatch({ records: 2 }), { leaderEpoch: 0, assignOffsets: true });
    await expect(log.read(3n, 100)).rejects.toBeInstanceOf(OffsetOutOfRangeError);
    await expect(log.read(3n, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic: 'orders', partition: 3 });
    const end = await log.read(2n, 100);
    expect(end).toEqual({ records: Buffer.alloc(0), logStartOffset: 0n, logEndOffset: 2n });
    expect((await log.read(0n, 100, { maxOffset: 1n })).records.length).toBe(0);
    expect((await log.read(0n, 100, { maxOffset: 2n })).records.length).toBeGreaterThan(0);
    await log.close();
  });

  it('checks follower batches continue the log and keeps their offsets and epochs', async () => {
    const log = await open();
    await log.append(makeBatch({ records: 2, baseOffset: 0n, leaderEpoch: 1 }), { leaderEpoch: 1, assignOffsets: false });
    await expect(log.append(makeBatch({ baseOffset: 5n, leaderEpoch: 1 }), { leaderEpoch: 1, assignOffsets: false })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    });
    await expect(log.append(makeBatch({ baseOffset: 2n, leaderEpoch: 3 }), { leaderEpoch: 2, assignOffsets: false })).rejects.toMatchObject({
      code: 'INVALID_RECORD',
    });
    await log.append(makeBatch({ baseOffset: 2n, leaderEpoch: 2 }), { leaderEpoch: 2, assignOffsets: false });
    expect(await log.epochEntries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 2, startOffset: 2n },
    ]);
    await expect(log.append(makeBatch(), { leaderEpoch: 1, assignOffsets: true })).rejects.toMatchObject({ code: 'FENCED_LEADER_EPOCH' });
    await log.close();
  });

  it('rejects corrupt, torn and oversized appends without writing anything', async () => {
    const log = await open({ maxMessageBytes: 2000 });
    const batch = makeBatch({ records: 2 });
    const corrupt = Buffer.from(batch);
    corrupt[corrupt.length - 1]! ^= 0xff;
    await expect(log.append(corrupt, { leaderEpoch: 0, assignOffsets: true })).rejects.toMatchObject({ code: 'CORRUPT_RECORD' });
    await expect(log.append(batch.subarray(0, batch.length - 3), { leaderEpoch: 0, assignOffsets: true })).rejects.toMatchObject({
      code: 'CORRUPT_RECORD',
    });
    await expect(log.append(makeBatch({ valueBytes: 3000 }), { leaderEpoch: 0, assignOffsets: true })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
    });
    await expect(log.append(Buffer.alloc(0), { leaderEpoch: 0, assignOffsets: true })).rejects.toMatchObject({ code: 'INVALID_RECORD' });
    expect(log.logEndOffset).toBe(0n);
    await log.close();
  });

  it('rolls segments by size and by time, and reads across them', async () => {
    const log = await open({ segmentBytes: 4096, segmentMs: 60_000, indexIntervalBytes: 256 });
    for (let i = 0; i < 80; i++) await log.append(makeBatch({ records: 2, valueBytes: 100, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBeGreaterThan(3);
    const bases = log.segmentBaseOffsets;
    expect(bases[0]).toBe(0n);
    let offset = 0n;
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 700);
      const batches = batchesOf(records);
      expect(batches[0]!.baseOffset).toBe(offset);
      offset = batches.at(-1)!.lastOffset + 1n;
    }
    const segments = log.segmentCount;
    clock.advance(60_000);
    await log.append(makeBatch({ timestampMs: clock.wallMs() }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBe(segments + 1);
    await log.close();
  });

  it('rolls a reopened segment by the age of its first batch', async () => {
    const leader = { leaderEpoch: 0, assignOffsets: true } as const;
    const log = await open({ segmentMs: 60_000 });
    await log.append(makeBatch({ timestampMs: clock.wallMs() }), leader);
    await log.close();
    clock.advance(30_000);
    const young = await open({ segmentMs: 60_000 });
    await young.append(makeBatch({ timestampMs: clock.wallMs(), seed: 1 }), leader);
    expect(young.segmentCount).toBe(1);
    await young.close();
    clock.advance(30_000);
    const old = await open({ segmentMs: 60_000 });
    await old.append(makeBatch({ timestampMs: clock.wallMs(), seed: 2 }), leader);
    expect(old.segmentBaseOffsets).toEqual([0n, 2n]);
    await old.close();
  });

  it('finds offsets by timestamp', async () => {
    const log = await open({ segmentBytes: 2048, indexIntervalBytes: 128 });
    for (let i = 0; i < 30; i++) {
      await log.append(makeBatch({ records: 2, timestampMs: 1000 + i * 10, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    }
    // Batch i holds offsets 2i, 2i+1 with timestamps 1000+10i, 1001+10i.
    expect(await log.offsetForTimestamp(0)).toEqual({ offset: 0n, timestamp: 1000 });
    expect(await log.offsetForTimestamp(1001)).toEqual({ offset: 1n, timestamp: 1001 });
    expect(await log.offsetForTimestamp(1002)).toEqual({ offset: 2n, timestamp: 1010 });
    expect(await log.offsetForTimestamp(1150)).toEqual({ offset: 30n, timestamp: 1150 });
    expect(await log.offsetForTimestamp(1291)).toEqual({ offset: 59n, timestamp: 1291 });
    expect(await log.offsetForTimestamp(1292)).toBeUndefined();
    expect(await log.offsetForTimestamp(EARLIEST_TIMESTAMP)).toEqual({ offset: 0n, timestamp: -1 });
    expect(await log.offsetForTimestamp(LATEST_TIMESTAMP)).toEqual({ offset: 60n, timestamp: -1 });
    await log.close();
    const reopened = await open({ segmentBytes: 2048, indexIntervalBytes: 128 });
    expect(await reopened.offsetForTimestamp(1150)).toEqual({ offset: 30n, timestamp: 1150 });
    await reopened.close();
  });

  it('truncates to an offset, dropping later segments, index entries and epochs', async () => {
    const log = await open({ segmentBytes: 2048, indexIntervalBytes: 128 });
    for (let i = 0; i < 30; i++) {
      await log.append(makeBatch({ records: 2, seed: i }), { leaderEpoch: i < 20 ? 1 : 2, assignOffsets: true });
    }
    const segmentsBefore = log.segmentCount;
    await log.truncateTo(21n); // inside batch 10 (offsets 20-21): the whole batch goes
    expect(log.logEndOffset).toBe(20n);
    expect(log.segmentCount).toBeLessThan(segmentsBefore);
    expect(await log.epochEntries()).toEqual([{ epoch: 1, startOffset: 0n }]);
    await expect(log.read(20n, 100)).resolves.toMatchObject({ records: Buffer.alloc(0) });
    const tail = await log.read(18n, 1 << 20);
    expect(batchesOf(tail.records).at(-1)!.lastOffset).toBe(19n);
    await log.append(makeBatch({ records: 3 }), { leaderEpoch: 3, assignOffsets: true });
    expect(log.logEndOffset).toBe(23n);
    expect(await log.endOffsetForEpoch(2)).toEqual({ epoch: 1, endOffset: 20n });
    await log.close();
    const reopened = await open({ segmentBytes: 2048, indexIntervalBytes: 128 });
    expect(reopened.logEndOffset).toBe(23n);
    expect(await reopened.epochEntries()).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 20n },
    ]);
    await reopened.truncateTo(0n);
    expect([reopened.logStartOffset, reopened.logEndOffset, reopened.segmentCount]).toEqual([0n, 0n, 1]);
    await reopened.close();
  });

  it('advances the log start offset with deleteRecordsBefore and persists it', async () => {
    const log = await open({ segmentBytes: 2048 });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2, valueBytes: 100, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    const segments = log.segmentCount;
    expect(await log.deleteRecordsBefore(31n)).toBe(31n);
    expect(log.segmentCount).toBeLessThan(segments);
    await expect(log.read(30n, 100)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    const { records } = await log.read(31n, 100);
    expect(batchesOf(records)[0]!.baseOffset).toBe(30n); // the batch holding 31
    await expect(log.deleteRecordsBefore(61n)).rejects.toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    await log.close();
    expect(await readFile(path.join(dir, LOG_START_OFFSET_FILE), 'utf8')).toBe('0\n1\n31\n');
    const reopened = await open({ segmentBytes: 2048 });
    expect(reopened.logStartOffset).toBe(31n);
    await reopened.close();
  });

  it('applies retention by bytes and by time, never to the active segment', async () => {
    const log = await open({ segmentBytes: 2048, retentionBytes: 4096, retentionMs: 10_000 });
    for (let i = 0; i < 40; i++) {
      await log.append(makeBatch({ records: 2, valueBytes: 100, seed: i, timestampMs: clock.wallMs() }), { leaderEpoch: 0, assignOffsets: true });
    }
    const bySize = await log.applyRetention();
    expect(bySize.reasons).toEqual(['retention-bytes']);
    // As Kafka: whole segments go while the rest still exceeds retention.bytes.
    expect(log.sizeBytes).toBeLessThan(4096 + 2048);
    expect(log.logStartOffset).toBe(log.segmentBaseOffsets[0]);
    clock.advance(20_000);
    const byTime = await log.applyRetention();
    expect(byTime.reasons).toContain('retention-ms');
    expect(log.segmentCount).toBe(1);
    expect(log.logEndOffset).toBe(80n);
    await log.close();
  });

  it('keeps segment files that a read holds until the read finishes', async () => {
    const log = await open({ segmentBytes: 2048 });
    for (let i = 0; i < 30; i++) await log.append(makeBatch({ records: 2, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    const reads = Array.from({ length: 20 }, (_, i) => log.read(BigInt(i), 1 << 16));
    const deletion = log.deleteRecordsBefore(50n);
    const results = await Promise.allSettled(reads);
    await deletion;
    for (const result of results) {
      if (result.status === 'fulfilled') expect(batchesOf(result.value.records).length).toBeGreaterThan(0);
      else expect(result.reason).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
    }
    await log.close();
    expect((await listFiles(dir)).filter((name) => name.endsWith('.deleted'))).toEqual([]);
  });

  it('reopens quickly after a clean shutdown, trusting indexes', async () => {
    const log = await open({ indexIntervalBytes: 200 });
    for (let i = 0; i < 50; i++) await log.append(makeBatch({ records: 2, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    await log.close();
    expect(await listFiles(dir)).toContain(CLEAN_SHUTDOWN_FILE);
    const reopened = await open({ indexIntervalBytes: 200 });
    expect(reopened.logEndOffset).toBe(100n);
    expect(reopened.recoveryPoint).toBe(100n);
    await reopened.append(makeBatch(), { leaderEpoch: 0, assignOffsets: true });
    expect(await listFiles(dir)).not.toContain(CLEAN_SHUTDOWN_FILE);
    await reopened.close();
  });

  it('records its topic id once, durably, exposes it on open, and refuses another id', async () => {
    const log = await open();
    expect(log.topicId).toBeUndefined();
    await Promise.all([log.assignTopicId('first-id'), log.assignTopicId('first-id')]);
    expect(log.topicId).toBe('first-id');
    await expect(log.assignTopicId('second-id')).rejects.toMatchObject({ code: 'INCONSISTENT_TOPIC_ID', topic: 'orders', partition: 3 });
    await log.append(makeBatch({ records: 2 }), { leaderEpoch: 0, assignOffsets: true });
    // A crash keeps it too: it was fsynced with its directory when assigned.
    await log.abandon();
    const reopened = await open();
    expect(reopened.topicId).toBe('first-id');
    expect(reopened.logEndOffset).toBe(2n);
    await reopened.close();
  });

  it('refuses to open with a damaged partition.metadata, keeping the directory as it is', async () => {
    const log = await open();
    await log.append(makeBatch(), { leaderEpoch: 0, assignOffsets: true });
    await log.close();
    await writeFile(path.join(dir, PARTITION_METADATA_FILE), 'version: 0\ntopic_id:\n');
    await expect(open()).rejects.toMatchObject({ code: 'KAFKA_STORAGE_ERROR', topic: 'orders', partition: 3 });
    // Nothing is deleted or rewritten: the operator decides what the directory is.
    expect(await listFiles(dir)).toEqual(expect.arrayContaining([CLEAN_SHUTDOWN_FILE, '00000000000000000000.log']));
    expect(await readFile(path.join(dir, PARTITION_METADATA_FILE), 'utf8')).toBe('version: 0\ntopic_id:\n');
  });

  it('recovers after a crash: truncates a torn tail and rebuilds indexes', async () => {
    const log = await open({ indexIntervalBytes: 200 });
    for (let i = 0; i < 20; i++) await log.append(makeBatch({ records: 2, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    await log.flush();
    for (let i = 0; i < 5; i++) await log.append(makeBatch({ records: 2, seed: i }), { leaderEpoch: 1, assignOffsets: true });
    await log.abandon();
    const logFile = path.join(dir, '00000000000000000000.log');
    const size = (await stat(logFile)).size;
    await truncate(logFile, size - 10);
    await appendFile(logFile, Buffer.from('garbage garbage garbage'));
    await rm(path.join(dir, '00000000000000000000.index'), { force: true });
    const reopened = await open({ indexIntervalBytes: 200 });
    expect(reopened.logEndOffset).toBe(48n);
    expect(await reopened.epochEntries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 1, startOffset: 40n },
    ]);
    const { records } = await reopened.read(30n, 100);
    expect(batchesOf(records)[0]!.baseOffset).toBe(30n);
    await reopened.append(makeBatch(), { leaderEpoch: 1, assignOffsets: true });
    expect(reopened.logEndOffset).toBe(49n);
    await reopened.close();
  });

  it('rebuilds a corrupt index found after a clean shutdown', async () => {
    const log = await open({ indexIntervalBytes: 100, segmentBytes: 4096 });
    for (let i = 0; i < 60; i++) await log.append(makeBatch({ records: 1, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    await log.close();
    const index = path.join(dir, '00000000000000000000.index');
    const bytes = await readFile(index);
    bytes.writeUInt32BE(0xffff, bytes.length - 4); // last entry's position far beyond the log
    await writeFile(index, bytes);
    const reopened = await open({ indexIntervalBytes: 100, segmentBytes: 4096 });
    for (let offset = 0n; offset < reopened.logEndOffset; offset += 7n) {
      const { records } = await reopened.read(offset, 1);
      expect(batchesOf(records)[0]!.baseOffset).toBe(offset);
    }
    await reopened.close();
  });

  it('flushes on every batch with flushMessages 1 and shares fsyncs between concurrent appends', async () => {
    const log = await open({ flushMessages: 1 });
    const appends = Array.from({ length: 20 }, (_, i) => log.append(makeBatch({ seed: i }), { leaderEpoch: 0, assignOffsets: true }));
    await Promise.all(appends);
    expect(log.recoveryPoint).toBe(20n);
    await log.close();
    const lazy = await PartitionLog.open(path.join(root.dir, 'lazy-0'), {}, { clock });
    await lazy.append(makeBatch(), { leaderEpoch: 0, assignOffsets: true });
    expect(lazy.recoveryPoint).toBe(0n);
    await lazy.flush();
    expect(lazy.recoveryPoint).toBe(1n);
    await lazy.close();
  });

  it('serves reads concurrent with appends, seeing only whole, intact batches', async () => {
    const log = await open({ segmentBytes: 8192, indexIntervalBytes: 256 });
    let done = false;
    const appends = (async () => {
      const inFlight: Array<Promise<unknown>> = [];
      for (let i = 0; i < 200; i++) {
        inFlight.push(log.append(makeBatch({ records: 1 + (i % 4), valueBytes: 50 + (i % 7) * 30, seed: i }), { leaderEpoch: 0, assignOffsets: true }));
        if (inFlight.length >= 8) await inFlight.shift();
      }
      await Promise.all(inFlight);
      done = true;
    })();
    let reads = 0;
    while (!done) {
      const end = log.logEndOffset;
      const from = end > 5n ? end - 5n : 0n;
      const { records, logEndOffset } = await log.read(from, 4096);
      expect(logEndOffset).toBeGreaterThanOrEqual(end);
      if (records.length > 0) {
        const batches = batchesOf(records); // iterateBatches checks length and CRC of each
        expect(batches[0]!.baseOffset).toBeLessThanOrEqual(from);
        expect(batches[0]!.lastOffset).toBeGreaterThanOrEqual(from);
      }
      reads++;
      await new Promise((resolve) => setImmediate(resolve)); // a read at the end completes without I/O
    }
    await appends;
    expect(reads).toBeGreaterThan(0);
    let offset = 0n;
    while (offset < log.logEndOffset) {
      const batches = batchesOf((await log.read(offset, 1 << 20)).records);
      expect(batches[0]!.baseOffset).toBe(offset);
      offset = batches.at(-1)!.lastOffset + 1n;
    }
    await log.close();
  });

  it('runs retention beside appends and reads without blocking or breaking them', async () => {
    const log = await open({ segmentBytes: 2048, retentionBytes: 6000 });
    const appended: Buffer[] = [];
    const appends = (async () => {
      for (let i = 0; i < 150; i++) {
        const batch = makeBatch({ records: 2, valueBytes: 60, seed: i });
        await log.append(batch, { leaderEpoch: 0, assignOffsets: true });
        appended.push(Buffer.from(batch));
      }
    })();
    const background = (async () => {
      for (let i = 0; i < 40; i++) {
        await log.applyRetention();
        const start = log.logStartOffset;
        await log.read(start, 4096).catch((error: unknown) => {
          // Retention may move the start past `start` between the two calls.
          expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE' });
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    await Promise.all([appends, background]);
    await log.applyRetention();
    expect(log.sizeBytes).toBeLessThan(6000 + 2048);
    const start = log.logStartOffset;
    const kept = Buffer.concat(appended.filter((batch) => batchesOf(batch)[0]!.baseOffset >= start));
    let offset = start;
    const read: Buffer[] = [];
    while (offset < log.logEndOffset) {
      const { records } = await log.read(offset, 1 << 20);
      read.push(records);
      offset = batchesOf(records).at(-1)!.lastOffset + 1n;
    }
    expect(Buffer.concat(read).equals(kept)).toBe(true);
    await log.close();
    expect((await listFiles(dir)).filter((name) => name.endsWith('.deleted'))).toEqual([]);
  });

  it('bounds its file handles by a shared cache', async () => {
    const cache = new FileHandleCache(8);
    const log = await open({ segmentBytes: 1024 }, { fileCache: cache });
    for (let i = 0; i < 40; i++) await log.append(makeBatch({ records: 2, valueBytes: 100, seed: i }), { leaderEpoch: 0, assignOffsets: true });
    expect(log.segmentCount).toBeGreaterThan(5);
    await log.flush(); // after the background flushes of rolled segments
    await cache.settled();
    expect(cache.openCount).toBeLessThanOrEqual(8);
    for (let offset = 0n; offset < log.logEndOffset; offset += 3n) await log.read(offset, 100);
    await cache.settled();
    expect(cache.openCount).toBeLessThanOrEqual(8);
    await log.close();
    await cache.closeIdle();
    expect(cache.openCount).toBe(0);
    expect(await listFiles(dir)).toContain(LEADER_EPOCH_FILE);
  });
});
