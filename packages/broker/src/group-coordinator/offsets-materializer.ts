import { type Logger, silentLogger } from '@eddy/base';
import type { ReadOptions, ReadResult } from '@eddy/log';
import type { GroupStateStore } from '../group-store/group-state-store.js';
import { SerialExecutor } from '../replication/serial-executor.js';
import { groupCoordinatorLimits } from './limits.js';
import { decodeOffsetsRecords } from './offsets-batches.js';

/** What the materializer reads of a local __consumer_offsets replica (a PartitionLog). */
export interface OffsetsLogView {
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  read(offset: bigint, maxBytes: number, options?: ReadOptions): Promise<ReadResult>;
}

export interface OffsetsMaterializerDeps {
  readonly store: GroupStateStore;
  /** The local log of an offsets partition; undefined when this node holds no replica of it. */
  readonly log: (partition: number) => OffsetsLogView | undefined;
  /** The replica's high watermark (leader or follower); undefined when not hosted. */
  readonly highWatermark: (partition: number) => bigint | undefined;
  readonly logger?: Logger;
}

interface Lane {
  readonly serial: SerialExecutor;
  /** The store's applied offset, once read; undefined before. */
  applied: bigint | undefined;
  /** A catch-up pass submitted and not started yet: later callers share it. */
  queued: Promise<bigint> | undefined;
}

/**
 * Applies the committed records of each local __consumer_offsets replica to the GroupStateStore,
 * in log order, each step atomically with the offset it reached. Only records below the high
 * watermark are applied: they are committed, so every replica applies the same ones and a new
 * coordinator's store agrees with its predecessor's.
 *
 * Work on one partition runs on its own lane, one task at a time; `catchUp` calls that arrive
 * while a pass waits to start share it, so a burst of commits costs one pass, not one each.
 */
export class OffsetsMaterializer {
  private readonly lanes = new Map<number, Lane>();
  private readonly logger: Logger;
  private closed = false;

  constructor(private readonly deps: OffsetsMaterializerDeps) {
    this.logger = deps.logger ?? silentLogger;
  }

  /** The next offset to apply, as far as this process knows (undefined before the first pass). */
  appliedOffset(partition: number): bigint | undefined {
    return this.lanes.get(partition)?.applied;
  }

  /**
   * Applies everything below the high watermark the pass sees when it starts. Resolves with
   * the next offset to apply. Read failures (the log closing, a truncation racing the read) end
   * the pass early; the next call picks up from where it stopped.
   */
  catchUp(partition: number): Promise<bigint> {
    const lane = this.lane(partition);
    if (lane.queued !== undefined) return lane.queued;
    const pass = lane.serial.run(async () => {
      lane.queued = undefined;
      return this.applyAvailable(partition, lane);
    });
    lane.queued = pass;
    return pass;
  }

  /**
   * A leader whose log ends below what its store applied lost part of its log (unflushed data
   * after a crash, a replaced disk): the log is the truth from now on, so the partition's state
   * is forgotten and replayed from the log. Resolves true when that happened.
   */
  resetIfAhead(partition: number, logEndOffset: bigint): Promise<boolean> {
    const lane = this.lane(partition);
    return lane.serial.run(async () => {
      const applied = lane.applied ?? (await this.deps.store.nextOffsetToApply(partition));
      lane.applied = applied;
      if (applied <= logEndOffset) return false;
      this.logger.warn(
        { partition, applied: String(applied), logEndOffset: String(logEndOffset) },
        'the group state is ahead of the offsets log this node now leads; replaying the partition from its log',
      );
      await this.deps.store.dropPartition(partition);
      lane.applied = 0n;
      return true;
    });
  }

  /** Forgets a partition's state (its replica left this node, or its topic was deleted). */
  drop(partition: number): Promise<void> {
    const lane = this.lane(partition);
    return lane.serial.run(async () => {
      if (this.closed) return;
      await this.deps.store.dropPartition(partition);
      lane.applied = 0n;
    });
  }

  /** Refuses new passes and waits for the running ones; the store can close afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.lanes.values()].map((lane) => lane.serial.idle()));
  }

  private lane(partition: number): Lane {
    let lane = this.lanes.get(partition);
    if (lane === undefined) {
      lane = { serial: new SerialExecutor(), applied: undefined, queued: undefined };
      this.lanes.set(partition, lane);
    }
    return lane;
  }

  private async applyAvailable(partition: number, lane: Lane): Promise<bigint> {
    if (this.closed) return lane.applied ?? 0n;
    let next = lane.applied ?? (await this.deps.store.nextOffsetToApply(partition));
    lane.applied = next;
    const log = this.deps.log(partition);
    const highWatermark = this.deps.highWatermark(partition);
    if (log === undefined || highWatermark === undefined) return next;
    // Everything below the HW the pass starts with; a later HW is the next pass's.
    const end = highWatermark < log.logEndOffset ? highWatermark : log.logEndOffset;
    while (next < end && !this.closed) {
      if (next < log.logStartOffset) {
        this.logger.warn({ partition, applied: String(next), logStartOffset: String(log.logStartOffset) }, 'the offsets log starts after the applied offset; records in between are lost');
        next = log.logStartOffset;
        lane.applied = next;
        if (next >= end) break;
      }
      let read: ReadResult;
      try {
        read = await log.read(next, groupCoordinatorLimits.replayChunkBytes, { maxOffset: end });
      } catch (error) {
        this.logger.debug({ partition, offset: String(next), error: error instanceof Error ? error.message : String(error) }, 'reading the offsets log failed; retrying on the next pass');
        return next;
      }
      if (read.records.length === 0) return next;
      const decoded = decodeOffsetsRecords(read.records, next, this.logger);
      if (decoded.nextOffset <= next) return next;
      if (this.closed) return next;
      await this.deps.store.apply(partition, decoded.records, decoded.nextOffset);
      next = decoded.nextOffset;
      lane.applied = next;
    }
    return next;
  }
}
