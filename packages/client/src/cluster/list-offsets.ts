import type { EddyError } from '@eddy/base';
import { fromCode, TopicPartitionError } from '../errors.js';
import type { Cluster } from './cluster.js';

/** Which offset to look up: the log start, the end (high watermark), or the first at or after a time (ms since the epoch). */
export type OffsetSpec = 'earliest' | 'latest' | { readonly timestamp: number };

export interface OffsetQuery {
  readonly topic: string;
  readonly partition: number;
  readonly spec: OffsetSpec;
}

/** An offset found by ListOffsets. */
export interface ListedOffset {
  readonly topic: string;
  readonly partition: number;
  /** -1n when no record is at or after the asked time. */
  readonly offset: bigint;
  /** The batch timestamp for a time query; -1 otherwise. */
  readonly timestamp: number;
  /** The leader epoch of the batch at `offset`, -1 when unknown. */
  readonly leaderEpoch: number;
}

function specTimestamp(spec: OffsetSpec): bigint {
  if (spec === 'earliest') return -2n;
  if (spec === 'latest') return -1n;
  return BigInt(Math.trunc(spec.timestamp));
}

const keyOf = (topic: string, partition: number): string => `${partition}:${topic}`;

/**
 * Looks offsets up on the partition leaders (one ListOffsets per leader, in parallel); partitions
 * that fail with a retriable error (a leader moved) are asked again after a metadata refresh.
 * Results come back in the order of `queries`.
 */
export async function listOffsets(cluster: Cluster, queries: readonly OffsetQuery[]): Promise<ListedOffset[]> {
  const remaining = new Map<string, OffsetQuery>(queries.map((query) => [keyOf(query.topic, query.partition), query]));
  const found = new Map<string, ListedOffset>();
  cluster.addTopics(queries.map((query) => query.topic));
  await cluster.retrying(async () => {
    if ([...remaining.values()].some((query) => cluster.metadata.leaderOf(query.topic, query.partition) === undefined)) await cluster.refreshMetadata();
    const byLeader = new Map<number, OffsetQuery[]>();
    let retriable: EddyError | undefined;
    for (const query of remaining.values()) {
      const topic = cluster.metadata.topics.get(query.topic);
      if (topic === undefined || query.partition >= topic.partitions.length || query.partition < 0) {
        const known = topic !== undefined;
        const error = new TopicPartitionError('UNKNOWN_TOPIC_OR_PARTITION', known ? `the topic has ${topic.partitions.length} partitions` : 'unknown topic', {
          topic: query.topic,
          partition: query.partition,
          retriable: true,
        });
        retriable ??= error;
        continue;
      }
      const leader = cluster.leaderFor(query.topic, query.partition);
      if (leader === undefined) {
        retriable ??= new TopicPartitionError('LEADER_NOT_AVAILABLE', 'no leader', { topic: query.topic, partition: query.partition, retriable: true });
        continue;
      }
      const list = byLeader.get(leader) ?? [];
      list.push(query);
      byLeader.set(leader, list);
    }
    await Promise.all(
      [...byLeader].map(async ([leader, list]) => {
        const topics = new Map<string, OffsetQuery[]>();
        for (const query of list) topics.set(query.topic, [...(topics.get(query.topic) ?? []), query]);
        const response = await cluster.call(leader, (connection, options) =>
          connection.service('ClientService').listOffsets(
            {
              topics: [...topics].map(([name, partitions]) => ({
                name,
                partitions: partitions.map((query) => ({
                  partition: query.partition,
                  currentLeaderEpoch: cluster.metadata.partition(query.topic, query.partition)?.leaderEpoch ?? -1,
                  timestampMs: specTimestamp(query.spec),
                })),
              })),
            },
            options,
          ),
        );
        for (const topic of response.topics) {
          for (const partition of topic.partitions) {
            const key = keyOf(topic.name, partition.partition);
            if (!remaining.has(key)) continue;
            if (partition.errorCode !== 'NONE') {
              const error = fromCode(partition.errorCode, partition.errorMessage, topic.name, partition.partition);
              if (!error.retriable) throw error;
              cluster.onError(error);
              retriable ??= error;
              continue;
            }
            remaining.delete(key);
            found.set(key, {
              topic: topic.name,
              partition: partition.partition,
              offset: partition.offset,
              timestamp: Number(partition.timestampMs),
              leaderEpoch: partition.leaderEpoch,
            });
          }
        }
      }),
    );
    if (remaining.size > 0) {
      throw retriable ?? new TopicPartitionError('UNKNOWN_SERVER_ERROR', 'ListOffsets did not answer for every partition', { retriable: true });
    }
  });
  return queries.map((query) => {
    const result = found.get(keyOf(query.topic, query.partition));
    if (result === undefined) throw new TopicPartitionError('UNKNOWN_SERVER_ERROR', 'no offset found', { topic: query.topic, partition: query.partition });
    return result;
  });
}
