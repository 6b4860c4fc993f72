import { assert } from '@eddy/base';
import type { AssignorMember, GroupAssignment, TopicPartition } from './types.js';

/**
 * Input normalisation shared by every assignor: members in Kafka's order, subscriptions as
 * sets, topics that exist sorted. Sorting everything up front is what makes the assignors
 * independent of input order.
 */
export interface PreparedMember {
  readonly memberId: string;
  readonly groupInstanceId: string | undefined;
  readonly subscription: ReadonlySet<string>;
  readonly source: AssignorMember;
}

export interface PreparedInput {
  /** Members in Kafka's order (see `compareMembers`). */
  readonly members: readonly PreparedMember[];
  /** Topics that at least one member subscribes to and that have partitions, sorted. */
  readonly topics: readonly string[];
  readonly partitionCounts: ReadonlyMap<string, number>;
}

/** Code-unit order, like Java's String.compareTo: independent of the locale. */
export function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareTopicPartitions(a: TopicPartition, b: TopicPartition): number {
  return compareStrings(a.topic, b.topic) || a.partition - b.partition;
}

/**
 * Kafka's member order (RangeAssignor/RoundRobinAssignor `MemberInfo`): static members first,
 * by group instance id, then dynamic members by member id. A restarted static member gets a
 * new member id but keeps its place, so its partitions do not move.
 */
export function compareMembers(
  a: { readonly memberId: string; readonly groupInstanceId?: string | undefined },
  b: { readonly memberId: string; readonly groupInstanceId?: string | undefined },
): number {
  if (a.groupInstanceId !== undefined && b.groupInstanceId !== undefined) {
    return compareStrings(a.groupInstanceId, b.groupInstanceId) || compareStrings(a.memberId, b.memberId);
  }
  if (a.groupInstanceId !== undefined) return -1;
  if (b.groupInstanceId !== undefined) return 1;
  return compareStrings(a.memberId, b.memberId);
}

export function prepareInput(members: readonly AssignorMember[], partitionCounts: ReadonlyMap<string, number>): PreparedInput {
  const seen = new Set<string>();
  const prepared: PreparedMember[] = [];
  for (const member of members) {
    assert(!seen.has(member.memberId), `member ${member.memberId} appears twice in the assignor input`);
    seen.add(member.memberId);
    prepared.push({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      subscription: new Set(member.subscription),
      source: member,
    });
  }
  prepared.sort(compareMembers);
  for (const [topic, count] of partitionCounts) {
    assert(Number.isSafeInteger(count) && count >= 0, `partition count of ${topic} must be a non-negative integer, got ${count}`);
  }
  const topics = new Set<string>();
  for (const member of prepared) {
    for (const topic of member.subscription) {
      // A topic without metadata (not created yet, or deleted) is skipped, as in Kafka.
      if ((partitionCounts.get(topic) ?? 0) > 0) topics.add(topic);
    }
  }
  return { members: prepared, topics: [...topics].sort(compareStrings), partitionCounts };
}

/** An empty list per member, in member order: every member appears in an assignment. */
export function emptyAssignment(input: PreparedInput): GroupAssignment {
  return new Map(input.members.map((member) => [member.memberId, []]));
}

/** Sorts every member's partitions in place and returns the assignment. */
export function sortAssignment(assignment: GroupAssignment): GroupAssignment {
  for (const partitions of assignment.values()) partitions.sort(compareTopicPartitions);
  return assignment;
}
