import { randomUUID } from 'node:crypto';
import { EddyError, type PartitionDescription } from '@eddy/client';
import type { Connection, FetchRequest, ReplicaFetchRequest } from '@eddy/protocol';
import { flipByte } from '@eddy/record/testing';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { fetchStream, onlyPartition, produceRequest, produceStream, rawConnection, recordBatch, replicaFetchStream } from './support/raw-client.js';
import { sharedClusterWithClient } from './support/shared-cluster.js';
import { waitFor } from './support/wait.js';

const running = sharedClusterWithClient(
  { nodes: 3, settings: { 'broker.session.timeout.ms': '2000', 'broker.heartbeat.interval.ms': '400' } },
  { clientId: 'bad-input-e2e', retry: { deadlineMs: 5_000 } },
  async (cluster) => {
    await waitForRunningBrokers(cluster, 3);
    await eddyUntilOk(cluster, ['topics', 'create', '--topic', 'existing', '--partitions', '3', '--replication-factor', '3']);
  },
);

/** The CLI failed with exactly one `error: CODE: ...` line and no stack trace. */
async function expectCliError(args: readonly string[], code: string, input?: string): Promise<string> {
  const result = await running().c.eddy(args, input === undefined ? {} : { input });
  expect(result.code, `eddy ${args.join(' ')}`).not.toBe(0);
  expect(result.stderr).toMatch(new RegExp(`^error: ${code}: [^\\n]+\\n$`));
  return result.stderr;
}

async function sdkError(work: () => Promise<unknown>): Promise<EddyError> {
  const error = await work().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EddyError);
  return error as EddyError;
}

/** A topic with a small batch limit, for the data-path requests below. */
const strict = 'strict';
const strictBatchBytesMax = 2048;

/** The partition's leader and epoch as the SDK's admin reports them. */
async function strictPartition(): Promise<PartitionDescription> {
  const admin = running().client.admin();
  try {
    const [described] = await admin.describeTopics([strict]);
    const partition = described?.partitions[0];
    if (partition === undefined) throw new Error(`${strict} has no partition 0`);
    return partition;
  } finally {
    await admin.close();
  }
}

/** After bad input, a normal acks=all produce through the SDK is acknowledged and reads back. */
async function expectStillServing(): Promise<void> {
  const { client } = running();
  const value = `still serving ${randomUUID()}`;
  const producer = client.producer({ acks: 'all' });
  const [sent] = await producer.send({ topic: strict, messages: [{ value, partition: 0 }] });
  await producer.close();
  expect(sent?.offset).toBeGreaterThanOrEqual(0n);
  const consumer = client.consumer({});
  try {
    await consumer.assign([{ topic: strict, partition: 0 }]);
    consumer.seek({ topic: strict, partition: 0 }, sent?.offset ?? 0n);
    const read = await waitFor('the record back', async () => (await consumer.poll({ timeoutMs: 500 })).find((record) => record.value?.toString() === value), 20_000);
    expect(read.offset).toBe(sent?.offset);
  } finally {
    await consumer.close();
  }
}

const rawConnections: Connection[] = [];
afterEach(() => {
  for (const connection of rawConnections.splice(0)) connection.close();
});

/** Opens a raw connection to `nodeId`, closed again after the test. */
function rawTo(nodeId: number): Connection {
  const connection = rawConnection(running().c.address(nodeId));
  rawConnections.push(connection);
  return connection;
}


