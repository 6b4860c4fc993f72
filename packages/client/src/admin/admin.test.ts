import { afterEach, describe, expect, it } from 'vitest';
import type { CreatePartitionsRequest, CreateTopicsRequest } from '@eddy/protocol';
import { TopicPartitionError } from '../index.js';
import { type Harness, startHarness, waitFor } from '../test-support/harness.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('topics', () => {
  it('creates, lists, describes, grows and deletes topics', async () => {
    harness = await startHarness({ brokers: 3 });
    const admin = harness.eddy.admin();
    const created = await admin.createTopics([
      { topic: 'orders', partitions: 3, replicationFactor: 3, configs: { 'retention.ms': '1000' } },
      { topic: 'audit', partitions: 1, replicationFactor: 1 },
    ]);
    expect(created.map((topic) => [topic.topic, topic.partitions, topic.replicationFactor])).toEqual([
      ['orders', 3, 3],
      ['audit', 1, 1],
    ]);
    expect(created[0]?.topicId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const request = harness.cluster.callsTo('CreateTopics')[0]?.request as CreateTopicsRequest;
    expect(request.topics[0]).toMatchObject({ name: 'orders', numPartitions: 3, replicationFactor: 3, configs: [{ name: 'retention.ms', value: '1000' }] });

    expect(await admin.listTopics()).toEqual(['audit', 'orders']);
    const [orders] = await admin.describeTopics(['orders']);
    expect(orders?.partitions).toHaveLength(3);
    expect(orders?.partitions[0]).toMatchObject({ partition: 0, leader: 1, replicas: [1, 2, 3], isr: [1, 2, 3], state: 'Online' });
    expect((await admin.describeTopics()).map((topic) => topic.topic)).toEqual(['audit', 'orders']);

    await expect(admin.createTopics([{ topic: 'orders', partitions: 1 }])).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS', topic: 'orders' });
    await expect(admin.createTopics([{ topic: 'x', partitions: 1, replicationFactor: 4 }])).rejects.toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });

    await admin.createPartitions([
      {
        topic: 'orders',
        count: 5,
        assignments: [
          [2, 3, 1],
          [3, 1, 2],
        ],
      },
    ]);
    expect((await admin.describeTopics(['orders']))[0]?.partitions).toHaveLength(5);
    // The new partitions are named on the wire by their index in the grown topic.
    const grow = harness.cluster.callsTo('CreatePartitions')[0]?.request as CreatePartitionsRequest;
    expect(grow.topics[0]?.assignments).toEqual([
      { partition: 3, brokerIds: [2, 3, 1] },
      { partition: 4, brokerIds: [3, 1, 2] },
    ]);
    await expect(admin.createPartitions([{ topic: 'orders', count: 2 }])).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });

    await admin.deleteTopics(['audit']);
    expect(await admin.listTopics()).toEqual(['orders']);
    const missing = await admin.describeTopics(['audit']).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(TopicPartitionError);
    expect(missing).toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION', topic: 'audit' });
  });

  it('sends controller operations to the controller, retrying NOT_CONTROLLER after a refresh', async () => {
    harness = await startHarness({ brokers: 3, forwardToController: false, controllerId: 1 });
    const { eddy, cluster } = harness;
    const admin = eddy.admin();
    await admin.createTopics([{ topic: 'a', partitions: 1 }]);
    expect(cluster.callsTo('CreateTopics').map((call) => call.brokerId)).toEqual([1]);
    cluster.setController(3);
    await admin.createTopics([{ topic: 'b', partitions: 1 }]);
    const brokers = cluster.callsTo('CreateTopics').map((call) => call.brokerId);
    expect(brokers.slice(1, 2)).toEqual([1]);
    expect(brokers.at(-1)).toBe(3);
    expect(await admin.listTopics()).toEqual(['a', 'b']);
  });

  it('describes and alters configs', async () => {
    harness = await startHarness({ brokers: 1, topics: [{ name: 't', partitions: 1, configs: { 'cleanup.policy': 'delete' } }] });
    const admin = harness.eddy.admin();
    await admin.alterConfigs([{ type: 'topic', name: 't', configs: [{ name: 'retention.ms', value: '60000' }, { name: 'cleanup.policy', op: 'delete' }] }]);
    const [described] = await admin.describeConfigs([{ type: 'topic', name: 't' }]);
    expect(described?.configs.map((config) => [config.name, config.value, config.source])).toEqual([['retention.ms', '60000', 'topic']]);
    await expect(admin.alterConfigs([{ type: 'topic', name: 'nope', configs: [{ name: 'a', value: 'b' }] }])).rejects.toMatchObject({ code: 'RESOURCE_NOT_FOUND' });
    const [broker] = await admin.describeConfigs([{ type: 'broker', name: '1' }]);
    expect(broker?.configs[0]).toMatchObject({ name: 'num.partitions', source: 'default' });
  });
});

