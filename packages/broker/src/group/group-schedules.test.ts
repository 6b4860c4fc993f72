import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { GroupManager } from './group-manager.js';
import type { GroupEffect, GroupSnapshot, JoinGroupResponse, SyncGroupResponse } from './group-types.js';
import type { GroupCoordinatorConfig } from './limits.js';

/**
 * Seeded random schedules: consumers (some static) join, sync, heartbeat, commit, leave, crash
 * and restart, pause past their session, while metadata writes are slow, fail or get lost, the
 * topic's partitions "change", and the coordinator fails over to the last durable snapshot.
 * The leader assigns with a tiny local round-robin (the broker must not import the client's
 * assignors). Checked throughout (safety):
 *  - every request is answered at most once;
 *  - within one generation no partition goes to two members, and a member that completes
 *    SyncGroup for generation g gets exactly what g's leader assigned it;
 *  - a commit is accepted only from the newest generation any member has synced;
 *  - failover never loses a generation a member has synced.
 * Then, with faults off (liveness): the group settles, Stable, with every live consumer in the
 * current generation, the partitions split among them, and no request left unanswered.
 * A failure names its seed.
 */

const GROUP = 'g';
const PARTITIONS = ['t-0', 't-1', 't-2', 't-3', 't-4', 't-5', 't-6'];
const SESSION_MS = 300;
const STATIC_SESSION_MS = 1_000;
const REBALANCE_MS = 400;
const HEARTBEAT_MS = 80;
const AGENTS_MAX = 6;

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const encode = (partitions: readonly string[]): Uint8Array => encoder.encode(JSON.stringify(partitions));
const decode = (bytes: Uint8Array): string[] => (bytes.length === 0 ? [] : (JSON.parse(decoder.decode(bytes)) as string[]));

/** A cheap check for hot paths (vitest's expect costs microseconds a call). */
function check(condition: boolean, message: () => string): void {
  if (!condition) throw new Error(message());
}

/** The leader's assignor: partitions dealt round-robin over members sorted by id. */
function roundRobin(memberIds: readonly string[]): Map<string, string[]> {
  const sorted = [...memberIds].sort();
  const out = new Map<string, string[]>(sorted.map((id) => [id, []]));
  PARTITIONS.forEach((partition, i) => out.get(sorted[i % sorted.length] as string)?.push(partition));
  return out;
}

type Phase = 'idle' | 'joining' | 'assigning' | 'syncing' | 'stable';

interface Agent {
  readonly name: string;
  readonly instanceId: string | undefined;
  /** Bumped on every restart: responses to an earlier process are lost with it. */
  process: number;
  alive: boolean;
  pausedUntilMs: number;
  /** Back from a pause: it commits before anything else, like a consumer after a long GC. */
  resumed: boolean;
  phase: Phase;
  memberId: string;
  generationId: number;
  assignment: string[];
  nextHeartbeatMs: number;
  assignAtMs: number;
  leaderMembers: readonly string[];
  /** The coordinator incarnation that formed the agent's generation. */
  lineage: number;
  inbox: { effect: GroupEffect; incarnation: number }[];
}

interface PendingWrite {
  readonly effect: Extract<GroupEffect, { type: 'persistGroup' }>;
  readonly incarnation: number;
  readonly atMs: number;
  readonly outcome: 'ok' | 'fail' | 'lost';
}

class Schedule {
  private readonly prng: Prng;
  private readonly config: Partial<GroupCoordinatorConfig>;
  private manager: GroupManager;
  private incarnation = 0;
  private nowMs = 0;
  private lastRequestId = 0;
  private lastMemberNumber = 0;
  private readonly agents: Agent[] = [];
  /** requestId → who sent it. */
  private readonly requests = new Map<number, { agent: Agent; process: number; memberId: string; generationId: number }>();
  private readonly answered = new Set<number>();
  private writes: PendingWrite[] = [];
  private durable: { snapshot: GroupSnapshot; order: [number, number] } | undefined;
  /** memberId → the identity that owns partitions: its instance id when static. */
  private readonly memberKey = new Map<string, string>();
  /** generation → the leader's assignment by member key. */
  private readonly leaderAssignments = new Map<number, Map<string, string[]>>();
  /** generation → partition → member key, from successful SyncGroup responses. */
  private readonly delivered = new Map<number, Map<string, string>>();
  private maxSyncedGeneration = 0;
  /**
   * Incarnation → the highest of its generations still valid. A failover restores generation G:
   * generations above G formed by earlier incarnations never happened as far as the group knows
   * (the new coordinator will form its own with those numbers).
   */
  private readonly lineageLimit = new Map<number, number>();
  private faults = true;
  readonly stats = { syncs: 0, commitsAccepted: 0, commitsRejected: 0, failovers: 0, generations: 0 };

