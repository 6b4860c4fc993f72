import { ManualClock, silentLogger } from '@eddy/base';
import type { JoinGroupRequest, JoinGroupResponse, OffsetCommitRequest, SyncGroupResponse } from '@eddy/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { coordinatorPartitionFor } from '../group/index.js';
import type { OffsetsTopicRecord } from '../group-store/offsets-topic-records.js';
import { decodeOffsetsRecords, encodeOffsetsWrite } from './offsets-batches.js';
import { OFFSETS_TOPIC } from './offsets-topic.js';
import { type FakeOffsetsReplicas, startTestNode, TestMetadata, type TestNode } from './testing/fake-offsets-replicas.js';

const nodes: TestNode[] = [];
afterEach(async () => {
  for (const node of nodes.splice(0)) await node.close();
});

async function node(metadata: TestMetadata, options: Parameters<typeof startTestNode>[1] = {}): Promise<TestNode> {
  const started = await startTestNode(metadata, options);
  nodes.push(started);
  return started;
}

/** Consumer-protocol subscription metadata (what @eddy/client sends). */
function subscription(topics: readonly string[]): Buffer {
  return Buffer.from(JSON.stringify({ version: 1, topics, ownedPartitions: [], generationId: -1 }));
}

function joinRequest(groupId: string, memberId = '', topics: readonly string[] = ['orders']): JoinGroupRequest {
  return {
    groupId,
    sessionTimeoutMs: 10_000,
    rebalanceTimeoutMs: 5_000,
    memberId,
    groupInstanceId: '',
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: subscription(topics) }],
    reason: '',
  };
}

function commitRequest(groupId: string, offsets: ReadonlyArray<readonly [number, bigint]>, member: { generationId: number; memberId: string } = { generationId: -1, memberId: '' }): OffsetCommitRequest {
  return {
    groupId,
    generationId: member.generationId,
    memberId: member.memberId,
    groupInstanceId: '',
    topics: [{ name: 'orders', partitions: offsets.map(([partition, offset]) => ({ partition, committedOffset: offset, committedLeaderEpoch: 3, metadata: 'm' })) }],
  };
}

const partitionOf = (groupId: string): number => coordinatorPartitionFor(groupId, 3);

/** A group id stored in `partition` of a 3-partition __consumer_offsets. */
function groupIn(partition: number, prefix = 'group'): string {
  for (let i = 0; ; i++) if (partitionOf(`${prefix}-${i}`) === partition) return `${prefix}-${i}`;
}

async function records(replicas: FakeOffsetsReplicas, partition: number): Promise<OffsetsTopicRecord[]> {
  const log = replicas.log(partition);
  if (log === undefined) return [];
  return decodeOffsetsRecords((await log.read(0n, 1024 * 1024)).records, 0n, silentLogger).records;
}

async function leadAll(target: TestNode): Promise<void> {
  for (const partition of [0, 1, 2]) await target.replicas.become(partition, 'leader');
  await vi.waitFor(() => expect(target.coordinator.coordinatedPartitions()).toEqual([0, 1, 2]));
}

/** Members join (MEMBER_ID_REQUIRED first) and sync; returns the members' join answers and assignments. */
async function formGroup(target: TestNode, groupId: string, count: number): Promise<{ joins: JoinGroupResponse[]; syncs: SyncGroupResponse[] }> {
  const { coordinator } = target;
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const first = await coordinator.joinGroup(joinRequest(groupId), `client-${i}`, '10.0.0.1');
    expect(first.errorCode).toBe('MEMBER_ID_REQUIRED');
    ids.push(first.memberId);
  }
  const joins = await Promise.all(ids.map((memberId, i) => coordinator.joinGroup(joinRequest(groupId, memberId), `client-${i}`, '10.0.0.1')));
  const generationId = joins[0]?.generationId ?? -1;
  const leader = joins.find((join) => join.memberId === join.leaderMemberId);
  expect(leader?.members).toHaveLength(count);
  const syncs = await Promise.all(
    joins.map((join) =>
      coordinator.syncGroup({
        groupId,
        generationId,
        memberId: join.memberId,
        groupInstanceId: '',
        protocolType: 'consumer',
        protocolName: 'range',
        assignments: join === leader ? joins.map((each, i) => ({ memberId: each.memberId, assignment: Buffer.from(`assignment-${i}`) })) : [],
      }),
    ),
  );
  return { joins, syncs };
}

