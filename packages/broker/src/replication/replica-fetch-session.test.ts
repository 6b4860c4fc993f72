import { describe, expect, it } from 'vitest';
import type { ReplicaFetchRequest } from '@eddy/protocol';
import { ReplicaFetchSession } from './replica-fetch-session.js';

function request(incremental: boolean, partitions: Array<[string, number, bigint]>, forgotten: Array<[string, number]> = []): ReplicaFetchRequest {
  const topics = new Map<string, ReplicaFetchRequest['topics'][number]>();
  for (const [name, partition, fetchOffset] of partitions) {
    let topic = topics.get(name);
    if (topic === undefined) topics.set(name, (topic = { topicId: `${name}-id`, name, partitions: [] }));
    topic.partitions.push({ partition, currentLeaderEpoch: 1, fetchOffset, lastFetchedEpoch: 1, logStartOffset: 0n, partitionMaxBytes: 1024 });
  }
  return {
    correlationId: 1,
    replicaId: 2,
    brokerEpoch: 1n,
    maxWaitMs: 0,
    minBytes: 1,
    maxBytes: 1 << 20,
    incremental,
    topics: [...topics.values()],
    forgotten: forgotten.map(([topic, partition]) => ({ topic, partitions: [partition] })),
  };
}

describe('ReplicaFetchSession', () => {
  it('remembers positions across incremental requests, and a full request resets it', () => {
    const session = new ReplicaFetchSession();
    const first = session.apply(request(false, [['a', 0, 10n], ['a', 1, 20n], ['b', 0, 5n]]));
    expect(first.map((p) => [p.key, p.fetchOffset])).toEqual([['a-0', 10n], ['a-1', 20n], ['b-0', 5n]]);
    first[0]!.sentHighWatermark = 10n;
    const second = session.apply(request(true, [['a', 0, 15n]], [['b', 0]]));
    expect(second.map((p) => [p.key, p.fetchOffset])).toEqual([['a-0', 15n], ['a-1', 20n]]);
    // A relisted partition keeps what the follower was told.
    expect(second[0]!.sentHighWatermark).toBe(10n);
    const third = session.apply(request(false, [['c', 0, 0n]]));
    expect(third.map((p) => p.key)).toEqual(['c-0']);
    expect(third[0]!.sentHighWatermark).toBe(-1n);
  });
});
