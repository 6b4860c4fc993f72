import { join } from 'node:path';
import { assert, type Clock, type Logger, type Prng, silentLogger, systemClock, unreachable } from '@eddy/base';
import { type MetadataImage, NO_LEADER } from '@eddy/metadata';
import type {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DeleteOffsetsRequest,
  DeleteOffsetsResponse,
  DescribedGroup,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  ErrorCodeName,
  FindCoordinatorRequest,
  FindCoordinatorResponse,
  Coordinator,
  GroupState as WireGroupState,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupRequest,
  LeaveGroupResponse,
  ListGroupsRequest,
  ListGroupsResponse,
  OffsetCommitRequest,
  OffsetCommitResponse,
  OffsetFetchRequest,
  OffsetFetchResponse,
  PartitionResult,
  SyncGroupRequest,
  SyncGroupResponse,
  WireError,
} from '@eddy/protocol';
import {
  coordinatorPartitionFor,
  decodeGroupSnapshot,
  encodeGroupSnapshot,
  type GroupCoordinatorConfig,
  type GroupDescription,
  type GroupEffect,
  GroupManager,
  groupLimits,
  type GroupSnapshot,
  type GroupState,
  type JoinGroupResponse as CoreJoinGroupResponse,
  type PersistResult,
  type RequestId,
  type SyncGroupResponse as CoreSyncGroupResponse,
} from '../group/index.js';
import { GroupStateStore } from '../group-store/group-state-store.js';
import type { OffsetsTopicRecord } from '../group-store/offsets-topic-records.js';
import type { AppendRecordsInput, MetadataSource, ReplicaRoleChange, ReplicaRoleListener } from '../replication/replica-manager.js';
import type { AppendOutcome } from '../replication/partition-replica.js';
import { mayConsume } from './consumer-subscription.js';
import { groupCoordinatorLimits } from './limits.js';
import { decideExpiry } from './offset-expiry.js';
import { encodeOffsetsWrite } from './offsets-batches.js';
import { availabilityChanges, type OfflinePartitions, offlinePartitions } from './partition-availability.js';
import { type OffsetsLogView, OffsetsMaterializer } from './offsets-materializer.js';
import { OFFSETS_TOPIC, offsetsTopicCreation, type OffsetsTopicSettings, type TopicCreator } from './offsets-topic.js';

/** What the coordinator needs of the node's data path (the ReplicaManager has exactly this). */
export interface OffsetsReplicas {
  appendRecords(input: AppendRecordsInput): Promise<AppendOutcome>;
  highWatermark(topic: string, partition: number): bigint | undefined;
  isLeader(topic: string, partition: number): boolean;
  subscribeRoleChanges(listener: ReplicaRoleListener): () => void;
}

export interface GroupCoordinatorOptions {
  /** The group state store lives in `<dataDir>/__group_state`. */
  readonly dataDir: string;
  readonly offsetsTopic: OffsetsTopicSettings;
  /** Settings of the group state machine (the offsets partition count comes from the topic). */
  readonly group?: Partial<Omit<GroupCoordinatorConfig, 'offsetsTopicPartitionCount'>>;
  readonly replicas: OffsetsReplicas;
  /** The local log of a partition (the LogManager's), for materializing replicas. */
  readonly logs: (topic: string, partition: number) => OffsetsLogView | undefined;
  readonly metadata: MetadataSource;
  /** Creates __consumer_offsets through the active controller. */
  readonly createTopic: TopicCreator;
  readonly isActiveController: () => boolean;
  /** offsets.retention.minutes, in ms (default 7 days): see `expireOffsets`. */
  readonly offsetsRetentionMs?: number;
  /** offsets.retention.check.interval.ms (default 10 min): how often expired offsets are looked for. */
  readonly offsetsRetentionCheckIntervalMs?: number;
  readonly clock?: Clock;
  readonly prng: Prng;
  readonly logger?: Logger;
}

/** A group call's error, on the wire: the core's codes plus the adapter's own. */
type CoordinatorError = ErrorCodeName;

type PartitionRole =
  | { readonly kind: 'follower' }
  /** Leader, catching its store up before it takes the groups over. */
  | { readonly kind: 'loading'; readonly loadId: number; readonly leaderEpoch: number }
  | { readonly kind: 'leader'; readonly leaderEpoch: number };

interface CommitEntry {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
}

interface PendingCommit {
  readonly groupId: string;
  /** Partitions that passed validation, in request order. */
  readonly accepted: readonly CommitEntry[];
  /** Partitions refused on their own (unknown topic, metadata too large), by topic. */
  readonly refused: ReadonlyMap<string, readonly PartitionResult[]>;
}

type PendingRequest =
  | { readonly kind: 'join'; readonly resolve: (response: JoinGroupResponse) => void }
  | { readonly kind: 'sync'; readonly resolve: (response: SyncGroupResponse) => void }
  | { readonly kind: 'heartbeat'; readonly resolve: (response: HeartbeatResponse) => void }
  | { readonly kind: 'leave'; readonly resolve: (response: LeaveGroupResponse) => void }
  | { readonly kind: 'commit'; readonly commit: PendingCommit; readonly resolve: (response: OffsetCommitResponse) => void };

/** What one offset expiry pass removed. */
export interface ExpiryOutcome {
  readonly offsets: number;
  readonly groups: number;
}

type WriteOutcome = { readonly ok: true; readonly nextOffset: bigint } | { readonly ok: false; readonly error: WireError };

const wireStates: Readonly<Record<GroupState, WireGroupState>> = {
  Empty: 'GROUP_STATE_EMPTY',
  PreparingRebalance: 'GROUP_STATE_PREPARING_REBALANCE',
  CompletingRebalance: 'GROUP_STATE_COMPLETING_REBALANCE',
  Stable: 'GROUP_STATE_STABLE',
  Dead: 'GROUP_STATE_DEAD',
};

/** Errors of a write to __consumer_offsets that mean "this node no longer leads the partition". */
const notCoordinatorWriteErrors: ReadonlySet<string> = new Set(['NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH', 'STORAGE_ERROR', 'NODE_SHUTTING_DOWN']);

/** Tombstones written per append when many offsets go at once (a deleted topic). */
const TOMBSTONES_PER_WRITE = 1_000;
const RETRY_LOAD_AFTER_MS = 1_000;
const TOPIC_CREATION_INTERVAL_MS = 1_000;

/**
 * The group coordinator of a node: the adapter that runs the pure `GroupManager` against the
 * real world.
 *
 * - Placement: a group's coordinator is the leader of its __consumer_offsets partition
 *   (`coordinatorPartitionFor`). FindCoordinator answers from the metadata image; the topic is
 *   created by the active controller once enough brokers are live, or on the first
 *   FindCoordinator.
 * - State: offset commits and group metadata are records of that partition, written with
 *   acks=all. Every replica (leader or follower) applies the committed ones (below its high
 *   watermark) to a LevelDB store, with the applied offset in the same atomic batch.
 * - Failover: a replica that becomes leader waits until its high watermark covers its whole log
 *   (what the previous leader may have acknowledged), applies it, then hands the stored groups
 *   to `becomeCoordinator`; until then its groups answer COORDINATOR_LOAD_IN_PROGRESS. A leader
 *   that steps down calls `resignCoordinator`, which answers waiting members NOT_COORDINATOR.
 * - Requests: JoinGroup and SyncGroup long-poll: each request gets an id and a callback, and the
 *   effects the manager returns (now or from a later call) answer them. A commit is answered
 *   only once its records are replicated and applied here, so an OffsetFetch that follows sees
 *   it, and no acknowledged commit is lost when the coordinator fails.
 *
 * - Expiry: offsets of groups Empty longer than offsets.retention.minutes (and of deleted topics)
 *   are removed with tombstones, so every replica's store agrees (`expireOffsets`).
 *
 * Not yet: compaction of __consumer_offsets (it keeps every record, see offsetsTopicCreation).
 */
