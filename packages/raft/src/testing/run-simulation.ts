import { AssertionError, type LogFn, type Logger, Prng } from '@eddy/base';
import { type RaftConfig, raftConfig } from '../config.js';
import type { ConfChange, NodeId } from '../core/types.js';
import type { RaftDriver } from '../driver/raft-driver.js';
import { InvariantChecker, InvariantViolation } from './invariants.js';
import { Scheduler } from './scheduler.js';
import { SimCluster } from './sim-cluster.js';
import type { DiskFaults } from './sim-log-store.js';
import { type NetworkFaults, SimNetwork } from './sim-network.js';
import { encodeProposal } from './sim-state-machine.js';

export interface SimulationOptions {
  readonly seed: number;
  /** Initial voters (1–5); derived from the seed when absent. */
  readonly voters?: number;
  /** Length of the fault phase in simulated ms; derived from the seed when absent. */
  readonly safetyMs?: number;
  /** After the faults heal, a leader must commit new proposals everywhere within this time. */
  readonly livenessBudgetMs?: number;
  /** Receives a line per notable event (crashes, partitions, leaders, changes); for replays. */
  readonly log?: (line: string) => void;
}

/** Everything a seed decides about a run, printed with a failure. */
export interface SimulationProfile {
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  readonly spares: readonly NodeId[];
  readonly network: NetworkFaults;
  readonly disk: DiskFaults;
  readonly crashEveryMs: number;
  /** The chance that a node loses power while one of its syncs is in flight. */
  readonly crashDuringSyncRate: number;
  readonly partitionEveryMs: number;
  readonly proposeEveryMs: number;
  readonly readEveryMs: number;
  readonly confChangeEveryMs: number;
  readonly snapshotEveryEntries: number;
  readonly safetyMs: number;
  readonly tickMs: number;
  readonly clockDrift: number;
  readonly transferEveryMs: number;
  readonly raft: RaftConfig;
}

export interface SimulationStats {
  events: number;
  simulatedMs: number;
  proposals: number;
  acknowledged: number;
  reads: number;
  readsServed: number;
  crashes: number;
  tornTails: number;
  snapshotsInstalled: number;
  truncations: number;
  partitions: number;
  confChanges: number;
  confChangesCommitted: number;
  transfers: number;
  leaderTerms: number;
  committedIndex: number;
  messagesSent: number;
  messagesDropped: number;
}

export interface SimulationFailure {
  readonly invariant: string;
  readonly message: string;
  readonly atMs: number;
}

export interface SimulationResult {
  readonly seed: number;
  readonly ok: boolean;
  readonly failure: SimulationFailure | undefined;
  readonly profile: SimulationProfile;
  readonly stats: SimulationStats;
}

const never = Number.POSITIVE_INFINITY;
const livenessProposals = 3;
const livenessPollMs = 10;
/** Events due at one instant beyond which the run is stuck in a zero-delay loop. */
const sameTimeEventsMax = 100_000;

