import type { Prng } from '@eddy/base';
import type { Entry, HardState, NodeId, PersistedState, Snapshot } from '../core/types.js';
import type { RaftLogStore } from '../driver/interfaces.js';
import { MemoryLogStore } from '../driver/memory-log-store.js';
import type { Scheduler } from './scheduler.js';

export interface DiskFaults {
  /** Each sync completes after a uniform delay in [0, syncDelayMaxMs]. */
  syncDelayMaxMs: number;
}

export interface DiskStats {
  syncs: number;
  truncations: number;
  snapshotsInstalled: number;
  snapshotsSaved: number;
  /** Crashes that lost at least one unsynced write. */
  tornTails: number;
}

export interface StoreObserver {
  /** An entry was written after an entry of term `prevTerm` (checked for Log Matching). */
  onAppend(nodeId: NodeId, entry: Entry, prevTerm: number): void;
}

/**
 * A node's disk in the simulator: a MemoryLogStore whose syncs take simulated time. A crash
 * keeps a random prefix of the unsynced writes (a torn tail) and forgets syncs in flight; the
 * next incarnation of the node sees only what landed.
 */
export class SimLogStore implements RaftLogStore {
  private readonly disk: MemoryLogStore;
  /** Bumped by every crash, so a sync scheduled before it cannot land writes after it. */
  private epoch = 0;
  private readonly shadow = new TermShadow();
  readonly stats: DiskStats = { syncs: 0, truncations: 0, snapshotsInstalled: 0, snapshotsSaved: 0, tornTails: 0 };
  /** Called as a sync starts, with its completion delay (a fault injector may crash the node meanwhile). */
  onSyncStart: ((delayMs: number) => void) | undefined = undefined;

  constructor(
    readonly nodeId: NodeId,
    initial: PersistedState,
    private readonly scheduler: Scheduler,
    private readonly prng: Prng,
    private readonly faults: DiskFaults,
    private readonly observer: StoreObserver,
  ) {
    this.disk = new MemoryLogStore(initial);
    this.shadow.reset(initial);
  }

  load(): Promise<PersistedState> {
    return this.disk.load();
  }

  durableState(): PersistedState {
    return this.disk.durableState();
  }

  installSnapshot(snapshot: Snapshot): void {
    this.disk.installSnapshot(snapshot);
    this.stats.snapshotsInstalled++;
    this.shadow.install(snapshot.meta.index, snapshot.meta.term);
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.disk.saveSnapshot(snapshot);
    this.stats.snapshotsSaved++;
    this.shadow.compact(snapshot.meta.index, snapshot.meta.term);
  }

  truncateFrom(index: number): void {
    this.disk.truncateFrom(index);
    this.stats.truncations++;
    this.shadow.truncateFrom(index);
  }

  append(entries: readonly Entry[]): void {
    this.disk.append(entries);
    for (const entry of entries) {
      this.observer.onAppend(this.nodeId, entry, this.shadow.termAt(entry.index - 1));
      this.shadow.append(entry.term);
    }
  }

  setHardState(hardState: HardState): void {
    this.disk.setHardState(hardState);
  }

  sync(): Promise<void> {
    const epoch = this.epoch;
    const covered = this.disk.unsyncedCount;
    const delay = this.prng.intBetween(0, this.faults.syncDelayMaxMs);
    this.stats.syncs++;
    this.onSyncStart?.(delay);
    return new Promise((resolve) => {
      this.scheduler.schedule(delay, () => {
        if (epoch !== this.epoch) return;
        this.disk.syncFirst(covered);
        resolve();
      });
    });
  }

  /** Power loss: a random prefix of the unsynced writes survives; syncs in flight never finish. */
  crash(): { kept: number; lost: number } {
    this.epoch++;
    const unsynced = this.disk.unsyncedCount;
    const kept = this.prng.intBetween(0, unsynced);
    this.disk.loseUnsynced(kept);
    if (kept < unsynced) this.stats.tornTails++;
    this.shadow.reset(this.disk.durableState());
    return { kept, lost: unsynced - kept };
  }
}

/** The term of every index in the store's log as written so far (synced or not). */
class TermShadow {
  private base = 0;
  private baseTerm = 0;
  private terms: number[] = [];

  reset(state: PersistedState): void {
    this.install(state.snapshot.meta.index, state.snapshot.meta.term);
    for (const entry of state.entries) this.terms.push(entry.term);
  }

  install(index: number, term: number): void {
    this.base = index;
    this.baseTerm = term;
    this.terms = [];
  }

  compact(index: number, term: number): void {
    if (index <= this.base) return;
    this.terms = this.terms.slice(index - this.base);
    this.base = index;
    this.baseTerm = term;
  }

  truncateFrom(index: number): void {
    this.terms.length = index - this.base - 1;
  }

  append(term: number): void {
    this.terms.push(term);
  }

  termAt(index: number): number {
    if (index === this.base) return this.baseTerm;
    return this.terms[index - this.base - 1] ?? -1;
  }
}