  constructor(readonly seed: number) {
    this.tracing = process.env['DEBUG_SEED'] === String(seed);
    this.prng = new Prng(seed);
    this.config = {
      offsetsTopicPartitionCount: 1,
      groupMinSessionTimeoutMs: 10,
      groupInitialRebalanceDelayMs: this.prng.pick([0, 30, 100]),
      groupMetadataWriteTimeoutMs: 200,
      groupMaxSize: 8,
      requireKnownMemberId: this.prng.chance(0.8),
    };
    this.manager = this.newManager();
    const initial = this.prng.intBetween(1, 4);
    for (let i = 0; i < initial; i++) this.addAgent();
  }

  run(safetySteps: number, livenessMs: number): void {
    for (let step = 0; step < safetySteps; step++) this.step();
    // Liveness: faults stop, everyone crashed comes back, writes succeed promptly.
    this.faults = false;
    this.writes = this.writes.map((w) => ({ ...w, outcome: 'ok' }));
    for (const agent of this.agents) {
      agent.pausedUntilMs = 0;
      if (!agent.alive) this.restart(agent);
    }
    const endMs = this.nowMs + livenessMs;
    while (this.nowMs < endMs) this.step();
    this.checkSettled();
  }

  private newManager(): GroupManager {
    this.incarnation++;
    this.lineageLimit.set(this.incarnation, Number.POSITIVE_INFINITY);
    const manager = new GroupManager({
      prng: this.prng.fork(),
      config: this.config,
      newMemberId: (clientId) => `${clientId}-${++this.lastMemberNumber}`,
    });
    manager.becomeCoordinator(0, this.durable === undefined ? [] : [this.durable.snapshot], this.nowMs);
    return manager;
  }

  private addAgent(): void {
    const index = this.agents.length;
    this.agents.push({
      name: `c${index}`,
      instanceId: index % 3 === 1 ? `instance-${index}` : undefined,
      process: 0,
      alive: true,
      pausedUntilMs: 0,
      resumed: false,
      phase: 'idle',
      memberId: '',
      generationId: -1,
      assignment: [],
      nextHeartbeatMs: 0,
      assignAtMs: 0,
      leaderMembers: [],
      lineage: 0,
      inbox: [],
    });
  }

  private step(): void {
    this.nowMs += this.prng.intBetween(1, 40);
    this.route(this.manager.tick(this.nowMs));
    this.completeWrites();
    if (this.faults) this.injectFault();
    for (const agent of this.agents) {
      if (!agent.alive || agent.pausedUntilMs > this.nowMs) continue;
      if (agent.pausedUntilMs > 0) {
        agent.pausedUntilMs = 0;
        agent.resumed = true;
      }
      const inbox = agent.inbox;
      agent.inbox = [];
      for (const { effect, incarnation } of inbox) this.onResponse(agent, effect, incarnation);
      this.act(agent);
    }
  }

