import { assert, type Clock, EddyError, type Logger, silentLogger, systemClock } from '@eddy/base';
import { type EpochEndOffset, type LogConfigInput, type LogManager, OffsetOutOfRangeError, type PartitionLog, logLimits } from '@eddy/log';
import { localReplicaChanges, type MetadataDelta, type MetadataImage, NO_LEADER, type PartitionImage } from '@eddy/metadata';
import {
  type BrokerEndpoint,
  type ErrorCodeName,
  type FetchPartitionResponse,
  type FetchRequest,
  type FetchResponse,
  type FetchTopicResponse,
  type ListOffsetsPartitionResponse,
  type ListOffsetsRequest,
  type ListOffsetsResponse,
  noError,
  type OffsetForLeaderPartitionResult,
  type OffsetsForLeaderEpochRequest,
  type OffsetsForLeaderEpochResponse,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ReplicaFetchPartitionResponse,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ReplicaFetchTopicResponse,
  type ServiceClient,
  type WireError,
} from '@eddy/protocol';
import { BATCH_ATTRIBUTES, batchSizeAt, CorruptRecordError, readBatchHeader, type RecordBatchHeader, verifyBatch } from '@eddy/record';
import type { MetadataListener } from '../metadata/metadata-loader.js';
import { resolveTopicConfig, type TopicConfig } from '../topic-config.js';
import { DeadlineTimer, type TimerHandle } from './deadline-timer.js';
import { checkDivergence, endOffsetForEpoch, type EpochStart, followerTruncationOffset, needsVirtualEpoch } from './divergence.js';
import { effectiveFetchBytes, FetchBudget } from './fetch-sizing.js';
import { HighWatermarkCheckpoint } from './high-watermark-checkpoint.js';
import { replicationLimits } from './limits.js';
import { PartitionLeaderState } from './partition-leader-state.js';
import { partitionKey } from './partition-key.js';
import { type Acks, type AppendOutcome, PartitionReplica, type PartitionWaiter, type PendingAppend, type VerifiedBatch } from './partition-replica.js';
import { ProducePurgatory } from './produce-purgatory.js';
import { type AppendedBatchInfo, RecentBatchesPool } from './recent-batches.js';
import type { ReplicaFetchSession, SessionPartition } from './replica-fetch-session.js';
import { type FollowerFetchState, ReplicaFetcher, type SentPosition } from './replica-fetcher.js';
import { type ReplicaManagerConfig, type ReplicaManagerConfigInput, resolveReplicaManagerConfig } from './replica-manager-config.js';
import { ConcurrencyLimiter } from './serial-executor.js';
import { errorCodeOf, wireError, wireErrorOf } from './wire-errors.js';

// ---------------------------------------------------------------------------------------------
// Dependencies.

/** The committed metadata as the node's MetadataLoader offers it (the loader itself fits). */
export interface MetadataSource {
  readonly image: MetadataImage;
  subscribe(listener: MetadataListener): () => void;
}

/** An ISR change a partition leader asks the active controller to commit (AlterPartition). */
export interface AlterPartitionProposal {
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
  readonly leaderEpoch: number;
  /** The partition epoch the proposal is based on. */
  readonly partitionEpoch: number;
  /** The proposed ISR, leader included. */
  readonly isr: readonly number[];
  /** The same ISR with the broker epoch each member last fetched with (-1n unknown): AlterPartition's IsrMember. */
  readonly isrMembers: ReadonlyArray<{ readonly brokerId: number; readonly brokerEpoch: bigint }>;
}

/** The controller's answer: the partition's state after the change (or as it is, on error). */
export interface AlterPartitionOutcome {
  readonly errorCode: ErrorCodeName;
  readonly errorMessage?: string;
  readonly isr: readonly number[];
  readonly partitionEpoch: number;
  readonly leaderEpoch: number;
}

/** The node's way to the active controller, for ISR changes. */
export interface IsrController {
  alterPartition(proposal: AlterPartitionProposal): Promise<AlterPartitionOutcome>;
}

export interface ReplicaManagerDeps {
  readonly nodeId: number;
  /** The node's log manager (opened by the node; closed by it after the replica manager). */
  readonly logManager: LogManager;
  readonly metadata: MetadataSource;
  readonly controller: IsrController;
  /** This broker's registration epoch (-1 before it registered). */
  readonly brokerEpoch: () => number;
  /** A ReplicationService stub for a broker (from `connect(...).service('ReplicationService')`), undefined when unknown. */
  readonly replicationClient: (brokerId: number) => ServiceClient<'ReplicationService'> | undefined;
  readonly clock?: Clock;
  readonly logger?: Logger;
  readonly config?: ReplicaManagerConfigInput;
}

/** An append of the node itself (the group coordinator's writes to __consumer_offsets). */
export interface AppendRecordsInput {
  readonly topic: string;
  readonly partition: number;
  /** One or more whole batches; offsets and leader epoch are stamped in place. */
  readonly records: Buffer;
  readonly acks: Acks;
  /** With acks -1: how long to wait for the ISR (REQUEST_TIMED_OUT after it). */
  readonly timeoutMs: number;
}

/** What `status()` reports per local replica (describe, under-replicated partitions). */
export interface ReplicaStatus {
  readonly topic: string;
  readonly partition: number;
  readonly topicId: string | undefined;
  readonly role: 'leader' | 'follower' | 'none';
  /** The leader as this replica knows it (-1 none). */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: bigint;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly replicas: readonly number[];
  /** Leader: the ISR it last saw committed; follower: the metadata's. */
  readonly isr: readonly number[];
  /** Leader: an ISR change sent to the controller and not yet committed. */
  readonly pendingIsr: readonly number[] | undefined;
  /** Leader: each follower's progress. */
  readonly followers: ReadonlyArray<{ readonly replicaId: number; readonly logEndOffset: bigint; readonly lastCaughtUpTimeMs: number }>;
  readonly underReplicated: boolean;
  /** Follower: where it fetches from. */
  readonly fetchOffset: bigint | undefined;
}

/** A local replica took up a role (after its log is open and the role is in place). */
export interface ReplicaRoleChange {
  readonly topic: string;
  readonly partition: number;
  /** 'none': the replica was deleted (the partition left this broker or its topic was deleted). */
  readonly role: 'leader' | 'follower' | 'none';
  readonly leaderEpoch: number;
}

export type ReplicaRoleListener = (change: ReplicaRoleChange) => void;

/** acks=all produce parked in the purgatory. */
interface ParkedAppend {
  readonly replica: PartitionReplica;
  readonly baseOffset: bigint;
  readonly resolve: (outcome: AppendOutcome) => void;
}

/** A partition of a consumer fetch after its one-time checks. */
interface ConsumerFetchEntry {
  readonly topic: string;
  readonly partition: number;
  readonly fetchOffset: bigint;
  readonly partitionMaxBytes: number;
  readonly replica: PartitionReplica | undefined;
  readonly leaderEpoch: number;
  readonly failure: WireError | undefined;
  readonly divergingEpoch: EpochEndOffset | null;
}

/** What a leader needs to answer one partition of a consumer or follower fetch. */
interface LeaderRead extends ConsumerFetchEntry {
  /** Consumers are told nothing of a partition's offsets when the topic is unknown to them. */
  readonly reportsUnknownTopic: boolean;
}

/** A partition of a follower fetch after its one-time checks. */
interface FollowerFetchEntry {
  readonly session: SessionPartition;
  readonly replica: PartitionReplica | undefined;
  readonly leaderEpoch: number;
  readonly failure: WireError | undefined;
  readonly divergingEpoch: EpochEndOffset | null;
  readonly partitionMaxBytes: number;
}

interface LongPoll {
  finalize(): void;
}

const NO_HINT = { currentLeaderId: -1, currentLeaderEpoch: -1 } as const;
const EMPTY = Buffer.alloc(0);
const DEFAULT_PRODUCE_TIMEOUT_MS = 30_000;
const DEFAULT_FETCH_MAX_BYTES = 50 * 1024 * 1024;
const DEFAULT_PARTITION_FETCH_MAX_BYTES = 1024 * 1024;

function minBigint(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}

function maxBigint(a: bigint, b: bigint): bigint {
  return a > b ? a : b;
}

/**
 * The log settings of a topic. max.message.bytes is enforced by the leader on produce (it
 * follows config changes at once); the log takes any batch the engine can hold, so a follower
 * never refuses a batch its leader accepted under a newer limit.
 */
function logConfigOf(config: TopicConfig): LogConfigInput {
  return {
    segmentBytes: config.segmentBytes,
    segmentMs: config.segmentMs,
    retentionBytes: config.retentionBytes,
    retentionMs: config.retentionMs,
    maxMessageBytes: logLimits.batchBytesMax,
    flushMessages: config.flushMessages,
    flushMs: config.flushMs,
  };
}

/**
 * The broker's data path for partitions, as Kafka's ReplicaManager: it reacts to metadata by
 * leading, following or deleting local replicas; appends produce requests (verified batches,
 * stamped in place, appended in groups, idempotence checked) and answers acks=all once the high
 * watermark covers them; serves consumer fetches below the high watermark with long polling;
 * serves followers' fetches and OffsetsForLeaderEpoch as a leader; fetches from leaders as a
 * follower (truncating on divergence); and keeps the ISR through the controller.
 *
 * Transport-neutral: `handlers.ts` adapts it to gRPC streams.
 */
export class ReplicaManager {
  readonly nodeId: number;
  readonly config: ReplicaManagerConfig;
  private readonly deps: ReplicaManagerDeps;
  private readonly clock: Clock;
  /** The manager's logger (component replica-manager, node id bound). */
  readonly logger: Logger;
  private readonly replicasByKey = new Map<string, PartitionReplica>();
  private readonly fetchers = new Map<number, ReplicaFetcher>();
  /** Fetchers left without partitions, closing their streams. */
  private readonly stoppingFetchers = new Set<Promise<void>>();
  private readonly purgatory = new ProducePurgatory<ParkedAppend>(replicationLimits.acksAllWaitersMax);
  private readonly recentBatchesPool = new RecentBatchesPool(replicationLimits.recentBatchesBytesMax);
  private readonly timer: DeadlineTimer;
  private purgatorySweep: { handle: TimerHandle; deadlineMs: number } | undefined;
  private readonly longPolls = new Set<LongPoll>();
  private readonly opening = new ConcurrencyLimiter(replicationLimits.logOpenConcurrencyMax);
  /** acks=all appends admitted and not yet appended, over all partitions (bounded with the purgatory). */
  private acksAllQueued = 0;
  private readonly isrCheckQueue = new Set<PartitionReplica>();
  private isrCheckImmediate: NodeJS.Immediate | undefined;
  private isrTimer: NodeJS.Timeout | undefined;
  private readonly checkpoint: HighWatermarkCheckpoint;
  /** The HWs checkpointed by the previous run, read before the first log opens; each is used once. */
  private savedHighWatermarks: Promise<Map<string, bigint>> | undefined;
  private checkpointTimer: NodeJS.Timeout | undefined;
  private checkpointChain: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private readonly roleListeners: ReplicaRoleListener[] = [];
  private started = false;
  private closed = false;

