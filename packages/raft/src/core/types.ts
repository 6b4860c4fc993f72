/**
 * The plain data of Raft: log entries, persisted state, membership and what the application
 * sees. Everything is a number, a boolean, a string literal or bytes, so the broker maps it
 * onto protobuf and its storage formats field by field. Terms and indexes are `number`: they
 * stay far below 2^53.
 */

/** A node id: a positive integer (u32 on the wire). */
export type NodeId = number;

/** "No node" in persisted and wire fields (a vote not cast, a leader not known). */
export const NO_NODE = 0;

/**
 * - normal: an application proposal.
 * - noop: appended by every new leader so it can commit entries of earlier terms.
 * - membership: a voter or observer change; `data` encodes the whole resulting membership.
 */
export type EntryKind = 'normal' | 'noop' | 'membership';

export interface Entry {
  readonly index: number;
  readonly term: number;
  readonly kind: EntryKind;
  readonly data: Uint8Array;
}

/** What must survive a crash, written (and synced) before any message that depends on it. */
export interface HardState {
  readonly term: number;
  /** The candidate voted for in `term`, or NO_NODE. */
  readonly vote: NodeId;
  readonly commit: number;
}

/** Voters elect leaders and form quorums; observers (learners) only receive the log. */
export interface Membership {
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
}

export type ConfChangeType = 'addVoter' | 'removeVoter' | 'addObserver' | 'removeObserver';

export interface ConfChange {
  readonly type: ConfChangeType;
  readonly nodeId: NodeId;
}

export interface SnapshotMeta {
  /** The last entry the snapshot covers. */
  readonly index: number;
  readonly term: number;
  /** The membership in force at `index` (membership entries before it are compacted away). */
  readonly membership: Membership;
}

export interface Snapshot {
  readonly meta: SnapshotMeta;
  /** The application's state machine image; opaque to Raft. */
  readonly data: Uint8Array;
}

/** A node's durable state as loaded at start: hard state, latest snapshot, entries after it. */
export interface PersistedState {
  readonly hardState: HardState;
  readonly snapshot: Snapshot;
  readonly entries: readonly Entry[];
}

/** A ReadIndex request that is safe to serve once the state machine has applied `index`. */
export interface ReadState {
  readonly index: number;
  readonly context: Uint8Array;
}

export type RoleName = 'follower' | 'preCandidate' | 'candidate' | 'leader';

/** Volatile state the application may show or route on; not persisted. */
export interface SoftState {
  readonly role: RoleName;
  readonly leaderId: NodeId | undefined;
}

/** Why a proposal, read or transfer was not taken. */
export type RefusalReason =
  /** This node is not the leader; `leaderId` says where to go, when known. */
  | 'notLeader'
  /** A leadership transfer is in progress; retry on the new leader. */
  | 'transferring'
  /** The proposal exceeds proposalBytesMax. */
  | 'tooLarge'
  /** Too much uncommitted data or too many pending reads: back off and retry. */
  | 'busy'
  /** A membership change is still uncommitted, or this leader has not committed in its term. */
  | 'membershipChangePending'
  /** The change makes no sense for the current membership (unknown node, last voter, ...). */
  | 'invalidChange';

export interface Refusal {
  readonly ok: false;
  readonly reason: RefusalReason;
  readonly leaderId: NodeId | undefined;
  readonly message: string;
}

/** Accepted proposals are committed when an entry with this index *and term* is applied. */
export type ProposeResult = { readonly ok: true; readonly index: number; readonly term: number } | Refusal;

export type RequestResult = { readonly ok: true } | Refusal;
