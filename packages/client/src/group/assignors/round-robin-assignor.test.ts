import { describe, expect, it } from 'vitest';
import { RoundRobinAssignor } from './round-robin-assignor.js';
import type { GroupAssignment } from './types.js';

const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

function names(assignment: GroupAssignment): Record<string, string[]> {
  return Object.fromEntries([...assignment].map(([member, partitions]) => [member, partitions.map((tp) => `${tp.topic}p${tp.partition}`)]));
}

describe('RoundRobinAssignor', () => {
  const roundRobin = new RoundRobinAssignor();

  it("gives Kafka's javadoc example with identical subscriptions", () => {
    const assignment = roundRobin.assign(
      [
        { memberId: 'C1', subscription: ['t1', 't0'] },
        { memberId: 'C0', subscription: ['t0', 't1'] },
      ],
      counts({ t0: 3, t1: 3 }),
    );
    expect(names(assignment)).toEqual({ C0: ['t0p0', 't0p2', 't1p1'], C1: ['t0p1', 't1p0', 't1p2'] });
  });

  it("gives Kafka's javadoc example with different subscriptions, skipping non-subscribers", () => {
    const assignment = roundRobin.assign(
      [
        { memberId: 'C0', subscription: ['t0'] },
        { memberId: 'C1', subscription: ['t0', 't1'] },
        { memberId: 'C2', subscription: ['t0', 't1', 't2'] },
      ],
      counts({ t0: 1, t1: 2, t2: 3 }),
    );
    expect(names(assignment)).toEqual({ C0: ['t0p0'], C1: ['t1p0'], C2: ['t1p1', 't2p0', 't2p1', 't2p2'] });
  });

  it('deals in static-first member order', () => {
    const assignment = roundRobin.assign(
      [
        { memberId: 'a', subscription: ['t'] },
        { memberId: 'b', groupInstanceId: 'x', subscription: ['t'] },
      ],
      counts({ t: 3 }),
    );
    expect(names(assignment)).toEqual({ b: ['tp0', 'tp2'], a: ['tp1'] });
  });

  it('leaves extra members idle', () => {
    const assignment = roundRobin.assign(
      ['a', 'b', 'c'].map((memberId) => ({ memberId, subscription: ['t'] })),
      counts({ t: 2 }),
    );
    expect(names(assignment)).toEqual({ a: ['tp0'], b: ['tp1'], c: [] });
  });
});
