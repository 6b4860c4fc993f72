import type { Logger, Prng } from '@eddy/base';
import type { ErrorCodeName, JoinGroupResponse, SyncGroupAssignment } from '@eddy/protocol';
import type { Cluster } from '../cluster/cluster.js';
import type { GroupCoordinators } from '../cluster/group-coordinators.js';
import { asEddyError, ClientClosedError, fromCode } from '../errors.js';
import { type Assignor, CONSUMER_PROTOCOL_TYPE, decodeAssignment, encodeAssignment, encodeSubscription, GroupProtocolError, toAssignorMember } from '../group/index.js';
import { backoffMs } from '../retry.js';
import type { TopicPartition } from '../types.js';
import { sleep } from '../util/async.js';

export interface GroupMemberOptions {
  readonly groupId: string;
  /** Static membership (`group.instance.id`); '' for a dynamic member. */
  readonly groupInstanceId: string;
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
  /** In order of preference; the leader runs the one the coordinator picks. */
  readonly assignors: readonly Assignor[];
}

/** Join/sync answers after which the member simply joins again. */
const rejoinCodes: ReadonlySet<string> = new Set(['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION']);
const coordinatorCodes: ReadonlySet<string> = new Set(['NOT_COORDINATOR', 'COORDINATOR_NOT_AVAILABLE', 'COORDINATOR_LOAD_IN_PROGRESS']);

/**
 * One consumer's membership in its group, Kafka's classic protocol: FindCoordinator, JoinGroup
 * (MEMBER_ID_REQUIRED first), SyncGroup (the leader computes the assignment with the chosen
 * assignor), Heartbeat in the background (REBALANCE_IN_PROGRESS, ILLEGAL_GENERATION or
 * UNKNOWN_MEMBER_ID mean: rejoin) and LeaveGroup. It does not own partitions: the consumer
 * revokes and assigns them around `joinAndSync`.
 */
export class GroupMember {
  memberId = '';
  generationId = -1;
  leaderId = '';
  protocolName = '';
  /** Why the member must (re)join; undefined while it is a member of the current generation. */
  private rejoinReason: string | undefined = 'first join';
  /** The generation was lost (fenced or removed): its partitions cannot be committed. */
  private lost = false;
  /** The last assignment and its generation, sent back as "owned partitions" (sticky keeps them). */
  private previousAssignment: readonly TopicPartition[] = [];
  private previousGenerationId = -1;
  /** Partition counts of subscribed topics when the assignment was made. */
  private readonly assignedCounts = new Map<string, number>();
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private heartbeating = false;
  /** JoinGroup/SyncGroup in progress: they keep the session alive, heartbeats pause. */
  private joining = false;
  /** A rejoin asked for while a join was in flight (the subscription changed): done after it. */
  private rejoinAfterJoin: string | undefined;
  private readonly abort = new AbortController();
  private readonly logger: Logger;

  constructor(
    private readonly cluster: Cluster,
    private readonly coordinators: GroupCoordinators,
    private readonly options: GroupMemberOptions,
    private readonly prng: Prng,
    /** Called when a rejoin becomes necessary (the consumer stops fetching and wakes its pollers). */
    private readonly onRejoinNeeded: (reason: string) => void,
  ) {
    this.logger = cluster.logger.child({ component: 'group-member', groupId: options.groupId });
  }

  get needsRejoin(): boolean {
    return this.rejoinReason !== undefined;
  }

  /** True when the member's partitions may belong to another member already (commits would fail). */
  get isLost(): boolean {
    return this.lost;
  }

  get isLeader(): boolean {
    return this.memberId !== '' && this.memberId === this.leaderId;
  }

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  /** The identity commits carry: this member in its generation. */
  get identity(): { generationId: number; memberId: string; groupInstanceId: string } {
    return { generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId };
  }

