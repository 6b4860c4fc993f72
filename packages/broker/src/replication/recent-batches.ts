import { assert } from '@eddy/base';

const EMPTY = Buffer.alloc(0);

/** One batch of an appended group: where it sits in the group's bytes and which offsets it holds. */
interface CachedBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly position: number;
  readonly size: number;
}

/** One leader append (a group of batches written as one buffer), as the log holds it. */
interface CachedGroup {
  readonly owner: RecentBatches;
  /** Emptied once the group leaves the cache: the queues may still point at it for a while. */
  bytes: Buffer;
  readonly batches: readonly CachedBatch[];
  /** What the group keeps alive: its bytes' whole backing store (a view keeps its parent). */
  readonly retainedBytes: number;
  evicted: boolean;
}

/** A batch as `RecentBatches.add` takes it: its offsets and length, in order within the buffer. */
export interface AppendedBatchInfo {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly size: number;
}

/**
 * The memory budget every partition's RecentBatches share: groups are evicted oldest first
 * across the node, so the cache never holds more than `capacityBytes` of buffers however many
 * partitions a node leads.
 */
export class RecentBatchesPool {
  private readonly fifo: CachedGroup[] = [];
  private head = 0;
  private used = 0;

  constructor(readonly capacityBytes: number) {
    assert(Number.isSafeInteger(capacityBytes) && capacityBytes >= 0, `capacity must be a natural number, got ${capacityBytes}`);
  }

  /** Bytes of buffers the cache keeps alive now. */
  get usedBytes(): number {
    return this.used;
  }

  /** Takes a new group in, evicting the oldest groups of any partition until it fits. False when it never could. */
  admit(group: CachedGroup): boolean {
    if (group.retainedBytes > this.capacityBytes) return false;
    this.fifo.push(group);
    this.used += group.retainedBytes;
    while (this.used > this.capacityBytes && this.head < this.fifo.length) {
      const oldest = this.fifo[this.head++] as CachedGroup;
      if (!oldest.evicted) oldest.owner.evictOldest(oldest);
    }
    if (this.head >= 1024 && this.head * 2 >= this.fifo.length) {
      this.fifo.splice(0, this.head);
      this.head = 0;
    }
    return true;
  }

  /** A group left its partition's cache (evicted or cleared): its bytes no longer count. */
  release(group: CachedGroup): void {
    assert(!group.evicted, 'a cached group is released once');
    group.evicted = true;
    group.bytes = EMPTY;
    this.used -= group.retainedBytes;
  }
}

/**
 * The batches a partition leader appended most recently, kept in memory (the very buffers it
 * wrote, offsets stamped) so that followers and consumers reading at the log's tail, which is
 * nearly every fetch in a healthy cluster, are answered without a disk read. Only a contiguous
 * run of offsets ending at the log end is held; a read it cannot answer whole goes to the log.
 * The answers follow PartitionLog.read: whole batches from the one holding the offset, within
 * `maxBytes` except that the first batch always comes whole, and all below `maxOffset`.
 */
export class RecentBatches {
  private readonly groups: CachedGroup[] = [];
  private head = 0;
  /** The offset after the last cached batch (meaningful while something is cached). */
  private endOffset = -1n;

  constructor(private readonly pool: RecentBatchesPool) {}

  /** The first cached offset, undefined when nothing is cached. */
  get startOffset(): bigint | undefined {
    const first = this.groups[this.head];
    return first === undefined ? undefined : (first.batches[0] as CachedBatch).baseOffset;
  }

  /**
   * Keeps a group the log just appended: `bytes` holds `batches` back to back. A group that does
   * not continue the cached run (the log moved without us) restarts the cache at it.
   */
  add(bytes: Buffer, batches: readonly AppendedBatchInfo[]): void {
    if (batches.length === 0) return;
    const first = batches[0] as AppendedBatchInfo;
    if (this.startOffset !== undefined && first.baseOffset !== this.endOffset) this.clear();
    const cached: CachedBatch[] = [];
    let position = 0;
    for (const batch of batches) {
      cached.push({ baseOffset: batch.baseOffset, lastOffset: batch.lastOffset, position, size: batch.size });
      position += batch.size;
    }
    assert(position === bytes.length, `the batches cover ${position} of ${bytes.length} bytes`);
    const group: CachedGroup = { owner: this, bytes, batches: cached, retainedBytes: Math.max(bytes.length, bytes.buffer.byteLength), evicted: false };
    if (!this.pool.admit(group)) {
      // Larger than the whole budget: the run would have a hole, so start over after it.
      this.clear();
      return;
    }
    // The pool evicts older groups first, so the new one is in.
    this.groups.push(group);
    this.endOffset = (cached.at(-1) as CachedBatch).lastOffset + 1n;
  }

  /** Drops everything (the leadership ended, or the log was truncated). */
  clear(): void {
    for (let i = this.head; i < this.groups.length; i++) this.pool.release(this.groups[i] as CachedGroup);
    this.groups.length = 0;
    this.head = 0;
    this.endOffset = -1n;
  }

  /** Called by the pool: `group` is this cache's oldest and must go. */
  evictOldest(group: CachedGroup): void {
    assert(this.groups[this.head] === group, 'the pool evicts a partition\'s groups oldest first');
    this.pool.release(group);
    this.head++;
    if (this.head === this.groups.length) {
      this.groups.length = 0;
      this.head = 0;
      this.endOffset = -1n;
    } else if (this.head >= 256 && this.head * 2 >= this.groups.length) {
      this.groups.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Whole batches from the one holding `offset`, as PartitionLog.read answers; undefined when
   * the cache does not hold that batch (read the log instead). Empty when the first batch
   * reaches `maxOffset`. Reads that span groups are copied into one buffer.
   */
  read(offset: bigint, maxBytes: number, maxOffset: bigint): Buffer | undefined {
    const start = this.startOffset;
    if (start === undefined || offset < start || offset >= this.endOffset) return undefined;
    let groupIndex = this.groups.length - 1;
    while (((this.groups[groupIndex] as CachedGroup).batches[0] as CachedBatch).baseOffset > offset) groupIndex--;
    let group = this.groups[groupIndex] as CachedGroup;
    let batchIndex = 0;
    while ((group.batches[batchIndex] as CachedBatch).lastOffset < offset) batchIndex++;
    const first = group.batches[batchIndex] as CachedBatch;
    if (first.lastOffset >= maxOffset) return Buffer.alloc(0);
    const parts: Buffer[] = [];
    let runStart = first.position;
    let runEnd = first.position + first.size;
    let total = first.size;
    for (;;) {
      batchIndex++;
      if (batchIndex >= group.batches.length) {
        parts.push(group.bytes.subarray(runStart, runEnd));
        groupIndex++;
        if (groupIndex >= this.groups.length) break;
        group = this.groups[groupIndex] as CachedGroup;
        batchIndex = 0;
        runStart = 0;
        runEnd = 0;
      }
      const next = group.batches[batchIndex] as CachedBatch;
      if (total + next.size > maxBytes || next.lastOffset >= maxOffset) {
        if (runEnd > runStart) parts.push(group.bytes.subarray(runStart, runEnd));
        break;
      }
      total += next.size;
      runEnd = next.position + next.size;
    }
    return parts.length === 1 ? parts[0] : Buffer.concat(parts, total);
  }
}
