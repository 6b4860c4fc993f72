import { EddyError, type Prng } from '@eddy/base';
import { type PlacementBroker, placeReplicas } from '@eddy/broker';
import type { PartitionReplicas } from './reassignment-json.js';

export interface TopicAssignment {
  readonly topic: string;
  /** Each partition's replicas now, preferred leader first. */
  readonly partitions: readonly { readonly partition: number; readonly replicas: readonly number[] }[];
}

/** Parses `--broker-list 1,2,3`: distinct non-negative broker ids. */
export function parseBrokerList(text: string): number[] {
  const ids = text.split(',').map((part) => part.trim());
  if (ids.some((id) => !/^\d+$/.test(id) || !Number.isSafeInteger(Number(id)))) {
    throw new EddyError('INVALID_REQUEST', `--broker-list must be broker ids separated by commas, got ${JSON.stringify(text)}`);
  }
  const brokers = ids.map(Number);
  if (new Set(brokers).size !== brokers.length) throw new EddyError('INVALID_REQUEST', `--broker-list names a broker twice: ${text}`);
  return brokers;
}

/**
 * `reassign generate`: a new placement of every partition of `topics` over `brokers`, with
 * each topic's replication factor kept, by the controller's own algorithm (Kafka's: leaders
 * round-robin from a random start, followers shifted, racks spread when every broker has one).
 */
export function proposeReassignment(topics: readonly TopicAssignment[], brokers: readonly PlacementBroker[], prng: Prng): PartitionReplicas[] {
  return topics.flatMap((topic) => {
    const sorted = [...topic.partitions].sort((a, b) => a.partition - b.partition);
    const replicationFactor = Math.max(0, ...sorted.map((p) => p.replicas.length));
    if (replicationFactor > brokers.length) {
      throw new EddyError('INVALID_REPLICATION_FACTOR', `topic ${topic.topic} has replication factor ${replicationFactor}, more than the ${brokers.length} brokers of --broker-list`);
    }
    const placement = placeReplicas(brokers, { partitionCount: sorted.length, replicationFactor }, prng);
    return sorted.map((p, i) => ({ topic: topic.topic, partition: p.partition, replicas: placement[i] ?? [] }));
  });
}

/** The assignment as a reassignment file holds it (what `execute` prints for a rollback). */
export function currentAssignment(topics: readonly TopicAssignment[]): PartitionReplicas[] {
  return topics.flatMap((topic) => topic.partitions.map((p) => ({ topic: topic.topic, partition: p.partition, replicas: p.replicas })));
}
