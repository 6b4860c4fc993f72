import { Prng } from '@eddy/base';
import { placeReplicas } from '@eddy/broker';
import { describe, expect, it } from 'vitest';
import { addedReplicas, type BalancePlan, isBalanced, movesData, type PartitionLayout, planDecommission, planRebalance } from './balance-plan.js';

const brokers = (ids: readonly number[], racks?: readonly string[]): { brokerId: number; rack: string | null }[] =>
  ids.map((brokerId, i) => ({ brokerId, rack: racks?.[i] ?? null }));

/** A topic with the given replica lists, led by the preferred replicas, every replica in sync. */
function topic(name: string, assignment: readonly (readonly number[])[]): PartitionLayout[] {
  return assignment.map((replicas, partition) => ({ topic: name, partition, replicas, leader: replicas[0] ?? -1, isr: replicas }));
}

/** The layout after the plan ran and leaders were elected. */
function applied(partitions: readonly PartitionLayout[], plan: BalancePlan): PartitionLayout[] {
  return partitions.map((p) => {
    const change = plan.changes.find((c) => c.topic === p.topic && c.partition === p.partition);
    const replicas = change?.newReplicas ?? p.replicas;
    return { ...p, replicas, isr: replicas, leader: replicas[0] ?? -1 };
  });
}

function spread(plan: BalancePlan, field: 'replicas' | 'leaders'): number {
  const counts = plan.after.map((load) => load[field]);
  return Math.max(...counts) - Math.min(...counts);
}

function expectValid(plan: BalancePlan): void {
  for (const change of plan.changes) expect(new Set(change.newReplicas).size, `${change.topic}-${change.partition}`).toBe(change.replicas.length);
  for (const change of plan.changes) expect(change.newReplicas.length).toBe(change.replicas.length);
}

describe('planRebalance', () => {
  it('spreads replicas and leaders onto a new broker with the fewest moves', () => {
    // 12 partitions of RF 3 on brokers 1-3 (36 replicas): 9 per broker over 4 brokers means 9 moves, all onto broker 4.
    const partitions = topic('t', placeReplicas(brokers([1, 2, 3]), { partitionCount: 12, replicationFactor: 3 }, new Prng(7)));
    const plan = planRebalance(partitions, brokers([1, 2, 3, 4]));
    expectValid(plan);
    expect(plan.changes.filter(movesData)).toHaveLength(9);
    expect(plan.after.map((load) => load.replicas)).toEqual([9, 9, 9, 9]);
    expect(plan.after.map((load) => load.leaders)).toEqual([3, 3, 3, 3]);
    for (const change of plan.changes.filter(movesData)) {
      expect(addedReplicas(change)).toEqual([4]);
    }
    expect(plan.before.map((load) => load.replicas)).toEqual([12, 12, 12, 0]);
  });

  it('plans nothing on a balanced cluster, and nothing again after its own plan', () => {
    const balanced = topic('t', placeReplicas(brokers([1, 2, 3, 4]), { partitionCount: 8, replicationFactor: 3 }, new Prng(3)));
    expect(isBalanced(planRebalance(balanced, brokers([1, 2, 3, 4])))).toBe(true);

    const skewed = [...topic('a', [[1, 2], [1, 2], [1, 3], [1, 2], [2, 1]]), ...topic('b', [[1], [1], [2]])];
    const plan = planRebalance(skewed, brokers([1, 2, 3, 4, 5]));
    expect(isBalanced(plan)).toBe(false);
    expect(spread(plan, 'replicas')).toBeLessThanOrEqual(1);
    expect(spread(plan, 'leaders')).toBeLessThanOrEqual(1);
    expect(isBalanced(planRebalance(applied(skewed, plan), brokers([1, 2, 3, 4, 5])))).toBe(true);
  });

  it('over random clusters: valid, within one of even where unconstrained, and a fixed point', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const prng = new Prng(seed);
      const brokerCount = prng.intBetween(2, 7);
      const racked = prng.chance(0.5);
      const all = brokers(
        Array.from({ length: brokerCount }, (_, i) => i + 1),
        racked ? Array.from({ length: brokerCount }, (_, i) => `r${i % 3}`) : undefined,
      );
      // Topics placed over a random subset of the brokers, as if the others joined later.
      const old = prng.shuffle(all).slice(0, prng.intBetween(1, brokerCount));
      const partitions = Array.from({ length: prng.intBetween(1, 4) }, (_, i) =>
        topic(`t${i}`, placeReplicas(old, { partitionCount: prng.intBetween(1, 12), replicationFactor: prng.intBetween(1, old.length) }, prng)),
      ).flat();
      const plan = planRebalance(partitions, all);
      expectValid(plan);
      const rackCount = (replicas: readonly number[]): number => new Set(replicas.map((id) => all.find((b) => b.brokerId === id)?.rack ?? id)).size;
      for (const change of plan.changes) expect(rackCount(change.newReplicas), `seed ${seed}`).toBeGreaterThanOrEqual(rackCount(change.replicas));
      // Without racks a move from the fullest to the emptiest broker always exists while they differ by two:
      // were the emptiest on every partition of the fullest, it would hold at least as many.
      if (!racked) expect(spread(plan, 'replicas'), `seed ${seed}`).toBeLessThanOrEqual(1);
      expect(isBalanced(planRebalance(applied(partitions, plan), all)), `seed ${seed}`).toBe(true);
    }
  });

  it('counts an election when leaders sit off their preferred replicas', () => {
    const partitions = topic('t', [[1, 2], [2, 1]]).map((p) => ({ ...p, leader: 1 }));
    const plan = planRebalance(partitions, brokers([1, 2]));
    expect(plan.changes).toEqual([]);
    expect(plan.leaderElections).toBe(1);
    expect(isBalanced(plan)).toBe(false);
  });

  it('keeps the racks a partition spans', () => {
    // Racks a (1, 2) and b (3, 4); every partition spans both. Broker 2 is empty; only rack-a brokers may feed it.
    const partitions = topic('t', [[1, 3], [1, 4], [3, 1], [4, 1], [1, 3], [4, 1]]);
    const plan = planRebalance(partitions, brokers([1, 2, 3, 4], ['a', 'a', 'b', 'b']));
    expectValid(plan);
    const rack = (id: number): string => (id <= 2 ? 'a' : 'b');
    for (const change of plan.changes) expect(new Set(change.newReplicas.map(rack)).size).toBe(2);
    expect(plan.after.find((load) => load.brokerId === 2)?.replicas).toBe(3);
    expect(spread(plan, 'replicas')).toBeLessThanOrEqual(1);
  });

  it('stops where no move is allowed: two replicas of a partition never share a broker', () => {
    // RF 2 on two brokers plus a third: only one replica per partition may go to broker 3.
    const plan = planRebalance(topic('t', [[1, 2]]), brokers([1, 2, 3]));
    expect(plan.changes).toEqual([]);
    const wide = topic('t', [[1, 2], [1, 2], [1, 2]]);
    const moved = planRebalance(wide, brokers([1, 2, 3]));
    expectValid(moved);
    expect(moved.after.map((load) => load.replicas)).toEqual([2, 2, 2]);
  });

  it('leaves under-replicated partitions where they are', () => {
    const partitions = topic('t', [[1, 2], [1, 2], [1, 2], [1, 2]]).map((p) => (p.partition === 0 ? p : { ...p, isr: [1] }));
    const plan = planRebalance(partitions, brokers([1, 2, 3]));
    expect(plan.changes.map((change) => change.partition)).toEqual([0]);
  });

  it('leaves partitions with a replica on a broker that is down where they are', () => {
    const partitions = [...topic('t', [[1, 9], [1, 9], [1, 9], [1, 9]]), ...topic('u', [[1], [1], [1], [1]])];
    const plan = planRebalance(partitions, brokers([1, 2]));
    for (const change of plan.changes) expect(change.topic).toBe('u');
    // Broker 1 holds 8 replicas and broker 2 none: all four of u move, t stays.
    expect(plan.changes.filter(movesData)).toHaveLength(4);
    expect(plan.after.map((load) => load.replicas)).toEqual([4, 4]);
  });
});

