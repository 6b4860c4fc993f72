/**
 * The broker's data path for partitions: the ReplicaManager (produce, fetch, list offsets,
 * replication as leader and follower, ISR changes), its gRPC handlers, and the pure pieces it
 * is built from.
 */
export { DeadlineHeap, type DeadlineEntry } from './deadline-heap.js';
export { checkDivergence, type DivergenceCheck, endOffsetForEpoch, type EpochStart, followerTruncationOffset } from './divergence.js';
export { effectiveFetchBytes, FetchBudget } from './fetch-sizing.js';
export { type ClientDataHandlers, clientDataHandlers, replicationHandlerMap, replicationServiceHandlers } from './handlers.js';
export { replicationLimits } from './limits.js';
export { type AppendCheck, type FollowerProgress, type IsrProposal, type LeaderStateInit, PartitionLeaderState } from './partition-leader-state.js';
export type { Acks, AppendOutcome } from './partition-replica.js';
export { ProducePurgatory } from './produce-purgatory.js';
export { PRODUCER_BATCHES_CACHED, type ProducerBatch, ProducerStateManager, type SequenceCheck } from './producer-state.js';
export { ReplicaFetchSession, type SessionPartition } from './replica-fetch-session.js';
export { type FollowerFetchState, ReplicaFetcher, type ReplicaFetcherDeps, type SentPosition } from './replica-fetcher.js';
export {
  type AlterPartitionOutcome,
  type AlterPartitionProposal,
  type AppendRecordsInput,
  type IsrController,
  type MetadataSource,
  ReplicaManager,
  type ReplicaManagerDeps,
  type ReplicaRoleChange,
  type ReplicaRoleListener,
  type ReplicaStatus,
} from './replica-manager.js';
export {
  defaultReplicaManagerConfig,
  type ReplicaManagerConfig,
  type ReplicaManagerConfigInput,
  resolveReplicaManagerConfig,
} from './replica-manager-config.js';
