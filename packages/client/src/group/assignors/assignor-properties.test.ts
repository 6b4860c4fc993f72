import { Prng } from '@eddy/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareTopicPartitions } from './assignment-input.js';
import { createAssignor } from './index.js';
import { StickyAssignor } from './sticky-assignor.js';
import type { AssignorMember, AssignorName, GroupAssignment, TopicPartition } from './types.js';

const TOPICS = ['a', 'b', 'c', 'd'] as const;
const NAMES: readonly AssignorName[] = ['range', 'roundrobin', 'sticky'];

interface Scenario {
  readonly members: AssignorMember[];
  readonly partitionCounts: Map<string, number>;
}

const key = (tp: TopicPartition): string => `${tp.topic}-${tp.partition}`;

/** Random members (some static) with random subscriptions and random, possibly stale or conflicting, claims. */
const scenarioArb = (options: { homogeneous: boolean; owned: boolean }): fc.Arbitrary<Scenario> =>
  fc
    .record({
      counts: fc.array(fc.integer({ min: 0, max: 12 }), { minLength: TOPICS.length, maxLength: TOPICS.length }),
      shared: fc.subarray([...TOPICS], { minLength: 1 }),
      members: fc.array(
        fc.record({
          subscription: fc.subarray([...TOPICS]),
          isStatic: fc.boolean(),
          owned: fc.array(fc.record({ topic: fc.constantFrom(...TOPICS, 'gone'), partition: fc.integer({ min: 0, max: 14 }) }), { maxLength: 8 }),
          generationId: fc.integer({ min: -1, max: 3 }),
        }),
        { maxLength: 8 },
      ),
    })
    .map(({ counts, shared, members }) => ({
      partitionCounts: new Map(TOPICS.map((topic, i) => [topic, counts[i] ?? 0])),
      members: members.map((m, i) => ({
        memberId: `m${(i * 7) % 11}-${i}`,
        ...(m.isStatic ? { groupInstanceId: `instance-${(i * 5) % 8}-${i}` } : {}),
        subscription: options.homogeneous ? shared : m.subscription,
        ...(options.owned ? { ownedPartitions: m.owned, generationId: m.generationId } : {}),
      })),
    }));

/** Every partition of a subscribed topic goes to exactly one member that subscribes to its topic. */
function expectValid(scenario: Scenario, assignment: GroupAssignment): void {
  expect(new Set(assignment.keys())).toEqual(new Set(scenario.members.map((m) => m.memberId)));
  const subscribed = new Set(scenario.members.flatMap((m) => m.subscription));
  const expected = new Set<string>();
  for (const [topic, count] of scenario.partitionCounts) {
    if (!subscribed.has(topic)) continue;
    for (let partition = 0; partition < count; partition++) expected.add(key({ topic, partition }));
  }
  const seen = new Set<string>();
  for (const member of scenario.members) {
    const partitions = assignment.get(member.memberId) ?? [];
    expect([...partitions].sort(compareTopicPartitions)).toEqual(partitions);
    for (const tp of partitions) {
      expect(member.subscription).toContain(tp.topic);
      expect(seen.has(key(tp))).toBe(false);
      seen.add(key(tp));
    }
  }
  expect(seen).toEqual(expected);
}

/** The same scenario with members, subscriptions, claims and topics in another order. */
function shuffled(scenario: Scenario, seed: number): Scenario {
  const prng = new Prng(seed);
  return {
    partitionCounts: new Map(prng.shuffle([...scenario.partitionCounts])),
    members: prng.shuffle(scenario.members).map((m) => ({
      ...m,
      subscription: prng.shuffle(m.subscription),
      ...(m.ownedPartitions === undefined ? {} : { ownedPartitions: prng.shuffle(m.ownedPartitions) }),
    })),
  };
}

const sizes = (assignment: GroupAssignment): number[] => [...assignment.values()].map((p) => p.length);
const spread = (values: number[]): number => (values.length === 0 ? 0 : Math.max(...values) - Math.min(...values));

/** The assignment as the next generation's claims. */
function owningNow(members: readonly AssignorMember[], assignment: GroupAssignment, generationId: number): AssignorMember[] {
  return members.map((m) => ({ ...m, ownedPartitions: assignment.get(m.memberId) ?? [], generationId }));
}