  /** Asks for a rejoin (`lost` when the generation is gone: the partitions cannot be committed). */
  requestRejoin(reason: string, lost = false): void {
    // A join in flight ends in a generation of its own; a late answer about an older one (a
    // refused commit) must not mark that new generation lost, or the member would stop
    // heartbeating without rejoining and be left out of the group.
    if (this.joining) {
      if (!lost) this.rejoinAfterJoin ??= reason;
      return;
    }
    if (lost) {
      this.lost = true;
      this.generationId = -1;
    }
    // A lost member has nothing left to keep alive; otherwise heartbeats go on until the
    // JoinGroup is sent, so the session outlives a slow onPartitionsRevoked.
    if (lost) this.stopHeartbeats();
    if (this.rejoinReason !== undefined) return;
    this.rejoinReason = reason;
    this.logger.info({ memberId: this.memberId, reason }, 'rejoining the group');
    this.onRejoinNeeded(reason);
  }

  /**
   * After a metadata change: the leader rejoins when a subscribed topic's partition count moved
   * since it computed the assignment (as in Kafka, only the leader: it refreshed the metadata
   * before assigning, while the others' metadata may simply be older than the assignment, and
   * each of them rejoining would be one more rebalance for nothing; the coordinator also starts
   * a rebalance when a partition count changes).
   */
  checkPartitionCounts(subscription: readonly string[]): void {
    if (this.needsRejoin || !this.isLeader) return;
    for (const topic of subscription) {
      const count = this.cluster.metadata.topics.get(topic)?.partitions.length ?? 0;
      const assigned = this.assignedCounts.get(topic) ?? 0;
      if (count !== assigned) {
        this.requestRejoin(`partition count of ${topic} changed from ${assigned} to ${count}`);
        return;
      }
    }
  }

  /**
   * Joins (or rejoins) and syncs until the member has an assignment for a new generation.
   * Retriable failures are retried with backoff for as long as the member is open; fatal ones
   * (invalid session timeout, inconsistent protocols, ...) are thrown.
   */
  async joinAndSync(subscription: readonly string[]): Promise<TopicPartition[]> {
    this.joining = true;
    this.stopHeartbeats();
    let assignment: TopicPartition[];
    try {
      assignment = await this.joinLoop(subscription);
    } finally {
      this.joining = false;
    }
    this.startHeartbeats();
    return assignment;
  }

  private async joinLoop(subscription: readonly string[]): Promise<TopicPartition[]> {
    const reason = this.rejoinReason ?? 'rejoin';
    for (let attempt = 1; ; attempt++) {
      if (this.abort.signal.aborted) throw new ClientClosedError('the consumer');
      try {
        const assignment = await this.tryJoinAndSync(subscription, reason);
        if (assignment !== undefined) {
          this.rejoinReason = this.rejoinAfterJoin;
          this.rejoinAfterJoin = undefined;
          this.lost = false;
          this.previousAssignment = assignment;
          this.previousGenerationId = this.generationId;
          return assignment;
        }
      } catch (error: unknown) {
        const eddyError = asEddyError(error);
        if (this.abort.signal.aborted) throw new ClientClosedError('the consumer');
        if (!eddyError.retriable) throw eddyError;
        this.logger.debug({ code: eddyError.code, attempt }, `join failed, retrying: ${eddyError.message}`);
        const retry = this.cluster.options.retry;
        await sleep(backoffMs(Math.min(attempt, 10), retry, this.prng), this.cluster.signalWith(this.abort.signal));
      }
    }
  }

  /** Stops heartbeats and, for a dynamic member, leaves the group (best effort, bounded by the request timeout). */
  async leave(reason: string): Promise<void> {
    this.stopHeartbeats();
    const memberId = this.memberId;
    this.memberId = '';
    this.generationId = -1;
    this.lost = false;
    this.rejoinReason = reason;
    if (memberId === '' || this.options.groupInstanceId !== '' || this.cluster.isClosed) return;
    try {
      await this.coordinators.call(this.options.groupId, (group, options) =>
        group.leaveGroup({ groupId: this.options.groupId, members: [{ memberId, groupInstanceId: '', reason }] }, options),
      );
    } catch (error: unknown) {
      this.logger.debug({ code: asEddyError(error).code }, 'LeaveGroup failed');
    }
  }

