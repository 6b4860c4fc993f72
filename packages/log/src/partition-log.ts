import { unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { assert, type Clock, EddyError, type Logger, silentLogger, systemClock } from '@eddy/base';
import { batchSizeAt, readBatchHeader, type RecordBatchHeader, stampBatch, verifyBatch } from '@eddy/record';
import { AsyncMutex } from './async-mutex.js';
import {
  CheckpointWriter,
  formatOffsetCheckpoint,
  isNotFound,
  readTextFile,
  syncDirectory,
} from './checkpoint-file.js';
import { type LogConfig, type LogConfigInput, resolveLogConfig } from './config.js';
import { LogError, type LogErrorContext, OffsetOutOfRangeError } from './errors.js';
import { FileHandleCache } from './file-handle-cache.js';
import {
  CLEAN_SHUTDOWN_FILE,
  LEADER_EPOCH_FILE,
  LOG_START_OFFSET_FILE,
  parsePartitionDirName,
  RECOVERY_POINT_FILE,
} from './file-names.js';
import { type EpochEndOffset, LeaderEpochCache } from './leader-epoch-cache.js';
import { logLimits } from './limits.js';
import { planRetention, type RetentionCandidate, type RetentionReason } from './retention-plan.js';
import { type LoadedLog, loadLog } from './log-loader.js';
import { readPartitionMetadata, writePartitionMetadata } from './partition-metadata-file.js';
import { type AppendedBatch, LogSegment, type SegmentDeps } from './segment.js';

export interface PartitionLogDeps {
  readonly clock?: Clock;
  readonly logger?: Logger;
  /** Shared by every log of a LogManager; a log opened alone gets a small one of its own. */
  readonly fileCache?: FileHandleCache;
  /** fsync the parent directory when the partition directory is created (default true). */
  readonly syncParentDir?: boolean;
  /**
   * fsync a rolled segment in the background, moving the recovery point to the new active
   * segment (default true, as Kafka). Crash tests turn it off to leave several unflushed segments.
   */
  readonly flushOnRoll?: boolean;
}

export interface AppendOptions {
  /** The leader epoch stamped on the batches (leader), or the newest the follower accepts. */
  readonly leaderEpoch: number;
  /** true on the leader (offsets assigned here); false on a follower (offsets kept, checked). */
  readonly assignOffsets: boolean;
  /**
   * The caller already checked every batch's CRC (the broker does so once, when a produce
   * arrives); lengths and magic are still checked here. Checking the CRC twice would cost as much
   * as the write itself for large batches.
   */
  readonly crcVerified?: boolean;
}

export interface AppendResult {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly batchCount: number;
  readonly recordCount: number;
  /** Largest batch max timestamp of the append (-1 when none). */
  readonly maxTimestamp: number;
  /** Clock time of the append (Kafka's log append time). */
  readonly logAppendTimeMs: number;
  /** Segment that took the batches, and the byte position of the first one in it. */
  readonly segmentBaseOffset: bigint;
  readonly position: number;
}

export interface ReadOptions {
  /** Only batches wholly below this offset (the high watermark for consumers). */
  readonly maxOffset?: bigint;
}

export interface ReadResult {
  /** Whole batches, concatenated; empty at the end of the log or at maxOffset. */
  readonly records: Buffer;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
}

export interface TimestampOffset {
  readonly offset: bigint;
  readonly timestamp: number;
}

export interface RetentionResult {
  readonly deletedSegments: number;
  readonly reasons: readonly RetentionReason[];
  readonly logStartOffset: bigint;
}

/** Kafka's ListOffsets sentinels. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

type State = 'open' | 'closing' | 'closed';


/**
 * The log of one partition replica: a directory of segments with a sparse offset index and a
 * time index each, a leader epoch cache and checkpoints. Appends are serialized by a writer
 * lock; reads take no lock and see only batches whose write completed. Retention and
 * deleteRecordsBefore change the head of the log under a second lock, so they never block
 * appends. Segments removed while read are deleted when their last reader lets go.
 */
export class PartitionLog {
  private readonly segments: LogSegment[];
  private readonly writeLock = new AsyncMutex();
  private readonly headLock = new AsyncMutex();
  private flushChain: Promise<void> = Promise.resolve();
  private state: State = 'open';
  private startOffset: bigint;
  /** Everything below it is on disk (fsynced); recovery after a crash starts here. */
  private flushedOffset: bigint;
  private checkpointedRecoveryPoint: bigint | undefined;
  private lastRecoveryPointWriteMs = -Infinity;
  private lastFlushMs: number;
  /** Bumped by every truncation: a read that overlapped one retries. */
  private generation = 0;
  private epochs: LeaderEpochCache | undefined;
  private loadingEpochs: Promise<LeaderEpochCache> | undefined;
  /** The clean-shutdown marker is on disk: removed before the first change. */
  private markerPresent: boolean;
  /** New or renamed files since the directory was last fsynced. */
  private dirDirty: boolean;
  /** The epoch checkpoint was written without an fsync since the last flush. */
  private epochsUnsynced = false;
  private readonly recoveryPointWriter: CheckpointWriter;
  private readonly logStartWriter: CheckpointWriter;
  private readonly epochWriter: CheckpointWriter;
  private readonly context: LogErrorContext;
  /** Segments waiting for their last reader before their files go. */
  private readonly deletions = new Set<Promise<void>>();
  /** The topic id recorded in partition.metadata, and its write while one is in flight. */
  private recordedTopicId: { readonly topicId: string; readonly written: Promise<void> } | undefined;

  private constructor(
    readonly dir: string,
    readonly config: LogConfig,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly cache: FileHandleCache,
    private readonly ownsCache: boolean,
    private readonly segmentDeps: SegmentDeps,
    private readonly flushOnRoll: boolean,
    opened: LoadedLog,
    topicId: string | undefined,
  ) {
    this.segments = opened.segments;
    this.startOffset = opened.logStartOffset;
    this.flushedOffset = opened.recoveryPoint;
    this.checkpointedRecoveryPoint = opened.checkpointedRecoveryPoint;
    this.epochs = opened.epochs;
    this.markerPresent = opened.markerPresent;
    this.dirDirty = opened.dirDirty;
    this.lastFlushMs = clock.monotonicMs();
    this.recoveryPointWriter = new CheckpointWriter(path.join(dir, RECOVERY_POINT_FILE));
    this.logStartWriter = new CheckpointWriter(path.join(dir, LOG_START_OFFSET_FILE));
    this.epochWriter = new CheckpointWriter(path.join(dir, LEADER_EPOCH_FILE));
    this.context = contextOf(dir);
    this.recordedTopicId = topicId === undefined ? undefined : { topicId, written: Promise.resolve() };
  }

  /**
   * Opens (or creates) the log in `dir`. After a clean shutdown it trusts the indexes and
   * scans only the tail of the active segment; otherwise it recovers every segment from the
   * recovery point on: validates each batch, truncates a torn or corrupt tail, rebuilds indexes.
   * A damaged partition.metadata fails the open (KAFKA_STORAGE_ERROR) before any segment is read.
   */
  static async open(dir: string, configInput: LogConfigInput = {}, deps: PartitionLogDeps = {}): Promise<PartitionLog> {
    const config = resolveLogConfig(configInput);
    const clock = deps.clock ?? systemClock;
    const logger = (deps.logger ?? silentLogger).child({ component: 'log', dir: path.basename(dir) });
    const ownsCache = deps.fileCache === undefined;
    const cache = deps.fileCache ?? new FileHandleCache(logLimits.openFileHandlesMin * 4);
    const segmentDeps: SegmentDeps = { cache, logger, indexIntervalBytes: config.indexIntervalBytes };
    const topicId = await readPartitionMetadata(dir, contextOf(dir));
    const opened = await loadLog(dir, segmentDeps, deps.syncParentDir ?? true, logger);
    const log = new PartitionLog(dir, config, clock, logger, cache, ownsCache, segmentDeps, deps.flushOnRoll ?? true, opened, topicId);
    if (opened.startBeyondEnd) await log.truncateFullyAndStartAt(log.startOffset);
    if (opened.epochs !== undefined) {
      // Recovered: the scanned batches may carry epochs the checkpoint lost, or it may hold
      // epochs of batches that are gone.
      let changed = opened.epochsChanged;
      changed = opened.epochs.truncateFromEnd(log.logEndOffset) || changed;
      changed = opened.epochs.truncateFromStart(log.startOffset) || changed;
      if (changed) await log.persistEpochs();
    }
    return log;
  }

  get logStartOffset(): bigint {
    return this.startOffset;
  }

  get logEndOffset(): bigint {
    return this.active.nextOffset;
  }

  /** Everything below this offset has been fsynced. */
  get recoveryPoint(): bigint {
    return this.flushedOffset;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  /** Base offsets of the segments, oldest first. */
  get segmentBaseOffsets(): bigint[] {
    return this.segments.map((segment) => segment.baseOffset);
  }

  /** Bytes of all segments. */
  get sizeBytes(): number {
    return this.segments.reduce((sum, segment) => sum + segment.size, 0);
  }

  get isOpen(): boolean {
    return this.state === 'open';
  }

  /**
   * The id of the topic incarnation this log belongs to (partition.metadata), undefined for a
   * log created before ids were recorded or not yet given one.
   */
  get topicId(): string | undefined {
    return this.recordedTopicId?.topicId;
  }

  /**
   * Records the log's topic id, durably, once: the same id again waits for that write; another
   * id is INCONSISTENT_TOPIC_ID (the directory belongs to another incarnation of the topic).
   */
  assignTopicId(topicId: string): Promise<void> {
    this.checkOpen();
    const recorded = this.recordedTopicId;
    if (recorded !== undefined) {
      if (recorded.topicId === topicId) return recorded.written;
      return Promise.reject(new LogError('INCONSISTENT_TOPIC_ID', `the log in ${this.dir} belongs to topic id ${recorded.topicId}, not ${topicId}`, this.context));
    }
    const written = writePartitionMetadata(this.dir, topicId).catch((error: unknown) => {
      if (this.recordedTopicId?.written === written) this.recordedTopicId = undefined;
      throw this.storageError('could not write partition.metadata', error);
    });
    this.recordedTopicId = { topicId, written };
    return written;
  }

  private get active(): LogSegment {
    const active = this.segments.at(-1);
    assert(active !== undefined, 'a log always has an active segment');
    return active;
  }

  // ---- append -----------------------------------------------------------------------------

  /**
   * Appends one or more concatenated batches, each verified (length, magic, and CRC32C unless
   * the caller did). The first batch's CRC is checked while the write is in flight (for a large
   * batch the check costs nearly as much as the write); the others before anything is written.
   * A first batch that fails its check is cut off again, and until then it makes recovery stop
   * in front of the whole append, so no byte of a refused append survives a crash.
   * The leader (`assignOffsets`) stamps base offsets from the log end offset and its leader
   * epoch into the caller's buffer (the CRC does not cover them); a follower keeps the batches'
   * offsets, which must continue the log exactly. Resolves once written (and fsynced when the
   * flush policy asks for it).
   */
  async append(bytes: Buffer, options: AppendOptions): Promise<AppendResult> {
    this.checkOpen();
    const crcVerified = options.crcVerified ?? false;
    const parsed = this.parseBatches(bytes, crcVerified);
    const first = parsed[0];
    assert(first !== undefined, 'an append holds a batch');
    const checkFirst = crcVerified
      ? undefined
      : (): void => {
          verifyBatch(bytes.subarray(0, first.size));
        };
    assert(Number.isInteger(options.leaderEpoch), 'the leader epoch is an integer');
    const result = await this.writeLock.run(async () => {
      this.checkOpen();
      // Awaited only when there is work: each await is a trip through the microtask queue.
      const epochs = this.epochs ?? (await this.loadEpochs());
      const start = this.logEndOffset;
      const appended: AppendedBatch[] = [];
      let next = start;
      let recordCount = 0;
      let maxTimestamp = -1;
      const newEpochs: Array<{ epoch: number; offset: bigint }> = [];
      let latestEpoch = epochs.latestEpoch;
      for (const { position, size, header } of parsed) {
        let epoch = header.partitionLeaderEpoch;
        if (options.assignOffsets) {
          if (options.leaderEpoch < epochs.latestEpoch) {
            throw new LogError('FENCED_LEADER_EPOCH', `leader epoch ${options.leaderEpoch} is older than the log's ${epochs.latestEpoch}`, this.context);
          }
          stampBatch(bytes.subarray(position, position + size), next, options.leaderEpoch);
          epoch = options.leaderEpoch;
        } else {
          if (header.baseOffset !== next) {
            throw new LogError('INVALID_RECORD', `batch starts at offset ${header.baseOffset}, expected ${next} (offsets must continue the log)`, this.context);
          }
          if (epoch < latestEpoch || epoch > options.leaderEpoch) {
            throw new LogError('INVALID_RECORD', `batch leader epoch ${epoch} is outside [${latestEpoch}, ${options.leaderEpoch}]`, this.context);
          }
        }
        if (epoch > latestEpoch) {
          newEpochs.push({ epoch, offset: next });
          latestEpoch = epoch;
        }
        const lastOffset = next + BigInt(header.lastOffsetDelta);
        appended.push({ size, baseOffset: next, lastOffset, maxTimestamp: header.maxTimestamp });
        recordCount += header.recordCount;
        if (header.maxTimestamp > maxTimestamp) maxTimestamp = header.maxTimestamp;
        next = lastOffset + 1n;
      }
      const lastOffset = next - 1n;
      if (this.markerPresent) await this.beforeMutation();
      const nowMs = this.clock.wallMs();
      if (this.shouldRoll(bytes.length, lastOffset, nowMs) ?? (await this.shouldRollByAge(nowMs))) await this.roll();
      if (newEpochs.length > 0) {
        // Assigned before the write; the checkpoint is made durable by the next flush before
        // the recovery point passes these batches (recovery re-derives epochs above it).
        for (const { epoch, offset } of newEpochs) epochs.assign(epoch, offset);
        await this.persistEpochs();
      }
      const segment = this.active;
      let position: number;
      try {
        position = await segment.append(bytes, appended, nowMs, checkFirst);
      } catch (error) {
        if (epochs.truncateFromEnd(start)) await this.persistEpochs().catch(() => undefined);
        throw this.storageError('append failed', error);
      }
      return {
        baseOffset: start,
        lastOffset,
        batchCount: parsed.length,
        recordCount,
        maxTimestamp,
        logAppendTimeMs: nowMs,
        segmentBaseOffset: segment.baseOffset,
        position,
      };
    });
    if (this.isFlushDue()) await this.flushTo(result.lastOffset + 1n);
    return result;
  }

  /**
   * Splits and verifies the batches of an append before any lock is taken, all but the first
   * one's CRC (`append` checks that one during the write).
   */
  private parseBatches(bytes: Buffer, crcVerified: boolean): Array<{ position: number; size: number; header: RecordBatchHeader }> {
    if (bytes.length === 0) throw new LogError('INVALID_RECORD', 'an append holds at least one batch', this.context);
    const limit = Math.min(logLimits.appendBytesMax, this.config.segmentBytes);
    if (bytes.length > limit) {
      throw new LogError('RECORD_LIST_TOO_LARGE', `an append of ${bytes.length} bytes exceeds ${limit} bytes`, this.context);
    }
    const batches: Array<{ position: number; size: number; header: RecordBatchHeader }> = [];
    let position = 0;
    while (position < bytes.length) {
      const size = batchSizeAt(bytes, position);
      if (size === undefined || position + size > bytes.length) {
        throw new LogError('CORRUPT_RECORD', `torn batch at byte ${position} of the append`, this.context);
      }
      if (size > this.config.maxMessageBytes) {
        throw new LogError('MESSAGE_TOO_LARGE', `a batch of ${size} bytes exceeds max.message.bytes ${this.config.maxMessageBytes}`, this.context);
      }
      const batch = bytes.subarray(position, position + size);
      const header = crcVerified || position === 0 ? readBatchHeader(batch) : verifyBatch(batch);
      batches.push({ position, size, header });
      position += size;
    }
    return batches;
  }

  /** Whether to roll before an append; undefined when the age decides and is not known yet. */
  private shouldRoll(bytes: number, lastOffset: bigint, nowMs: number): boolean | undefined {
    const segment = this.active;
    if (segment.isEmpty) return false;
    if (!segment.fits(bytes, lastOffset, this.config.segmentBytes)) return true;
    const anchor = segment.rollAnchorMs;
    return anchor === undefined ? undefined : nowMs - anchor >= this.config.segmentMs;
  }

  /** segment.ms for a reopened active segment, whose age is read from its first batch. */
  private async shouldRollByAge(nowMs: number): Promise<boolean> {
    const anchor = await this.active.loadRollAnchor(nowMs);
    return nowMs - anchor >= this.config.segmentMs;
  }

  /** Starts a new active segment at the log end offset; the old one is flushed in the background. */
  private async roll(): Promise<void> {
    const old = this.active;
    await old.finish();
    const segment = await LogSegment.create(this.dir, old.nextOffset, this.segmentDeps);
    this.segments.push(segment);
    this.dirDirty = true;
    this.logger.debug({ baseOffset: String(segment.baseOffset) }, 'rolled a new segment');
    // As Kafka does: the finished segment is fsynced off the append path, which moves the
    // recovery point to the new segment so crash recovery scans only the active one.
    if (!this.flushOnRoll) return;
    this.flushTo(segment.baseOffset).catch((error: unknown) => {
      this.logger.error({ error: String(error) }, 'background flush of a rolled segment failed');
    });
  }

  // ---- flush ------------------------------------------------------------------------------

  /** fsyncs everything appended so far and records the recovery point (recovery-point-checkpoint). */
  async flush(): Promise<void> {
    this.checkOpen();
    await this.flushTo(this.logEndOffset);
    await this.checkpointRecoveryPoint();
  }

  /** Applies flush.ms: flushes when the oldest unflushed append has waited long enough. */
  async flushIfDue(): Promise<void> {
    if (this.state !== 'open' || this.config.flushMs === undefined) return;
    if (this.logEndOffset > this.flushedOffset && this.clock.monotonicMs() - this.lastFlushMs >= this.config.flushMs) await this.flush();
  }

  /** Whether the flush policy asks for an fsync after an append. */
  private isFlushDue(): boolean {
    const { flushMessages, flushMs } = this.config;
    const unflushed = this.logEndOffset - this.flushedOffset;
    if (unflushed <= 0n) return false;
    return (
      (flushMessages !== undefined && unflushed >= BigInt(flushMessages)) ||
      (flushMs !== undefined && this.clock.monotonicMs() - this.lastFlushMs >= flushMs)
    );
  }

  /**
   * fsyncs the segments holding offsets below `target`. Flushes run one after another, and one
   * that finds its target already covered returns at once, so concurrent appends that each ask
   * for a flush share the fsyncs (group commit).
   */
  private flushTo(target: bigint): Promise<void> {
    if (target <= this.flushedOffset) return Promise.resolve();
    const run = this.flushChain.then(() => this.flushNow(target));
    this.flushChain = run.catch(() => undefined);
    return run;
  }

  private async flushNow(target: bigint, includeActiveIndexes = false): Promise<void> {
    if (target <= this.flushedOffset && !includeActiveIndexes) return;
    const generation = this.generation;
    const endOffset = this.logEndOffset;
    const from = this.flushedOffset;
    const segments = this.segments.filter(
      (segment, i) => segment.baseOffset < target && (i === this.segments.length - 1 || (this.segments[i + 1] as LogSegment).baseOffset > from),
    );
    if (includeActiveIndexes && !segments.includes(this.active)) segments.push(this.active);
    for (const segment of segments) segment.retain();
    try {
      for (const segment of segments) await segment.sync(includeActiveIndexes || !segment.isActive);
      if (this.epochsUnsynced) {
        await this.persistEpochs(true); // fsyncs the directory too
        this.dirDirty = false;
      }
      if (this.dirDirty) {
        this.dirDirty = false;
        await syncDirectory(this.dir);
      }
    } catch (error) {
      throw this.storageError('flush failed', error);
    } finally {
      for (const segment of segments) segment.release();
    }
    this.lastFlushMs = this.clock.monotonicMs();
    if (generation !== this.generation) return;
    const flushed = target < endOffset ? target : endOffset;
    if (flushed > this.flushedOffset) this.flushedOffset = flushed;
    if (this.clock.monotonicMs() - this.lastRecoveryPointWriteMs >= logLimits.recoveryPointCheckpointIntervalMs) {
      await this.checkpointRecoveryPoint();
    }
  }

  /** Writes the recovery point checkpoint if it moved. */
  async checkpointRecoveryPoint(): Promise<void> {
    if (this.checkpointedRecoveryPoint === this.flushedOffset || this.state === 'closed') return;
    const value = this.flushedOffset;
    this.lastRecoveryPointWriteMs = this.clock.monotonicMs();
    await this.recoveryPointWriter.write(() => formatOffsetCheckpoint(value), false);
    this.checkpointedRecoveryPoint = value;
  }

  // ---- read -------------------------------------------------------------------------------

  /**
   * Whole batches from the one holding `offset`, up to `maxBytes` (but at least one whole
   * batch, as Kafka does), from a single segment. Reading below the log start offset or above
   * the log end offset is OFFSET_OUT_OF_RANGE; at the end (or at `maxOffset`) it is empty.
   */
  async read(offset: bigint, maxBytes: number, options: ReadOptions = {}): Promise<ReadResult> {
    this.checkOpen();
    assert(Number.isInteger(maxBytes) && maxBytes >= 0, `maxBytes must be a natural number, got ${maxBytes}`);
    const limit = Math.min(maxBytes, logLimits.readBytesMax);
    for (let attempt = 1; ; attempt++) {
      const generation = this.generation;
      const logStartOffset = this.startOffset;
      const logEndOffset = this.logEndOffset;
      if (offset < logStartOffset || offset > logEndOffset) throw new OffsetOutOfRangeError(offset, logStartOffset, logEndOffset, this.context);
      const maxOffset = options.maxOffset !== undefined && options.maxOffset < logEndOffset ? options.maxOffset : logEndOffset;
      let records: Buffer = Buffer.alloc(0);
      if (offset < maxOffset) {
        for (let i = this.floorSegmentIndex(offset); i < this.segments.length; i++) {
          const segment = this.segments[i] as LogSegment;
          const visibleSize = segment.size;
          segment.retain();
          let found: Buffer | undefined;
          try {
            found = await segment.read(offset, limit, maxOffset, visibleSize);
          } finally {
            segment.release();
          }
          if (found !== undefined) {
            records = found;
            break;
          }
        }
      }
      if (generation === this.generation) return { records, logStartOffset, logEndOffset };
      if (attempt >= logLimits.readAttemptsMax) {
        throw new LogError('KAFKA_STORAGE_ERROR', 'the log was truncated during every read attempt', this.context, { retriable: true });
      }
    }
  }

  /**
   * Kafka's ListOffsets: the first offset whose record timestamp is >= `timestamp` (with that
   * timestamp), the log start for EARLIEST_TIMESTAMP, the log end for LATEST_TIMESTAMP, or
   * undefined when every record is older.
   */
  async offsetForTimestamp(timestamp: number): Promise<TimestampOffset | undefined> {
    this.checkOpen();
    if (timestamp === EARLIEST_TIMESTAMP) return { offset: this.startOffset, timestamp: -1 };
    if (timestamp === LATEST_TIMESTAMP) return { offset: this.logEndOffset, timestamp: -1 };
    const startOffset = this.startOffset;
    for (let i = this.floorSegmentIndex(startOffset); i < this.segments.length; i++) {
      const segment = this.segments[i] as LogSegment;
      const visibleSize = segment.size;
      segment.retain();
      try {
        if ((await segment.maxTimestamp()) < timestamp) continue;
        const hit = await segment.findOffsetByTimestamp(timestamp, startOffset, visibleSize);
        if (hit !== undefined) return hit;
      } finally {
        segment.release();
      }
    }
    return undefined;
  }

  private floorSegmentIndex(offset: bigint): number {
    let lo = 0;
    let hi = this.segments.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if ((this.segments[mid] as LogSegment).baseOffset <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  // ---- leader epochs ----------------------------------------------------------------------

  /** The newest leader epoch written to this log, -1 when none. */
  async latestEpoch(): Promise<number> {
    this.checkOpen();
    return (await this.loadEpochs()).latestEpoch;
  }

  /** Kafka's OffsetsForLeaderEpoch for this replica (see LeaderEpochCache.endOffsetFor). */
  async endOffsetForEpoch(epoch: number): Promise<EpochEndOffset> {
    this.checkOpen();
    return (await this.loadEpochs()).endOffsetFor(epoch, this.logEndOffset);
  }

  /** The epoch cache's entries (epoch → start offset). */
  async epochEntries(): Promise<ReadonlyArray<{ epoch: number; startOffset: bigint }>> {
    return [...(await this.loadEpochs()).all];
  }

  private loadEpochs(): Promise<LeaderEpochCache> {
    if (this.epochs !== undefined) return Promise.resolve(this.epochs);
    this.loadingEpochs ??= (async () => {
      const text = await readTextFile(path.join(this.dir, LEADER_EPOCH_FILE));
      let cache = text === undefined ? new LeaderEpochCache() : LeaderEpochCache.parse(text);
      if (cache === undefined) {
        this.logger.warn('the leader epoch checkpoint is corrupt; starting without epochs');
        cache = new LeaderEpochCache();
      }
      const changed = cache.truncateFromEnd(this.logEndOffset) || cache.truncateFromStart(this.startOffset);
      this.epochs = cache;
      if (changed) await this.persistEpochs();
      return cache;
    })().finally(() => {
      this.loadingEpochs = undefined;
    });
    return this.loadingEpochs;
  }

  /**
   * Writes the epoch checkpoint, durably. Without `durable` it is only marked for the next
   * flush, which writes it before the recovery point passes the batches it describes: crash
   * recovery re-derives the epochs above the recovery point from the batches themselves.
   */
  private async persistEpochs(durable = false): Promise<void> {
    const epochs = this.epochs;
    assert(epochs !== undefined, 'epochs are loaded before they are persisted');
    if (!durable) {
      this.epochsUnsynced = true;
      return;
    }
    this.epochsUnsynced = false;
    try {
      await this.epochWriter.write(() => epochs.serialize(), true);
    } catch (error) {
      this.epochsUnsynced = true;
      throw error;
    }
  }

  // ---- truncation and deletion ------------------------------------------------------------

  /**
   * Removes every offset >= `offset` (a follower after a leader change). Kafka truncates
   * whole batches, so the log may end below `offset` when it falls inside a batch.
   */
  async truncateTo(offset: bigint): Promise<void> {
    this.checkOpen();
    assert(offset >= 0n, 'offsets are never negative');
    await this.writeLock.run(() =>
      this.headLock.run(async () => {
        this.checkOpen();
        await this.flushChain;
        if (offset >= this.logEndOffset) return;
        await this.beforeMutation();
        this.generation++;
        const first = this.segments[0] as LogSegment;
        if (offset < first.baseOffset) {
          await this.truncateFullyAndStartAt(offset);
          return;
        }
        try {
          while (this.segments.length > 1 && this.active.baseOffset > offset) {
            const removed = this.segments.pop() as LogSegment;
            await this.retire(removed);
          }
          await this.active.truncateTo(offset);
          this.dirDirty = true;
          await syncDirectory(this.dir);
          this.dirDirty = false;
        } catch (error) {
          throw this.storageError('truncation failed', error);
        }
        const epochs = await this.loadEpochs();
        if (epochs.truncateFromEnd(this.logEndOffset)) await this.persistEpochs(true);
        if (this.startOffset > this.logEndOffset) {
          this.startOffset = this.logEndOffset;
          await this.logStartWriter.write(() => formatOffsetCheckpoint(this.startOffset), true);
        }
        if (this.flushedOffset > this.logEndOffset) this.flushedOffset = this.logEndOffset;
        await this.writeRecoveryPointDurably();
        this.logger.info({ offset: String(offset), logEndOffset: String(this.logEndOffset) }, 'truncated the log');
      }),
    );
  }

  /** Empties the log and restarts it at `offset` (truncation below every segment, or a log start beyond its end). */
  private async truncateFullyAndStartAt(offset: bigint): Promise<void> {
    this.generation++;
    const removed = this.segments.splice(0, this.segments.length);
    const segment = await LogSegment.create(this.dir, offset, this.segmentDeps);
    this.segments.push(segment);
    for (const old of removed) await this.retire(old);
    await segment.sync(true);
    await syncDirectory(this.dir);
    this.startOffset = offset;
    this.flushedOffset = offset;
    await this.logStartWriter.write(() => formatOffsetCheckpoint(offset), true);
    this.epochs = new LeaderEpochCache();
    await this.persistEpochs(true);
    await this.writeRecoveryPointDurably();
    this.logger.info({ offset: String(offset) }, 'truncated the log fully');
  }

  private async writeRecoveryPointDurably(): Promise<void> {
    const value = this.flushedOffset;
    await this.recoveryPointWriter.write(() => formatOffsetCheckpoint(value), true);
    this.checkpointedRecoveryPoint = value;
  }

  /**
   * Advances the log start offset to `offset` (Kafka's DeleteRecords): offsets below it are no
   * longer readable, and whole segments below it are deleted. Persisted before it returns.
   */
  async deleteRecordsBefore(offset: bigint): Promise<bigint> {
    this.checkOpen();
    return this.headLock.run(async () => {
      this.checkOpen();
      if (offset > this.logEndOffset || offset < 0n) throw new OffsetOutOfRangeError(offset, this.startOffset, this.logEndOffset, this.context);
      if (offset > this.startOffset) await this.advanceLogStartOffset(offset);
      await this.deleteSegmentsBelowStart();
      return this.startOffset;
    });
  }

  /**
   * Deletes whole old segments by retention.ms (newest timestamp in the segment) and
   * retention.bytes, never the active one. Runs beside appends, not against them.
   */
  async applyRetention(): Promise<RetentionResult> {
    if (this.state !== 'open') return { deletedSegments: 0, reasons: [], logStartOffset: this.startOffset };
    return this.headLock.run(async () => {
      if (this.state !== 'open') return { deletedSegments: 0, reasons: [], logStartOffset: this.startOffset };
      const inactive = this.segments.slice(0, -1);
      const candidates: RetentionCandidate[] = [];
      for (let i = 0; i < inactive.length; i++) {
        const segment = inactive[i] as LogSegment;
        const next = this.segments[i + 1] as LogSegment;
        const maxTimestamp = this.config.retentionMs >= 0 ? await segment.maxTimestamp() : -1;
        candidates.push({ baseOffset: segment.baseOffset, nextOffset: next.baseOffset, sizeBytes: segment.size, maxTimestamp });
      }
      const plan = planRetention({
        candidates,
        totalBytes: this.sizeBytes,
        logStartOffset: this.startOffset,
        retentionBytes: this.config.retentionBytes,
        retentionMs: this.config.retentionMs,
        nowMs: this.clock.wallMs(),
      });
      if (plan.deleteCount === 0) return { deletedSegments: 0, reasons: [], logStartOffset: this.startOffset };
      if (plan.logStartOffset > this.startOffset) await this.advanceLogStartOffset(plan.logStartOffset);
      const deleted = await this.deleteSegmentsBelowStart();
      this.logger.info({ deleted, reasons: plan.reasons, logStartOffset: String(this.startOffset) }, 'retention deleted segments');
      return { deletedSegments: deleted, reasons: plan.reasons, logStartOffset: this.startOffset };
    });
  }

  private async advanceLogStartOffset(offset: bigint): Promise<void> {
    await this.beforeMutation();
    this.startOffset = offset;
    await this.logStartWriter.write(() => formatOffsetCheckpoint(this.startOffset), true);
    const epochs = await this.loadEpochs();
    if (epochs.truncateFromStart(offset)) await this.persistEpochs();
  }

  /** Deletes the segments wholly below the log start offset (never the active one). */
  private async deleteSegmentsBelowStart(): Promise<number> {
    let deleted = 0;
    while (this.segments.length > 1 && (this.segments[1] as LogSegment).baseOffset <= this.startOffset) {
      const segment = this.segments.shift() as LogSegment;
      await this.retire(segment);
      deleted++;
    }
    if (deleted > 0) this.dirDirty = true;
    return deleted;
  }

  /** Deletes a segment already taken out of the list, once its readers are done with it. */
  private async retire(segment: LogSegment): Promise<void> {
    await segment.markDeleted();
    const deleted = segment.whenDeleted();
    this.deletions.add(deleted);
    void deleted.finally(() => this.deletions.delete(deleted));
  }

  // ---- lifecycle --------------------------------------------------------------------------

  /**
   * Clean shutdown: waits for writers, writes the in-memory index entries, fsyncs what is
   * not yet on disk, then writes the `.clean-shutdown` marker so the next open skips recovery.
   */
  async close(): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    await this.writeLock.run(() =>
      this.headLock.run(async () => {
        await this.flushChain;
        try {
          const mutated = !this.markerPresent;
          if (mutated) {
            await this.active.writeIndexes();
            // The marker stands for "recovery point = log end", so no recovery point file.
            await this.flushNow(this.logEndOffset, true);
            await this.writeMarker();
          }
        } finally {
          await this.releaseFiles();
          this.state = 'closed';
        }
      }),
    );
  }

  /**
   * Stops the log without a clean shutdown, as a crash would (for tests, and for a disk that
   * failed): waits for operations in flight, then writes nothing more.
   */
  async abandon(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closing';
    await this.writeLock.run(() =>
      this.headLock.run(async () => {
        await this.flushChain;
        await this.releaseFiles();
        this.state = 'closed';
      }),
    );
  }

  private async releaseFiles(): Promise<void> {
    await Promise.all([this.recoveryPointWriter.idle(), this.logStartWriter.idle(), this.epochWriter.idle(), this.recordedTopicId?.written.catch(() => undefined)]);
    await Promise.all(this.deletions); // reads in flight finish, then release their segments
    for (const segment of this.segments) await segment.closeFiles();
    if (this.ownsCache) await this.cache.closeIdle();
  }

  private async writeMarker(): Promise<void> {
    await writeFile(path.join(this.dir, CLEAN_SHUTDOWN_FILE), '');
    this.markerPresent = true;
  }

  /** Removes the clean-shutdown marker, durably, before the first change after an open. */
  private async beforeMutation(): Promise<void> {
    if (!this.markerPresent) return;
    await unlink(path.join(this.dir, CLEAN_SHUTDOWN_FILE)).catch((error: unknown) => {
      if (!isNotFound(error)) throw error;
    });
    await syncDirectory(this.dir);
    this.markerPresent = false;
  }

  private checkOpen(): void {
    if (this.state !== 'open') throw new LogError('KAFKA_STORAGE_ERROR', `the log in ${this.dir} is closed`, this.context);
  }

  private storageError(what: string, error: unknown): EddyError {
    if (error instanceof EddyError) return error;
    this.logger.error({ error: String(error) }, what);
    return new LogError('KAFKA_STORAGE_ERROR', `${what}: ${String(error)}`, this.context, { cause: error });
  }
}

/** The topic and partition of a log directory, for errors (unknown for foreign names). */
function contextOf(dir: string): LogErrorContext {
  const parsed = parsePartitionDirName(path.basename(dir));
  return { topic: parsed?.topic, partition: parsed?.partition };
}
