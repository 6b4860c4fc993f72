import { type MetadataImage, NO_LEADER, type PartitionChangeRecord, type PartitionImage } from '@eddy/metadata';
import { controllerError } from './controller-errors.js';
import { electLeader } from './partition-leadership.js';
import type { PartitionRef } from './controller-core.js';

/**
 * Partition reassignment as Kafka's KIP-455 does it, one partition at a time. While a move
 * runs, the partition's replicas are the target followed by the replicas being removed;
 * `adding` (target − original) start as followers and catch up; once all of them are in the
 * ISR the move completes: replicas = target, ISR ∩ target, leadership moved into the target
 * if the leader is leaving, adding/removing cleared. Brokers that left the replica set delete
 * their copy when they replay that change. Every function here is pure: partition in, change out.
 */

export function isReassigning(partition: PartitionImage): boolean {
  return partition.adding.length > 0 || partition.removing.length > 0;
}

/** The replicas the partition had before its ongoing reassignment (all of them when none runs). */
export function originalReplicas(partition: PartitionImage): number[] {
  return partition.replicas.filter((replica) => !partition.adding.includes(replica));
}

/** The replicas the partition will have once its ongoing reassignment completes, in order. */
export function targetReplicas(partition: PartitionImage): number[] {
  return partition.replicas.filter((replica) => !partition.removing.includes(replica));
}

/**
 * The change that starts moving `partition` to `target` (preferred leader first), already
 * completed when nothing has to catch up. A new target replaces an ongoing reassignment: it is
 * computed from the original replicas, so replicas added by the old one and not wanted any more
 * leave again. Undefined when the partition already has exactly these replicas.
 */
export function startReassignment(partition: PartitionImage, target: readonly number[], isEligible: (brokerId: number) => boolean): PartitionChangeRecord | undefined {
  const original = originalReplicas(partition);
  if (!isReassigning(partition) && sameList(original, target)) return undefined;
  const adding = target.filter((replica) => !original.includes(replica));
  const removing = original.filter((replica) => !target.includes(replica));
  const replicas = [...target, ...removing];
  const isr = partition.isr.filter((replica) => replicas.includes(replica));
  const where = `${partition.topicName}-${partition.partition}`;
  if (isr.length === 0) {
    throw controllerError('INVALID_REPLICA_ASSIGNMENT', `the new replicas [${target.join(',')}] of ${where} would leave it without an in-sync replica`);
  }
  let leader = partition.leader;
  if (!isr.includes(leader)) leader = electLeader({ ...partition, replicas, isr }, isEligible, false).leader;
  const started: PartitionImage = { ...partition, replicas, isr, adding, removing, leader };
  const final = completedState(started, isEligible) ?? started;
  return changeBetween(partition, final);
}

/**
 * The change that completes an ongoing reassignment, once every adding replica is in the ISR
 * and a replica of the target can lead; undefined while it must wait.
 */
export function completeReassignment(partition: PartitionImage, isEligible: (brokerId: number) => boolean): PartitionChangeRecord | undefined {
  const completed = completedState(partition, isEligible);
  return completed === undefined ? undefined : changeBetween(partition, completed);
}

/**
 * The change that cancels an ongoing reassignment: the original replicas come back (the kept
 * ones in target order, then the removed ones) and the adding replicas leave. A cancel that
 * would leave only adding replicas in the ISR is refused: the originals may lack acked data.
 */
export function cancelReassignment(partition: PartitionImage, isEligible: (brokerId: number) => boolean): PartitionChangeRecord {
  const where = `${partition.topicName}-${partition.partition}`;
  if (!isReassigning(partition)) throw controllerError('NO_REASSIGNMENT_IN_PROGRESS', `no reassignment of ${where} is in progress`);
  const replicas = originalReplicas(partition);
  const isr = partition.isr.filter((replica) => replicas.includes(replica));
  if (isr.length === 0) {
    throw controllerError('REASSIGNMENT_IN_PROGRESS', `cannot cancel the reassignment of ${where}: none of its original replicas [${replicas.join(',')}] is in sync`);
  }
  const leader = isr.includes(partition.leader) ? partition.leader : electLeader({ ...partition, replicas, isr }, isEligible, false).leader;
  return changeBetween(partition, { ...partition, replicas, isr, adding: [], removing: [], leader });
}

/** A reassignment in flight, as ListPartitionReassignments shows it. */
export interface OngoingReassignment extends PartitionRef {
  readonly replicas: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
}

/**
 * The reassignments in flight among `partitions` (every partition when none are given), in
 * topic then partition order. An unknown partition is an error, not an empty answer.
 */
export function ongoingReassignments(image: MetadataImage, partitions?: readonly PartitionRef[]): OngoingReassignment[] {
  const candidates =
    partitions === undefined
      ? [...image.topicsById.values()].flatMap((topic) => [...topic.partitions.values()])
      : partitions.map((ref) => {
          const partition = image.partition(ref.topic, ref.partition);
          if (partition === undefined) throw controllerError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${ref.topic}-${ref.partition} does not exist`);
          return partition;
        });
  return candidates
    .filter(isReassigning)
    .map((p) => ({ topic: p.topicName, partition: p.partition, replicas: p.replicas, adding: p.adding, removing: p.removing }))
    .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
}

function completedState(partition: PartitionImage, isEligible: (brokerId: number) => boolean): PartitionImage | undefined {
  if (!isReassigning(partition)) return undefined;
  if (!partition.adding.every((replica) => partition.isr.includes(replica))) return undefined;
  const replicas = targetReplicas(partition);
  const isr = partition.isr.filter((replica) => replicas.includes(replica));
  if (isr.length === 0) return undefined;
  // The leader stays if it is kept; otherwise the first in-sync, eligible replica of the
  // target (the preferred one when it can) takes over in the same change.
  const leader = isr.includes(partition.leader) ? partition.leader : electLeader({ ...partition, replicas, isr }, isEligible, false).leader;
  if (leader === NO_LEADER) return undefined;
  return { ...partition, replicas, isr, adding: [], removing: [], leader };
}

/** The PartitionChange that turns `before` into `after` (only the fields that differ). */
function changeBetween(before: PartitionImage, after: PartitionImage): PartitionChangeRecord {
  return {
    type: 'PartitionChange',
    topicId: before.topicId,
    partition: before.partition,
    ...(after.leader === before.leader ? {} : { leader: after.leader }),
    ...(sameList(after.isr, before.isr) ? {} : { isr: after.isr }),
    ...(sameList(after.replicas, before.replicas) ? {} : { replicas: after.replicas }),
    ...(sameList(after.adding, before.adding) ? {} : { adding: after.adding }),
    ...(sameList(after.removing, before.removing) ? {} : { removing: after.removing }),
  };
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((value, i) => value === b[i]);
}