describe.each(NAMES)('%s assignor properties', (name) => {
  const assignor = createAssignor(name);

  it('assigns every subscribed partition exactly once, to a subscriber', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: false, owned: true }), (scenario) => {
        expectValid(scenario, assignor.assign(scenario.members, scenario.partitionCounts));
      }),
      { numRuns: 300 },
    );
  });

  it('gives the same output for the same input in any order', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: false, owned: true }), fc.integer({ min: 0, max: 2 ** 31 }), (scenario, seed) => {
        const once = assignor.assign(scenario.members, scenario.partitionCounts);
        const again = assignor.assign(shuffled(scenario, seed).members, shuffled(scenario, seed + 1).partitionCounts);
        expect([...again]).toEqual([...once]);
      }),
      { numRuns: 300 },
    );
  });

  it('balances identical subscriptions', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: true, owned: name === 'sticky' }), (scenario) => {
        const assignment = assignor.assign(scenario.members, scenario.partitionCounts);
        if (name === 'range') {
          // Range balances each topic; totals may differ by one per topic.
          for (const topic of TOPICS) {
            const perTopic = [...assignment.values()].map((ps) => ps.filter((tp) => tp.topic === topic).length);
            if (scenario.members[0]?.subscription.includes(topic) ?? false) expect(spread(perTopic)).toBeLessThanOrEqual(1);
          }
        } else {
          expect(spread(sizes(assignment))).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('sticky assignor properties', () => {
  const sticky = new StickyAssignor();

  it("is balanced in Kafka's sense and within one among members of equal subscription", () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: false, owned: true }), (scenario) => {
        const assignment = sticky.assign(scenario.members, scenario.partitionCounts);
        for (const a of scenario.members) {
          for (const b of scenario.members) {
            const countA = assignment.get(a.memberId)?.length ?? 0;
            const countB = assignment.get(b.memberId)?.length ?? 0;
            if (countA < countB + 2) continue;
            // A has two more than B: none of A's partitions may be movable to B.
            for (const tp of assignment.get(a.memberId) ?? []) expect(b.subscription).not.toContain(tp.topic);
            expect(new Set(a.subscription)).not.toEqual(new Set(b.subscription));
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it('moves nothing when the group and topics are unchanged', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: false, owned: true }), (scenario) => {
        const first = sticky.assign(scenario.members, scenario.partitionCounts);
        const second = sticky.assign(owningNow(scenario.members, first, 5), scenario.partitionCounts);
        expect([...second]).toEqual([...first]);
      }),
      { numRuns: 300 },
    );
  });

  it("moves only the leaver's partitions when a member leaves", () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: true, owned: true }), fc.nat(), (scenario, pick) => {
        fc.pre(scenario.members.length >= 2);
        const before = sticky.assign(scenario.members, scenario.partitionCounts);
        const leaver = scenario.members[pick % scenario.members.length]!;
        const stayers = owningNow(scenario.members, before, 5).filter((m) => m.memberId !== leaver.memberId);
        const after = sticky.assign(stayers, scenario.partitionCounts);
        expectValid({ members: stayers, partitionCounts: scenario.partitionCounts }, after);
        for (const member of stayers) {
          const now = new Set((after.get(member.memberId) ?? []).map(key));
          for (const tp of before.get(member.memberId) ?? []) expect(now.has(key(tp))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('moves the minimum, floor(P / members), to a joining member and nothing else', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: true, owned: true }), (scenario) => {
        fc.pre(scenario.members.length >= 1);
        const before = sticky.assign(scenario.members, scenario.partitionCounts);
        const joiner: AssignorMember = { memberId: 'joiner', subscription: scenario.members[0]!.subscription };
        const members = [...owningNow(scenario.members, before, 5), joiner];
        const after = sticky.assign(members, scenario.partitionCounts);
        expectValid({ members, partitionCounts: scenario.partitionCounts }, after);
        const total = sizes(before).reduce((x, y) => x + y, 0);
        expect(after.get('joiner')).toHaveLength(Math.floor(total / members.length));
        for (const member of scenario.members) {
          const was = new Set((before.get(member.memberId) ?? []).map(key));
          for (const tp of after.get(member.memberId) ?? []) expect(was.has(key(tp))).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('keeps every valid claim of a balanced previous assignment when partitions are added', () => {
    fc.assert(
      fc.property(scenarioArb({ homogeneous: true, owned: false }), fc.integer({ min: 1, max: 6 }), (scenario, added) => {
        const before = sticky.assign(scenario.members, scenario.partitionCounts);
        const grown = new Map([...scenario.partitionCounts].map(([topic, count]) => [topic, count + added]));
        const after = sticky.assign(owningNow(scenario.members, before, 1), grown);
        expectValid({ members: scenario.members, partitionCounts: grown }, after);
        expect(spread(sizes(after))).toBeLessThanOrEqual(1);
        for (const member of scenario.members) {
          const now = new Set((after.get(member.memberId) ?? []).map(key));
          for (const tp of before.get(member.memberId) ?? []) expect(now.has(key(tp))).toBe(true);
        }
      }),
      { numRuns: 300 },
    );
  });
});