  constructor(deps: ReplicaManagerDeps) {
    this.deps = deps;
    this.nodeId = deps.nodeId;
    this.config = resolveReplicaManagerConfig(deps.config);
    this.clock = deps.clock ?? systemClock;
    this.logger = (deps.logger ?? silentLogger).child({ component: 'replica-manager', nodeId: deps.nodeId });
    this.timer = new DeadlineTimer(this.clock);
    this.checkpoint = new HighWatermarkCheckpoint(deps.logManager.dataDir);
  }

  private get image(): MetadataImage {
    return this.deps.metadata.image;
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Subscribes to metadata and takes up the replicas the current image assigns to this node. */
  start(): void {
    assert(!this.started, 'a replica manager starts once');
    this.started = true;
    this.unsubscribe = this.deps.metadata.subscribe((image, delta) => this.onMetadata(image, delta));
    this.onMetadata(this.image, undefined);
    this.isrTimer = setInterval(() => this.isrTick(), this.config.isrCheckIntervalMs);
    this.isrTimer.unref();
    this.checkpointTimer = setInterval(() => void this.checkpointHighWatermarks(), this.config.highWatermarkCheckpointIntervalMs);
    this.checkpointTimer.unref();
  }

  /**
   * Stops fetching and leading: waiting produces and fetches are answered (NODE_SHUTTING_DOWN,
   * or what the fetch has), fetcher streams are closed, and role changes in flight finish.
   * Logs stay open: the node closes its LogManager afterwards.
   */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.isrTimer);
    clearInterval(this.checkpointTimer);
    if (this.isrCheckImmediate !== undefined) clearImmediate(this.isrCheckImmediate);
    await Promise.all([...this.fetchers.values()].map((fetcher) => fetcher.stop()));
    this.fetchers.clear();
    await Promise.all(this.stoppingFetchers);
    const shuttingDown = wireError('NODE_SHUTTING_DOWN', 'the broker is shutting down');
    for (const replica of this.replicasByKey.values()) this.failQueuedAppends(replica, shuttingDown);
    for (const parked of this.purgatory.drainAll()) parked.resolve(this.outcome(parked.replica, shuttingDown));
    for (const poll of [...this.longPolls]) poll.finalize();
    await Promise.all([...this.replicasByKey.values()].map((replica) => replica.serial.idle()));
    await this.checkpointHighWatermarks();
    this.timer.close();
    this.purgatorySweep = undefined;
  }

  // ---- metadata -----------------------------------------------------------------------------

  private onMetadata(image: MetadataImage, delta: MetadataDelta | undefined): void {
    if (this.closed) return;
    const touched = new Map<string, { topic: string; partition: number }>();
    const touch = (topic: string, partition: number): void => {
      touched.set(partitionKey(topic, partition), { topic, partition });
    };
    if (delta === undefined) {
      for (const topic of image.topicsById.values()) {
        for (const partition of topic.partitions.values()) if (partition.replicas.includes(this.nodeId)) touch(topic.name, partition.partition);
      }
      for (const replica of this.replicasByKey.values()) touch(replica.topic, replica.partition);
      // Logs found on disk at startup that the image no longer assigns here (moved away or
      // deleted while this broker was down) get no delta naming them: delete them now.
      for (const log of this.deps.logManager.partitions()) touch(log.topic, log.partition);
    } else {
      const changes = localReplicaChanges(delta, this.nodeId);
      for (const partition of changes.leaders) touch(partition.topicName, partition.partition);
      for (const partition of changes.followers) touch(partition.topicName, partition.partition);
      for (const removed of changes.removed) touch(removed.topicName, removed.partition);
    }
    for (const { topic, partition } of touched.values()) this.scheduleReconcile(topic, partition);
    // Topic config changes (min.insync.replicas, max.message.bytes) apply at once.
    for (const replica of this.replicasByKey.values()) this.refreshConfig(replica, image);
  }

  private refreshConfig(replica: PartitionReplica, image: MetadataImage): void {
    const source = image.topicConfigs.get(replica.topic);
    if (replica.configResolved && source === replica.configSource) return;
    replica.configSource = source;
    replica.configResolved = true;
    replica.config = resolveTopicConfig(source);
  }

  private scheduleReconcile(topic: string, partition: number): void {
    const key = partitionKey(topic, partition);
    let replica = this.replicasByKey.get(key);
    if (replica === undefined) {
      replica = new PartitionReplica(topic, partition, this.recentBatchesPool);
      this.refreshConfig(replica, this.image);
      this.replicasByKey.set(key, replica);
    }
    const target = replica;
    target.serial
      .run(() => this.reconcile(target))
      .catch((error: unknown) => {
        const failure = wireErrorOf(error);
        this.logger.error({ topic, partition, code: failure.errorCode, error: failure.errorMessage }, 'could not apply the metadata to a replica');
        // Appends queued for a leadership that could not be taken up must not hang.
        if (!target.isLeader) this.failQueuedAppends(target, failure);
      });
  }

  /** Moves a replica to the role the latest image gives it. Runs on the replica's lane. */
  private async reconcile(replica: PartitionReplica): Promise<void> {
    if (this.closed) return;
    const desired = this.image.partition(replica.topic, replica.partition);
    const isReplica = desired !== undefined && desired.replicas.includes(this.nodeId);
    if (!isReplica || (replica.topicId !== undefined && replica.topicId !== desired.topicId)) {
      await this.stopAndDelete(replica, desired === undefined ? 'the topic was deleted' : 'this broker is no longer a replica');
      if (!isReplica) {
        // The lane runs only this task: nobody else can reach the object any more.
        if (replica.serial.pending <= 1 && this.replicasByKey.get(replica.key) === replica) this.replicasByKey.delete(replica.key);
        return;
      }
    }
    replica.topicId = desired.topicId;
    replica.replicas = desired.replicas;
    this.refreshConfig(replica, this.image);
    await this.ensureOpen(replica);
    if (desired.leader === this.nodeId) this.becomeLeader(replica, desired);
    else await this.becomeFollower(replica, desired);
  }

  private async ensureOpen(replica: PartitionReplica): Promise<PartitionLog> {
    if (replica.log !== undefined && replica.log.isOpen) return replica.log;
    this.savedHighWatermarks ??= this.checkpoint.read();
    const saved = await this.savedHighWatermarks;
    const log = await this.opening.run(async () => {
      const opened = await this.openIncarnation(replica, saved);
      replica.log = opened;
      await this.rebuildProducerState(replica);
      return opened;
    });
    const checkpointed = saved.get(replica.key);
    saved.delete(replica.key);
    const known = checkpointed !== undefined && checkpointed > replica.highWatermark ? checkpointed : replica.highWatermark;
    replica.highWatermark = maxBigint(log.logStartOffset, minBigint(known, log.logEndOffset));
    return log;
  }

  /**
   * The replica's log, made sure to belong to the topic incarnation the metadata names (Kafka's
   * KIP-516): a log recording another topic id was left by a topic deleted and recreated under
   * the same name while this broker was down, so it is deleted (with its checkpointed HW) and an
   * empty log takes its place; a log recording none (created before ids were recorded) is adopted
   * with its data.
   */
  private async openIncarnation(replica: PartitionReplica, savedHighWatermarks: Map<string, bigint>): Promise<PartitionLog> {
    const { topic, partition, topicId } = replica;
    assert(topicId !== undefined, 'a replica knows its topic id before its log opens');
    const config = logConfigOf(replica.config);
    const found = await this.deps.logManager.getOrCreate(topic, partition, config, topicId);
    if (found.topicId === topicId) return found;
    this.logger.warn(
      { topic, partition, topicId, logTopicId: found.topicId, logEndOffset: String(found.logEndOffset) },
      'the log on disk belongs to an older incarnation of the topic; replacing it with an empty one',
    );
    savedHighWatermarks.delete(replica.key);
    await this.deps.logManager.delete(topic, partition);
    return this.deps.logManager.getOrCreate(topic, partition, config, topicId);
  }

  /** Writes every local replica's HW to the checkpoint file (one write at a time). */
  private checkpointHighWatermarks(): Promise<void> {
    const entries = [...this.replicasByKey.values()]
      .filter((replica) => replica.log !== undefined)
      .map((replica) => ({ topic: replica.topic, partition: replica.partition, highWatermark: replica.highWatermark }));
    const run = this.checkpointChain.then(async () => {
      if (entries.length === 0) return;
      try {
        await this.checkpoint.write(entries);
      } catch (error) {
        this.logger.warn({ file: this.checkpoint.file, error: String(error) }, 'could not write the high watermark checkpoint');
      }
    });
    this.checkpointChain = run;
    return run;
  }

  private becomeLeader(replica: PartitionReplica, desired: PartitionImage): void {
    const log = replica.log;
    assert(log !== undefined, 'a leader has a log');
    const nowMs = this.clock.monotonicMs();
    if (replica.role.kind === 'leader' && replica.role.state.leaderEpoch === desired.leaderEpoch) {
      const { state } = replica.role;
      replica.replicas = desired.replicas;
      if (desired.partitionEpoch > state.currentPartitionEpoch) {
        state.onPartitionUpdate(desired.isr, desired.replicas, desired.partitionEpoch, nowMs);
        this.refreshHighWatermark(replica);
      }
      return;
    }
    if (replica.role.kind === 'follower') this.stopFollowing(replica);
    replica.recentBatches.clear();
    let isr = desired.isr;
    if (!isr.includes(this.nodeId)) {
      this.logger.warn({ topic: replica.topic, partition: replica.partition, isr }, 'elected leader outside the ISR; counting itself in');
      isr = [...isr, this.nodeId];
    }
    const logEndOffset = log.logEndOffset;
    const highWatermark = maxBigint(log.logStartOffset, minBigint(replica.highWatermark, logEndOffset));
    const state = new PartitionLeaderState({
      leaderId: this.nodeId,
      leaderEpoch: desired.leaderEpoch,
      partitionEpoch: desired.partitionEpoch,
      replicas: desired.replicas,
      isr,
      leaderEpochStartOffset: logEndOffset,
      highWatermark,
      nowMs,
    });
    replica.role = { kind: 'leader', state, epochStart: { epoch: desired.leaderEpoch, startOffset: logEndOffset } };
    replica.leaderEpoch = desired.leaderEpoch;
    replica.followerBrokerEpochs.clear();
    replica.highWatermark = highWatermark;
    this.logger.info(
      { topic: replica.topic, partition: replica.partition, leaderEpoch: desired.leaderEpoch, logEndOffset: String(logEndOffset), highWatermark: String(highWatermark) },
      'became leader',
    );
    this.refreshHighWatermark(replica);
    replica.wakeAll();
    if (replica.appendQueue.length > 0) this.scheduleDrain(replica);
    this.notifyRole(replica, 'leader');
  }

  private async becomeFollower(replica: PartitionReplica, desired: PartitionImage): Promise<void> {
    const log = replica.log;
    assert(log !== undefined, 'a follower has a log');
    replica.replicas = desired.replicas;
    if (replica.role.kind === 'follower' && replica.role.leaderId === desired.leader && replica.leaderEpoch === desired.leaderEpoch) return;
    const notLeader = wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} is a follower of ${replica.key}`);
    if (replica.role.kind === 'leader') this.stopLeading(replica, notLeader);
    if (replica.role.kind === 'follower') this.stopFollowing(replica);
    this.failQueuedAppends(replica, notLeader);
    replica.leaderEpoch = desired.leaderEpoch;
    if (replica.highWatermark > log.logEndOffset) replica.highWatermark = log.logEndOffset;
    let fetch: FollowerFetchState | undefined;
    if (desired.leader !== NO_LEADER && desired.leader !== this.nodeId && replica.topicId !== undefined) {
      fetch = {
        key: replica.key,
        topicId: replica.topicId,
        topic: replica.topic,
        partition: replica.partition,
        leaderEpoch: desired.leaderEpoch,
        fetchOffset: log.logEndOffset,
        lastFetchedEpoch: await log.latestEpoch(),
        logStartOffset: log.logStartOffset,
        delayedUntilMs: 0,
        removed: false,
      };
    }
    replica.role = { kind: 'follower', leaderId: desired.leader, fetch };
    this.logger.info(
      { topic: replica.topic, partition: replica.partition, leaderId: desired.leader, leaderEpoch: desired.leaderEpoch, logEndOffset: String(log.logEndOffset) },
      'became follower',
    );
    if (fetch !== undefined) this.fetcherFor(desired.leader).add(fetch);
    replica.wakeAll();
    this.notifyRole(replica, 'follower');
  }

  private fetcherFor(brokerId: number): ReplicaFetcher {
    let fetcher = this.fetchers.get(brokerId);
    if (fetcher === undefined) {
      fetcher = new ReplicaFetcher({
        nodeId: this.nodeId,
        sourceBrokerId: brokerId,
        brokerEpoch: this.deps.brokerEpoch,
        replicationClient: this.deps.replicationClient,
        config: this.config,
        clock: this.clock,
        logger: this.logger,
        onPartition: (sent, response) => this.onFollowerPartition(sent, response),
      });
      this.fetchers.set(brokerId, fetcher);
    }
    return fetcher;
  }

  private stopFollowing(replica: PartitionReplica): void {
    if (replica.role.kind !== 'follower') return;
    const { fetch, leaderId } = replica.role;
    if (fetch !== undefined) {
      fetch.removed = true;
      const fetcher = this.fetchers.get(leaderId);
      fetcher?.remove(fetch.key);
      if (fetcher !== undefined && fetcher.size === 0) {
        this.fetchers.delete(leaderId);
        const stopping = fetcher.stop().finally(() => this.stoppingFetchers.delete(stopping));
        this.stoppingFetchers.add(stopping);
      }
    }
    replica.role = { kind: 'none' };
  }

  private stopLeading(replica: PartitionReplica, error: WireError): void {
    if (replica.role.kind !== 'leader') return;
    replica.role = { kind: 'none' };
    replica.recentBatches.clear();
    for (const parked of this.purgatory.drain(replica.key)) parked.resolve(this.outcome(replica, error));
    this.armPurgatorySweep();
    replica.followerBrokerEpochs.clear();
    this.logger.info({ topic: replica.topic, partition: replica.partition }, 'stopped leading');
  }

  private async stopAndDelete(replica: PartitionReplica, reason: string): Promise<void> {
    const notReplica = wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} is not a replica of ${replica.key}: ${reason}`);
    this.stopLeading(replica, notReplica);
    this.stopFollowing(replica);
    this.failQueuedAppends(replica, notReplica);
    replica.role = { kind: 'none' };
    replica.wakeAll();
    const hadLog = replica.log !== undefined || this.deps.logManager.get(replica.topic, replica.partition) !== undefined;
    replica.log = undefined;
    replica.producers.clear();
    replica.highWatermark = 0n;
    replica.leaderEpoch = -1;
    replica.topicId = undefined;
    if (hadLog) {
      await this.deps.logManager.delete(replica.topic, replica.partition);
      this.logger.info({ topic: replica.topic, partition: replica.partition, reason }, 'deleted the replica');
      this.notifyRole(replica, 'none');
    }
  }

  /**
   * Calls `listener` whenever a local replica becomes leader, becomes follower (or changes
   * leader or epoch), or is deleted: the group coordinator loads and unloads the groups of
   * __consumer_offsets partitions with it. Listeners run on the replica's lane: keep them short.
   */
  subscribeRoleChanges(listener: ReplicaRoleListener): () => void {
    this.roleListeners.push(listener);
    return () => {
      const at = this.roleListeners.indexOf(listener);
      if (at >= 0) this.roleListeners.splice(at, 1);
    };
  }

  private notifyRole(replica: PartitionReplica, role: ReplicaRoleChange['role']): void {
    const change: ReplicaRoleChange = { topic: replica.topic, partition: replica.partition, role, leaderEpoch: replica.leaderEpoch };
    for (const listener of [...this.roleListeners]) {
      try {
        listener(change);
      } catch (error) {
        this.logger.error({ topic: replica.topic, partition: replica.partition, error: String(error) }, 'a role listener failed');
      }
    }
  }

  /** Replays the batch headers of the whole log into a fresh producer state. */
  private async rebuildProducerState(replica: PartitionReplica): Promise<void> {
    const log = replica.log;
    replica.producers.clear();
    if (log === undefined) return;
    let offset = log.logStartOffset;
    const end = log.logEndOffset;
    try {
      while (offset < end) {
        const { records } = await log.read(offset, replicationLimits.producerStateReplayChunkBytes, { maxOffset: end });
        if (records.length === 0) break;
        const before = offset;
        let position = 0;
        while (position < records.length) {
          const size = batchSizeAt(records, position);
          if (size === undefined || position + size > records.length) break;
          const header = readBatchHeader(records, position);
          const next = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
          if (next > offset) {
            this.trackProducer(replica, header);
            offset = next;
          }
          position += size;
        }
        if (offset <= before) break;
      }
    } catch (error) {
      this.logger.warn({ topic: replica.topic, partition: replica.partition, error: String(error) }, 'could not replay the producer state; idempotent producers may see sequence errors');
    }
  }

  /** Records an appended batch of an idempotent producer (skipping one a newer epoch fenced). */
  private trackProducer(replica: PartitionReplica, header: RecordBatchHeader): void {
    if (header.producerId < 0n) return;
    const batch = { producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, lastOffsetDelta: header.lastOffsetDelta };
    const check = replica.producers.check(batch);
    if (check.kind === 'reject' && check.code === 'INVALID_PRODUCER_EPOCH') return;
    replica.producers.onAppend(batch, header.baseOffset);
  }

  // ---- produce ------------------------------------------------------------------------------

  /**
   * A ClientService.Produce request: every partition's batches are verified and queued now, in
   * request order (so pipelined requests keep their order), and the answer resolves when every
   * partition is done (acks 0 resolves too; the stream sends nothing for it).
   */
  produce(request: ProduceRequest): Promise<ProduceResponse> {
    const acks = request.acks;
    const base = { correlationId: request.correlationId, throttleTimeMs: 0 };
    if (acks !== -1 && acks !== 0 && acks !== 1) {
      return Promise.resolve({ ...base, ...wireError('INVALID_REQUIRED_ACKS', `acks must be -1, 0 or 1, got ${acks}`), topics: [], nodeEndpoints: [] });
    }
    let count = 0;
    for (const topic of request.topics) count += topic.partitions.length;
    if (count > replicationLimits.requestPartitionsMax) {
      return Promise.resolve({ ...base, ...wireError('INVALID_REQUEST', `a produce request carries at most ${replicationLimits.requestPartitionsMax} partitions`), topics: [], nodeEndpoints: [] });
    }
    const timeoutMs = request.timeoutMs <= 0 ? DEFAULT_PRODUCE_TIMEOUT_MS : Math.min(request.timeoutMs, replicationLimits.produceTimeoutMsMax);
    const pending = request.topics.map((topic) => ({
      name: topic.name,
      partitions: topic.partitions.map((partition) => ({
        partition: partition.partition,
        outcome: this.appendRecords({ topic: topic.name, partition: partition.partition, records: partition.records, acks, timeoutMs }),
      })),
    }));
    return (async () => {
      const leaders = new Set<number>();
      const topics = [];
      for (const topic of pending) {
        const partitions: ProducePartitionResponse[] = [];
        for (const entry of topic.partitions) {
          const outcome = await entry.outcome;
          if (outcome.currentLeaderId >= 0) leaders.add(outcome.currentLeaderId);
          partitions.push({
            partition: entry.partition,
            ...outcome.error,
            baseOffset: outcome.baseOffset,
            logAppendTimeMs: -1n,
            logStartOffset: outcome.logStartOffset,
            currentLeaderId: outcome.currentLeaderId,
            currentLeaderEpoch: outcome.currentLeaderEpoch,
            recordErrors: [],
          });
        }
        topics.push({ name: topic.name, partitions });
      }
      return { ...base, ...noError, topics, nodeEndpoints: this.endpointsOf(leaders) };
    })();
  }

  /**
   * Appends batches to a partition this node leads. Verification and queueing happen before
   * this returns (appends of one caller keep their order); the promise resolves per `acks`.
   */
  appendRecords(input: AppendRecordsInput): Promise<AppendOutcome> {
    const prepared = this.prepareAppend(input);
    if ('error' in prepared) return Promise.resolve(prepared);
    const { replica, batches } = prepared;
    return new Promise<AppendOutcome>((resolve) => {
      const timeoutMs = Math.min(Math.max(input.timeoutMs, 0), replicationLimits.produceTimeoutMsMax);
      replica.appendQueue.push({ records: input.records, batches, acks: input.acks, timeoutMs, resolve });
      if (input.acks === -1) {
        replica.acksAllQueued++;
        this.acksAllQueued++;
      }
      this.scheduleDrain(replica);
    });
  }

  /** The synchronous checks of an append: partition, leadership, batch integrity and sizes. */
  private prepareAppend(input: AppendRecordsInput): AppendOutcome | { replica: PartitionReplica; batches: VerifiedBatch[] } {
    if (this.closed) return this.failure(undefined, wireError('NODE_SHUTTING_DOWN', 'the broker is shutting down'));
    const image = this.image;
    const imagePartition = image.partition(input.topic, input.partition);
    if (imagePartition === undefined) {
      return this.failure(undefined, wireError('UNKNOWN_TOPIC_OR_PARTITION', `${partitionKey(input.topic, input.partition)} does not exist`));
    }
    const replica = this.replicasByKey.get(partitionKey(input.topic, input.partition));
    if (replica === undefined || imagePartition.leader !== this.nodeId) {
      return this.notLeader(input.topic, input.partition, imagePartition);
    }
    if (input.acks === -1 && this.purgatory.size + this.acksAllQueued >= this.purgatory.capacity) {
      return this.failure(replica, wireError('TOO_MANY_INFLIGHT_REQUESTS', `more than ${this.purgatory.capacity} acks=all produces are waiting on this broker`));
    }
    const batches = this.verifyBatches(replica, input.records);
    if ('errorCode' in batches) return this.failure(replica, batches);
    return { replica, batches };
  }

  /** Splits and verifies the batches of one partition's records (no per-record work). */
  private verifyBatches(replica: PartitionReplica, records: Buffer): VerifiedBatch[] | WireError {
    if (records.length === 0) return wireError('INVALID_RECORD', 'the request holds no record batch');
    const maxMessageBytes = Math.min(replica.config.maxMessageBytes, logLimits.batchBytesMax);
    const appendBytesMax = Math.min(logLimits.appendBytesMax, replica.log?.config.segmentBytes ?? replica.config.segmentBytes, replicationLimits.appendGroupBytesMax);
    if (records.length > appendBytesMax) {
      return wireError('RECORD_LIST_TOO_LARGE', `${records.length} bytes of batches exceed the ${appendBytesMax} bytes one append takes`);
    }
    const batches: VerifiedBatch[] = [];
    let idempotent = false;
    let position = 0;
    try {
      while (position < records.length) {
        const size = batchSizeAt(records, position);
        if (size === undefined || position + size > records.length) return wireError('CORRUPT_RECORD', `torn batch at byte ${position}`);
        if (size > maxMessageBytes) {
          return wireError('MESSAGE_TOO_LARGE', `a batch of ${size} bytes exceeds max.message.bytes ${maxMessageBytes} of ${replica.topic}`);
        }
        const header = verifyBatch(records.subarray(position, position + size));
        if ((header.attributes & (BATCH_ATTRIBUTES.control | BATCH_ATTRIBUTES.transactional)) !== 0) {
          return wireError('INVALID_RECORD', 'transactional and control batches are not supported');
        }
        if (header.producerId >= 0n) idempotent = true;
        batches.push({ header });
        position += size;
      }
    } catch (error) {
      if (error instanceof CorruptRecordError || error instanceof EddyError) return wireErrorOf(error);
      throw error;
    }
    if (idempotent && batches.length > 1) return wireError('INVALID_RECORD', 'an idempotent producer sends one batch per partition per request');
    return batches;
  }

  private scheduleDrain(replica: PartitionReplica): void {
    if (replica.appendScheduled) return;
    replica.appendScheduled = true;
    replica.serial
      .run(() => this.appendGroup(replica))
      .catch((error: unknown) => {
        this.logger.error({ topic: replica.topic, partition: replica.partition, error: String(error) }, 'append failed unexpectedly');
      });
  }

  /**
   * Appends the queued batches as one write (group append): checks min.insync.replicas and the
   * producers' sequences in order, predicts the offsets the log will stamp, appends, then
   * answers or parks each request. Runs on the replica's lane; yields after one group so role
   * changes are never starved.
   */
  private async appendGroup(replica: PartitionReplica): Promise<void> {
    replica.appendScheduled = false;
    if (replica.appendQueue.length === 0) return;
    const role = replica.role;
    const log = replica.log;
    if (role.kind !== 'leader' || log === undefined) {
      if (role.kind !== 'none' || this.image.partition(replica.topic, replica.partition)?.leader !== this.nodeId) {
        this.failQueuedAppends(replica, wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} does not lead ${replica.key}`));
      }
      return;
    }
    const { state } = role;
    const groupBytesMax = Math.min(replicationLimits.appendGroupBytesMax, logLimits.appendBytesMax, log.config.segmentBytes);
    const group: PendingAppend[] = [];
    let groupBytes = 0;
    while (replica.appendQueue.length > 0) {
      const next = replica.appendQueue[0] as PendingAppend;
      if (group.length > 0 && groupBytes + next.records.length > groupBytesMax) break;
      replica.appendQueue.shift();
      if (next.acks === -1) {
        replica.acksAllQueued--;
        this.acksAllQueued--;
      }
      group.push(next);
      groupBytes += next.records.length;
    }
    const included: Array<{ item: PendingAppend; baseOffset: bigint; lastOffset: bigint }> = [];
    const appended: AppendedBatchInfo[] = [];
    const start = log.logEndOffset;
    let nextOffset = start;
    for (const item of group) {
      if (item.acks === -1) {
        const check = state.checkAcksAll(replica.config.minInsyncReplicas);
        if (!check.ok) {
          item.resolve(this.outcome(replica, wireError(check.code, check.message)));
          continue;
        }
      }
      const first = (item.batches[0] as VerifiedBatch).header;
      if (first.producerId >= 0n) {
        const check = replica.producers.check({ producerId: first.producerId, producerEpoch: first.producerEpoch, baseSequence: first.baseSequence, lastOffsetDelta: first.lastOffsetDelta });
        if (check.kind === 'reject') {
          item.resolve(this.outcome(replica, wireError(check.code, check.message)));
          continue;
        }
        if (check.kind === 'duplicate') {
          this.answerDuplicate(replica, item, check.baseOffset, check.baseOffset + BigInt(first.lastOffsetDelta));
          continue;
        }
      }
      const baseOffset = nextOffset;
      for (const { header } of item.batches) {
        if (header.producerId >= 0n) {
          replica.producers.onAppend({ producerId: header.producerId, producerEpoch: header.producerEpoch, baseSequence: header.baseSequence, lastOffsetDelta: header.lastOffsetDelta }, nextOffset);
        }
        const lastOffset = nextOffset + BigInt(header.lastOffsetDelta);
        appended.push({ baseOffset: nextOffset, lastOffset, size: header.batchLength + 12 });
        nextOffset = lastOffset + 1n;
      }
      included.push({ item, baseOffset, lastOffset: nextOffset - 1n });
    }
    if (included.length > 0) {
      const bytes = included.length === 1 ? (included[0]?.item.records as Buffer) : Buffer.concat(included.map(({ item }) => item.records));
      try {
        // verifyBatches checked every CRC when the request arrived.
        const result = await log.append(bytes, { leaderEpoch: state.leaderEpoch, assignOffsets: true, crcVerified: true });
        assert(result.baseOffset === start && result.lastOffset === nextOffset - 1n, `the log stamped [${result.baseOffset}, ${result.lastOffset}], expected [${start}, ${nextOffset - 1n}]`);
        // The buffer now holds the stamped bytes exactly as the log does.
        replica.recentBatches.add(bytes, appended);
      } catch (error) {
        const failure = wireErrorOf(error);
        this.logger.warn({ topic: replica.topic, partition: replica.partition, code: failure.errorCode, error: failure.errorMessage }, 'append failed');
        for (const { item } of included) item.resolve(this.outcome(replica, failure));
        // Whatever the log kept of a failed append, the cache must not answer past it.
        replica.recentBatches.clear();
        await this.rebuildProducerState(replica);
        if (replica.appendQueue.length > 0) this.scheduleDrain(replica);
        return;
      }
      replica.wakeFollowers();
      this.refreshHighWatermark(replica);
      for (const { item, baseOffset, lastOffset } of included) {
        if (item.acks === -1) this.awaitReplication(replica, item, baseOffset, lastOffset + 1n);
        else item.resolve({ error: noError, baseOffset, logStartOffset: log.logStartOffset, ...NO_HINT });
      }
    }
    if (replica.appendQueue.length > 0) this.scheduleDrain(replica);
  }

  /** A retry of an appended batch: its original offset, once replicated as acks asks. */
  private answerDuplicate(replica: PartitionReplica, item: PendingAppend, baseOffset: bigint, lastOffset: bigint): void {
    if (item.acks === -1) this.awaitReplication(replica, item, baseOffset, lastOffset + 1n);
    else item.resolve({ error: noError, baseOffset, logStartOffset: replica.logStartOffset, ...NO_HINT });
  }

  /** Answers an acks=all append now if the HW covers it, else parks it in the purgatory. */
  private awaitReplication(replica: PartitionReplica, item: PendingAppend, baseOffset: bigint, requiredOffset: bigint): void {
    if (replica.highWatermark >= requiredOffset) {
      item.resolve(this.replicatedOutcome(replica, baseOffset));
      return;
    }
    const parked: ParkedAppend = { replica, baseOffset, resolve: item.resolve };
    if (!this.purgatory.add(replica.key, requiredOffset, this.clock.monotonicMs() + item.timeoutMs, parked)) {
      item.resolve(this.outcome(replica, wireError('REQUEST_TIMED_OUT', 'too many acks=all produces are waiting; the batch is appended but its replication is not awaited')));
      return;
    }
    this.armPurgatorySweep();
  }

  private replicatedOutcome(replica: PartitionReplica, baseOffset: bigint): AppendOutcome {
    const isrSize = replica.role.kind === 'leader' ? replica.role.state.maximalIsr.length : 0;
    if (isrSize < replica.config.minInsyncReplicas) {
      return this.outcome(replica, wireError('NOT_ENOUGH_REPLICAS_AFTER_APPEND', `the ISR shrank below min.insync.replicas ${replica.config.minInsyncReplicas} after the append`));
    }
    return { error: noError, baseOffset, logStartOffset: replica.logStartOffset, ...NO_HINT };
  }

  private armPurgatorySweep(): void {
    const next = this.purgatory.nextDeadlineMs();
    if (next === undefined) {
      if (this.purgatorySweep !== undefined) this.timer.cancel(this.purgatorySweep.handle);
      this.purgatorySweep = undefined;
      return;
    }
    if (this.purgatorySweep !== undefined && this.purgatorySweep.deadlineMs <= next) return;
    if (this.purgatorySweep !== undefined) this.timer.cancel(this.purgatorySweep.handle);
    const handle = this.timer.schedule(next - this.clock.monotonicMs(), () => {
      this.purgatorySweep = undefined;
      const timedOut = wireError('REQUEST_TIMED_OUT', 'the in-sync replicas did not confirm the batch in time; it is appended and may still commit');
      for (const parked of this.purgatory.expire(this.clock.monotonicMs())) parked.resolve(this.outcome(parked.replica, timedOut));
      this.armPurgatorySweep();
    });
    this.purgatorySweep = { handle, deadlineMs: next };
  }

  private failQueuedAppends(replica: PartitionReplica, error: WireError): void {
    const queued = replica.appendQueue.splice(0);
    this.acksAllQueued -= replica.acksAllQueued;
    replica.acksAllQueued = 0;
    for (const item of queued) item.resolve(this.outcome(replica, error));
  }

  /** A leader's HW after its own log or its ISR changed. */
  private refreshHighWatermark(replica: PartitionReplica): void {
    if (replica.role.kind !== 'leader' || replica.log === undefined) return;
    this.advanceHighWatermark(replica, replica.role.state.updateHighWatermark(replica.log.logEndOffset));
  }

  private advanceHighWatermark(replica: PartitionReplica, highWatermark: bigint): void {
    if (highWatermark <= replica.highWatermark) return;
    replica.highWatermark = highWatermark;
    const completed = this.purgatory.completeUpTo(replica.key, highWatermark);
    if (completed.length > 0) {
      for (const parked of completed) parked.resolve(this.replicatedOutcome(replica, parked.baseOffset));
      this.armPurgatorySweep();
    }
    replica.wakeConsumers();
  }

  private outcome(replica: PartitionReplica | undefined, error: WireError): AppendOutcome {
    const hint = error.errorCode === 'NOT_LEADER_OR_FOLLOWER' || error.errorCode === 'FENCED_LEADER_EPOCH' ? this.leaderHint(replica?.topic, replica?.partition) : NO_HINT;
    return { error, baseOffset: -1n, logStartOffset: replica?.log?.logStartOffset ?? -1n, ...hint };
  }

  private failure(replica: PartitionReplica | undefined, error: WireError): AppendOutcome {
    return this.outcome(replica, error);
  }

  private notLeader(topic: string, partition: number, imagePartition: PartitionImage): AppendOutcome {
    return {
      error: wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} does not lead ${partitionKey(topic, partition)} (leader ${imagePartition.leader})`),
      baseOffset: -1n,
      logStartOffset: -1n,
      currentLeaderId: imagePartition.leader,
      currentLeaderEpoch: imagePartition.leaderEpoch,
    };
  }

  private leaderHint(topic: string | undefined, partition: number | undefined): { currentLeaderId: number; currentLeaderEpoch: number } {
    if (topic === undefined || partition === undefined) return NO_HINT;
    const imagePartition = this.image.partition(topic, partition);
    return imagePartition === undefined ? NO_HINT : { currentLeaderId: imagePartition.leader, currentLeaderEpoch: imagePartition.leaderEpoch };
  }

  private endpointsOf(brokerIds: ReadonlySet<number>): BrokerEndpoint[] {
    const endpoints: BrokerEndpoint[] = [];
    for (const brokerId of brokerIds) {
      const broker = this.image.brokers.get(brokerId);
      if (broker !== undefined) endpoints.push({ brokerId, host: broker.endpoint.host, port: broker.endpoint.port, rack: broker.rack ?? '' });
    }
    return endpoints;
  }

  // ---- checks shared by the read paths -----------------------------------------------------

  /**
   * The leader replica of a partition for a read, or the error to answer: UNKNOWN_TOPIC_OR_PARTITION
   * when metadata does not know it, NOT_LEADER_OR_FOLLOWER (with hints) when this node does not
   * lead it, FENCED_LEADER_EPOCH / UNKNOWN_LEADER_EPOCH when the caller's epoch is older / newer.
   */
  private leaderFor(topic: string, partition: number, currentLeaderEpoch: number): { replica: PartitionReplica; log: PartitionLog; state: PartitionLeaderState; epochStart: EpochStart } | { failure: WireError; hint: { currentLeaderId: number; currentLeaderEpoch: number } } {
    const imagePartition = this.image.partition(topic, partition);
    if (imagePartition === undefined) {
      return { failure: wireError('UNKNOWN_TOPIC_OR_PARTITION', `${partitionKey(topic, partition)} does not exist`), hint: NO_HINT };
    }
    const hint = { currentLeaderId: imagePartition.leader, currentLeaderEpoch: imagePartition.leaderEpoch };
    const replica = this.replicasByKey.get(partitionKey(topic, partition));
    if (replica === undefined || replica.role.kind !== 'leader' || replica.log === undefined) {
      return { failure: wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} does not lead ${partitionKey(topic, partition)} (leader ${imagePartition.leader})`), hint };
    }
    if (currentLeaderEpoch >= 0 && currentLeaderEpoch < replica.leaderEpoch) {
      return { failure: wireError('FENCED_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is older than ${replica.leaderEpoch}`), hint };
    }
    if (currentLeaderEpoch > replica.leaderEpoch) {
      return { failure: wireError('UNKNOWN_LEADER_EPOCH', `leader epoch ${currentLeaderEpoch} is newer than ${replica.leaderEpoch}`), hint };
    }
    return { replica, log: replica.log, state: replica.role.state, epochStart: replica.role.epochStart };
  }

  /** The leader's end of `epoch`, counting its current leadership even before its first batch. */
  private async leaderEndOffsetForEpoch(log: PartitionLog, epoch: number, epochStart: EpochStart): Promise<EpochEndOffset> {
    const latest = await log.latestEpoch();
    if (!needsVirtualEpoch(latest, epochStart)) return log.endOffsetForEpoch(epoch);
    return endOffsetForEpoch(await log.epochEntries(), log.logEndOffset, epoch, epochStart);
  }

  /** Where a fetcher's position stands against the leader's log: diverging, out of range, or fine. */
  private async checkPosition(
    log: PartitionLog,
    epochStart: EpochStart,
    fetchOffset: bigint,
    lastFetchedEpoch: number,
  ): Promise<{ failure: WireError | undefined; divergingEpoch: EpochEndOffset | null }> {
    // The common case (a fetcher already reading this leadership's batches) needs no epoch
    // lookup: the current epoch ends at the log end, so only the range check remains.
    if (lastFetchedEpoch >= 0 && lastFetchedEpoch !== epochStart.epoch) {
      const epochEnd = await this.leaderEndOffsetForEpoch(log, lastFetchedEpoch, epochStart);
      const check = checkDivergence(lastFetchedEpoch, fetchOffset, epochEnd);
      if (check.kind === 'unknown-epoch') {
        return { failure: wireError('OFFSET_OUT_OF_RANGE', `the leader has no epoch at or below ${lastFetchedEpoch}`), divergingEpoch: null };
      }
      if (check.kind === 'diverging') return { failure: undefined, divergingEpoch: check.divergingEpoch };
    }
    if (fetchOffset < log.logStartOffset || fetchOffset > log.logEndOffset) {
      return { failure: wireErrorOf(new OffsetOutOfRangeError(fetchOffset, log.logStartOffset, log.logEndOffset)), divergingEpoch: null };
    }
    return { failure: undefined, divergingEpoch: null };
  }

  /**
   * Whole batches from `offset` within the budget; `maxOffset` bounds consumers to the HW. The
   * leader's recent appends answer reads at the tail; older data comes from the log.
   */
  private async readWithin(replica: PartitionReplica, log: PartitionLog, offset: bigint, partitionMaxBytes: number, budget: FetchBudget, maxOffset: bigint | undefined): Promise<Buffer> {
    const limit = budget.readLimit(partitionMaxBytes);
    if (limit <= 0) return EMPTY;
    const cached = offset >= log.logStartOffset ? replica.recentBatches.read(offset, limit, maxOffset ?? log.logEndOffset) : undefined;
    if (cached !== undefined) return budget.accept(cached, limit);
    const { records } = await log.read(offset, limit, maxOffset === undefined ? {} : { maxOffset });
    return budget.accept(records, limit);
  }

  /**
   * Runs `evaluate` now and again whenever one of `replicas` wakes the poll, until it answers,
   * the wait ends (then it runs once more with `final`), the caller aborts, or the manager
   * closes. Bounded: beyond fetchWaitersMax the poll does not wait.
   */
  private longPoll<R>(
    replicas: readonly PartitionReplica[],
    kind: 'consumer' | 'follower',
    waitMs: number,
    signal: AbortSignal | undefined,
    evaluate: (final: boolean) => Promise<R | undefined>,
  ): Promise<R> {
    const canWait = waitMs > 0 && this.longPolls.size < replicationLimits.fetchWaitersMax && !this.closed && signal?.aborted !== true;
    if (!canWait) return evaluate(true).then((result) => result ?? unreachableAnswer());
    return new Promise<R>((resolve, reject) => {
      let done = false;
      let running = false;
      let again = false;
      let final = false;
      const sets = replicas.map((replica) => (kind === 'consumer' ? replica.consumerWaiters : replica.followerWaiters));
      const waiter: PartitionWaiter = { wake: () => void run() };
      const poll: LongPoll = {
        finalize: () => {
          final = true;
          void run();
        },
      };
      const onAbort = (): void => poll.finalize();
      const cleanup = (): void => {
        done = true;
        for (const set of sets) set.delete(waiter);
        this.longPolls.delete(poll);
        this.timer.cancel(timerHandle);
        signal?.removeEventListener('abort', onAbort);
      };
      const run = async (): Promise<void> => {
        if (done) return;
        if (running) {
          again = true;
          return;
        }
        running = true;
        try {
          do {
            again = false;
            const isFinal = final || this.closed;
            const result = await evaluate(isFinal);
            if (done) return;
            if (result !== undefined) {
              cleanup();
              resolve(result);
              return;
            }
            assert(!isFinal, 'a final evaluation answers');
          } while (again);
        } catch (error) {
          if (!done) {
            cleanup();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        } finally {
          running = false;
        }
      };
      for (const set of sets) set.add(waiter);
      this.longPolls.add(poll);
      const timerHandle = this.timer.schedule(waitMs, () => poll.finalize());
      signal?.addEventListener('abort', onAbort, { once: true });
      void run();
    });
  }

  // ---- consumer fetch -----------------------------------------------------------------------

  /**
   * A ClientService.Fetch request: records below the high watermark, whole batches, within
   * max_bytes / partition_max_bytes (the first batch whole), long-polling up to max_wait_ms for
   * min_bytes. Every request is answered on its own; `signal` ends its wait early.
   */
  async fetch(request: FetchRequest, signal?: AbortSignal): Promise<FetchResponse> {
    const base = { correlationId: request.correlationId, throttleTimeMs: 0 };
    let maxBytes: number;
    let count = 0;
    for (const topic of request.topics) count += topic.partitions.length;
    try {
      if (count > replicationLimits.requestPartitionsMax) throw new EddyError('INVALID_REQUEST', `a fetch carries at most ${replicationLimits.requestPartitionsMax} partitions`);
      maxBytes = effectiveFetchBytes(request.maxBytes, DEFAULT_FETCH_MAX_BYTES, 'max_bytes');
    } catch (error) {
      return { ...base, ...wireErrorOf(error), topics: [], nodeEndpoints: [] };
    }
    const entries: ConsumerFetchEntry[] = [];
    for (const topic of request.topics) {
      for (const partition of topic.partitions) entries.push(await this.prepareConsumerFetch(topic.name, partition.partition, partition.fetchOffset, partition.partitionMaxBytes, partition.currentLeaderEpoch, partition.lastFetchedEpoch));
    }
    const waitMs = Math.min(Math.max(request.maxWaitMs, 0), replicationLimits.fetchWaitMsMax);
    const minBytes = Math.max(request.minBytes, 0);
    const replicas = entries.flatMap((entry) => (entry.replica === undefined ? [] : [entry.replica]));
    const topics = await this.longPoll(replicas, 'consumer', waitMs, signal, async (final) => {
      const { results, bytes, failed } = await this.readEach(entries, new FetchBudget(maxBytes), (entry, budget) => this.readForConsumer(entry, budget));
      const answers = results.map(({ entry, answer }) => ({ topic: entry.topic, answer }));
      if (!final && !failed && bytes < minBytes) return undefined;
      return answers;
    });
    const grouped: FetchTopicResponse[] = [];
    const leaders = new Set<number>();
    for (const { topic, answer } of topics) {
      const last = grouped.at(-1);
      if (last !== undefined && last.name === topic) last.partitions.push(answer);
      else grouped.push({ name: topic, partitions: [answer] });
      if (answer.currentLeaderId >= 0) leaders.add(answer.currentLeaderId);
    }
    return { ...base, ...noError, topics: grouped, nodeEndpoints: this.endpointsOf(leaders) };
  }

  private async prepareConsumerFetch(
    topic: string,
    partition: number,
    fetchOffset: bigint,
    requestedPartitionMaxBytes: number,
    currentLeaderEpoch: number,
    lastFetchedEpoch: number,
  ): Promise<ConsumerFetchEntry> {
    const failed = (failure: WireError, replica?: PartitionReplica): ConsumerFetchEntry => ({
      topic,
      partition,
      fetchOffset,
      partitionMaxBytes: 0,
      replica,
      leaderEpoch: -1,
      failure,
      divergingEpoch: null,
    });
    let partitionMaxBytes: number;
    try {
      partitionMaxBytes = effectiveFetchBytes(requestedPartitionMaxBytes, DEFAULT_PARTITION_FETCH_MAX_BYTES, 'partition_max_bytes');
    } catch (error) {
      return failed(wireErrorOf(error));
    }
    const leader = this.leaderFor(topic, partition, currentLeaderEpoch);
    if ('failure' in leader) return failed(leader.failure);
    try {
      const position = await this.checkPosition(leader.log, leader.epochStart, fetchOffset, lastFetchedEpoch);
      if (position.failure !== undefined) return failed(position.failure, leader.replica);
      return { topic, partition, fetchOffset, partitionMaxBytes, replica: leader.replica, leaderEpoch: leader.replica.leaderEpoch, failure: undefined, divergingEpoch: position.divergingEpoch };
    } catch (error) {
      return failed(wireErrorOf(error), leader.replica);
    }
  }

  /**
   * Reads every partition of one fetch in order under one byte budget; reports the bytes read
   * and whether any partition answered with an error or a diverging epoch (which ends a long poll).
   */
  private async readEach<E>(
    entries: readonly E[],
    budget: FetchBudget,
    read: (entry: E, budget: FetchBudget) => Promise<FetchPartitionResponse>,
  ): Promise<{ results: Array<{ entry: E; answer: FetchPartitionResponse }>; bytes: number; failed: boolean }> {
    let bytes = 0;
    let failed = false;
    const results: Array<{ entry: E; answer: FetchPartitionResponse }> = [];
    for (const entry of entries) {
      const answer = await read(entry, budget);
      bytes += answer.records.length;
      if (answer.errorCode !== 'NONE' || answer.divergingEpoch !== null) failed = true;
      results.push({ entry, answer });
    }
    return { results, bytes, failed };
  }

  private readForConsumer(entry: ConsumerFetchEntry, budget: FetchBudget): Promise<FetchPartitionResponse> {
    // Consumers read below the high watermark only.
    return this.readAsLeader({ ...entry, reportsUnknownTopic: true }, 'highWatermark', budget);
  }

  /**
   * One partition of a fetch answered by its leader, for a consumer (up to the high watermark)
   * or a follower (up to the log end): the checks made when the fetch arrived, leadership still
   * held in the same epoch, a diverging epoch, then the records within the budget.
   */
  private async readAsLeader(read: LeaderRead, upTo: 'highWatermark' | 'logEnd', budget: FetchBudget): Promise<FetchPartitionResponse> {
    const { replica, topic, partition } = read;
    const answer = (error: WireError, records: Buffer = EMPTY, divergingEpoch: EpochEndOffset | null = null): FetchPartitionResponse => {
      const hint = error.errorCode === 'NOT_LEADER_OR_FOLLOWER' || error.errorCode === 'FENCED_LEADER_EPOCH' || error.errorCode === 'UNKNOWN_LEADER_EPOCH' ? this.leaderHint(topic, partition) : NO_HINT;
      const known = replica?.log !== undefined && !(read.reportsUnknownTopic && error.errorCode === 'UNKNOWN_TOPIC_OR_PARTITION');
      return {
        partition,
        ...error,
        highWatermark: known ? replica.highWatermark : -1n,
        logStartOffset: known ? replica.logStartOffset : -1n,
        divergingEpoch,
        ...hint,
        records,
      };
    };
    if (read.failure !== undefined) return answer(read.failure);
    if (replica === undefined || replica.role.kind !== 'leader' || replica.leaderEpoch !== read.leaderEpoch || replica.log === undefined) {
      return answer(wireError('NOT_LEADER_OR_FOLLOWER', `broker ${this.nodeId} no longer leads ${partitionKey(topic, partition)}`));
    }
    if (read.divergingEpoch !== null) return answer(noError, EMPTY, read.divergingEpoch);
    const log = replica.log;
    const limit = upTo === 'highWatermark' ? replica.highWatermark : undefined;
    if (read.fetchOffset >= (limit ?? log.logEndOffset)) return answer(noError);
    try {
      return answer(noError, await this.readWithin(replica, log, read.fetchOffset, read.partitionMaxBytes, budget, limit));
    } catch (error) {
      return answer(wireErrorOf(error));
    }
  }

  /** ClientService.ListOffsets on the partition leaders: earliest, latest (the HW), or by timestamp. */
  async listOffsets(request: ListOffsetsRequest): Promise<ListOffsetsResponse> {
    const topics = [];
    for (const topic of request.topics) {
      const partitions: ListOffsetsPartitionResponse[] = [];
      for (const partition of topic.partitions) {
        partitions.push(await this.listOffset(topic.name, partition.partition, partition.currentLeaderEpoch, partition.timestampMs));
      }
      topics.push({ name: topic.name, partitions });
    }
    return { topics };
  }

  private async listOffset(topic: string, partition: number, currentLeaderEpoch: number, timestampMs: bigint): Promise<ListOffsetsPartitionResponse> {
    const leader = this.leaderFor(topic, partition, currentLeaderEpoch);
    const answer = (error: WireError, offset = -1n, timestamp = -1n, leaderEpoch = -1): ListOffsetsPartitionResponse => ({
      partition,
      ...error,
      timestampMs: timestamp,
      offset,
      leaderEpoch,
      ...('failure' in leader ? leader.hint : NO_HINT),
    });
    if ('failure' in leader) return answer(leader.failure);
    const { log, replica } = leader;
    try {
      const highWatermark = replica.highWatermark;
      if (timestampMs === -2n) return answer(noError, log.logStartOffset, -1n, await this.epochAt(log, log.logStartOffset));
      if (timestampMs === -1n) return answer(noError, highWatermark, -1n, await this.epochAt(log, highWatermark - 1n));
      if (timestampMs < 0n || timestampMs > BigInt(Number.MAX_SAFE_INTEGER)) return answer(wireError('INVALID_REQUEST', `timestamp ${timestampMs} is not valid`));
      const found = await log.offsetForTimestamp(Number(timestampMs));
      if (found === undefined || found.offset >= highWatermark) return answer(noError);
      return answer(noError, found.offset, BigInt(found.timestamp), await this.epochAt(log, found.offset));
    } catch (error) {
      return answer(wireErrorOf(error));
    }
  }

  /** The leader epoch of the batch holding `offset` (-1 when unknown). */
  private async epochAt(log: PartitionLog, offset: bigint): Promise<number> {
    if (offset < 0n) return -1;
    let epoch = -1;
    for (const entry of await log.epochEntries()) {
      if (entry.startOffset > offset) break;
      epoch = entry.epoch;
    }
    return epoch;
  }

  // ---- leader side of replication -----------------------------------------------------------

  /**
   * ReplicationService.ReplicaFetch on the leader: takes each partition's fetch offset as the
   * follower's progress (HW, ISR), answers records from there up to the log end (not the HW),
   * or the diverging epoch when the follower's log forked, and long-polls while the follower is
   * caught up so new appends reach it at once.
   */
  async replicaFetch(request: ReplicaFetchRequest, session: ReplicaFetchSession, signal?: AbortSignal): Promise<ReplicaFetchResponse> {
    const base = { correlationId: request.correlationId, throttleTimeMs: 0 };
    const replicaId = request.replicaId;
    let listed: SessionPartition[];
    let maxBytes: number;
    try {
      if (replicaId < 0 || replicaId === this.nodeId) throw new EddyError('INVALID_REQUEST', `replica id ${replicaId} cannot fetch as a follower here`);
      const broker = this.image.brokers.get(replicaId);
      if (broker !== undefined && request.brokerEpoch < BigInt(broker.brokerEpoch)) {
        throw new EddyError('STALE_BROKER_EPOCH', `broker ${replicaId} fetched with epoch ${request.brokerEpoch}, its registration is ${broker.brokerEpoch}`);
      }
      maxBytes = effectiveFetchBytes(request.maxBytes, this.config.replicaFetchResponseMaxBytes, 'max_bytes');
      listed = session.apply(request);
    } catch (error) {
      return { ...base, ...wireErrorOf(error), topics: [] };
    }
    const nowMs = this.clock.monotonicMs();
    const entries: FollowerFetchEntry[] = [];
    for (const item of listed) entries.push(await this.prepareFollowerFetch(item, replicaId, request.brokerEpoch, nowMs));
    const waitMs = Math.min(Math.max(request.maxWaitMs, 0), replicationLimits.fetchWaitMsMax);
    const minBytes = Math.max(request.minBytes, 0);
    const replicas = entries.flatMap((entry) => (entry.replica === undefined ? [] : [entry.replica]));
    const answers = await this.longPoll(replicas, 'follower', waitMs, signal, async (final) => {
      const { results, bytes, failed } = await this.readEach(entries, new FetchBudget(maxBytes), (entry, budget) => this.readForFollower(entry, budget));
      if (!final && !failed && bytes < minBytes) return undefined;
      return results;
    });
    const topics: ReplicaFetchTopicResponse[] = [];
    for (const { entry, answer } of answers) {
      const item = entry.session;
      const changed =
        answer.records.length > 0 ||
        answer.errorCode !== 'NONE' ||
        answer.divergingEpoch !== null ||
        answer.highWatermark !== item.sentHighWatermark ||
        answer.logStartOffset !== item.sentLogStartOffset;
      if (request.incremental && !changed) continue;
      item.sentHighWatermark = answer.highWatermark;
      item.sentLogStartOffset = answer.logStartOffset;
      const last = topics.at(-1);
      if (last !== undefined && last.name === item.topic) last.partitions.push(answer);
      else topics.push({ topicId: item.topicId, name: item.topic, partitions: [answer] });
    }
    return { ...base, ...noError, topics };
  }

  private async prepareFollowerFetch(item: SessionPartition, replicaId: number, brokerEpoch: bigint, nowMs: number): Promise<FollowerFetchEntry> {
    const failed = (failure: WireError, replica?: PartitionReplica): FollowerFetchEntry => ({ session: item, replica, leaderEpoch: -1, failure, divergingEpoch: null, partitionMaxBytes: 0 });
    let partitionMaxBytes: number;
    try {
      partitionMaxBytes = effectiveFetchBytes(item.partitionMaxBytes, this.config.replicaFetchMaxBytes, 'partition_max_bytes');
    } catch (error) {
      return failed(wireErrorOf(error));
    }
    const leader = this.leaderFor(item.topic, item.partition, item.currentLeaderEpoch);
    if ('failure' in leader) return failed(leader.failure);
    const { replica, log, state, epochStart } = leader;
    if (item.topicId !== '' && replica.topicId !== undefined && item.topicId !== replica.topicId) {
      return failed(wireError('INCONSISTENT_TOPIC_ID', `topic id ${item.topicId} is not ${replica.topicId}`), replica);
    }
    if (!state.isReplica(replicaId)) {
      return failed(wireError('NOT_LEADER_OR_FOLLOWER', `broker ${replicaId} is not a follower of ${item.key}`), replica);
    }
    try {
      const position = await this.checkPosition(log, epochStart, item.fetchOffset, item.lastFetchedEpoch);
      if (position.failure !== undefined) return failed(position.failure, replica);
      if (position.divergingEpoch === null) {
        // Only a position on the leader's log counts as progress (as Kafka).
        replica.followerBrokerEpochs.set(replicaId, brokerEpoch);
        this.advanceHighWatermark(replica, state.onFollowerFetch(replicaId, item.fetchOffset, log.logEndOffset, nowMs));
        if (!state.currentIsr.includes(replicaId) && item.fetchOffset >= state.currentHighWatermark) this.requestIsrCheck(replica);
      }
      return { session: item, replica, leaderEpoch: replica.leaderEpoch, failure: undefined, divergingEpoch: position.divergingEpoch, partitionMaxBytes };
    } catch (error) {
      return failed(wireErrorOf(error), replica);
    }
  }

  private readForFollower(entry: FollowerFetchEntry, budget: FetchBudget): Promise<ReplicaFetchPartitionResponse> {
    // Followers copy everything the leader has, up to its log end.
    const { topic, partition, fetchOffset } = entry.session;
    return this.readAsLeader({ ...entry, topic, partition, fetchOffset, reportsUnknownTopic: false }, 'logEnd', budget);
  }

  /** ReplicationService.OffsetsForLeaderEpoch on the leader. */
  async offsetsForLeaderEpoch(request: OffsetsForLeaderEpochRequest): Promise<OffsetsForLeaderEpochResponse> {
    const topics = [];
    for (const topic of request.topics) {
      const partitions: OffsetForLeaderPartitionResult[] = [];
      for (const partition of topic.partitions) {
        const leader = this.leaderFor(topic.name, partition.partition, partition.currentLeaderEpoch);
        if ('failure' in leader) {
          partitions.push({ partition: partition.partition, ...leader.failure, leaderEpoch: -1, endOffset: -1n });
          continue;
        }
        try {
          const end = await this.leaderEndOffsetForEpoch(leader.log, partition.leaderEpoch, leader.epochStart);
          partitions.push({ partition: partition.partition, ...noError, leaderEpoch: end.epoch, endOffset: end.endOffset });
        } catch (error) {
          partitions.push({ partition: partition.partition, ...wireErrorOf(error), leaderEpoch: -1, endOffset: -1n });
        }
      }
      topics.push({ name: topic.name, partitions });
    }
    return { topics };
  }

  // ---- follower side of replication ---------------------------------------------------------

  /** Applies one partition of a leader's answer on the replica's lane. */
  private async onFollowerPartition(sent: SentPosition, response: ReplicaFetchPartitionResponse): Promise<void> {
    const replica = this.replicasByKey.get(sent.state.key);
    if (replica === undefined) return;
    await replica.serial.run(async () => {
      const state = sent.state;
      if (this.closed || state.removed || replica.role.kind !== 'follower' || replica.role.fetch !== state || state.fetchOffset !== sent.fetchOffset) return;
      const log = replica.log;
      if (log === undefined) return;
      if (response.errorCode !== 'NONE') {
        this.onFollowerError(replica, state, response);
        return;
      }
      if (response.divergingEpoch !== null) {
        await this.truncateDiverged(replica, state, response.divergingEpoch);
        return;
      }
      if (response.records.length > 0) await this.appendAsFollower(replica, log, state, response.records);
      const highWatermark = minBigint(response.highWatermark, log.logEndOffset);
      if (highWatermark > replica.highWatermark) replica.highWatermark = highWatermark;
      if (response.logStartOffset > log.logStartOffset && response.logStartOffset <= log.logEndOffset) {
        await log.deleteRecordsBefore(response.logStartOffset);
      }
      state.logStartOffset = log.logStartOffset;
    });
  }

  private async appendAsFollower(replica: PartitionReplica, log: PartitionLog, state: FollowerFetchState, records: Buffer): Promise<void> {
    const headers: RecordBatchHeader[] = [];
    let position = 0;
    while (position < records.length) {
      const size = batchSizeAt(records, position);
      if (size === undefined || position + size > records.length) throw new EddyError('CORRUPT_RECORD', `the leader sent a torn batch at byte ${position}`);
      headers.push(readBatchHeader(records, position));
      position += size;
    }
    const first = headers[0] as RecordBatchHeader;
    if (first.baseOffset !== log.logEndOffset) {
      throw new EddyError('INVALID_RECORD', `the leader sent offset ${first.baseOffset} for log end ${log.logEndOffset}`);
    }
    // One log append takes at most a segment's worth; a fetch may carry more.
    const appendBytesMax = Math.min(logLimits.appendBytesMax, log.config.segmentBytes);
    let start = 0;
    let end = 0;
    for (const header of headers) {
      const size = header.batchLength + 12;
      if (end > start && end + size - start > appendBytesMax) {
        await log.append(records.subarray(start, end), { leaderEpoch: state.leaderEpoch, assignOffsets: false });
        start = end;
      }
      end += size;
    }
    await log.append(start === 0 && end === records.length ? records : records.subarray(start, end), { leaderEpoch: state.leaderEpoch, assignOffsets: false });
    for (const header of headers) this.trackProducer(replica, header);
    const lastEpoch = (headers.at(-1) as RecordBatchHeader).partitionLeaderEpoch;
    if (lastEpoch >= 0) state.lastFetchedEpoch = lastEpoch;
    state.fetchOffset = log.logEndOffset;
  }

  private onFollowerError(replica: PartitionReplica, state: FollowerFetchState, response: ReplicaFetchPartitionResponse): void {
    const backoffMs = this.config.replicaFetchBackoffMs;
    state.delayedUntilMs = this.clock.monotonicMs() + backoffMs;
    const context = { topic: replica.topic, partition: replica.partition, code: response.errorCode, error: response.errorMessage };
    if (response.errorCode === 'OFFSET_OUT_OF_RANGE' && response.logStartOffset > state.fetchOffset) {
      // The leader deleted what this follower still needs. Restarting the log at the leader's
      // start needs an API the log does not offer yet; keep retrying (slowly) and say so.
      state.delayedUntilMs = this.clock.monotonicMs() + Math.max(backoffMs, 5_000);
      this.logger.error({ ...context, leaderLogStartOffset: String(response.logStartOffset), fetchOffset: String(state.fetchOffset) }, 'the leader no longer holds this follower\'s next offset');
      return;
    }
    this.logger.debug(context, 'partition fetch error; backing off');
  }

  private async truncateDiverged(replica: PartitionReplica, state: FollowerFetchState, diverging: EpochEndOffset): Promise<void> {
    const log = replica.log;
    assert(log !== undefined, 'a follower has a log');
    const own = await log.endOffsetForEpoch(diverging.epoch);
    const before = log.logEndOffset;
    const target = followerTruncationOffset(diverging, own, before);
    if (target < before) {
      await log.truncateTo(target);
      if (replica.highWatermark > log.logEndOffset) replica.highWatermark = log.logEndOffset;
      await this.rebuildProducerState(replica);
      this.logger.info(
        { topic: replica.topic, partition: replica.partition, divergingEpoch: diverging.epoch, leaderEndOffset: String(diverging.endOffset), from: String(before), to: String(log.logEndOffset) },
        'truncated a diverged log',
      );
    } else {
      // Nothing to cut although the leader sees a fork: do not spin on it.
      state.delayedUntilMs = this.clock.monotonicMs() + this.config.replicaFetchBackoffMs;
      this.logger.warn({ topic: replica.topic, partition: replica.partition, divergingEpoch: diverging.epoch, endOffset: String(diverging.endOffset) }, 'diverging epoch without anything to truncate');
    }
    state.fetchOffset = log.logEndOffset;
    state.lastFetchedEpoch = await log.latestEpoch();
    state.logStartOffset = log.logStartOffset;
  }

  // ---- ISR ----------------------------------------------------------------------------------

  private isrTick(): void {
    if (this.closed) return;
    const nowMs = this.clock.monotonicMs();
    for (const replica of this.replicasByKey.values()) {
      if (replica.role.kind !== 'leader') continue;
      const { state } = replica.role;
      if (state.pendingProposal !== undefined && nowMs - replica.isrProposedAtMs > replicationLimits.alterPartitionTimeoutMs) {
        this.logger.warn({ topic: replica.topic, partition: replica.partition }, 'no answer to the ISR change; proposing again');
        state.clearPendingProposal();
        this.refreshHighWatermark(replica);
      }
      this.maybeProposeIsr(replica);
    }
  }

  /** Checks a partition's ISR soon (a follower caught up): expansion does not wait for the tick. */
  private requestIsrCheck(replica: PartitionReplica): void {
    if (replica.isrCheckScheduled || this.closed) return;
    replica.isrCheckScheduled = true;
    this.isrCheckQueue.add(replica);
    this.isrCheckImmediate ??= setImmediate(() => {
      this.isrCheckImmediate = undefined;
      const queued = [...this.isrCheckQueue];
      this.isrCheckQueue.clear();
      for (const item of queued) {
        item.isrCheckScheduled = false;
        this.maybeProposeIsr(item);
      }
    });
  }

  private maybeProposeIsr(replica: PartitionReplica): void {
    if (this.closed || replica.role.kind !== 'leader' || replica.topicId === undefined) return;
    const { state } = replica.role;
    const nowMs = this.clock.monotonicMs();
    const proposal = state.nextIsrProposal(nowMs, this.config.replicaLagTimeMaxMs);
    if (proposal === undefined) return;
    replica.isrProposedAtMs = nowMs;
    const isrMembers = proposal.isr.map((brokerId) => ({
      brokerId,
      brokerEpoch: brokerId === this.nodeId ? BigInt(this.deps.brokerEpoch()) : (replica.followerBrokerEpochs.get(brokerId) ?? -1n),
    }));
    this.logger.info({ topic: replica.topic, partition: replica.partition, isr: state.currentIsr, proposed: proposal.isr, reason: proposal.reason }, 'proposing an ISR change');
    const request: AlterPartitionProposal = {
      brokerId: this.nodeId,
      brokerEpoch: this.deps.brokerEpoch(),
      topicId: replica.topicId,
      topicName: replica.topic,
      partition: replica.partition,
      leaderEpoch: state.leaderEpoch,
      partitionEpoch: proposal.partitionEpoch,
      isr: proposal.isr,
      isrMembers,
    };
    let sent: Promise<AlterPartitionOutcome>;
    try {
      sent = this.deps.controller.alterPartition(request);
    } catch (error) {
      sent = Promise.reject(error instanceof Error ? error : new Error(String(error)));
    }
    sent.then(
      (outcome) => this.onAlterPartitionOutcome(replica, state, outcome),
      (error: unknown) => this.onAlterPartitionOutcome(replica, state, { errorCode: errorCodeOf(error), errorMessage: String(error), isr: [], partitionEpoch: -1, leaderEpoch: -1 }),
    );
  }

  private onAlterPartitionOutcome(replica: PartitionReplica, state: PartitionLeaderState, outcome: AlterPartitionOutcome): void {
    if (this.closed || replica.role.kind !== 'leader' || replica.role.state !== state) return;
    if (outcome.errorCode === 'NONE' && outcome.leaderEpoch === state.leaderEpoch && outcome.partitionEpoch > state.currentPartitionEpoch) {
      // Committed: the controller answers after the change is in the metadata log.
      state.onPartitionUpdate(outcome.isr, replica.replicas, outcome.partitionEpoch, this.clock.monotonicMs());
      this.logger.info({ topic: replica.topic, partition: replica.partition, isr: outcome.isr, partitionEpoch: outcome.partitionEpoch }, 'ISR changed');
    } else if (state.pendingProposal !== undefined) {
      state.clearPendingProposal();
      if (outcome.errorCode !== 'NONE') {
        this.logger.warn({ topic: replica.topic, partition: replica.partition, code: outcome.errorCode, error: outcome.errorMessage ?? '' }, 'the controller refused the ISR change; retrying later');
      }
    }
    this.refreshHighWatermark(replica);
  }

  // ---- status -------------------------------------------------------------------------------

  /** Every local replica's state as this node sees it, sorted by topic and partition. */
  status(): ReplicaStatus[] {
    const image = this.image;
    const statuses: ReplicaStatus[] = [];
    for (const replica of this.replicasByKey.values()) {
      const imagePartition = image.partition(replica.topic, replica.partition);
      const role = replica.role;
      const isr = role.kind === 'leader' ? role.state.currentIsr : (imagePartition?.isr ?? []);
      statuses.push({
        topic: replica.topic,
        partition: replica.partition,
        topicId: replica.topicId,
        role: role.kind,
        leaderId: role.kind === 'leader' ? this.nodeId : role.kind === 'follower' ? role.leaderId : (imagePartition?.leader ?? NO_LEADER),
        leaderEpoch: replica.leaderEpoch,
        highWatermark: replica.highWatermark,
        logStartOffset: replica.logStartOffset,
        logEndOffset: replica.logEndOffset,
        replicas: replica.replicas,
        isr,
        pendingIsr: role.kind === 'leader' ? role.state.pendingProposal?.isr : undefined,
        followers:
          role.kind === 'leader'
            ? replica.replicas.flatMap((replicaId) => {
                const progress = role.state.follower(replicaId);
                return progress === undefined ? [] : [{ replicaId, logEndOffset: progress.logEndOffset, lastCaughtUpTimeMs: progress.lastCaughtUpTimeMs }];
              })
            : [],
        underReplicated: isr.length < replica.replicas.length,
        fetchOffset: role.kind === 'follower' ? role.fetch?.fetchOffset : undefined,
      });
    }
    return statuses.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
  }

  /** One local replica's state, or undefined when this node holds none of the partition. */
  partitionStatus(topic: string, partition: number): ReplicaStatus | undefined {
    return this.status().find((status) => status.topic === topic && status.partition === partition);
  }

  /** The HW of a local replica (leader or follower), undefined when not hosted. */
  highWatermark(topic: string, partition: number): bigint | undefined {
    return this.replicasByKey.get(partitionKey(topic, partition))?.highWatermark;
  }

  /** Whether this node leads the partition right now (its leader role is in place). */
  isLeader(topic: string, partition: number): boolean {
    return this.replicasByKey.get(partitionKey(topic, partition))?.isLeader === true;
  }

  /** Fetch round trips this node's follower fetchers completed so far, over their leaders (tests, status). */
  followerFetchCount(): number {
    let count = 0;
    for (const fetcher of this.fetchers.values()) count += fetcher.fetchCount;
    return count;
  }

  /** Resolves once every role change and append submitted so far has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await Promise.all([...this.replicasByKey.values()].map((replica) => replica.serial.idle()));
  }
}

function unreachableAnswer(): never {
  throw new EddyError('UNKNOWN_SERVER_ERROR', 'a final evaluation gave no answer');
}
