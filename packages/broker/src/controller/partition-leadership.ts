import { type MetadataImage, NO_LEADER, type PartitionChangeRecord, type PartitionImage } from '@eddy/metadata';

/**
 * Leader and ISR decisions for one partition, shared by every controller operation that moves
 * leadership: fencing, controlled shutdown, a broker coming back, preferred-leader election.
 */
export interface LeaderAndIsr {
  readonly leader: number;
  readonly isr: readonly number[];
}

/**
 * Picks a leader: the first replica (preferred order) that is in the ISR and eligible. With
 * unclean election enabled and no eligible ISR member, any eligible replica leads alone (data
 * written only to the old ISR may be lost, which is why it is off by default).
 */
export function electLeader(partition: PartitionImage, isEligible: (brokerId: number) => boolean, allowUnclean: boolean): LeaderAndIsr {
  const clean = partition.replicas.find((replica) => partition.isr.includes(replica) && isEligible(replica));
  if (clean !== undefined) return { leader: clean, isr: partition.isr };
  if (allowUnclean) {
    const unclean = partition.replicas.find(isEligible);
    if (unclean !== undefined) return { leader: unclean, isr: [unclean] };
  }
  return { leader: NO_LEADER, isr: partition.isr };
}

/**
 * The change that takes `brokerIds` out of a partition's leadership and ISR (they were fenced
 * or are shutting down). The ISR never becomes empty: the last member stays in it, leaderless,
 * so no out-of-sync replica can take over without unclean election and data acked by it is kept.
 */
export function removeBrokersFromPartition(
  partition: PartitionImage,
  brokerIds: ReadonlySet<number>,
  isEligible: (brokerId: number) => boolean,
  allowUnclean: boolean,
): PartitionChangeRecord | undefined {
  const loseLeader = brokerIds.has(partition.leader);
  const shrunk = partition.isr.filter((replica) => !brokerIds.has(replica));
  const lastStanding = partition.isr.includes(partition.leader) ? [partition.leader] : partition.isr.slice(0, 1);
  const isr = shrunk.length > 0 ? shrunk : lastStanding;
  const isrChanged = isr.length !== partition.isr.length;
  if (!loseLeader) {
    return isrChanged ? { type: 'PartitionChange', topicId: partition.topicId, partition: partition.partition, isr } : undefined;
  }
  const eligible = (replica: number): boolean => !brokerIds.has(replica) && isEligible(replica);
  const elected = electLeader({ ...partition, isr }, eligible, allowUnclean);
  return { type: 'PartitionChange', topicId: partition.topicId, partition: partition.partition, leader: elected.leader, isr: elected.isr };
}

/** The change that gives a leaderless partition a leader again, if one is eligible now. */
export function electForLeaderless(
  partition: PartitionImage,
  isEligible: (brokerId: number) => boolean,
  allowUnclean: boolean,
): PartitionChangeRecord | undefined {
  if (partition.leader !== NO_LEADER) return undefined;
  const elected = electLeader(partition, isEligible, allowUnclean);
  if (elected.leader === NO_LEADER) return undefined;
  return { type: 'PartitionChange', topicId: partition.topicId, partition: partition.partition, leader: elected.leader, isr: elected.isr };
}

/** Moves leadership back to the preferred replica when it is in the ISR and eligible. */
export function electPreferred(partition: PartitionImage, isEligible: (brokerId: number) => boolean): PartitionChangeRecord | undefined {
  const preferred = partition.replicas[0];
  if (preferred === undefined || preferred === partition.leader) return undefined;
  if (!partition.isr.includes(preferred) || !isEligible(preferred)) return undefined;
  return { type: 'PartitionChange', topicId: partition.topicId, partition: partition.partition, leader: preferred };
}

/** Every partition of the image, in topic then partition order. */
export function* allPartitions(image: MetadataImage): Generator<PartitionImage> {
  for (const topic of image.topicsById.values()) yield* topic.partitions.values();
}
