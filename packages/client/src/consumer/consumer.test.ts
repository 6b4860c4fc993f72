import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { type ConsumerRecord, InvalidConfigError, NoOffsetForPartitionError } from '../index.js';
import { type Harness, startHarness } from '../test-support/harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(partitions = 1): Promise<Harness> {
  harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions }] });
  return harness;
}

async function produce(h: Harness, count: number, partition = 0, prefix = 'v'): Promise<void> {
  const producer = h.eddy.producer({ lingerMs: 0 });
  await producer.send({ topic: 't', messages: [...Array(count).keys()].map((i) => ({ key: `k${i}`, value: `${prefix}${i}`, partition, headers: { n: String(i) } })) });
  await producer.close();
}

const values = (records: readonly ConsumerRecord[]): string[] => records.map((record) => record.value?.toString() ?? '<null>');

describe('poll', () => {
  it('respects maxRecords', async () => {
    const h = await setUp();
    await produce(h, 25);
    const consumer = h.eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    const sizes: number[] = [];
    const all: ConsumerRecord[] = [];
    while (all.length < 25) {
      const records = await consumer.poll({ maxRecords: 10, timeoutMs: 2_000 });
      expect(records.length).toBeGreaterThan(0);
      expect(records.length).toBeLessThanOrEqual(10);
      sizes.push(records.length);
      all.push(...records);
    }
    expect(sizes).toEqual([10, 10, 5]);
    expect(all.map((record) => record.offset)).toEqual([...Array(25).keys()].map(BigInt));
    expect(values(all)).toEqual([...Array(25).keys()].map((i) => `v${i}`));
    const first = all[0];
    expect(first).toMatchObject({ topic: 't', partition: 0, offset: 0n, leaderEpoch: 0 });
    expect(first?.key?.toString()).toBe('k0');
    expect(first?.headers['n']?.toString()).toBe('0');
    expect(typeof first?.timestamp).toBe('number');
    expect(await consumer.position({ topic: 't', partition: 0 })).toBe(25n);
    expect(consumer.highWatermark({ topic: 't', partition: 0 })).toBe(25n);
  });

  it('waits up to timeoutMs and returns nothing when no record arrives', async () => {
    const h = await setUp();
    const consumer = h.eddy.consumer();
    await consumer.assign([{ topic: 't', partition: 0 }]);
    const started = Date.now();
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(280);
  });

  it('returns records as soon as they arrive (long-poll fetch)', async () => {
    const h = await setUp();
    const consumer = h.eddy.consumer({ fetchMaxWaitMs: 5_000 });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    expect(await consumer.position({ topic: 't', partition: 0 })).toBe(0n);
    const polled = consumer.poll({ timeoutMs: 10_000 });
    await sleep(100);
    const started = Date.now();
    await produce(h, 1);
    expect(values(await polled)).toEqual(['v0']);
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('starts at the latest offset by default and at the earliest with fromBeginning', async () => {
    const h = await setUp();
    await produce(h, 3, 0, 'old');
    const latest = h.eddy.consumer();
    const earliest = h.eddy.consumer({ fromBeginning: true });
    await latest.assign([{ topic: 't', partition: 0 }]);
    await earliest.assign([{ topic: 't', partition: 0 }]);
    expect(await latest.position({ topic: 't', partition: 0 })).toBe(3n);
    await produce(h, 1, 0, 'new');
    expect(values(await latest.poll({ timeoutMs: 2_000 }))).toEqual(['new0']);
    expect(values(await earliest.poll({ timeoutMs: 2_000 }))).toEqual(['old0', 'old1', 'old2', 'new0']);
  });

  it("fails with NoOffsetForPartitionError when autoOffsetReset is 'none'", async () => {
    const h = await setUp();
    await produce(h, 2);
    const consumer = h.eddy.consumer({ groupId: 'g', autoOffsetReset: 'none' });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    const error = await consumer.poll({ timeoutMs: 2_000 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NoOffsetForPartitionError);
    expect(error).toMatchObject({ code: 'OFFSET_OUT_OF_RANGE', topic: 't', partition: 0 });
    // A seek clears it.
    consumer.seek({ topic: 't', partition: 0 }, 1n);
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['v1']);
  });

  it('resets a position that fell out of the log', async () => {
    const h = await setUp();
    await produce(h, 5);
    const consumer = h.eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    consumer.seek({ topic: 't', partition: 0 }, 100n);
    expect(values(await consumer.poll({ timeoutMs: 3_000 }))).toEqual(['v0', 'v1', 'v2', 'v3', 'v4']);
  });

  it('skips the records of a batch below the position', async () => {
    const h = await setUp();
    await produce(h, 10); // one batch
    expect(h.cluster.batchCount('t', 0)).toBe(1);
    const consumer = h.eddy.consumer();
    await consumer.assign([{ topic: 't', partition: 0 }]);
    consumer.seek({ topic: 't', partition: 0 }, 7n);
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['v7', 'v8', 'v9']);
  });
});

describe('iteration', () => {
  it('iterates records with for await, one at a time, until the loop breaks', async () => {
    const h = await setUp(2);
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...'abcdef'].map((value) => ({ value })) });
    const consumer = h.eddy.consumer({ fromBeginning: true });
    await consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    const seen: string[] = [];
    for await (const record of consumer) {
      seen.push(`${record.partition}:${record.value?.toString() ?? ''}`);
      if (seen.length === 6) break;
    }
    expect(seen.filter((entry) => entry.startsWith('0:'))).toEqual(['0:a', '0:c', '0:e']);
    expect(seen.filter((entry) => entry.startsWith('1:'))).toEqual(['1:b', '1:d', '1:f']);
    // Breaking out does not close the consumer.
    await producer.send({ topic: 't', messages: [{ value: 'g', partition: 0 }] });
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['g']);
  });

  it('ends the iteration when the consumer closes', async () => {
    const h = await setUp();
    const consumer = h.eddy.consumer();
    await consumer.assign([{ topic: 't', partition: 0 }]);
    const iterated = (async () => {
      let count = 0;
      for await (const _record of consumer) count++;
      return count;
    })();
    await sleep(100);
    await consumer.close();
    expect(await iterated).toBe(0);
  });
});

