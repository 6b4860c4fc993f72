/**
 * The SDK's producer and consumer against a real in-process 3-node cluster (real gRPC, real
 * logs, real replication): the behaviours issue #6 names, checked on the wire rather than
 * against the fake cluster the client's unit tests use.
 */
import { type Consumer, type ConsumerRecord, Eddy, NoOffsetForPartitionError, partitionForKey } from '@eddy/client';
import { execFile } from 'node:child_process';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './start-cluster.js';
import { waitFor } from './wait-for.js';

const here = dirname(fileURLToPath(import.meta.url));

let cluster: TestCluster;
let eddy: Eddy;

beforeAll(async () => {
  cluster = await startCluster({ nodes: 3 });
  await waitFor('three running brokers', () => (cluster.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
  eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers.split(','), clientId: 'sdk-it' });
});

afterAll(async () => {
  await eddy.close();
  await cluster.close();
});

async function createTopic(topic: string, partitions = 3, replicationFactor = 3): Promise<void> {
  await eddy.admin().createTopics([{ topic, partitions, replicationFactor, configs: {} }]);
}

/** Polls until `count` records arrived (or fails after `timeoutMs`). */
async function pollRecords(consumer: Consumer, count: number, timeoutMs = 20_000): Promise<ConsumerRecord[]> {
  const records: ConsumerRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  while (records.length < count && Date.now() < deadline) records.push(...(await consumer.poll({ timeoutMs: 500 })));
  return records;
}

function byPartition(records: readonly ConsumerRecord[]): Map<number, string[]> {
  const values = new Map<number, string[]>();
  for (const record of records) values.set(record.partition, [...(values.get(record.partition) ?? []), record.value?.toString() ?? '']);
  return values;
}

const partitionsOf = (topic: string, count: number): { topic: string; partition: number }[] => Array.from({ length: count }, (_, partition) => ({ topic, partition }));

