import { assert, Prng } from '@eddy/base';
import { type RaftConfigInput, raftConfig } from '../config.js';
import { bootstrapState, emptyState } from '../core/bootstrap.js';
import type { Message } from '../core/messages.js';
import { RaftNode } from '../core/raft-node.js';
import type { Ready } from '../core/ready.js';
import type { Entry, Membership, NodeId, ReadState, Snapshot } from '../core/types.js';
import { MemoryLogStore } from '../driver/memory-log-store.js';

/** One node of a RaftNetwork: the core, its store and what it applied. */
export interface NetworkNode {
  node: RaftNode;
  readonly store: MemoryLogStore;
  /** Every entry applied since the last restore, in order (the state machine's contents). */
  applied: Entry[];
  readonly readStates: ReadState[];
  up: boolean;
}

export interface RaftNetworkOptions {
  /** The initial voters, bootstrapped with the same membership. */
  readonly voters: readonly NodeId[];
  /** Initial observers (bootstrapped in the membership, holding the same first entry). */
  readonly observers?: readonly NodeId[];
  /** Nodes that start empty, outside the membership (to be added later). */
  readonly spares?: readonly NodeId[];
  readonly config?: RaftConfigInput;
  readonly seed?: number;
}

const text = new TextEncoder();
const untext = new TextDecoder();

/**
 * A synchronous, hand-driven cluster of RaftNodes for scenario tests (etcd's `network`): each
 * node's Ready is persisted to a MemoryLogStore and applied at once, messages queue until a
 * test delivers them, and links can be cut in either direction. Nothing happens unless a test
 * ticks, steps or delivers, so every scenario reads as the exact interleaving it checks.
 */
export class RaftNetwork {
  readonly nodes = new Map<NodeId, NetworkNode>();
  /** Messages sent and not delivered yet, oldest first. */
  queue: Message[] = [];
  /** How many messages of each type reached a running node. */
  readonly deliveredCount = new Map<Message['type'], number>();
  private readonly cut = new Set<string>();
  private readonly config;
  private readonly prng: Prng;

  constructor(options: RaftNetworkOptions) {
    this.config = raftConfig(options.config);
    this.prng = new Prng(options.seed ?? 1);
    const membership: Membership = { voters: options.voters, observers: options.observers ?? [] };
    for (const id of [...options.voters, ...(options.observers ?? [])]) this.add(id, new MemoryLogStore(bootstrapState(membership)));
    for (const id of options.spares ?? []) this.add(id, new MemoryLogStore(emptyState()));
  }

  get(id: NodeId): NetworkNode {
    const member = this.nodes.get(id);
    assert(member !== undefined, `no node ${id}`);
    return member;
  }

  raft(id: NodeId): RaftNode {
    return this.get(id).node;
  }

  /** Ticks a node `count` times, handling its Readies. */
  tick(id: NodeId, count = 1): void {
    for (let i = 0; i < count; i++) {
      const member = this.get(id);
      if (!member.up) return;
      member.node.tick();
      this.processReady(id);
    }
  }

  tickAll(count = 1): void {
    for (let i = 0; i < count; i++) for (const id of this.nodes.keys()) this.tick(id);
  }

  campaign(id: NodeId): void {
    this.raft(id).campaign();
    this.processReady(id);
  }

  propose(id: NodeId, payload: string): ReturnType<RaftNode['propose']> {
    const result = this.raft(id).propose(text.encode(payload));
    this.processReady(id);
    return result;
  }

  /** Runs every node's Ready cycle until none has work left. */
  processReady(id?: NodeId): void {
    const ids = id === undefined ? [...this.nodes.keys()] : [id];
    for (const nodeId of ids) {
      const member = this.get(nodeId);
      while (member.up && member.node.hasReady()) this.handleReady(member, member.node.ready());
    }
  }

  /** Delivers queued messages (and the messages they cause) until the network is quiet. */
  deliverAll(maxMessages = 100_000): void {
    for (let delivered = 0; ; delivered++) {
      assert(delivered < maxMessages, 'the network did not go quiet');
      const message = this.queue.shift();
      if (message === undefined) return;
      this.deliver(message);
    }
  }

