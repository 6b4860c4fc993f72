import { EddyError } from '@eddy/base';
import type { GroupCoordinators } from '../cluster/group-coordinators.js';
import { CommitFailedError, fromCode, itemError } from '../errors.js';
import { partitionKey, type TopicPartition } from '../types.js';

/** An offset to commit: the next offset to read, with the leader epoch of the last record read. */
export interface OffsetToCommit {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
}

/** A committed offset as OffsetFetch returns it. */
export interface CommittedOffset {
  readonly topic: string;
  readonly partition: number;
  /** The next offset to read; null when the group committed none. */
  readonly offset: bigint | null;
  readonly leaderEpoch: number;
  readonly metadata: string;
}

/** Who commits: a member of a generation, or (generation -1, no member id) a consumer outside the group protocol. */
export interface CommitIdentity {
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId: string;
}

/** Answers that say the committer is not the current owner of the partitions. */
const fencedCodes: ReadonlySet<string> = new Set(['ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'REBALANCE_IN_PROGRESS', 'FENCED_INSTANCE_ID']);

/** True for a commit failure after which the member must rejoin its group. */
export function isFencedCommit(error: EddyError): boolean {
  return fencedCodes.has(error.code);
}

/**
 * Commits offsets to the group's coordinator, retrying retriable failures (the coordinator moved,
 * died, is loading, a replica is missing) until `timeoutMs` has passed, so a commit made while
 * the coordinator fails over lands at the next one. A commit refused because the group moved on
 * (stale generation, unknown member, rebalance) fails at once with CommitFailedError: nothing
 * was committed.
 */
export async function commitOffsets(
  coordinators: GroupCoordinators,
  groupId: string,
  identity: CommitIdentity,
  offsets: readonly OffsetToCommit[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  if (offsets.length === 0) return;
  const byTopic = new Map<string, OffsetToCommit[]>();
  for (const offset of offsets) byTopic.set(offset.topic, [...(byTopic.get(offset.topic) ?? []), offset]);
  await coordinators.retryingFor(
    groupId,
    async (group, options) => {
      const response = await group.offsetCommit(
        {
          groupId,
          generationId: identity.generationId,
          memberId: identity.memberId,
          groupInstanceId: identity.groupInstanceId,
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((offset) => ({
              partition: offset.partition,
              committedOffset: offset.offset,
              committedLeaderEpoch: offset.leaderEpoch,
              metadata: offset.metadata,
            })),
          })),
        },
        options,
      );
      if (response.errorCode !== 'NONE') {
        if (fencedCodes.has(response.errorCode)) {
          throw new CommitFailedError(
            response.errorCode,
            `group ${groupId}: the commit was refused (${response.errorCode}${response.errorMessage === '' ? '' : `: ${response.errorMessage}`}); the group rebalanced since these records were polled`,
          );
        }
        throw fromCode(response.errorCode, response.errorMessage);
      }
      for (const topic of response.topics) {
        for (const partition of topic.partitions) {
          const error = itemError(partition, topic.topic, partition.partition);
          if (error !== undefined) throw error;
        }
      }
    },
    timeoutMs,
    signal,
  );
}

/** The group's committed offsets of `partitions` (every committed partition when empty). */
export async function fetchCommittedOffsets(
  coordinators: GroupCoordinators,
  groupId: string,
  partitions: readonly TopicPartition[],
  signal?: AbortSignal,
): Promise<Map<string, CommittedOffset>> {
  const byTopic = new Map<string, number[]>();
  for (const tp of partitions) byTopic.set(tp.topic, [...(byTopic.get(tp.topic) ?? []), tp.partition]);
  const response = await coordinators.retrying(
    groupId,
    async (group, options) => {
      const answer = await group.offsetFetch({ groupId, topics: [...byTopic].map(([topic, list]) => ({ topic, partitions: list })) }, options);
      if (answer.errorCode !== 'NONE') throw new EddyError(answer.errorCode, `group ${groupId}: ${fromCode(answer.errorCode, answer.errorMessage).message}`, { retriable: fromCode(answer.errorCode, '').retriable });
      for (const topic of answer.topics) {
        for (const partition of topic.partitions) {
          const error = itemError(partition, topic.name, partition.partition);
          if (error?.retriable === true) throw error;
        }
      }
      return answer;
    },
    undefined,
    signal,
  );
  const out = new Map<string, CommittedOffset>();
  for (const topic of response.topics) {
    for (const partition of topic.partitions) {
      const error = itemError(partition, topic.name, partition.partition);
      if (error !== undefined) throw error;
      out.set(partitionKey(topic.name, partition.partition), {
        topic: topic.name,
        partition: partition.partition,
        offset: partition.committedOffset < 0n ? null : partition.committedOffset,
        leaderEpoch: partition.committedLeaderEpoch,
        metadata: partition.metadata,
      });
    }
  }
  return out;
}
