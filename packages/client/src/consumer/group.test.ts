import { afterEach, describe, expect, it } from 'vitest';
import { decodeAssignment, decodeSubscription } from '../group/index.js';
import { CommitFailedError, type Consumer, type ConsumerOptions, type ConsumerRecord, type RebalanceListener, type TopicPartition } from '../index.js';
import type { HeartbeatRequest, JoinGroupRequest, LeaveGroupRequest, OffsetCommitRequest, SyncGroupRequest } from '@eddy/protocol';
import { type Harness, startHarness, waitFor } from '../test-support/harness.js';

let harness: Harness | undefined;
const loops: { stop: () => Promise<void> }[] = [];

afterEach(async () => {
  for (const loop of loops.splice(0)) await loop.stop();
  await harness?.close();
  harness = undefined;
});

const fast: ConsumerOptions = { sessionTimeoutMs: 2_000, heartbeatIntervalMs: 50, rebalanceTimeoutMs: 2_000, fromBeginning: true };

async function setUp(partitions = 3): Promise<Harness> {
  harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions }] });
  return harness;
}

const names = (partitions: readonly TopicPartition[]): string[] => partitions.map((tp) => `${tp.topic}-${tp.partition}`).sort();

/** Polls in the background (as an application's loop would) until stopped. */
function pollLoop(consumer: Consumer, received: ConsumerRecord[] = []): { received: ConsumerRecord[]; stop: () => Promise<void> } {
  let running = true;
  const done = (async () => {
    while (running) {
      try {
        received.push(...(await consumer.poll({ timeoutMs: 50 })));
      } catch {
        // The test looks at the outcome, not at transient errors.
      }
    }
  })();
  const loop = {
    received,
    stop: async () => {
      running = false;
      await done;
    },
  };
  loops.push(loop);
  return loop;
}

