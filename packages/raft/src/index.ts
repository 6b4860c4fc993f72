export { type RaftConfig, type RaftConfigInput, defaultRaftConfig, raftConfig } from './config.js';
export { raftLimits } from './limits.js';
export { bootstrapState, emptyState } from './core/bootstrap.js';
export {
  applyConfChange,
  decodeMembershipEntry,
  encodeMembershipEntry,
  isObserver,
  isVoter,
  type MembershipEntryData,
} from './core/membership.js';
export type {
  AppendRequest,
  AppendResponse,
  HeartbeatRequest,
  HeartbeatResponse,
  InstallSnapshotRequest,
  InstallSnapshotResponse,
  Message,
  MessageType,
  ReadIndexRequest,
  ReadIndexResponse,
  TimeoutNow,
  VoteRequest,
  VoteResponse,
} from './core/messages.js';
export { type ProgressStatus, RaftNode, type RaftNodeOptions, type RaftNodeView, type RaftStatus } from './core/raft-node.js';
export type { Ready } from './core/ready.js';
export {
  type ConfChange,
  type ConfChangeType,
  type Entry,
  type EntryKind,
  type HardState,
  type Membership,
  NO_NODE,
  type NodeId,
  type PersistedState,
  type ProposeResult,
  type ReadState,
  type Refusal,
  type RefusalReason,
  type RequestResult,
  type RoleName,
  type Snapshot,
  type SnapshotMeta,
  type SoftState,
} from './core/types.js';
export type { RaftLogStore, StateMachine, Ticker, Transport } from './driver/interfaces.js';
export { IntervalTicker } from './driver/interval-ticker.js';
export { MemoryLogStore, type StoreWrite } from './driver/memory-log-store.js';
export { type Committed, RaftDriver, type RaftDriverOptions } from './driver/raft-driver.js';
export { RaftError, type RaftErrorCode } from './driver/raft-error.js';
