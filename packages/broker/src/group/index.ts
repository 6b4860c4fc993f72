/**
 * The group coordinator's pure core: Kafka's classic consumer-group protocol as a state machine
 * (`ConsumerGroup`), a `GroupManager` over the groups of the __consumer_offsets partitions this
 * node leads, and the group metadata snapshot with its codec. Adapters (gRPC, the offsets log,
 * LevelDB) carry out the effects.
 */
export { ConsumerGroup, type GroupContext } from './consumer-group.js';
export { coordinatorPartitionFor } from './coordinator-partition.js';
export { GroupManager, type GroupManagerOptions } from './group-manager.js';
export { decodeGroupSnapshot, encodeGroupSnapshot, GroupMetadataError } from './group-snapshot-codec.js';
export { assertTransition, canTransition, GROUP_STATE_TRANSITIONS, type GroupState } from './group-state.js';
export type {
  GroupDescription,
  GroupEffect,
  GroupErrorCode,
  GroupListing,
  GroupProtocol,
  GroupResponseCode,
  GroupSnapshot,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  JoinGroupResponseMember,
  LeaveGroupRequest,
  LeaveGroupResponse,
  LeavingMember,
  MemberAssignment,
  MemberDescription,
  MemberSnapshot,
  OffsetCommitDecision,
  OffsetCommitRequest,
  PersistResult,
  RebalanceRecord,
  RequestId,
  SyncGroupRequest,
  SyncGroupResponse,
} from './group-types.js';
export {
  assertGroupCoordinatorConfig,
  defaultGroupCoordinatorConfig,
  type GroupCoordinatorConfig,
  groupCoordinatorConfig,
  groupLimits,
} from './limits.js';
export { prngMemberIdGenerator } from './member-id.js';