describe('GroupCoordinator: loading and placement', () => {
  it('answers COORDINATOR_LOAD_IN_PROGRESS until the high watermark covers the log, then serves what the log holds', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    const groupId = groupIn(1);
    // A previous leader wrote a commit that this replica has, but its HW does not cover yet.
    await target.replicas.become(1, 'follower');
    const write = encodeOffsetsWrite([{ type: 'offset', group: groupId, topic: 'orders', partition: 2, value: { offset: 41n, leaderEpoch: 1, metadata: '', commitTimestampMs: 5 } }], 5);
    await target.replicas.log(1)?.append(write?.bytes ?? Buffer.alloc(0), { leaderEpoch: 0, assignOffsets: true });
    target.replicas.setHighWatermark(1, 0n);

    await target.replicas.become(1, 'leader');
    expect((await target.coordinator.joinGroup(joinRequest(groupId), 'c', 'h')).errorCode).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect((await target.coordinator.offsetFetch({ groupId, topics: [] })).errorCode).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    expect((await target.coordinator.listGroups({ statesFilter: [], typesFilter: [] })).errorCode).toBe('COORDINATOR_LOAD_IN_PROGRESS');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(target.coordinator.coordinatedPartitions()).toEqual([]);

    target.replicas.replicate(1);
    await vi.waitFor(() => expect(target.coordinator.coordinatedPartitions()).toEqual([1]));
    const fetched = await target.coordinator.offsetFetch({ groupId, topics: [] });
    expect(fetched).toMatchObject({ errorCode: 'NONE', topics: [{ name: 'orders', partitions: [{ partition: 2, committedOffset: 41n, committedLeaderEpoch: 1 }] }] });
    // Groups of partitions this node does not lead go elsewhere.
    expect((await target.coordinator.heartbeat({ groupId: groupIn(0), generationId: 1, memberId: 'm', groupInstanceId: '' })).errorCode).toBe('NOT_COORDINATOR');
  });

  it('names the leader of the group\'s partition in FindCoordinator, and asks for the topic when it is missing', async () => {
    const withTopic = new TestMetadata();
    const target = await node(withTopic);
    const groupId = groupIn(2);
    withTopic.setLeader(OFFSETS_TOPIC, 2, 3);
    expect(target.coordinator.findCoordinator({ groupIds: [groupId, ''] }).coordinators).toEqual([
      { groupId, errorCode: 'NONE', errorMessage: '', brokerId: 3, host: '127.0.0.1', port: 9093 },
      expect.objectContaining({ groupId: '', errorCode: 'INVALID_GROUP_ID', brokerId: -1 }),
    ]);
    withTopic.setLeader(OFFSETS_TOPIC, 2, -1);
    expect(target.coordinator.findCoordinator({ groupIds: [groupId] }).coordinators[0]).toMatchObject({ errorCode: 'COORDINATOR_NOT_AVAILABLE', brokerId: -1 });

    const twoBrokers = new TestMetadata({ offsetsTopic: false, brokers: 2 });
    const other = await node(twoBrokers);
    expect(other.coordinator.findCoordinator({ groupIds: ['g'] }).coordinators[0]).toMatchObject({ errorCode: 'COORDINATOR_NOT_AVAILABLE' });
    // On demand, with the brokers there are (2 < the configured 3).
    expect(other.created).toEqual([expect.objectContaining({ name: OFFSETS_TOPIC, partitions: 3, replicationFactor: 2 })]);
    expect(other.created[0]?.configs.get('retention.ms')).toBe('-1');
  });

  it('lets the active controller create the topic only once enough brokers are live', async () => {
    const twoBrokers = new TestMetadata({ offsetsTopic: false, brokers: 2 });
    const controller = await node(twoBrokers, { activeController: true });
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(controller.created).toEqual([]);
    twoBrokers.commit([
      { type: 'RegisterBroker', brokerId: 3, incarnationId: 'b3', brokerEpoch: 3, endpoint: { host: '127.0.0.1', port: 9093 }, rack: null },
      { type: 'UnfenceBroker', brokerId: 3, brokerEpoch: 3 },
    ]);
    await vi.waitFor(() => expect(controller.created).toEqual([expect.objectContaining({ name: OFFSETS_TOPIC, replicationFactor: 3 })]));
    expect(controller.created[0]?.configs.get('min.insync.replicas')).toBe('2');
  });
});

