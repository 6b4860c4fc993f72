import { assert, type Prng } from '@eddy/base';
import { ConsumerGroup, errorJoinResponse, errorSyncResponse, type GroupContext } from './consumer-group.js';
import { coordinatorPartitionFor } from './coordinator-partition.js';
import type {
  GroupDescription,
  GroupEffect,
  GroupErrorCode,
  GroupListing,
  GroupResponseCode,
  GroupSnapshot,
  HeartbeatRequest,
  JoinGroupRequest,
  LeaveGroupRequest,
  OffsetCommitRequest,
  PersistResult,
  SyncGroupRequest,
} from './group-types.js';
import { type GroupCoordinatorConfig, groupCoordinatorConfig, groupLimits } from './limits.js';
import { prngMemberIdGenerator } from './member-id.js';

export interface GroupManagerOptions {
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** Draws member ids; a seeded Prng replays a run exactly. */
  readonly prng: Prng;
  /** Overrides the member id scheme (tests use readable ids). */
  readonly newMemberId?: (clientId: string) => string;
}

/**
 * The group coordinator of one node, as a pure state machine over every group whose
 * __consumer_offsets partition this node leads. It validates requests, routes them to their
 * `ConsumerGroup`, and returns the effects to carry out. Time comes in as `nowMs` with every
 * call (monotonic); `tick(nowMs)` fires deadlines when no request arrives.
 *
 * The adapter (later: gRPC + the __consumer_offsets log + LevelDB) calls `becomeCoordinator`
 * with the groups it loaded when this node becomes leader of an offsets partition, and
 * `resignCoordinator` when it stops being leader.
 */
export class GroupManager {
  readonly config: GroupCoordinatorConfig;
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly coordinatedPartitions = new Set<number>();
  private readonly context: GroupContext;
  private lastPersistId = 0;
  private nowMs = Number.NEGATIVE_INFINITY;

  constructor(options: GroupManagerOptions) {
    this.config = groupCoordinatorConfig(options.config);
    const newMemberId = options.newMemberId ?? prngMemberIdGenerator(options.prng);
    this.context = {
      config: this.config,
      newMemberId,
      nextPersistId: () => ++this.lastPersistId,
    };
  }

  /** The __consumer_offsets partition of a group. */
  partitionFor(groupId: string): number {
    return coordinatorPartitionFor(groupId, this.config.offsetsTopicPartitionCount);
  }

  isCoordinatorFor(groupId: string): boolean {
    return this.coordinatedPartitions.has(this.partitionFor(groupId));
  }

  /**
   * This node now leads `partition` of __consumer_offsets: it takes over the groups stored there.
   * Members keep their generation and assignment; their sessions start now.
   */
  becomeCoordinator(partition: number, snapshots: readonly GroupSnapshot[], nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    assert(Number.isInteger(partition) && partition >= 0 && partition < this.config.offsetsTopicPartitionCount, `no offsets partition ${partition}`);
    assert(!this.coordinatedPartitions.has(partition), `already coordinating offsets partition ${partition}`);
    this.coordinatedPartitions.add(partition);
    const effects: GroupEffect[] = [];
    for (const snapshot of snapshots) {
      assert(this.partitionFor(snapshot.groupId) === partition, `group ${snapshot.groupId} is not stored in partition ${partition}`);
      assert(!this.groups.has(snapshot.groupId), `group ${snapshot.groupId} loaded twice`);
      const group = ConsumerGroup.restore(snapshot, this.context, nowMs);
      this.groups.set(snapshot.groupId, group);
      effects.push({ type: 'log', groupId: snapshot.groupId, level: 'info', message: `loaded as ${group.state} at generation ${group.generationId} with ${group.memberCount} members` });
    }
    return effects;
  }

  /** This node no longer leads `partition`: its groups are dropped, waiting requests answered NOT_COORDINATOR. */
  resignCoordinator(partition: number, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    if (!this.coordinatedPartitions.delete(partition)) return [];
    const effects: GroupEffect[] = [];
    for (const [groupId, group] of this.groups) {
      if (this.partitionFor(groupId) !== partition) continue;
      effects.push(...group.unload(nowMs));
      this.groups.delete(groupId);
    }
    return effects;
  }

