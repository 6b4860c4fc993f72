import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { ProduceRequest } from '@eddy/protocol';
import { BufferExhaustedError, ClientClosedError, EddyError, InvalidConfigError, type Producer } from '../index.js';
import { type Harness, logValues, startHarness, waitFor } from '../test-support/harness.js';
import { partitionForKey } from './murmur2.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function setUp(partitions = 3, brokers = 1): Promise<Harness> {
  harness = await startHarness({ brokers, topics: [{ name: 't', partitions }] });
  return harness;
}

describe('partitioning', () => {
  it('maps a key to the same partition every time, as Kafka does', async () => {
    const { eddy, cluster } = await setUp(6);
    const first = eddy.producer();
    const second = eddy.producer({ partitioner: 'sticky' });
    const keys = ['customer-1', 'customer-2', 'order-77', 'k1', ''];
    for (const key of keys) {
      const expected = partitionForKey(Buffer.from(key), 6);
      for (let i = 0; i < 3; i++) {
        const [a] = await first.send({ topic: 't', messages: [{ key, value: `a${i}` }] });
        const [b] = await second.send({ topic: 't', messages: [{ key: Buffer.from(key), value: `b${i}` }] });
        expect(a?.partition).toBe(expected);
        expect(b?.partition).toBe(expected);
      }
    }
    expect(cluster.records('t', partitionForKey(Buffer.from('k1'), 6)).filter((r) => r.key?.toString() === 'k1')).toHaveLength(6);
  });

  it("spreads unkeyed messages round-robin as the seed shows: a d g j / b e h / c f i", async () => {
    const { eddy, cluster } = await setUp(3);
    const producer = eddy.producer();
    const metadata = await producer.send({ topic: 't', messages: [...'abcdefghij'].map((value) => ({ value })) });
    expect(metadata.map((m) => m.partition)).toEqual([0, 1, 2, 0, 1, 2, 0, 1, 2, 0]);
    expect([0, 1, 2].map((p) => logValues(cluster, 't', p).join(' '))).toEqual(['a d g j', 'b e h', 'c f i']);
    // Offsets per partition, in order.
    expect(metadata.filter((m) => m.partition === 0).map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n]);
  });

  it('honours an explicit partition and rejects one out of range after maxBlockMs', async () => {
    const { eddy, cluster } = await setUp(3);
    const producer = eddy.producer({ maxBlockMs: 300 });
    const [meta] = await producer.send({ topic: 't', messages: [{ key: 'k', value: 'x', partition: 2 }] });
    expect(meta?.partition).toBe(2);
    expect(logValues(cluster, 't', 2)).toEqual(['x']);
    await expect(producer.send({ topic: 't', messages: [{ value: 'y', partition: 3 }] })).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', partition: 3 });
  });

  it('fails a send to an unknown topic after maxBlockMs with a typed error', async () => {
    const { eddy } = await setUp();
    const producer = eddy.producer({ maxBlockMs: 200 });
    const error = await producer.send({ topic: 'missing', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EddyError);
    expect(error).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', topic: 'missing', retriable: true });
  });
});

describe('added partitions', () => {
  it('refreshes the metadata for an explicit partition that was just added', async () => {
    const { eddy, cluster } = await setUp(3);
    const producer = eddy.producer({ maxBlockMs: 5_000 });
    await producer.send({ topic: 't', messages: [{ value: 'before', partition: 2 }] });
    await eddy.admin().createPartitions([{ topic: 't', count: 4 }]);
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'new', partition: 3 }] });
    expect(meta?.partition).toBe(3);
    expect(logValues(cluster, 't', 3)).toEqual(['new']);
  });
});

