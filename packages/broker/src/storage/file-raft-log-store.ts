import type { Entry, HardState, PersistedState, RaftLogStore, Snapshot } from '@eddy/raft';
import { QuorumFiles } from './quorum-files.js';
import { RaftWal } from './raft-wal.js';

type Write =
  | { readonly type: 'snapshot'; readonly snapshot: Snapshot; readonly replacesLog: boolean }
  | { readonly type: 'truncateFrom'; readonly index: number }
  | { readonly type: 'append'; readonly entries: readonly Entry[] }
  | { readonly type: 'hardState'; readonly hardState: HardState };

/**
 * The metadata quorum's durable state on disk, behind Raft's RaftLogStore: writes are buffered
 * in call order and reach the disk in that order when `sync` runs, which fsyncs the WAL (and
 * writes the hard state and snapshot files atomically) before it resolves.
 *
 * A node with no state on disk starts from `initialState` (the bootstrap membership for a
 * voter of a new cluster, an empty state otherwise).
 */
export class FileRaftLogStore implements RaftLogStore {
  private pending: Write[] = [];
  private syncing: Promise<void> = Promise.resolve();
  /** Term and vote as last written; the commit index alone does not need a write. */
  private written: { term: number; vote: number } | undefined;

  private constructor(
    private readonly wal: RaftWal,
    private readonly files: QuorumFiles,
    private readonly loaded: PersistedState,
  ) {}

  static async open(directory: string, initialState: () => PersistedState): Promise<FileRaftLogStore> {
    const { wal, load } = await RaftWal.open(directory);
    const files = new QuorumFiles(directory);
    const hardState = await files.loadHardState();
    const storedSnapshot = await files.loadSnapshot();
    const fresh = hardState === undefined && storedSnapshot === undefined && load.entries.length === 0;
    let state: PersistedState;
    if (fresh) {
      state = initialState();
    } else {
      const initial = initialState();
      const snapshot: Snapshot =
        storedSnapshot === undefined
          ? initial.snapshot
          : {
              meta: { index: storedSnapshot.index, term: storedSnapshot.term, membership: { voters: storedSnapshot.voters, observers: storedSnapshot.observers } },
              data: storedSnapshot.data,
            };
      state = {
        hardState: hardState ?? { term: 0, vote: 0, commit: 0 },
        snapshot,
        entries: load.entries.filter((entry) => entry.index > snapshot.meta.index),
      };
    }
    const store = new FileRaftLogStore(wal, files, state);
    if (hardState !== undefined) store.written = { term: hardState.term, vote: hardState.vote };
    if (fresh) {
      // Make the initial state durable, so a restart finds exactly what this node started with.
      store.setHardState(state.hardState);
      store.append(state.entries);
      await store.sync();
    }
    return store;
  }

  load(): Promise<PersistedState> {
    return Promise.resolve(this.loaded);
  }

  installSnapshot(snapshot: Snapshot): void {
    this.pending.push({ type: 'snapshot', snapshot, replacesLog: true });
  }

  saveSnapshot(snapshot: Snapshot): void {
    this.pending.push({ type: 'snapshot', snapshot, replacesLog: false });
  }

  truncateFrom(index: number): void {
    this.pending.push({ type: 'truncateFrom', index });
  }

  append(entries: readonly Entry[]): void {
    if (entries.length > 0) this.pending.push({ type: 'append', entries });
  }

  setHardState(hardState: HardState): void {
    this.pending.push({ type: 'hardState', hardState });
  }

  sync(): Promise<void> {
    const writes = this.pending;
    this.pending = [];
    this.syncing = this.syncing.then(() => this.write(writes));
    return this.syncing;
  }

  async close(): Promise<void> {
    await this.sync();
    await this.wal.close();
  }

  private async write(writes: readonly Write[]): Promise<void> {
    let hardState: HardState | undefined;
    for (const write of writes) {
      switch (write.type) {
        case 'snapshot': {
          const { meta, data } = write.snapshot;
          // The snapshot is durable before the log entries it covers go away.
          await this.wal.sync();
          await this.files.saveSnapshot({ index: meta.index, term: meta.term, voters: meta.membership.voters, observers: meta.membership.observers, data });
          if (write.replacesLog) await this.wal.clear(meta.index + 1);
          else await this.wal.compact(meta.index);
          break;
        }
        case 'truncateFrom':
          await this.wal.truncateFrom(write.index);
          break;
        case 'append':
          await this.wal.append(write.entries);
          break;
        case 'hardState':
          hardState = write.hardState;
          break;
      }
    }
    await this.wal.sync();
    // Term and vote land after the entries they may refer to; both are durable on return.
    // A commit-only change is not written: a stale (lower) commit index is safe, since a
    // restarted node learns the commit index from the leader again, and it saves three fsyncs
    // per commit.
    if (hardState !== undefined && (hardState.term !== this.written?.term || hardState.vote !== this.written.vote)) {
      await this.files.saveHardState(hardState);
      this.written = { term: hardState.term, vote: hardState.vote };
    }
  }
}
