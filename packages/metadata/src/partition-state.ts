import type { MetadataImage, PartitionImage } from './image.js';
import { NO_LEADER } from './records.js';

/** Partition states as users see them (`eddy topics describe`), after Kafka's controller. */
export type PartitionState = 'NonExistent' | 'New' | 'Online' | 'Offline';
/** Replica states as users see them. */
export type ReplicaState = 'NonExistent' | 'New' | 'Online' | 'Offline';

export function partitionState(image: MetadataImage, partition: PartitionImage | undefined): PartitionState {
  if (partition === undefined) return 'NonExistent';
  if (partition.leader === NO_LEADER) return partition.leaderEpoch === 0 ? 'New' : 'Offline';
  return image.isBrokerLive(partition.leader) ? 'Online' : 'Offline';
}

export function replicaState(image: MetadataImage, partition: PartitionImage | undefined, brokerId: number): ReplicaState {
  if (partition === undefined || !partition.replicas.includes(brokerId)) return 'NonExistent';
  if (!image.isBrokerLive(brokerId)) return 'Offline';
  return partition.adding.includes(brokerId) && !partition.isr.includes(brokerId) ? 'New' : 'Online';
}

/** Fewer in-sync replicas than assigned replicas. */
export function isUnderReplicated(partition: PartitionImage): boolean {
  return partition.isr.length < partition.replicas.length;
}