/** Draws a run's shape from its seed: cluster, fault rates, workload and Raft limits. */
export function simulationProfile(options: SimulationOptions): SimulationProfile {
  const prng = new Prng(options.seed);
  const voterCount = options.voters ?? prng.intBetween(1, 5);
  const observerCount = prng.chance(0.25) ? 1 : 0;
  const spareCount = prng.intBetween(0, 2);
  const ids = Array.from({ length: voterCount + observerCount + spareCount }, (_, i) => i + 1);
  const electionTimeoutTicks = prng.pick([5, 10, 10, 20]);
  const heartbeatTicks = Math.max(1, Math.min(prng.pick([1, 2, 3]), Math.floor(electionTimeoutTicks / 3)));
  const appendBytesMax = prng.pick([64, 1024, 1024 * 1024]);
  const confChangeEveryMs = prng.pick([never, 600, 200]);
  let preVote = prng.chance(0.8);
  let checkQuorum = prng.chance(0.8);
  // Without either, a removed node that missed its removal keeps deposing leaders with higher
  // terms (Raft thesis §4.2.3): no liveness to check. The broker always enables both.
  if (confChangeEveryMs !== never && !preVote && !checkQuorum) {
    if (prng.chance(0.5)) preVote = true;
    else checkQuorum = true;
  }
  return {
    voters: ids.slice(0, voterCount),
    observers: ids.slice(voterCount, voterCount + observerCount),
    spares: ids.slice(voterCount + observerCount),
    network: {
      lossRate: prng.pick([0, 0, 0.01, 0.05, 0.15, 0.3]),
      duplicateRate: prng.pick([0, 0.01, 0.05, 0.2]),
      delayMinMs: 1,
      delayMaxMs: prng.pick([1, 4, 15, 40, 120]),
    },
    disk: { syncDelayMaxMs: prng.pick([0, 1, 5, 20]) },
    crashEveryMs: prng.pick([never, 3000, 1000, 400]),
    crashDuringSyncRate: prng.pick([0, 0, 0.002, 0.01]),
    partitionEveryMs: prng.pick([never, 2000, 800, 300]),
    proposeEveryMs: prng.pick([5, 20, 60]),
    readEveryMs: prng.pick([never, 50, 150]),
    confChangeEveryMs,
    snapshotEveryEntries: prng.pick([0, 3, 10, 40]),
    safetyMs: options.safetyMs ?? prng.intBetween(1000, 3000),
    tickMs: 10,
    clockDrift: prng.pick([0, 0.1, 0.3]),
    transferEveryMs: prng.pick([never, 1000, 300]),
    raft: raftConfig({
      electionTimeoutTicks,
      heartbeatTicks,
      preVote,
      checkQuorum,
      appendEntriesMax: prng.pick([1, 4, 64]),
      appendBytesMax,
      inflightAppendsMax: prng.pick([1, 2, 16]),
      inflightBytesMax: Math.max(appendBytesMax, prng.pick([256, 1024 * 1024])),
      proposalBytesMax: 64,
      uncommittedBytesMax: prng.pick([256, 1024 * 1024]),
      applyBytesMax: prng.pick([64, 1024 * 1024]),
      snapshotChunkBytes: prng.pick([16, 100, 4096]),
      readIndexPendingMax: 64,
      catchUpEntriesMax: prng.pick([0, 5, 10_000]),
    }),
  };
}

export function describeProfile(profile: SimulationProfile): string {
  const { network, raft } = profile;
  const every = (ms: number): string => (ms === never ? 'never' : `~${ms}ms`);
  return [
    `voters [${profile.voters.join(',')}] observers [${profile.observers.join(',')}] spares [${profile.spares.join(',')}]`,
    `network loss ${network.lossRate} dup ${network.duplicateRate} delay ${network.delayMinMs}-${network.delayMaxMs}ms; sync ≤${profile.disk.syncDelayMaxMs}ms`,
    `clock drift ${profile.clockDrift} transfer ${every(profile.transferEveryMs)} crash ${every(profile.crashEveryMs)} (during sync ${profile.crashDuringSyncRate}) partition ${every(profile.partitionEveryMs)} propose ${every(profile.proposeEveryMs)} read ${every(profile.readEveryMs)} membership ${every(profile.confChangeEveryMs)} snapshot every ${profile.snapshotEveryEntries || 'never'}`,
    `raft election ${raft.electionTimeoutTicks}t heartbeat ${raft.heartbeatTicks}t preVote ${raft.preVote} checkQuorum ${raft.checkQuorum} append ≤${raft.appendEntriesMax}/${raft.appendBytesMax}B inflight ≤${raft.inflightAppendsMax} chunk ${raft.snapshotChunkBytes}B`,
    `safety phase ${profile.safetyMs}ms`,
  ].join('\n');
}