describe('GroupCoordinator: the group protocol', () => {
  it('forms a group over long-polling joins and syncs, writing its assignment before answering', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata, { group: { groupInitialRebalanceDelayMs: 50 } });
    await leadAll(target);
    const groupId = 'billing';
    const { joins, syncs } = await formGroup(target, groupId, 2);
    expect(new Set(joins.map((join) => join.generationId))).toEqual(new Set([1]));
    expect(syncs.map((sync) => sync.errorCode)).toEqual(['NONE', 'NONE']);
    expect(syncs.map((sync) => sync.assignment.toString()).sort()).toEqual(['assignment-0', 'assignment-1']);

    // The assignment is in the log before anyone got it.
    const written = await records(target.replicas, partitionOf(groupId));
    expect(written).toEqual([expect.objectContaining({ type: 'group', group: groupId })]);

    const [described] = (await target.coordinator.describeGroups({ groupIds: [groupId] })).groups;
    expect(described).toMatchObject({ errorCode: 'NONE', groupState: 'GROUP_STATE_STABLE', protocolType: 'consumer', protocolName: 'range', generationId: 1 });
    expect(described?.leaderMemberId).toBe(joins[0]?.leaderMemberId);
    expect(described?.members.map((m) => [m.clientHost, m.memberAssignment.toString()]).sort()).toEqual([
      ['10.0.0.1', 'assignment-0'],
      ['10.0.0.1', 'assignment-1'],
    ]);
    expect(described?.rebalanceHistory[0]?.reasons[0]).toMatch(/joined/);
    expect(Number(described?.rebalanceHistory[0]?.startedAtMs)).toBeGreaterThan(Date.now() - 60_000);

    const listed = await target.coordinator.listGroups({ statesFilter: ['GROUP_STATE_STABLE'], typesFilter: [] });
    expect(listed.groups).toEqual([{ groupId, protocolType: 'consumer', groupState: 'GROUP_STATE_STABLE' }]);
    expect((await target.coordinator.heartbeat({ groupId, generationId: 1, memberId: joins[0]?.memberId ?? '', groupInstanceId: '' })).errorCode).toBe('NONE');
    expect((await target.coordinator.heartbeat({ groupId, generationId: 0, memberId: joins[0]?.memberId ?? '', groupInstanceId: '' })).errorCode).toBe('ILLEGAL_GENERATION');
  });

  it('fails the waiting SyncGroups when the assignment cannot be written', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    target.replicas.appendError = { errorCode: 'NOT_ENOUGH_REPLICAS', errorMessage: 'one replica in sync' };
    const { syncs } = await formGroup(target, 'billing', 1);
    expect(syncs[0]?.errorCode).toBe('COORDINATOR_NOT_AVAILABLE');
  });

  it('answers waiting members NOT_COORDINATOR when leadership moves away', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata, { group: { groupInitialRebalanceDelayMs: 60_000 } });
    await leadAll(target);
    const groupId = groupIn(0);
    const first = await target.coordinator.joinGroup(joinRequest(groupId), 'c', 'h');
    const waiting = target.coordinator.joinGroup(joinRequest(groupId, first.memberId), 'c', 'h');
    await target.replicas.become(0, 'follower');
    expect((await waiting).errorCode).toBe('NOT_COORDINATOR');
    expect(target.coordinator.coordinatedPartitions()).toEqual([1, 2]);
  });

  it('keeps heartbeating members and expires silent ones on its own timer', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const { coordinator } = target;
    const shortSession = (memberId: string): JoinGroupRequest => ({ ...joinRequest('g', memberId), sessionTimeoutMs: 300 });
    const first = await coordinator.joinGroup(shortSession(''), 'c', 'h');
    const joined = await coordinator.joinGroup(shortSession(first.memberId), 'c', 'h');
    const member = { groupId: 'g', generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: '' };
    await coordinator.syncGroup({ ...member, protocolType: '', protocolName: '', assignments: [] });
    const state = async (): Promise<string | undefined> => (await coordinator.describeGroups({ groupIds: ['g'] })).groups[0]?.groupState;
    for (let i = 0; i < 10; i++) {
      expect((await coordinator.heartbeat(member)).errorCode).toBe('NONE');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(await state()).toBe('GROUP_STATE_STABLE');
    await vi.waitFor(async () => expect(await state()).toBe('GROUP_STATE_EMPTY'), { timeout: 2_000 });
    expect((await coordinator.heartbeat(member)).errorCode).toBe('UNKNOWN_MEMBER_ID');
  });

  it('rebalances groups subscribed to a topic whose partition count changed', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const { joins } = await formGroup(target, 'readers', 1);
    const other = await target.coordinator.joinGroup({ ...joinRequest('others', '', ['payments']) }, 'c', 'h');
    const otherJoin = await target.coordinator.joinGroup(joinRequest('others', other.memberId, ['payments']), 'c', 'h');
    await target.coordinator.syncGroup({ groupId: 'others', generationId: otherJoin.generationId, memberId: other.memberId, groupInstanceId: '', protocolType: '', protocolName: '', assignments: [] });

    metadata.addPartition('orders');
    const beat = (groupId: string, memberId: string, generationId: number): Promise<string> =>
      target.coordinator.heartbeat({ groupId, generationId, memberId, groupInstanceId: '' }).then((response) => response.errorCode);
    expect(await beat('readers', joins[0]?.memberId ?? '', 1)).toBe('REBALANCE_IN_PROGRESS');
    expect(await beat('others', other.memberId, otherJoin.generationId)).toBe('NONE');
    const [described] = (await target.coordinator.describeGroups({ groupIds: ['readers'] })).groups;
    expect(described?.rebalanceHistory.at(-1)?.reasons).toEqual(['the partition count of orders changed from 3 to 4']);
  });

  it('rebalances groups consuming a partition that goes offline, and again when it comes back', async () => {
    const metadata = new TestMetadata();
    metadata.createTopic('payments', 1);
    const target = await node(metadata);
    await leadAll(target);
    const readers = (await formGroup(target, 'readers', 1)).joins[0];
    await formGroup(target, 'others', 1);
    const payersJoin = await target.coordinator.joinGroup(joinRequest('payers', '', ['payments']), 'c', 'h');
    const payers = await target.coordinator.joinGroup(joinRequest('payers', payersJoin.memberId, ['payments']), 'c', 'h');
    await target.coordinator.syncGroup({ groupId: 'payers', generationId: payers.generationId, memberId: payers.memberId, groupInstanceId: '', protocolType: '', protocolName: '', assignments: [] });
    const rejoin = async (groupId: string, memberId: string): Promise<number> => {
      const joined = await target.coordinator.joinGroup(joinRequest(groupId, memberId), 'c', 'h');
      await target.coordinator.syncGroup({ groupId, generationId: joined.generationId, memberId, groupInstanceId: '', protocolType: '', protocolName: '', assignments: [] });
      return joined.generationId;
    };
    const beat = (groupId: string, memberId: string, generationId: number): Promise<string> =>
      target.coordinator.heartbeat({ groupId, generationId, memberId, groupInstanceId: '' }).then((response) => response.errorCode);
    const lastReasons = async (groupId: string): Promise<readonly string[] | undefined> =>
      (await target.coordinator.describeGroups({ groupIds: [groupId] })).groups[0]?.rebalanceHistory.at(-1)?.reasons;

    metadata.setLeader('orders', 1, -1);
    expect(await beat('readers', readers?.memberId ?? '', 1)).toBe('REBALANCE_IN_PROGRESS');
    expect(await beat('payers', payers.memberId, payers.generationId)).toBe('NONE');
    expect(await lastReasons('readers')).toEqual(['partition orders-1 went offline']);
    // Only one of the groups rejoins before the partition returns: both see the second reason.
    const generationId = await rejoin('readers', readers?.memberId ?? '');
    metadata.setLeader('orders', 1, 2);
    expect(await beat('readers', readers?.memberId ?? '', generationId)).toBe('REBALANCE_IN_PROGRESS');
    expect(await lastReasons('readers')).toEqual(['partition orders-1 came back online']);
    expect(await lastReasons('others')).toEqual(['partition orders-1 went offline', 'partition orders-1 came back online']);
    // A leader moving between live brokers is no rebalance.
    await rejoin('readers', readers?.memberId ?? '');
    const stable = (await target.coordinator.describeGroups({ groupIds: ['readers'] })).groups[0]?.generationId ?? -1;
    metadata.setLeader('orders', 2, 3);
    expect(await beat('readers', readers?.memberId ?? '', stable)).toBe('NONE');
  });
});