  private injectFault(): void {
    const prng = this.prng;
    const pick = (): Agent => prng.pick(this.agents);
    if (prng.chance(0.01) && this.agents.length < AGENTS_MAX) this.addAgent();
    if (prng.chance(0.012)) {
      const agent = pick();
      agent.alive = false; // crash: no LeaveGroup, its requests' answers are lost
    }
    if (prng.chance(0.03)) {
      const agent = pick();
      if (!agent.alive) this.restart(agent);
    }
    if (prng.chance(0.015)) {
      // Static members are kept through a rebalance they sleep through, so they are the ones
      // that come back with a stale generation and a valid member id.
      const statics = this.agents.filter((a) => a.instanceId !== undefined);
      const agent = statics.length > 0 && prng.chance(0.5) ? prng.pick(statics) : pick();
      agent.pausedUntilMs = this.nowMs + prng.intBetween(100, 900);
    }
    if (prng.chance(0.008)) {
      const agent = pick();
      if (agent.alive && agent.memberId !== '' && agent.instanceId === undefined) {
        this.route(this.manager.leaveGroup({ requestId: ++this.lastRequestId, groupId: GROUP, members: [{ memberId: agent.memberId }] }, this.nowMs));
        this.reset(agent, '');
        agent.alive = false;
      }
    }
    if (prng.chance(0.005)) this.route(this.manager.triggerRebalance(GROUP, 'partition count of topic t changed', this.nowMs));
    if (prng.chance(0.003)) this.failover();
  }

  private restart(agent: Agent): void {
    agent.alive = true;
    agent.process++;
    agent.inbox = [];
    // A static member comes back under its instance id; a dynamic one as a new member.
    this.reset(agent, '');
  }

  private reset(agent: Agent, memberId: string): void {
    agent.phase = 'idle';
    agent.memberId = memberId;
    agent.generationId = -1;
    agent.assignment = [];
  }

  private failover(): void {
    if (this.tracing) this.trace.push(`${this.nowMs} failover to generation ${this.durable?.snapshot.generationId ?? 0}`);
    this.stats.failovers++;
    this.route(this.manager.resignCoordinator(0, this.nowMs));
    this.writes = []; // unacknowledged writes die with the old leader
    const restored = this.durable?.snapshot.generationId ?? 0;
    // A generation some member synced was durable before anyone got an assignment from it.
    expect(restored, `seed ${this.seed}: failover lost synced generation ${this.maxSyncedGeneration}`).toBeGreaterThanOrEqual(this.maxSyncedGeneration);
    for (const [incarnation, limit] of this.lineageLimit) this.lineageLimit.set(incarnation, Math.min(limit, restored));
    for (const generationId of [...this.leaderAssignments.keys()]) if (generationId > restored) this.leaderAssignments.delete(generationId);
    for (const generationId of [...this.delivered.keys()]) if (generationId > restored) this.delivered.delete(generationId);
    this.manager = this.newManager();
  }

  private completeWrites(): void {
    const due = this.writes.filter((w) => w.atMs <= this.nowMs);
    this.writes = this.writes.filter((w) => w.atMs > this.nowMs);
    for (const write of due) {
      if (write.incarnation !== this.incarnation || write.outcome === 'lost') continue;
      if (write.outcome === 'ok') {
        const order: [number, number] = [write.incarnation, write.effect.persistId];
        const newer = this.durable === undefined || order[0] > this.durable.order[0] || (order[0] === this.durable.order[0] && order[1] > this.durable.order[1]);
        if (newer) this.durable = { snapshot: write.effect.snapshot, order };
      }
      this.route(this.manager.persistComplete(GROUP, write.effect.persistId, write.outcome === 'ok' ? 'NONE' : 'COORDINATOR_NOT_AVAILABLE', this.nowMs));
    }
  }

