import { Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { raftConfig } from '../config.js';
import { bootstrapState } from '../core/bootstrap.js';
import type { Message } from '../core/messages.js';
import type { Entry, HardState, NodeId, Snapshot } from '../core/types.js';
import type { RaftLogStore, StateMachine, Ticker, Transport } from './interfaces.js';
import { MemoryLogStore } from './memory-log-store.js';
import { RaftDriver } from './raft-driver.js';
import type { RaftError } from './raft-error.js';

class ManualTicker implements Ticker {
  private onTick: (() => void) | undefined;
  stopped = false;
  start(onTick: () => void): void {
    this.onTick = onTick;
  }
  stop(): void {
    this.stopped = true;
  }
  tick(): void {
    if (!this.stopped) this.onTick?.();
  }
}

/** Delivers messages asynchronously (a microtask later), with links that can be cut. */
class Hub {
  readonly handlers = new Map<NodeId, (m: Message) => void>();
  readonly cut = new Set<NodeId>();
  readonly sent: Message[] = [];
  transport(id: NodeId, beforeSend?: (m: Message) => void): Transport {
    return {
      send: (message) => {
        beforeSend?.(message);
        this.sent.push(message);
        queueMicrotask(() => {
          if (this.cut.has(message.from) || this.cut.has(message.to)) return;
          this.handlers.get(message.to)?.(message);
        });
      },
      onMessage: (handler) => this.handlers.set(id, handler),
    };
  }
}

class ListStateMachine implements StateMachine {
  applied: string[] = [];
  lastIndex = 0;
  apply(entry: Entry): void {
    this.lastIndex = entry.index;
    if (entry.kind === 'normal') this.applied.push(new TextDecoder().decode(entry.data));
  }
  snapshot(): Uint8Array {
    return new TextEncoder().encode(JSON.stringify(this.applied));
  }
  restore(snapshot: Snapshot): void {
    this.applied = JSON.parse(new TextDecoder().decode(snapshot.data)) as string[];
    this.lastIndex = snapshot.meta.index;
  }
}

/** A store that counts writes not yet covered by a finished sync. */
class CountingStore implements RaftLogStore {
  unsynced = 0;
  failSync = false;
  constructor(readonly inner: MemoryLogStore) {}
  load() {
    return this.inner.load();
  }
  installSnapshot(s: Snapshot): void {
    this.unsynced++;
    this.inner.installSnapshot(s);
  }
  saveSnapshot(s: Snapshot): void {
    this.unsynced++;
    this.inner.saveSnapshot(s);
  }
  truncateFrom(i: number): void {
    this.unsynced++;
    this.inner.truncateFrom(i);
  }
  append(e: readonly Entry[]): void {
    this.unsynced++;
    this.inner.append(e);
  }
  setHardState(h: HardState): void {
    this.unsynced++;
    this.inner.setHardState(h);
  }
  async sync(): Promise<void> {
    await Promise.resolve();
    if (this.failSync) throw new Error('disk on fire');
    await this.inner.sync();
    this.unsynced = 0;
  }
}

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

async function cluster(ids: NodeId[], options: { snapshotEveryEntries?: number; requestTimeoutTicks?: number } = {}) {
  const hub = new Hub();
  const nodes = new Map<NodeId, { driver: RaftDriver; ticker: ManualTicker; store: CountingStore; sm: ListStateMachine }>();
  const sendsWithUnsyncedWrites: Message[] = [];
  for (const id of ids) {
    const store = new CountingStore(new MemoryLogStore(bootstrapState({ voters: ids, observers: [] })));
    const ticker = new ManualTicker();
    const sm = new ListStateMachine();
    const driver = await RaftDriver.start({
      id,
      store,
      transport: hub.transport(id, (m) => {
        if (store.unsynced > 0) sendsWithUnsyncedWrites.push(m);
      }),
      stateMachine: sm,
      ticker,
      prng: new Prng(id),
      config: raftConfig({ electionTimeoutTicks: 10, heartbeatTicks: 1 }),
      ...options,
    });
    nodes.set(id, { driver, ticker, store, sm });
  }
  const tickAll = async (count: number): Promise<void> => {
    for (let i = 0; i < count; i++) {
      for (const node of nodes.values()) node.ticker.tick();
      await settle();
    }
  };
  const get = (id: NodeId) => nodes.get(id)!;
  return { hub, nodes, get, tickAll, sendsWithUnsyncedWrites };
}

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('RaftDriver', () => {
  it('commits and applies a proposal everywhere, resolving with its position', async () => {
    const c = await cluster([1, 2, 3]);
    c.get(1).driver.campaign();
    await settle();
    expect(c.get(1).driver.softState).toEqual({ role: 'leader', leaderId: 1 });
    const committed = await c.get(1).driver.propose(text('hello'));
    expect(committed).toEqual({ index: 3, term: 2 });
    await settle();
    for (const id of [1, 2, 3]) expect(c.get(id).sm.applied).toEqual(['hello']);
    expect(c.sendsWithUnsyncedWrites).toEqual([]);
  });

  it('never sends a message while a write it may depend on is unsynced', async () => {
    const c = await cluster([1, 2, 3]);
    await c.tickAll(40);
    const leader = [1, 2, 3].find((id) => c.get(id).driver.softState.role === 'leader');
    expect(leader).toBeDefined();
    await Promise.all([c.get(leader!).driver.propose(text('a')), c.get(leader!).driver.propose(text('b'))]);
    expect(c.hub.sent.length).toBeGreaterThan(10);
    expect(c.sendsWithUnsyncedWrites).toEqual([]);
  });

  it('refuses a proposal on a follower with the leader it knows', async () => {
    const c = await cluster([1, 2, 3]);
    c.get(1).driver.campaign();
    await settle();
    const error = (await c.get(2).driver.propose(text('x')).catch((e: unknown) => e)) as RaftError;
    expect(error).toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER', leaderId: 1, retriable: true });
  });

  it('serves a linearizable read index on the leader and on a follower', async () => {
    const c = await cluster([1, 2, 3]);
    c.get(1).driver.campaign();
    await settle();
    const { index } = await c.get(1).driver.propose(text('a'));
    const [onLeader, onFollower] = await Promise.all([c.get(1).driver.readIndex(), c.get(3).driver.readIndex()]);
    expect(onLeader).toBeGreaterThanOrEqual(index);
    expect(onFollower).toBeGreaterThanOrEqual(index);
    expect(c.get(3).sm.lastIndex).toBeGreaterThanOrEqual(onFollower);
  });

  it('times out a proposal that cannot commit', async () => {
    const c = await cluster([1, 2, 3], { requestTimeoutTicks: 5 });
    c.get(1).driver.campaign();
    await settle();
    c.hub.cut.add(1);
    const pending = c.get(1).driver.propose(text('lost')).catch((e: unknown) => e);
    for (let i = 0; i < 6; i++) {
      c.get(1).ticker.tick();
      await settle();
    }
    expect(await pending).toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
  });

  it('fails pending requests when stopped', async () => {
    const c = await cluster([1, 2, 3]);
    c.get(1).driver.campaign();
    await settle();
    c.hub.cut.add(1);
    const pending = c.get(1).driver.propose(text('x')).catch((e: unknown) => e);
    c.get(1).driver.stop();
    expect(await pending).toMatchObject({ code: 'NODE_SHUTTING_DOWN' });
    expect(c.get(1).ticker.stopped).toBe(true);
    await expect(c.get(1).driver.propose(text('y'))).rejects.toMatchObject({ code: 'NODE_SHUTTING_DOWN' });
  });

  it('stops on a storage failure and reports it', async () => {
    const failures: unknown[] = [];
    const store = new CountingStore(new MemoryLogStore(bootstrapState({ voters: [1], observers: [] })));
    const driver = await RaftDriver.start({
      id: 1,
      store,
      transport: new Hub().transport(1),
      stateMachine: new ListStateMachine(),
      ticker: new ManualTicker(),
      prng: new Prng(1),
      onFatal: (error) => failures.push(error),
    });
    await settle();
    store.failSync = true;
    driver.campaign();
    await settle();
    expect(driver.isStopped).toBe(true);
    expect(failures).toHaveLength(1);
  });

  it('takes snapshots as it applies, and a restarted node recovers from them', async () => {
    const c = await cluster([1, 2, 3], { snapshotEveryEntries: 3 });
    c.get(1).driver.campaign();
    await settle();
    for (let i = 0; i < 7; i++) await c.get(1).driver.propose(text(`p${i}`));
    await settle();
    const durable = c.get(2).store.inner.durableState();
    expect(durable.snapshot.meta.index).toBeGreaterThan(0);
    c.get(2).driver.stop();
    const sm = new ListStateMachine();
    const restarted = await RaftDriver.start({
      id: 2,
      store: c.get(2).store,
      transport: c.hub.transport(2),
      stateMachine: sm,
      ticker: new ManualTicker(),
      prng: new Prng(2),
    });
    await settle();
    expect(sm.applied).toEqual(['p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6']);
    expect(restarted.status().commit).toBeGreaterThanOrEqual(durable.hardState.commit);
  });
});