describe('ordering', () => {
  it('keeps the order of send() calls while the first ones wait for metadata', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ acks: 'all' });
    const offsets: Array<Promise<bigint | undefined>> = [];
    for (let i = 0; i < 40; i++) {
      offsets.push(producer.send({ topic: 't', messages: [{ value: String(i), partition: 0 }] }).then((m) => m[0]?.offset));
      await sleep(1);
    }
    expect(await Promise.all(offsets)).toEqual(Array.from({ length: 40 }, (_, i) => BigInt(i)));
    expect(logValues(cluster, 't', 0)).toEqual(Array.from({ length: 40 }, (_, i) => String(i)));
  });

  it('delivers a send still waiting for metadata when the producer closes', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ acks: 'all' });
    const sent = producer.send({ topic: 't', messages: [{ value: 'last words' }] });
    await producer.close();
    await expect(sent).resolves.toHaveLength(1);
    expect(logValues(cluster, 't', 0)).toEqual(['last words']);
  });
});

describe('batching', () => {
  it('collects records sent within lingerMs into one request, one batch per partition', async () => {
    const { eddy, cluster } = await setUp(2);
    const producer = eddy.producer({ lingerMs: 100 });
    await producer.send({ topic: 't', messages: [{ value: 'warm-up', partition: 0 }] });
    const before = cluster.callsTo('Produce').length;
    const sends = [];
    for (let i = 0; i < 20; i++) sends.push(producer.send({ topic: 't', messages: [{ value: `v${i}`, partition: i % 2 }] }));
    const results = await Promise.all(sends);
    expect(cluster.callsTo('Produce').length - before).toBe(1);
    expect(cluster.batchCount('t', 0)).toBe(2);
    expect(cluster.batchCount('t', 1)).toBe(1);
    expect(results.map(([m]) => m?.offset)).toEqual([...Array(20).keys()].map((i) => BigInt(Math.floor(i / 2) + (i % 2 === 0 ? 1 : 0))));
  });

  it('sends a batch as soon as it reaches batchSize, without waiting for lingerMs', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ lingerMs: 60_000, batchSize: 1_024 });
    const value = Buffer.alloc(100, 1);
    const started = Date.now();
    // 40 records of ~110 bytes fill about four batches; the last (partial) one waits for linger
    // unless flushed.
    const sends = [...Array(40).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] }));
    await waitFor(() => cluster.batchCount('t', 0) >= 3, 5_000, 'full batches');
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(cluster.records('t', 0).length).toBeLessThan(40);
    await producer.flush();
    await Promise.all(sends);
    expect(cluster.records('t', 0)).toHaveLength(40);
    expect(cluster.batchCount('t', 0)).toBeGreaterThanOrEqual(4);
  });

  it('lets a blocked partition grow its open batch beyond batchSize (up to 16 times), then sends it at once', async () => {
    const { eddy, cluster } = await setUp(1);
    // The first request's answer is lost: the partition's only in-flight slot stays taken until
    // the request times out, and everything sent meanwhile waits.
    let dropped = 0;
    cluster.onProduce = () => (dropped++ < 1 ? 'drop-response' : undefined);
    const producer = eddy.producer({ lingerMs: 0, maxInFlight: 1, batchSize: 1_024, requestTimeoutMs: 500 });
    const value = Buffer.alloc(100, 1);
    const first = producer.send({ topic: 't', messages: [{ value }] });
    await waitFor(() => cluster.callsTo('Produce').length === 1, 5_000, 'the first request');
    // About 40 × 110 bytes: four batches of 1 KiB, or one grown batch; then about 240 × 110
    // bytes more, which a batch of at most 16 KiB cannot hold.
    const blocked = [...Array(40).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] }));
    await Promise.all([first, ...blocked]);
    // The retried first batch, then one grown batch.
    expect(cluster.batchCount('t', 0)).toBe(2);
    expect(cluster.callsTo('Produce')).toHaveLength(3);
    expect(cluster.records('t', 0)).toHaveLength(41);

    dropped = 0;
    const before = cluster.batchCount('t', 0);
    const start = producer.send({ topic: 't', messages: [{ value }] });
    await waitFor(() => cluster.callsTo('Produce').length === 4, 5_000, 'the next request');
    const many = [...Array(240).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] }));
    await Promise.all([start, ...many]);
    // 1 + at least two batches: growth stops at 16 KiB.
    expect(cluster.batchCount('t', 0) - before).toBeGreaterThanOrEqual(3);
    expect(cluster.records('t', 0)).toHaveLength(282);
  });

  it('grows the batch that a burst queues behind every in-flight slot', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ lingerMs: 0, maxInFlight: 2, batchSize: 1_024 });
    const value = Buffer.alloc(100, 1);
    // About 60 × 110 bytes in one go: two 1 KiB batches take both slots, the rest waits behind
    // them in one batch instead of five more.
    await Promise.all([...Array(60).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] })));
    expect(cluster.batchCount('t', 0)).toBe(3);
    expect(cluster.records('t', 0)).toHaveLength(60);
  });

  it("grows blocked batches only up to the topic's max.message.bytes, so no grown batch is refused", async () => {
    harness = await startHarness({ brokers: 1, topics: [{ name: 't', partitions: 1, configs: { 'max.message.bytes': '2048' } }] });
    const { eddy, cluster } = harness;
    let dropped = 0;
    // The first answer is lost, so the partition's one slot stays taken while sends pile up.
    cluster.onProduce = () => (dropped++ < 1 ? 'drop-response' : undefined);
    const producer = eddy.producer({ lingerMs: 0, maxInFlight: 1, batchSize: 1_024, requestTimeoutMs: 500 });
    const value = Buffer.alloc(100, 1);
    const first = producer.send({ topic: 't', messages: [{ value }] });
    await waitFor(() => cluster.callsTo('Produce').length === 1, 5_000, 'the first request');
    const results = await Promise.allSettled([first, ...[...Array(60).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] }))]);
    expect(results.every((result) => result.status === 'fulfilled')).toBe(true);
    const sizes = cluster
      .callsTo('Produce')
      .map((call) => (call.request as ProduceRequest).topics[0]?.partitions[0]?.records.length ?? 0);
    // Batches grew past batchSize, and none past the topic's limit.
    expect(Math.max(...sizes)).toBeGreaterThan(1_024);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2_048);
    expect(cluster.records('t', 0)).toHaveLength(61);
  });

  it('stops growing the batches of a topic that refuses a grown batch as too large', async () => {
    const { eddy, cluster } = await setUp(1);
    let dropped = 0;
    cluster.onProduce = () => (dropped++ < 1 ? 'drop-response' : undefined);
    // A topic whose max.message.bytes is 1 KiB: the broker refuses any larger batch.
    const lastBatchBytes = (): number => {
      const request = cluster.callsTo('Produce').at(-1)?.request as ProduceRequest | undefined;
      return request?.topics[0]?.partitions[0]?.records.length ?? 0;
    };
    cluster.onProducePartition = () => (lastBatchBytes() > 1_024 ? 'MESSAGE_TOO_LARGE' : undefined);
    const producer = eddy.producer({ lingerMs: 0, maxInFlight: 1, batchSize: 1_024, requestTimeoutMs: 500 });
    const value = Buffer.alloc(100, 1);
    const blockedSends = async (): Promise<Array<PromiseSettledResult<unknown>>> => {
      const before = cluster.callsTo('Produce').length;
      dropped = 0;
      const first = producer.send({ topic: 't', messages: [{ value }] });
      await waitFor(() => cluster.callsTo('Produce').length === before + 1, 5_000, 'the first request');
      return Promise.allSettled([first, ...[...Array(40).keys()].map(() => producer.send({ topic: 't', messages: [{ value }] }))]);
    };
    const refused = await blockedSends();
    expect(refused.filter((result) => result.status === 'rejected').map((result) => (result.reason as EddyError).code)).toEqual(Array(40).fill('MESSAGE_TOO_LARGE'));
    const retried = await blockedSends();
    expect(retried.every((result) => result.status === 'fulfilled')).toBe(true);
    expect(cluster.records('t', 0)).toHaveLength(42);
  });

  it('waits lingerMs for a partial batch', async () => {
    const { eddy } = await setUp(1);
    const producer = eddy.producer({ lingerMs: 200 });
    const started = Date.now();
    await producer.send({ topic: 't', messages: [{ value: 'x' }] });
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
  });

  it('compresses batches with gzip', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ compression: 'gzip' });
    await producer.send({ topic: 't', messages: [{ value: 'x'.repeat(10_000) }, { value: 'y', headers: { h: 'v' } }] });
    const records = cluster.records('t', 0);
    expect(records.map((r) => r.value?.length)).toEqual([10_000, 1]);
    expect(records[1]?.headers).toEqual([{ key: 'h', value: Buffer.from('v') }]);
  });
});

