/**
 * Client-side consumer-group logic: the partition assignors the group leader runs, and the
 * consumer protocol bytes members exchange through JoinGroup and SyncGroup.
 */
export {
  type Assignor,
  type AssignorMember,
  type AssignorName,
  assignorNames,
  compareMembers,
  compareTopicPartitions,
  createAssignor,
  type GroupAssignment,
  isAssignorName,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
  type TopicPartition,
} from './assignors/index.js';
export {
  CONSUMER_PROTOCOL_TYPE,
  CONSUMER_PROTOCOL_VERSION,
  type ConsumerAssignment,
  type ConsumerSubscription,
  decodeAssignment,
  decodeSubscription,
  encodeAssignment,
  encodeSubscription,
  GroupProtocolError,
  toAssignorMember,
} from './consumer-protocol.js';
export { groupClientLimits } from './limits.js';
