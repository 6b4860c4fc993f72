import { assert } from '@eddy/base';

/**
 * Pure logic of the sparse indexes: entry layouts, search over entries in memory, sanity
 * checks and the policy that decides when a batch gets an entry. No I/O here.
 *
 * Offset index entry (8 bytes, big-endian): relative offset u32 (of a batch's base offset to
 * the segment's base offset), position u32 (the batch's byte position in the segment).
 * Time index entry (12 bytes): timestamp i64, relative offset u32. An entry (t, o) promises
 * that no record at an offset <= o carries a timestamp > t.
 */
export type IndexKey = (entries: Buffer, at: number) => number;

export interface IndexFormat {
  readonly name: 'offset' | 'time';
  readonly entryBytes: number;
  /** Keys that never decrease along the index; searches and truncations use them. */
  readonly keys: { readonly [key: string]: IndexKey };
}

export const offsetIndexFormat = {
  name: 'offset',
  entryBytes: 8,
  keys: {
    relativeOffset: (entries: Buffer, at: number): number => entries.readUInt32BE(at),
    position: (entries: Buffer, at: number): number => entries.readUInt32BE(at + 4),
  },
} as const satisfies IndexFormat;

export const timeIndexFormat = {
  name: 'time',
  entryBytes: 12,
  keys: {
    timestamp: (entries: Buffer, at: number): number => entries.readInt32BE(at) * 0x1_0000_0000 + entries.readUInt32BE(at + 4),
    relativeOffset: (entries: Buffer, at: number): number => entries.readUInt32BE(at + 8),
  },
} as const satisfies IndexFormat;

export function writeOffsetEntry(target: Buffer, at: number, relativeOffset: number, position: number): void {
  target.writeUInt32BE(relativeOffset, at);
  target.writeUInt32BE(position, at + 4);
}

export function writeTimeEntry(target: Buffer, at: number, timestamp: number, relativeOffset: number): void {
  target.writeBigInt64BE(BigInt(timestamp), at);
  target.writeUInt32BE(relativeOffset, at + 8);
}

/**
 * The index of the last entry among `count` whose key is <= target, or -1 when every key is
 * greater. Keys must not decrease.
 */
export function findLastAtMost(entries: Buffer, count: number, entryBytes: number, key: IndexKey, target: number): number {
  let lo = 0;
  let hi = count; // answer in [lo - 1, hi - 1]
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key(entries, mid * entryBytes) <= target) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** True when no key decreases from one entry to the next (the first one compared to `previous`). */
export function isMonotonic(entries: Buffer, count: number, format: IndexFormat, previous?: Buffer): boolean {
  for (const key of Object.values(format.keys)) {
    let last = previous === undefined ? -Infinity : key(previous, 0);
    for (let i = 0; i < count; i++) {
      const value = key(entries, i * format.entryBytes);
      if (value < last) return false;
      last = value;
    }
  }
  return true;
}

/** Where one batch sits in its segment, as the index policy needs it. */
export interface BatchPlacement {
  readonly position: number;
  readonly size: number;
  readonly relativeBaseOffset: number;
  readonly relativeLastOffset: number;
  readonly maxTimestamp: number;
}

export interface OffsetEntry {
  readonly relativeOffset: number;
  readonly position: number;
}

export interface TimeEntry {
  readonly timestamp: number;
  readonly relativeOffset: number;
}

export interface IndexPlannerState {
  /** Log bytes appended since the last offset index entry (or since the segment start). */
  readonly bytesSinceLastEntry: number;
  /** Largest batch max timestamp so far in the segment, -1 when none. */
  readonly maxTimestamp: number;
  /** Timestamp of the last time index entry, -1 when none. */
  readonly lastTimeEntryTimestamp: number;
  /** Relative last offset of the newest batch, -1 when the segment is empty. */
  readonly relativeLastOffset: number;
}

export const emptyPlannerState: IndexPlannerState = {
  bytesSinceLastEntry: 0,
  maxTimestamp: -1,
  lastTimeEntryTimestamp: -1,
  relativeLastOffset: -1,
};

/**
 * Decides which batches get index entries, identically on append and on rebuild: a batch
 * starting after at least `intervalBytes` of unindexed log gets an offset entry, and a time
 * entry when the segment's max timestamp grew since the last one (as Kafka does).
 */
export class IndexPlanner {
  private bytesSinceLastEntry: number;
  private maxTimestampSoFar: number;
  private lastTimeEntryTimestamp: number;
  private relativeLastOffset: number;

  constructor(
    private readonly intervalBytes: number,
    state: IndexPlannerState = emptyPlannerState,
  ) {
    assert(intervalBytes >= 1, 'index interval is positive');
    this.bytesSinceLastEntry = state.bytesSinceLastEntry;
    this.maxTimestampSoFar = state.maxTimestamp;
    this.lastTimeEntryTimestamp = state.lastTimeEntryTimestamp;
    this.relativeLastOffset = state.relativeLastOffset;
  }

  get state(): IndexPlannerState {
    return {
      bytesSinceLastEntry: this.bytesSinceLastEntry,
      maxTimestamp: this.maxTimestampSoFar,
      lastTimeEntryTimestamp: this.lastTimeEntryTimestamp,
      relativeLastOffset: this.relativeLastOffset,
    };
  }

  get maxTimestamp(): number {
    return this.maxTimestampSoFar;
  }

  place(batch: BatchPlacement): { offsetEntry: OffsetEntry | undefined; timeEntry: TimeEntry | undefined } {
    assert(batch.relativeBaseOffset > this.relativeLastOffset, 'batches are placed in offset order');
    if (batch.maxTimestamp > this.maxTimestampSoFar) this.maxTimestampSoFar = batch.maxTimestamp;
    this.relativeLastOffset = batch.relativeLastOffset;
    let offsetEntry: OffsetEntry | undefined;
    let timeEntry: TimeEntry | undefined;
    if (this.bytesSinceLastEntry >= this.intervalBytes) {
      offsetEntry = { relativeOffset: batch.relativeBaseOffset, position: batch.position };
      this.bytesSinceLastEntry = 0;
      timeEntry = this.takeTimeEntry();
    }
    this.bytesSinceLastEntry += batch.size;
    return { offsetEntry, timeEntry };
  }

  /** The time entry that records the segment's max timestamp when it is finished (roll, close). */
  finish(): TimeEntry | undefined {
    return this.takeTimeEntry();
  }

  private takeTimeEntry(): TimeEntry | undefined {
    if (this.maxTimestampSoFar <= this.lastTimeEntryTimestamp || this.relativeLastOffset < 0) return undefined;
    this.lastTimeEntryTimestamp = this.maxTimestampSoFar;
    return { timestamp: this.maxTimestampSoFar, relativeOffset: this.relativeLastOffset };
  }
}
