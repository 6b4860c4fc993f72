import type { PlacementBroker } from '@eddy/broker';
import type { Admin, BrokerDescription } from '@eddy/client';
import type { PartitionLayout } from './balance-plan.js';

/** What the balance planners start from: every registered broker, those that can take replicas, every partition. */
export interface ClusterLayout {
  /** Every registered broker, fenced ones included. */
  readonly brokers: readonly BrokerDescription[];
  /** Brokers that may take replicas and leadership: unfenced and not shutting down. */
  readonly eligible: readonly PlacementBroker[];
  /** Every partition (internal topics included) with the replicas it will have once ongoing moves finish. */
  readonly partitions: readonly PartitionLayout[];
}

export async function readClusterLayout(admin: Pick<Admin, 'describeCluster' | 'describeTopics'>): Promise<ClusterLayout> {
  const cluster = await admin.describeCluster({ includeFencedBrokers: true });
  const topics = await admin.describeTopics();
  const eligible = cluster.brokers
    .filter((broker) => !broker.isFenced && !broker.inControlledShutdown)
    .map((broker) => ({ brokerId: broker.brokerId, rack: broker.rack === '' ? null : broker.rack }));
  const partitions = topics.flatMap((topic) =>
    topic.partitions.map((p) => ({
      topic: topic.topic,
      partition: p.partition,
      replicas: p.replicas.filter((id) => !p.removingReplicas.includes(id)),
      leader: p.leader,
      isr: p.isr,
    })),
  );
  return { brokers: cluster.brokers, eligible, partitions };
}
