// Messages of proto/eddy/v1/group.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';
import type { GroupState } from './enums.js';
import type { TopicPartitionResults, TopicPartitions } from './common.js';

export interface FindCoordinatorRequest {
  groupIds: string[];
}

export interface FindCoordinatorResponse {
  coordinators: Coordinator[];
}

export interface Coordinator {
  groupId: string;
  /** COORDINATOR_NOT_AVAILABLE while the partition has no leader or is still loading. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** -1 on error. */
  brokerId: number;
  host: string;
  port: number;
}

export interface JoinGroupRequest {
  groupId: string;
  /** A member not heard from (heartbeat) for this long is removed. */
  sessionTimeoutMs: number;
  /** How long the coordinator waits for members to rejoin during a rebalance. */
  rebalanceTimeoutMs: number;
  /**
   * Empty on the first join: the coordinator answers MEMBER_ID_REQUIRED with the member id to join
   * with.
   */
  memberId: string;
  /**
   * Static membership (group.instance.id): a restarted member with the same id takes its place
   * without a rebalance. Empty for dynamic members.
   */
  groupInstanceId: string;
  /** "consumer" for Eddy's consumers. */
  protocolType: string;
  /** The assignment strategies the member supports, most preferred first. */
  protocols: JoinGroupProtocol[];
  /** Why the member (re)joins, for `groups describe` and logs. */
  reason: string;
}

export interface JoinGroupProtocol {
  /** Assignor name: "range", "roundrobin", "sticky". */
  name: string;
  /**
   * Opaque to the coordinator; for protocolType "consumer", the subscription in the consumer
   * protocol's encoding (@eddy/client's consumer-protocol).
   */
  metadata: Buffer;
}

export interface JoinGroupResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  generationId: number;
  protocolType: string;
  /** The assignor chosen for this generation. */
  protocolName: string;
  /** Member id of the group leader, who computes the assignment. */
  leaderMemberId: string;
  /** A static leader rejoined without changes: it must not compute a new assignment. */
  skipAssignment: boolean;
  /** This member's id. */
  memberId: string;
  /** Every member and its subscription; sent to the leader only. */
  members: JoinGroupMember[];
}

export interface JoinGroupMember {
  memberId: string;
  groupInstanceId: string;
  /** The member's metadata for the chosen protocol. */
  metadata: Buffer;
}

export interface SyncGroupRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string;
  protocolType: string;
  protocolName: string;
  /** From the leader only: every member's assignment. Others send none. */
  assignments: SyncGroupAssignment[];
}

export interface SyncGroupAssignment {
  memberId: string;
  /**
   * Opaque to the coordinator; for protocolType "consumer", the assignment in the consumer
   * protocol's encoding.
   */
  assignment: Buffer;
}

export interface SyncGroupResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  protocolType: string;
  protocolName: string;
  /** This member's assignment. */
  assignment: Buffer;
}

export interface HeartbeatRequest {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string;
}

export interface HeartbeatResponse {
  /** REBALANCE_IN_PROGRESS tells the member to rejoin. */
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface LeaveGroupRequest {
  groupId: string;
  members: LeavingMember[];
}

export interface LeavingMember {
  memberId: string;
  groupInstanceId: string;
  reason: string;
}

export interface LeaveGroupResponse {
  /** Group-level errors; then `members` may be empty. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  members: LeavingMemberResult[];
}

export interface LeavingMemberResult {
  memberId: string;
  groupInstanceId: string;
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface OffsetCommitRequest {
  groupId: string;
  /**
   * The member's generation. -1 (with empty memberId) commits from outside the group (manual
   * assignment, admin offset resets), accepted only while the group has no members.
   */
  generationId: number;
  memberId: string;
  groupInstanceId: string;
  topics: OffsetCommitTopic[];
}

export interface OffsetCommitTopic {
  name: string;
  partitions: OffsetCommitPartition[];
}

export interface OffsetCommitPartition {
  partition: number;
  /** The next offset to consume. */
  committedOffset: bigint;
  /** Leader epoch of the last record consumed, -1 if unknown. */
  committedLeaderEpoch: number;
  /** Free text stored with the offset (bounded; OFFSET_METADATA_TOO_LARGE beyond the limit). */
  metadata: string;
}

export interface OffsetCommitResponse {
  /**
   * Group-level errors (NOT_COORDINATOR, ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID,
   * REBALANCE_IN_PROGRESS, ...): nothing was committed, `topics` is empty.
   */
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: TopicPartitionResults[];
}

export interface OffsetFetchRequest {
  groupId: string;
  /** Partitions to look up; empty for every partition the group has committed. */
  topics: TopicPartitions[];
}

export interface OffsetFetchResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: OffsetFetchTopic[];
}

export interface OffsetFetchTopic {
  name: string;
  partitions: OffsetFetchPartition[];
}