  /** Cancels whatever the member waits for (a JoinGroup long poll, a backoff). */
  close(): void {
    this.stopHeartbeats();
    this.abort.abort();
  }

  startHeartbeats(): void {
    if (this.heartbeatTimer !== undefined || this.abort.signal.aborted || this.joining || this.lost || this.generationId < 0) return;
    this.heartbeatTimer = setTimeout(() => {
      this.heartbeatTimer = undefined;
      void this.beat();
    }, this.options.heartbeatIntervalMs);
  }

  stopHeartbeats(): void {
    if (this.heartbeatTimer !== undefined) clearTimeout(this.heartbeatTimer);
    this.heartbeatTimer = undefined;
  }

  private async beat(): Promise<void> {
    if (this.heartbeating || this.joining || this.lost || this.abort.signal.aborted) return;
    this.heartbeating = true;
    const generationId = this.generationId;
    try {
      const response = await this.coordinators.call(
        this.options.groupId,
        (group, options) =>
          group.heartbeat({ groupId: this.options.groupId, generationId, memberId: this.memberId, groupInstanceId: this.options.groupInstanceId }, options),
        Math.min(this.cluster.options.requestTimeoutMs, this.options.sessionTimeoutMs),
        this.abort.signal,
      );
      if (generationId !== this.generationId) return;
      switch (response.errorCode) {
        case 'NONE':
          break;
        case 'REBALANCE_IN_PROGRESS':
          // Expected while a rejoin is pending; the first one asks for it.
          this.requestRejoin('the group is rebalancing');
          break;
        case 'ILLEGAL_GENERATION':
          this.requestRejoin(`generation ${generationId} is no longer current`, true);
          break;
        case 'UNKNOWN_MEMBER_ID':
        case 'FENCED_INSTANCE_ID':
          this.requestRejoin(`the coordinator no longer knows member ${this.memberId} (${response.errorCode})`, true);
          this.memberId = '';
          break;
        default:
          if (coordinatorCodes.has(response.errorCode)) this.coordinators.forget(this.options.groupId);
          this.logger.debug({ code: response.errorCode }, 'heartbeat failed');
      }
    } catch (error: unknown) {
      this.logger.debug({ code: asEddyError(error).code }, 'heartbeat failed');
    } finally {
      this.heartbeating = false;
      this.startHeartbeats();
    }
  }

