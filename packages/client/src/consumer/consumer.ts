import { EddyError, type Logger, type Prng } from '@eddy/base';
import { CorruptRecordError } from '@eddy/record';
import type { Cluster } from '../cluster/cluster.js';
import type { GroupCoordinators } from '../cluster/group-coordinators.js';
import { listOffsets, type ListedOffset } from '../cluster/list-offsets.js';
import { asEddyError, ClientClosedError, CommitFailedError, InvalidConfigError, NoOffsetForPartitionError, withPartition } from '../errors.js';
import { type Assignor, type AssignorName, createAssignor, isAssignorName } from '../group/index.js';
import { clientDefaults } from '../limits.js';
import { backoffMs } from '../retry.js';
import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../types.js';
import { Notifier } from '../util/async.js';
import { AssignedPartition, type ConsumerRecord } from './assigned-partition.js';
import { Fetcher } from './fetcher.js';
import { GroupMember } from './group-member.js';
import { type CommitIdentity, type CommittedOffset, commitOffsets, fetchCommittedOffsets, isFencedCommit, type OffsetToCommit } from './group-offsets.js';

/** Called around rebalances. Each may be async; the consumer waits for it. */
export interface RebalanceListener {
  /** The member got these partitions (after their positions are looked up on first fetch). */
  onPartitionsAssigned?(partitions: TopicPartition[]): void | Promise<void>;
  /** Before the member gives these partitions up: commit the work done on them here. */
  onPartitionsRevoked?(partitions: TopicPartition[]): void | Promise<void>;
  /**
   * The member lost its membership (its session expired, its generation is stale): the partitions
   * may already belong to someone else, so nothing can be committed. Defaults to onPartitionsRevoked.
   */
  onPartitionsLost?(partitions: TopicPartition[]): void | Promise<void>;
}

/** Where to start when a partition has no committed offset, or the position fell outside the log. */
export type AutoOffsetReset = 'earliest' | 'latest' | 'none';

export interface ConsumerOptions {
  /** The consumer group; needed by subscribe(), commit() and committed(). */
  readonly groupId?: string;
  /** Static membership (`group.instance.id`): a restart within the session timeout causes no rebalance. */
  readonly groupInstanceId?: string;
  /** Shorthand for autoOffsetReset 'earliest' (true) or 'latest' (false). */
  readonly fromBeginning?: boolean;
  /** Default 'latest' (or as fromBeginning says). 'none' makes poll() fail with NoOffsetForPartitionError. */
  readonly autoOffsetReset?: AutoOffsetReset;
  /** Commit the positions of processed records on an interval, before a rebalance and on close. Default true with a groupId. */
  readonly enableAutoCommit?: boolean;
  /** Default 5 s. */
  readonly autoCommitIntervalMs?: number;
  /** Default 45 s. */
  readonly sessionTimeoutMs?: number;
  /** Default 3 s. */
  readonly heartbeatIntervalMs?: number;
  /** How long the coordinator waits for members to rejoin (Kafka's max.poll.interval.ms). Default 5 min. */
  readonly rebalanceTimeoutMs?: number;
  /** Assignment strategies, most preferred first. Default ['range', 'roundrobin', 'sticky']. */
  readonly assignors?: readonly (AssignorName | Assignor)[];
  /** Records one poll() returns at most (Kafka's max.poll.records). Default 500. */
  readonly maxPollRecords?: number;
  /** Long-poll bound of one fetch. Default 500 ms. */
  readonly fetchMaxWaitMs?: number;
  readonly fetchMinBytes?: number;
  /** Bytes of one fetch answer. Default 50 MiB. */
  readonly fetchMaxBytes?: number;
  /** Bytes per partition in one fetch answer. Default 1 MiB. */
  readonly maxPartitionFetchBytes?: number;
  /** Fetched, unconsumed bytes kept per partition; a full partition is not fetched. Default 2 MiB. */
  readonly prefetchBytesPerPartition?: number;
  /** Default: the client's requestTimeoutMs. */
  readonly requestTimeoutMs?: number;
  /**
   * How long a commit (explicit, automatic or before a rebalance) keeps retrying while the group
   * coordinator fails over or is unreachable (Kafka's default.api.timeout.ms). Default 60 s.
   */
  readonly defaultApiTimeoutMs?: number;
  /** Default rebalance listener (subscribe() may give another). */
  readonly listener?: RebalanceListener;
}

export interface PollOptions {
  /** Default: the consumer's maxPollRecords. */
  readonly maxRecords?: number;
  /** How long to wait for records when none is buffered. Default 1 s. */
  readonly timeoutMs?: number;
}

/** The consumer's place in its group. */
export interface GroupMetadata {
  readonly groupId: string;
  readonly generationId: number;
  readonly memberId: string;
  readonly isLeader: boolean;
}

/**
 * Reads records, in a group (subscribe: partitions are shared among the group's members) or on
 * its own (assign: the partitions it is given). `poll()` returns batches of records and
 * `for await (const record of consumer)` iterates them one by one; both read from a prefetch
 * buffer bounded in bytes per partition. Offsets are bigints.
 */
