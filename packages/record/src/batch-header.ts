import { assert } from '@eddy/base';
import { compressionFromCode } from './compression.js';
import { CorruptRecordError } from './errors.js';
import {
  ATTRIBUTES_POSITION,
  BASE_OFFSET_POSITION,
  BASE_SEQUENCE_POSITION,
  BASE_TIMESTAMP_POSITION,
  BATCH_ATTRIBUTES,
  BATCH_LENGTH_MIN,
  BATCH_LENGTH_POSITION,
  BATCH_PREFIX_BYTES,
  CRC_POSITION,
  LAST_OFFSET_DELTA_POSITION,
  MAGIC_POSITION,
  MAX_TIMESTAMP_POSITION,
  PARTITION_LEADER_EPOCH_POSITION,
  PRODUCER_EPOCH_POSITION,
  PRODUCER_ID_POSITION,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_MAGIC,
  RECORD_COUNT_POSITION,
} from './layout.js';
import { recordBatchBytesMax } from './limits.js';
import type { RecordBatchHeader } from './types.js';
import { isInt32, isInt64, readInt64, writeInt64 } from './ints.js';

function assertPosition(buf: Buffer, position: number): void {
  assert(
    Number.isInteger(position) && position >= 0 && position <= buf.length,
    `position ${position} is outside a buffer of ${buf.length} bytes`,
  );
}

/**
 * Total size (`batchLength + 12`) of the batch starting at `position`, or undefined when fewer
 * than 12 bytes remain (an incomplete prefix). Throws `CorruptRecordError` when batchLength is
 * below a bare header or above `recordBatchBytesMax`. Does not check that the batch is all there.
 */
export function batchSizeAt(buf: Buffer, position: number): number | undefined {
  assertPosition(buf, position);
  if (buf.length - position < BATCH_PREFIX_BYTES) return undefined;
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_POSITION);
  checkBatchLength(batchLength, position);
  return batchLength + BATCH_PREFIX_BYTES;
}

function checkBatchLength(batchLength: number, position: number): void {
  if (batchLength < BATCH_LENGTH_MIN || batchLength > recordBatchBytesMax - BATCH_PREFIX_BYTES) {
    throw new CorruptRecordError(
      `batchLength ${batchLength} is outside [${BATCH_LENGTH_MIN}, ${recordBatchBytesMax - BATCH_PREFIX_BYTES}]`,
      { position },
    );
  }
}

/**
 * Parses the 61-byte header at `position` without checking the CRC or that the records are all
 * there. Throws `CorruptRecordError` when fewer than 61 bytes remain or a field is impossible:
 * magic other than 2, batchLength out of bounds, an undefined compression code, a negative
 * recordCount, lastOffsetDelta below recordCount - 1, or timestamps that are not safe integers.
 */
export function readBatchHeader(buf: Buffer, position = 0): RecordBatchHeader {
  assertPosition(buf, position);
  const available = buf.length - position;
  if (available < RECORD_BATCH_HEADER_BYTES) {
    throw new CorruptRecordError(`a batch header needs ${RECORD_BATCH_HEADER_BYTES} bytes, ${available} remain`, {
      position,
    });
  }
  const magic = buf.readInt8(position + MAGIC_POSITION);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new CorruptRecordError(`magic is ${magic}, expected ${RECORD_BATCH_MAGIC}`, { position });
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_POSITION);
  checkBatchLength(batchLength, position);
  const attributes = buf.readInt16BE(position + ATTRIBUTES_POSITION);
  const compression = compressionFromCode(attributes & BATCH_ATTRIBUTES.compressionMask);
  if (compression === undefined) {
    throw new CorruptRecordError(`compression code ${attributes & BATCH_ATTRIBUTES.compressionMask} is undefined`, {
      position,
    });
  }
  const lastOffsetDelta = buf.readInt32BE(position + LAST_OFFSET_DELTA_POSITION);
  const recordCount = buf.readInt32BE(position + RECORD_COUNT_POSITION);
  if (recordCount < 0 || lastOffsetDelta < recordCount - 1) {
    throw new CorruptRecordError(`recordCount ${recordCount} does not fit lastOffsetDelta ${lastOffsetDelta}`, {
      position,
    });
  }
  const baseTimestamp = readInt64(buf, position + BASE_TIMESTAMP_POSITION);
  const maxTimestamp = readInt64(buf, position + MAX_TIMESTAMP_POSITION);
  if (!Number.isSafeInteger(baseTimestamp) || !Number.isSafeInteger(maxTimestamp)) {
    throw new CorruptRecordError('a batch timestamp is not a safe integer', { position });
  }
  return {
    baseOffset: buf.readBigInt64BE(position + BASE_OFFSET_POSITION),
    batchLength,
    partitionLeaderEpoch: buf.readInt32BE(position + PARTITION_LEADER_EPOCH_POSITION),
    magic,
    crc: buf.readUInt32BE(position + CRC_POSITION),
    attributes,
    compression,
    lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: buf.readBigInt64BE(position + PRODUCER_ID_POSITION),
    producerEpoch: buf.readInt16BE(position + PRODUCER_EPOCH_POSITION),
    baseSequence: buf.readInt32BE(position + BASE_SEQUENCE_POSITION),
    recordCount,
  };
}