/**
 * One seeded run of a whole cluster on the real driver and core: a safety phase with every
 * fault the profile allows (loss, delay, reordering, duplication, partitions, crashes with torn
 * tails, membership changes, compaction), then a liveness phase with the faults healed in
 * which a leader must commit fresh proposals on every member within the budget. Invariants are
 * checked after every event. The same seed replays the same run exactly.
 */
export async function runSimulation(options: SimulationOptions): Promise<SimulationResult> {
  const profile = simulationProfile(options);
  const prng = new Prng(options.seed).fork();
  const log = options.log;
  const scheduler = new Scheduler();
  const network = new SimNetwork(scheduler, prng.fork(), { ...profile.network });
  const checker = new InvariantChecker();
  const cluster = new SimCluster(
    {
      voters: profile.voters,
      observers: profile.observers,
      spares: profile.spares,
      raftConfig: profile.raft,
      tickMs: profile.tickMs,
      clockDrift: profile.clockDrift,
      snapshotEveryEntries: profile.snapshotEveryEntries,
      requestTimeoutTicks: 4 * profile.raft.electionTimeoutTicks,
      disk: profile.disk,
      ...(log === undefined ? {} : { logger: lineLogger((line) => note(line)) }),
    },
    scheduler,
    network,
    checker,
    prng.fork(),
  );
  const workload = prng.fork();
  const faults = prng.fork();
  const stats: SimulationStats = {
    events: 0,
    simulatedMs: 0,
    proposals: 0,
    acknowledged: 0,
    reads: 0,
    readsServed: 0,
    crashes: 0,
    tornTails: 0,
    snapshotsInstalled: 0,
    truncations: 0,
    partitions: 0,
    confChanges: 0,
    confChangesCommitted: 0,
    transfers: 0,
    leaderTerms: 0,
    committedIndex: 0,
    messagesSent: 0,
    messagesDropped: 0,
  };
  const failures: unknown[] = [];
  const note = (line: string): void => log?.(`${String(scheduler.now).padStart(6)}ms ${line}`);
  let phase = 'safety' as 'safety' | 'liveness' | 'done';
  let proposalIds = 0;

  /** Runs `action` now and then, at intervals around `meanMs`, while the safety phase lasts. */
  const repeat = (meanMs: number, action: () => void): void => {
    if (meanMs === never) return;
    const next = (): void => {
      if (phase !== 'safety') return;
      action();
      scheduler.schedule(faults.intBetween(1, 2 * meanMs), next);
    };
    scheduler.schedule(faults.intBetween(1, 2 * meanMs), next);
  };

  /** Guards callbacks that run in promise continuations, where a throw would go unseen. */
  const guarded = (fn: () => void): void => {
    try {
      fn();
    } catch (error) {
      failures.push(error);
    }
  };

  const propose = (driver: RaftDriver, id: number, onAck?: () => void): void => {
    stats.proposals++;
    driver.propose(encodeProposal(id, workload.intBetween(0, 40))).then(
      (committed) =>
        guarded(() => {
          stats.acknowledged++;
          checker.onAck(id, committed.index, committed.term);
          onAck?.();
        }),
      () => undefined,
    );
  };

  const pickTarget = (): RaftDriver | undefined => {
    const leader = cluster.leader();
    if (leader !== undefined && workload.chance(0.8)) return leader;
    const up = cluster.upIds();
    return up.length === 0 ? undefined : cluster.node(workload.pick(up)).driver;
  };

  const read = (driver: RaftDriver): void => {
    stats.reads++;
    const mustCover = checker.onReadStart();
    driver.readIndex().then(
      (index) =>
        guarded(() => {
          stats.readsServed++;
          checker.onReadDone(driver.id, mustCover, index, driver.raft.appliedIndex);
        }),
      () => undefined,
    );
  };

  const changeMembership = (): void => {
    const leader = cluster.leader();
    if (leader === undefined) return;
    const { voters, observers } = leader.raft.membership();
    const others = cluster.ids.filter((id) => !voters.includes(id) && !observers.includes(id));
    const options: ConfChange[] = [];
    for (const id of others) options.push({ type: 'addVoter', nodeId: id }, { type: 'addObserver', nodeId: id });
    for (const id of observers) options.push({ type: 'addVoter', nodeId: id }, { type: 'removeObserver', nodeId: id });
    if (voters.length > 1) for (const id of voters) options.push({ type: 'removeVoter', nodeId: id });
    if (options.length === 0) return;
    const change = faults.pick(options);
    stats.confChanges++;
    leader.proposeConfChange(change).then(
      () => {
        stats.confChangesCommitted++;
        note(`membership ${change.type} ${change.nodeId} committed`);
      },
      () => undefined,
    );
    note(`leader ${leader.id} proposes ${change.type} ${change.nodeId}`);
  };

  const transfer = (): void => {
    const leader = cluster.leader();
    if (leader === undefined) return;
    const voters = leader.raft.membership().voters.filter((id) => id !== leader.id);
    if (voters.length === 0) return;
    const to = faults.pick(voters);
    stats.transfers++;
    note(`leader ${leader.id} transfers leadership to ${to}`);
    try {
      leader.transferLeadership(to);
    } catch {
      // Refused (a transfer under way, or the target just left): nothing to do.
    }
  };

  const crashOne = (): void => {
    const up = cluster.upIds();
    if (up.length > 0) crash(faults.pick(up));
  };

  const crash = (id: NodeId): void => {
    const { kept, lost } = cluster.crash(id);
    stats.crashes++;
    note(`crash node ${id} (unsynced writes kept ${kept}, lost ${lost})`);
    scheduler.schedule(faults.intBetween(20, 1500), () => {
      if (phase === 'safety' && !cluster.isUp(id)) {
        note(`restart node ${id}`);
        void cluster.start(id).catch((error: unknown) => failures.push(error));
      }
    });
  };

  for (const node of cluster.nodes.values()) {
    node.store.onSyncStart = (delayMs) => {
      if (phase !== 'safety' || !faults.chance(profile.crashDuringSyncRate)) return;
      scheduler.schedule(faults.intBetween(0, delayMs), () => {
        if (phase === 'safety' && cluster.isUp(node.id)) crash(node.id);
      });
    };
  }

  const partition = (): void => {
    const ids = cluster.ids;
    stats.partitions++;
    const kind = faults.intBetween(0, 3);
    if (kind === 0 || ids.length < 3) {
      const id = kind === 0 && cluster.leader() !== undefined ? (cluster.leader()?.id ?? faults.pick(ids)) : faults.pick(ids);
      network.partition([id], ids.filter((other) => other !== id));
      note(`isolate node ${id}`);
    } else if (kind === 1) {
      const shuffled = faults.shuffle(ids);
      const cut = faults.intBetween(1, ids.length - 1);
      network.partition(shuffled.slice(0, cut), shuffled.slice(cut));
      note(`partition [${shuffled.slice(0, cut).join(',')}] | [${shuffled.slice(cut).join(',')}]`);
    } else {
      const links = faults.intBetween(1, ids.length);
      const described: string[] = [];
      for (let i = 0; i < links; i++) {
        const from = faults.pick(ids);
        const to = faults.pick(ids.filter((id) => id !== from));
        network.cutLink(from, to);
        described.push(`${from}->${to}`);
      }
      note(`cut links ${described.join(' ')}`);
    }
    scheduler.schedule(faults.intBetween(50, 1500), () => {
      if (phase === 'safety' && network.cutLinks > 0) {
        network.heal();
        note('heal network');
      }
    });
  };

  // Liveness: after the heal, a leader must acknowledge fresh proposals and every member of its
  // membership must apply them, within the budget.
  const livenessBudgetMs = options.livenessBudgetMs ?? 10_000;
  let livenessDeadline = never;
  const livenessAcked = new Set<number>();
  const livenessInFlight = new Set<number>();
  const livenessIds: number[] = [];
  let livenessOutcome = 'pending' as 'pending' | 'passed';

  const startLiveness = (): void => {
    phase = 'liveness';
    network.heal();
    network.faults = { lossRate: 0, duplicateRate: 0, delayMinMs: 1, delayMaxMs: Math.max(1, Math.floor((profile.tickMs * profile.raft.electionTimeoutTicks) / 10)) };
    note('liveness phase: faults healed, every node restarted');
    for (const id of cluster.ids) if (!cluster.isUp(id)) void cluster.start(id).catch((error: unknown) => failures.push(error));
    livenessDeadline = scheduler.now + livenessBudgetMs;
    for (let i = 0; i < livenessProposals; i++) livenessIds.push(++proposalIds);
    scheduler.schedule(livenessPollMs, pollLiveness);
  };

  const pollLiveness = (): void => {
    if (phase !== 'liveness') return;
    const leader = cluster.leader();
    if (leader !== undefined) {
      for (const id of livenessIds) {
        if (livenessAcked.has(id) || livenessInFlight.has(id)) continue;
        livenessInFlight.add(id);
        stats.proposals++;
        leader.propose(encodeProposal(id, 8)).then(
          (committed) =>
            guarded(() => {
              stats.acknowledged++;
              checker.onAck(id, committed.index, committed.term);
              livenessAcked.add(id);
              livenessInFlight.delete(id);
            }),
          () => livenessInFlight.delete(id),
        );
      }
      if (livenessAcked.size === livenessIds.length && hasConverged(leader)) {
        livenessOutcome = 'passed';
        phase = 'done';
        note(`liveness reached: leader ${leader.id} term ${leader.raft.currentTerm} commit ${leader.raft.commitIndex}, every member applied it`);
        return;
      }
    }
    scheduler.schedule(livenessPollMs, pollLiveness);
  };

  const hasConverged = (leader: RaftDriver): boolean => {
    const { voters, observers } = leader.raft.membership();
    const target = leader.raft.commitIndex;
    for (const id of [...voters, ...observers]) {
      const node = cluster.nodes.get(id);
      if (node?.driver === undefined || node.driver.raft.appliedIndex < target) return false;
    }
    return true;
  };

  let failure: SimulationFailure | undefined;
  const recordFailure = (error: unknown): void => {
    if (failure !== undefined) return;
    if (error instanceof InvariantViolation) failure = { invariant: error.invariant, message: error.message, atMs: scheduler.now };
    else if (error instanceof AssertionError) failure = { invariant: 'assertion', message: error.stack ?? error.message, atMs: scheduler.now };
    else failure = { invariant: 'crash', message: error instanceof Error ? (error.stack ?? error.message) : String(error), atMs: scheduler.now };
  };

  note(`start: ${describeProfile(profile).replaceAll('\n', '; ')}`);
  const roles = new Map<NodeId, string>();
  let lastEventMs = -1;
  let eventsAtSameMs = 0;
  try {
    for (const id of cluster.ids) await cluster.start(id);
    repeat(profile.proposeEveryMs, () => {
      const target = pickTarget();
      if (target !== undefined) propose(target, ++proposalIds);
    });
    repeat(profile.readEveryMs, () => {
      const target = pickTarget();
      if (target !== undefined) read(target);
    });
    repeat(profile.confChangeEveryMs, changeMembership);
    repeat(profile.crashEveryMs, crashOne);
    repeat(profile.transferEveryMs, transfer);
    repeat(profile.partitionEveryMs, partition);
    scheduler.schedule(profile.safetyMs, startLiveness);

    while (phase !== 'done') {
      if (scheduler.now > livenessDeadline) {
        const leader = cluster.leader();
        const state = cluster.ids
          .map((id) => {
            const raft = cluster.node(id).driver?.raft;
            return raft === undefined ? `${id}:down` : `${id}:${raft.status().role}@${raft.currentTerm} commit ${raft.commitIndex} applied ${raft.appliedIndex}`;
          })
          .join('; ');
        failure = {
          invariant: 'liveness',
          message: `no progress within ${livenessBudgetMs}ms after the heal (leader ${leader?.id ?? 'none'}, acknowledged ${livenessAcked.size}/${livenessIds.length}; ${state})`,
          atMs: scheduler.now,
        };
        break;
      }
      if (!scheduler.runNext()) break;
      stats.events++;
      if (scheduler.now === lastEventMs) {
        if (++eventsAtSameMs > sameTimeEventsMax) {
          failure = { invariant: 'livelock', message: `more than ${sameTimeEventsMax} events at ${scheduler.now}ms: time stopped advancing`, atMs: scheduler.now };
          break;
        }
      } else {
        lastEventMs = scheduler.now;
        eventsAtSameMs = 0;
      }
      await flushMicrotasks();
      const fatal = cluster.fatalErrors[0] ?? failures[0];
      if (fatal !== undefined) {
        recordFailure(fatal);
        break;
      }
      checker.afterEvent(cluster.views());
      if (log !== undefined) traceRoles(cluster, roles, note);
    }
    if (failure === undefined && livenessOutcome === 'passed') checker.checkAcknowledged();
  } catch (error) {
    recordFailure(error);
  }
  for (const id of cluster.ids) if (cluster.isUp(id)) cluster.crash(id);
  stats.simulatedMs = scheduler.now;
  stats.leaderTerms = checker.leaderTerms;
  stats.committedIndex = checker.committedIndexMax;
  stats.messagesSent = network.stats.sent;
  stats.messagesDropped = network.stats.dropped;
  for (const node of cluster.nodes.values()) {
    stats.tornTails += node.store.stats.tornTails;
    stats.snapshotsInstalled += node.store.stats.snapshotsInstalled;
    stats.truncations += node.store.stats.truncations;
  }
  if (failure === undefined && livenessOutcome !== 'passed') {
    failure = { invariant: 'liveness', message: 'the simulation ran out of events before the liveness phase passed', atMs: scheduler.now };
  }
  if (failure !== undefined) note(`FAILED ${failure.invariant}: ${failure.message}`);
  return { seed: options.seed, ok: failure === undefined, failure, profile, stats };
}