describe('cluster', () => {
  it('describes the cluster and the quorum, elects leaders and manages reassignments', async () => {
    harness = await startHarness({ brokers: 3, topics: [{ name: 't', partitions: 2, leaders: [2, 2], replicationFactor: 2 }] });
    const { eddy, cluster } = harness;
    const admin = eddy.admin();
    const description = await admin.describeCluster();
    expect(description).toMatchObject({ clusterId: 'fake-cluster', controller: 1 });
    expect(description.brokers.map((broker) => broker.brokerId)).toEqual([1, 2, 3]);
    expect(description.brokers[0]?.brokerEpoch).toBe(1n);

    const quorum = await admin.describeQuorum();
    expect(quorum).toMatchObject({ clusterId: 'fake-cluster', leaderId: 1, term: 1n });
    expect(quorum.voters.map((voter) => voter.replicaId)).toEqual([1, 2, 3]);

    // Partition 0's preferred leader is 2 already; move partition 1's leadership away first.
    cluster.setLeader('t', 1, 3);
    const elections = await admin.electLeaders({ partitions: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] });
    expect(elections.map((result) => [result.partition, result.error?.code])).toEqual([
      [0, undefined],
      [1, undefined],
    ]);
    expect(cluster.leaderOf('t', 1)).toBe(2);

    await admin.alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [1, 3] }]);
    expect(await admin.listPartitionReassignments()).toEqual([{ topic: 't', partition: 0, replicas: [2, 3, 1], addingReplicas: [1], removingReplicas: [2] }]);
    await admin.cancelPartitionReassignments([{ topic: 't', partition: 0 }]);
    expect(await admin.listPartitionReassignments()).toEqual([]);
    await expect(admin.cancelPartitionReassignments([{ topic: 't', partition: 0 }])).rejects.toMatchObject({ code: 'NO_REASSIGNMENT_IN_PROGRESS', partition: 0 });
  });

  it('lists offsets: earliest, latest and by time', async () => {
    harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions: 2 }] });
    const { eddy, cluster } = harness;
    const producer = eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [{ value: 'a', partition: 0, timestamp: 1_000 }, { value: 'b', partition: 0, timestamp: 2_000 }] });
    await producer.send({ topic: 't', messages: [{ value: 'c', partition: 0, timestamp: 3_000 }] });
    cluster.deleteRecordsBefore('t', 0, 2n);
    const admin = eddy.admin();
    const tps = [
      { topic: 't', partition: 0 },
      { topic: 't', partition: 1 },
    ];
    expect((await admin.listOffsets(tps)).map((found) => found.offset)).toEqual([3n, 0n]);
    expect((await admin.listOffsets(tps, 'earliest')).map((found) => found.offset)).toEqual([2n, 0n]);
    const [byTime] = await admin.listOffsets([{ topic: 't', partition: 0 }], { timestamp: 2_500 });
    expect(byTime).toMatchObject({ offset: 2n, timestamp: 3_000 });
    await expect(admin.listOffsets([{ topic: 't', partition: 9 }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });
});

describe('groups', () => {
  it('lists and describes groups with lag, alters and deletes offsets, deletes groups', async () => {
    harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions: 2 }] });
    const { eddy } = harness;
    const producer = eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...Array(10).keys()].map((i) => ({ value: `v${i}`, partition: i % 2 })) });
    const consumer = eddy.consumer({ groupId: 'billing', fromBeginning: true, heartbeatIntervalMs: 50, sessionTimeoutMs: 2_000, enableAutoCommit: false });
    await consumer.subscribe(['t']);
    let read = 0;
    while (read < 10) read += (await consumer.poll({ timeoutMs: 1_000 })).length;
    await consumer.commit([
      { topic: 't', partition: 0, offset: 3n },
      { topic: 't', partition: 1, offset: 5n },
    ]);
    const admin = eddy.admin();
    expect(await admin.listGroups()).toEqual([{ groupId: 'billing', protocolType: 'consumer', state: 'Stable' }]);
    const [group] = await admin.describeGroups(['billing']);
    const memberId = consumer.groupMetadata()?.memberId;
    expect(group).toMatchObject({ groupId: 'billing', state: 'Stable', protocolType: 'consumer', protocolName: 'range', generationId: 1, leaderMemberId: memberId });
    expect(group?.members).toHaveLength(1);
    expect(group?.members[0]).toMatchObject({ memberId, clientId: 'test-client', assignment: [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }] });
    expect(group?.offsets.map((row) => [row.partition, row.committedOffset, row.logEndOffset, row.lag, row.memberId])).toEqual([
      [0, 3n, 5n, 2n, memberId],
      [1, 5n, 5n, 0n, memberId],
    ]);
    expect(group?.rebalanceHistory.length).toBeGreaterThan(0);

    // Offsets of an active group cannot be reset from outside.
    await expect(admin.alterConsumerGroupOffsets('billing', [{ topic: 't', partition: 0, offset: 0n }])).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    await expect(admin.deleteGroups(['billing'])).rejects.toMatchObject({ code: 'NON_EMPTY_GROUP' });
    await consumer.close();

    await admin.alterConsumerGroupOffsets('billing', [{ topic: 't', partition: 0, offset: 1n }]);
    const [afterReset] = await admin.describeGroups(['billing']);
    expect(afterReset?.state).toBe('Empty');
    expect(afterReset?.offsets.map((row) => [row.partition, row.committedOffset, row.lag, row.memberId])).toEqual([
      [0, 1n, 4n, null],
      [1, 5n, 0n, null],
    ]);
    await admin.deleteConsumerGroupOffsets('billing', [{ topic: 't', partition: 1 }]);
    expect((await admin.describeGroups(['billing']))[0]?.offsets.map((row) => row.partition)).toEqual([0]);
    await admin.deleteGroups(['billing']);
    expect(await admin.listGroups()).toEqual([]);
    await expect(admin.deleteGroups(['billing'])).rejects.toMatchObject({ code: 'GROUP_ID_NOT_FOUND' });
  });

  it('finds the coordinator again when it moves', async () => {
    harness = await startHarness({ brokers: 2, coordinatorId: 2 });
    const { eddy, cluster } = harness;
    const admin = eddy.admin();
    await admin.alterConsumerGroupOffsets('g', [{ topic: 't', partition: 0, offset: 1n }]);
    expect(cluster.callsTo('OffsetCommit').map((call) => call.brokerId)).toEqual([2]);
    await waitFor(() => cluster.callsTo('FindCoordinator').length === 1);
  });
});