  private act(agent: Agent): void {
    switch (agent.phase) {
      case 'idle':
        this.sendJoin(agent);
        return;
      case 'joining':
      case 'syncing':
        return;
      case 'assigning':
        if (this.nowMs >= agent.assignAtMs) {
          const assignment = roundRobin(agent.leaderMembers);
          const byKey = new Map([...assignment].map(([memberId, partitions]) => [this.keyOf(memberId), partitions]));
          // A leader of a generation a failover undid still sends its assignment; the coordinator must refuse it.
          if (agent.generationId <= (this.lineageLimit.get(agent.lineage) ?? -1)) {
            const known = this.leaderAssignments.get(agent.generationId);
            if (known !== undefined) expect([...byKey].sort(), `seed ${this.seed}: two leader assignments for generation ${agent.generationId}`).toEqual([...known].sort());
            this.leaderAssignments.set(agent.generationId, byKey);
          }
          this.sendSync(
            agent,
            [...assignment].map(([memberId, partitions]) => ({ memberId, assignment: encode(partitions) })),
          );
          return;
        }
        this.maybeHeartbeat(agent);
        return;
      case 'stable': {
        // Half the time the commit goes first: a consumer back from a long pause commits before
        // its heartbeat tells it that it lost its partitions.
        const commitFirst = agent.resumed || this.prng.chance(0.5);
        if (commitFirst && (agent.resumed || this.prng.chance(0.05))) this.commit(agent);
        agent.resumed = false;
        this.maybeHeartbeat(agent);
        if (!commitFirst && agent.phase === 'stable' && this.prng.chance(0.05)) this.commit(agent);
        return;
      }
    }
  }

  private sendJoin(agent: Agent): void {
    const requestId = ++this.lastRequestId;
    agent.phase = 'joining';
    this.requests.set(requestId, { agent, process: agent.process, memberId: agent.memberId, generationId: -1 });
    this.route(
      this.manager.joinGroup(
        {
          requestId,
          groupId: GROUP,
          memberId: agent.memberId,
          ...(agent.instanceId === undefined ? {} : { groupInstanceId: agent.instanceId }),
          clientId: agent.name,
          clientHost: `/${agent.name}`,
          // Static members run with long sessions (restarts must fit), so they outlive a join phase.
          sessionTimeoutMs: agent.instanceId === undefined ? SESSION_MS : STATIC_SESSION_MS,
          rebalanceTimeoutMs: REBALANCE_MS,
          protocolType: 'consumer',
          protocols: [{ name: 'roundrobin', metadata: encoder.encode(agent.name) }],
        },
        this.nowMs,
      ),
    );
  }

  private sendSync(agent: Agent, assignments: readonly { memberId: string; assignment: Uint8Array }[]): void {
    const requestId = ++this.lastRequestId;
    agent.phase = 'syncing';
    this.requests.set(requestId, { agent, process: agent.process, memberId: agent.memberId, generationId: agent.generationId });
    this.route(
      this.manager.syncGroup(
        {
          requestId,
          groupId: GROUP,
          memberId: agent.memberId,
          generationId: agent.generationId,
          ...(agent.instanceId === undefined ? {} : { groupInstanceId: agent.instanceId }),
          assignments,
        },
        this.nowMs,
      ),
    );
  }

  private maybeHeartbeat(agent: Agent): void {
    if (this.nowMs < agent.nextHeartbeatMs) return;
    agent.nextHeartbeatMs = this.nowMs + HEARTBEAT_MS;
    const requestId = ++this.lastRequestId;
    const effects = this.manager.heartbeat(
      {
        requestId,
        groupId: GROUP,
        memberId: agent.memberId,
        generationId: agent.generationId,
        ...(agent.instanceId === undefined ? {} : { groupInstanceId: agent.instanceId }),
      },
      this.nowMs,
    );
    this.route(effects);
    const answer = effects.find((e) => e.type === 'respondHeartbeat' && e.requestId === requestId);
    if (answer?.type !== 'respondHeartbeat') throw new Error(`seed ${this.seed}: heartbeat not answered at once`);
    switch (answer.response.errorCode) {
      case 'NONE':
      case 'NOT_COORDINATOR':
      case 'COORDINATOR_NOT_AVAILABLE':
        return;
      case 'REBALANCE_IN_PROGRESS':
      case 'ILLEGAL_GENERATION':
        this.reset(agent, agent.memberId); // revoke, rejoin with the same id
        return;
      default:
        this.reset(agent, '');
    }
  }