export interface OffsetFetchPartition {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** -1 when the group has no offset for this partition. */
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  /** When the offset was committed; -1 if none. */
  commitTimestampMs: bigint;
}

export interface ListGroupsRequest {
  /** Only groups in these states; empty for all. */
  statesFilter: GroupState[];
  /** Only groups of these protocol types; empty for all. */
  typesFilter: string[];
}

export interface ListGroupsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  groups: ListedGroup[];
}

export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: GroupState;
}

export interface DescribeGroupsRequest {
  groupIds: string[];
}

export interface DescribeGroupsResponse {
  groups: DescribedGroup[];
}

export interface DescribedGroup {
  errorCode: ErrorCodeName;
  errorMessage: string;
  groupId: string;
  groupState: GroupState;
  protocolType: string;
  /** The assignor of the current generation. */
  protocolName: string;
  generationId: number;
  /** Member id of the group leader; empty when none. */
  leaderMemberId: string;
  members: DescribedGroupMember[];
  /**
   * The latest rebalances, oldest first, each with the reasons that started or joined it (so users
   * can see why a group rebalanced).
   */
  rebalanceHistory: RebalanceRecord[];
}

export interface RebalanceRecord {
  startedAtMs: bigint;
  /** The generation the rebalance replaced. */
  fromGenerationId: number;
  /** "member m-1 joined", "session of m-2 expired", ... */
  reasons: string[];
  /** Reasons beyond the number kept, counted only. */
  omittedReasonCount: number;
}

export interface DescribedGroupMember {
  memberId: string;
  groupInstanceId: string;
  /** From the member's `eddy-client-id` call metadata. */
  clientId: string;
  /** The member's address as the coordinator sees it. */
  clientHost: string;
  /** The member's metadata for the chosen protocol (its subscription, for consumers). */
  memberMetadata: Buffer;
  /** The member's assignment (the consumer protocol's assignment for consumers). */
  memberAssignment: Buffer;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
}

export interface DeleteGroupsRequest {
  groupIds: string[];
}

export interface DeleteGroupsResponse {
  groups: DeletableGroupResult[];
}

export interface DeletableGroupResult {
  groupId: string;
  /** NON_EMPTY_GROUP when the group has members. */
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface DeleteOffsetsRequest {
  groupId: string;
  topics: TopicPartitions[];
}

export interface DeleteOffsetsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** GROUP_SUBSCRIBED_TO_TOPIC for partitions of topics the group consumes. */
  topics: TopicPartitionResults[];
}

/** Every message of group.proto by name. */
export interface GroupMessages {
  FindCoordinatorRequest: FindCoordinatorRequest;
  FindCoordinatorResponse: FindCoordinatorResponse;
  Coordinator: Coordinator;
  JoinGroupRequest: JoinGroupRequest;
  JoinGroupProtocol: JoinGroupProtocol;
  JoinGroupResponse: JoinGroupResponse;
  JoinGroupMember: JoinGroupMember;
  SyncGroupRequest: SyncGroupRequest;
  SyncGroupAssignment: SyncGroupAssignment;
  SyncGroupResponse: SyncGroupResponse;
  HeartbeatRequest: HeartbeatRequest;
  HeartbeatResponse: HeartbeatResponse;
  LeaveGroupRequest: LeaveGroupRequest;
  LeavingMember: LeavingMember;
  LeaveGroupResponse: LeaveGroupResponse;
  LeavingMemberResult: LeavingMemberResult;
  OffsetCommitRequest: OffsetCommitRequest;
  OffsetCommitTopic: OffsetCommitTopic;
  OffsetCommitPartition: OffsetCommitPartition;
  OffsetCommitResponse: OffsetCommitResponse;
  OffsetFetchRequest: OffsetFetchRequest;
  OffsetFetchResponse: OffsetFetchResponse;
  OffsetFetchTopic: OffsetFetchTopic;
  OffsetFetchPartition: OffsetFetchPartition;
  ListGroupsRequest: ListGroupsRequest;
  ListGroupsResponse: ListGroupsResponse;
  ListedGroup: ListedGroup;
  DescribeGroupsRequest: DescribeGroupsRequest;
  DescribeGroupsResponse: DescribeGroupsResponse;
  DescribedGroup: DescribedGroup;
  RebalanceRecord: RebalanceRecord;
  DescribedGroupMember: DescribedGroupMember;
  DeleteGroupsRequest: DeleteGroupsRequest;
  DeleteGroupsResponse: DeleteGroupsResponse;
  DeletableGroupResult: DeletableGroupResult;
  DeleteOffsetsRequest: DeleteOffsetsRequest;
  DeleteOffsetsResponse: DeleteOffsetsResponse;
}

