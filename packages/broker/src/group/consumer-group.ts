import { assert, unreachable } from '@eddy/base';
import { assertTransition, type GroupState } from './group-state.js';
import type {
  GroupDescription,
  GroupEffect,
  GroupErrorCode,
  GroupProtocol,
  GroupResponseCode,
  GroupSnapshot,
  HeartbeatRequest,
  JoinGroupRequest,
  JoinGroupResponse,
  JoinGroupResponseMember,
  LeaveGroupRequest,
  LeaveGroupResponse,
  OffsetCommitDecision,
  OffsetCommitRequest,
  PersistResult,
  RebalanceRecord,
  RequestId,
  SyncGroupRequest,
  SyncGroupResponse,
} from './group-types.js';
import { type GroupCoordinatorConfig, groupLimits } from './limits.js';

const EMPTY_BYTES = new Uint8Array(0);

/** What a group needs from its manager: settings, member ids, and ids for metadata writes. */
export interface GroupContext {
  readonly config: GroupCoordinatorConfig;
  /** A fresh member id for a client (`clientId-uuid`), drawn from an injected Prng. */
  newMemberId(clientId: string): string;
  /** A manager-wide unique id for a persistGroup effect. */
  nextPersistId(): number;
}

interface Member {
  readonly memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: readonly GroupProtocol[];
  assignment: Uint8Array;
  lastHeartbeatMs: number;
  /** The JoinGroup waiting for the join phase to end (only in PreparingRebalance). */
  awaitingJoin: RequestId | null;
  /** The SyncGroup waiting for the leader's assignment (only in CompletingRebalance). */
  awaitingSync: RequestId | null;
}

interface PendingPersist {
  readonly persistId: number;
  readonly generationId: number;
  readonly assignments: Map<string, Uint8Array>;
  readonly deadlineMs: number;
}

interface MutableRebalanceRecord {
  readonly startedAtMs: number;
  readonly fromGenerationId: number;
  readonly reasons: string[];
  omittedReasonCount: number;
}

type Deadline =
  | { readonly kind: 'session'; readonly atMs: number; readonly member: Member }
  | { readonly kind: 'pendingMember'; readonly atMs: number; readonly memberId: string }
  | { readonly kind: 'persist'; readonly atMs: number }
  | { readonly kind: 'sync'; readonly atMs: number }
  | { readonly kind: 'join'; readonly atMs: number };

/**
 * One consumer group on its coordinator: Kafka's classic group protocol as a pure state
 * machine. Requests and `advanceTo(nowMs)` go in; effects (responses, metadata writes, log
 * lines) come out. No I/O, no timers: every deadline is a number compared with the `nowMs`
 * the caller passes, and due deadlines fire in deadline order before a request is handled, so a
 * run depends only on its inputs.
 *
 * The coordinator never reads the members' metadata or assignments; the leader computes the
 * assignment client-side, as in Kafka.
 */
export class ConsumerGroup {
  private currentState: GroupState = 'Empty';
  private generation = 0;
  private protocolTypeValue: string | null = null;
  private protocolNameValue: string | null = null;
  private leader: string | null = null;
  /** In join order: the first member is the leader's successor when the leader goes. */
  private members = new Map<string, Member>();
  /** groupInstanceId → memberId. */
  private readonly staticMembers = new Map<string, string>();
  /** Ids handed out with MEMBER_ID_REQUIRED → when they lapse if not used. */
  private readonly pendingMembers = new Map<string, number>();
  /** Members of the current generation that have not sent SyncGroup yet. */
  private readonly pendingSyncMembers = new Set<string>();
  private joinDeadlineMs: number | null = null;
  /** While an Empty group's first join phase is held back (group.initial.rebalance.delay.ms). */
  private initialDelay: { remainingMs: number; newMemberAdded: boolean } | null = null;
  private syncDeadlineMs: number | null = null;
  private pendingPersist: PendingPersist | null = null;
  private readonly history: MutableRebalanceRecord[] = [];
  private nowMs: number;
  /** When the group entered its current state (Empty's start is what offset expiry counts from). */
  private stateSinceMs: number;
  /** No deadline is due before this time (a lower bound; null when unknown). */
  private quietUntilMs: number | null = null;

  constructor(
    readonly groupId: string,
    private readonly context: GroupContext,
    nowMs: number,
  ) {
    this.nowMs = nowMs;
    this.stateSinceMs = nowMs;
  }

  /**
   * A group as a new coordinator takes it over from its metadata: Stable when it has members,
   * Empty otherwise. Members' sessions start now; they keep their generation and assignment.
   */
  static restore(snapshot: GroupSnapshot, context: GroupContext, nowMs: number): ConsumerGroup {
    const group = new ConsumerGroup(snapshot.groupId, context, nowMs);
    assert(snapshot.version === 1, `group ${snapshot.groupId}: snapshot version ${snapshot.version}`);
    assert(Number.isSafeInteger(snapshot.generationId) && snapshot.generationId >= 0, `group ${snapshot.groupId}: bad generation`);
    group.generation = snapshot.generationId;
    group.protocolTypeValue = snapshot.protocolType;
    group.history.push(...snapshot.rebalanceHistory.slice(-groupLimits.rebalanceHistoryMax).map((r) => ({ ...r, reasons: [...r.reasons] })));
    if (snapshot.members.length === 0) {
      // Empty since then, as far as expiry goes (a time in the future would be another node's clock running ahead).
      group.stateSinceMs = Math.min(snapshot.emptySinceMs ?? nowMs, nowMs);
      return group;
    }
    const protocolName = snapshot.protocolName;
    const protocolType = snapshot.protocolType;
    assert(protocolName !== null && protocolType !== null, `group ${snapshot.groupId}: members without a protocol`);
    for (const m of snapshot.members) {
      assert(!group.members.has(m.memberId), `group ${snapshot.groupId}: member ${m.memberId} twice`);
      group.members.set(m.memberId, {
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        protocolType,
        protocols: [{ name: protocolName, metadata: m.subscription }],
        assignment: m.assignment,
        lastHeartbeatMs: nowMs,
        awaitingJoin: null,
        awaitingSync: null,
      });
      if (m.groupInstanceId !== null) {
        assert(!group.staticMembers.has(m.groupInstanceId), `group ${snapshot.groupId}: instance ${m.groupInstanceId} twice`);
        group.staticMembers.set(m.groupInstanceId, m.memberId);
      }
    }
    group.protocolNameValue = protocolName;
    group.leader = snapshot.leaderId !== null && group.members.has(snapshot.leaderId) ? snapshot.leaderId : (group.members.keys().next().value ?? null);
    group.currentState = 'Stable';
    group.checkInvariants();
    return group;
  }

