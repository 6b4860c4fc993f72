/**
 * Helpers for tests that need batches the encoder would never write: custom header fields,
 * hand-made records sections, a CRC made valid again after tampering.
 */
import { writeBatchHeader } from '../batch-header.js';
import { crc32c } from '../crc.js';
import {
  ATTRIBUTES_POSITION,
  BATCH_LENGTH_POSITION,
  BATCH_PREFIX_BYTES,
  CRC_POSITION,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_BYTES,
} from '../layout.js';
import type { EncodeOptions, Record, RecordHeader, RecordHeaderMap, RecordInput } from '../types.js';

export interface RawBatchFields {
  baseOffset?: bigint;
  partitionLeaderEpoch?: number;
  attributes?: number;
  lastOffsetDelta?: number;
  baseTimestamp?: number;
  maxTimestamp?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  recordCount?: number;
}

/** Rewrites batchLength to match the buffer and recomputes the CRC, in place; returns `batch`. */
export function sealBatch(batch: Buffer): Buffer {
  batch.writeInt32BE(batch.length - BATCH_PREFIX_BYTES, BATCH_LENGTH_POSITION);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_POSITION)), CRC_POSITION);
  return batch;
}

/**
 * A sealed batch (valid length and CRC) with the given header fields and `records` as its
 * records section, verbatim. Defaults describe one uncompressed record at offset 0.
 */
export function buildRawBatch(records: Uint8Array, fields: RawBatchFields = {}): Buffer {
  const batch = Buffer.alloc(RECORD_BATCH_HEADER_BYTES + records.length);
  batch.set(records, RECORD_BATCH_HEADER_BYTES);
  writeBatchHeader(batch, {
    baseOffset: fields.baseOffset ?? 0n,
    batchLength: batch.length - BATCH_PREFIX_BYTES,
    partitionLeaderEpoch: fields.partitionLeaderEpoch ?? -1,
    attributes: fields.attributes ?? 0,
    lastOffsetDelta: fields.lastOffsetDelta ?? (fields.recordCount ?? 1) - 1,
    baseTimestamp: fields.baseTimestamp ?? 0,
    maxTimestamp: fields.maxTimestamp ?? fields.baseTimestamp ?? 0,
    producerId: fields.producerId ?? -1n,
    producerEpoch: fields.producerEpoch ?? -1,
    baseSequence: fields.baseSequence ?? -1,
    recordCount: fields.recordCount ?? 1,
  });
  return sealBatch(batch);
}

/** A copy of `buf` with the byte at `position` XORed with `mask` (default: every bit). */
export function flipByte(buf: Buffer, position: number, mask = 0xff): Buffer {
  const copy = Buffer.from(buf);
  copy[position] = (copy[position] as number) ^ mask;
  return copy;
}

/**
 * The records `decodeRecordBatch` returns for a batch encoded from `inputs` with `options`
 * (strings as UTF-8, missing keys as null, header maps as lists, default timestamps filled in).
 */
export function expectedRecords(inputs: readonly RecordInput[], options: EncodeOptions = {}): Record[] {
  const baseOffset = options.baseOffset ?? 0n;
  return inputs.map((input, index) => ({
    offset: baseOffset + BigInt(index),
    timestamp: input.timestamp ?? options.timestampMs ?? NO_TIMESTAMP,
    key: toBuffer(input.key),
    value: toBuffer(input.value),
    headers: toHeaderList(input.headers),
  }));
}

function toBuffer(field: Buffer | string | null | undefined): Buffer | null {
  if (field === null || field === undefined) return null;
  return typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
}

function toHeaderList(headers: RecordInput['headers']): RecordHeader[] {
  if (headers === undefined) return [];
  if (Array.isArray(headers)) {
    return (headers as readonly RecordHeader[]).map((header) => ({ key: header.key, value: header.value }));
  }
  const map = headers as RecordHeaderMap;
  return Object.keys(map).map((key) => ({ key, value: toBuffer(map[key]) }));
}