describe('the SDK against an in-process 3-node cluster', () => {
  it("sends unkeyed messages round-robin as the seed describes: a d g j on P0, b e h on P1, c f i on P2", async () => {
    await createTopic('seed-round-robin');
    const producer = eddy.producer({ acks: 'all' });
    const meta = await producer.send({ topic: 'seed-round-robin', messages: [...'abcdefghij'].map((value) => ({ value })) });
    expect(meta.map((m) => m.partition)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    await producer.close();

    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign(partitionsOf('seed-round-robin', 3));
    const values = byPartition(await pollRecords(consumer, 10));
    await consumer.close();
    expect(Object.fromEntries(values)).toEqual({ 0: ['a', 'd', 'g', 'j'], 1: ['b', 'e', 'h'], 2: ['c', 'f', 'i'] });
  });

  it("maps a key to the same partition every time, with Kafka's murmur2 mapping, across producers", async () => {
    await createTopic('keyed', 5);
    const keys = Array.from({ length: 40 }, (_, i) => `customer-${i}`);
    const first = eddy.producer();
    const second = eddy.producer({ acks: 1, partitioner: 'sticky' });
    const a = await first.send({ topic: 'keyed', messages: keys.map((key) => ({ key, value: 'first' })) });
    const b = await second.send({ topic: 'keyed', messages: keys.map((key) => ({ key, value: 'second' })) });
    await Promise.all([first.close(), second.close()]);
    const expected = keys.map((key) => partitionForKey(Buffer.from(key), 5));
    expect(a.map((m) => m.partition)).toEqual(expected);
    expect(b.map((m) => m.partition)).toEqual(expected);
    // partitionForKey is pinned to Kafka's own murmur2 vectors in murmur2.test.ts; the keys spread.
    expect(new Set(expected).size).toBeGreaterThan(1);

    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign(partitionsOf('keyed', 5));
    const records = await pollRecords(consumer, keys.length * 2);
    await consumer.close();
    for (const record of records) expect(record.partition).toBe(partitionForKey(record.key ?? Buffer.alloc(0), 5));
  });

  it('returns one metadata entry per message in order, and round-trips keys, headers, timestamps and gzip', async () => {
    await createTopic('round-trip', 1);
    const producer = eddy.producer({ acks: 'all', compression: 'gzip' });
    const timestamp = Date.UTC(2026, 0, 2, 3, 4, 5);
    const meta = await producer.send({
      topic: 'round-trip',
      messages: [
        { key: 'k1', value: Buffer.from('v1'), headers: { trace: 'abc' }, timestamp },
        { key: null, value: 'v2', headers: [{ key: 'h', value: Buffer.from([0, 1, 2]) }] },
        { key: 'k3', value: null },
      ],
    });
    await producer.close();
    expect(meta.map((m) => [m.topic, m.partition, m.offset])).toEqual([
      ['round-trip', 0, 0n],
      ['round-trip', 0, 1n],
      ['round-trip', 0, 2n],
    ]);
    expect(meta[0]?.timestamp).toBe(timestamp);

    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'round-trip', partition: 0 }]);
    const [r1, r2, r3] = await pollRecords(consumer, 3);
    await consumer.close();
    expect(r1?.key?.toString()).toBe('k1');
    expect(r1?.value?.toString()).toBe('v1');
    expect(r1?.timestamp).toBe(timestamp);
    expect(r1?.headers).toEqual({ trace: Buffer.from('abc') });
    expect(r2?.key).toBeNull();
    expect(r2?.headers).toEqual({ h: Buffer.from([0, 1, 2]) });
    expect(r3?.value).toBeNull();
    expect(r3?.offset).toBe(2n);
  });

  it('delivers with acks 0, 1 and all, and flush() waits for everything sent', async () => {
    await createTopic('acks', 1);
    for (const acks of [0, 1, 'all'] as const) {
      const producer = eddy.producer({ acks, lingerMs: 20 });
      const sends = Array.from({ length: 10 }, (_, i) => producer.send({ topic: 'acks', messages: [{ value: `${acks}-${i}` }] }));
      await producer.flush();
      expect(producer.metrics().bufferedBytes).toBe(0);
      expect((await Promise.all(sends)).flat()).toHaveLength(10);
      await producer.close();
    }
    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'acks', partition: 0 }]);
    const values = (await pollRecords(consumer, 30)).map((r) => r.value?.toString());
    await consumer.close();
    expect(values).toEqual(['0', '1', 'all'].flatMap((acks) => Array.from({ length: 10 }, (_, i) => `${acks}-${i}`)));
  });

  it('bounds buffered bytes by bufferMemory while a burst far larger is sent, and rejects a message that can never fit', async () => {
    await createTopic('backpressure', 3);
    const bufferMemory = 256 * 1024;
    const producer = eddy.producer({ acks: 'all', bufferMemory, batchSize: 16 * 1024, maxBlockMs: 30_000 });
    const value = Buffer.alloc(1024, 7);
    let peak = 0;
    const sends: Promise<unknown>[] = [];
    // 8 MiB in flight from the caller's side: 32 times the buffer.
    for (let i = 0; i < 8 * 1024; i++) {
      sends.push(producer.send({ topic: 'backpressure', messages: [{ value }] }));
      if (i % 64 === 0) {
        peak = Math.max(peak, producer.metrics().bufferedBytes);
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    }
    const sampler = setInterval(() => (peak = Math.max(peak, producer.metrics().bufferedBytes)), 1);
    await Promise.all(sends);
    clearInterval(sampler);
    expect(peak).toBeGreaterThan(0);
    expect(peak).toBeLessThanOrEqual(bufferMemory);
    await expect(producer.send({ topic: 'backpressure', messages: [{ value: Buffer.alloc(bufferMemory + 1) }] })).rejects.toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    await producer.close();
  });

  it('poll returns at most maxRecords, and the consumer reads everything in order across polls', async () => {
    await createTopic('max-records', 1);
    const producer = eddy.producer();
    await producer.send({ topic: 'max-records', messages: Array.from({ length: 1_000 }, (_, i) => ({ value: `${i}` })) });
    await producer.close();
    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 'max-records', partition: 0 }]);
    const offsets: bigint[] = [];
    const deadline = Date.now() + 20_000;
    while (offsets.length < 1_000 && Date.now() < deadline) {
      const batch = await consumer.poll({ maxRecords: 7, timeoutMs: 500 });
      expect(batch.length).toBeLessThanOrEqual(7);
      offsets.push(...batch.map((r) => r.offset));
    }
    await consumer.close();
    expect(offsets).toEqual(Array.from({ length: 1_000 }, (_, i) => BigInt(i)));
  });

  it('seeks, pauses and resumes, reports positions, and iterates asynchronously', async () => {
    await createTopic('positions', 2);
    const producer = eddy.producer();
    await producer.send({ topic: 'positions', messages: Array.from({ length: 20 }, (_, i) => ({ value: `${i}`, partition: i % 2 })) });
    await producer.close();
    const p0 = { topic: 'positions', partition: 0 };
    const p1 = { topic: 'positions', partition: 1 };
    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([p0, p1]);

    consumer.pause([p1]);
    expect(consumer.paused()).toEqual([p1]);
    const onlyP0 = await pollRecords(consumer, 10);
    expect(new Set(onlyP0.map((r) => r.partition))).toEqual(new Set([0]));
    expect(await consumer.position(p0)).toBe(10n);
    expect(await consumer.poll({ timeoutMs: 300 })).toEqual([]);

    consumer.resume([p1]);
    consumer.seek(p0, 7n);
    const rest = await pollRecords(consumer, 13);
    expect(rest.filter((r) => r.partition === 0).map((r) => r.offset)).toEqual([7n, 8n, 9n]);
    expect(rest.filter((r) => r.partition === 1).map((r) => r.value?.toString())).toEqual(['1', '3', '5', '7', '9', '11', '13', '15', '17', '19']);
    expect(consumer.highWatermark(p1)).toBe(10n);
    expect(await consumer.endOffsets([p0])).toEqual([expect.objectContaining({ topic: 'positions', partition: 0, offset: 10n })]);

    consumer.seekToBeginning([p1]);
    const iterated: bigint[] = [];
    for await (const record of consumer) {
      iterated.push(record.offset);
      if (iterated.length === 10) break;
    }
    expect(iterated).toEqual(Array.from({ length: 10 }, (_, i) => BigInt(i)));
    await consumer.close();
  });

  it("commits explicit offsets in a group and reads them back; autoOffsetReset 'none' and 'latest' behave as in Kafka", async () => {
    await createTopic('commits', 1);
    const producer = eddy.producer();
    await producer.send({ topic: 'commits', messages: Array.from({ length: 5 }, (_, i) => ({ value: `${i}` })) });
    const tp = { topic: 'commits', partition: 0 };

    const committer = eddy.consumer({ groupId: 'sdk-commits', enableAutoCommit: false, fromBeginning: true });
    await committer.assign([tp]);
    expect(await pollRecords(committer, 5)).toHaveLength(5);
    await committer.commit([{ ...tp, offset: 3n }]);
    expect((await committer.committed([tp])).map((c) => c.offset)).toEqual([3n]);
    await committer.close();

    const resumed = eddy.consumer({ groupId: 'sdk-commits', enableAutoCommit: false, autoOffsetReset: 'none' });
    await resumed.assign([tp]);
    expect((await pollRecords(resumed, 2)).map((r) => r.value?.toString())).toEqual(['3', '4']);
    await resumed.close();

    const strict = eddy.consumer({ groupId: 'sdk-no-commits', autoOffsetReset: 'none' });
    await strict.assign([tp]);
    await expect(strict.poll({ timeoutMs: 2_000 })).rejects.toBeInstanceOf(NoOffsetForPartitionError);
    await strict.close();

    const latest = eddy.consumer({ autoOffsetReset: 'latest' });
    await latest.assign([tp]);
    expect(await latest.position(tp)).toBe(5n);
    await producer.send({ topic: 'commits', messages: [{ value: 'new' }] });
    expect((await pollRecords(latest, 1)).map((r) => r.value?.toString())).toEqual(['new']);
    await latest.close();
    await producer.close();
  });

  it('lets a process that used every part of the SDK exit on its own once it closed the client', async () => {
    await createTopic('exit-test', 3);
    // Everything the client opened (channels, streams, heartbeats, timers) must be gone after
    // eddy.close(), or the event loop would keep this child alive until the test kills it.
    const script = `import { Eddy } from '@eddy/client';
const eddy = new Eddy({ bootstrapServers: ${JSON.stringify(cluster.bootstrapServers.split(','))}, clientId: 'exit-child' });
await eddy.admin().describeCluster();
const producer = eddy.producer({ acks: 'all' });
await producer.send({ topic: 'exit-test', messages: [{ key: 'k', value: 'v' }, { value: 'w' }] });
const member = eddy.consumer({ groupId: 'exit-group', fromBeginning: true, sessionTimeoutMs: 6000, heartbeatIntervalMs: 100 });
await member.subscribe(['exit-test']);
for (let read = 0; read < 2; ) read += (await member.poll({ timeoutMs: 500 })).length;
await member.commit();
const manual = eddy.consumer({ fromBeginning: true });
await manual.assign([{ topic: 'exit-test', partition: 0 }]);
await manual.poll({ timeoutMs: 200 });
await eddy.close();
process.stdout.write('closed ' + Date.now());
`;
    const started = Date.now();
    // Evaluated from this package's folder, so '@eddy/client' resolves to the workspace's sources.
    const { stdout, stderr } = await promisify(execFile)(process.execPath, ['--conditions=@eddy/source', '--import', 'tsx', '--input-type=module', '--eval', script], {
      cwd: here,
      timeout: 30_000,
      killSignal: 'SIGKILL',
    });
    const exitedAt = Date.now();
    expect(stderr).toBe('');
    const closedAt = Number(/^closed (\d+)$/.exec(stdout)?.[1]);
    expect(closedAt).toBeGreaterThan(started);
    // No handle held the loop open after close(): the process ended right after it.
    expect(exitedAt - closedAt).toBeLessThan(1_000);
  });
});