describe('backpressure', () => {
  it('makes send() wait while the buffer is full, then fail after maxBlockMs; memory stays bounded', async () => {
    const { eddy, cluster } = await setUp(1);
    cluster.onProduce = () => 'drop-response';
    const producer: Producer = eddy.producer({ bufferMemory: 4_096, maxBlockMs: 300, lingerMs: 0, requestTimeoutMs: 60_000 });
    const value = Buffer.alloc(500, 7);
    const outcomes = new Map<number, { error: unknown; afterMs: number }>();
    const started = Date.now();
    const sends = [...Array(10).keys()].map((i) => {
      const sent = producer.send({ topic: 't', messages: [{ value }] });
      sent.catch((error: unknown) => outcomes.set(i, { error, afterMs: Date.now() - started }));
      return sent;
    });
    let maxBuffered = 0;
    while (Date.now() - started < 500) {
      maxBuffered = Math.max(maxBuffered, producer.metrics().bufferedBytes);
      await sleep(10);
    }
    // Seven ~560-byte records fit in 4 KiB; the other three waited maxBlockMs and failed.
    expect(maxBuffered).toBeLessThanOrEqual(4_096);
    expect(maxBuffered).toBeGreaterThan(3_500);
    expect([...outcomes.keys()].sort()).toEqual([7, 8, 9]);
    for (const { error, afterMs } of outcomes.values()) {
      expect(error).toBeInstanceOf(BufferExhaustedError);
      expect(error).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
      expect(afterMs).toBeGreaterThanOrEqual(290);
    }
    await producer.close({ timeoutMs: 100 });
    for (const sent of sends.slice(0, 7)) await expect(sent).rejects.toBeInstanceOf(ClientClosedError);
    expect(producer.metrics().bufferedBytes).toBe(0);
  });

  it('lets a waiting send through once acknowledgements free room', async () => {
    const { eddy, cluster } = await setUp(1);
    let drop = true;
    cluster.onProduce = () => (drop ? 'drop-response' : undefined);
    const producer = eddy.producer({ bufferMemory: 2_048, maxBlockMs: 10_000, lingerMs: 0, requestTimeoutMs: 400 });
    const value = Buffer.alloc(1_500, 1);
    const first = producer.send({ topic: 't', messages: [{ value }] });
    await waitFor(() => cluster.callsTo('Produce').length >= 1, 2_000, 'first request');
    const second = producer.send({ topic: 't', messages: [{ value }] });
    await sleep(100);
    expect(producer.metrics().bufferedBytes).toBeLessThanOrEqual(2_048);
    drop = false;
    // The first request times out (400 ms), is retried and answered (a duplicate of the
    // appended batch), which frees room for the second.
    const [[a], [b]] = await Promise.all([first, second]);
    expect(a?.offset).toBe(0n);
    expect(b?.offset).toBe(1n);
    expect(cluster.records('t', 0)).toHaveLength(2);
  });

  it('rejects a message larger than the buffer at once', async () => {
    const { eddy } = await setUp(1);
    const producer = eddy.producer({ bufferMemory: 1_024 });
    await expect(producer.send({ topic: 't', messages: [{ value: Buffer.alloc(2_000) }] })).rejects.toMatchObject({ code: 'MESSAGE_TOO_LARGE' });
  });
});

