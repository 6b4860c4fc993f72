import type {
  DeleteGroupsRequest,
  DeleteGroupsResponse,
  DeleteOffsetsRequest,
  DeleteOffsetsResponse,
  DescribeGroupsRequest,
  DescribeGroupsResponse,
  ErrorCodeName,
  GroupState,
  HeartbeatRequest,
  HeartbeatResponse,
  JoinGroupProtocol,
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
  RebalanceRecord,
  SyncGroupRequest,
  SyncGroupResponse,
} from '@eddy/protocol';

interface FakeMember {
  readonly memberId: string;
  groupInstanceId: string;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocols: JoinGroupProtocol[];
  assignment: Buffer;
  lastHeartbeatMs: number;
  joinWaiter: ((response: JoinGroupResponse) => void) | undefined;
  syncWaiter: ((response: SyncGroupResponse) => void) | undefined;
}

/** A committed offset as the fake coordinator stores it. */
export interface FakeCommittedOffset {
  readonly offset: bigint;
  readonly leaderEpoch: number;
  readonly metadata: string;
  readonly commitTimestampMs: number;
}

interface FakeGroup {
  readonly groupId: string;
  state: GroupState;
  generationId: number;
  protocolType: string;
  protocolName: string;
  leaderId: string;
  readonly members: Map<string, FakeMember>;
  readonly pendingMemberIds: Set<string>;
  readonly offsets: Map<string, FakeCommittedOffset>;
  readonly history: RebalanceRecord[];
  delayPassed: boolean;
  delayTimer: NodeJS.Timeout | undefined;
  rebalanceTimer: NodeJS.Timeout | undefined;
}

export interface FakeGroupCoordinatorOptions {
  /** Wait this long after a rebalance starts from an empty group for more members (Kafka's group.initial.rebalance.delay.ms). */
  readonly initialRebalanceDelayMs: number;
  /** How often member sessions are checked. */
  readonly sessionCheckIntervalMs: number;
}

const offsetKey = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

function joinError(errorCode: ErrorCodeName, memberId = ''): JoinGroupResponse {
  return {
    errorCode,
    errorMessage: '',
    generationId: -1,
    protocolType: '',
    protocolName: '',
    leaderMemberId: '',
    skipAssignment: false,
    memberId,
    members: [],
  };
}

function syncError(errorCode: ErrorCodeName): SyncGroupResponse {
  return { errorCode, errorMessage: '', protocolType: '', protocolName: '', assignment: Buffer.alloc(0) };
}

/**
 * Kafka's classic group protocol, in memory, for client tests: MEMBER_ID_REQUIRED on the first
 * join, long-polling JoinGroup until every known member rejoined (or the rebalance timeout),
 * the first member as leader, SyncGroup handing out the leader's assignment, heartbeats that
 * report REBALANCE_IN_PROGRESS, session expiry, LeaveGroup, and offset commits fenced by
 * member and generation. Not durable and not replicated: that is the broker's job.
 */
export class FakeGroupCoordinator {
  private readonly groups = new Map<string, FakeGroup>();
  private readonly sessionTimer: NodeJS.Timeout;
  private nextMemberNumber = 1;

  constructor(private readonly options: FakeGroupCoordinatorOptions) {
    this.sessionTimer = setInterval(() => this.expireSessions(), options.sessionCheckIntervalMs);
    this.sessionTimer.unref();
  }

  /** The committed offset of a group for a partition, if any. */
  committed(groupId: string, topic: string, partition: number): FakeCommittedOffset | undefined {
    return this.groups.get(groupId)?.offsets.get(offsetKey(topic, partition));
  }

  /** State, generation and member ids of a group (undefined when unknown). */
  describe(groupId: string): { state: GroupState; generationId: number; leaderId: string; memberIds: string[] } | undefined {
    const group = this.groups.get(groupId);
    if (group === undefined) return undefined;
    return { state: group.state, generationId: group.generationId, leaderId: group.leaderId, memberIds: [...group.members.keys()] };
  }

  /** Starts a rebalance as if something changed (a partition count, say): members learn of it by heartbeat. */
  triggerRebalance(groupId: string, reason: string): void {
    const group = this.groups.get(groupId);
    if (group !== undefined && group.members.size > 0) this.prepareRebalance(group, reason);
  }