export class GroupCoordinator {
  private readonly options: GroupCoordinatorOptions;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly materializer: OffsetsMaterializer;
  private manager: GroupManager | undefined;
  private readonly roles = new Map<number, PartitionRole>();
  private readonly pending = new Map<RequestId, PendingRequest>();
  private lastRequestId = 0;
  private lastLoadId = 0;
  /** Topic name → incarnation and partition count, as of the last image seen. */
  private topics = new Map<string, { readonly topicId: string; readonly partitions: number }>();
  /** Offline partitions by topic, as of the last image seen. */
  private offline: OfflinePartitions = new Map();
  private readonly wallOriginMs: number;
  private readonly monotonicOriginMs: number;
  private tickTimer: NodeJS.Timeout | undefined;
  private tickAtMs: number | undefined;
  private housekeepingTimer: NodeJS.Timeout | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private expiring: Promise<ExpiryOutcome> | undefined;
  private creation: Promise<void> | undefined;
  private creationNotBeforeMs = 0;
  private readonly unsubscribers: Array<() => void> = [];
  private started = false;
  private closed = false;

  private constructor(
    options: GroupCoordinatorOptions,
    private readonly store: GroupStateStore,
  ) {
    this.options = options;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger;
    this.wallOriginMs = this.clock.wallMs();
    this.monotonicOriginMs = this.clock.monotonicMs();
    this.materializer = new OffsetsMaterializer({
      store,
      log: (partition) => options.logs(OFFSETS_TOPIC, partition),
      highWatermark: (partition) => options.replicas.highWatermark(OFFSETS_TOPIC, partition),
      logger: this.logger,
    });
  }

  /** Opens the group state store. Call `start()` before the replica manager starts. */
  static async open(options: GroupCoordinatorOptions): Promise<GroupCoordinator> {
    const store = await GroupStateStore.open(join(options.dataDir, '__group_state'));
    return new GroupCoordinator(options, store);
  }

  /**
   * Follows replica roles and metadata. Roles are only reported as they change, so this must
   * run before the replica manager takes up its replicas.
   */
  start(): void {
    assert(!this.started, 'a group coordinator starts once');
    this.started = true;
    const image = this.options.metadata.image;
    this.topics = topicShapes(image);
    this.offline = offlinePartitions(image);
    this.ensureManager(image);
    this.unsubscribers.push(this.options.replicas.subscribeRoleChanges((change) => this.onRoleChange(change)));
    this.unsubscribers.push(this.options.metadata.subscribe((next) => this.onMetadata(next)));
    this.housekeepingTimer = setInterval(() => this.housekeeping(), groupCoordinatorLimits.housekeepingIntervalMs);
    this.housekeepingTimer.unref();
    const checkIntervalMs = this.options.offsetsRetentionCheckIntervalMs ?? groupCoordinatorLimits.offsetsRetentionCheckIntervalMsDefault;
    this.expiryTimer = setInterval(() => {
      this.expireOffsets().catch((error: unknown) => this.logger.warn({ error: String(error) }, 'expiring offsets failed'));
    }, checkIntervalMs);
    this.expiryTimer.unref();
  }

  /**
   * Stops: waiting members are answered NOT_COORDINATOR (they look the coordinator up again),
   * timers stop, running store writes finish and the store closes. Call before the replica
   * manager closes; commits still being replicated are answered NOT_COORDINATOR (the client
   * retries them at the next coordinator; a commit is idempotent).
   */
  async close(): Promise<void> {
    if (this.closed) return;
    for (const partition of [...this.roles.keys()]) this.resign(partition);
    this.closed = true;
    for (const unsubscribe of this.unsubscribers.splice(0)) unsubscribe();
    clearInterval(this.housekeepingTimer);
    clearInterval(this.expiryTimer);
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    for (const requestId of [...this.pending.keys()]) this.answerWithError(requestId, 'NOT_COORDINATOR');
    this.roles.clear();
    await this.materializer.close();
    await this.creation;
    await this.expiring?.catch(() => undefined);
    await this.store.close();
  }

  // ---- reads for tests and tools ---------------------------------------------------------

  /** The offsets partitions this node coordinates now (loaded and leading). */
  coordinatedPartitions(): number[] {
    return [...this.roles].filter(([, role]) => role.kind === 'leader').map(([partition]) => partition).sort((a, b) => a - b);
  }

  /** The next offset of a partition's log to apply to the store (undefined before the first pass). */
  appliedOffset(partition: number): bigint | undefined {
    return this.materializer.appliedOffset(partition);
  }

  // ---- FindCoordinator ---------------------------------------------------------------------

  findCoordinator(request: FindCoordinatorRequest): FindCoordinatorResponse {
    if (request.groupIds.length > groupCoordinatorLimits.requestGroupsMax) {
      return { coordinators: request.groupIds.slice(0, groupCoordinatorLimits.requestGroupsMax).map((groupId) => coordinatorError(groupId, 'INVALID_REQUEST', 'too many groups in one request')) };
    }
    const image = this.options.metadata.image;
    const topic = image.topic(OFFSETS_TOPIC);
    if (topic === undefined && !this.closed) this.maybeCreateOffsetsTopic('demand');
    return { coordinators: request.groupIds.map((groupId) => this.locate(image, groupId)) };
  }

  private locate(image: MetadataImage, groupId: string): Coordinator {
    if (!isGroupId(groupId)) return coordinatorError(groupId, 'INVALID_GROUP_ID', 'the group id is empty or too long');
    const topic = image.topic(OFFSETS_TOPIC);
    if (topic === undefined || topic.partitions.size === 0) return coordinatorError(groupId, 'COORDINATOR_NOT_AVAILABLE', `${OFFSETS_TOPIC} does not exist yet`);
    const partitionCount = this.manager?.config.offsetsTopicPartitionCount ?? topic.partitions.size;
    const partition = coordinatorPartitionFor(groupId, partitionCount);
    const leader = topic.partitions.get(partition)?.leader ?? NO_LEADER;
    const broker = leader === NO_LEADER ? undefined : image.brokers.get(leader);
    if (broker === undefined || broker.fenced) {
      return coordinatorError(groupId, 'COORDINATOR_NOT_AVAILABLE', `${OFFSETS_TOPIC}-${partition} has no leader`);
    }
    return { groupId, errorCode: 'NONE', errorMessage: '', brokerId: broker.brokerId, host: broker.endpoint.host, port: broker.endpoint.port };
  }

  // ---- the group protocol ----------------------------------------------------------------

