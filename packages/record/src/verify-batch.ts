import { readBatchHeader } from './batch-header.js';
import { isSupportedCompression } from './compression.js';
import { crc32c } from './crc.js';
import { CorruptRecordError, UnsupportedCompressionError } from './errors.js';
import {
  ATTRIBUTES_POSITION,
  BATCH_LENGTH_POSITION,
  BATCH_PREFIX_BYTES,
  CRC_POSITION,
  MAGIC_POSITION,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_MAGIC,
} from './layout.js';
import type { RecordBatchHeader } from './types.js';

/**
 * Checks the integrity of the batch occupying exactly `buf[position, position + size)`: its
 * length, magic and CRC32C, then the header's structure. Errors report `position`.
 */
export function checkBatchIntegrity(buf: Buffer, position: number, size: number): RecordBatchHeader {
  if (size < RECORD_BATCH_HEADER_BYTES) {
    throw new CorruptRecordError(`a batch needs at least ${RECORD_BATCH_HEADER_BYTES} bytes, got ${size}`, {
      position,
    });
  }
  const batchLength = buf.readInt32BE(position + BATCH_LENGTH_POSITION);
  if (batchLength !== size - BATCH_PREFIX_BYTES) {
    throw new CorruptRecordError(
      `batchLength ${batchLength} does not match the ${size - BATCH_PREFIX_BYTES} bytes after it`,
      { position },
    );
  }
  const magic = buf.readInt8(position + MAGIC_POSITION);
  if (magic !== RECORD_BATCH_MAGIC) {
    throw new CorruptRecordError(`magic is ${magic}, expected ${RECORD_BATCH_MAGIC}`, { position });
  }
  const storedCrc = buf.readUInt32BE(position + CRC_POSITION);
  const computedCrc = crc32c(buf.subarray(position + ATTRIBUTES_POSITION, position + size));
  if (storedCrc !== computedCrc) {
    throw new CorruptRecordError(
      `CRC32C mismatch: stored ${hex(storedCrc)}, computed ${hex(computedCrc)}`,
      { position },
    );
  }
  return readBatchHeader(buf, position);
}

function hex(crc: number): string {
  return `0x${crc.toString(16).padStart(8, '0')}`;
}

/**
 * The broker's per-batch check, without decoding records: `batch` must be exactly one batch
 * with a valid length, magic 2, a matching CRC32C and a sane header (`CorruptRecordError`), in
 * a compression this build can decode (`UnsupportedCompressionError`, so no consumer is handed
 * a batch it cannot read). Returns the header.
 */
export function verifyBatch(batch: Buffer): RecordBatchHeader {
  const header = checkBatchIntegrity(batch, 0, batch.length);
  if (!isSupportedCompression(header.compression)) throw new UnsupportedCompressionError(header.compression);
  return header;
}
