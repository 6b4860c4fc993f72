import { rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { assert, type Logger } from '@eddy/base';
import { CorruptRecordError, decodeRecordBatch, readBatchHeader, RECORD_BATCH_HEADER_BYTES, type RecordBatchHeader } from '@eddy/record';
import { isNotFound } from './checkpoint-file.js';
import { CachedFile, type FileHandleCache } from './file-handle-cache.js';
import { readAt, writeAt } from './file-io.js';
import { DELETED_SUFFIX, segmentFileName } from './file-names.js';
import { IndexCorruptError, IndexFile, readIndexTail } from './index-file.js';
import { logLimits } from './limits.js';
import { type ScannedBatch, type ScanOutcome, scanSegmentFile } from './segment-scanner.js';
import {
  type BatchPlacement,
  IndexPlanner,
  type IndexPlannerState,
  offsetIndexFormat,
  timeIndexFormat,
  writeOffsetEntry,
  writeTimeEntry,
} from './sparse-index.js';

export interface SegmentDeps {
  readonly cache: FileHandleCache;
  readonly logger: Logger;
  readonly indexIntervalBytes: number;
}

/** One batch of an append, as the segment needs it. */
export interface AppendedBatch {
  readonly size: number;
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly maxTimestamp: number;
}

interface Indexes {
  readonly offset: IndexFile;
  readonly time: IndexFile;
}

export interface TimestampHit {
  readonly offset: bigint;
  readonly timestamp: number;
}

/**
 * One segment: a `.log` file of whole batches plus its `.index` and `.timeindex`. All file access
 * goes through the shared handle cache with positioned reads and writes. `size` and
 * `nextOffset` only move after a write completed, so a reader that captured them sees whole
 * batches. The partition log serializes mutations; reads run concurrently. A segment deleted
 * while readers hold it keeps its files until the last one releases it.
 */
export class LogSegment {
  readonly logFile: CachedFile;
  readonly offsetIndexFile: CachedFile;
  readonly timeIndexFile: CachedFile;
  /** Bytes of whole batches in the log file. */
  size: number;
  /** The offset after the last batch (the base offset while empty). */
  nextOffset: bigint;
  /** When set, the segment is active: it decides its own index entries. */
  private planner: IndexPlanner | undefined;
  private indexes: Indexes | undefined;
  private loadingIndexes: Promise<Indexes> | undefined;
  private knownMaxTimestamp: number | undefined;
  /** Clock time (or first batch timestamp after a reopen) that segment.ms counts from. */
  rollAnchorMs: number | undefined;
  private refs = 0;
  /** Where the last read ended: a sequential reader's next read starts there, no index lookup. */
  private readHint: { offset: bigint; position: number; truncations: number } | undefined;
  /** Bumped by every truncation, so a hint taken before one is ignored. */
  private truncations = 0;
  private deleteRequested = false;
  private deletion: Promise<void> | undefined;
  private resolveDeletion: (() => void) | undefined;
  /** Log bytes written since the last fsync of this segment. */
  private unsyncedLog = false;

  private constructor(
    readonly dir: string,
    readonly baseOffset: bigint,
    size: number,
    nextOffset: bigint,
    private readonly deps: SegmentDeps,
  ) {
    this.logFile = new CachedFile(path.join(dir, segmentFileName(baseOffset, 'log')));
    this.offsetIndexFile = new CachedFile(path.join(dir, segmentFileName(baseOffset, 'offsetIndex')));
    this.timeIndexFile = new CachedFile(path.join(dir, segmentFileName(baseOffset, 'timeIndex')));
    this.size = size;
    this.nextOffset = nextOffset;
  }

  /** Creates the three (empty) files of a new active segment. */
  static async create(dir: string, baseOffset: bigint, deps: SegmentDeps): Promise<LogSegment> {
    const segment = new LogSegment(dir, baseOffset, 0, baseOffset, deps);
    await deps.cache.create(segment.logFile);
    segment.indexes = segment.emptyIndexes('absent');
    segment.planner = new IndexPlanner(deps.indexIntervalBytes);
    segment.knownMaxTimestamp = -1;
    return segment;
  }

  /** A segment found on disk. Its indexes are loaded (and checked) on first use. */
  static existing(dir: string, baseOffset: bigint, sizeBytes: number, nextOffset: bigint, indexFilesOnDisk: boolean, deps: SegmentDeps): LogSegment {
    const segment = new LogSegment(dir, baseOffset, sizeBytes, nextOffset, deps);
    segment.fileSizeAtOpen = sizeBytes;
    segment.indexFilesOnDisk = indexFilesOnDisk;
    return segment;
  }

  /** Size of the log file when the segment was found on disk (recovery scans all of it). */
  private fileSizeAtOpen = 0;
  /** Whether a directory listing showed any index file of this segment. */
  private indexFilesOnDisk = true;

  get isActive(): boolean {
    return this.planner !== undefined;
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** Newest batch timestamp, when known without I/O (always for the active segment). */
  get maxTimestampIfKnown(): number | undefined {
    return this.planner?.maxTimestamp ?? this.knownMaxTimestamp;
  }

  retain(): void {
    assert(!this.deleteRequested || this.refs > 0, `a deleted segment ${this.logFile.path} is not retained anew`);
    this.refs++;
  }

  release(): void {
    assert(this.refs > 0, 'release without retain');
    this.refs--;
    if (this.refs === 0 && this.deleteRequested) this.finishDeletion();
  }

  /** Whether a batch of `bytes` (and offsets up to `lastOffset`) still fits this segment. */
  fits(bytes: number, lastOffset: bigint, segmentBytes: number): boolean {
    return this.size + bytes <= segmentBytes && lastOffset - this.baseOffset <= BigInt(logLimits.relativeOffsetMax);
  }

  /**
   * Appends whole batches at the end; returns the position of the first one. `check`, when
   * given, runs while the bytes are being written (the write runs on libuv's pool, so the two
   * overlap); when it throws, the bytes are cut off again and nothing of the append is kept.
   */
  async append(bytes: Buffer, batches: readonly AppendedBatch[], nowMs: number, check?: () => void): Promise<number> {
    const planner = this.planner;
    const indexes = this.indexes;
    assert(planner !== undefined && indexes !== undefined, 'appends go to the active segment');
    const position = this.size;
    assert(position + bytes.length <= logLimits.segmentBytesMax, 'segment positions fit an index entry');
    const handle = this.deps.cache.acquireIfOpen(this.logFile) ?? (await this.deps.cache.acquire(this.logFile));
    try {
      // Started before `check` runs: writeAt issues the first write synchronously.
      const writing = writeAt(handle, bytes, position);
      this.unsyncedLog = true;
      if (check !== undefined) {
        try {
          check();
        } catch (error) {
          await writing.catch(() => undefined);
          await handle.truncate(position);
          throw error;
        }
      }
      await writing;
    } finally {
      this.deps.cache.release(this.logFile);
    }
    let at = position;
    for (const batch of batches) {
      const full = this.place(planner, indexes, {
        position: at,
        size: batch.size,
        relativeBaseOffset: Number(batch.baseOffset - this.baseOffset),
        relativeLastOffset: Number(batch.lastOffset - this.baseOffset),
        maxTimestamp: batch.maxTimestamp,
      });
      // One append may carry more index entries than the buffer holds: write them out as it fills.
      if (full) {
        await indexes.offset.writePending();
        await indexes.time.writePending();
      }
      at += batch.size;
    }
    const last = batches.at(-1);
    assert(last !== undefined && at === position + bytes.length, 'the batches cover the appended bytes');
    if (this.size === 0 && this.rollAnchorMs === undefined) this.rollAnchorMs = nowMs;
    this.size = at;
    this.nextOffset = last.lastOffset + 1n;
    return position;
  }

  private place(planner: IndexPlanner, indexes: Indexes, batch: BatchPlacement): boolean {
    const { offsetEntry, timeEntry } = planner.place(batch);
    let full = false;
    if (offsetEntry !== undefined) {
      full = indexes.offset.add((target, at) => writeOffsetEntry(target, at, offsetEntry.relativeOffset, offsetEntry.position)) || full;
    }
    if (timeEntry !== undefined) {
      full = indexes.time.add((target, at) => writeTimeEntry(target, at, timeEntry.timestamp, timeEntry.relativeOffset)) || full;
    }
    return full;
  }

  /** Ends the segment's active life (a roll): records its max timestamp and writes its indexes. */
  async finish(): Promise<void> {
    const planner = this.planner;
    const indexes = this.indexes;
    assert(planner !== undefined && indexes !== undefined, 'only the active segment is finished');
    const timeEntry = planner.finish();
    if (timeEntry !== undefined) indexes.time.add((target, at) => writeTimeEntry(target, at, timeEntry.timestamp, timeEntry.relativeOffset));
    this.knownMaxTimestamp = planner.maxTimestamp;
    this.planner = undefined;
    await indexes.offset.writePending();
    await indexes.time.writePending();
    // A finished segment always has both files, so a missing one means a lost one.
    await indexes.offset.materialize();
    await indexes.time.materialize();
  }

  /** Indexes with no entries whose files are created on first write. */
  private emptyIndexes(state: 'absent' | 'unknown' = this.indexFilesOnDisk ? 'unknown' : 'absent'): Indexes {
    return {
      offset: new IndexFile(this.offsetIndexFile, offsetIndexFormat, this.deps.cache, 0, undefined, state),
      time: new IndexFile(this.timeIndexFile, timeIndexFormat, this.deps.cache, 0, undefined, state),
    };
  }

  /**
   * Writes index entries held in memory. A close keeps the segment active: the next open
   * derives its max timestamp from the last time entry and the bytes after the last offset entry.
   */
  async writeIndexes(): Promise<void> {
    await this.indexes?.offset.writePending();
    await this.indexes?.time.writePending();
  }

  /** fsyncs the log file (if written since the last sync) and, with `includeIndexes`, the indexes. */
  async sync(includeIndexes: boolean): Promise<void> {
    if (this.unsyncedLog) {
      this.unsyncedLog = false;
      try {
        await this.deps.cache.with(this.logFile, (handle) => handle.sync());
      } catch (error) {
        this.unsyncedLog = true;
        throw error;
      }
    }
    if (includeIndexes && this.indexes !== undefined) {
      await this.indexes.offset.sync();
      await this.indexes.time.sync();
    }
  }

  // ---- reads ------------------------------------------------------------------------------

  /**
   * Whole batches starting with the one that holds `offset`, within `maxBytes` (but at least
   * one batch), all below `maxOffset`, reading no further than `visibleSize`. Undefined when
   * no batch at or after `offset` exists in the segment.
   */
  async read(offset: bigint, maxBytes: number, maxOffset: bigint, visibleSize: number): Promise<Buffer | undefined> {
    const truncations = this.truncations;
    const hint = this.readHint;
    let position =
      hint !== undefined && hint.offset === offset && hint.truncations === truncations && hint.position <= visibleSize
        ? hint.position
        : await this.positionOfBatchAtOrBefore(offset);
    return this.deps.cache.with(this.logFile, async (handle) => {
      const want = Math.min(visibleSize - position, Math.max(logLimits.locateChunkBytes, maxBytes + logLimits.locateChunkBytes));
      let chunk = Buffer.allocUnsafe(Math.max(want, 0));
      let chunkStart = position;
      let chunkLength = want > 0 ? await readAt(handle, chunk, position, want) : 0;
      // Locate the first batch whose last offset is >= offset.
      let first: { at: number; size: number; header: RecordBatchHeader } | undefined;
      while (first === undefined) {
        if (position >= visibleSize) return undefined;
        let at = position - chunkStart;
        if (at + RECORD_BATCH_HEADER_BYTES > chunkLength) {
          const length = Math.min(visibleSize - position, logLimits.locateChunkBytes + maxBytes);
          chunk = Buffer.allocUnsafe(length);
          chunkStart = position;
          at = 0;
          chunkLength = await readAt(handle, chunk, position, length);
          if (chunkLength < RECORD_BATCH_HEADER_BYTES) throw this.corrupt(`a batch header at ${position} is cut short`, position);
        }
        const header = readBatchHeader(chunk.subarray(0, chunkLength), at);
        const size = header.batchLength + 12;
        if (header.baseOffset + BigInt(header.lastOffsetDelta) >= offset) first = { at, size, header };
        else position += size;
      }
      if (first.header.baseOffset + BigInt(first.header.lastOffsetDelta) >= maxOffset) return Buffer.alloc(0);
      if (position + first.size > visibleSize) throw this.corrupt(`batch at ${position} runs past the segment end`, position);
      if (first.at + first.size > chunkLength) {
        // A batch larger than the chunk: read it whole on its own, it is returned alone.
        const whole = Buffer.allocUnsafe(first.size);
        if ((await readAt(handle, whole, position)) !== first.size) throw this.corrupt(`batch at ${position} is cut short`, position);
        return whole;
      }
      // Collect whole batches after it while they fit maxBytes and stay below maxOffset.
      let end = first.at + first.size;
      let expected = first.header.baseOffset + BigInt(first.header.lastOffsetDelta) + 1n;
      while (end + RECORD_BATCH_HEADER_BYTES <= chunkLength && chunkStart + end < visibleSize) {
        const header = readBatchHeader(chunk.subarray(0, chunkLength), end);
        const size = header.batchLength + 12;
        if (header.baseOffset !== expected) throw this.corrupt(`batch at ${chunkStart + end} has offset ${header.baseOffset}, expected ${expected}`, chunkStart + end);
        const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
        if (end + size > chunkLength || end + size - first.at > maxBytes || lastOffset >= maxOffset || chunkStart + end + size > visibleSize) break;
        end += size;
        expected = lastOffset + 1n;
      }
      if (this.truncations === truncations) this.readHint = { offset: expected, position: chunkStart + end, truncations };
      return chunk.subarray(first.at, end);
    });
  }

  /** The first offset whose record timestamp is >= `timestamp`, or undefined when none is. */
  async findOffsetByTimestamp(timestamp: number, startOffset: bigint, visibleSize: number): Promise<TimestampHit | undefined> {
    const indexes = await this.loadIndexes();
    const hit = await indexes.time.findLast(timeIndexFormat.keys.timestamp, timestamp - 1);
    const after = hit === undefined ? this.baseOffset : this.baseOffset + BigInt(timeIndexFormat.keys.relativeOffset(hit.entry, 0)) + 1n;
    const from = after > startOffset ? after : startOffset;
    let position = await this.positionOfBatchAtOrBefore(from);
    return this.deps.cache.with(this.logFile, async (handle) => {
      const header = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES);
      while (position + RECORD_BATCH_HEADER_BYTES <= visibleSize) {
        if ((await readAt(handle, header, position)) !== RECORD_BATCH_HEADER_BYTES) return undefined;
        const parsed = readBatchHeader(header);
        const size = parsed.batchLength + 12;
        const lastOffset = parsed.baseOffset + BigInt(parsed.lastOffsetDelta);
        if (lastOffset >= from && parsed.maxTimestamp >= timestamp) {
          const batch = Buffer.allocUnsafe(size);
          if ((await readAt(handle, batch, position)) !== size) return undefined;
          for (const record of decodeRecordBatch(batch).records) {
            if (record.offset >= from && record.timestamp >= timestamp) return { offset: record.offset, timestamp: record.timestamp };
          }
        }
        position += size;
      }
      return undefined;
    });
  }

  /** Newest batch timestamp of the segment (-1 when none), loading the time index if needed. */
  async maxTimestamp(): Promise<number> {
    const known = this.maxTimestampIfKnown;
    if (known !== undefined) return known;
    const indexes = await this.loadIndexes();
    const last = indexes.time.lastEntry;
    this.knownMaxTimestamp = last === undefined ? -1 : timeIndexFormat.keys.timestamp(last, 0);
    return this.knownMaxTimestamp;
  }

  /** Byte position of a batch whose base offset is <= offset (the index's best guess). */
  private async positionOfBatchAtOrBefore(offset: bigint): Promise<number> {
    const relative = offset - this.baseOffset;
    if (relative <= 0n) return 0;
    const target = relative > BigInt(logLimits.relativeOffsetMax) ? logLimits.relativeOffsetMax : Number(relative);
    const indexes = await this.loadIndexes();
    let hit;
    try {
      hit = await indexes.offset.findLast(offsetIndexFormat.keys.relativeOffset, target);
    } catch (error) {
      if (!(error instanceof IndexCorruptError)) throw error;
      this.deps.logger.warn({ file: this.offsetIndexFile.path, reason: error.message }, 'rebuilding a corrupt index');
      await this.rebuildIndexes();
      return 0;
    }
    return hit === undefined ? 0 : offsetIndexFormat.keys.position(hit.entry, 0);
  }

  private corrupt(message: string, position: number): CorruptRecordError {
    return new CorruptRecordError(`${this.logFile.path}: ${message}`, { position });
  }

  // ---- opening, recovery, truncation ------------------------------------------------------

  /** Loads the indexes of a segment found on disk, checking their sanity; rebuilds bad ones. */
  loadIndexes(): Promise<Indexes> {
    if (this.indexes !== undefined) return Promise.resolve(this.indexes);
    this.loadingIndexes ??= this.openIndexes().finally(() => {
      this.loadingIndexes = undefined;
    });
    return this.loadingIndexes;
  }

  private async openIndexes(): Promise<Indexes> {
    if (this.isOpenEnded && this.size <= this.deps.indexIntervalBytes) {
      // The active segment gets its first entry only past one index interval: nothing to load.
      this.indexes = this.emptyIndexes();
      return this.indexes;
    }
    if (!this.indexFilesOnDisk) {
      this.deps.logger.warn({ segment: this.logFile.path }, 'rebuilding missing indexes');
      await this.rebuildIndexes();
      assert(this.indexes !== undefined, 'a rebuild leaves indexes');
      return this.indexes;
    }
    try {
      const [offsetStat, timeStat] = await Promise.all([stat(this.offsetIndexFile.path), stat(this.timeIndexFile.path)]);
      const offsetTail = await readIndexTail(this.deps.cache, this.offsetIndexFile, offsetIndexFormat, offsetStat.size);
      const timeTail = await readIndexTail(this.deps.cache, this.timeIndexFile, timeIndexFormat, timeStat.size);
      const relativeEnd = Number(this.nextOffset - this.baseOffset);
      if (offsetTail.last !== undefined) {
        const relativeOffset = offsetIndexFormat.keys.relativeOffset(offsetTail.last, 0);
        const position = offsetIndexFormat.keys.position(offsetTail.last, 0);
        if (position >= this.size || (!this.isOpenEnded && relativeOffset >= relativeEnd)) {
          throw new IndexCorruptError(`${this.offsetIndexFile.path}: last entry (${relativeOffset}, ${position}) lies outside the log`);
        }
      }
      if (timeTail.last !== undefined && !this.isOpenEnded && timeIndexFormat.keys.relativeOffset(timeTail.last, 0) >= relativeEnd) {
        throw new IndexCorruptError(`${this.timeIndexFile.path}: last entry lies outside the log`);
      }
      this.indexes = {
        offset: new IndexFile(this.offsetIndexFile, offsetIndexFormat, this.deps.cache, offsetTail.count, offsetTail.last, 'present'),
        time: new IndexFile(this.timeIndexFile, timeIndexFormat, this.deps.cache, timeTail.count, timeTail.last, 'present'),
      };
      return this.indexes;
    } catch (error) {
      if (!(error instanceof IndexCorruptError) && !isNotFound(error)) throw error;
      this.deps.logger.warn({ segment: this.logFile.path, reason: describeError(error) }, 'rebuilding missing or corrupt indexes');
      await this.rebuildIndexes();
      assert(this.indexes !== undefined, 'a rebuild leaves indexes');
      return this.indexes;
    }
  }

  /** True for the active segment at open, before its end is known. */
  private get isOpenEnded(): boolean {
    return this.nextOffset === this.baseOffset && this.size > 0;
  }

  /** Re-derives both indexes from the log (which is left as it is). */
  async rebuildIndexes(): Promise<ScanOutcome> {
    this.indexes ??= this.emptyIndexes();
    const outcome = await this.scanAndIndex(this.size, !this.isActive, () => undefined);
    if (outcome.problem !== undefined) {
      this.deps.logger.error({ segment: this.logFile.path, problem: outcome.problem }, 'an index rebuild found a damaged batch');
    }
    return outcome;
  }

  /**
   * Recovery after an unclean shutdown: validates every batch, truncates a torn or corrupt
   * tail, rebuilds both indexes and makes the segment active. `onBatch` sees intact batches.
   */
  async recover(expectedBaseOffset: bigint, onBatch: (batch: ScannedBatch) => void): Promise<ScanOutcome> {
    const fileSize = this.fileSizeAtOpen;
    this.indexes ??= this.emptyIndexes();
    assert(expectedBaseOffset === this.baseOffset, 'a segment starts at its base offset');
    const outcome = await this.scanAndIndex(fileSize, false, onBatch);
    if (outcome.validEnd < fileSize) {
      await this.deps.cache.with(this.logFile, (handle) => handle.truncate(outcome.validEnd));
      this.unsyncedLog = true;
    }
    return outcome;
  }

  /** Scans [0, end) and replaces the indexes with fresh ones; the segment stays active after. */
  private async scanAndIndex(end: number, finish: boolean, onBatch: (batch: ScannedBatch) => void): Promise<ScanOutcome> {
    const indexes = this.indexes;
    assert(indexes !== undefined, 'indexes exist before a scan');
    const planner = new IndexPlanner(this.deps.indexIntervalBytes);
    const offsetEntries: Buffer[] = [];
    const timeEntries: Buffer[] = [];
    const outcome = await this.deps.cache.with(this.logFile, (handle) =>
      scanSegmentFile(handle, { fromPosition: 0, endPosition: end, expectedOffset: this.baseOffset }, (batch) => {
        const { offsetEntry, timeEntry } = planner.place({
          position: batch.position,
          size: batch.size,
          relativeBaseOffset: Number(batch.header.baseOffset - this.baseOffset),
          relativeLastOffset: Number(batch.lastOffset - this.baseOffset),
          maxTimestamp: batch.header.maxTimestamp,
        });
        if (offsetEntry !== undefined) offsetEntries.push(encodeOffsetEntry(offsetEntry.relativeOffset, offsetEntry.position));
        if (timeEntry !== undefined) timeEntries.push(encodeTimeEntry(timeEntry.timestamp, timeEntry.relativeOffset));
        onBatch(batch);
      }),
    );
    if (finish) {
      const timeEntry = planner.finish();
      if (timeEntry !== undefined) timeEntries.push(encodeTimeEntry(timeEntry.timestamp, timeEntry.relativeOffset));
    }
    await indexes.offset.replace(Buffer.concat(offsetEntries));
    await indexes.time.replace(Buffer.concat(timeEntries));
    this.size = outcome.validEnd;
    this.nextOffset = outcome.nextOffset;
    this.knownMaxTimestamp = planner.maxTimestamp;
    if (finish) {
      await indexes.offset.materialize();
      await indexes.time.materialize();
    } else {
      this.planner = planner;
    }
    return outcome;
  }

  /**
   * Makes a segment found on disk the active one, trusting its indexes (a clean shutdown):
   * scans only the bytes after the last offset index entry, checking them. Returns the problem
   * when those bytes are not intact (the caller then recovers the segment instead).
   */
  async activate(): Promise<string | undefined> {
    const sizeBefore = this.size;
    const indexes = await this.loadIndexes();
    if (this.size !== sizeBefore) return `an index rebuild found damage at position ${this.size}`;
    const lastOffsetEntry = indexes.offset.lastEntry;
    const fromPosition = lastOffsetEntry === undefined ? 0 : offsetIndexFormat.keys.position(lastOffsetEntry, 0);
    const fromOffset = lastOffsetEntry === undefined ? this.baseOffset : this.baseOffset + BigInt(offsetIndexFormat.keys.relativeOffset(lastOffsetEntry, 0));
    const lastTimeEntry = indexes.time.lastEntry;
    const lastTimeEntryTimestamp = lastTimeEntry === undefined ? -1 : timeIndexFormat.keys.timestamp(lastTimeEntry, 0);
    let maxTimestamp = lastTimeEntryTimestamp;
    const outcome = await this.deps.cache.with(this.logFile, (handle) =>
      scanSegmentFile(handle, { fromPosition, endPosition: this.size, expectedOffset: fromOffset }, (batch) => {
        if (batch.header.maxTimestamp > maxTimestamp) maxTimestamp = batch.header.maxTimestamp;
      }),
    );
    if (outcome.problem !== undefined) return outcome.problem;
    this.nextOffset = outcome.nextOffset;
    this.knownMaxTimestamp = maxTimestamp;
    const state: IndexPlannerState = {
      bytesSinceLastEntry: this.size - fromPosition,
      maxTimestamp,
      lastTimeEntryTimestamp,
      relativeLastOffset: Number(this.nextOffset - this.baseOffset) - 1,
    };
    this.planner = new IndexPlanner(this.deps.indexIntervalBytes, state);
    return undefined;
  }

  /** The roll anchor of a reopened segment: its first batch's max timestamp. */
  async loadRollAnchor(nowMs: number): Promise<number> {
    if (this.rollAnchorMs !== undefined) return this.rollAnchorMs;
    let anchor = nowMs;
    if (this.size >= RECORD_BATCH_HEADER_BYTES) {
      const header = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES);
      if ((await this.deps.cache.with(this.logFile, (handle) => readAt(handle, header, 0))) === RECORD_BATCH_HEADER_BYTES) {
        const maxTimestamp = readBatchHeader(header).maxTimestamp;
        if (maxTimestamp >= 0) anchor = Math.min(maxTimestamp, nowMs);
      }
    }
    this.rollAnchorMs = anchor;
    return anchor;
  }

  /**
   * Removes every batch from the one holding `offset` on (Kafka truncates whole batches), and
   * makes the segment active. Returns the new next offset.
   */
  async truncateTo(offset: bigint): Promise<bigint> {
    this.truncations++;
    this.readHint = undefined;
    const indexes = await this.loadIndexes();
    await indexes.offset.writePending();
    await indexes.time.writePending();
    let position = await this.positionOfBatchAtOrBefore(offset);
    let nextOffset = this.nextOffset;
    await this.deps.cache.with(this.logFile, async (handle) => {
      const header = Buffer.allocUnsafe(RECORD_BATCH_HEADER_BYTES);
      while (position < this.size) {
        if ((await readAt(handle, header, position)) !== RECORD_BATCH_HEADER_BYTES) throw this.corrupt('cut short', position);
        const parsed = readBatchHeader(header);
        if (parsed.baseOffset + BigInt(parsed.lastOffsetDelta) >= offset) {
          nextOffset = parsed.baseOffset;
          break;
        }
        position += parsed.batchLength + 12;
      }
      if (position < this.size) {
        await handle.truncate(position);
        this.unsyncedLog = true;
      }
    });
    if (position >= this.size) position = this.size;
    const offsetHit = position === 0 ? undefined : await indexes.offset.findLast(offsetIndexFormat.keys.position, position - 1);
    await indexes.offset.truncateTo(offsetHit === undefined ? 0 : offsetHit.index + 1);
    const relativeEnd = Number(nextOffset - this.baseOffset);
    const timeHit = relativeEnd === 0 ? undefined : await indexes.time.findLast(timeIndexFormat.keys.relativeOffset, relativeEnd - 1);
    await indexes.time.truncateTo(timeHit === undefined ? 0 : timeHit.index + 1);
    this.size = position;
    this.nextOffset = position === 0 ? this.baseOffset : nextOffset;
    this.planner = undefined;
    this.knownMaxTimestamp = undefined;
    this.rollAnchorMs = undefined;
    const problem = await this.activate();
    if (problem !== undefined) throw this.corrupt(`after truncation: ${problem}`, position);
    await this.sync(true);
    return this.nextOffset;
  }

  // ---- deletion ---------------------------------------------------------------------------

  /**
   * Renames the files to `*.deleted` (so a crash cannot resurrect them) and deletes them once
   * no reader holds the segment. Resolves when the rename is done.
   */
  async markDeleted(): Promise<void> {
    assert(!this.deleteRequested, 'a segment is deleted once');
    this.deleteRequested = true;
    this.planner = undefined;
    this.deletion = new Promise((resolve) => {
      this.resolveDeletion = resolve;
    });
    for (const file of [this.logFile, this.offsetIndexFile, this.timeIndexFile]) {
      const renamed = file.path + DELETED_SUFFIX;
      try {
        await rename(file.path, renamed);
        file.path = renamed;
      } catch (error) {
        if (!isNotFound(error)) throw error;
      }
    }
    if (this.refs === 0) this.finishDeletion();
  }

  /** Resolves once the files are gone. */
  whenDeleted(): Promise<void> {
    return this.deletion ?? Promise.resolve();
  }

  private finishDeletion(): void {
    const files = [this.logFile, this.offsetIndexFile, this.timeIndexFile];
    void (async () => {
      for (const file of files) {
        await this.deps.cache.forget(file);
        await unlink(file.path).catch((error: unknown) => {
          if (!isNotFound(error)) this.deps.logger.warn({ file: file.path, error: describeError(error) }, 'could not delete a segment file');
        });
      }
      this.resolveDeletion?.();
    })();
  }

  /** Closes the cached handles of this segment (log close); the segment must be idle. */
  async closeFiles(): Promise<void> {
    for (const file of [this.logFile, this.offsetIndexFile, this.timeIndexFile]) await this.deps.cache.forget(file);
  }
}

function encodeOffsetEntry(relativeOffset: number, position: number): Buffer {
  const entry = Buffer.allocUnsafe(offsetIndexFormat.entryBytes);
  writeOffsetEntry(entry, 0, relativeOffset, position);
  return entry;
}

function encodeTimeEntry(timestamp: number, relativeOffset: number): Buffer {
  const entry = Buffer.allocUnsafe(timeIndexFormat.entryBytes);
  writeTimeEntry(entry, 0, timestamp, relativeOffset);
  return entry;
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