  joinGroup(request: JoinGroupRequest, clientId: string, clientHost: string): Promise<JoinGroupResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return Promise.resolve(wireJoinError(refused, request.memberId));
    const manager = this.manager as GroupManager;
    return new Promise((resolve) => {
      const requestId = this.register({ kind: 'join', resolve });
      if (requestId === undefined) return resolve(wireJoinError('COORDINATOR_NOT_AVAILABLE', request.memberId));
      this.execute(
        manager.joinGroup(
          {
            requestId,
            groupId: request.groupId,
            memberId: request.memberId,
            ...(request.groupInstanceId === '' ? {} : { groupInstanceId: request.groupInstanceId }),
            clientId,
            clientHost,
            sessionTimeoutMs: request.sessionTimeoutMs,
            rebalanceTimeoutMs: request.rebalanceTimeoutMs,
            protocolType: request.protocolType,
            protocols: request.protocols.map((protocol) => ({ name: protocol.name, metadata: protocol.metadata })),
            ...(request.reason === '' ? {} : { reason: request.reason }),
          },
          this.now(),
        ),
      );
    });
  }

  syncGroup(request: SyncGroupRequest): Promise<SyncGroupResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return Promise.resolve(wireSyncError(refused));
    const manager = this.manager as GroupManager;
    return new Promise((resolve) => {
      const requestId = this.register({ kind: 'sync', resolve });
      if (requestId === undefined) return resolve(wireSyncError('COORDINATOR_NOT_AVAILABLE'));
      this.execute(
        manager.syncGroup(
          {
            ...generationMember(request, requestId),
            ...(request.protocolType === '' ? {} : { protocolType: request.protocolType }),
            ...(request.protocolName === '' ? {} : { protocolName: request.protocolName }),
            assignments: request.assignments.map((entry) => ({ memberId: entry.memberId, assignment: entry.assignment })),
          },
          this.now(),
        ),
      );
    });
  }

  heartbeat(request: HeartbeatRequest): Promise<HeartbeatResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return Promise.resolve({ errorCode: refused, errorMessage: '' });
    const manager = this.manager as GroupManager;
    return new Promise((resolve) => {
      const requestId = this.register({ kind: 'heartbeat', resolve });
      if (requestId === undefined) return resolve({ errorCode: 'COORDINATOR_NOT_AVAILABLE', errorMessage: '' });
      this.execute(
        manager.heartbeat(
          generationMember(request, requestId),
          this.now(),
        ),
        { extendsDeadlinesOnly: true },
      );
    });
  }

  leaveGroup(request: LeaveGroupRequest): Promise<LeaveGroupResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return Promise.resolve({ errorCode: refused, errorMessage: '', members: [] });
    const manager = this.manager as GroupManager;
    return new Promise((resolve) => {
      const requestId = this.register({ kind: 'leave', resolve });
      if (requestId === undefined) return resolve({ errorCode: 'COORDINATOR_NOT_AVAILABLE', errorMessage: '', members: [] });
      this.execute(
        manager.leaveGroup(
          {
            requestId,
            groupId: request.groupId,
            members: request.members.map((member) => ({
              memberId: member.memberId,
              ...(member.groupInstanceId === '' ? {} : { groupInstanceId: member.groupInstanceId }),
              ...(member.reason === '' ? {} : { reason: member.reason }),
            })),
          },
          this.now(),
        ),
      );
    });
  }

  // ---- offsets -----------------------------------------------------------------------------

  /**
   * Checks the group (member, generation) through the manager, then writes one record per
   * partition with acks=all and answers once the records are replicated and applied here.
   */
  offsetCommit(request: OffsetCommitRequest): Promise<OffsetCommitResponse> {
    const fail = (errorCode: CoordinatorError, errorMessage = ''): Promise<OffsetCommitResponse> => Promise.resolve({ errorCode, errorMessage, topics: [] });
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return fail(refused);
    const manager = this.manager as GroupManager;
    let count = 0;
    for (const topic of request.topics) count += topic.partitions.length;
    if (count > groupCoordinatorLimits.requestPartitionsMax) return fail('INVALID_REQUEST', `an offset commit names at most ${groupCoordinatorLimits.requestPartitionsMax} partitions`);
    const image = this.options.metadata.image;
    const accepted: CommitEntry[] = [];
    const refusedByTopic = new Map<string, PartitionResult[]>();
    const refuse = (topic: string, partition: number, errorCode: ErrorCodeName, errorMessage: string): void => {
      const list = refusedByTopic.get(topic) ?? [];
      list.push({ partition, errorCode, errorMessage });
      refusedByTopic.set(topic, list);
    };
    for (const topic of request.topics) {
      for (const entry of topic.partitions) {
        if (image.partition(topic.name, entry.partition) === undefined) {
          refuse(topic.name, entry.partition, 'UNKNOWN_TOPIC_OR_PARTITION', `${topic.name}-${entry.partition} does not exist`);
        } else if (Buffer.byteLength(entry.metadata, 'utf8') > groupCoordinatorLimits.offsetMetadataBytesMax) {
          refuse(topic.name, entry.partition, 'OFFSET_METADATA_TOO_LARGE', `offset metadata is limited to ${groupCoordinatorLimits.offsetMetadataBytesMax} bytes`);
        } else if (entry.committedOffset < 0n) {
          refuse(topic.name, entry.partition, 'INVALID_REQUEST', `a committed offset cannot be negative (${entry.committedOffset})`);
        } else {
          accepted.push({ topic: topic.name, partition: entry.partition, offset: entry.committedOffset, leaderEpoch: entry.committedLeaderEpoch, metadata: entry.metadata });
        }
      }
    }
    return new Promise((resolve) => {
      const requestId = this.register({ kind: 'commit', commit: { groupId: request.groupId, accepted, refused: refusedByTopic }, resolve });
      if (requestId === undefined) return resolve({ errorCode: 'COORDINATOR_NOT_AVAILABLE', errorMessage: 'too many requests are waiting', topics: [] });
      this.execute(
        manager.offsetCommit(
          generationMember(request, requestId),
          this.now(),
        ),
        { extendsDeadlinesOnly: true },
      );
    });
  }

  async offsetFetch(request: OffsetFetchRequest): Promise<OffsetFetchResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return { errorCode: refused, errorMessage: '', topics: [] };
    let count = 0;
    for (const topic of request.topics) count += topic.partitions.length;
    if (count > groupCoordinatorLimits.requestPartitionsMax) {
      return { errorCode: 'INVALID_REQUEST', errorMessage: `an offset fetch names at most ${groupCoordinatorLimits.requestPartitionsMax} partitions`, topics: [] };
    }
    const committed = await this.store.committedOffsets(request.groupId);
    const wanted: Array<[string, number[]]> =
      request.topics.length === 0
        ? [...committed].sort(([a], [b]) => compareStrings(a, b)).map(([topic, partitions]) => [topic, [...partitions.keys()].sort((a, b) => a - b)])
        : request.topics.map((topic) => [topic.topic, topic.partitions]);
    return {
      errorCode: 'NONE',
      errorMessage: '',
      topics: wanted.map(([name, partitions]) => ({
        name,
        partitions: partitions.map((partition) => {
          const offset = committed.get(name)?.get(partition);
          return {
            partition,
            errorCode: 'NONE' as const,
            errorMessage: '',
            committedOffset: offset?.offset ?? -1n,
            committedLeaderEpoch: offset?.leaderEpoch ?? -1,
            metadata: offset?.metadata ?? '',
            commitTimestampMs: BigInt(offset?.commitTimestampMs ?? -1),
          };
        }),
      })),
    };
  }

  /**
   * Deletes committed offsets of partitions the group does not consume: a partition of a topic
   * some member subscribes to is refused with GROUP_SUBSCRIBED_TO_TOPIC.
   */
  async deleteOffsets(request: DeleteOffsetsRequest): Promise<DeleteOffsetsResponse> {
    const refused = this.gate(request.groupId);
    if (refused !== undefined) return { errorCode: refused, errorMessage: '', topics: [] };
    const manager = this.manager as GroupManager;
    let count = 0;
    for (const topic of request.topics) count += topic.partitions.length;
    if (count > groupCoordinatorLimits.requestPartitionsMax) {
      return { errorCode: 'INVALID_REQUEST', errorMessage: `at most ${groupCoordinatorLimits.requestPartitionsMax} partitions per request`, topics: [] };
    }
    const description = manager.describeGroup(request.groupId);
    const committed = await this.store.committedOffsets(request.groupId);
    if ((description === undefined || description.state === 'Dead') && committed.size === 0) {
      return { errorCode: 'GROUP_ID_NOT_FOUND', errorMessage: `group ${request.groupId} does not exist`, topics: [] };
    }
    const members = description?.members ?? [];
    const tombstones: OffsetsTopicRecord[] = [];
    const results = request.topics.map((topic) => {
      const subscribed = members.length > 0 && mayConsume(description?.protocolType ?? null, members.map((m) => m.metadata), topic.topic);
      return {
        topic: topic.topic,
        subscribed,
        partitions: topic.partitions.map((partition) => {
          if (!subscribed && committed.get(topic.topic)?.has(partition) === true) {
            tombstones.push({ type: 'offset', group: request.groupId, topic: topic.topic, partition, value: null });
          }
          return partition;
        }),
      };
    });
    const outcome: WriteOutcome = tombstones.length === 0 ? { ok: true, nextOffset: -1n } : await this.write(manager.partitionFor(request.groupId), tombstones, groupCoordinatorLimits.commitTimeoutMs);
    if (outcome.ok && tombstones.length > 0) await this.materializer.catchUp(manager.partitionFor(request.groupId)).catch(() => undefined);
    const writeError = outcome.ok ? undefined : commitErrorFor(outcome.error);
    return {
      errorCode: 'NONE',
      errorMessage: '',
      topics: results.map(({ topic, subscribed, partitions }) => ({
        topic,
        partitions: partitions.map((partition): PartitionResult => {
          if (subscribed) return { partition, errorCode: 'GROUP_SUBSCRIBED_TO_TOPIC', errorMessage: `group ${request.groupId} consumes ${topic}` };
          return writeError === undefined ? { partition, errorCode: 'NONE', errorMessage: '' } : { partition, ...writeError };
        }),
      })),
    };
  }

  // ---- group administration ------------------------------------------------------------

  async listGroups(request: ListGroupsRequest): Promise<ListGroupsResponse> {
    const manager = this.manager;
    if (this.closed || manager === undefined) return { errorCode: 'NONE', errorMessage: '', groups: [] };
    if ([...this.roles.values()].some((role) => role.kind === 'loading')) {
      return { errorCode: 'COORDINATOR_LOAD_IN_PROGRESS', errorMessage: 'some groups of this broker are still loading', groups: [] };
    }
    const leading = new Set(this.coordinatedPartitions());
    const listed = new Map<string, { groupId: string; protocolType: string; groupState: WireGroupState }>();
    for (const group of manager.listGroups()) {
      if (group.state !== 'Dead') listed.set(group.groupId, { groupId: group.groupId, protocolType: group.protocolType ?? '', groupState: wireStates[group.state] });
    }
    // Groups known only by their committed offsets (commits from outside group management).
    for (const groupId of await this.store.groupIds()) {
      if (listed.has(groupId) || !leading.has(manager.partitionFor(groupId))) continue;
      if ((await this.store.committedOffsets(groupId)).size > 0) listed.set(groupId, { groupId, protocolType: '', groupState: 'GROUP_STATE_EMPTY' });
    }
    const groups = [...listed.values()]
      .filter((group) => request.statesFilter.length === 0 || request.statesFilter.includes(group.groupState))
      .filter((group) => request.typesFilter.length === 0 || request.typesFilter.includes(group.protocolType))
      .sort((a, b) => compareStrings(a.groupId, b.groupId));
    return { errorCode: 'NONE', errorMessage: '', groups };
  }

  async describeGroups(request: DescribeGroupsRequest): Promise<DescribeGroupsResponse> {
    const ids = request.groupIds.slice(0, groupCoordinatorLimits.requestGroupsMax);
    const groups: DescribedGroup[] = [];
    for (const groupId of ids) groups.push(await this.describeGroup(groupId));
    return { groups };
  }

  private async describeGroup(groupId: string): Promise<DescribedGroup> {
    const refused = this.gate(groupId);
    if (refused !== undefined) return describedGroup(groupId, refused, undefined, 'GROUP_STATE_DEAD');
    const description = (this.manager as GroupManager).describeGroup(groupId);
    if (description !== undefined && description.state !== 'Dead') return describedGroup(groupId, 'NONE', description, wireStates[description.state]);
    const hasOffsets = (await this.store.committedOffsets(groupId)).size > 0;
    return describedGroup(groupId, 'NONE', undefined, hasOffsets ? 'GROUP_STATE_EMPTY' : 'GROUP_STATE_DEAD');
  }

  /** Deletes Empty groups (NON_EMPTY_GROUP otherwise) with their offsets: tombstones for all of it. */
  async deleteGroups(request: DeleteGroupsRequest): Promise<DeleteGroupsResponse> {
    const ids = request.groupIds.slice(0, groupCoordinatorLimits.requestGroupsMax);
    const groups: DeleteGroupsResponse['groups'] = [];
    for (const groupId of ids) {
      const errorCode = await this.deleteGroup(groupId);
      groups.push({ groupId, errorCode, errorMessage: errorCode === 'NON_EMPTY_GROUP' ? `group ${groupId} has members` : '' });
    }
    return { groups };
  }

  private async deleteGroup(groupId: string): Promise<ErrorCodeName> {
    const refused = this.gate(groupId);
    if (refused !== undefined) return refused;
    const manager = this.manager as GroupManager;
    const { errorCode, effects } = manager.deleteGroup(groupId, this.now());
    if (errorCode === 'NONE') {
      const writes: Promise<WriteOutcome>[] = [];
      this.execute(effects, { deletions: writes });
      const outcomes = await Promise.all(writes);
      const failed = outcomes.find((outcome): outcome is Extract<WriteOutcome, { ok: false }> => !outcome.ok);
      return failed === undefined ? 'NONE' : commitErrorFor(failed.error).errorCode;
    }
    if (errorCode !== 'GROUP_ID_NOT_FOUND') return errorCode;
    // A group that only has offsets (commits from outside group management) can go too.
    if ((await this.store.committedOffsets(groupId)).size === 0) return 'GROUP_ID_NOT_FOUND';
    const outcome = await this.writeGroupTombstones(groupId);
    return outcome.ok ? 'NONE' : commitErrorFor(outcome.error).errorCode;
  }

  // ---- effects -------------------------------------------------------------------------------

  /**
   * Carries out the manager's effects in order. Writes are submitted to the replica manager
   * synchronously, so two writes of one group land in the order their effects came. The
   * group deletions' writes go to `deletions` when given (DeleteGroups waits for them).
   *
   * `extendsDeadlinesOnly`: the call (a heartbeat, an offset commit check) could only move
   * deadlines later, so an armed timer stays valid (firing early is harmless) and the
   * manager's deadline scan, which visits every member, is skipped: heartbeats stay O(1).
   */
  private execute(effects: readonly GroupEffect[], options: { readonly deletions?: Promise<WriteOutcome>[]; readonly extendsDeadlinesOnly?: boolean } = {}): void {
    const { deletions } = options;
    for (const effect of effects) {
      switch (effect.type) {
        case 'respondJoin': {
          const waiting = this.take(effect.requestId, 'join');
          waiting?.resolve(wireJoinResponse(effect.response));
          break;
        }
        case 'respondSync': {
          const waiting = this.take(effect.requestId, 'sync');
          waiting?.resolve(wireSyncResponse(effect.response));
          break;
        }
        case 'respondHeartbeat':
          this.take(effect.requestId, 'heartbeat')?.resolve({ errorCode: effect.response.errorCode, errorMessage: '' });
          break;
        case 'respondLeave':
          this.take(effect.requestId, 'leave')?.resolve({
            errorCode: effect.response.errorCode,
            errorMessage: '',
            members: effect.response.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId ?? '', errorCode: member.errorCode, errorMessage: '' })),
          });
          break;
        case 'offsetCommitDecision':
          if (effect.decision.accepted) void this.writeCommit(effect.requestId);
          else this.answerWithError(effect.requestId, effect.decision.errorCode);
          break;
        case 'persistGroup':
          this.persistGroup(effect.groupId, effect.persistId, effect.snapshot);
          break;
        case 'deleteGroupMetadata': {
          const deletion = this.writeGroupTombstones(effect.groupId);
          if (deletions === undefined) deletion.catch((error: unknown) => this.logger.warn({ groupId: effect.groupId, error: String(error) }, 'deleting a group failed'));
          else deletions.push(deletion);
          break;
        }
        case 'log':
          this.logger[effect.level]({ groupId: effect.groupId }, effect.message);
          break;
        default:
          unreachable(effect);
      }
    }
    if (options.extendsDeadlinesOnly !== true || this.tickTimer === undefined) this.armTick();
  }

  private persistGroup(groupId: string, persistId: number, snapshot: GroupSnapshot): void {
    const manager = this.manager as GroupManager;
    const record: OffsetsTopicRecord = { type: 'group', group: groupId, value: encodeGroupSnapshot(snapshot) };
    void this.write(manager.partitionFor(groupId), [record], manager.config.groupMetadataWriteTimeoutMs).then((outcome) => {
      if (this.closed) return;
      const result: PersistResult = outcome.ok ? 'NONE' : notCoordinatorWriteErrors.has(outcome.error.errorCode) ? 'NOT_COORDINATOR' : 'COORDINATOR_NOT_AVAILABLE';
      if (!outcome.ok) this.logger.warn({ groupId, code: outcome.error.errorCode, error: outcome.error.errorMessage }, 'writing group metadata failed');
      this.execute(manager.persistComplete(groupId, persistId, result, this.now()));
    });
  }

  private async writeCommit(requestId: RequestId): Promise<void> {
    const waiting = this.pending.get(requestId);
    assert(waiting?.kind === 'commit', `request ${requestId} is a waiting commit`);
    const { groupId, accepted, refused } = waiting.commit;
    const manager = this.manager as GroupManager;
    const partition = manager.partitionFor(groupId);
    const commitTimestampMs = Math.round(this.clock.wallMs());
    let failure: WireError | undefined;
    if (accepted.length > 0) {
      const records: OffsetsTopicRecord[] = accepted.map((entry) => ({
        type: 'offset',
        group: groupId,
        topic: entry.topic,
        partition: entry.partition,
        value: { offset: entry.offset, leaderEpoch: entry.leaderEpoch, metadata: entry.metadata, commitTimestampMs },
      }));
      const outcome = await this.write(partition, records, groupCoordinatorLimits.commitTimeoutMs);
      if (outcome.ok) {
        // Answer once the store holds it, so an OffsetFetch after this answer sees the commit.
        await this.materializer.catchUp(partition).catch((error: unknown) => this.logger.warn({ partition, error: String(error) }, 'applying a commit failed'));
      } else {
        failure = commitErrorFor(outcome.error);
      }
    }
    const answer = this.take(requestId, 'commit');
    if (answer === undefined) return;
    const byTopic = new Map<string, PartitionResult[]>();
    for (const entry of accepted) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push(failure === undefined ? { partition: entry.partition, errorCode: 'NONE', errorMessage: '' } : { partition: entry.partition, ...failure });
      byTopic.set(entry.topic, list);
    }
    for (const [topic, results] of refused) byTopic.set(topic, [...(byTopic.get(topic) ?? []), ...results]);
    answer.resolve({ errorCode: 'NONE', errorMessage: '', topics: [...byTopic].map(([topic, partitions]) => ({ topic, partitions })) });
  }

  /** Tombstones for a group's metadata and every offset it committed. */
  private async writeGroupTombstones(groupId: string): Promise<WriteOutcome> {
    const manager = this.manager as GroupManager;
    const partition = manager.partitionFor(groupId);
    const committed = await this.store.committedOffsets(groupId);
    const records: OffsetsTopicRecord[] = [];
    for (const [topic, partitions] of committed) {
      for (const offsetPartition of partitions.keys()) records.push({ type: 'offset', group: groupId, topic, partition: offsetPartition, value: null });
    }
    records.push({ type: 'group', group: groupId, value: null });
    let outcome: WriteOutcome = { ok: true, nextOffset: -1n };
    for (let start = 0; start < records.length && outcome.ok; start += TOMBSTONES_PER_WRITE) {
      outcome = await this.write(partition, records.slice(start, start + TOMBSTONES_PER_WRITE), groupCoordinatorLimits.commitTimeoutMs);
    }
    if (outcome.ok) await this.materializer.catchUp(partition).catch(() => undefined);
    return outcome;
  }

  /** One acks=all append to an offsets partition; submitted to the replica manager before the first await. */
  private async write(partition: number, records: readonly OffsetsTopicRecord[], timeoutMs: number): Promise<WriteOutcome> {
    const encoded = encodeOffsetsWrite(records, Math.round(this.clock.wallMs()));
    if (encoded === undefined) {
      return { ok: false, error: { errorCode: 'RECORD_LIST_TOO_LARGE', errorMessage: `the write exceeds ${groupCoordinatorLimits.writeBytesMax} bytes` } };
    }
    const outcome = await this.options.replicas.appendRecords({ topic: OFFSETS_TOPIC, partition, records: encoded.bytes, acks: -1, timeoutMs });
    if (outcome.error.errorCode !== 'NONE') return { ok: false, error: outcome.error };
    return { ok: true, nextOffset: outcome.baseOffset + BigInt(encoded.recordCount) };
  }

  // ---- pending requests -----------------------------------------------------------------------

  private register(request: PendingRequest): RequestId | undefined {
    if (this.pending.size >= groupCoordinatorLimits.pendingRequestsMax) return undefined;
    const requestId = ++this.lastRequestId;
    this.pending.set(requestId, request);
    return requestId;
  }

  private take<K extends PendingRequest['kind']>(requestId: RequestId, kind: K): Extract<PendingRequest, { kind: K }> | undefined {
    const waiting = this.pending.get(requestId);
    if (waiting === undefined) {
      this.logger.debug({ requestId }, 'an answer for a request that was already answered');
      return undefined;
    }
    assert(waiting.kind === kind, `request ${requestId} is a ${waiting.kind}, answered as a ${kind}`);
    this.pending.delete(requestId);
    return waiting as Extract<PendingRequest, { kind: K }>;
  }

  /** Answers a waiting request with an error, whatever its kind. */
  private answerWithError(requestId: RequestId, errorCode: ErrorCodeName): void {
    const waiting = this.pending.get(requestId);
    if (waiting === undefined) return;
    this.pending.delete(requestId);
    switch (waiting.kind) {
      case 'join':
        waiting.resolve(wireJoinError(errorCode, ''));
        return;
      case 'sync':
        waiting.resolve(wireSyncError(errorCode));
        return;
      case 'heartbeat':
        waiting.resolve({ errorCode, errorMessage: '' });
        return;
      case 'leave':
        waiting.resolve({ errorCode, errorMessage: '', members: [] });
        return;
      case 'commit':
        waiting.resolve({ errorCode, errorMessage: '', topics: [] });
        return;
      default:
        unreachable(waiting);
    }
  }

  /** Why this node cannot serve a group now, or undefined when it can. */
  private gate(groupId: string): CoordinatorError | undefined {
    if (!isGroupId(groupId)) return 'INVALID_GROUP_ID';
    const manager = this.manager;
    if (this.closed || manager === undefined) return 'NOT_COORDINATOR';
    const role = this.roles.get(manager.partitionFor(groupId));
    if (role?.kind === 'loading') return 'COORDINATOR_LOAD_IN_PROGRESS';
    if (role?.kind !== 'leader') return 'NOT_COORDINATOR';
    return undefined;
  }

  // ---- time ----------------------------------------------------------------------------------

  /**
   * The group machine's clock: monotonic (it must never go back), anchored at the wall clock of
   * this process's start, so rebalance history shows wall-clock times.
   */
  private now(): number {
    return this.wallOriginMs + (this.clock.monotonicMs() - this.monotonicOriginMs);
  }

  /** Keeps one timer armed for the manager's next deadline. */
  private armTick(): void {
    if (this.closed || this.manager === undefined) return;
    const next = this.manager.nextDeadlineMs();
    if (next === undefined) return;
    if (this.tickTimer !== undefined && this.tickAtMs !== undefined && this.tickAtMs <= next) return;
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer);
    this.tickAtMs = next;
    this.tickTimer = setTimeout(() => {
      this.tickTimer = undefined;
      this.tickAtMs = undefined;
      if (this.closed || this.manager === undefined) return;
      this.execute(this.manager.tick(this.now()));
    }, Math.max(0, Math.ceil(next - this.now())));
    this.tickTimer.unref();
  }

  // ---- replica roles -------------------------------------------------------------------------

  private onRoleChange(change: ReplicaRoleChange): void {
    if (this.closed || change.topic !== OFFSETS_TOPIC) return;
    const partition = change.partition;
    const manager = this.ensureManager(this.options.metadata.image);
    if (manager !== undefined && partition >= manager.config.offsetsTopicPartitionCount) {
      this.logger.error({ partition, partitionCount: manager.config.offsetsTopicPartitionCount }, `${OFFSETS_TOPIC} has more partitions than when groups were placed; ignoring the extra one`);
      return;
    }
    const current = this.roles.get(partition);
    switch (change.role) {
      case 'leader': {
        if ((current?.kind === 'leader' || current?.kind === 'loading') && current.leaderEpoch === change.leaderEpoch) return;
        this.resign(partition);
        this.startLoad(partition, change.leaderEpoch);
        return;
      }
      case 'follower':
        this.resign(partition);
        this.roles.set(partition, { kind: 'follower' });
        this.materializer.catchUp(partition).catch((error: unknown) => this.logger.warn({ partition, error: String(error) }, 'materializing a follower failed'));
        return;
      case 'none':
        this.resign(partition);
        this.roles.delete(partition);
        this.materializer.drop(partition).catch((error: unknown) => this.logger.warn({ partition, error: String(error) }, 'dropping group state failed'));
        return;
      default:
        unreachable(change.role);
    }
  }

  /** Leaves a partition this node led: its groups go, their waiting members hear NOT_COORDINATOR. */
  private resign(partition: number): void {
    const role = this.roles.get(partition);
    if (role?.kind === 'loading') this.roles.set(partition, { kind: 'follower' });
    if (role?.kind !== 'leader' || this.manager === undefined) return;
    this.roles.set(partition, { kind: 'follower' });
    this.logger.info({ partition }, 'no longer coordinating the groups of this offsets partition');
    this.execute(this.manager.resignCoordinator(partition, this.now()));
  }

  private startLoad(partition: number, leaderEpoch: number): void {
    const loadId = ++this.lastLoadId;
    this.roles.set(partition, { kind: 'loading', loadId, leaderEpoch });
    this.load(partition, loadId, leaderEpoch).catch((error: unknown) => {
      this.logger.error({ partition, error: error instanceof Error ? error.message : String(error) }, 'loading an offsets partition failed; retrying');
      setTimeout(() => {
        const role = this.roles.get(partition);
        if (!this.closed && role?.kind === 'loading' && role.loadId === loadId) this.startLoad(partition, leaderEpoch);
      }, RETRY_LOAD_AFTER_MS).unref();
    });
  }

  /**
   * Takes over a partition this node now leads. Its log may hold records the previous leader
   * acknowledged that this node's high watermark does not cover yet; they commit as soon as the
   * followers fetch from the new leader. So: wait for the HW to reach the log end as it was at
   * election, apply everything, then load the groups. Until then requests for its groups are
   * answered COORDINATOR_LOAD_IN_PROGRESS.
   */
  private async load(partition: number, loadId: number, leaderEpoch: number): Promise<void> {
    const startedMs = this.clock.monotonicMs();
    const isCurrent = (): boolean => {
      const role = this.roles.get(partition);
      return !this.closed && role?.kind === 'loading' && role.loadId === loadId;
    };
    const log = this.options.logs(OFFSETS_TOPIC, partition);
    if (log === undefined) throw new Error(`no local log of ${OFFSETS_TOPIC}-${partition}`);
    const target = log.logEndOffset;
    await this.materializer.resetIfAhead(partition, target);
    while (isCurrent() && (this.options.replicas.highWatermark(OFFSETS_TOPIC, partition) ?? -1n) < target) {
      await new Promise((resolve) => setTimeout(resolve, groupCoordinatorLimits.loadPollMs).unref());
    }
    if (!isCurrent()) return;
    const applied = await this.materializer.catchUp(partition);
    if (applied < target) throw new Error(`applied up to ${applied} of ${target}`);
    const stored = await this.store.groupsOfPartition(partition);
    if (!isCurrent()) return;
    const manager = this.ensureManager(this.options.metadata.image);
    if (manager === undefined) throw new Error(`${OFFSETS_TOPIC} is not in the metadata`);
    const snapshots: GroupSnapshot[] = [];
    for (const [groupId, bytes] of stored) {
      try {
        const snapshot = decodeGroupSnapshot(bytes);
        if (snapshot.groupId !== groupId || manager.partitionFor(groupId) !== partition) {
          this.logger.warn({ partition, groupId }, 'stored group metadata does not belong to this partition; skipping it');
          continue;
        }
        snapshots.push(snapshot);
      } catch (error) {
        this.logger.error({ partition, groupId, error: error instanceof Error ? error.message : String(error) }, 'unreadable group metadata; the group starts empty');
      }
    }
    this.roles.set(partition, { kind: 'leader', leaderEpoch });
    this.execute(manager.becomeCoordinator(partition, snapshots, this.now()));
    this.logger.info({ partition, leaderEpoch, groups: snapshots.length, applied: String(applied), loadMs: Math.round(this.clock.monotonicMs() - startedMs) }, 'coordinating the groups of this offsets partition');
  }

  // ---- metadata ------------------------------------------------------------------------------

  /** The manager, built once __consumer_offsets exists (its partition count places groups). */
  private ensureManager(image: MetadataImage): GroupManager | undefined {
    if (this.manager !== undefined) return this.manager;
    const partitions = image.topic(OFFSETS_TOPIC)?.partitions.size ?? 0;
    if (partitions === 0) return undefined;
    this.manager = new GroupManager({ config: { ...this.options.group, offsetsTopicPartitionCount: partitions }, prng: this.options.prng });
    return this.manager;
  }

  private onMetadata(image: MetadataImage): void {
    if (this.closed) return;
    this.ensureManager(image);
    const previous = this.topics;
    const current = topicShapes(image);
    this.topics = current;
    const changes: Array<{ topic: string; reason: string }> = [];
    const deleted: string[] = [];
    for (const [name, before] of previous) {
      if (name === OFFSETS_TOPIC) continue;
      const after = current.get(name);
      if (after === undefined || after.topicId !== before.topicId) deleted.push(name);
      else if (after.partitions !== before.partitions) changes.push({ topic: name, reason: `the partition count of ${name} changed from ${before.partitions} to ${after.partitions}` });
    }
    const offline = offlinePartitions(image);
    changes.push(...availabilityChanges(this.offline, offline, (topic) => topic !== OFFSETS_TOPIC && current.has(topic) && !deleted.includes(topic)));
    this.offline = offline;
    if (changes.length > 0) this.rebalanceSubscribers(changes);
    if (deleted.length > 0) {
      this.removeOffsetsOf(deleted).catch((error: unknown) => this.logger.warn({ topics: deleted, error: String(error) }, 'removing offsets of deleted topics failed'));
    }
  }

  /**
   * A topic's partition count changed, or some of its partitions went offline or came back:
   * every group with a member subscribed to it (or whose subscription cannot be read)
   * rebalances, with the reason in its history. New partitions get owners this way (the leader
   * also notices from its metadata; this covers a leader whose metadata is old).
   */
  private rebalanceSubscribers(changes: ReadonlyArray<{ topic: string; reason: string }>): void {
    const manager = this.manager;
    if (manager === undefined) return;
    const effects: GroupEffect[] = [];
    const now = this.now();
    for (const listing of manager.listGroups()) {
      if (listing.state === 'Empty' || listing.state === 'Dead') continue;
      const description = manager.describeGroup(listing.groupId);
      if (description === undefined) continue;
      const metadata = description.members.map((member) => member.metadata);
      const concerning = changes.filter((each) => mayConsume(description.protocolType, metadata, each.topic));
      if (concerning.length === 0) continue;
      effects.push(...manager.triggerRebalance(listing.groupId, concerning.map((each) => each.reason).join('; '), now));
    }
    this.execute(effects);
  }

  /** Offsets of deleted topics are deleted too (tombstones), in the partitions this node leads. */
  private async removeOffsetsOf(topics: readonly string[]): Promise<void> {
    const manager = this.manager;
    if (manager === undefined) return;
    const byPartition = new Map<number, OffsetsTopicRecord[]>();
    const leading = new Set(this.coordinatedPartitions());
    for (const groupId of await this.store.groupIds()) {
      const partition = manager.partitionFor(groupId);
      if (!leading.has(partition)) continue;
      const committed = await this.store.committedOffsets(groupId);
      for (const topic of topics) {
        for (const offsetPartition of committed.get(topic)?.keys() ?? []) {
          const list = byPartition.get(partition) ?? [];
          list.push({ type: 'offset', group: groupId, topic, partition: offsetPartition, value: null });
          byPartition.set(partition, list);
        }
      }
    }
    for (const [partition, records] of byPartition) {
      await this.writeTombstones(partition, records);
      this.logger.info({ partition, topics, offsets: records.length }, 'removed the committed offsets of deleted topics');
    }
  }

  /** Writes offset tombstones in bounded appends; throws when one fails (the next pass retries). */
  private async writeTombstones(partition: number, records: readonly OffsetsTopicRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += TOMBSTONES_PER_WRITE) {
      const outcome = await this.write(partition, records.slice(start, start + TOMBSTONES_PER_WRITE), groupCoordinatorLimits.commitTimeoutMs);
      if (!outcome.ok) throw new Error(`${outcome.error.errorCode}: ${outcome.error.errorMessage}`);
    }
    await this.materializer.catchUp(partition);
  }

  // ---- offset expiry -------------------------------------------------------------------------

  /**
   * Removes expired offsets (offsets.retention.minutes, see `decideExpiry`) of the groups this
   * node coordinates, and the Empty groups left without offsets, by writing tombstones to
   * __consumer_offsets: every replica applies them, so every LevelDB copy agrees. Runs every
   * offsets.retention.check.interval.ms; one pass at a time (a call during a pass joins it).
   */
  expireOffsets(): Promise<ExpiryOutcome> {
    this.expiring ??= this.expirePass().finally(() => {
      this.expiring = undefined;
    });
    return this.expiring;
  }

  private async expirePass(): Promise<ExpiryOutcome> {
    const outcome = { offsets: 0, groups: 0 };
    const manager = this.manager;
    if (this.closed || manager === undefined) return outcome;
    const retentionMs = this.options.offsetsRetentionMs ?? groupCoordinatorLimits.offsetsRetentionMsDefault;
    const leading = new Set(this.coordinatedPartitions());
    for (const groupId of await this.store.groupIds()) {
      const partition = manager.partitionFor(groupId);
      if (this.closed || !leading.has(partition) || this.gate(groupId) !== undefined) continue;
      const description = manager.describeGroup(groupId);
      const offsets = await this.store.committedOffsets(groupId);
      const decision = decideExpiry(
        {
          groupId,
          group:
            description === undefined
              ? undefined
              : { state: description.state, protocolType: description.protocolType, emptySinceMs: manager.emptySinceMs(groupId), memberMetadata: description.members.map((m) => m.metadata) },
          topicExists: (topic) => this.topics.has(topic),
          offsets,
        },
        this.now(),
        retentionMs,
      );
      if (decision.removeGroup) {
        // DeleteGroups' path: only if still Empty now; tombstones for the metadata and every offset.
        if ((await this.deleteGroup(groupId)) !== 'NONE') continue;
        outcome.groups++;
        outcome.offsets += decision.expired.length;
        this.logger.info({ groupId, offsets: decision.expired.length }, 'removed a group whose offsets expired');
      } else if (decision.expired.length > 0) {
        await this.writeTombstones(
          partition,
          decision.expired.map(({ topic, partition: offsetPartition }) => ({ type: 'offset', group: groupId, topic, partition: offsetPartition, value: null })),
        );
        outcome.offsets += decision.expired.length;
        this.logger.info({ groupId, offsets: decision.expired.length }, 'removed expired offsets');
      }
    }
    return outcome;
  }

  // ---- housekeeping --------------------------------------------------------------------------

  private housekeeping(): void {
    if (this.closed) return;
    for (const partition of this.roles.keys()) {
      const highWatermark = this.options.replicas.highWatermark(OFFSETS_TOPIC, partition);
      const applied = this.materializer.appliedOffset(partition);
      if (highWatermark !== undefined && (applied === undefined || highWatermark > applied)) {
        this.materializer.catchUp(partition).catch((error: unknown) => this.logger.warn({ partition, error: String(error) }, 'materializing offsets failed'));
      }
    }
    if (this.options.isActiveController()) this.maybeCreateOffsetsTopic('eager');
  }

  private maybeCreateOffsetsTopic(mode: 'eager' | 'demand'): void {
    const nowMs = this.clock.monotonicMs();
    if (this.creation !== undefined || nowMs < this.creationNotBeforeMs) return;
    const request = offsetsTopicCreation(this.options.offsetsTopic, this.options.metadata.image, mode);
    if (request === undefined) return;
    this.creationNotBeforeMs = nowMs + TOPIC_CREATION_INTERVAL_MS;
    this.logger.info({ partitions: request.partitions, replicationFactor: request.replicationFactor, mode }, `creating ${OFFSETS_TOPIC}`);
    this.creation = this.options
      .createTopic(request)
      .catch((error: unknown) => this.logger.info({ error: error instanceof Error ? error.message : String(error) }, `creating ${OFFSETS_TOPIC} failed; will retry`))
      .finally(() => {
        this.creation = undefined;
      });
  }
}

