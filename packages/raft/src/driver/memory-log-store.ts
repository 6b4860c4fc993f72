import { assert } from '@eddy/base';
import { emptyState } from '../core/bootstrap.js';
import type { Entry, HardState, PersistedState, Snapshot } from '../core/types.js';
import type { RaftLogStore } from './interfaces.js';

/** One buffered write. Appends are split per entry so a torn tail can cut inside a batch. */
export type StoreWrite =
  | { readonly type: 'installSnapshot'; readonly snapshot: Snapshot }
  | { readonly type: 'saveSnapshot'; readonly snapshot: Snapshot }
  | { readonly type: 'truncateFrom'; readonly index: number }
  | { readonly type: 'append'; readonly entry: Entry }
  | { readonly type: 'setHardState'; readonly hardState: HardState };

/**
 * A RaftLogStore in memory, for tests and the simulator. It keeps the durable state apart from
 * the writes since the last sync, so a test can crash it (`loseUnsynced`) and keep any prefix
 * of those writes. Every write is checked against the log it lands on, so a driver or core that
 * hands it an inconsistent Ready fails at once.
 */
export class MemoryLogStore implements RaftLogStore {
  private hardState: HardState;
  private snapshot: Snapshot;
  private entries: Entry[];
  private unsynced: StoreWrite[] = [];
  /** The log as it will be once the unsynced writes land (for checking new writes). */
  private pendingLast: number;
  private pendingSnapshotIndex: number;

  constructor(initial: PersistedState = emptyState()) {
    this.hardState = initial.hardState;
    this.snapshot = initial.snapshot;
    this.entries = [...initial.entries];
    this.pendingLast = this.lastIndex();
    this.pendingSnapshotIndex = this.snapshot.meta.index;
  }

  load(): Promise<PersistedState> {
    return Promise.resolve(this.durableState());
  }

  /** The durable state, synchronously. */
  durableState(): PersistedState {
    return { hardState: this.hardState, snapshot: this.snapshot, entries: [...this.entries] };
  }

  installSnapshot(snapshot: Snapshot): void {
    this.write({ type: 'installSnapshot', snapshot });
    this.pendingSnapshotIndex = snapshot.meta.index;
    this.pendingLast = snapshot.meta.index;
  }

  saveSnapshot(snapshot: Snapshot): void {
    assert(snapshot.meta.index <= this.pendingLast, `local snapshot ${snapshot.meta.index} is beyond the log end ${this.pendingLast}`);
    this.write({ type: 'saveSnapshot', snapshot });
    this.pendingSnapshotIndex = Math.max(this.pendingSnapshotIndex, snapshot.meta.index);
  }

  truncateFrom(index: number): void {
    assert(index > this.pendingSnapshotIndex && index <= this.pendingLast, `truncate from ${index} outside (${this.pendingSnapshotIndex}, ${this.pendingLast}]`);
    this.write({ type: 'truncateFrom', index });
    this.pendingLast = index - 1;
  }

  append(entries: readonly Entry[]): void {
    for (const entry of entries) {
      assert(entry.index === this.pendingLast + 1, `append of entry ${entry.index} does not continue the log ending at ${this.pendingLast}`);
      this.write({ type: 'append', entry });
      this.pendingLast = entry.index;
    }
  }

  setHardState(hardState: HardState): void {
    this.write({ type: 'setHardState', hardState });
  }

  sync(): Promise<void> {
    this.syncNow();
    return Promise.resolve();
  }

  /** Makes every buffered write durable. */
  syncNow(): void {
    this.land(this.unsynced.length);
  }

  /** Makes the oldest `count` buffered writes durable (a sync that covered only those). */
  syncFirst(count: number): void {
    this.land(Math.min(count, this.unsynced.length));
  }

  /** How many writes are not durable yet. */
  get unsyncedCount(): number {
    return this.unsynced.length;
  }

  /** A crash: the first `keep` unsynced writes reach the disk, the rest are lost. */
  loseUnsynced(keep = 0): void {
    this.land(Math.min(keep, this.unsynced.length));
    this.unsynced = [];
    this.pendingLast = this.lastIndex();
    this.pendingSnapshotIndex = this.snapshot.meta.index;
  }

  private write(write: StoreWrite): void {
    this.unsynced.push(write);
  }

  private land(count: number): void {
    for (const write of this.unsynced.splice(0, count)) this.apply(write);
  }

  private lastIndex(): number {
    return this.snapshot.meta.index + this.entries.length;
  }

  private apply(write: StoreWrite): void {
    switch (write.type) {
      case 'installSnapshot':
        this.snapshot = write.snapshot;
        this.entries = [];
        return;
      case 'saveSnapshot': {
        const { index, term } = write.snapshot.meta;
        if (index <= this.snapshot.meta.index) return;
        const covered = this.entries[index - this.snapshot.meta.index - 1];
        assert(covered !== undefined && covered.term === term, `local snapshot ${index}/${term} does not match the stored log`);
        this.entries = this.entries.slice(index - this.snapshot.meta.index);
        this.snapshot = write.snapshot;
        return;
      }
      case 'truncateFrom':
        this.entries.length = Math.max(0, write.index - this.snapshot.meta.index - 1);
        return;
      case 'append':
        assert(write.entry.index === this.lastIndex() + 1, `stored entry ${write.entry.index} does not continue ${this.lastIndex()}`);
        this.entries.push(write.entry);
        return;
      case 'setHardState':
        this.hardState = write.hardState;
        return;
    }
  }
}
