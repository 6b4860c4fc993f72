// Messages of proto/eddy/v1/raft.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';
import type { RaftEntryType } from './enums.js';

export interface RaftEntry {
  term: bigint;
  index: bigint;
  type: RaftEntryType;
  data: Buffer;
}

/** The membership of the quorum. */
export interface RaftMembership {
  /** Voters elect the leader and form quorums. */
  voters: number[];
  /** Members that receive the log without voting (the leader pushes to them). */
  observers: number[];
}

export interface VoteRequest {
  clusterId: string;
  /** The candidate's term; for a pre-vote, the term it would campaign in (its term + 1). */
  term: bigint;
  /** The candidate. */
  fromId: number;
  toId: number;
  lastLogIndex: bigint;
  lastLogTerm: bigint;
  preVote: boolean;
  /** Sent after TimeoutNow: voters grant it even while they still honour the old leader. */
  leadershipTransfer: boolean;
}

export interface VoteResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
  /** Echoes the request's preVote. */
  preVote: boolean;
  voteGranted: boolean;
}

/** AppendEntries. */
export interface AppendRequest {
  clusterId: string;
  term: bigint;
  /** The leader. */
  fromId: number;
  toId: number;
  /** The entry just before `entries`. */
  prevLogIndex: bigint;
  prevLogTerm: bigint;
  /** Consecutive entries from prevLogIndex + 1. */
  entries: RaftEntry[];
  /** The leader's commit index. */
  commit: bigint;
}

export interface AppendResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
  /** The entry at prevLogIndex matched, and the entries are durable (fsynced). */
  success: boolean;
  /**
   * On success: the last index known to match the leader's log. On rejection: the prevLogIndex
   * that did not match.
   */
  index: bigint;
  /**
   * On rejection, for fast backtracking: the largest index at which the peer's log might match,
   * and the peer's term there (0 when unknown).
   */
  rejectHint: bigint;
  rejectHintTerm: bigint;
}

/** Keeps followers' election timers quiet, carries the commit index, confirms read-index rounds. */
export interface RaftHeartbeatRequest {
  clusterId: string;
  term: bigint;
  /** The leader. */
  fromId: number;
  toId: number;
  /** min(leader commit, the peer's match index): never more than the peer is known to hold. */
  commit: bigint;
  /** The read-index round this heartbeat confirms; 0 for none. */
  readRound: bigint;
}

export interface RaftHeartbeatResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
  /** Echoes the request's readRound. */
  readRound: bigint;
}

/** One piece of a snapshot; the metadata repeats in every chunk so any chunk describes itself. */
export interface SnapshotChunk {
  clusterId: string;
  /** The sender's term (the leader's when pushed, the responder's when fetched). */
  term: bigint;
  fromId: number;
  toId: number;
  /** The last entry the snapshot covers, and its term. */
  snapshotIndex: bigint;
  snapshotTerm: bigint;
  /** The membership in force at snapshotIndex. */
  membership: RaftMembership | null;
  /** Total size of the snapshot data. */
  sizeBytes: bigint;
  /** Byte position of `data` within the snapshot data. */
  position: bigint;
  data: Buffer;
  /** The last chunk. */
  done: boolean;
  /**
   * FetchSnapshot only: SNAPSHOT_NOT_FOUND, POSITION_OUT_OF_RANGE, NOT_LEADER_OR_FOLLOWER; the
   * stream ends after an error.
   */
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface InstallSnapshotResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
  snapshotIndex: bigint;
  /** The byte position the peer expects next (it resumes, or restarts at 0). */
  nextPosition: bigint;
  /** The peer holds the snapshot (installed now, or already covered by its log). */
  done: boolean;
  /** The position of the chunk this answers: the leader ignores answers to chunks it moved past. */
  position: bigint;
}

export interface TimeoutNowRequest {
  clusterId: string;
  term: bigint;
  /** The leader. */
  fromId: number;
  toId: number;
}

export interface TimeoutNowResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
}

export interface ReadIndexRequest {
  clusterId: string;
  term: bigint;
  /** The follower asking. */
  fromId: number;
  toId: number;
  /** Chosen by the asker, echoed in the answer. */
  context: Buffer;
}

export interface ReadIndexResponse {
  /** NOT_LEADER_OR_FOLLOWER (leaderId names the leader, 0 unknown), QUORUM_NOT_AVAILABLE. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  fromId: number;
  leaderId: number;
  context: Buffer;
  /** Apply up to this index, then read. */
  readIndex: bigint;
}

export interface FetchLogRequest {
  correlationId: number;
  clusterId: string;
  /** The fetcher's current term; a leader of an older term answers FENCED_LEADER_EPOCH. */
  term: bigint;
  /** The fetching node. */
  fromId: number;
  /** The next index wanted: the fetcher's last index + 1. */
  fetchIndex: bigint;
  /**
   * Term of the fetcher's entry at fetchIndex - 1 (0 if none): the leader checks it and answers
   * `diverging` when the logs fork.
   */
  lastFetchedTerm: bigint;
  /** Long polling: answer at once when entries are available, else after maxWaitMs. */
  maxWaitMs: number;
  maxBytes: number;
}

