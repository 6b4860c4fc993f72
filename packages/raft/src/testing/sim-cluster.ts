import { assert, type Logger, type Prng } from '@eddy/base';
import type { RaftConfig } from '../config.js';
import { bootstrapState, emptyState } from '../core/bootstrap.js';
import type { RaftNodeView } from '../core/raft-node.js';
import type { Membership, NodeId } from '../core/types.js';
import type { Ticker } from '../driver/interfaces.js';
import { RaftDriver } from '../driver/raft-driver.js';
import type { InvariantChecker } from './invariants.js';
import type { Scheduler } from './scheduler.js';
import { type DiskFaults, SimLogStore } from './sim-log-store.js';
import type { SimNetwork } from './sim-network.js';
import { SimStateMachine } from './sim-state-machine.js';

export interface SimClusterOptions {
  readonly voters: readonly NodeId[];
  readonly observers: readonly NodeId[];
  /** Nodes that start empty and outside the membership. */
  readonly spares: readonly NodeId[];
  readonly raftConfig: RaftConfig;
  readonly tickMs: number;
  /** Each node's clock runs fast or slow by up to this fraction (ticks of 10 ± 1 ms at 0.1). */
  readonly clockDrift: number;
  readonly snapshotEveryEntries: number;
  readonly requestTimeoutTicks: number;
  readonly disk: DiskFaults;
  /** Receives the core's and drivers' logs (verbose replays). */
  readonly logger?: Logger;
}

/** One node of the simulated cluster, across its incarnations. */
export interface SimNode {
  readonly id: NodeId;
  readonly store: SimLogStore;
  driver: RaftDriver | undefined;
  stateMachine: SimStateMachine | undefined;
  incarnation: number;
  crashes: number;
}

/** A ticker on the scheduler; a stopped one never fires again. */
class SimTicker implements Ticker {
  private running = false;

  constructor(
    private readonly scheduler: Scheduler,
    private readonly intervalMs: number,
    private readonly phaseMs: number,
  ) {}

  start(onTick: () => void): void {
    this.running = true;
    const fire = (): void => {
      if (!this.running) return;
      onTick();
      this.scheduler.schedule(this.intervalMs, fire);
    };
    this.scheduler.schedule(this.phaseMs, fire);
  }

  stop(): void {
    this.running = false;
  }
}

/**
 * The nodes of one simulation: each runs the real RaftDriver over a SimLogStore, a SimNetwork
 * transport, a SimStateMachine and a SimTicker. Crashing a node stops its driver and tears its
 * store's unsynced tail; restarting builds a new driver from what is durable.
 */
export class SimCluster {
  readonly nodes = new Map<NodeId, SimNode>();
  /** Errors raised inside drivers (assertions in the core, invariant violations in apply). */
  readonly fatalErrors: unknown[] = [];

  constructor(
    private readonly options: SimClusterOptions,
    private readonly scheduler: Scheduler,
    private readonly network: SimNetwork,
    private readonly checker: InvariantChecker,
    private readonly prng: Prng,
  ) {
    const membership: Membership = { voters: options.voters, observers: options.observers };
    for (const id of [...options.voters, ...options.observers]) this.addNode(id, bootstrapState(membership));
    for (const id of options.spares) this.addNode(id, emptyState());
  }

  get ids(): NodeId[] {
    return [...this.nodes.keys()];
  }

  node(id: NodeId): SimNode {
    const node = this.nodes.get(id);
    assert(node !== undefined, `no simulated node ${id}`);
    return node;
  }

  isUp(id: NodeId): boolean {
    return this.node(id).driver !== undefined;
  }

  upIds(): NodeId[] {
    return this.ids.filter((id) => this.isUp(id));
  }

  /** The running nodes, read-only, for the invariant checker. */
  views(): Map<NodeId, RaftNodeView> {
    const views = new Map<NodeId, RaftNodeView>();
    for (const node of this.nodes.values()) if (node.driver !== undefined) views.set(node.id, node.driver.raft);
    return views;
  }

  /** The running leader with the highest term, if any. */
  leader(): RaftDriver | undefined {
    let best: RaftDriver | undefined;
    for (const node of this.nodes.values()) {
      const driver = node.driver;
      if (driver?.raft.isLeader === true && (best === undefined || driver.raft.currentTerm > best.raft.currentTerm)) best = driver;
    }
    return best;
  }

  /** Starts a node from its durable state (the first start, or a restart after a crash). */
  async start(id: NodeId): Promise<void> {
    const node = this.node(id);
    assert(node.driver === undefined, `node ${id} is already running`);
    node.incarnation++;
    const durable = node.store.durableState();
    this.checker.onStart(id, Math.max(durable.hardState.commit, durable.snapshot.meta.index));
    const stateMachine = new SimStateMachine(id, this.checker);
    const transport = this.network.transport(id);
    const { tickMs, clockDrift } = this.options;
    const drift = Math.round(tickMs * clockDrift);
    const ticker = new SimTicker(this.scheduler, tickMs + this.prng.intBetween(-drift, drift), this.prng.intBetween(0, tickMs - 1));
    const driver = await RaftDriver.start({
      id,
      store: node.store,
      transport,
      stateMachine,
      ticker,
      prng: this.prng.fork(),
      config: this.options.raftConfig,
      snapshotEveryEntries: this.options.snapshotEveryEntries,
      requestTimeoutTicks: this.options.requestTimeoutTicks,
      onFatal: (error) => this.fatalErrors.push(error),
      ...(this.options.logger === undefined ? {} : { logger: this.options.logger }),
    });
    node.driver = driver;
    node.stateMachine = stateMachine;
    this.detachers.set(id, () => transport.detach());
  }

  /** Power loss on `id`: the driver stops and the store keeps a random prefix of unsynced writes. */
  crash(id: NodeId): { kept: number; lost: number } {
    const node = this.node(id);
    assert(node.driver !== undefined, `node ${id} is not running`);
    node.driver.stop();
    this.detachers.get(id)?.();
    node.driver = undefined;
    node.stateMachine = undefined;
    node.crashes++;
    return node.store.crash();
  }

  private readonly detachers = new Map<NodeId, () => void>();

  private addNode(id: NodeId, initial: ReturnType<typeof emptyState>): void {
    const store = new SimLogStore(id, initial, this.scheduler, this.prng.fork(), this.options.disk, this.checker);
    this.nodes.set(id, { id, store, driver: undefined, stateMachine: undefined, incarnation: 0, crashes: 0 });
  }
}
