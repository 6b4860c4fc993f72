import { assert } from '@eddy/base';
import { writeBatchHeader } from './batch-header.js';
import { compressionCode, compressRecords, isSupportedCompression } from './compression.js';
import { crc32c } from './crc.js';
import { InvalidRecordError, RecordBatchTooLargeError } from './errors.js';
import { isInt16, isInt32, isInt64 } from './ints.js';
import {
  ATTRIBUTES_POSITION,
  BATCH_PREFIX_BYTES,
  CRC_POSITION,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_BYTES,
} from './layout.js';
import { recordBatchBytesMax, recordBytesMin, recordsBytesMax } from './limits.js';
import type { EncodeOptions, RecordHeader, RecordHeaderMap, RecordInput } from './types.js';
import { varintBytes, varlongBytes, writeVarint, writeVarlong } from './varint.js';

type Field = Buffer | string | null | undefined;
type Headers = RecordInput['headers'];

function fieldBytes(field: Field): number {
  if (field === null || field === undefined) return -1;
  return typeof field === 'string' ? Buffer.byteLength(field, 'utf8') : field.length;
}

/** Writes a length-prefixed field whose length (`bytes`, -1 for null) was computed beforehand. */
function writeField(buf: Buffer, position: number, field: Field, bytes: number): number {
  if (bytes < 0x40) {
    buf[position++] = (bytes << 1) ^ (bytes >> 31); // a one-byte varint, -1 (null) included
  } else {
    position = writeVarint(buf, position, bytes);
  }
  if (typeof field === 'object' && field !== null) buf.set(field, position);
  else if (typeof field === 'string') buf.write(field, position, bytes, 'utf8');
  else return position;
  return position + bytes;
}

function isHeaderList(headers: RecordHeaderMap | readonly RecordHeader[]): headers is readonly RecordHeader[] {
  return Array.isArray(headers);
}

/** Bytes of the header count and the headers. */
function headersBytes(headers: Headers): number {
  if (headers === undefined) return 1;
  let bytes = 0;
  let count = 0;
  if (isHeaderList(headers)) {
    for (const header of headers) {
      const keyBytes = Buffer.byteLength(header.key, 'utf8');
      const valueBytes = fieldBytes(header.value);
      bytes += varintBytes(keyBytes) + keyBytes + varintBytes(valueBytes) + Math.max(valueBytes, 0);
      count++;
    }
  } else {
    for (const key of Object.keys(headers)) {
      const keyBytes = Buffer.byteLength(key, 'utf8');
      const valueBytes = fieldBytes(headers[key]);
      bytes += varintBytes(keyBytes) + keyBytes + varintBytes(valueBytes) + Math.max(valueBytes, 0);
      count++;
    }
  }
  return varintBytes(count) + bytes;
}

function writeHeaders(buf: Buffer, position: number, headers: Headers): number {
  if (headers === undefined) {
    buf[position] = 0;
    return position + 1;
  }
  if (isHeaderList(headers)) {
    position = writeVarint(buf, position, headers.length);
    for (const header of headers) {
      position = writeField(buf, position, header.key, Buffer.byteLength(header.key, 'utf8'));
      position = writeField(buf, position, header.value, fieldBytes(header.value));
    }
    return position;
  }
  const keys = Object.keys(headers);
  position = writeVarint(buf, position, keys.length);
  for (const key of keys) {
    const value = headers[key];
    position = writeField(buf, position, key, Buffer.byteLength(key, 'utf8'));
    position = writeField(buf, position, value, fieldBytes(value));
  }
  return position;
}

function checkTimestamp(timestamp: number, index: number): void {
  if (!Number.isSafeInteger(timestamp)) {
    throw new InvalidRecordError(`record ${index} has timestamp ${timestamp}: not an integer number of ms`);
  }
}

/**
 * Upper bound of the bytes one record adds to an uncompressed batch (exact but for the widest
 * possible timestamp and offset deltas). A producer sums these, plus
 * `RECORD_BATCH_HEADER_BYTES`, to close a batch before it outgrows its size limit.
 */
export function recordBytesUpperBound(record: RecordInput): number {
  const keyBytes = fieldBytes(record.key);
  const valueBytes = fieldBytes(record.value);
  const body =
    1 + 10 + 5 + varintBytes(keyBytes) + Math.max(keyBytes, 0) + varintBytes(valueBytes) + Math.max(valueBytes, 0);
  return 5 + body + headersBytes(record.headers);
}

/**
 * Encodes records into one v2 RecordBatch. Offsets deltas are the records' indexes; the batch's
 * baseTimestamp is the first record's timestamp, its maxTimestamp the largest. Sizes are
 * computed first so the records are written into one allocation (two with gzip).
 *
 * Throws `InvalidRecordError` for a timestamp that is not a safe integer and
 * `RecordBatchTooLargeError` past `recordBatchBytesMax`. Options out of range, or no records at
 * all, are bugs in the caller (assertions).
 */