describe('delivery', () => {
  it('idempotent retries after a lost answer write nothing twice', async () => {
    const { eddy, cluster } = await setUp(1);
    let faults = 0;
    cluster.onProduce = () => (faults++ < 2 ? 'fail-stream-after-append' : undefined);
    const producer = eddy.producer({ lingerMs: 0 });
    const metadata = await producer.send({ topic: 't', messages: [...'abcde'].map((value) => ({ value })) });
    expect(metadata.map((m) => m.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(logValues(cluster, 't', 0)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(cluster.callsTo('Produce').length).toBe(3);
    expect(cluster.callsTo('InitProducerId')).toHaveLength(1);
    const records = cluster.records('t', 0);
    expect(records[0]?.producerId).toBeGreaterThanOrEqual(0n);
    expect(records[0]?.baseSequence).toBe(0);
  });

  it('idempotent retries after a request timeout keep order and write nothing twice', async () => {
    const { eddy, cluster } = await setUp(1);
    let dropped = 0;
    cluster.onProduce = () => (dropped++ < 1 ? 'drop-response' : undefined);
    const producer = eddy.producer({ lingerMs: 0, requestTimeoutMs: 300, batchSize: 256 });
    const sends = [...Array(30).keys()].map((i) => producer.send({ topic: 't', messages: [{ value: `m${i}` }] }));
    const results = await Promise.all(sends);
    expect(results.map(([m]) => m?.offset)).toEqual([...Array(30).keys()].map(BigInt));
    expect(logValues(cluster, 't', 0)).toEqual([...Array(30).keys()].map((i) => `m${i}`));
  });

  it('retries a batch rejected as out of order behind a failed one, keeping order', async () => {
    const { eddy, cluster } = await setUp(1);
    let failures = 0;
    // The first batch is refused (not appended); those pipelined behind it then fail the
    // broker's sequence check (OUT_OF_ORDER_SEQUENCE_NUMBER) and must be retried, not failed.
    cluster.onProducePartition = () => (failures++ === 0 ? 'NOT_LEADER_OR_FOLLOWER' : undefined);
    const producer = eddy.producer({ lingerMs: 0, batchSize: 200, retryBackoffMs: 20 });
    const sends = [...Array(20).keys()].map((i) => producer.send({ topic: 't', messages: [{ value: `m${i}` }] }));
    const results = await Promise.all(sends);
    expect(results.map(([m]) => m?.offset)).toEqual([...Array(20).keys()].map(BigInt));
    expect(logValues(cluster, 't', 0)).toEqual([...Array(20).keys()].map((i) => `m${i}`));
    expect(cluster.callsTo('InitProducerId')).toHaveLength(1);
  });

  it('sends a failed batch to a new leader at once instead of waiting out the backoff meant for the old one', async () => {
    const { eddy, cluster } = await setUp(1, 2);
    cluster.setLeader('t', 0, 1);
    let refusals = 0;
    // Broker 1 refuses the first batch just as leadership moves to broker 2 (a failover).
    cluster.onProducePartition = (brokerId) => {
      if (brokerId !== 1) return undefined;
      refusals++;
      cluster.setLeader('t', 0, 2);
      return 'NOT_LEADER_OR_FOLLOWER';
    };
    // A backoff far longer than the test may take: only skipping it lets the send finish.
    const producer = eddy.producer({ lingerMs: 0, retryBackoffMs: 60_000, retryBackoffMaxMs: 60_000 });
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'moved' }] });
    expect(refusals).toBe(1);
    expect(meta?.offset).toBe(0n);
    expect(logValues(cluster, 't', 0)).toEqual(['moved']);
  });

  it('waits out the backoff before sending again to the same broker', async () => {
    const { eddy, cluster } = await setUp(1);
    const attempts: number[] = [];
    cluster.onProducePartition = () => (attempts.push(Date.now()) === 1 ? 'NOT_ENOUGH_REPLICAS' : undefined);
    const producer = eddy.producer({ lingerMs: 0, retryBackoffMs: 300, retryBackoffMaxMs: 300 });
    await producer.send({ topic: 't', messages: [{ value: 'later' }] });
    expect(attempts).toHaveLength(2);
    // Jitter may shorten a backoff, never below half of it.
    expect(attempts[1]! - attempts[0]!).toBeGreaterThanOrEqual(150);
  });

  it('without idempotence, acks=0 resolves without an answer (offset -1)', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ acks: 0 });
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'fire-and-forget' }] });
    expect(meta).toMatchObject({ topic: 't', partition: 0, offset: -1n });
    await waitFor(() => cluster.records('t', 0).length === 1, 2_000, 'the record');
    expect(cluster.records('t', 0)[0]?.producerId).toBe(-1n);
    expect(cluster.callsTo('InitProducerId')).toHaveLength(0);
  });

  it('acks=1 is not idempotent; idempotence with acks 0 or 1 is a config error', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer({ acks: 1 });
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'x' }] });
    expect(meta?.offset).toBe(0n);
    expect(cluster.records('t', 0)[0]?.producerId).toBe(-1n);
    expect(() => eddy.producer({ acks: 0, idempotent: true })).toThrow(InvalidConfigError);
    expect(() => eddy.producer({ maxInFlight: 6 })).toThrow(InvalidConfigError);
  });

  it('fails records with a non-retriable error and keeps going with a new epoch', async () => {
    const { eddy, cluster } = await setUp(1);
    let reject = true;
    cluster.onProducePartition = () => (reject ? 'INVALID_RECORD' : undefined);
    const producer = eddy.producer({ lingerMs: 0 });
    await expect(producer.send({ topic: 't', messages: [{ value: 'bad' }] })).rejects.toMatchObject({ code: 'INVALID_RECORD', topic: 't', partition: 0, retriable: false });
    reject = false;
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'good' }] });
    expect(meta?.offset).toBe(0n);
    expect(logValues(cluster, 't', 0)).toEqual(['good']);
    // The gap the failed batch left was closed with a new epoch.
    expect(cluster.callsTo('InitProducerId')).toHaveLength(2);
  });

  it('gives up after deliveryTimeoutMs', async () => {
    const { eddy, cluster } = await setUp(1);
    cluster.onProducePartition = () => 'NOT_ENOUGH_REPLICAS';
    const producer = eddy.producer({ lingerMs: 0, deliveryTimeoutMs: 300, retryBackoffMs: 20 });
    const started = Date.now();
    const error = await producer.send({ topic: 't', messages: [{ value: 'x' }] }).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(error).toMatchObject({ code: 'REQUEST_TIMED_OUT', topic: 't', partition: 0 });
    expect((error as Error).message).toContain('NOT_ENOUGH_REPLICAS');
    expect(cluster.callsTo('Produce').length).toBeGreaterThan(1);
  });

  it('flush() waits for everything sent before it; close() flushes', async () => {
    const { eddy, cluster } = await setUp(2);
    const producer = eddy.producer({ lingerMs: 10_000 });
    const sends = [...Array(10).keys()].map((i) => producer.send({ topic: 't', messages: [{ value: `v${i}` }] }));
    await producer.flush();
    expect(cluster.records('t', 0).length + cluster.records('t', 1).length).toBe(10);
    await Promise.all(sends);
    const late = producer.send({ topic: 't', messages: [{ value: 'late' }] });
    await producer.close();
    await expect(late).resolves.toHaveLength(1);
    await expect(producer.send({ topic: 't', messages: [{ value: 'after' }] })).rejects.toBeInstanceOf(ClientClosedError);
  });

  it('accepts strings and buffers for keys, values and headers and reports record timestamps', async () => {
    const { eddy, cluster } = await setUp(1);
    const producer = eddy.producer();
    const [a, b] = await producer.send({
      topic: 't',
      messages: [
        { key: 'k', value: 'v', headers: { trace: 'abc', raw: Buffer.from([1, 2]) }, timestamp: 1_700_000_000_000 },
        { key: null, value: null },
      ],
    });
    expect(a).toEqual({ topic: 't', partition: 0, offset: 0n, timestamp: 1_700_000_000_000 });
    expect(b?.offset).toBe(1n);
    const [first, second] = cluster.records('t', 0);
    expect(first?.key?.toString()).toBe('k');
    expect(first?.headers).toEqual([
      { key: 'trace', value: Buffer.from('abc') },
      { key: 'raw', value: Buffer.from([1, 2]) },
    ]);
    expect(second?.value).toBeNull();
  });
});
