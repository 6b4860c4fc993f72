import { Prng } from '@eddy/base';
import { GroupManager } from '../group-manager.js';
import type {
  GroupEffect,
  GroupProtocol,
  HeartbeatResponse,
  JoinGroupRequest,
  JoinGroupResponse,
  LeaveGroupResponse,
  LeavingMember,
  MemberAssignment,
  OffsetCommitDecision,
  PersistResult,
  SyncGroupResponse,
} from '../group-types.js';
import type { GroupCoordinatorConfig } from '../limits.js';

type PersistEffect = Extract<GroupEffect, { type: 'persistGroup' }>;

export interface GroupHarnessOptions {
  readonly config?: Partial<GroupCoordinatorConfig>;
  /** Acknowledge every metadata write at once (default); otherwise tests call `completePersist`. */
  readonly autoPersist?: boolean;
}

/** Readable metadata bytes for tests. */
export const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (value: Uint8Array): string => new TextDecoder().decode(value);

/**
 * Drives a GroupManager (owning every offsets partition) the way an adapter would: request ids,
 * a manual clock, responses collected by request id, metadata writes acknowledged on demand.
 * Member ids are readable: `<clientId>-<n>`.
 */
export class GroupHarness {
  readonly manager: GroupManager;
  readonly groupId = 'g';
  nowMs = 0;
  readonly effects: GroupEffect[] = [];
  readonly pendingPersists: PersistEffect[] = [];
  readonly persisted: PersistEffect[] = [];
  private readonly responses = new Map<number, GroupEffect>();
  private lastRequestId = 0;
  private lastMemberNumber = 0;
  private readonly autoPersist: boolean;

  constructor(options: GroupHarnessOptions = {}) {
    this.autoPersist = options.autoPersist ?? true;
    this.manager = new GroupManager({
      prng: new Prng(1),
      config: { offsetsTopicPartitionCount: 1, groupMinSessionTimeoutMs: 10, groupInitialRebalanceDelayMs: 0, ...options.config },
      newMemberId: (clientId) => `${clientId}-${++this.lastMemberNumber}`,
    });
    this.record(this.manager.becomeCoordinator(0, [], this.nowMs));
  }

  /** Records effects: responses by request id (each at most once), writes acknowledged when automatic. */
  record(effects: readonly GroupEffect[]): GroupEffect[] {
    for (const effect of effects) {
      this.effects.push(effect);
      if ('requestId' in effect) {
        if (this.responses.has(effect.requestId)) throw new Error(`request ${effect.requestId} answered twice`);
        this.responses.set(effect.requestId, effect);
      }
      if (effect.type === 'persistGroup') {
        if (this.autoPersist) {
          this.persisted.push(effect);
          this.record(this.manager.persistComplete(effect.groupId, effect.persistId, 'NONE', this.nowMs));
        } else {
          this.pendingPersists.push(effect);
        }
      }
    }
    return [...effects];
  }

  completePersist(result: PersistResult = 'NONE'): void {
    const effect = this.pendingPersists.shift();
    if (effect === undefined) throw new Error('no metadata write is pending');
    if (result === 'NONE') this.persisted.push(effect);
    this.record(this.manager.persistComplete(effect.groupId, effect.persistId, result, this.nowMs));
  }

  advance(ms: number): GroupEffect[] {
    this.nowMs += ms;
    return this.record(this.manager.tick(this.nowMs));
  }

  triggerRebalanceFor(reason: string): GroupEffect[] {
    return this.record(this.manager.triggerRebalance(this.groupId, reason, this.nowMs));
  }

  join(request: Partial<Omit<JoinGroupRequest, 'requestId'>> & { clientId?: string } = {}): number {
    const requestId = ++this.lastRequestId;
    const clientId = request.clientId ?? 'client';
    this.record(
      this.manager.joinGroup(
        {
          groupId: this.groupId,
          memberId: '',
          clientId,
          clientHost: '/10.0.0.1',
          sessionTimeoutMs: 500,
          rebalanceTimeoutMs: 1000,
          protocolType: 'consumer',
          protocols: protocols(['range'], clientId),
          ...request,
          requestId,
        },
        this.nowMs,
      ),
    );
    return requestId;
  }

