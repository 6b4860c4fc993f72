import { assert } from '@eddy/base';
import { emptyAssignment, prepareInput } from './assignment-input.js';
import type { Assignor, AssignorMember, GroupAssignment } from './types.js';

/**
 * Kafka's RangeAssignor. Topic by topic, the members subscribed to the topic (in member order:
 * static members by instance id, then the others by member id) get contiguous ranges of its
 * partitions; when the partitions do not divide evenly, the first members get one extra.
 *
 * Two members C0, C1 and topics t0, t1 with three partitions each give
 * C0: [t0p0, t0p1, t1p0, t1p1] and C1: [t0p2, t1p2]. Co-partitioned topics stay together (the
 * same member reads partition i of every topic), at the price of imbalance across topics.
 */
export class RangeAssignor implements Assignor {
  readonly name = 'range';

  assign(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): GroupAssignment {
    const input = prepareInput(members, partitionCounts);
    const assignment = emptyAssignment(input);
    for (const topic of input.topics) {
      const consumers = input.members.filter((member) => member.subscription.has(topic));
      const partitionCount = input.partitionCounts.get(topic) ?? 0;
      assert(consumers.length > 0 && partitionCount > 0, `topic ${topic} is assigned only when subscribed and present`);
      const perConsumer = Math.floor(partitionCount / consumers.length);
      const withExtra = partitionCount % consumers.length;
      consumers.forEach((consumer, i) => {
        const start = perConsumer * i + Math.min(i, withExtra);
        const length = perConsumer + (i < withExtra ? 1 : 0);
        const owned = assignment.get(consumer.memberId);
        assert(owned !== undefined, `member ${consumer.memberId} has an assignment list`);
        for (let partition = start; partition < start + length; partition++) owned.push({ topic, partition });
      });
    }
    // Topics are visited in order and ranges are ascending, so every list is already sorted.
    return assignment;
  }
}
