import { assert } from '@eddy/base';
import { formatCheckpoint, parseCheckpoint } from './checkpoint-file.js';
import { logLimits } from './limits.js';

/** Kafka's "no epoch" / "no offset" answers of OffsetsForLeaderEpoch. */
export const UNDEFINED_EPOCH = -1;
export const UNDEFINED_EPOCH_OFFSET = -1n;

export interface EpochEntry {
  readonly epoch: number;
  /** The first offset written in this epoch. */
  readonly startOffset: bigint;
}

export interface EpochEndOffset {
  readonly epoch: number;
  readonly endOffset: bigint;
}

/**
 * Leader epoch → start offset, in increasing order of both, as Kafka's LeaderEpochFileCache.
 * Pure: the partition log persists it (`serialize`) whenever it changes.
 */
export class LeaderEpochCache {
  private entries: EpochEntry[];

  constructor(entries: readonly EpochEntry[] = []) {
    this.entries = [...entries];
    this.checkInvariants();
  }

  get all(): readonly EpochEntry[] {
    return this.entries;
  }

  /** The newest epoch, or UNDEFINED_EPOCH when none was seen. */
  get latestEpoch(): number {
    return this.entries.at(-1)?.epoch ?? UNDEFINED_EPOCH;
  }

  /**
   * Records that `epoch` starts at `startOffset`. Older epochs and an equal epoch change
   * nothing (returns false). Entries at or after the new start offset are replaced.
   */
  assign(epoch: number, startOffset: bigint): boolean {
    assert(Number.isInteger(epoch) && epoch >= 0, `a leader epoch is a non-negative integer, got ${epoch}`);
    if (epoch <= this.latestEpoch) return false;
    while ((this.entries.at(-1)?.startOffset ?? -1n) >= startOffset) this.entries.pop();
    this.entries.push({ epoch, startOffset });
    assert(this.entries.length <= logLimits.leaderEpochEntriesMax, 'too many leader epochs');
    return true;
  }

  /** Drops epochs starting at or after `endOffset` (a truncation of the log's end). */
  truncateFromEnd(endOffset: bigint): boolean {
    const before = this.entries.length;
    while ((this.entries.at(-1)?.startOffset ?? -1n) >= endOffset) this.entries.pop();
    return this.entries.length !== before;
  }

  /**
   * Drops epochs wholly before `startOffset` (a new log start offset); the epoch that covers it
   * is kept, starting at `startOffset`.
   */
  truncateFromStart(startOffset: bigint): boolean {
    let covering = -1;
    for (let i = 0; i < this.entries.length && (this.entries[i] as EpochEntry).startOffset <= startOffset; i++) covering = i;
    if (covering < 0) return false;
    const entry = this.entries[covering] as EpochEntry;
    if (covering === 0 && entry.startOffset === startOffset) return false;
    this.entries = [{ epoch: entry.epoch, startOffset }, ...this.entries.slice(covering + 1)];
    return true;
  }

  /**
   * Kafka's OffsetsForLeaderEpoch answer: the largest epoch <= `requestedEpoch` this log knows
   * and the offset where it ended (the start of the next epoch, or the log end offset for the
   * latest epoch). A follower truncates to it to drop what diverged from the leader.
   */
  endOffsetFor(requestedEpoch: number, logEndOffset: bigint): EpochEndOffset {
    if (requestedEpoch === UNDEFINED_EPOCH) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    if (requestedEpoch === this.latestEpoch) return { epoch: requestedEpoch, endOffset: logEndOffset };
    const higher = this.entries.findIndex((entry) => entry.epoch > requestedEpoch);
    const higherEntry = this.entries[higher];
    if (higherEntry === undefined) return { epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET };
    const floorEntry = higher > 0 ? this.entries[higher - 1] : undefined;
    if (floorEntry === undefined) return { epoch: requestedEpoch, endOffset: higherEntry.startOffset };
    return { epoch: floorEntry.epoch, endOffset: higherEntry.startOffset };
  }

  serialize(): string {
    return formatCheckpoint(this.entries.map((entry) => `${entry.epoch} ${entry.startOffset}`));
  }

  /** Parses a checkpoint; undefined when it is malformed or breaks the ordering. */
  static parse(text: string): LeaderEpochCache | undefined {
    const lines = parseCheckpoint(text);
    if (lines === undefined) return undefined;
    const entries: EpochEntry[] = [];
    for (const line of lines) {
      const match = /^(\d{1,10}) (\d{1,19})$/.exec(line);
      if (match === null) return undefined;
      const epoch = Number(match[1]);
      const startOffset = BigInt(match[2] as string);
      const last = entries.at(-1);
      if (epoch > 0x7fff_ffff || (last !== undefined && (epoch <= last.epoch || startOffset <= last.startOffset))) return undefined;
      entries.push({ epoch, startOffset });
    }
    return new LeaderEpochCache(entries);
  }

  private checkInvariants(): void {
    for (let i = 1; i < this.entries.length; i++) {
      const previous = this.entries[i - 1] as EpochEntry;
      const entry = this.entries[i] as EpochEntry;
      assert(entry.epoch > previous.epoch && entry.startOffset > previous.startOffset, 'leader epochs and start offsets increase');
    }
  }
}
