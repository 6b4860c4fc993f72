import type { EddyError } from '@eddy/base';
import { BATCH_ATTRIBUTES, batchSizeAt, decodeRecordBatch, readBatchHeader, type Record as DecodedRecord } from '@eddy/record';

/** A record as the consumer returns it. `key`, `value` and header values are views into the fetched bytes. */
export interface ConsumerRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
  readonly key: Buffer | null;
  readonly value: Buffer | null;
  /** Header values by key (the last one wins when a key repeats). */
  readonly headers: Readonly<Record<string, Buffer | null>>;
  /** Milliseconds since the epoch (create time, or the broker's append time). */
  readonly timestamp: number;
  /** The leader epoch of the batch that holds the record, -1 if unknown. */
  readonly leaderEpoch: number;
}

const noHeaders: Readonly<Record<string, Buffer | null>> = Object.freeze({});

/** Fetched bytes of one partition, consumed batch by batch. */
interface FetchedChunk {
  readonly records: Buffer;
  /** Byte position of the next batch to decode. */
  position: number;
}

interface DecodedBatch {
  readonly records: DecodedRecord[];
  index: number;
  readonly leaderEpoch: number;
  /** The offset after the batch's last offset (compaction may have removed records before it). */
  readonly nextOffset: bigint;
}

/** The end of the batches in `records`: the offset after the last one, and its leader epoch. */
export function endOfBatches(records: Buffer): { nextOffset: bigint; leaderEpoch: number } | undefined {
  let position = 0;
  let end: { nextOffset: bigint; leaderEpoch: number } | undefined;
  while (position < records.length) {
    const size = batchSizeAt(records, position);
    if (size === undefined || size > records.length - position) break;
    const header = readBatchHeader(records, position);
    end = { nextOffset: header.baseOffset + BigInt(header.lastOffsetDelta) + 1n, leaderEpoch: header.partitionLeaderEpoch };
    position += size;
  }
  return end;
}

/**
 * One partition assigned to the consumer: its position (the next offset to hand out), what was
 * fetched ahead of it (bounded in bytes), and its fetch state. Batches are decoded lazily, one at
 * a time, as records are taken; records below the position are skipped.
 */
export class AssignedPartition {
  /** The next offset to return; undefined until known (committed offset or reset). */
  position: bigint | undefined;
  /** The leader epoch of the last record returned (committed with the offset), -1 if none. */
  positionEpoch = -1;
  /** The position as of the last poll: every record before it has been processed. */
  processedPosition: bigint | undefined;
  processedEpoch = -1;
  /** The next offset to fetch: the end of what is buffered. */
  fetchOffset = 0n;
  /** The leader epoch of the last fetched batch, -1 if none. */
  lastFetchedEpoch = -1;
  paused = false;
  fetchInFlight = false;
  /** Finding the position (committed offset or reset) in progress. */
  resolving = false;
  /** Bumped by seeks and resets: answers to older fetches are dropped. */
  epoch = 0;
  retryAtMs = 0;
  highWatermark = -1n;
  logStartOffset = -1n;
  /** An error poll() must report (no offset to reset to, a corrupt batch, ...). */
  error: EddyError | undefined;
  private readonly chunks: FetchedChunk[] = [];
  private current: DecodedBatch | undefined;
  private buffered = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Bytes fetched and not yet consumed. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  get hasRecords(): boolean {
    return (this.current !== undefined && this.current.index < this.current.records.length) || this.chunks.length > 0;
  }

  /** Moves the position (a seek, a reset, a committed offset): drops what was fetched. */
  seek(offset: bigint, leaderEpoch = -1): void {
    this.position = offset;
    this.positionEpoch = leaderEpoch;
    this.fetchOffset = offset;
    this.lastFetchedEpoch = -1;
    this.error = undefined;
    this.retryAtMs = 0;
    this.clearBuffer();
  }

  /** Forgets the position (it must be found again) and the buffer. */
  unsetPosition(): void {
    this.position = undefined;
    this.processedPosition = undefined;
    this.clearBuffer();
  }

  clearBuffer(): void {
    this.chunks.length = 0;
    this.current = undefined;
    this.buffered = 0;
    this.epoch++;
  }

  /** Adds fetched batches (whole batches, from the fetch offset on). */
  addFetched(records: Buffer): void {
    const end = endOfBatches(records);
    if (end === undefined || end.nextOffset <= this.fetchOffset) return;
    this.chunks.push({ records, position: 0 });
    this.buffered += records.length;
    this.fetchOffset = end.nextOffset;
    this.lastFetchedEpoch = end.leaderEpoch;
  }

  /**
   * Moves up to `max` records at or after the position into `out`, advancing the position.
   * Throws CorruptRecordError for a batch that fails its checks (the position stays before it).
   */
  take(max: number, out: ConsumerRecord[]): number {
    let taken = 0;
    while (taken < max && this.position !== undefined) {
      const current = this.current;
      if (current !== undefined) {
        if (current.index < current.records.length) {
          const record = current.records[current.index++] as DecodedRecord;
          if (record.offset < this.position) continue;
          out.push(this.toConsumerRecord(record, current.leaderEpoch));
          this.position = record.offset + 1n;
          this.positionEpoch = current.leaderEpoch;
          taken++;
          continue;
        }
        if (current.nextOffset > this.position) this.position = current.nextOffset;
        this.current = undefined;
      }
      const chunk = this.chunks[0];
      if (chunk === undefined) break;
      const remaining = chunk.records.length - chunk.position;
      const size = remaining > 0 ? batchSizeAt(chunk.records, chunk.position) : undefined;
      if (size === undefined || size > remaining) {
        this.chunks.shift();
        this.buffered -= chunk.records.length;
        continue;
      }
      const bytes = chunk.records.subarray(chunk.position, chunk.position + size);
      const header = readBatchHeader(bytes);
      const nextOffset = header.baseOffset + BigInt(header.lastOffsetDelta) + 1n;
      if (nextOffset <= this.position || (header.attributes & BATCH_ATTRIBUTES.control) !== 0) {
        // Entirely before the position (the fetch started inside an earlier batch), or a control batch.
        this.advance(chunk, size);
        if (nextOffset > this.position) this.position = nextOffset;
        continue;
      }
      const decoded = decodeRecordBatch(bytes);
      this.advance(chunk, size);
      this.current = { records: decoded.records, index: 0, leaderEpoch: header.partitionLeaderEpoch, nextOffset };
    }
    return taken;
  }

  /** Moves past one batch of the head chunk, dropping the chunk once it is used up. */
  private advance(chunk: FetchedChunk, size: number): void {
    chunk.position += size;
    if (chunk.position >= chunk.records.length) {
      this.chunks.shift();
      this.buffered -= chunk.records.length;
    }
  }

  private toConsumerRecord(record: DecodedRecord, leaderEpoch: number): ConsumerRecord {
    let headers = noHeaders;
    if (record.headers.length > 0) {
      const map: Record<string, Buffer | null> = {};
      for (const header of record.headers) map[header.key] = header.value;
      headers = map;
    }
    return {
      topic: this.topic,
      partition: this.partition,
      offset: record.offset,
      key: record.key,
      value: record.value,
      headers,
      timestamp: record.timestamp,
      leaderEpoch,
    };
  }
}
