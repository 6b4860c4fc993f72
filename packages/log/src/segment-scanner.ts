import type { FileHandle } from 'node:fs/promises';
import { EddyError } from '@eddy/base';
import { batchSizeAt, RECORD_BATCH_HEADER_BYTES, type RecordBatchHeader, verifyBatch } from '@eddy/record';
import { readAt } from './file-io.js';
import { logLimits } from './limits.js';

export interface ScannedBatch {
  readonly position: number;
  readonly size: number;
  readonly header: RecordBatchHeader;
  readonly lastOffset: bigint;
}

export interface ScanOutcome {
  /** End position of the last intact batch. */
  readonly validEnd: number;
  /** The offset after the last intact batch. */
  readonly nextOffset: bigint;
  /** Why the scan stopped before `endPosition`, or undefined when everything was intact. */
  readonly problem: string | undefined;
}

export interface ScanRange {
  readonly fromPosition: number;
  readonly endPosition: number;
  /** The base offset the first batch must have; each next batch follows the previous one. */
  readonly expectedOffset: bigint;
}

/**
 * Walks the batches of a segment file in [fromPosition, endPosition), reading chunks (never the
 * whole file), checking each batch's length, magic and CRC32C and that offsets follow on.
 * Stops at the first torn, corrupt or out-of-order batch and reports where: recovery truncates
 * there. `onBatch` sees each intact batch in order.
 */
export async function scanSegmentFile(
  handle: FileHandle,
  range: ScanRange,
  onBatch: (batch: ScannedBatch) => void,
): Promise<ScanOutcome> {
  let chunk = Buffer.allocUnsafe(Math.min(logLimits.scanChunkBytes, Math.max(RECORD_BATCH_HEADER_BYTES, range.endPosition - range.fromPosition)));
  let chunkStart = range.fromPosition;
  let chunkLength = 0;
  let position = range.fromPosition;
  let expected = range.expectedOffset;
  const stop = (problem: string): ScanOutcome => ({ validEnd: position, nextOffset: expected, problem });
  while (position < range.endPosition) {
    let at = position - chunkStart;
    if (at + RECORD_BATCH_HEADER_BYTES > chunkLength) {
      chunkStart = position;
      at = 0;
      chunkLength = await readAt(handle, chunk, position, Math.min(chunk.length, range.endPosition - position));
    }
    let size: number | undefined;
    try {
      size = batchSizeAt(chunk.subarray(0, chunkLength), at);
    } catch (error) {
      return stop(describeError(error));
    }
    if (size === undefined || chunkLength - at < RECORD_BATCH_HEADER_BYTES) {
      return stop(`torn batch: ${range.endPosition - position} bytes remain at position ${position}`);
    }
    if (position + size > range.endPosition) return stop(`torn batch of ${size} bytes at position ${position}`);
    let batch: Buffer;
    if (at + size <= chunkLength) {
      batch = chunk.subarray(at, at + size);
    } else {
      if (size > chunk.length) chunk = Buffer.allocUnsafe(size);
      chunkStart = position;
      chunkLength = await readAt(handle, chunk, position, Math.min(chunk.length, range.endPosition - position));
      if (chunkLength < size) return stop(`torn batch of ${size} bytes at position ${position}`);
      batch = chunk.subarray(0, size);
    }
    let header: RecordBatchHeader;
    try {
      header = verifyBatch(batch);
    } catch (error) {
      return stop(describeError(error));
    }
    if (header.baseOffset !== expected) {
      return stop(`batch at position ${position} starts at offset ${header.baseOffset}, expected ${expected}`);
    }
    const lastOffset = header.baseOffset + BigInt(header.lastOffsetDelta);
    onBatch({ position, size, header, lastOffset });
    position += size;
    expected = lastOffset + 1n;
  }
  return { validEnd: position, nextOffset: expected, problem: undefined };
}

function describeError(error: unknown): string {
  if (error instanceof EddyError) return error.message;
  throw error;
}
