import type { PartitionLog } from '@eddy/log';
import type { ConfigMap } from '@eddy/metadata';
import type { WireError } from '@eddy/protocol';
import type { RecordBatchHeader } from '@eddy/record';
import { defaultTopicConfig, type TopicConfig } from '../topic-config.js';
import type { EpochStart } from './divergence.js';
import type { PartitionLeaderState } from './partition-leader-state.js';
import { partitionKey } from './partition-key.js';
import { ProducerStateManager } from './producer-state.js';
import { RecentBatches, type RecentBatchesPool } from './recent-batches.js';
import type { FollowerFetchState } from './replica-fetcher.js';
import { SerialExecutor } from './serial-executor.js';

/** Kafka's acks: 0 no answer, 1 the leader's append, -1 every in-sync replica. */
export type Acks = -1 | 0 | 1;

/** The outcome of appending one partition's batches (what a ProducePartitionResponse carries). */
export interface AppendOutcome {
  readonly error: WireError;
  /** Offset of the first record; -1 on error. */
  readonly baseOffset: bigint;
  readonly logStartOffset: bigint;
  /** Leader hints with NOT_LEADER_OR_FOLLOWER / FENCED_LEADER_EPOCH (-1 unknown). */
  readonly currentLeaderId: number;
  readonly currentLeaderEpoch: number;
}

/** A verified batch of a produce request. */
export interface VerifiedBatch {
  readonly header: RecordBatchHeader;
}

/** One partition's part of a produce request, verified and waiting for the partition's next append. */
export interface PendingAppend {
  readonly records: Buffer;
  readonly batches: readonly VerifiedBatch[];
  readonly acks: Acks;
  readonly timeoutMs: number;
  readonly resolve: (outcome: AppendOutcome) => void;
}

/** Something parked on a partition until its data moves (a long-polling fetch). */
export interface PartitionWaiter {
  wake(): void;
}

export type ReplicaRole =
  /** Opening, or not a replica any more (being deleted). */
  | { readonly kind: 'none' }
  | { readonly kind: 'leader'; readonly state: PartitionLeaderState; readonly epochStart: EpochStart }
  /** leaderId -1 while the partition has no leader (then there is no fetch state). */
  | { readonly kind: 'follower'; readonly leaderId: number; readonly fetch: FollowerFetchState | undefined };

/**
 * One local replica of a partition: its log, its role, its high watermark, the idempotent
 * producers' state and the requests parked on it. The replica manager drives it; every change
 * of role and every write to its log runs on its serial lane, in order.
 */
export class PartitionReplica {
  readonly key: string;
  readonly serial = new SerialExecutor();
  /** The topic incarnation this replica belongs to (undefined until metadata named it). */
  topicId: string | undefined;
  log: PartitionLog | undefined;
  role: ReplicaRole = { kind: 'none' };
  /** The leader epoch of the role (the metadata's, as applied here). */
  leaderEpoch = -1;
  replicas: readonly number[] = [];
  /**
   * Leader: the HW of its PartitionLeaderState. Follower: min(leader's HW, own log end). What
   * consumers may read below, and where a new leadership starts its HW.
   */
  highWatermark = 0n;
  config: TopicConfig = defaultTopicConfig;
  configSource: ConfigMap | undefined;
  configResolved = false;
  readonly producers = new ProducerStateManager();
  /** Verified produce batches waiting for the next group append, in arrival order. */
  readonly appendQueue: PendingAppend[] = [];
  appendScheduled = false;
  /** acks=all appends admitted and not yet in the purgatory (bounded with it). */
  acksAllQueued = 0;
  /** Consumer fetches waiting for the HW to move. */
  readonly consumerWaiters = new Set<PartitionWaiter>();
  /** Follower fetches waiting for the log end to move. */
  readonly followerWaiters = new Set<PartitionWaiter>();
  /** The broker epoch each follower last fetched with (AlterPartition's IsrMember). */
  readonly followerBrokerEpochs = new Map<number, bigint>();
  /** The ISR check is scheduled for this partition. */
  isrCheckScheduled = false;
  /** When the pending ISR proposal was sent (monotonic ms). */
  isrProposedAtMs = 0;
  /** Leader: the batches it appended last, served to fetches at the tail without a disk read. */
  readonly recentBatches: RecentBatches;

  constructor(
    readonly topic: string,
    readonly partition: number,
    recentBatchesPool: RecentBatchesPool,
  ) {
    this.key = partitionKey(topic, partition);
    this.recentBatches = new RecentBatches(recentBatchesPool);
  }

  get isLeader(): boolean {
    return this.role.kind === 'leader';
  }

  get logEndOffset(): bigint {
    return this.log?.logEndOffset ?? 0n;
  }

  get logStartOffset(): bigint {
    return this.log?.logStartOffset ?? 0n;
  }

  /** Wakes the consumer fetches parked here (the HW moved, or the role changed). */
  wakeConsumers(): void {
    for (const waiter of [...this.consumerWaiters]) waiter.wake();
  }

  /** Wakes the follower fetches parked here (the log end moved, or the role changed). */
  wakeFollowers(): void {
    for (const waiter of [...this.followerWaiters]) waiter.wake();
  }

  wakeAll(): void {
    this.wakeConsumers();
    this.wakeFollowers();
  }
}
