import type { PartitionDescription } from '@eddy/client';
import { describe, expect, it } from 'vitest';
import { formatTopic } from './topics.js';

const partition = (overrides: Partial<PartitionDescription>): PartitionDescription => ({
  partition: 0,
  leader: 1,
  leaderEpoch: 0,
  replicas: [1, 2, 3],
  isr: [1, 2, 3],
  offlineReplicas: [],
  state: 'Online',
  addingReplicas: [],
  removingReplicas: [],
  ...overrides,
});

describe('formatTopic', () => {
  it("prints Kafka's header and partition lines", () => {
    const text = formatTopic({ topic: 'orders', topicId: 'id', isInternal: false, partitions: [partition({}), partition({ partition: 1, leader: -1, isr: [], state: 'Offline' })] }, 'min.insync.replicas=2', true);
    expect(text).toBe(
      'Topic: orders\tPartitionCount: 2\tReplicationFactor: 3\tConfigs: min.insync.replicas=2\n' +
        '\tTopic: orders\tPartition: 0\tLeader: 1\tReplicas: 1,2,3\tIsr: 1,2,3\tState: Online\n' +
        '\tTopic: orders\tPartition: 1\tLeader: none\tReplicas: 1,2,3\tIsr: \tState: Offline\n',
    );
  });

  it('names the replicas a reassignment adds and removes, and counts the replication factor it leads to', () => {
    const moving = partition({ replicas: [4, 1, 2, 3], isr: [1, 2, 3], addingReplicas: [4], removingReplicas: [2, 3] });
    const text = formatTopic({ topic: 't', topicId: 'id', isInternal: false, partitions: [moving] }, '', true);
    expect(text).toBe(
      'Topic: t\tPartitionCount: 1\tReplicationFactor: 2\tConfigs: \n' +
        '\tTopic: t\tPartition: 0\tLeader: 1\tReplicas: 4,1,2,3\tIsr: 1,2,3\tAdding Replicas: 4\tRemoving Replicas: 2,3\tState: Online\n',
    );
  });
});
