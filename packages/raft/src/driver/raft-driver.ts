import { assert, type Logger, type Prng, silentLogger } from '@eddy/base';
import { type RaftConfig, raftConfig } from '../config.js';
import type { Message } from '../core/messages.js';
import { RaftNode, type RaftNodeView, type RaftStatus } from '../core/raft-node.js';
import type { Ready } from '../core/ready.js';
import type { ConfChange, Entry, NodeId, ReadState, SoftState } from '../core/types.js';
import type { RaftLogStore, StateMachine, Ticker, Transport } from './interfaces.js';
import { RaftError } from './raft-error.js';

export interface RaftDriverOptions {
  readonly id: NodeId;
  readonly store: RaftLogStore;
  readonly transport: Transport;
  readonly stateMachine: StateMachine;
  readonly ticker: Ticker;
  readonly prng: Prng;
  readonly config?: RaftConfig;
  readonly logger?: Logger;
  /** Take a snapshot (and compact the log) after this many applied entries; 0 never does. */
  readonly snapshotEveryEntries?: number;
  /** Proposals and reads without an outcome after this many ticks fail with REQUEST_TIMED_OUT. */
  readonly requestTimeoutTicks?: number;
  /** Told about role and leader changes (after the change is durable). */
  readonly onSoftState?: (softState: SoftState) => void;
  /** Told when the driver stops on a storage failure. */
  readonly onFatal?: (error: unknown) => void;
}

export interface Committed {
  readonly index: number;
  readonly term: number;
}

interface PendingProposal {
  readonly term: number;
  readonly deadlineTick: number;
  readonly resolve: (committed: Committed) => void;
  readonly reject: (error: RaftError) => void;
}

interface PendingRead {
  readonly deadlineTick: number;
  /** Known once the leader confirmed the read. */
  index: number | undefined;
  readonly resolve: (index: number) => void;
  readonly reject: (error: RaftError) => void;
}

const defaultRequestTimeoutTicks = 50;
/** Proposals and reads waiting in one driver; beyond this callers get TOO_MANY_INFLIGHT_REQUESTS. */
const pendingRequestsMax = 65_536;

/**
 * Runs a RaftNode against real (or simulated) storage, network, state machine and time. Each
 * Ready is handled in the order its contract demands: persist, sync, send, apply, advance.
 * Messages, ticks and requests are stepped into the node as they arrive, also while a Ready
 * is being persisted; only the Ready cycle itself is serialized.
 *
 * Proposals resolve once their entry is applied here with the term they were proposed in, and
 * fail as soon as another entry takes their index. Reads resolve with a linearizable index once
 * the state machine has applied it.
 */
export class RaftDriver {
  readonly id: NodeId;
  private readonly node: RaftNode;
  private readonly store: RaftLogStore;
  private readonly transport: Transport;
  private readonly stateMachine: StateMachine;
  private readonly ticker: Ticker;
  private readonly logger: Logger;
  private readonly snapshotEveryEntries: number;
  private readonly requestTimeoutTicks: number;
  private readonly onSoftStateChange: ((softState: SoftState) => void) | undefined;
  private readonly onFatal: ((error: unknown) => void) | undefined;

  private ticks = 0;
  private running = false;
  private stopped = false;
  private lastSnapshotIndex: number;
  private readonly proposals = new Map<number, PendingProposal>();
  private readonly reads = new Map<string, PendingRead>();
  private readSequence = 0;
  private softStateNow: SoftState = { role: 'follower', leaderId: undefined };

  private constructor(options: RaftDriverOptions, node: RaftNode, snapshotIndex: number) {
    this.id = options.id;
    this.node = node;
    this.store = options.store;
    this.transport = options.transport;
    this.stateMachine = options.stateMachine;
    this.ticker = options.ticker;
    this.logger = (options.logger ?? silentLogger).child({ component: 'raft-driver', nodeId: options.id });
    this.snapshotEveryEntries = options.snapshotEveryEntries ?? 0;
    this.requestTimeoutTicks = options.requestTimeoutTicks ?? defaultRequestTimeoutTicks;
    this.onSoftStateChange = options.onSoftState;
    this.onFatal = options.onFatal;
    this.lastSnapshotIndex = snapshotIndex;
    assert(Number.isInteger(this.snapshotEveryEntries) && this.snapshotEveryEntries >= 0, 'snapshotEveryEntries must be a non-negative integer');
    assert(Number.isInteger(this.requestTimeoutTicks) && this.requestTimeoutTicks > 0, 'requestTimeoutTicks must be a positive integer');
  }

