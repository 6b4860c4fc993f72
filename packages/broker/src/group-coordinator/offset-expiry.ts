import type { GroupState } from '../group/index.js';
import { mayConsume } from './consumer-subscription.js';

/** A group as offset expiry sees it: its state in the coordinator (if any) and its committed offsets. */
export interface ExpiryCandidate {
  readonly groupId: string;
  /** Undefined when the coordinator holds no group state, only offsets (commits from outside group management). */
  readonly group:
    | {
        readonly state: GroupState;
        readonly protocolType: string | null;
        /** When it turned Empty (group clock); only for an Empty group. */
        readonly emptySinceMs: number | undefined;
        /** The members' metadata for the chosen protocol (their subscriptions). */
        readonly memberMetadata: readonly Uint8Array[];
      }
    | undefined;
  /** False for a topic the metadata no longer has: its offsets go at once (deleted while this node did not coordinate). */
  readonly topicExists: (topic: string) => boolean;
  /** topic → partition → when the offset was committed (wall clock). */
  readonly offsets: ReadonlyMap<string, ReadonlyMap<number, { readonly commitTimestampMs: number }>>;
}

export interface ExpiryDecision {
  /** Offsets to remove (tombstones). */
  readonly expired: ReadonlyArray<{ readonly topic: string; readonly partition: number }>;
  /** Every offset expires and the group is Empty: remove the group too (its metadata tombstone). */
  readonly removeGroup: boolean;
}

/**
 * Kafka's offsets.retention.minutes (KIP-211), decided without I/O:
 * - a consumer group that has been Empty for the retention loses all its offsets, and the group goes;
 * - a group without group management (no protocol: commits from `assign()` consumers) loses each
 *   offset once it was committed longer ago than the retention, and the group goes with the last;
 * - a group with members keeps the offsets of topics it consumes; those of topics no member
 *   subscribes to expire by commit time;
 * - offsets of deleted topics go at once, whatever the group.
 */
export function decideExpiry(candidate: ExpiryCandidate, nowMs: number, retentionMs: number): ExpiryDecision {
  const { group, offsets, topicExists } = candidate;
  const all = [...offsets].flatMap(([topic, partitions]) => [...partitions].map(([partition, offset]) => ({ topic, partition, commitTimestampMs: offset.commitTimestampMs })));
  const byCommitTime = (keep: (topic: string) => boolean): ExpiryDecision['expired'] =>
    all
      .filter((offset) => !topicExists(offset.topic) || (!keep(offset.topic) && offset.commitTimestampMs + retentionMs <= nowMs))
      .map(({ topic, partition }) => ({ topic, partition }));
  if (group === undefined || (group.state === 'Empty' && group.protocolType === null)) {
    const expired = byCommitTime(() => false);
    return { expired, removeGroup: expired.length === all.length };
  }
  if (group.state === 'Dead') return { expired: [], removeGroup: false };
  if (group.state === 'Empty') {
    const emptyLongEnough = group.emptySinceMs !== undefined && group.emptySinceMs + retentionMs <= nowMs;
    return emptyLongEnough ? { expired: all.map(({ topic, partition }) => ({ topic, partition })), removeGroup: true } : { expired: byCommitTime(() => true), removeGroup: false };
  }
  return { expired: byCommitTime((topic) => mayConsume(group.protocolType, group.memberMetadata, topic)), removeGroup: false };
}
