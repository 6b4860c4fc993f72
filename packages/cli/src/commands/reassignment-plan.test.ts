import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { parseBrokerList, proposeReassignment } from './reassignment-plan.js';

const brokers = (...ids: number[]) => ids.map((brokerId) => ({ brokerId, rack: null }));

describe('reassign generate', () => {
  it('places every partition on the listed brokers, keeping each topic\'s replication factor', () => {
    const topics = [
      { topic: 'a', partitions: [0, 1, 2, 3].map((partition) => ({ partition, replicas: [1, 2] })) },
      { topic: 'b', partitions: [{ partition: 0, replicas: [1] }] },
    ];
    const proposed = proposeReassignment(topics, brokers(3, 4, 5), new Prng(7));
    expect(proposed.map((p) => `${p.topic}-${p.partition}`)).toEqual(['a-0', 'a-1', 'a-2', 'a-3', 'b-0']);
    for (const p of proposed) {
      expect(p.replicas).toHaveLength(p.topic === 'a' ? 2 : 1);
      expect(new Set(p.replicas).size).toBe(p.replicas.length);
      expect(p.replicas.every((id) => [3, 4, 5].includes(id))).toBe(true);
    }
    // Leaders go round-robin over the brokers.
    expect(new Set(proposed.filter((p) => p.topic === 'a').slice(0, 3).map((p) => p.replicas[0])).size).toBe(3);
    expect(proposeReassignment(topics, brokers(3, 4, 5), new Prng(7))).toEqual(proposed);
  });

  it('spreads replicas over racks when every broker has one', () => {
    const racked = [
      { brokerId: 1, rack: 'r1' },
      { brokerId: 2, rack: 'r1' },
      { brokerId: 3, rack: 'r2' },
      { brokerId: 4, rack: 'r2' },
    ];
    const proposed = proposeReassignment([{ topic: 't', partitions: [0, 1, 2, 3].map((partition) => ({ partition, replicas: [9, 8] })) }], racked, new Prng(3));
    for (const p of proposed) expect(new Set(p.replicas.map((id) => racked.find((b) => b.brokerId === id)?.rack)).size).toBe(2);
  });

  it('refuses a replication factor larger than the broker list', () => {
    expect(() => proposeReassignment([{ topic: 't', partitions: [{ partition: 0, replicas: [1, 2, 3] }] }], brokers(1, 2), new Prng(1))).toThrow(
      expect.objectContaining({ code: 'INVALID_REPLICATION_FACTOR' }),
    );
  });

  it.each(['', '1,,2', 'a', '1,-2', '1.5', '1,1'])('refuses --broker-list %j', (text) => {
    expect(() => parseBrokerList(text)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });

  it('reads a broker list with spaces', () => {
    expect(parseBrokerList('1, 2,3')).toEqual([1, 2, 3]);
  });
});
