import { describe, expect, it } from 'vitest';
import { checkManualAssignment, type ReplicaAssignment } from './manual-assignment.js';

const registered = new Set([1, 2, 3]);
const rules = { firstPartition: 0, isRegistered: (id: number) => registered.has(id) };

function assigned(...lists: (readonly number[])[]): ReplicaAssignment[] {
  return lists.map((replicas, partition) => ({ partition, replicas }));
}

describe('checkManualAssignment', () => {
  it('returns the replica lists in partition order, whatever order they came in', () => {
    const assignments = [
      { partition: 2, replicas: [1, 2] },
      { partition: 0, replicas: [3, 1] },
      { partition: 1, replicas: [2, 3] },
    ];
    expect(checkManualAssignment(assignments, rules)).toEqual([
      [3, 1],
      [2, 3],
      [1, 2],
    ]);
  });

  it('places new partitions after the existing ones with the existing replica count', () => {
    const assignments = [
      { partition: 3, replicas: [2, 1] },
      { partition: 4, replicas: [3, 2] },
    ];
    expect(checkManualAssignment(assignments, { ...rules, firstPartition: 3, replicationFactor: 2 })).toEqual([
      [2, 1],
      [3, 2],
    ]);
  });

  it.each([
    ['an empty replica list', assigned([1], []), 'empty replica list'],
    ['a broker named twice', assigned([1, 2, 1]), 'names broker 1 twice'],
    ['an unregistered broker', assigned([1, 7]), 'broker 7, which is not registered'],
    ['replica counts that differ', assigned([1, 2], [3]), 'gives partition 1 1 replicas, but the other partitions have 2'],
    ['a partition named twice', [...assigned([1]), { partition: 0, replicas: [2] }], 'names partition 0 twice'],
    ['a gap in the partitions', [...assigned([1]), { partition: 2, replicas: [2] }], 'partitions 0 to 1 each once (got 0,2)'],
    ['partitions not starting at 0', [{ partition: 1, replicas: [1] }], 'partitions 0 to 0 each once (got 1)'],
    ['a negative partition', [{ partition: -1, replicas: [1] }], 'partitions 0 to 0 each once (got -1)'],
  ] as const)('refuses %s', (_, assignments, message) => {
    expect(() => checkManualAssignment(assignments, rules)).toThrow(expect.objectContaining({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining(message) }));
  });

  it('refuses new partitions that do not continue the existing count or differ from its replication factor', () => {
    const growing = { ...rules, firstPartition: 2, replicationFactor: 2 };
    expect(() => checkManualAssignment([{ partition: 0, replicas: [1, 2] }], growing)).toThrow(
      expect.objectContaining({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining('partitions 2 to 2') }),
    );
    expect(() => checkManualAssignment([{ partition: 2, replicas: [1, 2, 3] }], growing)).toThrow(
      expect.objectContaining({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining('3 replicas, but the other partitions have 2') }),
    );
  });
});