  get state(): GroupState {
    return this.currentState;
  }

  get generationId(): number {
    return this.generation;
  }

  get leaderId(): string | null {
    return this.leader;
  }

  /** When the group turned Empty; undefined unless it is Empty now. */
  get emptySinceMs(): number | undefined {
    return this.currentState === 'Empty' ? this.stateSinceMs : undefined;
  }

  get memberCount(): number {
    return this.members.size;
  }

  /** Members plus ids handed out and not yet used: what group.max.size bounds. */
  get sizeWithPending(): number {
    return this.members.size + this.pendingMembers.size;
  }

  hasMember(memberId: string): boolean {
    return this.members.has(memberId) || this.pendingMembers.has(memberId);
  }

  // ---------------------------------------------------------------------------------------
  // Requests. Each returns the effects it caused, including its own response (now or later).

  join(request: JoinGroupRequest, nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => this.onJoin(request, out));
  }

  sync(request: SyncGroupRequest, nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => this.onSync(request, out));
  }

  heartbeat(request: HeartbeatRequest, nowMs: number): GroupEffect[] {
    // Heartbeats and commits only move a member's session deadline later: the deadline cache
    // stays valid and they stay O(1), however large the group.
    return this.run(
      nowMs,
      (out) => {
        out.push({ type: 'respondHeartbeat', groupId: this.groupId, requestId: request.requestId, response: { errorCode: this.onHeartbeat(request) } });
      },
      { extendsDeadlinesOnly: true },
    );
  }

  leave(request: LeaveGroupRequest, nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => this.onLeave(request, out));
  }

  offsetCommit(request: OffsetCommitRequest, nowMs: number): GroupEffect[] {
    return this.run(
      nowMs,
      (out) => {
        out.push({ type: 'offsetCommitDecision', groupId: this.groupId, requestId: request.requestId, decision: this.onOffsetCommit(request) });
      },
      { extendsDeadlinesOnly: true },
    );
  }

  /** The outcome of the write named by a persistGroup effect's `persistId`. */
  persistComplete(persistId: number, result: PersistResult, nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => this.onPersistComplete(persistId, result, out));
  }

  /** A rebalance for a reason outside the group: a subscribed topic's partition count changed, a partition went offline. */
  triggerRebalance(reason: string, nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => {
      switch (this.currentState) {
        case 'Stable':
        case 'CompletingRebalance':
          this.prepareRebalance(reason, out);
          break;
        case 'PreparingRebalance':
          this.addReason(reason);
          break;
        case 'Empty':
        case 'Dead':
          this.log(out, 'debug', `rebalance not needed (${this.currentState}): ${reason}`);
          break;
        default:
          unreachable(this.currentState);
      }
    });
  }

  /** Fires every deadline up to `nowMs`. */
  tick(nowMs: number): GroupEffect[] {
    return this.run(nowMs, () => undefined, { extendsDeadlinesOnly: true });
  }

  /**
   * Deletes an Empty group (DeleteGroups): Dead, and a tombstone for its metadata. Returns
   * NON_EMPTY_GROUP while it has members.
   */
  delete(nowMs: number): { errorCode: GroupResponseCode; effects: GroupEffect[] } {
    let errorCode: GroupResponseCode = 'NONE';
    const effects = this.run(nowMs, (out) => {
      if (this.currentState === 'Dead') {
        errorCode = 'GROUP_ID_NOT_FOUND';
      } else if (this.currentState !== 'Empty') {
        errorCode = 'NON_EMPTY_GROUP';
      } else {
        this.transitionTo('Dead');
        out.push({ type: 'deleteGroupMetadata', groupId: this.groupId });
        this.log(out, 'info', 'group deleted');
      }
    });
    return { errorCode, effects };
  }

  /**
   * This coordinator no longer owns the group (its __consumer_offsets partition moved): every
   * waiting request is answered NOT_COORDINATOR so its member looks up the new coordinator.
   */
  unload(nowMs: number): GroupEffect[] {
    return this.run(nowMs, (out) => {
      if (this.currentState === 'Dead') return;
      for (const member of this.members.values()) this.failWaiting(member, 'NOT_COORDINATOR', out);
      this.pendingPersist = null;
      this.transitionTo('Dead');
      this.log(out, 'info', 'group unloaded: its coordinator moved');
    });
  }

  // ---------------------------------------------------------------------------------------
  // Reads.

  /** The earliest deadline still to fire, for the adapter's timer; undefined when none. */
  nextDeadlineMs(): number | undefined {
    return this.nextDeadline()?.atMs;
  }

  describe(): GroupDescription {
    return {
      groupId: this.groupId,
      state: this.currentState,
      protocolType: this.protocolTypeValue,
      protocolName: this.protocolNameValue,
      leaderId: this.leader,
      generationId: this.generation,
      members: [...this.members.values()].map((m) => ({
        memberId: m.memberId,
        groupInstanceId: m.groupInstanceId,
        clientId: m.clientId,
        clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs,
        rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        metadata: this.protocolNameValue === null ? EMPTY_BYTES : (m.protocols.find((p) => p.name === this.protocolNameValue)?.metadata ?? EMPTY_BYTES),
        assignment: m.assignment,
      })),
      rebalanceHistory: this.rebalanceHistory(),
    };
  }

  rebalanceHistory(): RebalanceRecord[] {
    return this.history.map((r) => ({ ...r, reasons: [...r.reasons] }));
  }

  /**
   * The group's durable state: its generation, the members with their metadata for the chosen
   * protocol, and their assignments (`assignments` instead, when given). Written when a
   * generation's assignment is accepted, when the group turns Empty, and when a static member is
   * replaced; all three are moments when every member supports the chosen protocol.
   */
  snapshot(assignments?: ReadonlyMap<string, Uint8Array>): GroupSnapshot {
    const protocolName = this.protocolNameValue;
    return {
      version: 1,
      groupId: this.groupId,
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName: this.members.size === 0 ? null : protocolName,
      leaderId: this.members.size === 0 ? null : this.leader,
      members:
        protocolName === null
          ? []
          : [...this.members.values()].map((m) => ({
              memberId: m.memberId,
              groupInstanceId: m.groupInstanceId,
              clientId: m.clientId,
              clientHost: m.clientHost,
              sessionTimeoutMs: m.sessionTimeoutMs,
              rebalanceTimeoutMs: m.rebalanceTimeoutMs,
              // Mid-rebalance a member may have rejoined without the old protocol: nothing to keep then.
              subscription: m.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES,
              assignment: assignments === undefined ? m.assignment : (assignments.get(m.memberId) ?? EMPTY_BYTES),
            })),
      rebalanceHistory: this.rebalanceHistory(),
      ...(this.currentState === 'Empty' ? { emptySinceMs: this.stateSinceMs } : {}),
    };
  }

  // ---------------------------------------------------------------------------------------
  // JoinGroup.

  private onJoin(request: JoinGroupRequest, out: GroupEffect[]): void {
    const fail = (code: GroupErrorCode): void => this.respondJoin(request.requestId, errorJoinResponse(code, request.memberId), out);
    if (this.currentState === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    const isNew = request.memberId === '';
    const instanceOwner = request.groupInstanceId === undefined ? undefined : this.staticMembers.get(request.groupInstanceId);
    if (!isNew) {
      if (this.isFenced(request.memberId, request.groupInstanceId)) return fail('FENCED_INSTANCE_ID');
      if (!this.hasMember(request.memberId)) return fail('UNKNOWN_MEMBER_ID');
    }
    // A member's own earlier protocols (or those of the instance it replaces) do not constrain it.
    const self = isNew ? instanceOwner : request.memberId;
    if (!this.supportsProtocols(request.protocolType, request.protocols, self)) return fail('INCONSISTENT_GROUP_PROTOCOL');

    if (isNew) {
      if (instanceOwner !== undefined) return this.replaceStaticMember(instanceOwner, request, out);
      if (this.sizeWithPending >= this.context.config.groupMaxSize) return fail('GROUP_MAX_SIZE_REACHED');
      const memberId = this.drawMemberId(request.clientId);
      if (request.groupInstanceId === undefined && this.context.config.requireKnownMemberId) {
        this.pendingMembers.set(memberId, this.nowMs + request.sessionTimeoutMs);
        this.respondJoin(request.requestId, errorJoinResponse('MEMBER_ID_REQUIRED', memberId), out);
        return;
      }
      return this.addMember(memberId, request, out);
    }
    if (this.pendingMembers.delete(request.memberId)) return this.addMember(request.memberId, request, out);

    const member = this.members.get(request.memberId);
    assert(member !== undefined, 'a known member id that is not pending is a member');
    switch (this.currentState) {
      case 'PreparingRebalance': {
        const changed = !sameProtocols(member.protocols, request.protocols);
        this.updateMember(member, request, out);
        if (changed) this.addReason(`member ${member.memberId} rejoined with new metadata`);
        this.tryCompleteJoin(out);
        return;
      }
      case 'CompletingRebalance':
        if (sameProtocols(member.protocols, request.protocols)) {
          // It missed its JoinGroup response: give it the current generation again.
          member.lastHeartbeatMs = this.nowMs;
          this.respondJoin(request.requestId, this.joinResponseFor(member), out);
          return;
        }
        this.updateMember(member, request, out);
        this.prepareRebalance(`member ${member.memberId} rejoined with new metadata${because(request.reason)}`, out);
        return;
      case 'Stable':
        if (member.memberId === this.leader || !sameProtocols(member.protocols, request.protocols)) {
          // The leader rejoins when something that changes the assignment but not its metadata
          // happened (a topic's partition count), so it always gets a rebalance.
          const why = member.memberId === this.leader ? `leader ${member.memberId} rejoined` : `member ${member.memberId} rejoined with new metadata`;
          this.updateMember(member, request, out);
          this.prepareRebalance(`${why}${because(request.reason)}`, out);
          return;
        }
        member.lastHeartbeatMs = this.nowMs;
        this.respondJoin(request.requestId, this.joinResponseFor(member), out);
        return;
      case 'Empty':
        assert(false, `group ${this.groupId}: a member in an Empty group`);
        return;
      default:
        unreachable(this.currentState);
    }
  }

  private addMember(memberId: string, request: JoinGroupRequest, out: GroupEffect[]): void {
    assert(!this.members.has(memberId), `member ${memberId} is new`);
    const member: Member = {
      memberId,
      groupInstanceId: request.groupInstanceId ?? null,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      assignment: EMPTY_BYTES,
      lastHeartbeatMs: this.nowMs,
      awaitingJoin: request.requestId,
      awaitingSync: null,
    };
    if (this.members.size === 0) this.protocolTypeValue = request.protocolType;
    this.members.set(memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, memberId);
    if (this.leader === null) this.leader = memberId;
    if (this.currentState === 'PreparingRebalance' && this.generation === 0 && this.initialDelay !== null) this.initialDelay.newMemberAdded = true;
    const reason = `member ${describeMember(member)} joined${because(request.reason)}`;
    if (this.currentState === 'PreparingRebalance') {
      this.addReason(reason);
      this.tryCompleteJoin(out);
    } else {
      this.prepareRebalance(reason, out);
    }
  }

  private updateMember(member: Member, request: JoinGroupRequest, out: GroupEffect[]): void {
    if (member.awaitingJoin !== null) {
      // The client gave up on its earlier JoinGroup and sent this one; answer the old one.
      this.respondJoin(member.awaitingJoin, errorJoinResponse('REBALANCE_IN_PROGRESS', member.memberId), out);
    }
    member.protocols = request.protocols;
    member.protocolType = request.protocolType;
    member.sessionTimeoutMs = request.sessionTimeoutMs;
    member.rebalanceTimeoutMs = request.rebalanceTimeoutMs;
    member.awaitingJoin = request.requestId;
  }

  /**
   * A static member restarted: it joins with its instance id and no member id. Its new member
   * id takes the old one's place, with the old assignment (Kafka's static member replacement,
   * KIP-345). In Stable, when the group would still pick the same protocol, there is no
   * rebalance at all: the member gets the current generation and fetches its assignment with
   * SyncGroup. The old instance, if still alive, is fenced.
   */
  private replaceStaticMember(oldMemberId: string, request: JoinGroupRequest, out: GroupEffect[]): void {
    const old = this.members.get(oldMemberId);
    const instanceId = request.groupInstanceId;
    assert(old !== undefined && instanceId !== undefined && old.groupInstanceId === instanceId, 'the static member being replaced exists');
    this.failWaiting(old, 'FENCED_INSTANCE_ID', out);
    const newMemberId = this.drawMemberId(request.clientId);
    const replacement: Member = {
      ...old,
      memberId: newMemberId,
      clientId: request.clientId,
      clientHost: request.clientHost,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols,
      lastHeartbeatMs: this.nowMs,
      awaitingJoin: null,
      awaitingSync: null,
    };
    this.members = new Map([...this.members].map(([id, m]) => (id === oldMemberId ? [newMemberId, replacement] : [id, m])));
    this.staticMembers.set(instanceId, newMemberId);
    if (this.leader === oldMemberId) this.leader = newMemberId;
    if (this.pendingSyncMembers.delete(oldMemberId)) this.pendingSyncMembers.add(newMemberId);
    const persisting = this.pendingPersist?.assignments.get(oldMemberId);
    if (persisting !== undefined) {
      this.pendingPersist?.assignments.delete(oldMemberId);
      this.pendingPersist?.assignments.set(newMemberId, persisting);
    }
    const reason = `static member ${instanceId} restarted (member ${oldMemberId} replaced by ${newMemberId})${because(request.reason)}`;
    switch (this.currentState) {
      case 'Stable': {
        const protocolName = this.protocolNameValue;
        assert(protocolName !== null, 'a Stable group has a protocol');
        if (this.selectProtocol() === protocolName) {
          this.log(out, 'info', `${reason}; no rebalance needed`);
          this.respondJoin(request.requestId, { ...this.joinResponseFor(replacement), members: [], skipAssignment: newMemberId === this.leader }, out);
          out.push({ type: 'persistGroup', groupId: this.groupId, persistId: this.context.nextPersistId(), awaitsResult: false, snapshot: this.snapshot() });
          return;
        }
        replacement.awaitingJoin = request.requestId;
        this.prepareRebalance(`${reason} with a different protocol preference`, out);
        return;
      }
      case 'CompletingRebalance':
        // The leader may be assigning to the old member id: start over so ids and assignment agree.
        replacement.awaitingJoin = request.requestId;
        this.prepareRebalance(reason, out);
        return;
      case 'PreparingRebalance':
        replacement.awaitingJoin = request.requestId;
        this.addReason(reason);
        this.tryCompleteJoin(out);
        return;
      case 'Empty':
      case 'Dead':
        assert(false, `group ${this.groupId}: a static member in state ${this.currentState}`);
        return;
      default:
        unreachable(this.currentState);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Rebalance phases.

  private prepareRebalance(reason: string, out: GroupEffect[]): void {
    if (this.currentState === 'CompletingRebalance') this.failAwaitingSync('REBALANCE_IN_PROGRESS', out);
    this.pendingSyncMembers.clear();
    this.syncDeadlineMs = null;
    const rebalanceTimeoutMs = this.rebalanceTimeoutMs();
    if (this.currentState === 'Empty') {
      const initialDelayMs = this.context.config.groupInitialRebalanceDelayMs;
      this.initialDelay = { remainingMs: Math.max(rebalanceTimeoutMs - initialDelayMs, 0), newMemberAdded: false };
      this.joinDeadlineMs = this.nowMs + Math.min(initialDelayMs, rebalanceTimeoutMs);
    } else {
      this.initialDelay = null;
      this.joinDeadlineMs = this.nowMs + rebalanceTimeoutMs;
    }
    this.history.push({ startedAtMs: this.nowMs, fromGenerationId: this.generation, reasons: [reason], omittedReasonCount: 0 });
    if (this.history.length > groupLimits.rebalanceHistoryMax) this.history.shift();
    this.transitionTo('PreparingRebalance');
    this.log(out, 'info', `preparing to rebalance generation ${this.generation}: ${reason}`);
    this.tryCompleteJoin(out);
  }

  /** Ends the join phase early once every member has rejoined (never while the initial delay runs). */
  private tryCompleteJoin(out: GroupEffect[]): void {
    if (this.currentState !== 'PreparingRebalance' || this.initialDelay !== null) return;
    if (this.pendingMembers.size > 0) return;
    for (const member of this.members.values()) if (member.awaitingJoin === null) return;
    this.completeJoin(out);
  }

  private onJoinDeadline(out: GroupEffect[]): void {
    assert(this.currentState === 'PreparingRebalance' && this.joinDeadlineMs !== null, 'a join deadline belongs to the join phase');
    const delay = this.initialDelay;
    if (delay !== null && delay.newMemberAdded && delay.remainingMs > 0) {
      // New members arrived during the initial delay: wait once more, within the rebalance timeout.
      const initialDelayMs = this.context.config.groupInitialRebalanceDelayMs;
      const nextDelayMs = Math.min(initialDelayMs, delay.remainingMs);
      this.initialDelay = { remainingMs: Math.max(delay.remainingMs - initialDelayMs, 0), newMemberAdded: false };
      this.joinDeadlineMs += nextDelayMs;
      return;
    }
    this.completeJoin(out);
  }

  /**
   * The join phase ends: dynamic members that did not rejoin are dropped (static members stay:
   * they may be restarting), then either the group is Empty or a new generation starts, with a
   * protocol every member supports, and every waiting member gets its JoinGroup response.
   */
  private completeJoin(out: GroupEffect[]): void {
    assert(this.currentState === 'PreparingRebalance', 'the join phase is running');
    const dropped: Member[] = [];
    for (const member of this.members.values()) if (member.awaitingJoin === null && member.groupInstanceId === null) dropped.push(member);
    for (const member of dropped) {
      this.removeMember(member, out);
      this.addReason(`member ${member.memberId} did not rejoin within the rebalance timeout and was removed`);
    }
    if (dropped.length > 0) this.log(out, 'info', `removed members that did not rejoin in time: ${dropped.map((m) => m.memberId).join(', ')}`);
    const leader = this.leader === null ? undefined : this.members.get(this.leader);
    if (leader === undefined || leader.awaitingJoin === null) {
      const joined = [...this.members.values()].find((m) => m.awaitingJoin !== null);
      if (joined !== undefined) this.leader = joined.memberId;
    }
    this.joinDeadlineMs = null;
    this.initialDelay = null;
    this.generation++;
    if (this.members.size === 0) {
      this.protocolNameValue = null;
      this.leader = null;
      this.transitionTo('Empty');
      this.log(out, 'info', `generation ${this.generation}: the group is empty`);
      out.push({ type: 'persistGroup', groupId: this.groupId, persistId: this.context.nextPersistId(), awaitsResult: false, snapshot: this.snapshot() });
      return;
    }
    this.protocolNameValue = this.selectProtocol();
    this.transitionTo('CompletingRebalance');
    for (const member of this.members.values()) {
      member.assignment = EMPTY_BYTES;
      this.pendingSyncMembers.add(member.memberId);
    }
    this.syncDeadlineMs = this.nowMs + this.rebalanceTimeoutMs();
    this.log(out, 'info', `generation ${this.generation} formed with ${this.members.size} members, leader ${this.leader ?? '-'}, protocol ${this.protocolNameValue}`);
    for (const member of this.members.values()) {
      if (member.awaitingJoin === null) continue;
      const requestId = member.awaitingJoin;
      member.awaitingJoin = null;
      member.lastHeartbeatMs = this.nowMs;
      this.respondJoin(requestId, this.joinResponseFor(member), out);
    }
  }

  // ---------------------------------------------------------------------------------------
  // SyncGroup.

  private onSync(request: SyncGroupRequest, out: GroupEffect[]): void {
    const fail = (code: GroupErrorCode): void => this.respondSync(request.requestId, errorSyncResponse(code), out);
    if (this.currentState === 'Dead') return fail('COORDINATOR_NOT_AVAILABLE');
    if (this.isFenced(request.memberId, request.groupInstanceId)) return fail('FENCED_INSTANCE_ID');
    const member = this.members.get(request.memberId);
    if (member === undefined) return fail('UNKNOWN_MEMBER_ID');
    if (request.generationId !== this.generation) return fail('ILLEGAL_GENERATION');
    if (request.protocolType !== undefined && request.protocolType !== this.protocolTypeValue) return fail('INCONSISTENT_GROUP_PROTOCOL');
    if (request.protocolName !== undefined && request.protocolName !== this.protocolNameValue) return fail('INCONSISTENT_GROUP_PROTOCOL');
    switch (this.currentState) {
      case 'PreparingRebalance':
        return fail('REBALANCE_IN_PROGRESS');
      case 'CompletingRebalance': {
        if (member.awaitingSync !== null) this.respondSync(member.awaitingSync, errorSyncResponse('REBALANCE_IN_PROGRESS'), out);
        member.awaitingSync = request.requestId;
        this.removePendingSync(member.memberId);
        if (member.memberId === this.leader && this.pendingPersist === null) this.acceptAssignment(request, out);
        return;
      }
      case 'Stable':
        this.removePendingSync(member.memberId);
        member.lastHeartbeatMs = this.nowMs;
        this.respondSync(request.requestId, this.syncResponse(member.assignment), out);
        return;
      case 'Empty':
        assert(false, `group ${this.groupId}: a member in an Empty group`);
        return;
      default:
        unreachable(this.currentState);
    }
  }

  /** The leader's assignment: write it, and hand it out once the write succeeded. */
  private acceptAssignment(request: SyncGroupRequest, out: GroupEffect[]): void {
    const assignments = new Map<string, Uint8Array>();
    const unknown: string[] = [];
    for (const entry of request.assignments) {
      if (this.members.has(entry.memberId)) assignments.set(entry.memberId, entry.assignment);
      else unknown.push(entry.memberId);
    }
    if (unknown.length > 0) this.log(out, 'warn', `the leader assigned to members not in generation ${this.generation}: ${unknown.join(', ')}`);
    const missing = [...this.members.keys()].filter((id) => !assignments.has(id));
    if (missing.length > 0) this.log(out, 'debug', `members without an assignment (they get none): ${missing.join(', ')}`);
    const persistId = this.context.nextPersistId();
    this.pendingPersist = {
      persistId,
      generationId: this.generation,
      assignments,
      deadlineMs: this.nowMs + this.context.config.groupMetadataWriteTimeoutMs,
    };
    out.push({ type: 'persistGroup', groupId: this.groupId, persistId, awaitsResult: true, snapshot: this.snapshot(assignments) });
  }

  private onPersistComplete(persistId: number, result: PersistResult, out: GroupEffect[]): void {
    const pending = this.pendingPersist;
    if (pending === null || pending.persistId !== persistId || this.currentState !== 'CompletingRebalance') {
      this.log(out, 'debug', `metadata write ${persistId} finished (${result}); nothing waits for it`);
      return;
    }
    assert(pending.generationId === this.generation, 'a pending write belongs to the current generation');
    this.pendingPersist = null;
    if (result !== 'NONE') {
      this.log(out, 'warn', `writing the assignment of generation ${this.generation} failed (${result})`);
      this.failAwaitingSync(result, out);
      return;
    }
    for (const member of this.members.values()) member.assignment = pending.assignments.get(member.memberId) ?? EMPTY_BYTES;
    this.transitionTo('Stable');
    this.log(out, 'info', `generation ${this.generation} is stable`);
    for (const member of this.members.values()) {
      if (member.awaitingSync === null) continue;
      const requestId = member.awaitingSync;
      member.awaitingSync = null;
      member.lastHeartbeatMs = this.nowMs;
      this.respondSync(requestId, this.syncResponse(member.assignment), out);
    }
  }

  /** Fails every waiting SyncGroup (a rebalance, or a failed write); assignments are cleared. */
  private failAwaitingSync(code: GroupErrorCode, out: GroupEffect[]): void {
    assert(this.currentState === 'CompletingRebalance', 'SyncGroups wait only in CompletingRebalance');
    this.pendingPersist = null;
    for (const member of this.members.values()) {
      member.assignment = EMPTY_BYTES;
      if (member.awaitingSync === null) continue;
      const requestId = member.awaitingSync;
      member.awaitingSync = null;
      member.lastHeartbeatMs = this.nowMs;
      this.respondSync(requestId, errorSyncResponse(code), out);
    }
  }

  private removePendingSync(memberId: string): void {
    this.pendingSyncMembers.delete(memberId);
    if (this.pendingSyncMembers.size === 0) this.syncDeadlineMs = null;
  }

  // ---------------------------------------------------------------------------------------
  // Heartbeat, LeaveGroup, OffsetCommit.

  private onHeartbeat(request: HeartbeatRequest): GroupResponseCode {
    if (this.currentState === 'Dead') return 'COORDINATOR_NOT_AVAILABLE';
    if (this.isFenced(request.memberId, request.groupInstanceId)) return 'FENCED_INSTANCE_ID';
    const member = this.members.get(request.memberId);
    if (member === undefined) return 'UNKNOWN_MEMBER_ID';
    if (request.generationId !== this.generation) return 'ILLEGAL_GENERATION';
    switch (this.currentState) {
      case 'CompletingRebalance':
      case 'Stable':
        member.lastHeartbeatMs = this.nowMs;
        return 'NONE';
      case 'PreparingRebalance':
        // How members learn of a rebalance: they rejoin on this answer.
        member.lastHeartbeatMs = this.nowMs;
        return 'REBALANCE_IN_PROGRESS';
      case 'Empty':
        assert(false, `group ${this.groupId}: a member in state Empty`);
        return 'UNKNOWN_MEMBER_ID';
      default:
        return unreachable(this.currentState);
    }
  }

  private onLeave(request: LeaveGroupRequest, out: GroupEffect[]): void {
    if (this.currentState === 'Dead') {
      const members = request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId ?? null, errorCode: 'COORDINATOR_NOT_AVAILABLE' as const }));
      this.respondLeave(request.requestId, { errorCode: 'COORDINATOR_NOT_AVAILABLE', members }, out);
      return;
    }
    const results: { memberId: string; groupInstanceId: string | null; errorCode: GroupResponseCode }[] = [];
    const reasons: string[] = [];
    let pendingRemoved = false;
    for (const leaving of request.members) {
      const result = (errorCode: GroupResponseCode): void => {
        results.push({ memberId: leaving.memberId, groupInstanceId: leaving.groupInstanceId ?? null, errorCode });
      };
      let memberId = leaving.memberId;
      if (memberId === '') {
        const byInstance = leaving.groupInstanceId === undefined ? undefined : this.staticMembers.get(leaving.groupInstanceId);
        if (byInstance === undefined) {
          result('UNKNOWN_MEMBER_ID');
          continue;
        }
        memberId = byInstance;
      } else if (this.isFenced(memberId, leaving.groupInstanceId)) {
        result('FENCED_INSTANCE_ID');
        continue;
      }
      if (this.pendingMembers.delete(memberId)) {
        pendingRemoved = true;
        result('NONE');
        continue;
      }
      const member = this.members.get(memberId);
      if (member === undefined) {
        result('UNKNOWN_MEMBER_ID');
        continue;
      }
      this.removeMember(member, out);
      reasons.push(`member ${describeMember(member)} left the group${because(leaving.reason)}`);
      result('NONE');
    }
    if (reasons.length > 0) this.afterMembersRemoved(reasons, out);
    else if (pendingRemoved) this.tryCompleteJoin(out);
    this.respondLeave(request.requestId, { errorCode: 'NONE', members: results }, out);
  }

  /**
   * Kafka's rules: a commit of the current generation by a member is accepted in Stable, and
   * in PreparingRebalance too (members commit what they processed before they rejoin); in
   * CompletingRebalance the member must first learn its new assignment (REBALANCE_IN_PROGRESS).
   * A commit with generation -1 and no member id comes from a client that manages partitions
   * itself, and is accepted only while the group has no members.
   */
  private onOffsetCommit(request: OffsetCommitRequest): OffsetCommitDecision {
    const reject = (errorCode: GroupErrorCode): OffsetCommitDecision => ({ accepted: false, errorCode });
    if (this.currentState === 'Dead') return reject('COORDINATOR_NOT_AVAILABLE');
    const simple = request.generationId < 0 && request.memberId === '' && request.groupInstanceId === undefined;
    if (simple) return this.currentState === 'Empty' ? { accepted: true } : reject('UNKNOWN_MEMBER_ID');
    if (this.isFenced(request.memberId, request.groupInstanceId)) return reject('FENCED_INSTANCE_ID');
    const member = this.members.get(request.memberId);
    if (member === undefined) return reject('UNKNOWN_MEMBER_ID');
    if (request.generationId !== this.generation) return reject('ILLEGAL_GENERATION');
    if (this.currentState === 'CompletingRebalance') return reject('REBALANCE_IN_PROGRESS');
    member.lastHeartbeatMs = this.nowMs;
    return { accepted: true };
  }

  // ---------------------------------------------------------------------------------------
  // Members leaving, by request or by deadline.

  /** Takes a member out, answering whatever it waits for; the caller then updates the group. */
  private removeMember(member: Member, out: GroupEffect[]): void {
    this.failWaiting(member, 'UNKNOWN_MEMBER_ID', out);
    this.members.delete(member.memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === member.memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    this.removePendingSync(member.memberId);
    if (this.leader === member.memberId) this.leader = this.members.keys().next().value ?? null;
  }

  private afterMembersRemoved(reasons: readonly string[], out: GroupEffect[]): void {
    switch (this.currentState) {
      case 'Stable':
      case 'CompletingRebalance': {
        const [first, ...rest] = reasons;
        this.prepareRebalance(first ?? 'members removed', out);
        for (const reason of rest) this.addReason(reason);
        return;
      }
      case 'PreparingRebalance':
        for (const reason of reasons) this.addReason(reason);
        this.tryCompleteJoin(out);
        return;
      case 'Empty':
      case 'Dead':
        return;
      default:
        unreachable(this.currentState);
    }
  }

  private failWaiting(member: Member, code: GroupErrorCode, out: GroupEffect[]): void {
    if (member.awaitingJoin !== null) {
      this.respondJoin(member.awaitingJoin, errorJoinResponse(code, member.memberId), out);
      member.awaitingJoin = null;
    }
    if (member.awaitingSync !== null) {
      this.respondSync(member.awaitingSync, errorSyncResponse(code), out);
      member.awaitingSync = null;
    }
  }

  // ---------------------------------------------------------------------------------------
  // Time.

  private run(nowMs: number, handle: (out: GroupEffect[]) => void, options: { extendsDeadlinesOnly?: boolean } = {}): GroupEffect[] {
    const out: GroupEffect[] = [];
    let fired = this.advanceTo(nowMs, out);
    const mutates = options.extendsDeadlinesOnly !== true;
    if (mutates) this.quietUntilMs = null;
    handle(out);
    // A request can create deadlines that are already due (a zero initial delay).
    fired = this.advanceTo(nowMs, out) || fired;
    if (mutates || fired) this.checkInvariants();
    return out;
  }

  /** Fires every deadline up to `nowMs` in deadline order, each at its own time; true when any fired. */
  private advanceTo(nowMs: number, out: GroupEffect[]): boolean {
    assert(Number.isFinite(nowMs) && nowMs >= this.nowMs, `group ${this.groupId}: time goes back from ${this.nowMs} to ${nowMs}`);
    if (this.quietUntilMs !== null && nowMs < this.quietUntilMs) {
      this.nowMs = nowMs;
      return false;
    }
    // Each firing removes its deadline or moves it later; members and phases are finite.
    const firingsMax = 4 * (this.members.size + this.pendingMembers.size) + 16;
    for (let firings = 0; ; firings++) {
      assert(firings <= firingsMax, `group ${this.groupId}: deadlines keep firing`);
      const next = this.nextDeadline();
      if (next === undefined || next.atMs > nowMs) {
        this.quietUntilMs = next?.atMs ?? Number.POSITIVE_INFINITY;
        this.nowMs = nowMs;
        return firings > 0;
      }
      this.nowMs = Math.max(this.nowMs, next.atMs);
      this.fire(next, out);
    }
  }

  private nextDeadline(): Deadline | undefined {
    if (this.currentState === 'Dead') return undefined;
    let next: Deadline | undefined;
    const consider = (candidate: Deadline): void => {
      if (next === undefined || candidate.atMs < next.atMs) next = candidate;
    };
    for (const member of this.members.values()) {
      // A member waiting for our response cannot heartbeat; the phase deadlines bound its wait.
      if (member.awaitingJoin !== null || member.awaitingSync !== null) continue;
      consider({ kind: 'session', atMs: member.lastHeartbeatMs + member.sessionTimeoutMs, member });
    }
    for (const [memberId, atMs] of this.pendingMembers) consider({ kind: 'pendingMember', atMs, memberId });
    if (this.pendingPersist !== null) consider({ kind: 'persist', atMs: this.pendingPersist.deadlineMs });
    if (this.syncDeadlineMs !== null) consider({ kind: 'sync', atMs: this.syncDeadlineMs });
    if (this.joinDeadlineMs !== null) consider({ kind: 'join', atMs: this.joinDeadlineMs });
    return next;
  }

  private fire(deadline: Deadline, out: GroupEffect[]): void {
    switch (deadline.kind) {
      case 'session': {
        const member = deadline.member;
        const reason = `member ${describeMember(member)} session expired (no heartbeat for ${member.sessionTimeoutMs} ms)`;
        this.log(out, 'info', reason);
        this.removeMember(member, out);
        this.afterMembersRemoved([reason], out);
        return;
      }
      case 'pendingMember':
        this.pendingMembers.delete(deadline.memberId);
        this.log(out, 'debug', `member id ${deadline.memberId} was not used within its session timeout`);
        this.tryCompleteJoin(out);
        return;
      case 'persist': {
        const pending = this.pendingPersist;
        assert(pending !== null, 'a persist deadline has a pending write');
        this.onPersistComplete(pending.persistId, 'COORDINATOR_NOT_AVAILABLE', out);
        this.pendingPersist = null;
        return;
      }
      case 'sync': {
        const late = [...this.pendingSyncMembers].map((id) => this.members.get(id)).filter((m): m is Member => m !== undefined);
        assert(late.length > 0, 'a sync deadline has members to wait for');
        for (const member of late) this.removeMember(member, out);
        this.syncDeadlineMs = null;
        this.afterMembersRemoved([`members ${late.map((m) => m.memberId).join(', ')} did not send SyncGroup within the rebalance timeout and were removed`], out);
        return;
      }
      case 'join':
        this.onJoinDeadline(out);
        return;
      default:
        unreachable(deadline);
    }
  }

  // ---------------------------------------------------------------------------------------
  // Helpers.

  private transitionTo(next: GroupState): void {
    assertTransition(this.groupId, this.currentState, next);
    this.currentState = next;
    this.stateSinceMs = this.nowMs;
  }

  /** Kafka's static fencing: the instance id belongs to another member id. */
  private isFenced(memberId: string, groupInstanceId: string | undefined): boolean {
    if (groupInstanceId === undefined) return false;
    const owner = this.staticMembers.get(groupInstanceId);
    return owner !== undefined && owner !== memberId;
  }

  /**
   * Whether a member offering `protocols` can be in the group: same protocol type, and at least
   * one protocol every other member supports. `self` (its earlier incarnation) does not count,
   * so a lone member may switch strategies.
   */
  private supportsProtocols(protocolType: string, protocols: readonly GroupProtocol[], self: string | undefined): boolean {
    if (protocolType === '' || protocols.length === 0) return false;
    let candidates: Set<string> | undefined;
    for (const member of this.members.values()) {
      if (member.memberId === self) continue;
      if (member.protocolType !== protocolType) return false;
      const names = new Set(member.protocols.map((p) => p.name));
      candidates = candidates === undefined ? names : new Set([...candidates].filter((name) => names.has(name)));
    }
    return candidates === undefined || protocols.some((p) => candidates.has(p.name));
  }

  /**
   * Kafka's vote: among the protocols every member supports, each member votes for the first
   * one in its own order; most votes win, ties go to the earlier one in the leader's order.
   */
  private selectProtocol(): string {
    const members = [...this.members.values()];
    const leader = (this.leader === null ? undefined : this.members.get(this.leader)) ?? members[0];
    assert(leader !== undefined, 'a protocol is chosen only for a group with members');
    const candidates = leader.protocols.map((p) => p.name).filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    assert(candidates.length > 0, `group ${this.groupId}: no protocol common to all members`);
    const votes = new Map<string, number>(candidates.map((name) => [name, 0]));
    for (const member of members) {
      const vote = member.protocols.find((p) => votes.has(p.name));
      assert(vote !== undefined, 'every member supports every candidate');
      votes.set(vote.name, (votes.get(vote.name) ?? 0) + 1);
    }
    let best = candidates[0] as string;
    for (const name of candidates) if ((votes.get(name) ?? 0) > (votes.get(best) ?? 0)) best = name;
    return best;
  }

  private rebalanceTimeoutMs(): number {
    let timeoutMs = 0;
    for (const member of this.members.values()) timeoutMs = Math.max(timeoutMs, member.rebalanceTimeoutMs);
    return timeoutMs;
  }

  private drawMemberId(clientId: string): string {
    for (let attempt = 0; attempt < groupLimits.memberIdAttemptsMax; attempt++) {
      const memberId = this.context.newMemberId(clientId);
      if (!this.hasMember(memberId)) return memberId;
    }
    assert(false, `group ${this.groupId}: no unused member id after ${groupLimits.memberIdAttemptsMax} draws`);
    return '';
  }

  private metadataFor(member: Member, protocolName: string): Uint8Array {
    const protocol = member.protocols.find((p) => p.name === protocolName);
    assert(protocol !== undefined, `member ${member.memberId} supports the group's protocol ${protocolName}`);
    return protocol.metadata;
  }

  private joinResponseFor(member: Member): JoinGroupResponse {
    const protocolName = this.protocolNameValue;
    assert(protocolName !== null && this.leader !== null, 'a generation has a protocol and a leader');
    const isLeader = member.memberId === this.leader;
    const members: JoinGroupResponseMember[] = isLeader
      ? [...this.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: this.metadataFor(m, protocolName) }))
      : [];
    return {
      errorCode: 'NONE',
      generationId: this.generation,
      protocolType: this.protocolTypeValue,
      protocolName,
      leaderId: this.leader,
      memberId: member.memberId,
      skipAssignment: false,
      members,
    };
  }

  private syncResponse(assignment: Uint8Array): SyncGroupResponse {
    return { errorCode: 'NONE', protocolType: this.protocolTypeValue, protocolName: this.protocolNameValue, assignment };
  }

  private addReason(reason: string): void {
    const current = this.history[this.history.length - 1];
    if (current === undefined || this.currentState !== 'PreparingRebalance') return;
    if (current.reasons.length < groupLimits.reasonsPerRebalanceMax) current.reasons.push(reason);
    else current.omittedReasonCount++;
  }

  private respondJoin(requestId: RequestId, response: JoinGroupResponse, out: GroupEffect[]): void {
    out.push({ type: 'respondJoin', groupId: this.groupId, requestId, response });
  }

  private respondSync(requestId: RequestId, response: SyncGroupResponse, out: GroupEffect[]): void {
    out.push({ type: 'respondSync', groupId: this.groupId, requestId, response });
  }

  private respondLeave(requestId: RequestId, response: LeaveGroupResponse, out: GroupEffect[]): void {
    out.push({ type: 'respondLeave', groupId: this.groupId, requestId, response });
  }

  private log(out: GroupEffect[], level: 'info' | 'warn' | 'debug', message: string): void {
    out.push({ type: 'log', groupId: this.groupId, level, message });
  }

  /** The invariants of the state machine, checked after every input. */
  private checkInvariants(): void {
    const id = this.groupId;
    const state = this.currentState;
    if (state === 'Dead') return;
    assert(Number.isSafeInteger(this.generation) && this.generation >= 0, `group ${id}: generation ${this.generation}`);
    assert((this.joinDeadlineMs !== null) === (state === 'PreparingRebalance'), `group ${id}: a join deadline exactly in PreparingRebalance`);
    assert(this.initialDelay === null || state === 'PreparingRebalance', `group ${id}: initial delay outside the join phase`);
    assert(this.pendingPersist === null || (state === 'CompletingRebalance' && this.pendingPersist.generationId === this.generation), `group ${id}: stray pending write`);
    assert((this.syncDeadlineMs !== null) === (this.pendingSyncMembers.size > 0), `group ${id}: a sync deadline exactly while SyncGroups are due`);
    assert(this.pendingSyncMembers.size === 0 || state === 'CompletingRebalance' || state === 'Stable', `group ${id}: pending syncs in ${state}`);
    if (state === 'Empty') assert(this.members.size === 0 && this.protocolNameValue === null, `group ${id}: Empty with members or a protocol`);
    if (state === 'Stable' || state === 'CompletingRebalance') {
      assert(this.members.size > 0 && this.protocolNameValue !== null, `group ${id}: ${state} without members or protocol`);
    }
    assert((this.leader === null) === (this.members.size === 0), `group ${id}: a leader exactly when there are members`);
    assert(this.leader === null || this.members.has(this.leader), `group ${id}: the leader is a member`);
    for (const member of this.members.values()) {
      assert(member.awaitingJoin === null || state === 'PreparingRebalance', `group ${id}: ${member.memberId} awaits a join in ${state}`);
      assert(member.awaitingSync === null || state === 'CompletingRebalance', `group ${id}: ${member.memberId} awaits a sync in ${state}`);
      assert(!this.pendingMembers.has(member.memberId), `group ${id}: ${member.memberId} both pending and a member`);
      if (member.groupInstanceId !== null) assert(this.staticMembers.get(member.groupInstanceId) === member.memberId, `group ${id}: static member map`);
    }
    for (const memberId of this.pendingSyncMembers) assert(this.members.has(memberId), `group ${id}: pending sync of a non-member`);
    for (const [instanceId, memberId] of this.staticMembers) {
      assert(this.members.get(memberId)?.groupInstanceId === instanceId, `group ${id}: instance ${instanceId} maps to a member with it`);
    }
    assert(this.history.length <= groupLimits.rebalanceHistoryMax, `group ${id}: history bound`);
  }
}

export function errorJoinResponse(code: GroupErrorCode, memberId: string): JoinGroupResponse {
  return { errorCode: code, generationId: -1, protocolType: null, protocolName: null, leaderId: '', memberId, skipAssignment: false, members: [] };
}

export function errorSyncResponse(code: GroupErrorCode): SyncGroupResponse {
  return { errorCode: code, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

function sameProtocols(a: readonly GroupProtocol[], b: readonly GroupProtocol[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((p, i) => {
    const q = b[i];
    return q !== undefined && p.name === q.name && sameBytes(p.metadata, q.metadata);
  });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function describeMember(member: Member): string {
  const instance = member.groupInstanceId === null ? '' : `, instance ${member.groupInstanceId}`;
  return `${member.memberId} (client ${member.clientId}${instance}, host ${member.clientHost})`;
}

function because(reason: string | undefined): string {
  return reason === undefined || reason === '' ? '' : `: ${reason}`;
}
