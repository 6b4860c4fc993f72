import { Prng } from '@eddy/base';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { placeReplicas, type PlacementBroker } from './replica-placement.js';

const brokers = (n: number, racks?: readonly string[]): PlacementBroker[] =>
  Array.from({ length: n }, (_, i) => ({ brokerId: i + 1, rack: racks === undefined ? null : (racks[i % racks.length] as string) }));

describe('placeReplicas', () => {
  it('gives every broker one leadership for 3 partitions x RF 3 on 3 brokers, replicas round-robin', () => {
    for (let seed = 0; seed < 20; seed++) {
      const assignment = placeReplicas(brokers(3), { partitionCount: 3, replicationFactor: 3 }, new Prng(seed));
      expect(assignment.map((replicas) => replicas[0]).sort()).toEqual([1, 2, 3]);
      for (const replicas of assignment) expect([...replicas].sort()).toEqual([1, 2, 3]);
      // Round-robin: each partition's leader is the previous partition's leader plus one.
      const leaders = assignment.map((replicas) => replicas[0]!);
      expect(leaders[1]).toBe((leaders[0]! % 3) + 1);
    }
  });

  it('spreads leaders and replicas evenly for any size', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 1e6 }), (n, partitions, seed) => {
        const rf = Math.min(n, 3);
        const assignment = placeReplicas(brokers(n), { partitionCount: partitions, replicationFactor: rf }, new Prng(seed));
        expect(assignment).toHaveLength(partitions);
        const leaderCounts = new Map<number, number>();
        const replicaCounts = new Map<number, number>();
        for (const replicas of assignment) {
          expect(new Set(replicas).size).toBe(rf);
          leaderCounts.set(replicas[0]!, (leaderCounts.get(replicas[0]!) ?? 0) + 1);
          for (const r of replicas) replicaCounts.set(r, (replicaCounts.get(r) ?? 0) + 1);
        }
        const counts = brokers(n).map((b) => leaderCounts.get(b.brokerId) ?? 0);
        expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
        if (partitions % n === 0) {
          const replicaLoad = [...replicaCounts.values()];
          expect(Math.max(...replicaLoad) - Math.min(...replicaLoad)).toBeLessThanOrEqual(rf);
        }
      }),
    );
  });

  it('puts the replicas of a partition in distinct racks when racks are set', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1e6 }), (seed) => {
        const racked = brokers(6, ['a', 'b', 'c']);
        const rackOf = new Map(racked.map((b) => [b.brokerId, b.rack]));
        for (const replicas of placeReplicas(racked, { partitionCount: 12, replicationFactor: 3 }, new Prng(seed))) {
          expect(new Set(replicas.map((r) => rackOf.get(r))).size).toBe(3);
        }
      }),
    );
  });

  it('continues the round-robin when partitions are added', () => {
    const all = placeReplicas(brokers(3), { partitionCount: 6, replicationFactor: 2 }, new Prng(5));
    const added = placeReplicas(brokers(3), { partitionCount: 3, replicationFactor: 2, firstPartition: 3 }, new Prng(5));
    expect(added).toEqual(all.slice(3));
  });
});