/** Field types of every message of group.proto, as written there (checked against it by schema.test.ts). */
export const groupSchemas = {
  FindCoordinatorRequest: {
    groupIds: 'repeated string',
  },
  FindCoordinatorResponse: {
    coordinators: 'repeated Coordinator',
  },
  Coordinator: {
    groupId: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    brokerId: 'int32',
    host: 'string',
    port: 'int32',
  },
  JoinGroupRequest: {
    groupId: 'string',
    sessionTimeoutMs: 'int32',
    rebalanceTimeoutMs: 'int32',
    memberId: 'string',
    groupInstanceId: 'string',
    protocolType: 'string',
    protocols: 'repeated JoinGroupProtocol',
    reason: 'string',
  },
  JoinGroupProtocol: {
    name: 'string',
    metadata: 'bytes',
  },
  JoinGroupResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    generationId: 'int32',
    protocolType: 'string',
    protocolName: 'string',
    leaderMemberId: 'string',
    skipAssignment: 'bool',
    memberId: 'string',
    members: 'repeated JoinGroupMember',
  },
  JoinGroupMember: {
    memberId: 'string',
    groupInstanceId: 'string',
    metadata: 'bytes',
  },
  SyncGroupRequest: {
    groupId: 'string',
    generationId: 'int32',
    memberId: 'string',
    groupInstanceId: 'string',
    protocolType: 'string',
    protocolName: 'string',
    assignments: 'repeated SyncGroupAssignment',
  },
  SyncGroupAssignment: {
    memberId: 'string',
    assignment: 'bytes',
  },
  SyncGroupResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    protocolType: 'string',
    protocolName: 'string',
    assignment: 'bytes',
  },
  HeartbeatRequest: {
    groupId: 'string',
    generationId: 'int32',
    memberId: 'string',
    groupInstanceId: 'string',
  },
  HeartbeatResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  LeaveGroupRequest: {
    groupId: 'string',
    members: 'repeated LeavingMember',
  },
  LeavingMember: {
    memberId: 'string',
    groupInstanceId: 'string',
    reason: 'string',
  },
  LeaveGroupResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    members: 'repeated LeavingMemberResult',
  },
  LeavingMemberResult: {
    memberId: 'string',
    groupInstanceId: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  OffsetCommitRequest: {
    groupId: 'string',
    generationId: 'int32',
    memberId: 'string',
    groupInstanceId: 'string',
    topics: 'repeated OffsetCommitTopic',
  },
  OffsetCommitTopic: {
    name: 'string',
    partitions: 'repeated OffsetCommitPartition',
  },
  OffsetCommitPartition: {
    partition: 'int32',
    committedOffset: 'int64',
    committedLeaderEpoch: 'int32',
    metadata: 'string',
  },
  OffsetCommitResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated TopicPartitionResults',
  },
  OffsetFetchRequest: {
    groupId: 'string',
    topics: 'repeated TopicPartitions',
  },
  OffsetFetchResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated OffsetFetchTopic',
  },
  OffsetFetchTopic: {
    name: 'string',
    partitions: 'repeated OffsetFetchPartition',
  },
  OffsetFetchPartition: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    committedOffset: 'int64',
    committedLeaderEpoch: 'int32',
    metadata: 'string',
    commitTimestampMs: 'int64',
  },
  ListGroupsRequest: {
    statesFilter: 'repeated GroupState',
    typesFilter: 'repeated string',
  },
  ListGroupsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    groups: 'repeated ListedGroup',
  },
  ListedGroup: {
    groupId: 'string',
    protocolType: 'string',
    groupState: 'GroupState',
  },
  DescribeGroupsRequest: {
    groupIds: 'repeated string',
  },
  DescribeGroupsResponse: {
    groups: 'repeated DescribedGroup',
  },
  DescribedGroup: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    groupId: 'string',
    groupState: 'GroupState',
    protocolType: 'string',
    protocolName: 'string',
    generationId: 'int32',
    leaderMemberId: 'string',
    members: 'repeated DescribedGroupMember',
    rebalanceHistory: 'repeated RebalanceRecord',
  },
  RebalanceRecord: {
    startedAtMs: 'int64',
    fromGenerationId: 'int32',
    reasons: 'repeated string',
    omittedReasonCount: 'int32',
  },
  DescribedGroupMember: {
    memberId: 'string',
    groupInstanceId: 'string',
    clientId: 'string',
    clientHost: 'string',
    memberMetadata: 'bytes',
    memberAssignment: 'bytes',
    sessionTimeoutMs: 'int32',
    rebalanceTimeoutMs: 'int32',
  },
  DeleteGroupsRequest: {
    groupIds: 'repeated string',
  },
  DeleteGroupsResponse: {
    groups: 'repeated DeletableGroupResult',
  },
  DeletableGroupResult: {
    groupId: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  DeleteOffsetsRequest: {
    groupId: 'string',
    topics: 'repeated TopicPartitions',
  },
  DeleteOffsetsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated TopicPartitionResults',
  },
} as const satisfies MessageSchemaTable<GroupMessages>;