describe('group membership', () => {
  it('joins (member id, join, sync as leader), heartbeats, and consumes every partition', async () => {
    const h = await setUp();
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...'abc'].map((value) => ({ value })) });
    const assigned: string[][] = [];
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, listener: { onPartitionsAssigned: (partitions) => void assigned.push(names(partitions)) } });
    await consumer.subscribe(['t']);
    const records: ConsumerRecord[] = [];
    while (records.length < 3) records.push(...(await consumer.poll({ timeoutMs: 2_000 })));
    expect(records.map((r) => r.value?.toString()).sort()).toEqual(['a', 'b', 'c']);
    expect(assigned).toEqual([['t-0', 't-1', 't-2']]);
    expect(names(consumer.assignment())).toEqual(['t-0', 't-1', 't-2']);

    const joins = h.cluster.callsTo('JoinGroup').map((call) => call.request as JoinGroupRequest);
    expect(joins).toHaveLength(2);
    expect(joins[0]?.memberId).toBe('');
    const memberId = joins[1]?.memberId ?? '';
    expect(memberId).not.toBe('');
    expect(joins[1]).toMatchObject({ groupId: 'g', protocolType: 'consumer', sessionTimeoutMs: 2_000, rebalanceTimeoutMs: 2_000 });
    expect(joins[1]?.protocols.map((protocol) => protocol.name)).toEqual(['range', 'roundrobin', 'sticky']);
    expect(decodeSubscription(joins[1]?.protocols[0]?.metadata ?? Buffer.alloc(0)).topics).toEqual(['t']);
    expect(h.cluster.callsTo('FindCoordinator').length).toBeGreaterThanOrEqual(1);

    const syncs = h.cluster.callsTo('SyncGroup').map((call) => call.request as SyncGroupRequest);
    expect(syncs).toHaveLength(1);
    expect(syncs[0]).toMatchObject({ groupId: 'g', generationId: 1, memberId, protocolName: 'range' });
    expect(syncs[0]?.assignments.map((entry) => entry.memberId)).toEqual([memberId]);
    expect(names(decodeAssignment(syncs[0]?.assignments[0]?.assignment ?? Buffer.alloc(0)).partitions)).toEqual(['t-0', 't-1', 't-2']);
    expect(consumer.groupMetadata()).toEqual({ groupId: 'g', generationId: 1, memberId, isLeader: true });

    await waitFor(() => h.cluster.callsTo('Heartbeat').length >= 3, 2_000, 'heartbeats');
    const beat = h.cluster.callsTo('Heartbeat')[0]?.request as HeartbeatRequest;
    expect(beat).toMatchObject({ groupId: 'g', generationId: 1, memberId });
  });

  it('splits partitions when a second member joins, revoking (and committing) before reassigning', async () => {
    const h = await setUp();
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...'abcdef'].map((value) => ({ value })) });
    const events: string[] = [];
    const listener = (name: string): RebalanceListener => ({
      onPartitionsAssigned: (partitions) => void events.push(`${name} assigned ${names(partitions).join(',')}`),
      onPartitionsRevoked: (partitions) => void events.push(`${name} revoked ${names(partitions).join(',')}`),
    });
    const first = h.eddy.consumer({ groupId: 'g', ...fast, listener: listener('c1') });
    await first.subscribe(['t']);
    const firstLoop = pollLoop(first);
    await waitFor(() => firstLoop.received.length === 6, 5_000, 'c1 to read everything');

    const second = h.eddy.consumer({ groupId: 'g', ...fast, listener: listener('c2') });
    await second.subscribe(['t']);
    const secondLoop = pollLoop(second);
    await waitFor(() => first.assignment().length + second.assignment().length === 3 && second.assignment().length > 0, 10_000, 'the split');
    expect(names(first.assignment()).length).toBe(2);
    expect(names(second.assignment()).length).toBe(1);
    // c1 gave everything up (eager protocol) and committed what it had read before c2 got a partition.
    const revokedAt = events.indexOf('c1 revoked t-0,t-1,t-2');
    const c2AssignedAt = events.findIndex((event) => event.startsWith('c2 assigned'));
    expect(revokedAt).toBeGreaterThanOrEqual(0);
    expect(revokedAt).toBeLessThan(c2AssignedAt);
    for (const partition of [0, 1, 2]) expect(h.cluster.committed('g', 't', partition)?.offset).toBe(2n);
    // c2 starts from the committed offsets: it reads nothing twice.
    await producer.send({ topic: 't', messages: [...'ghi'].map((value) => ({ value })) });
    await waitFor(() => firstLoop.received.length + secondLoop.received.length === 9, 5_000, 'new records');
    expect(secondLoop.received.map((r) => r.value?.toString())).toHaveLength(1);
    expect(h.cluster.coordinator.describe('g')).toMatchObject({ state: 'GROUP_STATE_STABLE', generationId: 2 });

    // c1 leaves: c2 takes everything over.
    await firstLoop.stop();
    await first.close();
    const leave = h.cluster.callsTo('LeaveGroup').at(-1)?.request as LeaveGroupRequest;
    expect(leave.members.map((member) => member.memberId)).toHaveLength(1);
    await waitFor(() => second.assignment().length === 3, 5_000, 'c2 to take over');
    expect(h.cluster.coordinator.describe('g')?.memberIds).toHaveLength(1);
  });

  it('keeps heartbeating while a slow onPartitionsRevoked runs, so the session survives it', async () => {
    const h = await setUp(2);
    let revoking = 0;
    const first = h.eddy.consumer({
      groupId: 'g',
      ...fast,
      sessionTimeoutMs: 400,
      listener: {
        onPartitionsRevoked: async () => {
          revoking++;
          await new Promise((resolve) => setTimeout(resolve, 1_000));
        },
      },
    });
    await first.subscribe(['t']);
    const firstLoop = pollLoop(first);
    await waitFor(() => first.assignment().length === 2, 5_000, 'the first assignment');
    const memberId = first.groupMetadata()?.memberId;
    const second = h.eddy.consumer({ groupId: 'g', ...fast });
    await second.subscribe(['t']);
    pollLoop(second);
    await waitFor(() => first.assignment().length === 1 && second.assignment().length === 1, 10_000, 'the split');
    expect(revoking).toBe(1);
    expect(first.groupMetadata()?.memberId).toBe(memberId);
    expect(first.groupMetadata()?.generationId).toBe(2);
    await firstLoop.stop();
  });

  it('unsubscribes: revokes, leaves, and can subscribe again', async () => {
    const h = await setUp(2);
    const revoked: string[][] = [];
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, listener: { onPartitionsRevoked: (partitions) => void revoked.push(names(partitions)) } });
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    await consumer.unsubscribe();
    expect(revoked).toEqual([['t-0', 't-1']]);
    expect(consumer.assignment()).toEqual([]);
    expect(consumer.subscription()).toEqual([]);
    expect(h.cluster.callsTo('LeaveGroup')).toHaveLength(1);
    expect(h.cluster.coordinator.describe('g')?.state).toBe('GROUP_STATE_EMPTY');
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    expect(consumer.groupMetadata()?.generationId).toBeGreaterThan(1);
  });

  it('commits the right offsets: the next offset to read, with generation and member id', async () => {
    const h = await setUp(1);
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...Array(8).keys()].map((i) => ({ value: `v${i}` })) });
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false });
    await consumer.subscribe(['t']);
    let records: ConsumerRecord[] = [];
    while (records.length === 0) records = await consumer.poll({ maxRecords: 5, timeoutMs: 2_000 });
    expect(records.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n]);
    await consumer.commit();
    const request = h.cluster.callsTo('OffsetCommit').at(-1)?.request as OffsetCommitRequest;
    const meta = consumer.groupMetadata();
    expect(request).toMatchObject({
      groupId: 'g',
      generationId: meta?.generationId,
      memberId: meta?.memberId,
      topics: [{ name: 't', partitions: [{ partition: 0, committedOffset: 5n, committedLeaderEpoch: 0 }] }],
    });
    expect((await consumer.committed())[0]).toMatchObject({ topic: 't', partition: 0, offset: 5n });
    await consumer.commit([{ topic: 't', partition: 0, offset: 7n }]);
    expect(h.cluster.committed('g', 't', 0)?.offset).toBe(7n);
  });

  it('auto-commits processed positions on an interval and on close', async () => {
    const h = await setUp(1);
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [...Array(6).keys()].map((i) => ({ value: `v${i}` })) });
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, autoCommitIntervalMs: 100 });
    await consumer.subscribe(['t']);
    let records: ConsumerRecord[] = [];
    while (records.length === 0) records = await consumer.poll({ maxRecords: 4, timeoutMs: 2_000 });
    // Records are processed once the application polls again.
    await consumer.poll({ maxRecords: 1, timeoutMs: 100 });
    await waitFor(() => h.cluster.committed('g', 't', 0)?.offset === 4n, 2_000, 'the auto-commit');
    await consumer.poll({ maxRecords: 1, timeoutMs: 100 });
    await consumer.close();
    expect(h.cluster.committed('g', 't', 0)?.offset).toBe(6n);
    expect(h.cluster.callsTo('LeaveGroup')).toHaveLength(1);
    expect(h.cluster.coordinator.describe('g')?.state).toBe('GROUP_STATE_EMPTY');
  });

  it('rejoins after losing its membership, reporting the partitions as lost', async () => {
    const h = await setUp(2);
    const events: string[] = [];
    const consumer = h.eddy.consumer({
      groupId: 'g',
      ...fast,
      listener: {
        onPartitionsAssigned: (partitions) => void events.push(`assigned ${names(partitions).join(',')}`),
        onPartitionsRevoked: (partitions) => void events.push(`revoked ${names(partitions).join(',')}`),
        onPartitionsLost: (partitions) => void events.push(`lost ${names(partitions).join(',')}`),
      },
    });
    await consumer.subscribe(['t']);
    const loop = pollLoop(consumer);
    await waitFor(() => consumer.assignment().length === 2, 5_000, 'the first assignment');
    const firstMember = consumer.groupMetadata()?.memberId ?? '';
    h.cluster.coordinator.expireMember('g', firstMember);
    await waitFor(() => (consumer.groupMetadata()?.memberId ?? firstMember) !== firstMember && consumer.assignment().length === 2, 5_000, 'the rejoin');
    await loop.stop();
    expect(events).toEqual(['assigned t-0,t-1', 'lost t-0,t-1', 'assigned t-0,t-1']);
    // A commit with the stale generation would have been refused; the new one works.
    await expect(consumer.commit()).resolves.toBeUndefined();
  });

  it('rejoins when the coordinator starts a rebalance, and stops fetching meanwhile', async () => {
    const h = await setUp(1);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast });
    await consumer.subscribe(['t']);
    const loop = pollLoop(consumer);
    await waitFor(() => consumer.assignment().length === 1, 5_000, 'the assignment');
    h.cluster.coordinator.triggerRebalance('g', 'test');
    await waitFor(() => (consumer.groupMetadata()?.generationId ?? 0) === 2, 5_000, 'generation 2');
    await loop.stop();
    expect(h.cluster.coordinator.describe('g')).toMatchObject({ state: 'GROUP_STATE_STABLE', generationId: 2 });
  });

  it('rejoins when a subscribed topic gains partitions', async () => {
    const h = await setUp(2);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast });
    await consumer.subscribe(['t']);
    const loop = pollLoop(consumer);
    await waitFor(() => consumer.assignment().length === 2, 5_000, 'the assignment');
    await h.eddy.admin().createPartitions([{ topic: 't', count: 3 }]);
    await waitFor(() => consumer.assignment().length === 3, 5_000, 'the new partition');
    await loop.stop();
    expect(names(consumer.assignment())).toEqual(['t-0', 't-1', 't-2']);
  });

  it('fails a commit with a stale generation as CommitFailedError and rejoins', async () => {
    const h = await setUp(1);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false, heartbeatIntervalMs: 1_000 });
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    // Another member joins and the group moves on without us noticing (no heartbeat yet).
    h.cluster.coordinator.triggerRebalance('g', 'test');
    const error = await consumer.commit([{ topic: 't', partition: 0, offset: 0n }]).catch((e: unknown) => e);
    // Kafka accepts commits of the current generation while preparing a rebalance.
    expect(error).toBeUndefined();
    await waitFor(() => h.cluster.coordinator.describe('g')?.generationId === 1 && h.cluster.coordinator.describe('g')?.state === 'GROUP_STATE_PREPARING_REBALANCE', 1_000, 'the rebalance');
    h.cluster.coordinator.expireMember('g', consumer.groupMetadata()?.memberId ?? '');
    const refused = await consumer.commit([{ topic: 't', partition: 0, offset: 0n }]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(CommitFailedError);
    expect(refused).toMatchObject({ code: 'UNKNOWN_MEMBER_ID', retriable: false });
    while (consumer.groupMetadata()?.generationId === 1 || consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    expect(consumer.assignment()).toEqual([{ topic: 't', partition: 0 }]);
  });

  it('retries a commit across a coordinator outage longer than the retry policy\'s attempts, within defaultApiTimeoutMs', async () => {
    const h = await setUp(1);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false, heartbeatIntervalMs: 1_000 });
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    const before = h.cluster.callsTo('OffsetCommit').length;
    // More failures in a row than the client's retry policy allows attempts (10).
    h.cluster.failNext('OffsetCommit', 'NOT_COORDINATOR', { times: 14 });
    await consumer.commit([{ topic: 't', partition: 0, offset: 3n }]);
    expect(h.cluster.callsTo('OffsetCommit').length - before).toBe(15);
    expect(h.cluster.committed('g', 't', 0)?.offset).toBe(3n);
  });

  it('gives a commit up at its deadline while the coordinator stays unavailable', async () => {
    const h = await setUp(1);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false, heartbeatIntervalMs: 1_000, defaultApiTimeoutMs: 400 });
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    h.cluster.failNext('OffsetCommit', 'COORDINATOR_NOT_AVAILABLE', { times: 1_000 });
    const startedMs = Date.now();
    const error = await consumer.commit([{ topic: 't', partition: 0, offset: 3n }]).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'COORDINATOR_NOT_AVAILABLE' });
    expect(Date.now() - startedMs).toBeLessThan(2_000);
    expect(h.cluster.committed('g', 't', 0)).toBeUndefined();
  });

  it('bounds the commit on close by the request timeout while the coordinator is unavailable, then still leaves', async () => {
    const h = await setUp(1);
    const producer = h.eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, requestTimeoutMs: 300, defaultApiTimeoutMs: 60_000 });
    await consumer.subscribe(['t']);
    while ((await consumer.poll({ timeoutMs: 200 })).length === 0);
    h.cluster.failNext('OffsetCommit', 'COORDINATOR_NOT_AVAILABLE', { times: 10_000 });
    const startedMs = Date.now();
    await consumer.close();
    expect(Date.now() - startedMs).toBeLessThan(3_000);
    expect(h.cluster.committed('g', 't', 0)).toBeUndefined();
    expect(h.cluster.callsTo('LeaveGroup')).toHaveLength(1);
  });

  it('fails a commit retried past a rebalance with ILLEGAL_GENERATION, committing nothing, and does not rejoin again for it', async () => {
    const h = await setUp(2);
    const consumer = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false });
    await consumer.subscribe(['t']);
    while (consumer.assignment().length === 0) await consumer.poll({ timeoutMs: 100 });
    const generationId = consumer.groupMetadata()?.generationId ?? -1;
    // Three attempts fail as if the coordinator moved; the fourth is answered only after the
    // group moved on to a generation this member is part of too.
    h.cluster.failNext('OffsetCommit', 'NOT_COORDINATOR', { times: 3 });
    h.cluster.stallNext('OffsetCommit', 1_500);
    const committing = consumer.commit([{ topic: 't', partition: 0, offset: 3n }]).catch((e: unknown) => e);
    const loop = pollLoop(consumer);
    const other = h.eddy.consumer({ groupId: 'g', ...fast, enableAutoCommit: false });
    await other.subscribe(['t']);
    const otherLoop = pollLoop(other);
    await waitFor(() => (consumer.groupMetadata()?.generationId ?? 0) > generationId && consumer.assignment().length === 1, 5_000, 'a new generation with both members');
    const rejoined = consumer.groupMetadata()?.generationId;
    const error = await committing;
    expect(error).toBeInstanceOf(CommitFailedError);
    expect(error).toMatchObject({ code: 'ILLEGAL_GENERATION' });
    expect(h.cluster.committed('g', 't', 0)).toBeUndefined();
    // The refusal was about an older generation: the member stays in the one it joined.
    await consumer.poll({ timeoutMs: 200 });
    expect(consumer.groupMetadata()?.generationId).toBe(rejoined);
    expect(h.cluster.coordinator.describe('g')).toMatchObject({ state: 'GROUP_STATE_STABLE', generationId: rejoined });
    await loop.stop();
    await otherLoop.stop();
    await other.close();
  });

  it('rejoins with a subscription changed while a join was in flight', async () => {
    harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions: 2 }, { name: 'u', partitions: 2 }] });
    const h = harness;
    const leader = h.eddy.consumer({ groupId: 'g', ...fast });
    await leader.subscribe(['t', 'u']);
    const leaderLoop = pollLoop(leader);
    await waitFor(() => leader.assignment().length === 4, 5_000, 'the leader owning everything');
    // A second member joins; the SyncGroups of that rebalance are slow, and while they are in
    // flight the second member's subscription changes. It is not the leader: only its own
    // rejoin can bring the new subscription to the group.
    const syncsBefore = h.cluster.callsTo('SyncGroup').length;
    h.cluster.stallNext('SyncGroup', 300, { times: 2 });
    const member = h.eddy.consumer({ groupId: 'g', ...fast });
    await member.subscribe(['t']);
    const memberLoop = pollLoop(member);
    await waitFor(() => h.cluster.callsTo('SyncGroup').length === syncsBefore + 2, 5_000, 'both SyncGroups sent');
    await member.subscribe(['t', 'u']);
    const memberId = (): string => member.groupMetadata()?.memberId ?? '';
    const rejoinedWithBoth = (): boolean =>
      h.cluster
        .callsTo('JoinGroup')
        .map((call) => call.request as JoinGroupRequest)
        .some((join) => join.memberId === memberId() && decodeSubscription(join.protocols[0]?.metadata ?? Buffer.alloc(0)).topics.includes('u'));
    await waitFor(rejoinedWithBoth, 5_000, 'a JoinGroup with the new subscription');
    await waitFor(() => member.assignment().some((tp) => tp.topic === 'u'), 5_000, 'a partition of u');
    await memberLoop.stop();
    await leaderLoop.stop();
  });
});
