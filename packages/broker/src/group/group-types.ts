import type { GroupState } from './group-state.js';

/**
 * The error codes group requests are answered with: names from the shared error-code table
 * (Kafka's names), carried as a string field of the response, never thrown.
 */
export type GroupErrorCode =
  | 'ILLEGAL_GENERATION'
  | 'UNKNOWN_MEMBER_ID'
  | 'REBALANCE_IN_PROGRESS'
  | 'INCONSISTENT_GROUP_PROTOCOL'
  | 'MEMBER_ID_REQUIRED'
  | 'INVALID_SESSION_TIMEOUT'
  | 'GROUP_ID_NOT_FOUND'
  | 'NON_EMPTY_GROUP'
  | 'COORDINATOR_NOT_AVAILABLE'
  | 'NOT_COORDINATOR'
  | 'FENCED_INSTANCE_ID'
  | 'GROUP_MAX_SIZE_REACHED'
  | 'INVALID_GROUP_ID'
  | 'INVALID_REQUEST';

export type GroupResponseCode = 'NONE' | GroupErrorCode;

/** Chosen by the adapter, unique among its pending requests; a response effect carries it back. */
export type RequestId = number;

/** One assignment strategy a member offers, with its subscription metadata (opaque bytes). */
export interface GroupProtocol {
  readonly name: string;
  readonly metadata: Uint8Array;
}

export interface JoinGroupRequest {
  readonly requestId: RequestId;
  readonly groupId: string;
  /** '' for a member joining for the first time. */
  readonly memberId: string;
  /** Static membership (`group.instance.id`). */
  readonly groupInstanceId?: string;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** 'consumer' for consumers; members of one group must agree. */
  readonly protocolType: string;
  /** In the member's order of preference. */
  readonly protocols: readonly GroupProtocol[];
  /** Why the client (re)joins (KIP-800), kept in the rebalance history. */
  readonly reason?: string;
}

export interface JoinGroupResponseMember {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  /** The member's metadata for the chosen protocol. */
  readonly metadata: Uint8Array;
}

export interface JoinGroupResponse {
  readonly errorCode: GroupResponseCode;
  /** -1 with an error. */
  readonly generationId: number;
  readonly protocolType: string | null;
  /** The chosen assignment strategy. */
  readonly protocolName: string | null;
  readonly leaderId: string;
  /** The member's id: a generated one for a new member (also with MEMBER_ID_REQUIRED). */
  readonly memberId: string;
  /**
   * True for a static leader that replaced its old instance without a rebalance: it is the
   * leader but the assignment stands, so it must not compute one (KIP-814).
   */
  readonly skipAssignment: boolean;
  /** Every member with its metadata for the leader; empty for everyone else. */
  readonly members: readonly JoinGroupResponseMember[];
}

export interface MemberAssignment {
  readonly memberId: string;
  readonly assignment: Uint8Array;
}

export interface SyncGroupRequest {
  readonly requestId: RequestId;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string;
  /** When given, must match the group's (SyncGroup v5). */
  readonly protocolType?: string;
  readonly protocolName?: string;
  /** The leader's assignment for every member; empty from followers. */
  readonly assignments: readonly MemberAssignment[];
}

export interface SyncGroupResponse {
  readonly errorCode: GroupResponseCode;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  /** This member's assignment; empty with an error, or when the leader gave it nothing. */
  readonly assignment: Uint8Array;
}

export interface HeartbeatRequest {
  readonly requestId: RequestId;
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string;
}

export interface HeartbeatResponse {
  readonly errorCode: GroupResponseCode;
}

export interface LeavingMember {
  /** '' to name a static member by its instance id alone (an admin removing it). */
  readonly memberId: string;
  readonly groupInstanceId?: string;
  readonly reason?: string;
}

export interface LeaveGroupRequest {
  readonly requestId: RequestId;
  readonly groupId: string;
  readonly members: readonly LeavingMember[];
}

export interface LeaveGroupResponse {
  readonly errorCode: GroupResponseCode;
  readonly members: readonly { readonly memberId: string; readonly groupInstanceId: string | null; readonly errorCode: GroupResponseCode }[];
}

/**
 * The group check of an OffsetCommit. The offsets themselves are the adapter's: it writes them
 * to __consumer_offsets only when the decision accepts.
 */
