import { EddyError } from '@eddy/base';
import type { ReplicaFetchRequest } from '@eddy/protocol';
import { replicationLimits } from './limits.js';
import { partitionKey } from './partition-key.js';

/** A partition of a follower's fetch session, at the position its last listing named. */
export interface SessionPartition {
  readonly key: string;
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
  readonly currentLeaderEpoch: number;
  readonly fetchOffset: bigint;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: bigint;
  readonly partitionMaxBytes: number;
  /** What the last answer told the follower (an incremental answer repeats only changes). */
  sentHighWatermark: bigint;
  sentLogStartOffset: bigint;
}

/**
 * The leader's memory of one ReplicaFetch stream (Kafka's fetch session, KIP-227): a full
 * request replaces the partition set, an incremental one updates the partitions it lists and
 * drops the forgotten ones; unlisted partitions are fetched at their remembered positions.
 */
export class ReplicaFetchSession {
  private readonly partitions = new Map<string, SessionPartition>();

  get size(): number {
    return this.partitions.size;
  }

  /**
   * Applies a request and returns the partitions to fetch now, in session order. Throws
   * INVALID_REQUEST when the session would exceed its bound.
   */
  apply(request: ReplicaFetchRequest): SessionPartition[] {
    if (!request.incremental) this.partitions.clear();
    else {
      for (const forgotten of request.forgotten) {
        for (const partition of forgotten.partitions) this.partitions.delete(partitionKey(forgotten.topic, partition));
      }
    }
    for (const topic of request.topics) {
      for (const partition of topic.partitions) {
        const key = partitionKey(topic.name, partition.partition);
        const previous = this.partitions.get(key);
        this.partitions.set(key, {
          key,
          topicId: topic.topicId,
          topic: topic.name,
          partition: partition.partition,
          currentLeaderEpoch: partition.currentLeaderEpoch,
          fetchOffset: partition.fetchOffset,
          lastFetchedEpoch: partition.lastFetchedEpoch,
          logStartOffset: partition.logStartOffset,
          partitionMaxBytes: partition.partitionMaxBytes,
          // A relisted partition keeps what it was told; a new one has been told nothing.
          sentHighWatermark: previous?.sentHighWatermark ?? -1n,
          sentLogStartOffset: previous?.sentLogStartOffset ?? -1n,
        });
        if (this.partitions.size > replicationLimits.requestPartitionsMax) {
          this.partitions.clear();
          throw new EddyError('INVALID_REQUEST', `a fetch session holds at most ${replicationLimits.requestPartitionsMax} partitions`);
        }
      }
    }
    return [...this.partitions.values()];
  }

  /** Whether `entry` is still the session's current listing of its partition. */
  isCurrent(entry: SessionPartition): boolean {
    return this.partitions.get(entry.key) === entry;
  }
}