export interface Consumer extends AsyncIterable<ConsumerRecord> {
  /** Joins the group (on the next poll) to consume these topics. Needs a groupId. */
  subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void>;
  /** Gives the partitions up (revoking them) and leaves the group. */
  unsubscribe(): Promise<void>;
  /** Consumes exactly these partitions, without group membership (replaces any earlier assign). */
  assign(partitions: readonly TopicPartition[]): Promise<void>;
  /** The partitions the consumer owns now. */
  assignment(): TopicPartition[];
  /** The subscribed topics. */
  subscription(): string[];
  /** Up to maxRecords records, waiting up to timeoutMs for the first. */
  poll(options?: PollOptions): Promise<ConsumerRecord[]>;
  /** Moves a partition's position: the next record returned is at `offset`. */
  seek(partition: TopicPartition, offset: bigint): void;
  /** Moves to the log start of the given partitions (all assigned when none are given). */
  seekToBeginning(partitions?: readonly TopicPartition[]): void;
  /** Moves to the log end (only new records) of the given partitions (all assigned when none are given). */
  seekToEnd(partitions?: readonly TopicPartition[]): void;
  /** The next offset to be returned for an assigned partition (looked up when not yet known). */
  position(partition: TopicPartition): Promise<bigint>;
  /** Stops returning (and fetching) records of these partitions. */
  pause(partitions: readonly TopicPartition[]): void;
  resume(partitions: readonly TopicPartition[]): void;
  paused(): TopicPartition[];
  /**
   * Commits offsets: the positions of every assigned partition (all records returned so far),
   * or the given offsets (each the next offset to read). Fails with CommitFailedError when the
   * group rebalanced since.
   */
  commit(offsets?: readonly TopicPartitionOffset[]): Promise<void>;
  /** The group's committed offsets (assigned partitions when none are given). */
  committed(partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]>;
  /** The high watermark last seen by a fetch; undefined before the first. */
  highWatermark(partition: TopicPartition): bigint | undefined;
  /** Log end offsets (high watermarks), from the leaders. */
  endOffsets(partitions: readonly TopicPartition[]): Promise<ListedOffset[]>;
  /** Log start offsets, from the leaders. */
  beginningOffsets(partitions: readonly TopicPartition[]): Promise<ListedOffset[]>;
  /** The first offset at or after `timestamp` (ms since the epoch), -1n when none. */
  offsetsForTimes(partitions: readonly TopicPartition[], timestamp: number): Promise<ListedOffset[]>;
  /** Group, generation and member id; undefined without a group. */
  groupMetadata(): GroupMetadata | undefined;
  /**
   * Commits (with auto-commit), revokes, leaves the group and ends the fetch streams. Iterators
   * end; pending polls return what they have.
   */
  close(): Promise<void>;
}

interface ResolvedConsumerOptions {
  readonly groupId: string | undefined;
  readonly groupInstanceId: string;
  readonly autoOffsetReset: AutoOffsetReset;
  readonly enableAutoCommit: boolean;
  readonly autoCommitIntervalMs: number;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly assignors: readonly Assignor[];
  readonly maxPollRecords: number;
  readonly fetchMaxWaitMs: number;
  readonly fetchMinBytes: number;
  readonly fetchMaxBytes: number;
  readonly maxPartitionFetchBytes: number;
  readonly prefetchBytesPerPartition: number;
  readonly requestTimeoutMs: number;
  readonly defaultApiTimeoutMs: number;
}

function integer(name: string, value: number | undefined, fallback: number, min: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) throw new InvalidConfigError(`${name} must be an integer >= ${min}, got ${resolved}`);
  return resolved;
}