export interface OffsetCommitRequest {
  readonly requestId: RequestId;
  readonly groupId: string;
  /** -1 (with memberId '') for a commit by a client that does not use group management. */
  readonly generationId: number;
  readonly memberId: string;
  readonly groupInstanceId?: string;
}

export type OffsetCommitDecision = { readonly accepted: true } | { readonly accepted: false; readonly errorCode: GroupErrorCode };

/** The outcome of writing group metadata, as the adapter reports it. */
export type PersistResult = 'NONE' | 'NOT_COORDINATOR' | 'COORDINATOR_NOT_AVAILABLE';

/** One rebalance, with every reason that started or joined it, for users asking "why?". */
export interface RebalanceRecord {
  readonly startedAtMs: number;
  /** The generation the rebalance replaces. */
  readonly fromGenerationId: number;
  readonly reasons: readonly string[];
  /** Reasons beyond groupLimits.reasonsPerRebalanceMax, counted only. */
  readonly omittedReasonCount: number;
}

/** The durable part of a member: what a new coordinator needs to carry on. */
export interface MemberSnapshot {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** The member's metadata for the group's chosen protocol. */
  readonly subscription: Uint8Array;
  readonly assignment: Uint8Array;
}

/**
 * A group as written to __consumer_offsets (and LevelDB): enough for a new coordinator to
 * restore it. A group with members restores as Stable, one without as Empty.
 */
export interface GroupSnapshot {
  readonly version: 1;
  readonly groupId: string;
  readonly generationId: number;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly members: readonly MemberSnapshot[];
  readonly rebalanceHistory: readonly RebalanceRecord[];
  /**
   * When the group turned Empty (group clock), for offset expiry (offsets.retention.minutes);
   * only on an Empty group's snapshot. Older snapshots lack it: the loading coordinator's time counts.
   */
  readonly emptySinceMs?: number;
}

export interface MemberDescription {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  readonly clientId: string;
  readonly clientHost: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  /** Metadata for the chosen protocol (empty while none is chosen). */
  readonly metadata: Uint8Array;
  readonly assignment: Uint8Array;
}

/** What `eddy groups describe` shows. */
export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupState;
  readonly protocolType: string | null;
  readonly protocolName: string | null;
  readonly leaderId: string | null;
  readonly generationId: number;
  readonly members: readonly MemberDescription[];
  readonly rebalanceHistory: readonly RebalanceRecord[];
}

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string | null;
  readonly state: GroupState;
}

/**
 * What the coordinator asks its adapter to do. JoinGroup and SyncGroup are long polls: their
 * responses may come out of a later call (another member's join, a tick, a persist result), so
 * every response is an effect naming the request it answers. Every request gets exactly one.
 */
export type GroupEffect =
  | { readonly type: 'respondJoin'; readonly groupId: string; readonly requestId: RequestId; readonly response: JoinGroupResponse }
  | { readonly type: 'respondSync'; readonly groupId: string; readonly requestId: RequestId; readonly response: SyncGroupResponse }
  | { readonly type: 'respondHeartbeat'; readonly groupId: string; readonly requestId: RequestId; readonly response: HeartbeatResponse }
  | { readonly type: 'respondLeave'; readonly groupId: string; readonly requestId: RequestId; readonly response: LeaveGroupResponse }
  | { readonly type: 'offsetCommitDecision'; readonly groupId: string; readonly requestId: RequestId; readonly decision: OffsetCommitDecision }
  /**
   * Write the group's metadata to __consumer_offsets, then report the outcome through
   * `onPersistComplete(groupId, persistId, result)`. When `awaitsResult` the SyncGroups of a new
   * generation wait for it (the group turns Stable only once its assignment is durable); the
   * other writes (a group turning Empty, a static member replaced) are not waited for.
   */
  | { readonly type: 'persistGroup'; readonly groupId: string; readonly persistId: number; readonly awaitsResult: boolean; readonly snapshot: GroupSnapshot }
  /** Write a tombstone for the group's metadata (the group was deleted). */
  | { readonly type: 'deleteGroupMetadata'; readonly groupId: string }
  | { readonly type: 'log'; readonly groupId: string; readonly level: 'info' | 'warn' | 'debug'; readonly message: string };
