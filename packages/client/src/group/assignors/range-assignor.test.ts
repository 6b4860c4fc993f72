import { describe, expect, it } from 'vitest';
import { RangeAssignor } from './range-assignor.js';
import type { GroupAssignment } from './types.js';

const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

/** `t0p1`-style names per member, for readable expectations. */
function names(assignment: GroupAssignment): Record<string, string[]> {
  return Object.fromEntries([...assignment].map(([member, partitions]) => [member, partitions.map((tp) => `${tp.topic}p${tp.partition}`)]));
}

describe('RangeAssignor', () => {
  const range = new RangeAssignor();

  it("gives Kafka's javadoc example: two members, two topics of three partitions", () => {
    const assignment = range.assign(
      [
        { memberId: 'C0', subscription: ['t0', 't1'] },
        { memberId: 'C1', subscription: ['t0', 't1'] },
      ],
      counts({ t0: 3, t1: 3 }),
    );
    expect(names(assignment)).toEqual({ C0: ['t0p0', 't0p1', 't1p0', 't1p1'], C1: ['t0p2', 't1p2'] });
  });

  it('gives the first members the extra partitions, in contiguous ranges', () => {
    const assignment = range.assign(
      ['c', 'a', 'b'].map((memberId) => ({ memberId, subscription: ['t'] })),
      counts({ t: 7 }),
    );
    expect(names(assignment)).toEqual({ a: ['tp0', 'tp1', 'tp2'], b: ['tp3', 'tp4'], c: ['tp5', 'tp6'] });
    expect([...assignment.keys()]).toEqual(['a', 'b', 'c']);
  });

  it('orders static members by instance id, before dynamic members', () => {
    const assignment = range.assign(
      [
        { memberId: 'a', subscription: ['t'] },
        { memberId: 'z-new-id', groupInstanceId: 'i1', subscription: ['t'] },
        { memberId: 'b', groupInstanceId: 'i2', subscription: ['t'] },
      ],
      counts({ t: 3 }),
    );
    expect(names(assignment)).toEqual({ 'z-new-id': ['tp0'], b: ['tp1'], a: ['tp2'] });
  });

  it('assigns a topic only among its subscribers and skips topics without metadata', () => {
    const assignment = range.assign(
      [
        { memberId: 'a', subscription: ['t0', 'missing'] },
        { memberId: 'b', subscription: ['t0', 't1'] },
        { memberId: 'c', subscription: [] },
      ],
      counts({ t0: 2, t1: 2, unsubscribed: 4 }),
    );
    expect(names(assignment)).toEqual({ a: ['t0p0'], b: ['t0p1', 't1p0', 't1p1'], c: [] });
  });

  it('leaves extra members idle when there are more members than partitions', () => {
    const assignment = range.assign(
      ['m1', 'm2', 'm3', 'm4'].map((memberId) => ({ memberId, subscription: ['t'] })),
      counts({ t: 3 }),
    );
    expect(names(assignment)).toEqual({ m1: ['tp0'], m2: ['tp1'], m3: ['tp2'], m4: [] });
  });

  it('returns an empty assignment for no members', () => {
    expect(range.assign([], counts({ t: 3 })).size).toBe(0);
  });

  it('refuses the same member twice (a bug in the caller)', () => {
    expect(() =>
      range.assign(
        [
          { memberId: 'a', subscription: ['t'] },
          { memberId: 'a', subscription: ['t'] },
        ],
        counts({ t: 1 }),
      ),
    ).toThrow(/appears twice/);
  });
});
