import type { MetadataDelta } from './delta.js';
import type { PartitionImage } from './image.js';

export interface RemovedReplica {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
}

/** What one broker must do after a delta: lead, follow, or delete local replicas. */
export interface LocalReplicaChanges {
  readonly leaders: readonly PartitionImage[];
  readonly followers: readonly PartitionImage[];
  readonly removed: readonly RemovedReplica[];
}

/**
 * The replicas of `brokerId` the delta touched. A partition appears as leader or follower when
 * the broker is (still) a replica and its leader, leader epoch or replica set changed (for its
 * leader: any change); as removed when the broker left its replica set or its topic was deleted.
 */
export function localReplicaChanges(delta: MetadataDelta, brokerId: number): LocalReplicaChanges {
  const leaders: PartitionImage[] = [];
  const followers: PartitionImage[] = [];
  const removed: RemovedReplica[] = [];
  for (const [topicId, partitions] of delta.changedPartitions) {
    for (const partition of partitions.values()) {
      const before = delta.base.topicsById.get(topicId)?.partitions.get(partition.partition);
      const isReplica = partition.replicas.includes(brokerId);
      if (!isReplica) {
        if (before?.replicas.includes(brokerId) === true) removed.push(replicaId(partition));
        continue;
      }
      const relevantChange =
        before === undefined ||
        !before.replicas.includes(brokerId) ||
        before.leader !== partition.leader ||
        before.leaderEpoch !== partition.leaderEpoch ||
        before.replicas.join() !== partition.replicas.join() ||
        // The leader fences its ISR proposals with the partition epoch, so it hears of every
        // change (an ISR, or a reassignment's adding/removing), not only of new replicas.
        (partition.leader === brokerId && before.partitionEpoch !== partition.partitionEpoch);
      if (!relevantChange) continue;
      (partition.leader === brokerId ? leaders : followers).push(partition);
    }
  }
  for (const topic of delta.removedTopics.values()) {
    for (const partition of topic.partitions.values()) {
      if (partition.replicas.includes(brokerId)) removed.push(replicaId(partition));
    }
  }
  return { leaders, followers, removed };
}

function replicaId(partition: PartitionImage): RemovedReplica {
  return { topicId: partition.topicId, topicName: partition.topicName, partition: partition.partition };
}
