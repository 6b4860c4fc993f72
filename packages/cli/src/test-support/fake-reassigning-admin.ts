import { EddyError } from '@eddy/base';
import type { BrokerDescription, ClusterDescription, PartitionReassignment, QuorumDescription, TopicDescription, TopicPartition } from '@eddy/client';
import type { DecommissionAdmin } from '../commands/broker-decommission.js';

interface FakePartition {
  readonly topic: string;
  readonly partition: number;
  replicas: number[];
}

interface Move {
  readonly target: readonly number[];
  pollsLeft: number;
}

/**
 * The admin calls of `rebalance` and `brokers decommission`, over an in-memory cluster: a move
 * completes after `pollsPerMove` ListPartitionReassignments calls, a reorder at once. It counts
 * the moves in flight, so tests can check the waves' bound.
 */
export class FakeReassigningAdmin implements DecommissionAdmin {
  readonly partitions: FakePartition[] = [];
  readonly brokers = new Map<number, { fenced: boolean }>();
  readonly moves = new Map<string, Move>();
  readonly alterCalls: number[] = [];
  movesInFlightMax = 0;

  constructor(
    brokerIds: readonly number[],
    readonly voters: readonly number[],
    readonly pollsPerMove = 2,
  ) {
    for (const id of brokerIds) this.brokers.set(id, { fenced: false });
  }

  addTopic(topic: string, assignment: readonly (readonly number[])[]): void {
    assignment.forEach((replicas, partition) => this.partitions.push({ topic, partition, replicas: [...replicas] }));
  }

  replicasOf(topic: string, partition: number): readonly number[] {
    return this.find({ topic, partition }).replicas;
  }

  alterPartitionReassignments(reassignments: readonly { readonly topic: string; readonly partition: number; readonly replicas: readonly number[] }[]): Promise<void> {
    this.alterCalls.push(reassignments.length);
    for (const r of reassignments) {
      const partition = this.find(r);
      const sameSet = r.replicas.length === partition.replicas.length && r.replicas.every((id) => partition.replicas.includes(id));
      if (sameSet) partition.replicas = [...r.replicas];
      else this.moves.set(key(r), { target: r.replicas, pollsLeft: this.pollsPerMove });
    }
    this.movesInFlightMax = Math.max(this.movesInFlightMax, this.moves.size);
    return Promise.resolve();
  }

  listPartitionReassignments(partitions?: readonly TopicPartition[]): Promise<PartitionReassignment[]> {
    const wanted = partitions === undefined || partitions.length === 0 ? undefined : new Set(partitions.map(key));
    const ongoing: PartitionReassignment[] = [];
    for (const [name, move] of this.moves) {
      const partition = this.partitions.find((p) => key(p) === name);
      if (partition === undefined || (wanted !== undefined && !wanted.has(name))) continue;
      move.pollsLeft--;
      if (move.pollsLeft <= 0) {
        partition.replicas = [...move.target];
        this.moves.delete(name);
        continue;
      }
      const adding = move.target.filter((id) => !partition.replicas.includes(id));
      const removing = partition.replicas.filter((id) => !move.target.includes(id));
      ongoing.push({ topic: partition.topic, partition: partition.partition, replicas: [...move.target, ...removing], addingReplicas: adding, removingReplicas: removing });
    }
    return Promise.resolve(ongoing);
  }

  describeCluster(options: { readonly includeFencedBrokers?: boolean } = {}): Promise<ClusterDescription> {
    const brokers: BrokerDescription[] = [...this.brokers]
      .filter(([, state]) => options.includeFencedBrokers === true || !state.fenced)
      .map(([brokerId, state]) => ({ brokerId, host: '127.0.0.1', port: 9091 + brokerId, rack: '', isFenced: state.fenced, inControlledShutdown: false, brokerEpoch: 1n, incarnationId: `i${brokerId}` }));
    return Promise.resolve({ clusterId: 'fake', controller: this.voters[0] ?? -1, brokers });
  }

  describeTopics(): Promise<TopicDescription[]> {
    const names = [...new Set(this.partitions.map((p) => p.topic))].sort();
    return Promise.resolve(
      names.map((topic) => ({
        topic,
        topicId: topic,
        isInternal: topic.startsWith('__'),
        partitions: this.partitions
          .filter((p) => p.topic === topic)
          .map((p) => {
            const move = this.moves.get(key(p));
            const removing = move === undefined ? [] : p.replicas.filter((id) => !move.target.includes(id));
            const replicas = move === undefined ? p.replicas : [...move.target, ...removing];
            return {
              partition: p.partition,
              leader: p.replicas[0] ?? -1,
              leaderEpoch: 0,
              replicas,
              isr: p.replicas,
              offlineReplicas: [],
              state: 'Online' as const,
              addingReplicas: move === undefined ? [] : move.target.filter((id) => !p.replicas.includes(id)),
              removingReplicas: removing,
            };
          }),
      })),
    );
  }

  describeQuorum(): Promise<QuorumDescription> {
    const replica = (replicaId: number): QuorumDescription['voters'][number] => ({ replicaId, logEndIndex: 0n, lastFetchTimestampMs: 0, lastCaughtUpTimestampMs: 0, host: '127.0.0.1', port: 9091 + replicaId });
    return Promise.resolve({ clusterId: 'fake', leaderId: this.voters[0] ?? -1, term: 1n, commitIndex: 0n, voters: this.voters.map(replica), observers: [] });
  }

  unregisterBroker(brokerId: number): Promise<void> {
    if (!this.brokers.has(brokerId)) return Promise.reject(new EddyError('BROKER_ID_NOT_REGISTERED', `broker ${brokerId} is not registered`));
    const held = this.partitions.filter((p) => p.replicas.includes(brokerId) || this.moves.get(key(p))?.target.includes(brokerId) === true);
    if (held.length > 0) return Promise.reject(new EddyError('INVALID_REQUEST', `broker ${brokerId} still holds replicas of ${held.map(key).join(', ')}`));
    this.brokers.delete(brokerId);
    return Promise.resolve();
  }

  private find(ref: TopicPartition): FakePartition {
    const partition = this.partitions.find((p) => key(p) === key(ref));
    if (partition === undefined) throw new EddyError('UNKNOWN_TOPIC_OR_PARTITION', `no partition ${key(ref)}`);
    return partition;
  }
}

function key(ref: TopicPartition): string {
  return `${ref.topic}-${ref.partition}`;
}