describe('GroupCoordinator: offsets', () => {
  it('answers a commit only once it is replicated and applied, so a fetch right after sees it', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    target.replicas.autoReplicate = false;
    const groupId = groupIn(2);
    let answered = false;
    const commit = target.coordinator.offsetCommit(commitRequest(groupId, [[0, 10n], [1, 20n]])).then((response) => {
      answered = true;
      return response;
    });
    await vi.waitFor(() => expect(target.replicas.unanswered).toBe(1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(answered).toBe(false);
    expect((await target.coordinator.offsetFetch({ groupId, topics: [] })).topics).toEqual([]);

    target.replicas.replicate(2);
    expect(await commit).toEqual({
      errorCode: 'NONE',
      errorMessage: '',
      topics: [{ topic: 'orders', partitions: [0, 1].map((partition) => ({ partition, errorCode: 'NONE', errorMessage: '' })) }],
    });
    const fetched = await target.coordinator.offsetFetch({ groupId, topics: [{ topic: 'orders', partitions: [1, 2] }] });
    expect(fetched.topics[0]?.partitions).toEqual([
      expect.objectContaining({ partition: 1, committedOffset: 20n, committedLeaderEpoch: 3, metadata: 'm' }),
      expect.objectContaining({ partition: 2, committedOffset: -1n, commitTimestampMs: -1n }),
    ]);
    expect(target.replicas.appends.every((append) => append.acks === -1)).toBe(true);
  });

  it('fences commits by generation and checks every partition', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const { joins } = await formGroup(target, 'billing', 1);
    const memberId = joins[0]?.memberId ?? '';
    expect((await target.coordinator.offsetCommit(commitRequest('billing', [[0, 5n]], { generationId: 0, memberId }))).errorCode).toBe('ILLEGAL_GENERATION');
    expect((await target.coordinator.offsetCommit(commitRequest('billing', [[0, 5n]]))).errorCode).toBe('UNKNOWN_MEMBER_ID');
    const mixed = await target.coordinator.offsetCommit({
      ...commitRequest('billing', [[0, 5n]], { generationId: 1, memberId }),
      topics: [
        { name: 'orders', partitions: [{ partition: 0, committedOffset: 5n, committedLeaderEpoch: -1, metadata: '' }, { partition: 9, committedOffset: 5n, committedLeaderEpoch: -1, metadata: '' }] },
        { name: 'orders', partitions: [{ partition: 1, committedOffset: 6n, committedLeaderEpoch: -1, metadata: 'x'.repeat(5000) }] },
      ],
    });
    expect(mixed.topics[0]?.partitions.map((p) => [p.partition, p.errorCode])).toEqual([
      [0, 'NONE'],
      [9, 'UNKNOWN_TOPIC_OR_PARTITION'],
      [1, 'OFFSET_METADATA_TOO_LARGE'],
    ]);
    const fetched = await target.coordinator.offsetFetch({ groupId: 'billing', topics: [] });
    expect(fetched.topics[0]?.partitions.map((p) => [p.partition, p.committedOffset])).toEqual([[0, 5n]]);
  });

  it('maps failed writes to retriable coordinator errors', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const codeFor = async (errorCode: 'NOT_LEADER_OR_FOLLOWER' | 'NOT_ENOUGH_REPLICAS' | 'REQUEST_TIMED_OUT'): Promise<string | undefined> => {
      target.replicas.appendError = { errorCode, errorMessage: '' };
      return (await target.coordinator.offsetCommit(commitRequest('billing', [[0, 5n]]))).topics[0]?.partitions[0]?.errorCode;
    };
    expect(await codeFor('NOT_LEADER_OR_FOLLOWER')).toBe('NOT_COORDINATOR');
    expect(await codeFor('NOT_ENOUGH_REPLICAS')).toBe('COORDINATOR_NOT_AVAILABLE');
    expect(await codeFor('REQUEST_TIMED_OUT')).toBe('REQUEST_TIMED_OUT');
  });

  it('deletes only empty groups, with tombstones for their metadata and offsets', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const { joins } = await formGroup(target, 'busy', 1);
    await target.coordinator.offsetCommit(commitRequest('idle', [[0, 7n], [2, 9n]]));
    expect((await target.coordinator.deleteGroups({ groupIds: ['busy', 'idle', 'ghost'] })).groups.map((g) => [g.groupId, g.errorCode])).toEqual([
      ['busy', 'NON_EMPTY_GROUP'],
      ['idle', 'NONE'],
      ['ghost', 'GROUP_ID_NOT_FOUND'],
    ]);
    expect((await target.coordinator.offsetFetch({ groupId: 'idle', topics: [] })).topics).toEqual([]);
    const tombstones = (await records(target.replicas, partitionOf('idle'))).filter((r) => r.group === 'idle' && r.value === null);
    expect(tombstones).toHaveLength(3);

    // The member leaves: the group is Empty and can go.
    await target.coordinator.leaveGroup({ groupId: 'busy', members: [{ memberId: joins[0]?.memberId ?? '', groupInstanceId: '', reason: 'done' }] });
    expect((await target.coordinator.deleteGroups({ groupIds: ['busy'] })).groups[0]?.errorCode).toBe('NONE');
    expect((await target.coordinator.describeGroups({ groupIds: ['busy'] })).groups[0]?.groupState).toBe('GROUP_STATE_DEAD');
  });

  it('deletes offsets of topics the group does not consume, and of deleted topics', async () => {
    const metadata = new TestMetadata();
    metadata.createTopic('payments', 1);
    const target = await node(metadata);
    await leadAll(target);
    const { joins } = await formGroup(target, 'readers', 1);
    const member = { generationId: 1, memberId: joins[0]?.memberId ?? '' };
    await target.coordinator.offsetCommit({
      ...commitRequest('readers', [[0, 1n]], member),
      topics: [
        { name: 'orders', partitions: [{ partition: 0, committedOffset: 1n, committedLeaderEpoch: -1, metadata: '' }] },
        { name: 'payments', partitions: [{ partition: 0, committedOffset: 2n, committedLeaderEpoch: -1, metadata: '' }] },
      ],
    });
    const deleted = await target.coordinator.deleteOffsets({ groupId: 'readers', topics: [{ topic: 'orders', partitions: [0] }, { topic: 'payments', partitions: [0] }] });
    expect(deleted.topics.map((t) => [t.topic, t.partitions[0]?.errorCode])).toEqual([
      ['orders', 'GROUP_SUBSCRIBED_TO_TOPIC'],
      ['payments', 'NONE'],
    ]);
    expect((await target.coordinator.offsetFetch({ groupId: 'readers', topics: [] })).topics.map((t) => t.name)).toEqual(['orders']);

    metadata.deleteTopic('orders');
    await vi.waitFor(async () => expect((await target.coordinator.offsetFetch({ groupId: 'readers', topics: [] })).topics).toEqual([]));
  });
});

