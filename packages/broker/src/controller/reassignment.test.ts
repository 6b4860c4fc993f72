import { describe, expect, it } from 'vitest';
import { ongoingReassignments } from './reassignment.js';
import { clusterOf, type Harness } from './testing/controller-harness.js';

/** A 4-broker cluster with topic `t` (1 partition, RF 2) and the brokers outside its replicas. */
function movable(): { harness: Harness; original: number[]; others: number[] } {
  const harness = clusterOf(4);
  harness.createTopic('t', 1, 2);
  const original = [...harness.partition('t', 0).replicas];
  return { harness, original, others: [1, 2, 3, 4].filter((id) => !original.includes(id)) };
}

function reassign(harness: Harness, replicas: readonly number[] | null, partition = 0) {
  const [outcome] = harness.commit(harness.core.alterPartitionReassignments([{ topic: 't', partition, replicas }]));
  return outcome!;
}

/** The leader reports `isr` as the partition's in-sync replicas. */
function leaderReports(harness: Harness, isr: readonly number[]) {
  return harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('t', 0), isr }));
}

describe('reassignment: start and completion', () => {
  it('adds the target replicas as followers, then completes once they are all in the ISR, moving leadership into the target', () => {
    const { harness, original, others } = movable();
    const before = harness.partition('t', 0);
    expect(reassign(harness, others).error).toBeUndefined();

    const moving = harness.partition('t', 0);
    expect(moving).toMatchObject({ replicas: [...others, ...original], adding: others, removing: original, isr: before.isr, leader: before.leader });
    expect(moving.leaderEpoch).toBe(before.leaderEpoch);
    expect(ongoingReassignments(harness.image)).toEqual([{ topic: 't', partition: 0, replicas: [...others, ...original], adding: others, removing: original }]);

    // One new replica caught up: not done yet.
    leaderReports(harness, [...before.isr, others[0]!]);
    expect(harness.partition('t', 0).adding).toEqual(others);

    // The last one joins: the same entry completes the move. The leader's answer is the ISR it asked for.
    const answer = leaderReports(harness, [...before.isr, ...others]);
    expect(answer).toMatchObject({ isr: [...before.isr, ...others], leader: before.leader });
    const done = harness.partition('t', 0);
    expect(done).toMatchObject({ replicas: others, isr: others, adding: [], removing: [], leader: others[0] });
    expect(done.leaderEpoch).toBe(before.leaderEpoch + 1);
    expect(done.partitionEpoch).toBe(answer.partitionEpoch + 1);
    expect(ongoingReassignments(harness.image)).toEqual([]);
  });

  it('keeps a leader that stays in the target, even when it is not the preferred replica', () => {
    const { harness, others } = movable();
    const leader = harness.partition('t', 0).leader;
    reassign(harness, [others[0]!, leader]);
    leaderReports(harness, [...harness.partition('t', 0).isr, others[0]!]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [others[0], leader], leader, adding: [], removing: [] });
    expect(harness.partition('t', 0).isr.slice().sort()).toEqual([others[0], leader].sort());
  });

  it('completes at once when nothing has to catch up: a reorder, or a smaller replication factor', () => {
    const { harness, original } = movable();
    const reversed = [...original].reverse();
    reassign(harness, reversed);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: reversed, adding: [], removing: [] });
    reassign(harness, [reversed[1]!]);
    const shrunk = harness.partition('t', 0);
    expect(shrunk).toMatchObject({ replicas: [reversed[1]], isr: [reversed[1]], leader: reversed[1], adding: [], removing: [] });
  });

  it('grows the replication factor (Kafka allows it) and does nothing when the replicas are already the target', () => {
    const { harness, original, others } = movable();
    reassign(harness, [...original, others[0]!]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [...original, others[0]], adding: [others[0]], removing: [] });
    leaderReports(harness, [...harness.partition('t', 0).isr, others[0]!]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [...original, others[0]], adding: [] });
    const same = harness.core.alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [...original, others[0]!] }]);
    expect(same.records).toEqual([]);
    expect(same.response).toEqual([{ topic: 't', partition: 0 }]);
  });

  it('replaces an ongoing reassignment, computing the new one from the original replicas', () => {
    const { harness, original, others } = movable();
    reassign(harness, [others[0]!]);
    reassign(harness, [others[1]!, original[0]!]);
    expect(harness.partition('t', 0)).toMatchObject({
      replicas: [others[1], original[0], original[1]],
      adding: [others[1]],
      removing: [original[1]],
    });
  });

  it('waits for a leader it can move to: a removed leader stays until an in-sync target replica can take over', () => {
    const { harness, original } = movable();
    const leader = harness.partition('t', 0).leader;
    const follower = original.find((id) => id !== leader)!;
    leaderReports(harness, [leader]);
    reassign(harness, [follower]);
    // The follower is out of sync: the move waits for it (nothing to add, but no in-sync target).
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [follower, leader], adding: [], removing: [leader], leader });
    leaderReports(harness, [leader, follower]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [follower], isr: [follower], leader: follower, removing: [] });
  });
});

