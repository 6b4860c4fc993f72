import { assert } from '@eddy/base';
import { compareStrings, prepareInput } from './assignment-input.js';
import type { Assignor, AssignorMember, GroupAssignment, TopicPartition } from './types.js';

const NONE = -1;
const CONTESTED = -2;

/**
 * A sticky assignor in the spirit of Kafka's StickyAssignor: as balanced as round-robin, but
 * every member keeps the partitions it owned (`ownedPartitions`) wherever balance allows, so a
 * rebalance moves as few partitions as it can.
 *
 * Three steps, all deterministic (members and partitions are visited in sorted order):
 * 1. Keep every valid claim: the partition exists, the member still subscribes to its topic,
 *    and no other member claims it from the same or a newer generation (two claims from the
 *    same generation are both dropped, as Kafka does; a newer generation's claim wins).
 * 2. Give every unclaimed partition to the eligible member with the fewest partitions;
 *    partitions of topics with the fewest eligible members go first.
 * 3. While some member A holds at least two partitions more than a member B that subscribes to
 *    the topic of one of A's partitions, move one such partition from A to B (the most loaded
 *    A to the least loaded B; preferring a partition B owned before, then one A did not own
 *    before). Each move lowers the sum of squared counts, so this ends, and when it ends the
 *    assignment is balanced in Kafka's sense: no partition could move to a member with at least
 *    two fewer. In particular members with the same subscription differ by at most one.
 *
 * With identical subscriptions this moves the minimum: when a member leaves only its partitions
 * move; when a member joins it receives floor(P / members) partitions and nothing else moves.
 */
export class StickyAssignor implements Assignor {
  readonly name = 'sticky';

  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const input = prepareInput(members, partitionCounts);
    const memberCount = input.members.length;

    // Index the partitions: topic by topic in sorted order, so index order is (topic, partition) order.
    const partitions: TopicPartition[] = [];
    const topicStart = new Map<string, number>();
    for (const topic of input.topics) {
      topicStart.set(topic, partitions.length);
      const count = input.partitionCounts.get(topic) ?? 0;
      for (let partition = 0; partition < count; partition++) partitions.push({ topic, partition });
    }
    const indexOf = (tp: TopicPartition): number => {
      const start = topicStart.get(tp.topic);
      const count = input.partitionCounts.get(tp.topic) ?? 0;
      if (start === undefined || !Number.isInteger(tp.partition) || tp.partition < 0 || tp.partition >= count) return NONE;
      return start + tp.partition;
    };
    // Each member's subscribed topics that exist, sorted (Set order would follow input order).
    const topicsOf = input.members.map((member) => [...member.subscription].filter((t) => topicStart.has(t)).sort(compareStrings));
    const eligible = new Map<string, number[]>(input.topics.map((topic) => [topic, []]));
    topicsOf.forEach((topics, m) => {
      for (const topic of topics) eligible.get(topic)?.push(m);
    });

    // 1. Claims: claimant[p] is the member whose claim on p stands (NONE, or CONTESTED).
    const claimant = new Array<number>(partitions.length).fill(NONE);
    const claimGeneration = new Array<number>(partitions.length).fill(Number.NEGATIVE_INFINITY);
    input.members.forEach((member, m) => {
      const generation = member.source.generationId ?? -1;
      for (const tp of member.source.ownedPartitions ?? []) {
        const p = indexOf(tp);
        if (p === NONE || !member.subscription.has(tp.topic) || claimant[p] === m) continue;
        const standing = claimGeneration[p] ?? Number.NEGATIVE_INFINITY;
        if (generation > standing) {
          claimant[p] = m;
          claimGeneration[p] = generation;
        } else if (generation === standing) {
          claimant[p] = CONTESTED;
        }
      }
    });

