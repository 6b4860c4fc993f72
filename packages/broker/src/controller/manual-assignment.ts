import type { EddyError } from '@eddy/base';
import { controllerError } from './controller-errors.js';

/** One partition's replicas as the caller placed them, preferred leader first. */
export interface ReplicaAssignment {
  readonly partition: number;
  readonly replicas: readonly number[];
}

export interface ManualAssignmentRules {
  /** The index the first assigned partition must have: 0 for a new topic, the current count when growing one. */
  readonly firstPartition: number;
  /** The replica count every partition must have; when absent, the first assignment sets it. */
  readonly replicationFactor?: number;
  readonly isRegistered: (brokerId: number) => boolean;
}

/**
 * Checks an explicit replica assignment as Kafka's controller does and returns the replica lists
 * in partition order: partitions firstPartition, firstPartition+1, ... each once; every list
 * non-empty, without repeats, of registered brokers, all of one length. Fenced brokers are
 * allowed (their replicas start offline), as in Kafka; whether a partition has a live replica
 * to lead it is the caller's check.
 */
export function checkManualAssignment(assignments: readonly ReplicaAssignment[], rules: ManualAssignmentRules): number[][] {
  const byPartition = new Map<number, readonly number[]>();
  let replicationFactor = rules.replicationFactor;
  for (const { partition, replicas } of assignments) {
    if (byPartition.has(partition)) throw invalid(`names partition ${partition} twice`);
    checkReplicas(partition, replicas, rules.isRegistered);
    if (replicationFactor !== undefined && replicas.length !== replicationFactor) {
      throw invalid(`gives partition ${partition} ${replicas.length} replicas, but the other partitions have ${replicationFactor}`);
    }
    replicationFactor = replicas.length;
    byPartition.set(partition, replicas);
  }
  const ordered: number[][] = [];
  for (let i = 0; i < byPartition.size; i++) {
    const replicas = byPartition.get(rules.firstPartition + i);
    if (replicas === undefined) {
      const last = rules.firstPartition + byPartition.size - 1;
      throw invalid(`must name partitions ${rules.firstPartition} to ${last} each once (got ${[...byPartition.keys()].join(',')})`);
    }
    ordered.push([...replicas]);
  }
  return ordered;
}

function checkReplicas(partition: number, replicas: readonly number[], isRegistered: (brokerId: number) => boolean): void {
  if (replicas.length === 0) throw invalid(`gives partition ${partition} an empty replica list`);
  const seen = new Set<number>();
  for (const brokerId of replicas) {
    if (seen.has(brokerId)) throw invalid(`names broker ${brokerId} twice for partition ${partition}`);
    if (!isRegistered(brokerId)) throw invalid(`includes broker ${brokerId}, which is not registered`);
    seen.add(brokerId);
  }
}

function invalid(why: string): EddyError {
  return controllerError('INVALID_REPLICA_ASSIGNMENT', `the replica assignment ${why}`);
}