export function encodeRecordBatch(records: readonly RecordInput[], options: EncodeOptions = {}): Buffer {
  const count = records.length;
  assert(count > 0, 'a batch holds at least one record');
  const compression = options.compression ?? 'none';
  const baseOffset = options.baseOffset ?? 0n;
  const partitionLeaderEpoch = options.partitionLeaderEpoch ?? NO_PARTITION_LEADER_EPOCH;
  const producerId = options.producerId ?? NO_PRODUCER_ID;
  const producerEpoch = options.producerEpoch ?? NO_PRODUCER_EPOCH;
  const baseSequence = options.baseSequence ?? NO_SEQUENCE;
  const defaultTimestamp = options.timestampMs ?? NO_TIMESTAMP;
  assert(isSupportedCompression(compression), `cannot encode compression '${String(compression)}'`);
  assert(isInt64(baseOffset), `baseOffset ${baseOffset} is not an int64`);
  assert(isInt32(partitionLeaderEpoch), `partitionLeaderEpoch ${partitionLeaderEpoch} is not an int32`);
  assert(isInt64(producerId), `producerId ${producerId} is not an int64`);
  assert(isInt16(producerEpoch), `producerEpoch ${producerEpoch} is not an int16`);
  assert(isInt32(baseSequence), `baseSequence ${baseSequence} is not an int32`);
  assert(Number.isSafeInteger(defaultTimestamp), `timestampMs ${defaultTimestamp} is not a safe integer`);

  if (count > recordsBytesMax / recordBytesMin) {
    throw new RecordBatchTooLargeError(RECORD_BATCH_HEADER_BYTES + count * recordBytesMin, recordBatchBytesMax);
  }

  // Pass 1: each record's body, key and value sizes, and the records section's size.
  const sizes = new Int32Array(count * 3);
  const baseTimestamp = (records[0] as RecordInput).timestamp ?? defaultTimestamp;
  let maxTimestamp = baseTimestamp;
  let recordsBytes = 0;
  for (let index = 0; index < count; index++) {
    const record = records[index] as RecordInput;
    const timestamp = record.timestamp ?? defaultTimestamp;
    checkTimestamp(timestamp, index);
    const timestampDelta = timestamp - baseTimestamp;
    if (!Number.isSafeInteger(timestampDelta)) {
      throw new InvalidRecordError(`record ${index} is ${timestampDelta} ms from the first record: too far apart`);
    }
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    const keyBytes = fieldBytes(record.key);
    const valueBytes = fieldBytes(record.value);
    const bodyBytes =
      1 +
      varlongBytes(timestampDelta) +
      varintBytes(index) +
      varintBytes(keyBytes) +
      Math.max(keyBytes, 0) +
      varintBytes(valueBytes) +
      Math.max(valueBytes, 0) +
      headersBytes(record.headers);
    recordsBytes += varintBytes(bodyBytes) + bodyBytes;
    if (recordsBytes > recordsBytesMax) {
      throw new RecordBatchTooLargeError(RECORD_BATCH_HEADER_BYTES + recordsBytes, recordBatchBytesMax);
    }
    sizes[index * 3] = bodyBytes;
    sizes[index * 3 + 1] = keyBytes;
    sizes[index * 3 + 2] = valueBytes;
  }

  // Pass 2: the records, straight into the batch when uncompressed.
  const uncompressed = compression === 'none';
  if (uncompressed && RECORD_BATCH_HEADER_BYTES + recordsBytes > recordBatchBytesMax) {
    throw new RecordBatchTooLargeError(RECORD_BATCH_HEADER_BYTES + recordsBytes, recordBatchBytesMax);
  }
  const start = uncompressed ? RECORD_BATCH_HEADER_BYTES : 0;
  const target = Buffer.allocUnsafe(start + recordsBytes);
  let position = start;
  for (let index = 0; index < count; index++) {
    const record = records[index] as RecordInput;
    position = writeVarint(target, position, sizes[index * 3] as number);
    target[position++] = 0; // record attributes: unused
    position = writeVarlong(target, position, (record.timestamp ?? defaultTimestamp) - baseTimestamp);
    position = writeVarint(target, position, index);
    position = writeField(target, position, record.key, sizes[index * 3 + 1] as number);
    position = writeField(target, position, record.value, sizes[index * 3 + 2] as number);
    position = writeHeaders(target, position, record.headers);
  }
  assert(position === target.length, `records wrote ${position - start} bytes, sized ${recordsBytes}`);

  let batch = target;
  if (!uncompressed) {
    const compressed = compressRecords(compression, target);
    const batchBytes = RECORD_BATCH_HEADER_BYTES + compressed.length;
    if (batchBytes > recordBatchBytesMax) throw new RecordBatchTooLargeError(batchBytes, recordBatchBytesMax);
    batch = Buffer.allocUnsafe(batchBytes);
    batch.set(compressed, RECORD_BATCH_HEADER_BYTES);
  }
  writeBatchHeader(batch, {
    baseOffset,
    batchLength: batch.length - BATCH_PREFIX_BYTES,
    partitionLeaderEpoch,
    attributes: compressionCode(compression),
    lastOffsetDelta: count - 1,
    baseTimestamp,
    maxTimestamp,
    producerId,
    producerEpoch,
    baseSequence,
    recordCount: count,
  });
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_POSITION)), CRC_POSITION);
  return batch;
}