describe('GroupCoordinator: replicas and failover', () => {
  it('materializes committed records on followers, and a follower that becomes leader serves the groups and offsets', async () => {
    const metadata = new TestMetadata();
    const first = await node(metadata, { group: { groupInitialRebalanceDelayMs: 50 } });
    const second = await node(metadata, { group: { groupInitialRebalanceDelayMs: 50 }, seed: 8 });
    await leadAll(first);
    for (const partition of [0, 1, 2]) await second.replicas.become(partition, 'follower');
    const groupId = 'billing';
    const partition = partitionOf(groupId);
    const { joins } = await formGroup(first, groupId, 2);
    const leader = joins.find((join) => join.memberId === join.leaderMemberId);
    const member = { generationId: 1, memberId: leader?.memberId ?? '' };
    expect((await first.coordinator.offsetCommit(commitRequest(groupId, [[0, 100n], [1, 200n]], member))).topics[0]?.partitions.map((p) => p.errorCode)).toEqual(['NONE', 'NONE']);

    // The follower fetches and applies what is committed.
    await second.replicas.fetchFrom(first.replicas, partition);
    const end = first.replicas.log(partition)?.logEndOffset;
    await vi.waitFor(() => expect(second.coordinator.appliedOffset(partition)).toBe(end));

    // Failover: the first node loses leadership, the second takes over from its own store.
    await first.replicas.become(partition, 'follower');
    expect((await first.coordinator.heartbeat({ groupId, ...member, groupInstanceId: '' })).errorCode).toBe('NOT_COORDINATOR');
    await second.replicas.become(partition, 'leader');
    await vi.waitFor(() => expect(second.coordinator.coordinatedPartitions()).toEqual([partition]));
    const [described] = (await second.coordinator.describeGroups({ groupIds: [groupId] })).groups;
    expect(described).toMatchObject({ groupState: 'GROUP_STATE_STABLE', generationId: 1, leaderMemberId: member.memberId });
    expect(described?.members.map((m) => m.memberAssignment.toString()).sort()).toEqual(['assignment-0', 'assignment-1']);
    expect((await second.coordinator.heartbeat({ groupId, ...member, groupInstanceId: '' })).errorCode).toBe('NONE');
    const fetched = await second.coordinator.offsetFetch({ groupId, topics: [] });
    expect(fetched.topics[0]?.partitions.map((p) => [p.partition, p.committedOffset])).toEqual([
      [0, 100n],
      [1, 200n],
    ]);
    // And it goes on: commits of the same generation are accepted there.
    expect((await second.coordinator.offsetCommit(commitRequest(groupId, [[0, 150n]], member))).topics[0]?.partitions[0]?.errorCode).toBe('NONE');
  });

  it('forgets the state of a deleted replica', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const groupId = groupIn(1, 'a');
    await target.coordinator.offsetCommit(commitRequest(groupId, [[0, 1n]]));
    await target.replicas.become(1, 'none');
    expect(target.coordinator.coordinatedPartitions()).toEqual([0, 2]);
    expect((await target.coordinator.offsetFetch({ groupId, topics: [] })).errorCode).toBe('NOT_COORDINATOR');
    await vi.waitFor(() => expect(target.coordinator.appliedOffset(1)).toBe(0n));
    // The partition comes back (a new replica): it starts from its new, empty log.
    await target.replicas.become(1, 'leader');
    await vi.waitFor(() => expect(target.coordinator.coordinatedPartitions()).toEqual([0, 1, 2]));
    expect((await target.coordinator.offsetFetch({ groupId, topics: [] })).topics).toEqual([]);
  });

  it('replays a partition from its log when it becomes leader with a log shorter than what its store applied', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata);
    await leadAll(target);
    const groupId = groupIn(1, 'a');
    await target.coordinator.offsetCommit(commitRequest(groupId, [[0, 1n]]));
    await target.coordinator.offsetCommit(commitRequest(groupId, [[0, 2n]]));
    expect(target.coordinator.appliedOffset(1)).toBe(2n);
    // The second commit's record is lost from the log (an unflushed tail after a crash).
    await target.replicas.become(1, 'follower');
    await target.replicas.log(1)?.truncateTo(1n);
    await target.replicas.become(1, 'leader');
    await vi.waitFor(() => expect(target.coordinator.coordinatedPartitions()).toEqual([0, 1, 2]));
    expect(target.coordinator.appliedOffset(1)).toBe(1n);
    const fetched = await target.coordinator.offsetFetch({ groupId, topics: [] });
    expect(fetched.topics[0]?.partitions[0]?.committedOffset).toBe(1n);
  });

  it('answers waiting requests NOT_COORDINATOR when it closes', async () => {
    const metadata = new TestMetadata();
    const target = await node(metadata, { group: { groupInitialRebalanceDelayMs: 60_000 } });
    await leadAll(target);
    const first = await target.coordinator.joinGroup(joinRequest('g'), 'c', 'h');
    const waiting = target.coordinator.joinGroup(joinRequest('g', first.memberId), 'c', 'h');
    await target.coordinator.close();
    expect((await waiting).errorCode).toBe('NOT_COORDINATOR');
    expect((await target.coordinator.heartbeat({ groupId: 'g', generationId: 0, memberId: first.memberId, groupInstanceId: '' })).errorCode).toBe('NOT_COORDINATOR');
  });
});

