import type { Entry, NodeId } from './types.js';

/**
 * Raft's messages, one plain object per type with protobuf-friendly fields (numbers,
 * booleans, bytes, repeated entries). The broker maps each onto a proto message; the core never
 * mutates a message it sends or receives, so a transport may share or retain them.
 *
 * Every message carries the sender's term. A message from a higher term makes the receiver a
 * follower of that term (pre-vote traffic aside); one from a lower term is ignored or answered
 * with the receiver's term so that a stale leader steps down.
 */
interface Envelope {
  readonly from: NodeId;
  readonly to: NodeId;
  readonly term: number;
}

/** RequestVote, or a pre-vote probe for `term` (the candidate's next term) when preVote is set. */
export interface VoteRequest extends Envelope {
  readonly type: 'voteRequest';
  readonly preVote: boolean;
  readonly lastLogIndex: number;
  readonly lastLogTerm: number;
  /** Sent after TimeoutNow: voters grant it even while they still honour the old leader's lease. */
  readonly transfer: boolean;
}

export interface VoteResponse extends Envelope {
  readonly type: 'voteResponse';
  readonly preVote: boolean;
  readonly granted: boolean;
}

export interface AppendRequest extends Envelope {
  readonly type: 'appendRequest';
  readonly prevLogIndex: number;
  readonly prevLogTerm: number;
  readonly entries: readonly Entry[];
  /** The leader's commit index. */
  readonly commit: number;
}

export interface AppendResponse extends Envelope {
  readonly type: 'appendResponse';
  readonly success: boolean;
  /**
   * On success, the last index known to match the leader's log (prevLogIndex + entries, or the
   * follower's commit index for an append it no longer needs). On rejection, the
   * prevLogIndex that did not match.
   */
  readonly index: number;
  /** On rejection: the largest index at which the follower's log might match (fast backtracking). */
  readonly rejectHint: number;
  /** On rejection: the follower's term at rejectHint (0 when unknown). */
  readonly rejectHintTerm: number;
}

/** Keeps followers' election timers quiet, carries the commit index and confirms ReadIndex rounds. */
export interface HeartbeatRequest extends Envelope {
  readonly type: 'heartbeatRequest';
  /** min(leader commit, follower match): never more than the follower is known to hold. */
  readonly commit: number;
  /** The ReadIndex round this heartbeat confirms (0 for none). */
  readonly readRound: number;
}

export interface HeartbeatResponse extends Envelope {
  readonly type: 'heartbeatResponse';
  readonly readRound: number;
}

/** One chunk of a snapshot; the metadata repeats in every chunk so any chunk is self-describing. */
export interface InstallSnapshotRequest extends Envelope {
  readonly type: 'installSnapshotRequest';
  readonly snapshotIndex: number;
  readonly snapshotTerm: number;
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  readonly totalBytes: number;
  readonly offset: number;
  readonly data: Uint8Array;
  readonly done: boolean;
}

export interface InstallSnapshotResponse extends Envelope {
  readonly type: 'installSnapshotResponse';
  readonly snapshotIndex: number;
  /** The offset of the chunk this answers: the leader ignores answers to chunks it moved past. */
  readonly offset: number;
  /** The byte offset the follower expects next (it resumes or restarts the transfer). */
  readonly nextOffset: number;
  /** The follower holds the snapshot (installed now, or already covered by its log). */
  readonly done: boolean;
}

/** Leadership transfer: the target campaigns at once, without pre-vote. */
export interface TimeoutNow extends Envelope {
  readonly type: 'timeoutNow';
}

/** A follower forwards a ReadIndex request to its leader. */
export interface ReadIndexRequest extends Envelope {
  readonly type: 'readIndexRequest';
  readonly context: Uint8Array;
}

export interface ReadIndexResponse extends Envelope {
  readonly type: 'readIndexResponse';
  readonly context: Uint8Array;
  readonly index: number;
}

export type Message =
  | VoteRequest
  | VoteResponse
  | AppendRequest
  | AppendResponse
  | HeartbeatRequest
  | HeartbeatResponse
  | InstallSnapshotRequest
  | InstallSnapshotResponse
  | TimeoutNow
  | ReadIndexRequest
  | ReadIndexResponse;

export type MessageType = Message['type'];

/** Messages only a leader sends: receiving one at the current term names the leader. */
export function isLeaderMessage(message: Message): boolean {
  return (
    message.type === 'appendRequest' ||
    message.type === 'heartbeatRequest' ||
    message.type === 'installSnapshotRequest' ||
    message.type === 'timeoutNow' ||
    message.type === 'readIndexResponse'
  );
}