// ---- helpers ---------------------------------------------------------------------------------

function isGroupId(groupId: string): boolean {
  return groupId !== '' && groupId.length <= groupLimits.nameLengthMax;
}

function topicShapes(image: MetadataImage): Map<string, { readonly topicId: string; readonly partitions: number }> {
  const shapes = new Map<string, { readonly topicId: string; readonly partitions: number }>();
  for (const topic of image.topicsById.values()) shapes.set(topic.name, { topicId: topic.topicId, partitions: topic.partitions.size });
  return shapes;
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function coordinatorError(groupId: string, errorCode: ErrorCodeName, errorMessage: string): Coordinator {
  return { groupId, errorCode, errorMessage, brokerId: -1, host: '', port: 0 };
}

function toBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function wireJoinError(errorCode: ErrorCodeName, memberId: string): JoinGroupResponse {
  return { errorCode, errorMessage: '', generationId: -1, protocolType: '', protocolName: '', leaderMemberId: '', skipAssignment: false, memberId, members: [] };
}

function wireSyncError(errorCode: ErrorCodeName): SyncGroupResponse {
  return { errorCode, errorMessage: '', protocolType: '', protocolName: '', assignment: Buffer.alloc(0) };
}

function wireJoinResponse(response: CoreJoinGroupResponse): JoinGroupResponse {
  return {
    errorCode: response.errorCode,
    errorMessage: '',
    generationId: response.generationId,
    protocolType: response.protocolType ?? '',
    protocolName: response.protocolName ?? '',
    leaderMemberId: response.leaderId,
    skipAssignment: response.skipAssignment,
    memberId: response.memberId,
    members: response.members.map((member) => ({ memberId: member.memberId, groupInstanceId: member.groupInstanceId ?? '', metadata: toBuffer(member.metadata) })),
  };
}

function wireSyncResponse(response: CoreSyncGroupResponse): SyncGroupResponse {
  return {
    errorCode: response.errorCode,
    errorMessage: '',
    protocolType: response.protocolType ?? '',
    protocolName: response.protocolName ?? '',
    assignment: toBuffer(response.assignment),
  };
}

function describedGroup(groupId: string, errorCode: ErrorCodeName, description: GroupDescription | undefined, groupState: WireGroupState): DescribedGroup {
  return {
    errorCode,
    errorMessage: '',
    groupId,
    groupState,
    protocolType: description?.protocolType ?? '',
    protocolName: description?.protocolName ?? '',
    generationId: description?.generationId ?? (errorCode === 'NONE' ? 0 : -1),
    leaderMemberId: description?.leaderId ?? '',
    members: (description?.members ?? []).map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId ?? '',
      clientId: member.clientId,
      clientHost: member.clientHost,
      memberMetadata: toBuffer(member.metadata),
      memberAssignment: toBuffer(member.assignment),
      sessionTimeoutMs: member.sessionTimeoutMs,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    })),
    rebalanceHistory: (description?.rebalanceHistory ?? []).map((record) => ({
      startedAtMs: BigInt(Math.round(record.startedAtMs)),
      fromGenerationId: record.fromGenerationId,
      reasons: [...record.reasons],
      omittedReasonCount: record.omittedReasonCount,
    })),
  };
}