/** Raw requests below the SDK, to exactly the node named: no retries or redirects hide the answer. */
describe('malformed and misdirected data-path requests to real processes get typed errors, and the cluster keeps serving', () => {
  beforeAll(async () => {
    const admin = running().client.admin();
    await admin.createTopics([{ topic: strict, partitions: 1, replicationFactor: 3, configs: { 'max.message.bytes': String(strictBatchBytesMax), 'min.insync.replicas': '2' } }]);
    await admin.close();
    await waitFor('strict online with a full ISR', async () => ((await strictPartition()).isr.length === 3 ? true : undefined), 30_000);
  });

  it('a batch above max.message.bytes: MESSAGE_TOO_LARGE', async () => {
    const { leader } = await strictPartition();
    const stream = produceStream(rawTo(leader));
    const oversized = recordBatch(['x'.repeat(2 * strictBatchBytesMax)]);
    const answer = await stream.send(produceRequest(strict, 0, oversized, -1, 5_000), 10_000);
    expect(answer === 'no answer' ? answer : onlyPartition(answer)).toMatchObject({ errorCode: 'MESSAGE_TOO_LARGE', baseOffset: -1n });
    stream.close();

    const producer = running().client.producer({ acks: 'all' });
    expect(await sdkError(() => producer.send({ topic: strict, messages: [{ value: 'y'.repeat(2 * strictBatchBytesMax), partition: 0 }] }))).toMatchObject({
      code: 'MESSAGE_TOO_LARGE',
      retriable: false,
    });
    await producer.close();
    await expectCliError(['produce', '--topic', strict], 'MESSAGE_TOO_LARGE', `${'z'.repeat(2 * strictBatchBytesMax)}\n`);
    await expectStillServing();
  });

  it('a batch whose CRC does not match its bytes, or no batch at all: CORRUPT_RECORD', async () => {
    const { leader } = await strictPartition();
    const stream = produceStream(rawTo(leader));
    const batch = recordBatch(['a', 'b']);
    // Past the 61-byte header: a record byte, covered by the CRC.
    const flipped = flipByte(batch, batch.length - 2);
    for (const records of [flipped, Buffer.from('not a record batch at all')]) {
      const answer = await stream.send(produceRequest(strict, 0, records, -1, 5_000), 10_000);
      expect(answer === 'no answer' ? answer : onlyPartition(answer)).toMatchObject({ errorCode: 'CORRUPT_RECORD', baseOffset: -1n });
    }
    stream.close();
    await expectStillServing();
  });

  it('a produce to a follower: NOT_LEADER_OR_FOLLOWER naming the current leader and its endpoint', async () => {
    const { leader, leaderEpoch, replicas } = await strictPartition();
    const follower = replicas.find((id) => id !== leader) as number;
    const stream = produceStream(rawTo(follower));
    const answer = await stream.send(produceRequest(strict, 0, recordBatch(['misdirected']), -1, 5_000), 10_000);
    if (answer === 'no answer') throw new Error(`follower ${follower} did not answer`);
    expect(onlyPartition(answer)).toMatchObject({ errorCode: 'NOT_LEADER_OR_FOLLOWER', baseOffset: -1n, currentLeaderId: leader, currentLeaderEpoch: leaderEpoch });
    const [host, port] = running().c.address(leader).split(':');
    expect(answer.nodeEndpoints).toContainEqual(expect.objectContaining({ brokerId: leader, host, port: Number(port) }));
    stream.close();
    await expectStillServing();
  });

  it('stale and future leader epochs in fetches: FENCED_LEADER_EPOCH and UNKNOWN_LEADER_EPOCH', async () => {
    // New leader epochs: stop the leader (a controlled shutdown hands leadership over), bring it
    // back, and elect it again as the preferred leader, so the periodic preferred-leader check
    // has nothing left to move while the requests below run.
    const { c } = running();
    const before = await strictPartition();
    await c.node(before.leader).stop();
    await waitFor(`leadership of ${strict} to move off broker ${before.leader}`, async () => ((await strictPartition()).leader !== before.leader ? true : undefined), 30_000, 200);
    c.node(before.leader).start();
    await waitForRunningBrokers(c, 3);
    const admin = running().client.admin();
    const moved = await waitFor(
      `broker ${before.leader} leading ${strict} again`,
      async () => {
        await admin.electLeaders({ type: 'preferred', partitions: [{ topic: strict, partition: 0 }] }).catch(() => undefined);
        const now = await strictPartition();
        // A newer epoch too: a broker still replaying its log may report the state before the stop.
        return now.leader === before.leader && now.leaderEpoch > before.leaderEpoch && now.isr.length === 3 ? now : undefined;
      },
      30_000,
      300,
    );
    const follower = moved.replicas.find((id) => id !== moved.leader) as number;
    const brokerEpoch = (await admin.describeCluster()).brokers.find((broker) => broker.brokerId === follower)?.brokerEpoch ?? -1n;
    await admin.close();
    const stale = before.leaderEpoch;
    const leaderConnection = rawTo(moved.leader);

    // A consumer that missed the leader change.
    const consumer = fetchStream(leaderConnection);
    const fetch = (currentLeaderEpoch: number): Omit<FetchRequest, 'correlationId'> => ({
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 16,
      topics: [{ name: strict, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 16, currentLeaderEpoch, lastFetchedEpoch: -1 }] }],
    });
    // The metadata above may come from another broker: wait until the leader serves as one.
    await waitFor(`broker ${moved.leader} serving ${strict} as its leader`, async () => {
      const answer = await consumer.send(fetch(-1), 10_000);
      return answer !== 'no answer' && answer.topics[0]?.partitions[0]?.errorCode === 'NONE' ? true : undefined;
    }, 10_000, 100);
    for (const [epoch, code] of [
      [stale, 'FENCED_LEADER_EPOCH'],
      [moved.leaderEpoch + 5, 'UNKNOWN_LEADER_EPOCH'],
    ] as const) {
      const answer = await consumer.send(fetch(epoch), 10_000);
      expect(answer === 'no answer' ? answer : answer.topics[0]?.partitions[0]?.errorCode, `fetch with leader epoch ${epoch}`).toBe(code);
    }
    consumer.close();

    const epochs = await leaderConnection
      .service('ReplicationService')
      .offsetsForLeaderEpoch({ replicaId: -1, topics: [{ name: strict, partitions: [{ partition: 0, currentLeaderEpoch: stale, leaderEpoch: stale }] }] });
    expect(epochs.topics[0]?.partitions[0]?.errorCode).toBe('FENCED_LEADER_EPOCH');

    // A follower that missed the leader change: its own id and registration, an old epoch.
    const replicaFetch = (epoch: bigint, currentLeaderEpoch: number): Omit<ReplicaFetchRequest, 'correlationId'> => ({
      replicaId: follower,
      brokerEpoch: epoch,
      maxWaitMs: 0,
      minBytes: 1,
      maxBytes: 1 << 16,
      incremental: false,
      topics: [{ topicId: '', name: strict, partitions: [{ partition: 0, currentLeaderEpoch, fetchOffset: 0n, lastFetchedEpoch: -1, logStartOffset: 0n, partitionMaxBytes: 1 << 16 }] }],
      forgotten: [],
    });
    const replica = replicaFetchStream(leaderConnection);
    const fenced = await replica.send(replicaFetch(brokerEpoch, stale), 10_000);
    expect(fenced === 'no answer' ? fenced : fenced.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'FENCED_LEADER_EPOCH', currentLeaderId: moved.leader, currentLeaderEpoch: moved.leaderEpoch });
    const oldIncarnation = await replica.send(replicaFetch(brokerEpoch - 1n, moved.leaderEpoch), 10_000);
    expect(oldIncarnation === 'no answer' ? oldIncarnation : oldIncarnation.errorCode).toBe('STALE_BROKER_EPOCH');
    replica.close();

    await expectStillServing();
    // The impostor fetches at offset 0 moved nothing: the real follower is still in sync.
    expect((await strictPartition()).isr).toHaveLength(3);
  });
});