  private commit(agent: Agent): void {
    const requestId = ++this.lastRequestId;
    const effects = this.manager.offsetCommit(
      {
        requestId,
        groupId: GROUP,
        memberId: agent.memberId,
        generationId: agent.generationId,
        ...(agent.instanceId === undefined ? {} : { groupInstanceId: agent.instanceId }),
      },
      this.nowMs,
    );
    this.route(effects);
    const answer = effects.find((e) => e.type === 'offsetCommitDecision' && e.requestId === requestId);
    if (answer?.type !== 'offsetCommitDecision') throw new Error(`seed ${this.seed}: commit not decided at once`);
    if (answer.decision.accepted) {
      this.stats.commitsAccepted++;
      check(agent.generationId >= this.maxSyncedGeneration, () => `seed ${this.seed}: a commit of generation ${agent.generationId} accepted after generation ${this.maxSyncedGeneration} synced`);
    } else {
      this.stats.commitsRejected++;
    }
  }

  /** Records every effect, and queues responses for the process that asked. */
  /** With DEBUG_SEED=<seed>, every effect of that run, printed when it fails. */
  readonly trace: string[] = [];
  private readonly tracing: boolean;

  private route(effects: readonly GroupEffect[]): void {
    for (const effect of effects) {
      if (this.tracing) this.trace.push(`${this.nowMs} coordinator#${this.incarnation} ${JSON.stringify(effect, (k, v: unknown) => (v instanceof Uint8Array ? decoder.decode(v) : k === 'snapshot' ? '…' : v))}`);
      if (effect.type === 'persistGroup') {
        const roll = this.faults ? this.prng.nextFloat() : 1;
        const outcome = roll < 0.04 ? 'lost' : roll < 0.12 ? 'fail' : 'ok';
        const slow = this.faults && this.prng.chance(0.05);
        this.writes.push({ effect, incarnation: this.incarnation, atMs: this.nowMs + (slow ? this.prng.intBetween(150, 300) : this.prng.intBetween(0, 40)), outcome });
        continue;
      }
      if (!('requestId' in effect)) continue;
      check(!this.answered.has(effect.requestId), () => `seed ${this.seed}: request ${effect.requestId} answered twice`);
      this.answered.add(effect.requestId);
      const request = this.requests.get(effect.requestId);
      if (request === undefined) continue; // heartbeats, commits and leaves are handled inline
      if (effect.type === 'respondJoin' && effect.response.memberId !== '') this.register(effect.response.memberId, request.agent);
      if (effect.type === 'respondSync' && effect.response.errorCode === 'NONE') this.checkDelivered(request.memberId, request.generationId, effect.response);
      if (request.process === request.agent.process && request.agent.alive) request.agent.inbox.push({ effect, incarnation: this.incarnation });
    }
  }

  private register(memberId: string, agent: Agent): void {
    if (!this.memberKey.has(memberId)) this.memberKey.set(memberId, agent.instanceId ?? memberId);
  }

  private keyOf(memberId: string): string {
    const key = this.memberKey.get(memberId);
    if (key === undefined) throw new Error(`seed ${this.seed}: member ${memberId} was never handed out`);
    return key;
  }

  /** A successful SyncGroup: exactly the leader's assignment for that generation, and no partition twice. */
  private checkDelivered(memberId: string, generationId: number, response: SyncGroupResponse): void {
    this.stats.syncs++;
    const leader = this.leaderAssignments.get(generationId);
    expect(leader, `seed ${this.seed}: a SyncGroup for generation ${generationId} succeeded before its leader assigned`).toBeDefined();
    const key = this.keyOf(memberId);
    const got = decode(response.assignment);
    expect(got, `seed ${this.seed}: ${key} got another assignment than its leader's in generation ${generationId}`).toEqual(leader?.get(key) ?? []);
    let owners = this.delivered.get(generationId);
    if (owners === undefined) {
      owners = new Map();
      this.delivered.set(generationId, owners);
    }
    for (const partition of got) {
      const owner = owners.get(partition);
      check(owner === undefined || owner === key, () => `seed ${this.seed}: ${partition} went to ${owner} and ${key} in generation ${generationId}`);
      owners.set(partition, key);
    }
    this.maxSyncedGeneration = Math.max(this.maxSyncedGeneration, generationId);
  }

  private onResponse(agent: Agent, effect: GroupEffect, incarnation: number): void {
    if (effect.type === 'respondJoin') this.onJoinResponse(agent, effect.response, incarnation);
    else if (effect.type === 'respondSync') this.onSyncResponse(agent, effect.response);
  }

