import { open, type FileHandle } from 'node:fs/promises';
import { constants } from 'node:fs';
import { assert } from '@eddy/base';

/**
 * One file the cache may hold open. Its identity (not its path) keys the cache, so a file
 * renamed for deletion keeps its handle, and a reopen uses the current path.
 */
export class CachedFile {
  constructor(public path: string) {}
}

interface Entry {
  handle: FileHandle | undefined;
  opening: Promise<FileHandle> | undefined;
  leases: number;
}

/**
 * A bounded LRU of open file handles shared by every partition of a LogManager, so 10,000
 * partitions need only `capacity` descriptors. A leased handle is never closed; an idle one
 * is closed when the cache needs room, and reopened (read-write, never created) on demand.
 * Leases can push the count above capacity for as long as they last.
 */
export class FileHandleCache {
  private readonly entries = new Map<CachedFile, Entry>();
  /** Idle open entries, least recently used first (Map keeps insertion order). */
  private readonly idle = new Map<CachedFile, Entry>();
  private readonly closing = new Set<Promise<void>>();
  private openHandles = 0;
  private closingHandles = 0;
  private opensTotal = 0;

  constructor(readonly capacity: number) {
    assert(Number.isInteger(capacity) && capacity >= 1, `capacity must be a positive integer, got ${capacity}`);
  }

  /** Handles currently open (leased, idle or being opened). */
  get openCount(): number {
    return this.openHandles;
  }

  /** Files opened since the cache was made (a reopen counts again): a measure of thrashing. */
  get opensCount(): number {
    return this.opensTotal;
  }

  /** Runs `use` with an open handle of `file`, keeping it open for the duration. */
  async with<T>(file: CachedFile, use: (handle: FileHandle) => Promise<T>): Promise<T> {
    const handle = await this.acquire(file);
    try {
      return await use(handle);
    } finally {
      this.release(file);
    }
  }

  /** Leases `file`'s handle when it is open already (no await on the hot path), else undefined. */
  acquireIfOpen(file: CachedFile): FileHandle | undefined {
    const entry = this.entries.get(file);
    if (entry?.handle === undefined) return undefined;
    entry.leases++;
    this.idle.delete(file);
    return entry.handle;
  }

  async acquire(file: CachedFile): Promise<FileHandle> {
    const handle = this.acquireIfOpen(file);
    if (handle !== undefined) return handle;
    let entry = this.entries.get(file);
    if (entry === undefined) {
      entry = { handle: undefined, opening: undefined, leases: 0 };
      this.entries.set(file, entry);
    }
    entry.leases++;
    let opening = entry.opening;
    if (opening === undefined) {
      const pending = entry;
      this.openHandles++;
      this.opensTotal++;
      this.evictIdle();
      opening = open(file.path, constants.O_RDWR).then(
        (handle) => {
          pending.handle = handle;
          pending.opening = undefined;
          return handle;
        },
        (error: unknown) => {
          pending.opening = undefined;
          this.openHandles--;
          throw error;
        },
      );
      pending.opening = opening;
    }
    try {
      return await opening;
    } catch (error) {
      this.unlease(file, entry);
      throw error;
    }
  }

  release(file: CachedFile): void {
    const entry = this.entries.get(file);
    assert(entry !== undefined && entry.leases > 0, `release of ${file.path} without a lease`);
    this.unlease(file, entry);
  }

  /** Creates (or empties) `file` and keeps the new handle in the cache, idle. */
  async create(file: CachedFile): Promise<void> {
    assert(!this.entries.has(file), `${file.path} is already cached`);
    this.openHandles++;
    this.opensTotal++;
    let handle: FileHandle;
    try {
      handle = await open(file.path, 'w+');
    } catch (error) {
      this.openHandles--;
      throw error;
    }
    const entry: Entry = { handle, opening: undefined, leases: 0 };
    this.entries.set(file, entry);
    this.idle.set(file, entry);
    this.evictIdle();
  }

  /** Closes and drops `file`'s handle; it must not be leased (its segment is being deleted). */
  async forget(file: CachedFile): Promise<void> {
    const entry = this.entries.get(file);
    if (entry === undefined) return;
    assert(entry.leases === 0, `${file.path} is forgotten while leased`);
    this.entries.delete(file);
    this.idle.delete(file);
    if (entry.handle !== undefined) await this.closeHandle(entry.handle);
  }

  /** Waits for the closes of evicted handles in flight. */
  async settled(): Promise<void> {
    await Promise.all(this.closing);
  }

  /** Closes every idle handle and waits for closes in flight. */
  async closeIdle(): Promise<void> {
    for (const [file, entry] of [...this.idle]) {
      this.idle.delete(file);
      this.entries.delete(file);
      if (entry.handle !== undefined) void this.closeHandle(entry.handle);
    }
    await Promise.all(this.closing);
  }

  private unlease(file: CachedFile, entry: Entry): void {
    entry.leases--;
    if (entry.leases > 0) return;
    if (entry.handle === undefined) {
      if (entry.opening === undefined) this.entries.delete(file);
      return;
    }
    this.idle.set(file, entry);
    this.evictIdle();
  }

  private evictIdle(): void {
    for (const [file, entry] of this.idle) {
      if (this.openHandles - this.closingHandles <= this.capacity) return;
      this.idle.delete(file);
      this.entries.delete(file);
      if (entry.handle !== undefined) void this.closeHandle(entry.handle);
    }
  }

  private closeHandle(handle: FileHandle): Promise<void> {
    this.closingHandles++;
    const closing = handle
      .close()
      .catch(() => undefined)
      .finally(() => {
        this.openHandles--;
        this.closingHandles--;
        this.closing.delete(closing);
      });
    this.closing.add(closing);
    return closing;
  }
}
