import { assert, type Logger } from '@eddy/base';
import { decodeRecordBatch, encodeRecordBatch, iterateBatches, recordBytesUpperBound, RECORD_BATCH_HEADER_BYTES, type RecordInput } from '@eddy/record';
import { decodeOffsetsTopicRecord, encodeOffsetsTopicRecord, type OffsetsTopicRecord } from '../group-store/offsets-topic-records.js';
import { groupCoordinatorLimits } from './limits.js';

/** Records of one write to __consumer_offsets, as the bytes of one append. */
export interface EncodedWrite {
  /** One or more whole batches, concatenated. */
  readonly bytes: Buffer;
  readonly recordCount: number;
}

/**
 * Encodes records for one append: batches of at most `batchBytesMax` record bytes (a record
 * larger than that goes alone in its own batch), uncompressed, timestamped `timestampMs`.
 * Undefined when the whole write would exceed `writeBytesMax` (the caller answers
 * INVALID_COMMIT_OFFSET_SIZE or fails the write).
 */
export function encodeOffsetsWrite(records: readonly OffsetsTopicRecord[], timestampMs: number): EncodedWrite | undefined {
  assert(records.length > 0, 'a write holds at least one record');
  const batches: Buffer[] = [];
  let current: RecordInput[] = [];
  let currentBytes = 0;
  let totalBytes = 0;
  const flush = (): void => {
    if (current.length === 0) return;
    batches.push(encodeRecordBatch(current, { timestampMs }));
    current = [];
    currentBytes = 0;
  };
  for (const record of records) {
    const { key, value } = encodeOffsetsTopicRecord(record);
    const input: RecordInput = { key, value };
    const bytes = recordBytesUpperBound(input);
    totalBytes += bytes;
    if (totalBytes + RECORD_BATCH_HEADER_BYTES * (batches.length + 1) > groupCoordinatorLimits.writeBytesMax) return undefined;
    if (currentBytes > 0 && currentBytes + bytes > groupCoordinatorLimits.batchBytesMax) flush();
    current.push(input);
    currentBytes += bytes;
  }
  flush();
  return { bytes: batches.length === 1 ? (batches[0] as Buffer) : Buffer.concat(batches), recordCount: records.length };
}

/** What a replay step read: the records at or after the start offset, and where the next step starts. */
export interface DecodedOffsetsRecords {
  readonly records: OffsetsTopicRecord[];
  /** The offset after the last batch read; the start offset when `bytes` held no whole batch. */
  readonly nextOffset: bigint;
  /** Records skipped because they could not be read as __consumer_offsets records. */
  readonly skipped: number;
}

/**
 * Decodes whole batches read from a __consumer_offsets log from `fromOffset` on (the first batch
 * may start before it: its earlier records are skipped). A record that is not a valid
 * __consumer_offsets record (another writer's garbage) is skipped and counted, never applied: one
 * bad record must not stop a coordinator from loading. A batch failing its CRC throws (the log
 * is corrupt; the replica should not serve).
 */
export function decodeOffsetsRecords(bytes: Buffer, fromOffset: bigint, logger: Logger): DecodedOffsetsRecords {
  const records: OffsetsTopicRecord[] = [];
  let nextOffset = fromOffset;
  let skipped = 0;
  for (const { position, size, header } of iterateBatches(bytes)) {
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    if (lastOffset < fromOffset) continue;
    const batch = decodeRecordBatch(bytes.subarray(position, position + size));
    for (const record of batch.records) {
      if (record.offset < fromOffset) continue;
      if (record.key === null) {
        skipped++;
        continue;
      }
      try {
        records.push(decodeOffsetsTopicRecord(record.key, record.value));
      } catch (error) {
        skipped++;
        logger.warn({ offset: String(record.offset), error: error instanceof Error ? error.message : String(error) }, 'skipping an unreadable __consumer_offsets record');
      }
    }
    nextOffset = lastOffset + 1n;
  }
  return { records, nextOffset, skipped };
}