    const counts = new Array<number>(memberCount).fill(0);
    const held = input.members.map(() => new Map<string, Set<number>>());
    const owner = new Array<number>(partitions.length).fill(NONE);
    const give = (p: number, m: number): void => {
      const tp = partitions[p];
      assert(tp !== undefined && owner[p] === NONE, `partition index ${p} is free`);
      owner[p] = m;
      counts[m] = (counts[m] ?? 0) + 1;
      const byTopic = held[m];
      assert(byTopic !== undefined, `member index ${m} exists`);
      let set = byTopic.get(tp.topic);
      if (set === undefined) {
        set = new Set();
        byTopic.set(tp.topic, set);
      }
      set.add(p);
    };
    const take = (p: number, m: number): void => {
      const tp = partitions[p];
      assert(tp !== undefined && owner[p] === m, `partition index ${p} is held by member index ${m}`);
      owner[p] = NONE;
      counts[m] = (counts[m] ?? 0) - 1;
      held[m]?.get(tp.topic)?.delete(p);
    };

    const unassigned: number[] = [];
    for (let p = 0; p < partitions.length; p++) {
      const m = claimant[p] ?? NONE;
      if (m >= 0) give(p, m);
      else unassigned.push(p);
    }

    // 2. Unclaimed partitions, hardest to place first, each to the least loaded eligible member.
    const eligibleCount = (p: number): number => eligible.get(partitions[p]?.topic ?? '')?.length ?? 0;
    unassigned.sort((a, b) => eligibleCount(a) - eligibleCount(b) || a - b);
    for (const p of unassigned) {
      const candidates = eligible.get(partitions[p]?.topic ?? '') ?? [];
      let best = NONE;
      for (const m of candidates) if (best === NONE || (counts[m] ?? 0) < (counts[best] ?? 0)) best = m;
      assert(best !== NONE, `some member subscribes to the topic of partition index ${p}`);
      give(p, best);
    }

    // 3. Balance. The sum of squared counts falls by at least 2 per move and starts below P².
    const movesMax = (partitions.length * partitions.length) / 2 + 1;
    const order = Array.from({ length: memberCount }, (_, m) => m);
    for (let moves = 0; ; moves++) {
      assert(moves <= movesMax, 'the balancing loop ends');
      order.sort((a, b) => (counts[a] ?? 0) - (counts[b] ?? 0) || a - b);
      let moved = false;
      search: for (let bi = 0; bi < memberCount; bi++) {
        const b = order[bi] ?? NONE;
        for (let ai = memberCount - 1; ai > bi; ai--) {
          const a = order[ai] ?? NONE;
          if ((counts[a] ?? 0) < (counts[b] ?? 0) + 2) break;
          const p = this.pickMovable(held[a], topicsOf[b] ?? [], a, b, claimant);
          if (p !== NONE) {
            take(p, a);
            give(p, b);
            moved = true;
            break search;
          }
        }
      }
      if (!moved) break;
    }

    const assignment: GroupAssignment = new Map();
    input.members.forEach((member, m) => {
      const mine: number[] = [];
      for (const set of held[m]?.values() ?? []) mine.push(...set);
      mine.sort((x, y) => x - y);
      assignment.set(
        member.memberId,
        mine.map((p) => partitions[p] as TopicPartition),
      );
    });
    return assignment;
  }

  /**
   * The partition of `a` to hand to `b`, or NONE: one `b` owned before, else one `a` did not own
   * before (it was placed this round), else any; the highest index among equals.
   */
  private pickMovable(
    heldByA: ReadonlyMap<string, ReadonlySet<number>> | undefined,
    topicsOfB: readonly string[],
    a: number,
    b: number,
    claimant: readonly number[],
  ): number {
    let best = NONE;
    let bestRank = -1;
    for (const topic of topicsOfB) {
      for (const p of heldByA?.get(topic) ?? []) {
        const rank = claimant[p] === b ? 2 : claimant[p] !== a ? 1 : 0;
        if (rank > bestRank || (rank === bestRank && p > best)) {
          best = p;
          bestRank = rank;
        }
      }
    }
    return best;
  }
}