describe('bad input to a cluster of real processes gets typed errors', () => {
  it('unknown topics', async () => {
    const { client } = running();
    await expectCliError(['topics', 'describe', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectCliError(['topics', 'delete', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION');
    await expectCliError(['produce', '--topic', 'no-such-topic'], 'UNKNOWN_TOPIC_OR_PARTITION', 'x\n');
    await expectCliError(['consume', '--topic', 'no-such-topic', '--timeout-ms', '100'], 'UNKNOWN_TOPIC_OR_PARTITION');

    const admin = client.admin();
    expect(await sdkError(() => admin.describeTopics(['no-such-topic']))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', retriable: true });
    await admin.close();
    const producer = client.producer({ acks: 'all', maxBlockMs: 1_000 });
    expect(await sdkError(() => producer.send({ topic: 'no-such-topic', messages: [{ value: 'x' }] }))).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await producer.close();
  });

  it('invalid topic names', async () => {
    const { client } = running();
    for (const name of ['bad name!', 'slash/es', '..', 'x'.repeat(250)]) {
      await expectCliError(['topics', 'create', '--topic', name, '--partitions', '1', '--replication-factor', '1'], 'INVALID_TOPIC_EXCEPTION');
    }
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'ünïcode', partitions: 1, replicationFactor: 1, configs: {} }]))).toMatchObject({
      code: 'INVALID_TOPIC_EXCEPTION',
      retriable: false,
    });
    // A name of exactly 249 characters is fine.
    await admin.createTopics([{ topic: 'y'.repeat(249), partitions: 1, replicationFactor: 1, configs: {} }]);
    await admin.close();
  });

  it('partition counts below 1, and shrinking a topic', async () => {
    const { client } = running();
    await expectCliError(['topics', 'create', '--topic', 'zero', '--partitions', '0', '--replication-factor', '1'], 'INVALID_REQUEST');
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'zero', partitions: 0, replicationFactor: 1, configs: {} }]))).toMatchObject({ code: 'INVALID_PARTITIONS', retriable: false });
    expect(await sdkError(() => admin.createTopics([{ topic: 'negative', partitions: -5, replicationFactor: 1, configs: {} }]))).toMatchObject({ code: 'INVALID_PARTITIONS' });
    await admin.close();
    await expectCliError(['topics', 'alter', '--topic', 'existing', '--partitions', '2'], 'INVALID_PARTITIONS');
    const listed = await running().c.eddy(['topics', 'list']);
    expect(listed.stdout.split('\n')).not.toContain('zero');
  });

  it('replication factors above the live brokers, and the cluster keeps serving afterwards', async () => {
    const { c, client } = running();
    await expectCliError(['topics', 'create', '--topic', 'too-wide', '--partitions', '1', '--replication-factor', '4'], 'INVALID_REPLICATION_FACTOR');
    const admin = client.admin();
    expect(await sdkError(() => admin.createTopics([{ topic: 'too-wide', partitions: 1, replicationFactor: 4, configs: {} }]))).toMatchObject({
      code: 'INVALID_REPLICATION_FACTOR',
      retriable: false,
    });

    // With one broker down (fenced), three copies are more than the live brokers.
    const quorum = JSON.parse(await eddyUntilOk(c, ['quorum', 'describe', '--status', '--json'])) as { leaderId: number };
    const victim = [1, 2, 3].find((id) => id !== quorum.leaderId) as number;
    await c.node(victim).kill();
    await waitForRunningBrokers(c, 2);
    await expectCliError(['topics', 'create', '--topic', 'three-copies', '--partitions', '1', '--replication-factor', '3'], 'INVALID_REPLICATION_FACTOR');
    await admin.createTopics([{ topic: 'two-copies', partitions: 1, replicationFactor: 2, configs: {} }]);

    // Nothing above crashed a node: the survivors still serve produce and consume.
    expect([1, 2, 3].filter((id) => c.node(id).isRunning)).toHaveLength(2);
    expect((await c.eddy(['produce', '--topic', 'two-copies'], { input: 'still here\n' })).code).toBe(0);
    const consumed = await waitFor('the record back', async () => {
      const result = await c.eddy(['consume', '--topic', 'two-copies', '--from-beginning', '--max-messages', '1', '--timeout-ms', '5000']);
      return result.stdout === 'still here\n' ? result : undefined;
    }, 20_000);
    expect(consumed.code).toBe(0);
    await admin.close();
  });
});