  /** A new member: MEMBER_ID_REQUIRED, then the join with its id. Returns the second request. */
  joinNew(clientId: string, request: Partial<Omit<JoinGroupRequest, 'requestId' | 'memberId'>> = {}): { memberId: string; requestId: number } {
    const first = this.joinResponse(this.join({ clientId, ...request }));
    if (first?.errorCode !== 'MEMBER_ID_REQUIRED') throw new Error(`expected MEMBER_ID_REQUIRED, got ${first?.errorCode}`);
    return { memberId: first.memberId, requestId: this.join({ clientId, ...request, memberId: first.memberId }) };
  }

  sync(memberId: string, generationId: number, assignments: readonly MemberAssignment[] = [], extra: { groupInstanceId?: string } = {}): number {
    const requestId = ++this.lastRequestId;
    this.record(this.manager.syncGroup({ requestId, groupId: this.groupId, memberId, generationId, assignments, ...extra }, this.nowMs));
    return requestId;
  }

  heartbeat(memberId: string, generationId: number, extra: { groupInstanceId?: string } = {}): HeartbeatResponse['errorCode'] {
    const requestId = ++this.lastRequestId;
    this.record(this.manager.heartbeat({ requestId, groupId: this.groupId, memberId, generationId, ...extra }, this.nowMs));
    const effect = this.responses.get(requestId);
    if (effect?.type !== 'respondHeartbeat') throw new Error('a heartbeat is answered at once');
    return effect.response.errorCode;
  }

  leave(members: readonly LeavingMember[]): LeaveGroupResponse {
    const requestId = ++this.lastRequestId;
    this.record(this.manager.leaveGroup({ requestId, groupId: this.groupId, members }, this.nowMs));
    const effect = this.responses.get(requestId);
    if (effect?.type !== 'respondLeave') throw new Error('a leave is answered at once');
    return effect.response;
  }

  commit(memberId: string, generationId: number, extra: { groupInstanceId?: string; groupId?: string } = {}): OffsetCommitDecision {
    const requestId = ++this.lastRequestId;
    this.record(this.manager.offsetCommit({ requestId, groupId: this.groupId, memberId, generationId, ...extra }, this.nowMs));
    const effect = this.responses.get(requestId);
    if (effect?.type !== 'offsetCommitDecision') throw new Error('a commit is decided at once');
    return effect.decision;
  }

  joinResponse(requestId: number): JoinGroupResponse | undefined {
    const effect = this.responses.get(requestId);
    if (effect === undefined) return undefined;
    if (effect.type !== 'respondJoin') throw new Error(`request ${requestId} was answered with ${effect.type}`);
    return effect.response;
  }

  syncResponse(requestId: number): SyncGroupResponse | undefined {
    const effect = this.responses.get(requestId);
    if (effect === undefined) return undefined;
    if (effect.type !== 'respondSync') throw new Error(`request ${requestId} was answered with ${effect.type}`);
    return effect.response;
  }

  get state(): string | undefined {
    return this.manager.describeGroup(this.groupId)?.state;
  }

  get generationId(): number | undefined {
    return this.manager.describeGroup(this.groupId)?.generationId;
  }

  /** Every log line so far, joined (for asserting on reasons). */
  logText(): string {
    return this.effects.flatMap((e) => (e.type === 'log' ? [e.message] : [])).join('\n');
  }
}

/** Protocols with metadata naming the member, so tests can tell whose metadata is whose. */
export function protocols(names: readonly string[], owner: string): GroupProtocol[] {
  return names.map((name) => ({ name, metadata: bytes(`${owner}:${name}`) }));
}