describe('positions', () => {
  it('pauses and resumes partitions', async () => {
    const h = await setUp(2);
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [{ value: 'p0', partition: 0 }, { value: 'p1', partition: 1 }] });
    const consumer = h.eddy.consumer({ fromBeginning: true });
    await consumer.assign([
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ]);
    consumer.pause([{ topic: 't', partition: 1 }]);
    expect(consumer.paused()).toEqual([{ topic: 't', partition: 1 }]);
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['p0']);
    expect(await consumer.poll({ timeoutMs: 200 })).toEqual([]);
    consumer.resume([{ topic: 't', partition: 1 }]);
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['p1']);
  });

  it('seeks to the beginning and the end and reads offsets by time', async () => {
    const h = await setUp();
    await produce(h, 4);
    const consumer = h.eddy.consumer({ fromBeginning: true });
    const tp = { topic: 't', partition: 0 };
    await consumer.assign([tp]);
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toHaveLength(4);
    consumer.seekToBeginning();
    expect(values(await consumer.poll({ timeoutMs: 2_000 }))).toEqual(['v0', 'v1', 'v2', 'v3']);
    consumer.seekToEnd([tp]);
    expect(await consumer.position(tp)).toBe(4n);
    expect((await consumer.endOffsets([tp]))[0]?.offset).toBe(4n);
    expect((await consumer.beginningOffsets([tp]))[0]?.offset).toBe(0n);
    expect((await consumer.offsetsForTimes([tp], 0))[0]?.offset).toBe(0n);
    expect((await consumer.offsetsForTimes([tp], Date.now() + 60_000))[0]?.offset).toBe(-1n);
  });

  it('bounds prefetch: a partition whose buffer is full is not fetched', async () => {
    const h = await setUp();
    const producer = h.eddy.producer({ lingerMs: 0, batchSize: 2_048 });
    // One send at a time, so the log holds many small batches (a burst would grow them).
    for (let i = 0; i < 25; i++) await producer.send({ topic: 't', messages: [...Array(8).keys()].map(() => ({ value: Buffer.alloc(200) })) });
    const consumer = h.eddy.consumer({ fromBeginning: true, maxPartitionFetchBytes: 2_048, prefetchBytesPerPartition: 4_096 });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    await consumer.position({ topic: 't', partition: 0 });
    await sleep(300);
    const fetchesWhenFull = h.cluster.callsTo('Fetch').length;
    await sleep(300);
    // Nobody polls: the buffer stays full and no fetch goes out.
    expect(h.cluster.callsTo('Fetch').length).toBe(fetchesWhenFull);
    expect(fetchesWhenFull).toBeLessThanOrEqual(3);
    let total = 0;
    while (total < 200) total += (await consumer.poll({ maxRecords: 50, timeoutMs: 2_000 })).length;
    expect(total).toBe(200);
    expect(h.cluster.callsTo('Fetch').length).toBeGreaterThan(fetchesWhenFull + 5);
  });

  it('rejects mixing subscribe and assign, and group calls without a group', async () => {
    const h = await setUp();
    const manual = h.eddy.consumer();
    await manual.assign([{ topic: 't', partition: 0 }]);
    await expect(manual.subscribe(['t'])).rejects.toBeInstanceOf(InvalidConfigError);
    await expect(manual.commit()).rejects.toBeInstanceOf(InvalidConfigError);
    expect(() => manual.seek({ topic: 't', partition: 5 }, 0n)).toThrow(InvalidConfigError);
  });
});

describe('manual commits', () => {
  it('commits positions with generation -1 outside the group protocol, and reads them back', async () => {
    const h = await setUp();
    await produce(h, 6);
    const consumer = h.eddy.consumer({ groupId: 'manual', fromBeginning: true, enableAutoCommit: false });
    const tp = { topic: 't', partition: 0 };
    await consumer.assign([tp]);
    expect(await consumer.poll({ maxRecords: 4, timeoutMs: 2_000 })).toHaveLength(4);
    await consumer.commit();
    const commit = h.cluster.callsTo('OffsetCommit').at(-1)?.request;
    expect(commit).toMatchObject({ groupId: 'manual', generationId: -1, memberId: '', topics: [{ name: 't', partitions: [{ partition: 0, committedOffset: 4n }] }] });
    expect((await consumer.committed([tp]))[0]).toMatchObject({ offset: 4n });
    await consumer.commit([{ topic: 't', partition: 0, offset: 2n }]);
    expect(h.cluster.committed('manual', 't', 0)?.offset).toBe(2n);
    await consumer.close();
    // A new consumer of the group starts at the committed offset.
    const next = h.eddy.consumer({ groupId: 'manual' });
    await next.assign([tp]);
    expect(values(await next.poll({ timeoutMs: 2_000 }))).toEqual(['v2', 'v3', 'v4', 'v5']);
  });
});