describe('GroupCoordinator: offset expiry', () => {
  it('removes the offsets of groups Empty longer than the retention, through tombstones every replica applies', async () => {
    const retentionMs = 30_000;
    const clock = new ManualClock();
    const metadata = new TestMetadata();
    const first = await node(metadata, { clock, offsetsRetentionMs: retentionMs });
    const second = await node(metadata, { clock, offsetsRetentionMs: retentionMs, seed: 8 });
    await leadAll(first);
    for (const partition of [0, 1, 2]) await second.replicas.become(partition, 'follower');
    const partition = 0;
    const [idle, manual, busy] = [groupIn(partition, 'idle'), groupIn(partition, 'manual'), groupIn(partition, 'busy')];

    // idle: a consumer group whose only member commits and leaves (Empty from now on).
    const idleMember = (await formGroup(first, idle, 1)).joins[0];
    const idleIdentity = { generationId: 1, memberId: idleMember?.memberId ?? '' };
    expect((await first.coordinator.offsetCommit(commitRequest(idle, [[0, 5n]], idleIdentity))).topics[0]?.partitions[0]?.errorCode).toBe('NONE');
    await first.coordinator.leaveGroup({ groupId: idle, members: [{ memberId: idleIdentity.memberId, groupInstanceId: '', reason: 'done' }] });
    // manual: commits from outside group management. busy: a live member that keeps committing.
    await first.coordinator.offsetCommit(commitRequest(manual, [[1, 7n]]));
    const busyMember = (await formGroup(first, busy, 1)).joins[0];
    const busyIdentity = { generationId: 1, memberId: busyMember?.memberId ?? '' };
    await first.coordinator.offsetCommit(commitRequest(busy, [[2, 9n]], busyIdentity));

    // Time passes (the busy member heartbeats within its session); one step short of the retention nothing goes.
    const heartbeat = async (): Promise<void> => {
      expect((await first.coordinator.heartbeat({ groupId: busy, ...busyIdentity, groupInstanceId: '' })).errorCode).toBe('NONE');
    };
    for (let elapsedMs = 0; elapsedMs < retentionMs - 5_000; elapsedMs += 5_000) {
      clock.advance(5_000);
      await heartbeat();
    }
    clock.advance(4_999);
    await heartbeat();
    expect(await first.coordinator.expireOffsets()).toEqual({ offsets: 0, groups: 0 });

    clock.advance(1);
    await heartbeat();
    expect(await first.coordinator.expireOffsets()).toEqual({ offsets: 2, groups: 2 });
    expect((await first.coordinator.offsetFetch({ groupId: idle, topics: [] })).topics).toEqual([]);
    expect((await first.coordinator.offsetFetch({ groupId: manual, topics: [] })).topics).toEqual([]);
    expect((await first.coordinator.describeGroups({ groupIds: [idle, manual] })).groups.map((g) => g.groupState)).toEqual(['GROUP_STATE_DEAD', 'GROUP_STATE_DEAD']);
    expect((await first.coordinator.offsetFetch({ groupId: busy, topics: [] })).topics[0]?.partitions[0]?.committedOffset).toBe(9n);
    const tombstones = (await records(first.replicas, partition)).filter((r) => r.value === null).map((r) => `${r.type} ${r.group}`);
    expect(tombstones.sort()).toEqual([`group ${idle}`, `group ${manual}`, `offset ${idle}`, `offset ${manual}`].sort());

    // The follower applies the same records; after a failover it serves the same offsets.
    await second.replicas.fetchFrom(first.replicas, partition);
    const end = first.replicas.log(partition)?.logEndOffset;
    await vi.waitFor(() => expect(second.coordinator.appliedOffset(partition)).toBe(end));
    await first.replicas.become(partition, 'follower');
    await second.replicas.become(partition, 'leader');
    await vi.waitFor(() => expect(second.coordinator.coordinatedPartitions()).toEqual([partition]));
    for (const groupId of [idle, manual]) expect((await second.coordinator.offsetFetch({ groupId, topics: [] })).topics).toEqual([]);
    expect((await second.coordinator.offsetFetch({ groupId: busy, topics: [] })).topics[0]?.partitions[0]?.committedOffset).toBe(9n);
    expect((await second.coordinator.listGroups({ statesFilter: [], typesFilter: [] })).groups.map((g) => g.groupId)).toEqual([busy]);
  });

  it('counts an Empty group\'s time from when it turned Empty, across a failover', async () => {
    const retentionMs = 60_000;
    const clock = new ManualClock();
    const metadata = new TestMetadata();
    const first = await node(metadata, { clock, offsetsRetentionMs: retentionMs });
    const second = await node(metadata, { clock, offsetsRetentionMs: retentionMs, seed: 8 });
    await leadAll(first);
    for (const partition of [0, 1, 2]) await second.replicas.become(partition, 'follower');
    const groupId = groupIn(1, 'left');
    const member = (await formGroup(first, groupId, 1)).joins[0];
    const identity = { generationId: 1, memberId: member?.memberId ?? '' };
    await first.coordinator.offsetCommit(commitRequest(groupId, [[0, 3n]], identity));
    for (let elapsedMs = 0; elapsedMs < 40_000; elapsedMs += 5_000) {
      clock.advance(5_000);
      expect((await first.coordinator.heartbeat({ groupId, ...identity, groupInstanceId: '' })).errorCode).toBe('NONE');
    }
    await first.coordinator.leaveGroup({ groupId, members: [{ memberId: identity.memberId, groupInstanceId: '', reason: 'done' }] });
    // The commit is older than the retention, but the group has been Empty for less.
    clock.advance(40_000);
    expect(await first.coordinator.expireOffsets()).toEqual({ offsets: 0, groups: 0 });

    await second.replicas.fetchFrom(first.replicas, 1);
    await vi.waitFor(() => expect(second.coordinator.appliedOffset(1)).toBe(first.replicas.log(1)?.logEndOffset));
    await first.replicas.become(1, 'follower');
    await second.replicas.become(1, 'leader');
    await vi.waitFor(() => expect(second.coordinator.coordinatedPartitions()).toEqual([1]));
    expect(await second.coordinator.expireOffsets()).toEqual({ offsets: 0, groups: 0 });
    clock.advance(20_000);
    expect(await second.coordinator.expireOffsets()).toEqual({ offsets: 1, groups: 1 });
    expect((await second.coordinator.offsetFetch({ groupId, topics: [] })).topics).toEqual([]);
  });
});
