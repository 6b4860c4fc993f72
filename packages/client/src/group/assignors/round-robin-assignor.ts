import { assert } from '@eddy/base';
import { emptyAssignment, prepareInput } from './assignment-input.js';
import type { Assignor, AssignorMember, GroupAssignment } from './types.js';

/**
 * Kafka's RoundRobinAssignor. All subscribed partitions, sorted by topic then partition, are
 * dealt to the members in member order like cards; a member that does not subscribe to a
 * partition's topic is skipped for that partition (the deal continues after the member that
 * took it).
 *
 * With identical subscriptions the member counts differ by at most one: C0, C1 and topics t0,
 * t1 with three partitions each give C0: [t0p0, t0p2, t1p1] and C1: [t0p1, t1p0, t1p2].
 * With C0 on t0, C1 on t0 and t1, C2 on t0, t1 and t2 (t0 with one partition, t1 two, t2
 * three) it gives C0: [t0p0], C1: [t1p0], C2: [t1p1, t2p0, t2p1, t2p2].
 */
export class RoundRobinAssignor implements Assignor {
  readonly name = 'roundrobin';

  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const input = prepareInput(members, partitionCounts);
    const assignment = emptyAssignment(input);
    const ring = input.members;
    let next = 0;
    for (const topic of input.topics) {
      const partitionCount = input.partitionCounts.get(topic) ?? 0;
      for (let partition = 0; partition < partitionCount; partition++) {
        // Some member subscribes to the topic (prepareInput keeps only those), so at most one
        // lap of the ring finds it.
        let skipped = 0;
        while (!(ring[next % ring.length]?.subscription.has(topic) ?? false)) {
          next++;
          skipped++;
          assert(skipped <= ring.length, `no member subscribes to ${topic}`);
        }
        const member = ring[next % ring.length];
        assert(member !== undefined, 'the ring is not empty');
        assignment.get(member.memberId)?.push({ topic, partition });
        next++;
      }
    }
    return assignment;
  }
}