/** A Logger that renders each line with its bound fields, for verbose replays. */
function lineLogger(write: (line: string) => void, bindings: Record<string, unknown> = {}): Logger {
  const nodeId = bindings['nodeId'];
  const prefix = typeof nodeId === 'number' ? `[${nodeId}] ` : '';
  const at =
    (level: string): LogFn =>
    (first: string | Record<string, unknown>, message?: string): void => {
      if (level === 'trace') return;
      if (typeof first === 'string') write(`${prefix}${first}`);
      else write(`${prefix}${message ?? ''} ${JSON.stringify(first)}`);
    };
  return {
    error: at('error'),
    warn: at('warn'),
    info: at('info'),
    debug: at('debug'),
    trace: at('trace'),
    child: (more) => lineLogger(write, { ...bindings, ...more }),
  };
}

/** Lets every promise continuation (driver Ready cycles, acknowledgements) run before the next event. */
function flushMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

function traceRoles(cluster: SimCluster, roles: Map<NodeId, string>, note: (line: string) => void): void {
  for (const id of cluster.ids) {
    const raft = cluster.node(id).driver?.raft;
    const now = raft === undefined ? 'down' : `${raft.status().role} term ${raft.currentTerm}`;
    if (roles.get(id) !== now) {
      roles.set(id, now);
      if (raft !== undefined) note(`node ${id} is ${now}`);
    }
  }
}
