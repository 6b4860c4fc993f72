import { unlink } from 'node:fs/promises';
import { assert } from '@eddy/base';
import { isNotFound } from './checkpoint-file.js';
import type { CachedFile, FileHandleCache } from './file-handle-cache.js';
import { readAt, writeAt } from './file-io.js';
import { logLimits } from './limits.js';
import { findLastAtMost, type IndexFormat, type IndexKey, isMonotonic } from './sparse-index.js';

/** An index file failed a sanity check (not monotonic, torn, out of bounds): rebuild it. */
export class IndexCorruptError extends Error {
  override readonly name = 'IndexCorruptError';
}

export interface IndexHit {
  /** Entry number in the index. */
  readonly index: number;
  /** A copy of the entry's bytes. */
  readonly entry: Buffer;
}

/**
 * One sparse index file of a segment. Entries live on disk; only the newest few (not yet
 * written) and a copy of the last entry are in memory, so an idle partition costs a few bytes.
 * Lookups on disk narrow down with single-entry positioned reads and finish with one read of
 * a small window. Callers serialize mutations (the partition's writer lock); lookups may run
 * concurrently with them.
 */
export class IndexFile {
  private persistedCount: number;
  private pending: Buffer | undefined;
  private pendingCount = 0;
  private last: Buffer | undefined;
  private unsynced = false;

  constructor(
    readonly file: CachedFile,
    readonly format: IndexFormat,
    private readonly cache: FileHandleCache,
    persistedCount: number,
    lastEntry: Buffer | undefined,
    /**
     * 'present' when the file exists and holds the entries. An index with no entries is
     * created lazily (an idle partition has no index files): 'absent' when it is known not to
     * exist, 'unknown' when it may, in which case whatever it holds is stale and gets replaced.
     */
    fileState: 'present' | 'absent' | 'unknown',
  ) {
    assert(Number.isInteger(persistedCount) && persistedCount >= 0, 'entry count is a natural number');
    assert((persistedCount === 0) === (lastEntry === undefined), 'the last entry is known exactly when there are entries');
    assert(fileState === 'present' || persistedCount === 0, 'entries live in an existing file');
    this.persistedCount = persistedCount;
    this.last = lastEntry;
    this.exists = fileState === 'present';
    this.mayExist = fileState !== 'absent';
  }

  private exists: boolean;
  private mayExist: boolean;

  /** Creates the (empty) file if it may not exist yet. */
  async materialize(): Promise<void> {
    if (this.exists) return;
    assert(this.persistedCount === 0, 'a file that may not exist holds no entries');
    await this.cache.forget(this.file);
    await this.cache.create(this.file);
    this.exists = true;
    this.mayExist = true;
    this.unsynced = true;
  }

  get count(): number {
    return this.persistedCount + this.pendingCount;
  }

  get lastEntry(): Buffer | undefined {
    return this.last;
  }

  get hasPending(): boolean {
    return this.pendingCount > 0;
  }

  /** Buffers one entry written by `write(target, at)`; true when the buffer is full. */
  add(write: (target: Buffer, at: number) => void): boolean {
    const bytes = this.format.entryBytes;
    this.pending ??= Buffer.alloc(logLimits.indexPendingEntriesMax * bytes);
    assert(this.pendingCount < logLimits.indexPendingEntriesMax, 'pending index entries are written before they overflow');
    const at = this.pendingCount * bytes;
    write(this.pending, at);
    assert(isMonotonic(this.pending.subarray(at, at + bytes), 1, this.format, this.last), `${this.format.name} index entries never go back`);
    this.last = Buffer.from(this.pending.subarray(at, at + bytes));
    this.pendingCount++;
    return this.pendingCount >= logLimits.indexPendingEntriesMax;
  }

  /** Writes the buffered entries to the file. */
  async writePending(): Promise<void> {
    if (this.pendingCount === 0 || this.pending === undefined) return;
    const bytes = this.format.entryBytes;
    const chunk = Buffer.from(this.pending.subarray(0, this.pendingCount * bytes));
    await this.materialize();
    await this.cache.with(this.file, (handle) => writeAt(handle, chunk, this.persistedCount * bytes));
    this.persistedCount += this.pendingCount;
    this.pendingCount = 0;
    this.unsynced = true;
  }

  /** Writes pending entries and fsyncs the file if it changed since the last sync. */
  async sync(): Promise<void> {
    await this.writePending();
    if (!this.unsynced || !this.exists) return;
    this.unsynced = false;
    await this.cache.with(this.file, (handle) => handle.sync());
  }