  /** Loads the durable state, restores the state machine from its snapshot and starts ticking. */
  static async start(options: RaftDriverOptions): Promise<RaftDriver> {
    const state = await options.store.load();
    if (state.snapshot.meta.index > 0) options.stateMachine.restore(state.snapshot);
    const node = new RaftNode({
      id: options.id,
      state,
      prng: options.prng,
      config: options.config ?? raftConfig(),
      ...(options.logger === undefined ? {} : { logger: options.logger }),
    });
    const driver = new RaftDriver(options, node, state.snapshot.meta.index);
    options.transport.onMessage((message) => driver.receive(message));
    options.ticker.start(() => driver.tick());
    driver.pump();
    return driver;
  }

  // ---------------------------------------------------------------------------------------
  // Requests

  /** Proposes an entry; resolves once it is committed and applied on this node. */
  propose(data: Uint8Array): Promise<Committed> {
    const refused = this.refuseWhenUnavailable();
    if (refused !== undefined) return Promise.reject(refused);
    const result = this.node.propose(data);
    return this.awaitProposal(result);
  }

  /** Proposes a single-server membership change; resolves once it is committed and applied. */
  proposeConfChange(change: ConfChange): Promise<Committed> {
    const refused = this.refuseWhenUnavailable();
    if (refused !== undefined) return Promise.reject(refused);
    return this.awaitProposal(this.node.proposeConfChange(change));
  }

  /**
   * Resolves with an index such that every write committed before the call is at or below it,
   * once this node's state machine has applied it: reading the state machine then is
   * linearizable.
   */
  readIndex(): Promise<number> {
    const refused = this.refuseWhenUnavailable();
    if (refused !== undefined) return Promise.reject(refused);
    const sequence = ++this.readSequence;
    const context = encodeReadContext(sequence);
    const result = this.node.readIndex(context);
    if (!result.ok) return Promise.reject(RaftError.fromRefusal(result));
    const promise = new Promise<number>((resolve, reject) => {
      this.reads.set(String(sequence), { deadlineTick: this.ticks + this.requestTimeoutTicks, index: undefined, resolve, reject });
    });
    this.pump();
    return promise;
  }

  transferLeadership(to: NodeId): void {
    const result = this.node.transferLeadership(to);
    if (!result.ok) throw RaftError.fromRefusal(result);
    this.pump();
  }

  /** Starts an election now (tests, operator tools). */
  campaign(): void {
    this.node.campaign();
    this.pump();
  }

  status(): RaftStatus {
    return this.node.status();
  }

  /** The node, read-only (for inspection; requests go through the driver). */
  get raft(): RaftNodeView {
    return this.node;
  }

  get softState(): SoftState {
    return this.softStateNow;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  /**
   * Stops ticking, receiving and sending; pending requests fail with NODE_SHUTTING_DOWN. A
   * Ready being persisted is abandoned after its sync: nothing more is sent or applied.
   */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.ticker.stop();
    this.failAll(new RaftError('NODE_SHUTTING_DOWN', `raft node ${this.id} stopped`));
  }

  // ---------------------------------------------------------------------------------------
  // Inputs

  /** Steps a message from the transport. */
  receive(message: Message): void {
    if (this.stopped) return;
    this.node.step(message);
    this.pump();
  }

  private tick(): void {
    if (this.stopped) return;
    this.ticks++;
    this.node.tick();
    this.expireRequests();
    this.pump();
  }

  // ---------------------------------------------------------------------------------------
  // The Ready cycle

  private pump(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.run().then(
      () => {
        this.running = false;
        // Inputs that arrived while the last sync was in flight may have left work behind.
        if (!this.stopped && this.node.hasReady()) this.pump();
      },
      (error: unknown) => {
        this.running = false;
        this.fail(error);
      },
    );
  }

  private async run(): Promise<void> {
    while (!this.stopped && this.node.hasReady()) {
      const ready = this.node.ready();
      this.persist(ready);
      if (ready.mustSync) await this.store.sync();
      // A crash or stop during the sync: whatever it made durable stays, nothing is sent.
      if (this.stopped) return;
      for (const message of ready.messages) this.transport.send(message);
      if (ready.snapshot !== undefined) this.restoreSnapshot(ready);
      for (const entry of ready.committedEntries) this.applyEntry(entry);
      this.node.advance(ready);
      this.onReadStates(ready.readStates);
      if (ready.softState !== undefined) this.onSoftState(ready.softState);
      this.maybeSnapshot();
    }
  }

