import { describe, expect, it } from 'vitest';
import { decideExpiry, type ExpiryCandidate } from './offset-expiry.js';

const dayMs = 24 * 60 * 60 * 1000;
const retentionMs = 7 * dayMs;
const nowMs = 100 * dayMs;

function offsets(entries: ReadonlyArray<readonly [string, number, number]>): ExpiryCandidate['offsets'] {
  const byTopic = new Map<string, Map<number, { commitTimestampMs: number }>>();
  for (const [topic, partition, commitTimestampMs] of entries) {
    const partitions = byTopic.get(topic) ?? new Map<number, { commitTimestampMs: number }>();
    partitions.set(partition, { commitTimestampMs });
    byTopic.set(topic, partitions);
  }
  return byTopic;
}

const subscription = (topics: readonly string[]): Uint8Array => Buffer.from(JSON.stringify({ version: 1, topics, ownedPartitions: [], generationId: -1 }));
const exists = (): boolean => true;

describe('decideExpiry', () => {
  it('expires every offset of a consumer group Empty for the retention, and the group with them', () => {
    const old = offsets([
      ['orders', 0, nowMs - 30 * dayMs],
      ['orders', 1, nowMs - dayMs],
    ]);
    const empty = (emptySinceMs: number): ExpiryCandidate => ({
      groupId: 'g',
      group: { state: 'Empty', protocolType: 'consumer', emptySinceMs, memberMetadata: [] },
      topicExists: exists,
      offsets: old,
    });
    // Empty for less than the retention: nothing goes, however old the commits are.
    expect(decideExpiry(empty(nowMs - retentionMs + 1), nowMs, retentionMs)).toEqual({ expired: [], removeGroup: false });
    expect(decideExpiry(empty(nowMs - retentionMs), nowMs, retentionMs)).toEqual({
      expired: [
        { topic: 'orders', partition: 0 },
        { topic: 'orders', partition: 1 },
      ],
      removeGroup: true,
    });
  });

  it('expires offsets of groups without group management one by one, by commit time', () => {
    const candidate: ExpiryCandidate = {
      groupId: 'manual',
      group: undefined,
      topicExists: exists,
      offsets: offsets([
        ['orders', 0, nowMs - retentionMs],
        ['orders', 1, nowMs - retentionMs + 1],
      ]),
    };
    expect(decideExpiry(candidate, nowMs, retentionMs)).toEqual({ expired: [{ topic: 'orders', partition: 0 }], removeGroup: false });
    expect(decideExpiry(candidate, nowMs + 1, retentionMs)).toMatchObject({ removeGroup: true });
    expect(decideExpiry({ ...candidate, group: { state: 'Empty', protocolType: null, emptySinceMs: 0, memberMetadata: [] } }, nowMs, retentionMs).expired).toHaveLength(1);
  });

  it('keeps the offsets of topics a live group consumes, and expires those of topics it no longer subscribes to', () => {
    const candidate: ExpiryCandidate = {
      groupId: 'g',
      group: { state: 'Stable', protocolType: 'consumer', emptySinceMs: undefined, memberMetadata: [subscription(['orders'])] },
      topicExists: exists,
      offsets: offsets([
        ['orders', 0, 0],
        ['payments', 0, 0],
        ['refunds', 0, nowMs],
      ]),
    };
    expect(decideExpiry(candidate, nowMs, retentionMs)).toEqual({ expired: [{ topic: 'payments', partition: 0 }], removeGroup: false });
    // A subscription it cannot read: every topic may be consumed, nothing goes.
    expect(decideExpiry({ ...candidate, group: { state: 'Stable', protocolType: 'other', emptySinceMs: undefined, memberMetadata: [Buffer.from('?')] } }, nowMs, retentionMs).expired).toEqual([]);
  });

  it('removes offsets of deleted topics at once, and touches nothing of a Dead group', () => {
    const candidate: ExpiryCandidate = {
      groupId: 'g',
      group: { state: 'Empty', protocolType: 'consumer', emptySinceMs: nowMs, memberMetadata: [] },
      topicExists: (topic) => topic !== 'gone',
      offsets: offsets([
        ['gone', 3, nowMs],
        ['orders', 0, nowMs],
      ]),
    };
    expect(decideExpiry(candidate, nowMs, retentionMs)).toEqual({ expired: [{ topic: 'gone', partition: 3 }], removeGroup: false });
    expect(decideExpiry({ ...candidate, group: { state: 'Dead', protocolType: 'consumer', emptySinceMs: undefined, memberMetadata: [] } }, nowMs, retentionMs)).toEqual({ expired: [], removeGroup: false });
  });
});