  /** The last entry whose `key` is <= target, or undefined. Throws IndexCorruptError on nonsense. */
  async findLast(key: IndexKey, target: number): Promise<IndexHit | undefined> {
    const bytes = this.format.entryBytes;
    const last = this.last;
    if (last === undefined) return undefined;
    if (key(last, 0) <= target) return { index: this.count - 1, entry: last };
    if (this.pendingCount > 0 && this.pending !== undefined && key(this.pending, 0) <= target) {
      const found = findLastAtMost(this.pending, this.pendingCount, bytes, key, target);
      assert(found >= 0, 'the first pending entry matched');
      return { index: this.persistedCount + found, entry: Buffer.from(this.pending.subarray(found * bytes, (found + 1) * bytes)) };
    }
    if (this.persistedCount === 0) return undefined;
    return this.cache.with(this.file, async (handle) => {
      let lo = 0;
      let hi = this.persistedCount; // the answer is in [lo - 1, hi - 1]
      const probe = Buffer.alloc(bytes);
      let lastProbe = -Infinity;
      while (hi - lo > logLimits.indexLookupWindowEntries) {
        const mid = (lo + hi) >>> 1;
        if ((await readAt(handle, probe, mid * bytes)) !== bytes) throw new IndexCorruptError(`${this.file.path} is shorter than its entries`);
        const value = key(probe, 0);
        if (value <= target) {
          if (value < lastProbe) throw new IndexCorruptError(`${this.file.path} is not monotonic`);
          lastProbe = value;
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      const windowStart = Math.max(0, lo - 1);
      const window = Buffer.alloc((hi - windowStart) * bytes);
      if ((await readAt(handle, window, windowStart * bytes)) !== window.length) {
        throw new IndexCorruptError(`${this.file.path} is shorter than its entries`);
      }
      const count = hi - windowStart;
      if (!isMonotonic(window, count, this.format)) throw new IndexCorruptError(`${this.file.path} is not monotonic`);
      const found = findLastAtMost(window, count, bytes, key, target);
      if (found < 0) return undefined;
      return { index: windowStart + found, entry: Buffer.from(window.subarray(found * bytes, (found + 1) * bytes)) };
    });
  }

  /** Keeps the first `count` entries. */
  async truncateTo(count: number): Promise<void> {
    assert(count >= 0 && count <= this.count, `cannot truncate ${this.count} entries to ${count}`);
    if (count === this.count) return;
    const bytes = this.format.entryBytes;
    if (count >= this.persistedCount) {
      this.pendingCount = count - this.persistedCount;
      if (this.pendingCount > 0 && this.pending !== undefined) {
        this.last = Buffer.from(this.pending.subarray((this.pendingCount - 1) * bytes, this.pendingCount * bytes));
      } else {
        this.last = await this.readLastPersisted();
      }
      return;
    }
    this.pendingCount = 0;
    this.persistedCount = count;
    this.unsynced = true;
    await this.cache.with(this.file, (handle) => handle.truncate(count * bytes));
    this.last = await this.readLastPersisted();
  }

  /** Replaces the whole file with `entries` (an index rebuilt from the log). */
  async replace(entries: Buffer): Promise<void> {
    const bytes = this.format.entryBytes;
    assert(entries.length % bytes === 0, 'whole entries');
    assert(isMonotonic(entries, entries.length / bytes, this.format), 'a rebuilt index is monotonic');
    if (entries.length === 0 && !this.exists) {
      if (this.mayExist) {
        await this.cache.forget(this.file);
        await unlink(this.file.path).catch((error: unknown) => {
          if (!isNotFound(error)) throw error;
        });
        this.mayExist = false;
      }
    } else {
      await this.materialize();
      await this.cache.with(this.file, async (handle) => {
        await handle.truncate(0);
        await writeAt(handle, entries, 0);
      });
    }
    this.pendingCount = 0;
    this.persistedCount = entries.length / bytes;
    this.last = this.persistedCount === 0 ? undefined : Buffer.from(entries.subarray(entries.length - bytes));
    this.unsynced = true;
  }

  private async readLastPersisted(): Promise<Buffer | undefined> {
    if (this.persistedCount === 0) return undefined;
    const bytes = this.format.entryBytes;
    const entry = Buffer.alloc(bytes);
    const read = await this.cache.with(this.file, (handle) => readAt(handle, entry, (this.persistedCount - 1) * bytes));
    if (read !== bytes) throw new IndexCorruptError(`${this.file.path} is shorter than its entries`);
    return entry;
  }
}

/** Entry count and last entry of an index file of `sizeBytes`, read at open. */
export async function readIndexTail(
  cache: FileHandleCache,
  file: CachedFile,
  format: IndexFormat,
  sizeBytes: number,
): Promise<{ count: number; last: Buffer | undefined }> {
  const bytes = format.entryBytes;
  if (sizeBytes % bytes !== 0) throw new IndexCorruptError(`${file.path} holds a partial entry`);
  const count = sizeBytes / bytes;
  if (count === 0) return { count, last: undefined };
  const last = Buffer.alloc(bytes);
  const read = await cache.with(file, (handle) => readAt(handle, last, sizeBytes - bytes));
  if (read !== bytes) throw new IndexCorruptError(`${file.path} is shorter than its entries`);
  return { count, last };
}