/** The header fields the encoder writes; the CRC is written afterwards over the finished batch. */
export interface BatchHeaderFields {
  readonly baseOffset: bigint;
  readonly batchLength: number;
  readonly partitionLeaderEpoch: number;
  readonly attributes: number;
  readonly lastOffsetDelta: number;
  readonly baseTimestamp: number;
  readonly maxTimestamp: number;
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  readonly recordCount: number;
}

/** Writes the header at 0, leaving the CRC field zero. */
export function writeBatchHeader(buf: Buffer, fields: BatchHeaderFields): void {
  buf.writeBigInt64BE(fields.baseOffset, BASE_OFFSET_POSITION);
  buf.writeInt32BE(fields.batchLength, BATCH_LENGTH_POSITION);
  buf.writeInt32BE(fields.partitionLeaderEpoch, PARTITION_LEADER_EPOCH_POSITION);
  buf.writeInt8(RECORD_BATCH_MAGIC, MAGIC_POSITION);
  buf.writeUInt32BE(0, CRC_POSITION);
  buf.writeInt16BE(fields.attributes, ATTRIBUTES_POSITION);
  buf.writeInt32BE(fields.lastOffsetDelta, LAST_OFFSET_DELTA_POSITION);
  writeInt64(buf, BASE_TIMESTAMP_POSITION, fields.baseTimestamp);
  writeInt64(buf, MAX_TIMESTAMP_POSITION, fields.maxTimestamp);
  buf.writeBigInt64BE(fields.producerId, PRODUCER_ID_POSITION);
  buf.writeInt16BE(fields.producerEpoch, PRODUCER_EPOCH_POSITION);
  buf.writeInt32BE(fields.baseSequence, BASE_SEQUENCE_POSITION);
  buf.writeInt32BE(fields.recordCount, RECORD_COUNT_POSITION);
}

/**
 * Overwrites baseOffset and partitionLeaderEpoch in place, as the partition leader does before
 * appending. Both fields sit before the CRC-covered range, so the CRC stays valid. Stamping a
 * buffer that is not a batch, or with values out of range, is a bug in the caller.
 */
export function stampBatch(batch: Buffer, baseOffset: bigint, partitionLeaderEpoch: number): void {
  assert(batch.length >= RECORD_BATCH_HEADER_BYTES, `cannot stamp ${batch.length} bytes: not a batch`);
  assert(batch[MAGIC_POSITION] === RECORD_BATCH_MAGIC, 'cannot stamp a batch with a bad magic');
  assert(isInt64(baseOffset), `baseOffset ${baseOffset} is not an int64`);
  assert(isInt32(partitionLeaderEpoch), `partitionLeaderEpoch ${partitionLeaderEpoch} is not an int32`);
  batch.writeBigInt64BE(baseOffset, BASE_OFFSET_POSITION);
  batch.writeInt32BE(partitionLeaderEpoch, PARTITION_LEADER_EPOCH_POSITION);
}