  /** Delivers one message now (if its link is up), ignoring queue order. */
  deliver(message: Message): void {
    const target = this.nodes.get(message.to);
    if (target === undefined || !target.up || this.cut.has(link(message.from, message.to))) return;
    this.deliveredCount.set(message.type, (this.deliveredCount.get(message.type) ?? 0) + 1);
    target.node.step(message);
    this.processReady(message.to);
  }

  /** Removes and returns the queued messages matching `predicate` (to hold or reorder them). */
  take(predicate: (message: Message) => boolean): Message[] {
    const taken = this.queue.filter(predicate);
    this.queue = this.queue.filter((m) => !predicate(m));
    return taken;
  }

  /** Drops queued messages matching `predicate`. */
  drop(predicate: (message: Message) => boolean): void {
    this.take(predicate);
  }

  /** Cuts both directions between `a` and each of `others` (default: every other node). */
  isolate(a: NodeId, others: readonly NodeId[] = [...this.nodes.keys()]): void {
    for (const b of others) {
      if (b === a) continue;
      this.cut.add(link(a, b));
      this.cut.add(link(b, a));
    }
  }

  cutOneWay(from: NodeId, to: NodeId): void {
    this.cut.add(link(from, to));
  }

  heal(): void {
    this.cut.clear();
  }

  /** Stops a node; writes it did not sync are lost (every Ready here is synced, so none are). */
  crash(id: NodeId): void {
    const member = this.get(id);
    member.up = false;
    member.store.loseUnsynced(0);
    this.queue = this.queue.filter((m) => m.to !== id && m.from !== id);
  }

  /** Restarts a node from its durable state; the state machine replays from the snapshot. */
  restart(id: NodeId): void {
    const member = this.get(id);
    const state = member.store.durableState();
    member.node = new RaftNode({ id, state, prng: this.prng.fork(), config: this.config });
    member.applied = decodeApplied(state.snapshot);
    member.up = true;
    this.processReady(id);
  }

  /** The application on `id` snapshots its state at the applied index and compacts the log. */
  compact(id: NodeId): void {
    const member = this.get(id);
    member.node.compact(member.node.appliedIndex, encodeApplied(member.applied));
    this.processReady(id);
  }

  /** The one leader with the highest term among running nodes, if any. */
  leader(): NodeId | undefined {
    let best: RaftNode | undefined;
    for (const member of this.nodes.values()) {
      if (member.up && member.node.isLeader && (best === undefined || member.node.currentTerm > best.currentTerm)) best = member.node;
    }
    return best?.id;
  }

  /** The normal entries a node applied, as text. */
  appliedPayloads(id: NodeId): string[] {
    return this.get(id).applied.filter((e) => e.kind === 'normal').map((e) => untext.decode(e.data));
  }

  private add(id: NodeId, store: MemoryLogStore): void {
    const state = store.durableState();
    this.nodes.set(id, {
      node: new RaftNode({ id, state, prng: this.prng.fork(), config: this.config }),
      store,
      applied: [],
      readStates: [],
      up: true,
    });
  }

  private handleReady(member: NetworkNode, ready: Ready): void {
    const { store } = member;
    if (ready.snapshot !== undefined) store.installSnapshot(ready.snapshot);
    if (ready.localSnapshot !== undefined) store.saveSnapshot(ready.localSnapshot);
    if (ready.truncateFrom !== undefined) store.truncateFrom(ready.truncateFrom);
    store.append(ready.entries);
    if (ready.hardState !== undefined) store.setHardState(ready.hardState);
    store.syncNow();
    this.queue.push(...ready.messages);
    if (ready.snapshot !== undefined) member.applied = decodeApplied(ready.snapshot);
    member.applied.push(...ready.committedEntries);
    member.readStates.push(...ready.readStates);
    member.node.advance(ready);
  }
}

function link(from: NodeId, to: NodeId): string {
  return `${from}>${to}`;
}

/** The harness state machine's image: the applied entries themselves. */
function encodeApplied(entries: readonly Entry[]): Uint8Array {
  return text.encode(JSON.stringify(entries.map((e) => [e.index, e.term, e.kind, Array.from(e.data)])));
}

function decodeApplied(snapshot: Snapshot): Entry[] {
  if (snapshot.data.byteLength === 0) return [];
  const rows = JSON.parse(untext.decode(snapshot.data)) as Array<[number, number, Entry['kind'], number[]]>;
  return rows.map(([index, term, kind, data]) => ({ index, term, kind, data: Uint8Array.from(data) }));
}