  private onJoinResponse(agent: Agent, response: JoinGroupResponse, incarnation: number): void {
    switch (response.errorCode) {
      case 'NONE':
        agent.memberId = response.memberId;
        agent.generationId = response.generationId;
        agent.lineage = incarnation;
        agent.nextHeartbeatMs = this.nowMs + HEARTBEAT_MS;
        this.stats.generations = Math.max(this.stats.generations, response.generationId);
        if (response.leaderId === response.memberId && !response.skipAssignment) {
          expect(response.members.length, `seed ${this.seed}: a leader without members`).toBeGreaterThan(0);
          agent.phase = 'assigning';
          agent.leaderMembers = response.members.map((m) => m.memberId);
          for (const memberId of agent.leaderMembers) this.keyOf(memberId);
          // Sometimes the leader takes longer than the session to assign.
          agent.assignAtMs = this.nowMs + (this.faults && this.prng.chance(0.05) ? this.prng.intBetween(200, 500) : this.prng.intBetween(0, 30));
        } else {
          expect(response.members, `seed ${this.seed}: a follower got the member list`).toEqual([]);
          this.sendSync(agent, []);
        }
        return;
      case 'MEMBER_ID_REQUIRED':
        agent.memberId = response.memberId;
        this.sendJoin(agent);
        return;
      case 'UNKNOWN_MEMBER_ID':
      case 'FENCED_INSTANCE_ID':
        this.reset(agent, '');
        return;
      default:
        this.reset(agent, agent.memberId);
    }
  }

  private onSyncResponse(agent: Agent, response: SyncGroupResponse): void {
    switch (response.errorCode) {
      case 'NONE':
        agent.phase = 'stable';
        agent.assignment = decode(response.assignment);
        return;
      case 'UNKNOWN_MEMBER_ID':
      case 'FENCED_INSTANCE_ID':
        this.reset(agent, '');
        return;
      default:
        this.reset(agent, agent.memberId);
    }
  }

  private checkSettled(): void {
    const where = `seed ${this.seed}`;
    const description = this.manager.describeGroup(GROUP);
    const live = this.agents.filter((a) => a.alive);
    expect(description?.state, `${where}: the group settles`).toBe('Stable');
    for (const agent of live) {
      expect(agent.phase, `${where}: ${agent.name} is consuming`).toBe('stable');
      expect(agent.generationId, `${where}: ${agent.name} is in the current generation`).toBe(description?.generationId);
    }
    expect(new Set(description?.members.map((m) => m.memberId)), `${where}: the members are the live consumers`).toEqual(new Set(live.map((a) => a.memberId)));
    const owned = live.flatMap((a) => a.assignment).sort();
    expect(owned, `${where}: every partition owned exactly once`).toEqual([...PARTITIONS].sort());
    const unanswered = [...this.requests.keys()].filter((id) => !this.answered.has(id));
    expect(unanswered, `${where}: every JoinGroup and SyncGroup answered`).toEqual([]);
  }
}

describe('consumer group under random schedules', () => {
  it('keeps generations consistent through crashes, pauses, leaves, slow writes and failovers, then settles', () => {
    const totals = { syncs: 0, commitsAccepted: 0, commitsRejected: 0, failovers: 0, generations: 0 };
    for (let seed = 1; seed <= 300; seed++) {
      const schedule = new Schedule(seed);
      try {
        schedule.run(400, 6_000);
      } catch (error) {
        if (schedule.trace.length > 0) console.log(schedule.trace.join('\n'));
        throw new Error(`reproduce with seed ${seed}: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
      }
      for (const key of Object.keys(totals) as (keyof typeof totals)[]) totals[key] += schedule.stats[key];
    }
    // The schedules exercised what they claim to.
    expect(totals.syncs).toBeGreaterThan(3_000);
    expect(totals.commitsAccepted).toBeGreaterThan(1_000);
    expect(totals.commitsRejected).toBeGreaterThan(100);
    expect(totals.failovers).toBeGreaterThan(100);
  });
});