  joinGroup(request: JoinGroupRequest, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    const fail = (errorCode: GroupErrorCode): GroupEffect[] => [
      { type: 'respondJoin', groupId: request.groupId, requestId: request.requestId, response: errorJoinResponse(errorCode, request.memberId) },
    ];
    const problem = this.checkGroup(request.groupId) ?? checkJoin(request, this.config);
    if (problem !== undefined) return fail(problem);
    let group = this.groups.get(request.groupId);
    let created = false;
    if (group === undefined) {
      if (request.memberId !== '') return fail('UNKNOWN_MEMBER_ID');
      group = new ConsumerGroup(request.groupId, this.context, nowMs);
      this.groups.set(request.groupId, group);
      created = true;
    }
    const effects = group.join(request, nowMs);
    // A new group the join did not enter (it was refused) is not kept.
    if (created && group.state === 'Empty' && group.sizeWithPending === 0) this.groups.delete(request.groupId);
    return effects;
  }

  syncGroup(request: SyncGroupRequest, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    const fail = (errorCode: GroupErrorCode): GroupEffect[] => [
      { type: 'respondSync', groupId: request.groupId, requestId: request.requestId, response: errorSyncResponse(errorCode) },
    ];
    const problem = this.checkGroup(request.groupId) ?? checkMemberRequest(request) ?? checkAssignments(request, this.config);
    if (problem !== undefined) return fail(problem);
    const group = this.groups.get(request.groupId);
    if (group === undefined) return fail('UNKNOWN_MEMBER_ID');
    return group.sync(request, nowMs);
  }

  heartbeat(request: HeartbeatRequest, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    const problem = this.checkGroup(request.groupId) ?? checkMemberRequest(request);
    const group = this.groups.get(request.groupId);
    if (problem !== undefined || group === undefined) {
      return [{ type: 'respondHeartbeat', groupId: request.groupId, requestId: request.requestId, response: { errorCode: problem ?? 'UNKNOWN_MEMBER_ID' } }];
    }
    return group.heartbeat(request, nowMs);
  }

  leaveGroup(request: LeaveGroupRequest, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    let problem = this.checkGroup(request.groupId);
    if (problem === undefined && (request.members.length === 0 || request.members.length > groupLimits.leaveMembersPerRequestMax)) problem = 'INVALID_REQUEST';
    if (problem !== undefined) {
      return [{ type: 'respondLeave', groupId: request.groupId, requestId: request.requestId, response: { errorCode: problem, members: [] } }];
    }
    const group = this.groups.get(request.groupId);
    if (group === undefined) {
      const members = request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: 'UNKNOWN_MEMBER_ID' as const }));
      return [{ type: 'respondLeave', groupId: request.groupId, requestId: request.requestId, response: { errorCode: 'NONE', members } }];
    }
    return group.leave(request, nowMs);
  }

  /**
   * Whether an OffsetCommit may be written. A commit with generation -1 and no member id for a
   * group this coordinator does not know creates the (Empty) group, as in Kafka.
   */
  offsetCommit(request: OffsetCommitRequest, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    const reject = (errorCode: GroupErrorCode): GroupEffect[] => [
      { type: 'offsetCommitDecision', groupId: request.groupId, requestId: request.requestId, decision: { accepted: false, errorCode } },
    ];
    const problem = this.checkGroup(request.groupId) ?? checkMemberRequest(request);
    if (problem !== undefined) return reject(problem);
    let group = this.groups.get(request.groupId);
    if (group === undefined) {
      const simple = request.generationId < 0 && request.memberId === '' && request.groupInstanceId === undefined;
      if (!simple) return reject(request.generationId >= 0 ? 'ILLEGAL_GENERATION' : 'UNKNOWN_MEMBER_ID');
      group = new ConsumerGroup(request.groupId, this.context, nowMs);
      this.groups.set(request.groupId, group);
    }
    return group.offsetCommit(request, nowMs);
  }

  /** The adapter reports the outcome of a persistGroup effect. */
  persistComplete(groupId: string, persistId: number, result: PersistResult, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    return this.groups.get(groupId)?.persistComplete(persistId, result, nowMs) ?? [];
  }

  /**
   * Rebalance a group for a reason outside it: the partition count of a subscribed topic
   * changed, a subscribed partition went offline. Members learn of it from their heartbeats.
   */
  triggerRebalance(groupId: string, reason: string, nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    return this.groups.get(groupId)?.triggerRebalance(reason, nowMs) ?? [];
  }

  /** DeleteGroups for one group: only an Empty group can go. */
  deleteGroup(groupId: string, nowMs: number): { errorCode: GroupResponseCode; effects: GroupEffect[] } {
    this.advanceClock(nowMs);
    const problem = this.checkGroup(groupId);
    if (problem !== undefined) return { errorCode: problem, effects: [] };
    const group = this.groups.get(groupId);
    if (group === undefined) return { errorCode: 'GROUP_ID_NOT_FOUND', effects: [] };
    const result = group.delete(nowMs);
    if (group.state === 'Dead') this.groups.delete(groupId);
    return result;
  }

  /** Fires every deadline up to `nowMs`, in every group. */
  tick(nowMs: number): GroupEffect[] {
    this.advanceClock(nowMs);
    const effects: GroupEffect[] = [];
    for (const group of this.groups.values()) effects.push(...group.tick(nowMs));
    return effects;
  }

  /** When `tick` next has something to do; undefined when nothing is scheduled. */
  nextDeadlineMs(): number | undefined {
    let next: number | undefined;
    for (const group of this.groups.values()) {
      const at = group.nextDeadlineMs();
      if (at !== undefined && (next === undefined || at < next)) next = at;
    }
    return next;
  }

  describeGroup(groupId: string): GroupDescription | undefined {
    return this.groups.get(groupId)?.describe();
  }

  /** When the group turned Empty; undefined when it is not Empty (or unknown). */
  emptySinceMs(groupId: string): number | undefined {
    return this.groups.get(groupId)?.emptySinceMs;
  }

  listGroups(): GroupListing[] {
    return [...this.groups.values()].map((group) => {
      const description = group.describe();
      return { groupId: group.groupId, protocolType: description.protocolType, state: group.state };
    });
  }

  /** The group's durable state as it would be written now (tests, admin tooling). */
  snapshot(groupId: string): GroupSnapshot | undefined {
    return this.groups.get(groupId)?.snapshot();
  }

  private advanceClock(nowMs: number): void {
    assert(Number.isFinite(nowMs) && nowMs >= this.nowMs, `time goes back from ${this.nowMs} to ${nowMs}`);
    this.nowMs = nowMs;
  }

  private checkGroup(groupId: string): GroupErrorCode | undefined {
    if (groupId === '' || groupId.length > groupLimits.nameLengthMax) return 'INVALID_GROUP_ID';
    if (!this.isCoordinatorFor(groupId)) return 'NOT_COORDINATOR';
    return undefined;
  }
}