  /** Removes a member as if its session expired: it learns of it (UNKNOWN_MEMBER_ID) on its next call. */
  expireMember(groupId: string, memberId: string): void {
    const group = this.groups.get(groupId);
    const member = group?.members.get(memberId);
    if (group === undefined || member === undefined) return;
    this.removeMember(group, member);
    this.afterRemoval(group, `session of ${memberId} expired`);
  }

  close(): void {
    clearInterval(this.sessionTimer);
    for (const group of this.groups.values()) this.clearTimers(group);
  }

  joinGroup(request: JoinGroupRequest, clientId: string, clientHost: string, respond: (response: JoinGroupResponse) => void): void {
    const group = this.group(request.groupId);
    if (group.members.size > 0 && group.protocolType !== '' && request.protocolType !== group.protocolType) {
      respond(joinError('INCONSISTENT_GROUP_PROTOCOL', request.memberId));
      return;
    }
    if (request.memberId === '') {
      const memberId = `${clientId === '' ? 'member' : clientId}-${this.nextMemberNumber++}`;
      group.pendingMemberIds.add(memberId);
      respond(joinError('MEMBER_ID_REQUIRED', memberId));
      return;
    }
    let member = group.members.get(request.memberId);
    if (member === undefined) {
      if (!group.pendingMemberIds.delete(request.memberId)) {
        respond(joinError('UNKNOWN_MEMBER_ID', request.memberId));
        return;
      }
      member = {
        memberId: request.memberId,
        groupInstanceId: request.groupInstanceId,
        clientId,
        clientHost,
        sessionTimeoutMs: request.sessionTimeoutMs,
        rebalanceTimeoutMs: request.rebalanceTimeoutMs,
        protocols: request.protocols,
        assignment: Buffer.alloc(0),
        lastHeartbeatMs: Date.now(),
        joinWaiter: undefined,
        syncWaiter: undefined,
      };
      group.members.set(member.memberId, member);
      if (group.leaderId === '') group.leaderId = member.memberId;
    }
    member.protocols = request.protocols;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.lastHeartbeatMs = Date.now();
    member.joinWaiter?.(joinError('REBALANCE_IN_PROGRESS', member.memberId));
    member.joinWaiter = respond;
    if (group.protocolType === '') group.protocolType = request.protocolType;
    if (group.state === 'GROUP_STATE_PREPARING_REBALANCE') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, request.reason === '' ? `member ${member.memberId} joined` : request.reason);
  }

  syncGroup(request: SyncGroupRequest, respond: (response: SyncGroupResponse) => void): void {
    const group = this.groups.get(request.groupId);
    const member = group?.members.get(request.memberId);
    if (group === undefined || member === undefined) {
      respond(syncError('UNKNOWN_MEMBER_ID'));
      return;
    }
    if (request.generationId !== group.generationId) {
      respond(syncError('ILLEGAL_GENERATION'));
      return;
    }
    member.lastHeartbeatMs = Date.now();
    switch (group.state) {
      case 'GROUP_STATE_PREPARING_REBALANCE':
        respond(syncError('REBALANCE_IN_PROGRESS'));
        return;
      case 'GROUP_STATE_STABLE':
        respond(this.syncAnswer(group, member));
        return;
      case 'GROUP_STATE_COMPLETING_REBALANCE':
        member.syncWaiter = respond;
        if (member.memberId === group.leaderId) {
          const assignments = new Map(request.assignments.map((entry) => [entry.memberId, entry.assignment]));
          for (const each of group.members.values()) each.assignment = assignments.get(each.memberId) ?? Buffer.alloc(0);
          group.state = 'GROUP_STATE_STABLE';
          for (const each of group.members.values()) {
            const waiter = each.syncWaiter;
            each.syncWaiter = undefined;
            waiter?.(this.syncAnswer(group, each));
          }
        }
        return;
      default:
        respond(syncError('UNKNOWN_MEMBER_ID'));
    }
  }

  heartbeat(request: HeartbeatRequest): HeartbeatResponse {
    const answer = (errorCode: ErrorCodeName): HeartbeatResponse => ({ errorCode, errorMessage: '' });
    const group = this.groups.get(request.groupId);
    const member = group?.members.get(request.memberId);
    if (group === undefined || member === undefined) return answer('UNKNOWN_MEMBER_ID');
    if (request.generationId !== group.generationId) return answer('ILLEGAL_GENERATION');
    member.lastHeartbeatMs = Date.now();
    return answer(group.state === 'GROUP_STATE_PREPARING_REBALANCE' ? 'REBALANCE_IN_PROGRESS' : 'NONE');
  }

  leaveGroup(request: LeaveGroupRequest): LeaveGroupResponse {
    const group = this.groups.get(request.groupId);
    const results = request.members.map((leaving) => {
      const member = group?.members.get(leaving.memberId);
      if (group === undefined || member === undefined) {
        return { memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId, errorCode: 'UNKNOWN_MEMBER_ID' as const, errorMessage: '' };
      }
      this.removeMember(group, member);
      return { memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId, errorCode: 'NONE' as const, errorMessage: '' };
    });
    if (group !== undefined && results.some((result) => result.errorCode === 'NONE')) this.afterRemoval(group, 'members left');
    return { errorCode: 'NONE', errorMessage: '', members: results };
  }

  offsetCommit(request: OffsetCommitRequest): OffsetCommitResponse {
    const fail = (errorCode: ErrorCodeName): OffsetCommitResponse => ({ errorCode, errorMessage: '', topics: [] });
    const group = this.group(request.groupId);
    const simple = request.generationId < 0 && request.memberId === '';
    if (simple) {
      if (group.members.size > 0) return fail('UNKNOWN_MEMBER_ID');
    } else {
      const member = group.members.get(request.memberId);
      if (member === undefined) return fail('UNKNOWN_MEMBER_ID');
      if (request.generationId !== group.generationId) return fail('ILLEGAL_GENERATION');
      if (group.state === 'GROUP_STATE_COMPLETING_REBALANCE') return fail('REBALANCE_IN_PROGRESS');
      member.lastHeartbeatMs = Date.now();
    }
    const now = Date.now();
    return {
      errorCode: 'NONE',
      errorMessage: '',
      topics: request.topics.map((topic) => ({
        topic: topic.name,
        partitions: topic.partitions.map((partition) => {
          group.offsets.set(offsetKey(topic.name, partition.partition), {
            offset: partition.committedOffset,
            leaderEpoch: partition.committedLeaderEpoch,
            metadata: partition.metadata,
            commitTimestampMs: now,
          });
          return { partition: partition.partition, errorCode: 'NONE' as const, errorMessage: '' };
        }),
      })),
    };
  }

  offsetFetch(request: OffsetFetchRequest): OffsetFetchResponse {
    const group = this.groups.get(request.groupId);
    const wanted = new Map<string, number[]>();
    if (request.topics.length === 0) {
      for (const key of group?.offsets.keys() ?? []) {
        const [topic = '', partition = '0'] = key.split('\u0000');
        wanted.set(topic, [...(wanted.get(topic) ?? []), Number(partition)]);
      }
    } else {
      for (const topic of request.topics) wanted.set(topic.topic, topic.partitions);
    }
    return {
      errorCode: 'NONE',
      errorMessage: '',
      topics: [...wanted].map(([name, partitions]) => ({
        name,
        partitions: partitions.map((partition) => {
          const committed = group?.offsets.get(offsetKey(name, partition));
          return {
            partition,
            errorCode: 'NONE' as const,
            errorMessage: '',
            committedOffset: committed?.offset ?? -1n,
            committedLeaderEpoch: committed?.leaderEpoch ?? -1,
            metadata: committed?.metadata ?? '',
            commitTimestampMs: BigInt(committed?.commitTimestampMs ?? -1),
          };
        }),
      })),
    };
  }

  listGroups(request: ListGroupsRequest): ListGroupsResponse {
    const groups = [...this.groups.values()]
      .filter((group) => group.state !== 'GROUP_STATE_DEAD')
      .filter((group) => request.statesFilter.length === 0 || request.statesFilter.includes(group.state))
      .filter((group) => request.typesFilter.length === 0 || request.typesFilter.includes(group.protocolType));
    return {
      errorCode: 'NONE',
      errorMessage: '',
      groups: groups.map((group) => ({ groupId: group.groupId, protocolType: group.protocolType, groupState: group.state })),
    };
  }

  describeGroups(request: DescribeGroupsRequest): DescribeGroupsResponse {
    return {
      groups: request.groupIds.map((groupId) => {
        const group = this.groups.get(groupId);
        return {
          errorCode: 'NONE' as const,
          errorMessage: '',
          groupId,
          groupState: group?.state ?? 'GROUP_STATE_DEAD',
          protocolType: group?.protocolType ?? '',
          protocolName: group?.protocolName ?? '',
          generationId: group?.generationId ?? 0,
          leaderMemberId: group?.leaderId ?? '',
          members: [...(group?.members.values() ?? [])].map((member) => ({
            memberId: member.memberId,
            groupInstanceId: member.groupInstanceId,
            clientId: member.clientId,
            clientHost: member.clientHost,
            memberMetadata: member.protocols.find((protocol) => protocol.name === group?.protocolName)?.metadata ?? Buffer.alloc(0),
            memberAssignment: member.assignment,
            sessionTimeoutMs: member.sessionTimeoutMs,
            rebalanceTimeoutMs: member.rebalanceTimeoutMs,
          })),
          rebalanceHistory: group?.history ?? [],
        };
      }),
    };
  }

  deleteGroups(request: DeleteGroupsRequest): DeleteGroupsResponse {
    return {
      groups: request.groupIds.map((groupId) => {
        const group = this.groups.get(groupId);
        if (group === undefined) return { groupId, errorCode: 'GROUP_ID_NOT_FOUND' as const, errorMessage: '' };
        if (group.members.size > 0) return { groupId, errorCode: 'NON_EMPTY_GROUP' as const, errorMessage: '' };
        this.clearTimers(group);
        this.groups.delete(groupId);
        return { groupId, errorCode: 'NONE' as const, errorMessage: '' };
      }),
    };
  }

  deleteOffsets(request: DeleteOffsetsRequest): DeleteOffsetsResponse {
    const group = this.groups.get(request.groupId);
    if (group === undefined) return { errorCode: 'GROUP_ID_NOT_FOUND', errorMessage: '', topics: [] };
    return {
      errorCode: 'NONE',
      errorMessage: '',
      topics: request.topics.map((topic) => ({
        topic: topic.topic,
        partitions: topic.partitions.map((partition) => {
          group.offsets.delete(offsetKey(topic.topic, partition));
          return { partition, errorCode: 'NONE' as const, errorMessage: '' };
        }),
      })),
    };
  }

  private group(groupId: string): FakeGroup {
    let group = this.groups.get(groupId);
    if (group === undefined) {
      group = {
        groupId,
        state: 'GROUP_STATE_EMPTY',
        generationId: 0,
        protocolType: '',
        protocolName: '',
        leaderId: '',
        members: new Map(),
        pendingMemberIds: new Set(),
        offsets: new Map(),
        history: [],
        delayPassed: false,
        delayTimer: undefined,
        rebalanceTimer: undefined,
      };
      this.groups.set(groupId, group);
    }
    return group;
  }

  private syncAnswer(group: FakeGroup, member: FakeMember): SyncGroupResponse {
    return { errorCode: 'NONE', errorMessage: '', protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment };
  }

  private prepareRebalance(group: FakeGroup, reason: string): void {
    const fromEmpty = group.state === 'GROUP_STATE_EMPTY';
    if (group.state !== 'GROUP_STATE_PREPARING_REBALANCE') {
      group.history.push({ startedAtMs: BigInt(Date.now()), fromGenerationId: group.generationId, reasons: [reason], omittedReasonCount: 0 });
      if (group.history.length > 10) group.history.shift();
    }
    group.state = 'GROUP_STATE_PREPARING_REBALANCE';
    for (const member of group.members.values()) {
      const waiter = member.syncWaiter;
      member.syncWaiter = undefined;
      waiter?.(syncError('REBALANCE_IN_PROGRESS'));
    }
    this.clearTimers(group);
    const delayMs = fromEmpty ? this.options.initialRebalanceDelayMs : 0;
    group.delayPassed = delayMs === 0;
    if (!group.delayPassed) {
      group.delayTimer = setTimeout(() => {
        group.delayTimer = undefined;
        group.delayPassed = true;
        this.maybeCompleteJoin(group);
      }, delayMs);
    }
    const rebalanceTimeoutMs = Math.max(0, ...[...group.members.values()].map((member) => member.rebalanceTimeoutMs));
    group.rebalanceTimer = setTimeout(() => {
      group.rebalanceTimer = undefined;
      this.completeJoin(group);
    }, Math.max(rebalanceTimeoutMs, delayMs));
    this.maybeCompleteJoin(group);
  }

  private maybeCompleteJoin(group: FakeGroup): void {
    if (group.state !== 'GROUP_STATE_PREPARING_REBALANCE' || !group.delayPassed) return;
    for (const member of group.members.values()) if (member.joinWaiter === undefined) return;
    this.completeJoin(group);
  }

  private completeJoin(group: FakeGroup): void {
    if (group.state !== 'GROUP_STATE_PREPARING_REBALANCE') return;
    this.clearTimers(group);
    for (const member of [...group.members.values()]) {
      if (member.joinWaiter === undefined) this.removeMember(group, member);
    }
    group.generationId++;
    if (group.members.size === 0) {
      group.state = 'GROUP_STATE_EMPTY';
      group.leaderId = '';
      group.protocolName = '';
      return;
    }
    if (!group.members.has(group.leaderId)) group.leaderId = group.members.keys().next().value ?? '';
    const members = [...group.members.values()];
    const leader = group.members.get(group.leaderId);
    group.protocolName =
      leader?.protocols.find((protocol) => members.every((member) => member.protocols.some((each) => each.name === protocol.name)))?.name ?? '';
    group.state = 'GROUP_STATE_COMPLETING_REBALANCE';
    for (const member of members) {
      const waiter = member.joinWaiter;
      member.joinWaiter = undefined;
      member.lastHeartbeatMs = Date.now();
      waiter?.({
        errorCode: 'NONE',
        errorMessage: '',
        generationId: group.generationId,
        protocolType: group.protocolType,
        protocolName: group.protocolName,
        leaderMemberId: group.leaderId,
        skipAssignment: false,
        memberId: member.memberId,
        members:
          member.memberId === group.leaderId
            ? members.map((each) => ({
                memberId: each.memberId,
                groupInstanceId: each.groupInstanceId,
                metadata: each.protocols.find((protocol) => protocol.name === group.protocolName)?.metadata ?? Buffer.alloc(0),
              }))
            : [],
      });
    }
  }

  private removeMember(group: FakeGroup, member: FakeMember): void {
    group.members.delete(member.memberId);
    const joinWaiter = member.joinWaiter;
    const syncWaiter = member.syncWaiter;
    member.joinWaiter = undefined;
    member.syncWaiter = undefined;
    joinWaiter?.(joinError('UNKNOWN_MEMBER_ID', member.memberId));
    syncWaiter?.(syncError('UNKNOWN_MEMBER_ID'));
    if (group.leaderId === member.memberId) group.leaderId = group.members.keys().next().value ?? '';
  }

  private afterRemoval(group: FakeGroup, reason: string): void {
    if (group.members.size === 0) {
      this.clearTimers(group);
      if (group.state !== 'GROUP_STATE_EMPTY') group.generationId++;
      group.state = 'GROUP_STATE_EMPTY';
      group.protocolName = '';
      return;
    }
    if (group.state === 'GROUP_STATE_PREPARING_REBALANCE') this.maybeCompleteJoin(group);
    else this.prepareRebalance(group, reason);
  }

  private expireSessions(): void {
    const now = Date.now();
    for (const group of this.groups.values()) {
      const expired = [...group.members.values()].filter((member) => member.joinWaiter === undefined && now - member.lastHeartbeatMs > member.sessionTimeoutMs);
      if (expired.length === 0) continue;
      for (const member of expired) this.removeMember(group, member);
      this.afterRemoval(group, `session of ${expired.map((member) => member.memberId).join(', ')} expired`);
    }
  }

  private clearTimers(group: FakeGroup): void {
    if (group.delayTimer !== undefined) clearTimeout(group.delayTimer);
    if (group.rebalanceTimer !== undefined) clearTimeout(group.rebalanceTimer);
    group.delayTimer = undefined;
    group.rebalanceTimer = undefined;
  }
}
