import { RangeAssignor } from './range-assignor.js';
import { RoundRobinAssignor } from './round-robin-assignor.js';
import { StickyAssignor } from './sticky-assignor.js';
import type { Assignor, AssignorName } from './types.js';

export { compareMembers, compareTopicPartitions } from './assignment-input.js';
export { RangeAssignor } from './range-assignor.js';
export { RoundRobinAssignor } from './round-robin-assignor.js';
export { StickyAssignor } from './sticky-assignor.js';
export type { Assignor, AssignorMember, AssignorName, GroupAssignment, TopicPartition } from './types.js';

/** Every strategy name, in Kafka's default preference order for `partition.assignment.strategy`. */
export const assignorNames: readonly AssignorName[] = ['range', 'roundrobin', 'sticky'];

export function isAssignorName(name: string): name is AssignorName {
  return (assignorNames as readonly string[]).includes(name);
}

/** The assignor for a strategy name (assignors are stateless; a new one per call is fine). */
export function createAssignor(name: AssignorName): Assignor {
  switch (name) {
    case 'range':
      return new RangeAssignor();
    case 'roundrobin':
      return new RoundRobinAssignor();
    case 'sticky':
      return new StickyAssignor();
  }
}
