import { describe, expect, it } from 'vitest';
import { StickyAssignor } from './sticky-assignor.js';
import type { AssignorMember, GroupAssignment, TopicPartition } from './types.js';

const counts = (entries: Record<string, number>): Map<string, number> => new Map(Object.entries(entries));

function names(assignment: GroupAssignment): Record<string, string[]> {
  return Object.fromEntries([...assignment].map(([member, partitions]) => [member, partitions.map((tp) => `${tp.topic}p${tp.partition}`)]));
}

function parse(name: string): TopicPartition {
  const match = /^(.+)p(\d+)$/.exec(name);
  if (match === null) throw new Error(`bad name ${name}`);
  return { topic: match[1]!, partition: Number(match[2]) };
}

function owning(memberId: string, subscription: string[], owned: string[], generationId = 1): AssignorMember {
  return { memberId, subscription, ownedPartitions: owned.map(parse), generationId };
}

describe('StickyAssignor', () => {
  const sticky = new StickyAssignor();
  const fourTopics = counts({ t0: 2, t1: 2, t2: 2, t3: 2 });
  const all = ['t0', 't1', 't2', 't3'];

  it('starts balanced, like round-robin', () => {
    const assignment = sticky.assign(
      ['C0', 'C1', 'C2'].map((memberId) => ({ memberId, subscription: all })),
      fourTopics,
    );
    expect(names(assignment)).toEqual({ C0: ['t0p0', 't1p1', 't3p0'], C1: ['t0p1', 't2p0', 't3p1'], C2: ['t1p0', 't2p1'] });
  });

  it("keeps the survivors' partitions when a member leaves (Kafka's javadoc example)", () => {
    const assignment = sticky.assign(
      [owning('C0', all, ['t0p0', 't1p1', 't3p0']), owning('C2', all, ['t1p0', 't2p1'])],
      fourTopics,
    );
    expect(names(assignment)).toEqual({ C0: ['t0p0', 't1p1', 't2p0', 't3p0'], C2: ['t0p1', 't1p0', 't2p1', 't3p1'] });
  });

  it('moves only what the joining member needs', () => {
    const assignment = sticky.assign(
      [owning('C0', all, ['t0p0', 't1p1', 't2p0', 't3p0']), owning('C2', all, ['t0p1', 't1p0', 't2p1', 't3p1']), { memberId: 'C3', subscription: all }],
      fourTopics,
    );
    const result = names(assignment);
    expect(result['C3']).toHaveLength(2);
    expect(result['C0']).toHaveLength(3);
    expect(result['C2']).toHaveLength(3);
    for (const kept of result['C0']!) expect(['t0p0', 't1p1', 't2p0', 't3p0']).toContain(kept);
    for (const kept of result['C2']!) expect(['t0p1', 't1p0', 't2p1', 't3p1']).toContain(kept);
  });

  it("handles different subscriptions like Kafka's javadoc example", () => {
    const topics = counts({ t0: 1, t1: 2, t2: 3 });
    const fresh = sticky.assign(
      [
        { memberId: 'C0', subscription: ['t0'] },
        { memberId: 'C1', subscription: ['t0', 't1'] },
        { memberId: 'C2', subscription: ['t0', 't1', 't2'] },
      ],
      topics,
    );
    expect(names(fresh)).toEqual({ C0: ['t0p0'], C1: ['t1p0', 't1p1'], C2: ['t2p0', 't2p1', 't2p2'] });
    const afterC0Leaves = sticky.assign([owning('C1', ['t0', 't1'], ['t1p0', 't1p1']), owning('C2', ['t0', 't1', 't2'], ['t2p0', 't2p1', 't2p2'])], topics);
    expect(names(afterC0Leaves)).toEqual({ C1: ['t0p0', 't1p0', 't1p1'], C2: ['t2p0', 't2p1', 't2p2'] });
  });

  it('drops claims on partitions that are gone or no longer subscribed', () => {
    const assignment = sticky.assign(
      [owning('a', ['t0'], ['t0p0', 't0p7', 't1p0', 'gonep0']), owning('b', ['t0', 't1'], ['t1p1'])],
      counts({ t0: 2, t1: 2 }),
    );
    expect(names(assignment)).toEqual({ a: ['t0p0', 't0p1'], b: ['t1p0', 't1p1'] });
  });

  it('resolves conflicting claims by generation, and drops equal claims', () => {
    const newer = sticky.assign([owning('a', ['t'], ['tp0', 'tp1'], 3), owning('b', ['t'], ['tp0'], 4), { memberId: 'c', subscription: ['t'] }], counts({ t: 3 }));
    expect(newer.get('b')).toEqual([{ topic: 't', partition: 0 }]);
    expect(newer.get('a')).toEqual([{ topic: 't', partition: 1 }]);
    expect(newer.get('c')).toEqual([{ topic: 't', partition: 2 }]);

    const equal = sticky.assign([owning('a', ['t'], ['tp0'], 4), owning('b', ['t'], ['tp0', 'tp1'], 4)], counts({ t: 2 }));
    // tp0 is contested, so neither keeps it for stickiness' sake; b keeps tp1.
    expect(equal.get('b')).toEqual([{ topic: 't', partition: 1 }]);
    expect(equal.get('a')).toEqual([{ topic: 't', partition: 0 }]);
  });

  it('sheds from a member that owns more than its share', () => {
    const assignment = sticky.assign([owning('a', ['t'], ['tp0', 'tp1', 'tp2', 'tp3']), { memberId: 'b', subscription: ['t'] }], counts({ t: 4 }));
    expect(assignment.get('a')).toHaveLength(2);
    expect(assignment.get('b')).toHaveLength(2);
  });
});