describe('planDecommission', () => {
  it('moves every replica of the broker to the least loaded other brokers, keeping the replication factor', () => {
    const partitions = [...topic('t', placeReplicas(brokers([1, 2, 3, 4]), { partitionCount: 8, replicationFactor: 3 }, new Prng(11))), ...topic('__consumer_offsets', [[4, 1, 2], [2, 4, 3]])];
    const plan = planDecommission(partitions, brokers([1, 2, 3, 4]), 4);
    expectValid(plan);
    const held = partitions.filter((p) => p.replicas.includes(4));
    expect(plan.changes.map((c) => `${c.topic}-${c.partition}`).sort()).toEqual(held.map((p) => `${p.topic}-${p.partition}`).sort());
    for (const change of plan.changes) {
      expect(change.newReplicas).not.toContain(4);
      // Only broker 4's slot changes; the others keep their place.
      change.replicas.forEach((id, i) => {
        if (id !== 4) expect(change.newReplicas[i]).toBe(id);
      });
    }
    expect(plan.after.map((load) => load.brokerId)).toEqual([1, 2, 3]);
    expect(spread(plan, 'replicas')).toBeLessThanOrEqual(1);
  });

  it('picks replacements that keep each partition across racks', () => {
    const partitions = topic('t', [[4, 1], [1, 4], [3, 4]]);
    const plan = planDecommission(partitions, brokers([1, 2, 3, 4], ['a', 'a', 'b', 'b']), 4);
    // Broker 3 is the only other one in rack b, so it takes the two partitions whose other replica is in rack a.
    expect(plan.changes.map((c) => c.newReplicas)).toEqual([
      [3, 1],
      [1, 3],
      [3, 2],
    ]);
  });

  it('refuses when too few brokers remain for the replication factor', () => {
    const partitions = topic('t', [[1, 2, 3]]);
    expect(() => planDecommission(partitions, brokers([1, 2, 3]), 3)).toThrow(
      expect.objectContaining({ code: 'INVALID_REPLICATION_FACTOR', message: 'partition t-0 has 3 replicas, but only 2 live broker(s) other than 3 can hold them' }),
    );
  });

  it('plans nothing for a broker that holds no replica', () => {
    const plan = planDecommission(topic('t', [[1, 2]]), brokers([1, 2, 3]), 3);
    expect(plan.changes).toEqual([]);
  });
});