/** Kafka's mapping of a failed offsets write to what the committer is told (all retriable but the size). */
function commitErrorFor(error: WireError): WireError {
  switch (error.errorCode) {
    case 'UNKNOWN_TOPIC_OR_PARTITION':
    case 'NOT_ENOUGH_REPLICAS':
    case 'NOT_ENOUGH_REPLICAS_AFTER_APPEND':
    case 'TOO_MANY_INFLIGHT_REQUESTS':
      return { errorCode: 'COORDINATOR_NOT_AVAILABLE', errorMessage: `writing the offsets failed: ${error.errorMessage}` };
    case 'NOT_LEADER_OR_FOLLOWER':
    case 'FENCED_LEADER_EPOCH':
    case 'STORAGE_ERROR':
    case 'NODE_SHUTTING_DOWN':
      return { errorCode: 'NOT_COORDINATOR', errorMessage: `writing the offsets failed: ${error.errorMessage}` };
    case 'MESSAGE_TOO_LARGE':
    case 'RECORD_LIST_TOO_LARGE':
      return { errorCode: 'INVALID_COMMIT_OFFSET_SIZE', errorMessage: error.errorMessage };
    case 'REQUEST_TIMED_OUT':
      return { errorCode: 'REQUEST_TIMED_OUT', errorMessage: `the in-sync replicas did not confirm the commit in time: ${error.errorMessage}` };
    default:
      return { errorCode: 'UNKNOWN_SERVER_ERROR', errorMessage: `${error.errorCode}: ${error.errorMessage}` };
  }
}

/**
 * The member a generation-fenced request (sync, heartbeat, offset commit) speaks for; an empty
 * group instance id on the wire means a dynamic member.
 */
function generationMember(
  request: { readonly groupId: string; readonly generationId: number; readonly memberId: string; readonly groupInstanceId: string },
  requestId: number,
): { requestId: number; groupId: string; generationId: number; memberId: string; groupInstanceId?: string } {
  return {
    requestId,
    groupId: request.groupId,
    generationId: request.generationId,
    memberId: request.memberId,
    ...(request.groupInstanceId === '' ? {} : { groupInstanceId: request.groupInstanceId }),
  };
}