  /** One JoinGroup (+ SyncGroup); undefined when the member must simply join again. */
  private async tryJoinAndSync(subscription: readonly string[], reason: string): Promise<TopicPartition[] | undefined> {
    const { groupId, groupInstanceId } = this.options;
    const metadata = Buffer.from(
      encodeSubscription({ topics: subscription, ownedPartitions: this.previousAssignment, generationId: this.previousGenerationId }),
    );
    const longPollMs = this.options.rebalanceTimeoutMs + this.cluster.options.requestTimeoutMs;
    const joined: JoinGroupResponse = await this.coordinators.call(
      groupId,
      (group, options) =>
        group.joinGroup(
          {
            groupId,
            sessionTimeoutMs: this.options.sessionTimeoutMs,
            rebalanceTimeoutMs: this.options.rebalanceTimeoutMs,
            memberId: this.memberId,
            groupInstanceId,
            protocolType: CONSUMER_PROTOCOL_TYPE,
            protocols: this.options.assignors.map((assignor) => ({ name: assignor.name, metadata })),
            reason,
          },
          options,
        ),
      longPollMs,
      this.abort.signal,
    );
    if (joined.errorCode === 'MEMBER_ID_REQUIRED') {
      this.memberId = joined.memberId;
      return undefined;
    }
    if (joined.errorCode !== 'NONE') return this.startOverOrThrow('JoinGroup', groupId, joined.errorCode, joined.errorMessage);
    this.memberId = joined.memberId;
    this.generationId = joined.generationId;
    this.leaderId = joined.leaderMemberId;
    this.protocolName = joined.protocolName;
    const assignments = this.isLeader && !joined.skipAssignment ? await this.computeAssignment(joined) : [];
    const synced = await this.coordinators.call(
      groupId,
      (group, options) =>
        group.syncGroup(
          {
            groupId,
            generationId: this.generationId,
            memberId: this.memberId,
            groupInstanceId,
            protocolType: CONSUMER_PROTOCOL_TYPE,
            protocolName: this.protocolName,
            assignments,
          },
          options,
        ),
      longPollMs,
      this.abort.signal,
    );
    if (synced.errorCode !== 'NONE') return this.startOverOrThrow('SyncGroup', groupId, synced.errorCode, synced.errorMessage);
    const assignment = [...decodeAssignment(synced.assignment).partitions];
    this.assignedCounts.clear();
    if (this.isLeader) for (const topic of subscription) this.assignedCounts.set(topic, this.cluster.metadata.topics.get(topic)?.partitions.length ?? 0);
    this.logger.info(
      { memberId: this.memberId, generationId: this.generationId, leader: this.isLeader, partitions: assignment.length },
      `joined group ${groupId} in generation ${this.generationId}`,
    );
    return assignment;
  }

  /**
   * A JoinGroup or SyncGroup error: with an unknown or fenced member id the member starts over
   * as a new one, after a rebalance-in-progress style answer it just joins again (both return
   * undefined); anything else is thrown, after forgetting a coordinator that is no longer one.
   */
  private startOverOrThrow(request: 'JoinGroup' | 'SyncGroup', groupId: string, errorCode: ErrorCodeName, errorMessage: string): undefined {
    if (errorCode === 'UNKNOWN_MEMBER_ID' || errorCode === 'FENCED_INSTANCE_ID') {
      this.memberId = '';
      this.generationId = -1;
      return undefined;
    }
    if (rejoinCodes.has(errorCode)) return undefined;
    if (coordinatorCodes.has(errorCode)) this.coordinators.forget(groupId);
    throw fromCode(errorCode, `${request} of group ${groupId}: ${errorMessage}`);
  }

  /** The leader's job: every member's assignment, with the assignor the coordinator chose. */
  private async computeAssignment(joined: JoinGroupResponse): Promise<SyncGroupAssignment[]> {
    const assignor = this.options.assignors.find((each) => each.name === joined.protocolName);
    if (assignor === undefined) throw new GroupProtocolError(`the group chose assignor ${JSON.stringify(joined.protocolName)}, which this consumer does not offer`);
    const members = joined.members.map((member) =>
      toAssignorMember({ memberId: member.memberId, groupInstanceId: member.groupInstanceId === '' ? undefined : member.groupInstanceId, metadata: member.metadata }),
    );
    const topics = [...new Set(members.flatMap((member) => member.subscription))];
    this.cluster.addTopics(topics);
    await this.cluster.retrying(() => this.cluster.refreshMetadata(), { signal: this.abort.signal });
    const partitionCounts = new Map<string, number>();
    for (const topic of topics) {
      const count = this.cluster.metadata.topics.get(topic)?.partitions.length;
      if (count !== undefined) partitionCounts.set(topic, count);
    }
    const assignment = assignor.assign(members, partitionCounts);
    this.logger.debug({ assignor: assignor.name, members: members.length, topics: topics.length }, 'computed the group assignment');
    return [...assignment].map(([memberId, partitions]) => ({ memberId, assignment: Buffer.from(encodeAssignment({ partitions })) }));
  }
}