export function resolveConsumerOptions(options: ConsumerOptions, requestTimeoutMs: number): ResolvedConsumerOptions {
  if (options.groupId === '') throw new InvalidConfigError('groupId must not be empty');
  const autoOffsetReset = options.autoOffsetReset ?? (options.fromBeginning === true ? 'earliest' : 'latest');
  if (autoOffsetReset !== 'earliest' && autoOffsetReset !== 'latest' && autoOffsetReset !== 'none') {
    throw new InvalidConfigError(`autoOffsetReset must be 'earliest', 'latest' or 'none', got ${String(autoOffsetReset)}`);
  }
  const sessionTimeoutMs = integer('sessionTimeoutMs', options.sessionTimeoutMs, clientDefaults.sessionTimeoutMs, 1);
  const heartbeatIntervalMs = integer('heartbeatIntervalMs', options.heartbeatIntervalMs, Math.min(clientDefaults.heartbeatIntervalMs, Math.floor(sessionTimeoutMs / 3)), 1);
  if (heartbeatIntervalMs >= sessionTimeoutMs) throw new InvalidConfigError(`heartbeatIntervalMs (${heartbeatIntervalMs}) must be below sessionTimeoutMs (${sessionTimeoutMs})`);
  const assignors = (options.assignors ?? ['range', 'roundrobin', 'sticky']).map((entry) => {
    if (typeof entry !== 'string') return entry;
    if (!isAssignorName(entry)) throw new InvalidConfigError(`unknown assignor ${JSON.stringify(entry)}`);
    return createAssignor(entry);
  });
  if (assignors.length === 0) throw new InvalidConfigError('at least one assignor is needed');
  const maxPartitionFetchBytes = integer('maxPartitionFetchBytes', options.maxPartitionFetchBytes, clientDefaults.maxPartitionFetchBytes, 1);
  return {
    groupId: options.groupId,
    groupInstanceId: options.groupInstanceId ?? '',
    autoOffsetReset,
    enableAutoCommit: (options.enableAutoCommit ?? true) && options.groupId !== undefined,
    autoCommitIntervalMs: integer('autoCommitIntervalMs', options.autoCommitIntervalMs, clientDefaults.autoCommitIntervalMs, 1),
    sessionTimeoutMs,
    heartbeatIntervalMs,
    rebalanceTimeoutMs: integer('rebalanceTimeoutMs', options.rebalanceTimeoutMs, clientDefaults.rebalanceTimeoutMs, 1),
    assignors,
    maxPollRecords: integer('maxPollRecords', options.maxPollRecords, clientDefaults.maxPollRecords, 1),
    fetchMaxWaitMs: integer('fetchMaxWaitMs', options.fetchMaxWaitMs, clientDefaults.fetchMaxWaitMs, 0),
    fetchMinBytes: integer('fetchMinBytes', options.fetchMinBytes, clientDefaults.fetchMinBytes, 0),
    fetchMaxBytes: integer('fetchMaxBytes', options.fetchMaxBytes, clientDefaults.fetchMaxBytes, 1),
    maxPartitionFetchBytes,
    prefetchBytesPerPartition: Math.max(
      maxPartitionFetchBytes,
      integer('prefetchBytesPerPartition', options.prefetchBytesPerPartition, Math.max(clientDefaults.prefetchBytesPerPartition, maxPartitionFetchBytes), 1),
    ),
    requestTimeoutMs: integer('requestTimeoutMs', options.requestTimeoutMs, requestTimeoutMs, 1),
    defaultApiTimeoutMs: integer('defaultApiTimeoutMs', options.defaultApiTimeoutMs, clientDefaults.defaultApiTimeoutMs, 1),
  };
}