function isName(value: string, allowEmpty: boolean): boolean {
  return (allowEmpty || value !== '') && value.length <= groupLimits.nameLengthMax;
}

function checkJoin(request: JoinGroupRequest, config: GroupCoordinatorConfig): GroupErrorCode | undefined {
  if (!Number.isSafeInteger(request.sessionTimeoutMs) || request.sessionTimeoutMs < config.groupMinSessionTimeoutMs || request.sessionTimeoutMs > config.groupMaxSessionTimeoutMs) {
    return 'INVALID_SESSION_TIMEOUT';
  }
  if (!Number.isSafeInteger(request.rebalanceTimeoutMs) || request.rebalanceTimeoutMs <= 0 || request.rebalanceTimeoutMs > config.groupMaxRebalanceTimeoutMs) {
    return 'INVALID_REQUEST';
  }
  if (!isName(request.memberId, true) || !isName(request.clientId, true) || !isName(request.clientHost, true) || !isName(request.protocolType, true)) return 'INVALID_REQUEST';
  if (request.groupInstanceId !== undefined && !isName(request.groupInstanceId, false)) return 'INVALID_REQUEST';
  if (request.reason !== undefined && request.reason.length > groupLimits.nameLengthMax) return 'INVALID_REQUEST';
  if (request.protocols.length > groupLimits.protocolsPerMemberMax) return 'INVALID_REQUEST';
  const names = new Set<string>();
  for (const protocol of request.protocols) {
    if (!isName(protocol.name, false) || names.has(protocol.name) || protocol.metadata.length > groupLimits.protocolMetadataBytesMax) return 'INVALID_REQUEST';
    names.add(protocol.name);
  }
  if (request.protocolType === '' || request.protocols.length === 0) return 'INCONSISTENT_GROUP_PROTOCOL';
  return undefined;
}

function checkMemberRequest(request: { readonly generationId: number; readonly memberId: string; readonly groupInstanceId?: string }): GroupErrorCode | undefined {
  if (!Number.isSafeInteger(request.generationId) || request.generationId < -1) return 'INVALID_REQUEST';
  if (!isName(request.memberId, true)) return 'INVALID_REQUEST';
  if (request.groupInstanceId !== undefined && !isName(request.groupInstanceId, false)) return 'INVALID_REQUEST';
  return undefined;
}

function checkAssignments(request: SyncGroupRequest, config: GroupCoordinatorConfig): GroupErrorCode | undefined {
  if (request.assignments.length > config.groupMaxSize) return 'INVALID_REQUEST';
  for (const entry of request.assignments) {
    if (!isName(entry.memberId, false) || entry.assignment.length > groupLimits.assignmentBytesMax) return 'INVALID_REQUEST';
  }
  return undefined;
}