describe('reassignment: cancel', () => {
  it('reverts to the original replicas, dropping adding replicas from the ISR', () => {
    const { harness, original, others } = movable();
    const before = harness.partition('t', 0);
    reassign(harness, others);
    leaderReports(harness, [...before.isr, others[0]!]);
    expect(reassign(harness, null).error).toBeUndefined();
    const reverted = harness.partition('t', 0);
    expect(reverted).toMatchObject({ adding: [], removing: [], leader: before.leader });
    expect([...reverted.replicas].sort()).toEqual([...original].sort());
    expect([...reverted.isr].sort()).toEqual([...before.isr].sort());
    expect(reassign(harness, null).error?.code).toBe('NO_REASSIGNMENT_IN_PROGRESS');
  });

  it('moves leadership back to an original replica when an adding replica led', () => {
    const { harness, original, others } = movable();
    const leader = harness.partition('t', 0).leader;
    const follower = original.find((id) => id !== leader)!;
    reassign(harness, others);
    leaderReports(harness, [...harness.partition('t', 0).isr, others[0]!]);
    // The leader fails mid-move: the in-sync new replica comes first in the replica list and leads.
    harness.heartbeat(leader, { wantFence: true });
    expect(harness.partition('t', 0)).toMatchObject({ leader: others[0], adding: others });
    reassign(harness, null);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: original, isr: [follower], leader: follower, adding: [], removing: [] });
  });
});

describe('reassignment: validation', () => {
  it.each([
    ['an empty list', [], 'INVALID_REPLICA_ASSIGNMENT'],
    ['a duplicate broker', [1, 1], 'INVALID_REPLICA_ASSIGNMENT'],
    ['an unknown broker', [1, 9], 'INVALID_REPLICA_ASSIGNMENT'],
  ] as const)('refuses %s with %s and writes nothing', (_what, replicas, code) => {
    const { harness } = movable();
    const result = harness.core.alterPartitionReassignments([{ topic: 't', partition: 0, replicas }]);
    expect(result.records).toEqual([]);
    expect(result.response[0]?.error?.code).toBe(code);
  });

  it('refuses to add a fenced broker but lets a move leave one', () => {
    const { harness, original, others } = movable();
    harness.heartbeat(others[0]!, { wantFence: true });
    expect(reassign(harness, [others[0]!, original[0]!]).error).toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining('fenced') });
    harness.heartbeat(original[1]!, { wantFence: true });
    expect(reassign(harness, [original[1]!, others[1]!]).error).toBeUndefined();
  });

  it('reports unknown partitions and duplicates per partition, going ahead with the others', () => {
    const { harness, others } = movable();
    const outcomes = harness.commit(
      harness.core.alterPartitionReassignments([
        { topic: 't', partition: 5, replicas: [1] },
        { topic: 'nope', partition: 0, replicas: [1] },
        { topic: 't', partition: 0, replicas: others },
        { topic: 't', partition: 0, replicas: others },
      ]),
    );
    expect(outcomes.map((o) => o.error?.code)).toEqual(['UNKNOWN_TOPIC_OR_PARTITION', 'UNKNOWN_TOPIC_OR_PARTITION', undefined, 'INVALID_REQUEST']);
    expect(harness.partition('t', 0).adding).toEqual(others);
    expect(() => ongoingReassignments(harness.image, [{ topic: 't', partition: 5 }])).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    expect(ongoingReassignments(harness.image, [{ topic: 't', partition: 0 }])).toHaveLength(1);
  });

  it('keeps the replication factor of the target for partitions added during a move', () => {
    const { harness, others } = movable();
    reassign(harness, others);
    harness.commit(harness.core.createPartitions('t', 2));
    expect(harness.partition('t', 1).replicas).toHaveLength(2);
  });
});

describe('reassignment: controller failover', () => {
  it('is finished by a new controller that knows only the metadata log', () => {
    const { harness, original, others } = movable();
    const before = harness.partition('t', 0);
    reassign(harness, others);
    harness.failOver();
    expect(ongoingReassignments(harness.core.latestImage)).toEqual([{ topic: 't', partition: 0, replicas: [...others, ...original], adding: others, removing: original }]);
    leaderReports(harness, [...before.isr, ...others]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: others, isr: others, leader: others[0], adding: [], removing: [] });
  });
});