/** The consumer implementation; users see `Consumer`. */
export class ConsumerClient implements Consumer {
  private readonly options: ResolvedConsumerOptions;
  private readonly logger: Logger;
  private mode: 'none' | 'subscribe' | 'assign' = 'none';
  private topics: string[] = [];
  private listener: RebalanceListener;
  private readonly assigned = new Map<string, AssignedPartition>();
  /** Partitions with buffered records, in the order their records arrived. */
  private readonly withRecords: AssignedPartition[] = [];
  private readonly queued = new Set<AssignedPartition>();
  /** Partitions whose position moved since the last poll (their processed position follows at the next). */
  private readonly touched = new Set<AssignedPartition>();
  /** Partitions to reset to the log start or end instead of their committed offset. */
  private readonly resets = new Map<AssignedPartition, 'earliest' | 'latest'>();
  private readonly lastCommitted = new Map<string, bigint>();
  private readonly notifier = new Notifier();
  private readonly fetcher: Fetcher;
  private readonly abort = new AbortController();
  private readonly stopMetadataListener: () => void;
  private member: GroupMember | undefined;
  private rebalancing: Promise<void> | undefined;
  private groupError: EddyError | undefined;
  private autoCommitTimer: NodeJS.Timeout | undefined;
  private autoCommitting = false;
  private resolveTimer: NodeJS.Timeout | undefined;
  private hasErrors = false;
  private closing = false;
  private closePromise: Promise<void> | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly coordinators: GroupCoordinators,
    options: ConsumerOptions,
    private readonly prng: Prng,
    private readonly onClose: (consumer: ConsumerClient) => void,
  ) {
    this.options = resolveConsumerOptions(options, cluster.options.requestTimeoutMs);
    this.listener = options.listener ?? {};
    this.logger = cluster.logger.child({ component: 'consumer', ...(this.options.groupId === undefined ? {} : { groupId: this.options.groupId }) });
    this.fetcher = new Fetcher(
      cluster,
      {
        maxWaitMs: this.options.fetchMaxWaitMs,
        minBytes: this.options.fetchMinBytes,
        maxBytes: this.options.fetchMaxBytes,
        maxPartitionFetchBytes: this.options.maxPartitionFetchBytes,
        prefetchBytesPerPartition: this.options.prefetchBytesPerPartition,
        fetchesInFlightPerBroker: clientDefaults.fetchesInFlightPerBroker,
        requestTimeoutMs: this.options.requestTimeoutMs,
        retryBackoffMs: clientDefaults.retryBackoffMs,
      },
      {
        partitions: () => this.assigned.values(),
        canFetch: () => !this.closing && (this.mode !== 'subscribe' || (this.member !== undefined && !this.member.needsRejoin)),
        onRecords: (partition) => this.onRecords(partition),
        onOffsetOutOfRange: (partition, error) => this.onOffsetOutOfRange(partition, error),
        onPartitionError: (partition, error) => this.setError(partition, error),
      },
      prng.fork(),
      this.logger,
    );
    this.stopMetadataListener = cluster.onMetadata(() => {
      if (this.mode === 'subscribe') this.member?.checkPartitionCounts(this.topics);
      this.fetcher.schedule();
    });
    if (this.options.enableAutoCommit) {
      this.autoCommitTimer = setInterval(() => void this.autoCommit(), this.options.autoCommitIntervalMs);
      this.autoCommitTimer.unref();
    }
  }

  // -------------------------------------------------------------------------------------------
  // Subscription and assignment.

  async subscribe(topics: readonly string[], listener?: RebalanceListener): Promise<void> {
    this.ensureOpen();
    const groupId = this.options.groupId;
    if (groupId === undefined) throw new InvalidConfigError('subscribe() needs a consumer with a groupId (or use assign())');
    if (this.mode === 'assign') throw new InvalidConfigError('the consumer was given partitions with assign(); it cannot also subscribe');
    if (topics.length === 0) throw new InvalidConfigError('subscribe() needs at least one topic (use unsubscribe() to stop)');
    if (listener !== undefined) this.listener = listener;
    const sorted = [...new Set(topics)].sort();
    const changed = sorted.join('\u0000') !== this.topics.join('\u0000');
    this.topics = sorted;
    this.mode = 'subscribe';
    this.cluster.addTopics(sorted);
    if (this.member === undefined) {
      this.member = new GroupMember(
        this.cluster,
        this.coordinators,
        {
          groupId,
          groupInstanceId: this.options.groupInstanceId,
          sessionTimeoutMs: this.options.sessionTimeoutMs,
          rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
          heartbeatIntervalMs: this.options.heartbeatIntervalMs,
          assignors: this.options.assignors,
        },
        this.prng.fork(),
        () => {
          this.notifier.notify();
        },
      );
      // Start joining now, so the first poll finds the group (mostly) formed.
      void this.startRebalance();
    } else if (changed) {
      this.member.requestRejoin('the subscription changed');
    }
    await this.cluster.refreshMetadata().catch((error: unknown) => this.logger.debug({ code: asEddyError(error).code }, 'metadata refresh failed'));
  }

  async unsubscribe(): Promise<void> {
    this.ensureOpen();
    const member = this.member;
    if (this.mode !== 'subscribe' || member === undefined) return;
    this.mode = 'none';
    this.topics = [];
    if (this.rebalancing !== undefined) {
      // Do not wait out a JoinGroup long poll: cancel it.
      member.close();
      await this.rebalancing;
    }
    await this.revokeAll();
    await member.leave('the consumer unsubscribed');
    member.close();
    this.member = undefined;
    this.groupError = undefined;
  }

  assign(partitions: readonly TopicPartition[]): Promise<void> {
    this.ensureOpen();
    if (this.mode === 'subscribe') throw new InvalidConfigError('the consumer subscribed to topics; it cannot also assign() partitions');
    this.mode = partitions.length === 0 ? 'none' : 'assign';
    const wanted = new Set(partitions.map((tp) => partitionKey(tp.topic, tp.partition)));
    for (const [key, partition] of this.assigned) {
      if (!wanted.has(key)) this.removePartition(key, partition);
    }
    for (const tp of partitions) {
      const key = partitionKey(tp.topic, tp.partition);
      if (!this.assigned.has(key)) this.assigned.set(key, new AssignedPartition(tp.topic, tp.partition));
    }
    this.cluster.addTopics(partitions.map((tp) => tp.topic));
    this.resolvePositions();
    return Promise.resolve();
  }

  assignment(): TopicPartition[] {
    return [...this.assigned.values()].map((partition) => ({ topic: partition.topic, partition: partition.partition }));
  }

  subscription(): string[] {
    return [...this.topics];
  }

  // -------------------------------------------------------------------------------------------
  // Reading.

  async poll(options: PollOptions = {}): Promise<ConsumerRecord[]> {
    this.ensureOpen();
    const maxRecords = options.maxRecords ?? this.options.maxPollRecords;
    if (!Number.isSafeInteger(maxRecords) || maxRecords < 1) throw new InvalidConfigError(`maxRecords must be a positive integer, got ${maxRecords}`);
    const deadlineMs = this.cluster.nowMs() + (options.timeoutMs ?? clientDefaults.pollTimeoutMs);
    this.markProcessed();
    const out: ConsumerRecord[] = [];
    for (;;) {
      if (this.closing) return out;
      if (this.mode === 'subscribe' && this.member !== undefined && (this.member.needsRejoin || this.rebalancing !== undefined)) {
        const joined = await this.awaitRebalance(deadlineMs - this.cluster.nowMs());
        if (!joined) return out;
        continue;
      }
      this.throwPendingError();
      this.collect(maxRecords, out);
      if (out.length > 0) return out;
      const remainingMs = deadlineMs - this.cluster.nowMs();
      if (remainingMs <= 0) return out;
      await this.notifier.wait(remainingMs, this.abort.signal);
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<ConsumerRecord> {
    const batch: ConsumerRecord[] = [];
    return {
      next: async (): Promise<IteratorResult<ConsumerRecord>> => {
        for (;;) {
          if (this.closing) return { done: true, value: undefined };
          // Fast path: a buffered record, nothing to rebalance, no error to report.
          if (!this.hasErrors && !(this.mode === 'subscribe' && (this.member?.needsRejoin !== false || this.rebalancing !== undefined))) {
            this.markProcessed();
            batch.length = 0;
            this.collect(1, batch);
            const record = batch[0];
            if (record !== undefined) return { done: false, value: record };
          }
          const records = await this.poll({ maxRecords: 1, timeoutMs: clientDefaults.pollTimeoutMs * 5 });
          const record = records[0];
          if (record !== undefined) return { done: false, value: record };
        }
      },
      return: (): Promise<IteratorResult<ConsumerRecord>> => Promise.resolve({ done: true, value: undefined }),
    };
  }

  seek(tp: TopicPartition, offset: bigint): void {
    if (offset < 0n) throw new InvalidConfigError(`cannot seek ${tp.topic}-${tp.partition} to ${offset}`);
    const partition = this.assignedPartition(tp);
    this.resets.delete(partition);
    partition.seek(offset);
    partition.resolving = false;
    this.dequeue(partition);
    this.touched.add(partition);
    this.fetcher.schedule();
  }

  seekToBeginning(partitions?: readonly TopicPartition[]): void {
    this.seekToEdge(partitions, 'earliest');
  }

  seekToEnd(partitions?: readonly TopicPartition[]): void {
    this.seekToEdge(partitions, 'latest');
  }

  async position(tp: TopicPartition): Promise<bigint> {
    const partition = this.assignedPartition(tp);
    const deadlineMs = this.cluster.nowMs() + this.options.requestTimeoutMs;
    for (;;) {
      if (partition.position !== undefined) return partition.position;
      if (partition.error !== undefined) throw partition.error;
      this.ensureOpen();
      this.resolvePositions();
      const remainingMs = deadlineMs - this.cluster.nowMs();
      if (remainingMs <= 0) throw new EddyError('REQUEST_TIMED_OUT', `no position for ${tp.topic}-${tp.partition} within ${this.options.requestTimeoutMs} ms`, { retriable: true });
      await this.notifier.wait(Math.min(remainingMs, 100), this.abort.signal);
    }
  }

  pause(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const partition = this.assignedPartition(tp);
      partition.paused = true;
      this.dequeue(partition);
    }
  }

  resume(partitions: readonly TopicPartition[]): void {
    for (const tp of partitions) {
      const partition = this.assignedPartition(tp);
      partition.paused = false;
      if (partition.hasRecords) this.onRecords(partition);
    }
    this.fetcher.schedule();
  }

  paused(): TopicPartition[] {
    return [...this.assigned.values()].filter((partition) => partition.paused).map((partition) => ({ topic: partition.topic, partition: partition.partition }));
  }

  highWatermark(tp: TopicPartition): bigint | undefined {
    const highWatermark = this.assigned.get(partitionKey(tp.topic, tp.partition))?.highWatermark;
    return highWatermark === undefined || highWatermark < 0n ? undefined : highWatermark;
  }

  endOffsets(partitions: readonly TopicPartition[]): Promise<ListedOffset[]> {
    return listOffsets(this.cluster, partitions.map((tp) => ({ ...tp, spec: 'latest' as const })));
  }

  beginningOffsets(partitions: readonly TopicPartition[]): Promise<ListedOffset[]> {
    return listOffsets(this.cluster, partitions.map((tp) => ({ ...tp, spec: 'earliest' as const })));
  }

  offsetsForTimes(partitions: readonly TopicPartition[], timestamp: number): Promise<ListedOffset[]> {
    return listOffsets(this.cluster, partitions.map((tp) => ({ ...tp, spec: { timestamp } })));
  }

  groupMetadata(): GroupMetadata | undefined {
    if (this.options.groupId === undefined) return undefined;
    return {
      groupId: this.options.groupId,
      generationId: this.member?.generationId ?? -1,
      memberId: this.member?.memberId ?? '',
      isLeader: this.member?.isLeader ?? false,
    };
  }

  // -------------------------------------------------------------------------------------------
  // Committing.

  async commit(offsets?: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    const list: OffsetToCommit[] =
      offsets === undefined
        ? [...this.assigned.values()]
            .filter((partition) => partition.position !== undefined)
            .map((partition) => ({
              topic: partition.topic,
              partition: partition.partition,
              offset: partition.position as bigint,
              leaderEpoch: partition.positionEpoch,
              metadata: '',
            }))
        : offsets.map((offset) => ({ ...offset, leaderEpoch: -1, metadata: '' }));
    await this.commitList(list);
  }

  async committed(partitions?: readonly TopicPartition[]): Promise<CommittedOffset[]> {
    this.ensureOpen();
    const groupId = this.requireGroupId('committed()');
    const wanted = partitions ?? this.assignment();
    if (wanted.length === 0) return [];
    const found = await fetchCommittedOffsets(this.coordinators, groupId, wanted, this.abort.signal);
    return wanted.map(
      (tp) => found.get(partitionKey(tp.topic, tp.partition)) ?? { topic: tp.topic, partition: tp.partition, offset: null, leaderEpoch: -1, metadata: '' },
    );
  }

  close(): Promise<void> {
    this.closePromise ??= this.shutdown();
    return this.closePromise;
  }

  // -------------------------------------------------------------------------------------------
  // Internals.

  private ensureOpen(): void {
    if (this.closing) throw new ClientClosedError('the consumer');
    this.cluster.ensureOpen();
  }

  private requireGroupId(what: string): string {
    if (this.options.groupId === undefined) throw new InvalidConfigError(`${what} needs a consumer with a groupId`);
    return this.options.groupId;
  }

  private assignedPartition(tp: TopicPartition): AssignedPartition {
    const partition = this.assigned.get(partitionKey(tp.topic, tp.partition));
    if (partition === undefined) throw new InvalidConfigError(`${tp.topic}-${tp.partition} is not assigned to this consumer`);
    return partition;
  }

  private seekToEdge(partitions: readonly TopicPartition[] | undefined, edge: 'earliest' | 'latest'): void {
    const targets = partitions === undefined ? [...this.assigned.values()] : partitions.map((tp) => this.assignedPartition(tp));
    for (const partition of targets) {
      partition.unsetPosition();
      partition.error = undefined;
      partition.resolving = false;
      this.dequeue(partition);
      this.resets.set(partition, edge);
    }
    this.resolvePositions();
  }

  /** Records handed out before this call have been processed: their positions may be committed. */
  private markProcessed(): void {
    if (this.touched.size === 0) return;
    for (const partition of this.touched) {
      partition.processedPosition = partition.position;
      partition.processedEpoch = partition.positionEpoch;
    }
    this.touched.clear();
  }

  private collect(max: number, out: ConsumerRecord[]): void {
    while (out.length < max && this.withRecords.length > 0) {
      const partition = this.withRecords[0] as AssignedPartition;
      if (partition.paused || partition.error !== undefined || !partition.hasRecords || this.assigned.get(partitionKey(partition.topic, partition.partition)) !== partition) {
        this.dequeue(partition);
        continue;
      }
      let taken: number;
      try {
        taken = partition.take(max - out.length, out);
      } catch (error: unknown) {
        const failure = withPartition(asEddyError(error), partition.topic, partition.partition);
        this.setError(partition, failure);
        if (out.length > 0) break;
        throw failure;
      }
      if (taken > 0) this.touched.add(partition);
      if (!partition.hasRecords || taken === 0) {
        this.dequeue(partition);
      } else if (out.length >= max) {
        // Fairness: the next poll starts with another partition.
        this.withRecords.shift();
        this.withRecords.push(partition);
      }
    }
    if (out.length > 0) this.fetcher.schedule();
  }

  private onRecords(partition: AssignedPartition): void {
    if (!this.queued.has(partition) && !partition.paused) {
      this.queued.add(partition);
      this.withRecords.push(partition);
    }
    this.notifier.notify();
  }

  private dequeue(partition: AssignedPartition): void {
    if (!this.queued.delete(partition)) return;
    const at = this.withRecords.indexOf(partition);
    if (at >= 0) this.withRecords.splice(at, 1);
  }

  private setError(partition: AssignedPartition, error: EddyError): void {
    partition.error = error;
    this.hasErrors = true;
    this.notifier.notify();
  }

  /** Throws the first partition error. Errors that block the partition (no offset, corrupt data) stay until a seek; others are reported once. */
  private throwPendingError(): void {
    if (!this.hasErrors) return;
    this.hasErrors = false;
    let first: EddyError | undefined;
    for (const partition of this.assigned.values()) {
      const error = partition.error;
      if (error === undefined) continue;
      const sticky = error instanceof NoOffsetForPartitionError || error.code === 'CORRUPT_RECORD' || error.cause instanceof CorruptRecordError;
      if (sticky) this.hasErrors = true;
      else partition.error = undefined;
      first ??= error;
    }
    if (first !== undefined) {
      this.fetcher.schedule();
      throw first;
    }
  }

  private onOffsetOutOfRange(partition: AssignedPartition, error: EddyError): void {
    const reset = this.options.autoOffsetReset;
    if (reset === 'none') {
      this.setError(partition, new NoOffsetForPartitionError(partition.topic, partition.partition, `the position ${String(partition.fetchOffset)} is out of range (${error.message})`));
      return;
    }
    this.logger.info({ topic: partition.topic, partition: partition.partition, reset }, 'fetch offset out of range; resetting');
    partition.unsetPosition();
    this.dequeue(partition);
    this.resets.set(partition, reset);
    this.resolvePositions();
  }

  private removePartition(key: string, partition: AssignedPartition): void {
    this.assigned.delete(key);
    partition.clearBuffer();
    this.dequeue(partition);
    this.touched.delete(partition);
    this.resets.delete(partition);
  }

  /**
   * Finds positions for partitions without one: the group's committed offset (when there is a
   * group), else the reset policy. Runs in the background; failures are retried.
   */
  private resolvePositions(): void {
    if (this.closing) return;
    const pending = [...this.assigned.values()].filter((partition) => partition.position === undefined && !partition.resolving && partition.error === undefined);
    if (pending.length === 0) {
      this.fetcher.schedule();
      return;
    }
    for (const partition of pending) partition.resolving = true;
    const epochs = new Map(pending.map((partition) => [partition, partition.epoch]));
    const current = (partition: AssignedPartition): boolean =>
      this.assigned.get(partitionKey(partition.topic, partition.partition)) === partition && partition.epoch === epochs.get(partition);
    void (async () => {
      const unresolved: AssignedPartition[] = [];
      const groupId = this.options.groupId;
      const fromCommitted = pending.filter((partition) => !this.resets.has(partition));
      if (groupId !== undefined && fromCommitted.length > 0) {
        const committed = await fetchCommittedOffsets(this.coordinators, groupId, fromCommitted, this.abort.signal);
        for (const partition of fromCommitted) {
          if (!current(partition)) continue;
          const found = committed.get(partitionKey(partition.topic, partition.partition));
          if (found?.offset !== null && found?.offset !== undefined) {
            partition.seek(found.offset, found.leaderEpoch);
            partition.processedPosition = found.offset;
            partition.processedEpoch = found.leaderEpoch;
            this.lastCommitted.set(partitionKey(partition.topic, partition.partition), found.offset);
            partition.resolving = false;
          } else {
            unresolved.push(partition);
          }
        }
      } else {
        unresolved.push(...fromCommitted);
      }
      const toReset = [...unresolved, ...pending.filter((partition) => this.resets.has(partition))].filter(current);
      const queries: { partition: AssignedPartition; spec: 'earliest' | 'latest' }[] = [];
      for (const partition of toReset) {
        const spec = this.resets.get(partition) ?? this.options.autoOffsetReset;
        if (spec === 'none') {
          partition.resolving = false;
          this.setError(partition, new NoOffsetForPartitionError(partition.topic, partition.partition, 'the group has no committed offset'));
        } else {
          queries.push({ partition, spec });
        }
      }
      if (queries.length > 0) {
        const offsets = await listOffsets(
          this.cluster,
          queries.map((query) => ({ topic: query.partition.topic, partition: query.partition.partition, spec: query.spec })),
        );
        queries.forEach((query, index) => {
          const found = offsets[index];
          if (found === undefined || !current(query.partition)) return;
          this.resets.delete(query.partition);
          query.partition.seek(found.offset < 0n ? 0n : found.offset);
          query.partition.resolving = false;
          this.touched.add(query.partition);
        });
      }
    })()
      .catch((error: unknown) => {
        const eddyError = asEddyError(error);
        if (this.closing) return;
        this.logger.warn({ code: eddyError.code }, `looking up positions failed: ${eddyError.message}`);
        for (const partition of pending) {
          if (!current(partition) || partition.position !== undefined) continue;
          partition.resolving = false;
          if (!eddyError.retriable && !(eddyError instanceof ClientClosedError)) this.setError(partition, withPartition(eddyError, partition.topic, partition.partition));
        }
        if (eddyError.retriable) this.retryResolveLater();
      })
      .finally(() => {
        for (const partition of pending) if (partition.position !== undefined) partition.resolving = false;
        this.notifier.notify();
        this.fetcher.schedule();
      });
  }

  private retryResolveLater(): void {
    if (this.resolveTimer !== undefined || this.closing) return;
    const waitMs = backoffMs(3, this.cluster.options.retry, this.prng);
    this.resolveTimer = setTimeout(() => {
      this.resolveTimer = undefined;
      this.resolvePositions();
    }, waitMs);
  }

  /** Starts a rebalance unless one runs; its failure is kept for the next poll. */
  private startRebalance(): Promise<void> {
    this.rebalancing ??= this.rebalance()
      .catch((error: unknown) => {
        const eddyError = asEddyError(error);
        if (!this.closing) {
          this.logger.error({ code: eddyError.code }, `joining the group failed: ${eddyError.message}`);
          this.groupError = eddyError;
        }
      })
      .finally(() => {
        this.rebalancing = undefined;
        this.notifier.notify();
      });
    return this.rebalancing;
  }

  /** Waits for the running (or a new) rebalance up to `timeoutMs`; true once it is done. */
  private async awaitRebalance(timeoutMs: number): Promise<boolean> {
    const running = this.startRebalance();
    let timer: NodeJS.Timeout | undefined;
    const finished = await Promise.race([
      running.then(() => true),
      new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), Math.max(0, timeoutMs)))),
    ]);
    if (timer !== undefined) clearTimeout(timer);
    const error = this.groupError;
    if (error !== undefined) {
      this.groupError = undefined;
      throw error;
    }
    return finished;
  }

  /** Eager rebalance: give every partition up (commit, listener), then join and take the new ones. */
  private async rebalance(): Promise<void> {
    const member = this.member;
    if (member === undefined) return;
    await this.revokeAll();
    if (this.closing || this.mode !== 'subscribe' || this.member !== member) return;
    const assignment = await member.joinAndSync(this.topics);
    if (this.closing || this.member !== member) return;
    for (const tp of assignment) {
      const key = partitionKey(tp.topic, tp.partition);
      if (!this.assigned.has(key)) this.assigned.set(key, new AssignedPartition(tp.topic, tp.partition));
    }
    this.cluster.addTopics(assignment.map((tp) => tp.topic));
    this.resolvePositions();
    await this.callListener('onPartitionsAssigned', assignment);
  }

  /** Gives up every assigned partition: commits their processed positions (unless lost), then tells the listener. */
  private async revokeAll(): Promise<void> {
    const partitions = this.assignment();
    if (partitions.length === 0) return;
    const lost = this.member?.isLost === true;
    if (!lost) {
      if (this.options.enableAutoCommit) {
        this.markProcessed();
        await this.commitProcessed().catch((error: unknown) => this.logger.warn({ code: asEddyError(error).code }, `commit before revocation failed: ${asEddyError(error).message}`));
      }
      await this.callListener('onPartitionsRevoked', partitions);
    } else {
      await this.callListener(this.listener.onPartitionsLost === undefined ? 'onPartitionsRevoked' : 'onPartitionsLost', partitions);
    }
    for (const [key, partition] of [...this.assigned]) this.removePartition(key, partition);
    this.lastCommitted.clear();
  }

  private async callListener(which: keyof RebalanceListener, partitions: TopicPartition[]): Promise<void> {
    if (this.listener[which] === undefined) return;
    try {
      await this.listener[which]?.(partitions);
    } catch (error: unknown) {
      this.logger.error({ err: error, which }, `the rebalance listener's ${which} failed`);
    }
  }

  private async autoCommit(): Promise<void> {
    if (this.autoCommitting || this.closing || this.rebalancing !== undefined || this.member?.needsRejoin === true) return;
    this.autoCommitting = true;
    try {
      await this.commitProcessed();
    } catch (error: unknown) {
      this.logger.warn({ code: asEddyError(error).code }, `auto-commit failed: ${asEddyError(error).message}`);
    } finally {
      this.autoCommitting = false;
    }
  }

  /** Commits the processed positions that moved since the last commit. */
  private async commitProcessed(): Promise<void> {
    const list: OffsetToCommit[] = [];
    for (const [key, partition] of this.assigned) {
      const offset = partition.processedPosition;
      if (offset === undefined || this.lastCommitted.get(key) === offset) continue;
      list.push({ topic: partition.topic, partition: partition.partition, offset, leaderEpoch: partition.processedEpoch, metadata: '' });
    }
    await this.commitList(list);
  }

  /** Commits `list` as this consumer (its member identity in a group), retrying for up to `timeoutMs`. */
  private async commitList(list: readonly OffsetToCommit[], timeoutMs = this.options.defaultApiTimeoutMs): Promise<void> {
    const groupId = this.requireGroupId('commit()');
    if (list.length === 0) return;
    let identity: CommitIdentity = { generationId: -1, memberId: '', groupInstanceId: '' };
    const member = this.mode === 'subscribe' ? this.member : undefined;
    if (member !== undefined) {
      if (member.generationId < 0 || member.isLost) {
        throw new CommitFailedError('REBALANCE_IN_PROGRESS', `group ${groupId}: the consumer is not a member of the current generation; poll to rejoin`);
      }
      identity = member.identity;
    }
    try {
      await commitOffsets(this.coordinators, groupId, identity, list, timeoutMs, this.abort.signal);
    } catch (error: unknown) {
      const eddyError = asEddyError(error);
      // Only a refusal of the member's current generation means it must rejoin: a commit that
      // was retried past a rebalance the member already went through says nothing new.
      const current = member !== undefined && member.generationId === identity.generationId && member.memberId === identity.memberId;
      if (member !== undefined && current && isFencedCommit(eddyError)) {
        member.requestRejoin(`a commit was refused (${eddyError.code})`, eddyError.code !== 'REBALANCE_IN_PROGRESS');
      }
      throw eddyError;
    }
    for (const offset of list) this.lastCommitted.set(partitionKey(offset.topic, offset.partition), offset.offset);
  }

  private async shutdown(): Promise<void> {
    this.closing = true;
    if (this.autoCommitTimer !== undefined) clearInterval(this.autoCommitTimer);
    if (this.resolveTimer !== undefined) clearTimeout(this.resolveTimer);
    this.notifier.notify();
    const member = this.member;
    try {
      if (member !== undefined && this.rebalancing !== undefined) {
        member.close();
        await this.rebalancing;
      }
      if (!this.cluster.isClosed) {
        if (member !== undefined && !member.needsRejoin) {
          this.markProcessed();
          const partitions = this.assignment();
          if (this.options.enableAutoCommit) {
            await this.commitPositions().catch((error: unknown) => this.logger.warn({ code: asEddyError(error).code }, `commit on close failed: ${asEddyError(error).message}`));
          }
          if (partitions.length > 0) await this.callListener('onPartitionsRevoked', partitions);
        } else if (member === undefined && this.options.enableAutoCommit && this.mode === 'assign') {
          await this.commitPositions().catch((error: unknown) => this.logger.warn({ code: asEddyError(error).code }, `commit on close failed: ${asEddyError(error).message}`));
        }
        if (member !== undefined) await member.leave('the consumer is closing');
      }
    } finally {
      member?.close();
      this.abort.abort();
      this.stopMetadataListener();
      for (const [key, partition] of [...this.assigned]) this.removePartition(key, partition);
      await this.fetcher.close();
      this.onClose(this);
    }
  }

  /**
   * Commits the positions of every assigned partition (everything returned so far), on close:
   * within the request timeout at most (Kafka's close() bound), so closing while the coordinator
   * is away does not wait out the full default.api.timeout.ms.
   */
  private async commitPositions(): Promise<void> {
    const list: OffsetToCommit[] = [];
    for (const [key, partition] of this.assigned) {
      const offset = partition.position;
      if (offset === undefined || this.lastCommitted.get(key) === offset) continue;
      list.push({ topic: partition.topic, partition: partition.partition, offset, leaderEpoch: partition.positionEpoch, metadata: '' });
    }
    await this.commitList(list, Math.min(this.options.defaultApiTimeoutMs, this.options.requestTimeoutMs));
  }
}