  private persist(ready: Ready): void {
    if (ready.snapshot !== undefined) this.store.installSnapshot(ready.snapshot);
    if (ready.localSnapshot !== undefined) this.store.saveSnapshot(ready.localSnapshot);
    if (ready.truncateFrom !== undefined) this.store.truncateFrom(ready.truncateFrom);
    if (ready.entries.length > 0) this.store.append(ready.entries);
    if (ready.hardState !== undefined) this.store.setHardState(ready.hardState);
  }

  private restoreSnapshot(ready: Ready): void {
    const snapshot = ready.snapshot;
    assert(snapshot !== undefined, 'restoring without a snapshot');
    this.stateMachine.restore(snapshot);
    this.lastSnapshotIndex = snapshot.meta.index;
    // Proposals the snapshot covers may or may not be in it: their outcome is unknown here.
    for (const [index, proposal] of this.proposals) {
      if (index > snapshot.meta.index) continue;
      this.proposals.delete(index);
      proposal.reject(new RaftError('REQUEST_TIMED_OUT', `proposal at ${index} was overtaken by a snapshot; its outcome is unknown`));
    }
  }

  private applyEntry(entry: Entry): void {
    this.stateMachine.apply(entry);
    const proposal = this.proposals.get(entry.index);
    if (proposal !== undefined) {
      this.proposals.delete(entry.index);
      if (proposal.term === entry.term) proposal.resolve({ index: entry.index, term: entry.term });
      else proposal.reject(new RaftError('NOT_LEADER_OR_FOLLOWER', `proposal at ${entry.index} was replaced by another leader's entry`));
    }
  }

  private onReadStates(readStates: readonly ReadState[]): void {
    for (const readState of readStates) {
      const read = this.reads.get(decodeReadContext(readState.context));
      if (read !== undefined) read.index = readState.index;
    }
    const applied = this.node.appliedIndex;
    for (const [key, read] of this.reads) {
      if (read.index !== undefined && read.index <= applied) {
        this.reads.delete(key);
        read.resolve(read.index);
      }
    }
  }

  private onSoftState(softState: SoftState): void {
    this.softStateNow = softState;
    this.onSoftStateChange?.(softState);
  }

  private maybeSnapshot(): void {
    if (this.snapshotEveryEntries === 0) return;
    const applied = this.node.appliedIndex;
    if (applied - this.lastSnapshotIndex < this.snapshotEveryEntries) return;
    this.node.compact(applied, this.stateMachine.snapshot());
    this.lastSnapshotIndex = applied;
  }

  // ---------------------------------------------------------------------------------------
  // Requests bookkeeping

  private awaitProposal(result: ReturnType<RaftNode['propose']>): Promise<Committed> {
    if (!result.ok) return Promise.reject(RaftError.fromRefusal(result));
    const promise = new Promise<Committed>((resolve, reject) => {
      this.proposals.set(result.index, { term: result.term, deadlineTick: this.ticks + this.requestTimeoutTicks, resolve, reject });
    });
    this.pump();
    return promise;
  }

  private refuseWhenUnavailable(): RaftError | undefined {
    if (this.stopped) return new RaftError('NODE_SHUTTING_DOWN', `raft node ${this.id} stopped`);
    if (this.proposals.size + this.reads.size >= pendingRequestsMax) {
      return new RaftError('TOO_MANY_INFLIGHT_REQUESTS', `${pendingRequestsMax} raft requests are pending`);
    }
    return undefined;
  }

  private expireRequests(): void {
    for (const [index, proposal] of this.proposals) {
      if (proposal.deadlineTick > this.ticks) continue;
      this.proposals.delete(index);
      proposal.reject(new RaftError('REQUEST_TIMED_OUT', `proposal at ${index} has no outcome after ${this.requestTimeoutTicks} ticks; it may still commit`));
    }
    for (const [key, read] of this.reads) {
      if (read.deadlineTick > this.ticks) continue;
      this.reads.delete(key);
      read.reject(new RaftError('REQUEST_TIMED_OUT', `read index not confirmed after ${this.requestTimeoutTicks} ticks`));
    }
  }

  private failAll(error: RaftError): void {
    for (const proposal of this.proposals.values()) proposal.reject(error);
    for (const read of this.reads.values()) read.reject(error);
    this.proposals.clear();
    this.reads.clear();
  }

  private fail(error: unknown): void {
    this.logger.error({ error }, 'raft driver stopped on a failure');
    this.stop();
    this.onFatal?.(error);
  }
}

function encodeReadContext(sequence: number): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, sequence);
  return bytes;
}

function decodeReadContext(context: Uint8Array): string {
  if (context.byteLength !== 8) return '';
  return String(new DataView(context.buffer, context.byteOffset, 8).getFloat64(0));
}
