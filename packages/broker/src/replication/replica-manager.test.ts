import { mkdtemp, readdir, readFile, rm, unlink } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogManager, PARTITION_METADATA_FILE } from '@eddy/log';
import type { MetadataRecord } from '@eddy/metadata';
import type { FetchRequest } from '@eddy/protocol';
import { encodeRecordBatch, iterateBatches } from '@eddy/record';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataLoader } from '../metadata/metadata-loader.js';
import { ReplicaManager } from './replica-manager.js';

/** One broker leading single-replica partitions: the data path without the network. */
class SingleNode {
  private offset = 0;
  readonly loader = new MetadataLoader();
  readonly manager: ReplicaManager;

  constructor(
    readonly dir: string,
    readonly logManager: LogManager,
    /** Committed before the manager starts, as a restarted broker finds its caught-up image. */
    initial: readonly MetadataRecord[] = [],
  ) {
    this.manager = new ReplicaManager({
      nodeId: 1,
      logManager,
      metadata: this.loader,
      controller: { alterPartition: () => Promise.reject(new Error('a single replica never changes its ISR')) },
      brokerEpoch: () => 1,
      replicationClient: () => undefined,
      config: { replicaLagTimeMaxMs: 1_000 },
    });
    this.commit([
      { type: 'RegisterBroker', brokerId: 1, incarnationId: 'one', brokerEpoch: 1, endpoint: { host: '127.0.0.1', port: 9092 }, rack: null },
      { type: 'UnfenceBroker', brokerId: 1, brokerEpoch: 1 },
      ...initial,
    ]);
    this.manager.start();
  }

  commit(records: readonly MetadataRecord[]): void {
    this.offset++;
    this.loader.applyCommitted([{ offset: this.offset, records }]);
  }

  async createTopic(name: string, partitions = 1, configs: Readonly<Record<string, string>> = {}): Promise<void> {
    this.commit(topicRecords(name, partitions, configs));
    await this.manager.settled();
  }
}

/** A topic whose partitions all live on broker 1 alone. */
function topicRecords(name: string, partitions = 1, configs: Readonly<Record<string, string>> = {}, topicId = `${name}-id`): MetadataRecord[] {
  return [
    { type: 'Topic', name, topicId },
    ...Object.entries(configs).map(([key, value]): MetadataRecord => ({ type: 'Config', resourceType: 'topic', resourceName: name, name: key, value })),
    ...Array.from({ length: partitions }, (_, partition): MetadataRecord => ({ type: 'Partition', topicId, partition, replicas: [1], isr: [1], adding: [], removing: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 })),
  ];
}

const batch = (count: number, valueBytes = 10): Buffer =>
  encodeRecordBatch(Array.from({ length: count }, (_, i) => ({ value: Buffer.alloc(valueBytes, i) })), { timestampMs: 1_700_000_000_000 });

function fetchRequest(topic: string, fetchOffset: bigint, options: Partial<Pick<FetchRequest, 'maxWaitMs' | 'minBytes' | 'maxBytes'>> & { partitionMaxBytes?: number; partitions?: number } = {}): FetchRequest {
  return {
    correlationId: 1,
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 1,
    maxBytes: options.maxBytes ?? 1 << 20,
    topics: [
      {
        name: topic,
        partitions: Array.from({ length: options.partitions ?? 1 }, (_, partition) => ({ partition, fetchOffset, partitionMaxBytes: options.partitionMaxBytes ?? 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1 })),
      },
    ],
  };
}