export interface FetchLogResponse {
  correlationId: number;
  /** NOT_LEADER_OR_FOLLOWER (leaderId names the leader, 0 unknown), INCONSISTENT_CLUSTER_ID. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  term: bigint;
  leaderId: number;
  /** The leader's commit index: the fetcher applies entries up to it. */
  commit: bigint;
  /** The first index in the leader's log. */
  logStartIndex: bigint;
  /** Consecutive entries from fetchIndex. */
  entries: RaftEntry[];
  /**
   * Set when the fetcher's log forks from the leader's: truncate after endIndex (the end of `term`
   * in the leader's log) and fetch again.
   */
  diverging: RaftTermEnd | null;
  /**
   * Set when fetchIndex is below logStartIndex: load this snapshot (FetchSnapshot), then fetch
   * from its index + 1.
   */
  snapshot: RaftSnapshotId | null;
}

export interface RaftTermEnd {
  term: bigint;
  /** The last index of `term` in the leader's log. */
  endIndex: bigint;
}

export interface RaftSnapshotId {
  index: bigint;
  term: bigint;
}

export interface FetchSnapshotRequest {
  clusterId: string;
  /** The fetching node. */
  fromId: number;
  snapshot: RaftSnapshotId | null;
  /** Byte position to start from (resuming an interrupted transfer). */
  position: bigint;
  /** Upper bound of `data` bytes per chunk. */
  chunkBytesMax: number;
}

/** Every message of raft.proto by name. */
export interface RaftMessages {
  RaftEntry: RaftEntry;
  RaftMembership: RaftMembership;
  VoteRequest: VoteRequest;
  VoteResponse: VoteResponse;
  AppendRequest: AppendRequest;
  AppendResponse: AppendResponse;
  RaftHeartbeatRequest: RaftHeartbeatRequest;
  RaftHeartbeatResponse: RaftHeartbeatResponse;
  SnapshotChunk: SnapshotChunk;
  InstallSnapshotResponse: InstallSnapshotResponse;
  TimeoutNowRequest: TimeoutNowRequest;
  TimeoutNowResponse: TimeoutNowResponse;
  ReadIndexRequest: ReadIndexRequest;
  ReadIndexResponse: ReadIndexResponse;
  FetchLogRequest: FetchLogRequest;
  FetchLogResponse: FetchLogResponse;
  RaftTermEnd: RaftTermEnd;
  RaftSnapshotId: RaftSnapshotId;
  FetchSnapshotRequest: FetchSnapshotRequest;
}

/** Field types of every message of raft.proto, as written there (checked against it by schema.test.ts). */
export const raftSchemas = {
  RaftEntry: {
    term: 'uint64',
    index: 'uint64',
    type: 'RaftEntryType',
    data: 'bytes',
  },
  RaftMembership: {
    voters: 'repeated int32',
    observers: 'repeated int32',
  },
  VoteRequest: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
    lastLogIndex: 'uint64',
    lastLogTerm: 'uint64',
    preVote: 'bool',
    leadershipTransfer: 'bool',
  },
  VoteResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
    preVote: 'bool',
    voteGranted: 'bool',
  },
  AppendRequest: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
    prevLogIndex: 'uint64',
    prevLogTerm: 'uint64',
    entries: 'repeated RaftEntry',
    commit: 'uint64',
  },
  AppendResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
    success: 'bool',
    index: 'uint64',
    rejectHint: 'uint64',
    rejectHintTerm: 'uint64',
  },
  RaftHeartbeatRequest: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
    commit: 'uint64',
    readRound: 'uint64',
  },
  RaftHeartbeatResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
    readRound: 'uint64',
  },
  SnapshotChunk: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
    snapshotIndex: 'uint64',
    snapshotTerm: 'uint64',
    membership: 'RaftMembership',
    sizeBytes: 'uint64',
    position: 'uint64',
    data: 'bytes',
    done: 'bool',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  InstallSnapshotResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
    snapshotIndex: 'uint64',
    nextPosition: 'uint64',
    done: 'bool',
    position: 'uint64',
  },
  TimeoutNowRequest: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
  },
  TimeoutNowResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
  },
  ReadIndexRequest: {
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    toId: 'int32',
    context: 'bytes',
  },
  ReadIndexResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    fromId: 'int32',
    leaderId: 'int32',
    context: 'bytes',
    readIndex: 'uint64',
  },
  FetchLogRequest: {
    correlationId: 'uint32',
    clusterId: 'string',
    term: 'uint64',
    fromId: 'int32',
    fetchIndex: 'uint64',
    lastFetchedTerm: 'uint64',
    maxWaitMs: 'int32',
    maxBytes: 'int32',
  },
  FetchLogResponse: {
    correlationId: 'uint32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    term: 'uint64',
    leaderId: 'int32',
    commit: 'uint64',
    logStartIndex: 'uint64',
    entries: 'repeated RaftEntry',
    diverging: 'RaftTermEnd',
    snapshot: 'RaftSnapshotId',
  },
  RaftTermEnd: {
    term: 'uint64',
    endIndex: 'uint64',
  },
  RaftSnapshotId: {
    index: 'uint64',
    term: 'uint64',
  },
  FetchSnapshotRequest: {
    clusterId: 'string',
    fromId: 'int32',
    snapshot: 'RaftSnapshotId',
    position: 'uint64',
    chunkBytesMax: 'int32',
  },
} as const satisfies MessageSchemaTable<RaftMessages>;