describe('ReplicaManager on one node', () => {
  let dir: string;
  let logManager: LogManager;
  let node: SingleNode;

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'eddy-replica-manager-'));
    logManager = new LogManager({ dataDir: dir });
    node = new SingleNode(dir, logManager);
  });

  afterEach(async () => {
    await node.manager.close();
    await logManager.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('appends pipelined requests in order as group appends, and acks=all completes with a single-replica ISR', async () => {
    await node.createTopic('t');
    const outcomes = Array.from({ length: 100 }, (_, i) => node.manager.appendRecords({ topic: 't', partition: 0, records: batch(1 + (i % 3)), acks: i % 2 === 0 ? -1 : 1, timeoutMs: 5_000 }));
    const results = await Promise.all(outcomes);
    let expected = 0n;
    for (const [i, result] of results.entries()) {
      expect(result.error.errorCode).toBe('NONE');
      expect(result.baseOffset).toBe(expected);
      expected += BigInt(1 + (i % 3));
    }
    expect(node.manager.highWatermark('t', 0)).toBe(expected);
    const log = logManager.get('t', 0);
    expect(log?.logEndOffset).toBe(expected);
    // The batches carry the stamped offsets and leader epoch.
    const read = await log!.read(0n, 1 << 20);
    const headers = [...iterateBatches(read.records)].map(({ header }) => [header.baseOffset, header.partitionLeaderEpoch]);
    expect(headers.slice(0, 3)).toEqual([
      [0n, 0],
      [1n, 0],
      [3n, 0],
    ]);
    expect(node.manager.status()).toEqual([
      expect.objectContaining({ topic: 't', partition: 0, role: 'leader', leaderId: 1, highWatermark: expected, logEndOffset: expected, isr: [1], underReplicated: false }),
    ]);
  });

  it('sizes fetches as Kafka does: the first batch whole, later partitions only what fits', async () => {
    await node.createTopic('f', 2);
    const big = batch(1, 3_000);
    const small = batch(1, 100);
    for (const partition of [0, 1]) {
      expect((await node.manager.appendRecords({ topic: 'f', partition, records: Buffer.from(big), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NONE');
      expect((await node.manager.appendRecords({ topic: 'f', partition, records: Buffer.from(small), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NONE');
    }
    const response = await node.manager.fetch(fetchRequest('f', 0n, { partitions: 2, partitionMaxBytes: 1_000, maxBytes: 2_000 }));
    const [first, second] = response.topics[0]?.partitions ?? [];
    // Partition 0: its first batch (3 KB) whole although above both limits; nothing after it.
    expect([...iterateBatches(first!.records)].length).toBe(1);
    expect(first!.records.length).toBe(big.length);
    // Partition 1: its 3 KB batch does not fit what is left, so it is left for a later fetch.
    expect(second!.records.length).toBe(0);
    expect(second!.highWatermark).toBe(2n);
  });

  it('ends a long poll when the caller aborts, and answers a waiting one when data arrives', async () => {
    await node.createTopic('w');
    const abort = new AbortController();
    const started = performance.now();
    const parked = node.manager.fetch(fetchRequest('w', 0n, { maxWaitMs: 30_000 }), abort.signal);
    abort.abort();
    const aborted = await parked;
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(aborted.topics[0]?.partitions[0]?.records.length).toBe(0);

    const waiting = node.manager.fetch(fetchRequest('w', 0n, { maxWaitMs: 30_000 }));
    await node.manager.appendRecords({ topic: 'w', partition: 0, records: batch(2), acks: 1, timeoutMs: 0 });
    const answered = await waiting;
    expect(answered.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', highWatermark: 2n });
    expect(answered.topics[0]?.partitions[0]?.records.length).toBeGreaterThan(0);
  });

  it('applies max.message.bytes changes at once, and refuses idempotent multi-batch requests', async () => {
    await node.createTopic('c', 1, { 'max.message.bytes': '100000' });
    const large = batch(1, 5_000);
    expect((await node.manager.appendRecords({ topic: 'c', partition: 0, records: Buffer.from(large), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NONE');
    node.commit([{ type: 'Config', resourceType: 'topic', resourceName: 'c', name: 'max.message.bytes', value: '1000' }]);
    expect((await node.manager.appendRecords({ topic: 'c', partition: 0, records: Buffer.from(large), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('MESSAGE_TOO_LARGE');
    const idempotent = encodeRecordBatch([{ value: 'x' }], { producerId: 7n, producerEpoch: 0, baseSequence: 0 });
    const twice = Buffer.concat([idempotent, encodeRecordBatch([{ value: 'y' }], { producerId: 7n, producerEpoch: 0, baseSequence: 1 })]);
    expect((await node.manager.appendRecords({ topic: 'c', partition: 0, records: twice, acks: 1, timeoutMs: 0 })).error.errorCode).toBe('INVALID_RECORD');
  });

  it('deletes, when it starts, the logs on disk that the image no longer assigns to this broker', async () => {
    await node.createTopic('kept');
    await node.createTopic('moved');
    for (const topic of ['kept', 'moved']) {
      expect((await node.manager.appendRecords({ topic, partition: 0, records: batch(3), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NONE');
    }
    await node.manager.close();
    await logManager.close();
    // Restarted: both logs are on disk, but 'moved' left this broker while it was down, so the
    // caught-up image it starts from names only 'kept' and no delta will ever mention 'moved'.
    logManager = new LogManager({ dataDir: dir });
    expect(await logManager.openAll()).toBe(2);
    node = new SingleNode(dir, logManager, topicRecords('kept'));
    await node.manager.settled();
    expect(logManager.get('moved', 0)).toBeUndefined();
    // Renamed for deletion at once (a crash in between finishes the job on the next start).
    expect(await readdir(dir)).not.toContain('moved-0');
    expect(await readdir(dir)).toContain('kept-0');
    expect(logManager.get('kept', 0)?.logEndOffset).toBe(3n);
    expect(node.manager.highWatermark('kept', 0)).toBe(3n);
  });

  it('replaces a log left by an older incarnation of its topic, adopts one without a topic id, and keeps a matching one', async () => {
    for (const topic of ['recreated', 'legacy', 'same']) {
      await node.createTopic(topic);
      expect((await node.manager.appendRecords({ topic, partition: 0, records: batch(3), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NONE');
    }
    await node.manager.close();
    await logManager.close();
    // 'legacy' was written before topic ids were recorded; 'recreated' was deleted and created
    // again (a new id) while this broker was down, so its directory holds the old topic's data.
    await unlink(path.join(dir, 'legacy-0', PARTITION_METADATA_FILE));
    logManager = new LogManager({ dataDir: dir });
    expect(await logManager.openAll()).toBe(3);
    node = new SingleNode(dir, logManager, [...topicRecords('recreated', 1, {}, 'recreated-id2'), ...topicRecords('legacy'), ...topicRecords('same')]);
    await node.manager.settled();

    const recreated = logManager.get('recreated', 0);
    expect(recreated?.topicId).toBe('recreated-id2');
    expect(recreated?.logEndOffset).toBe(0n);
    expect(node.manager.highWatermark('recreated', 0)).toBe(0n);
    // The new topic's records start at offset 0, and a read from 0 sees only them.
    expect((await node.manager.appendRecords({ topic: 'recreated', partition: 0, records: batch(2, 7), acks: 1, timeoutMs: 0 })).baseOffset).toBe(0n);
    const read = (await node.manager.fetch(fetchRequest('recreated', 0n))).topics[0]?.partitions[0];
    expect(read).toMatchObject({ errorCode: 'NONE', highWatermark: 2n });
    expect([...iterateBatches(read!.records)].map(({ header }) => [header.baseOffset, header.recordCount])).toEqual([[0n, 2]]);

    expect(logManager.get('legacy', 0)).toMatchObject({ topicId: 'legacy-id', logEndOffset: 3n });
    expect(await readFile(path.join(dir, 'legacy-0', PARTITION_METADATA_FILE), 'utf8')).toBe('version: 0\ntopic_id: legacy-id\n');
    expect(logManager.get('same', 0)).toMatchObject({ topicId: 'same-id', logEndOffset: 3n });
    expect(node.manager.highWatermark('legacy', 0)).toBe(3n);
    expect(node.manager.highWatermark('same', 0)).toBe(3n);
  });

  it('answers what is waiting when it closes', async () => {
    await node.createTopic('s');
    const waiting = node.manager.fetch(fetchRequest('s', 0n, { maxWaitMs: 30_000 }));
    await node.manager.close();
    expect((await waiting).topics[0]?.partitions[0]?.errorCode).toBe('NONE');
    expect((await node.manager.appendRecords({ topic: 's', partition: 0, records: batch(1), acks: 1, timeoutMs: 0 })).error.errorCode).toBe('NODE_SHUTTING_DOWN');
  });
});
