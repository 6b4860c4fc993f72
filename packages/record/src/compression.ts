import { gunzipSync, gzipSync } from 'node:zlib';
import { CorruptRecordError, UnsupportedCompressionError } from './errors.js';
import { RECORD_BATCH_HEADER_BYTES } from './layout.js';
import { recordsBytesMax } from './limits.js';
import type { Compression, CompressionName } from './types.js';

/** Codec names by their code in bits 0-2 of the batch attributes; codes 5-7 are undefined. */
const compressionNames: readonly CompressionName[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

/** The codec a batch's compression code names, or undefined for codes 5-7. */
export function compressionFromCode(code: number): CompressionName | undefined {
  return compressionNames[code];
}

export function compressionCode(compression: Compression): number {
  return compression === 'gzip' ? 1 : 0;
}

/** True for the codecs this build encodes and decodes. */
export function isSupportedCompression(name: string): name is Compression {
  return name === 'none' || name === 'gzip';
}

export function compressRecords(compression: Compression, records: Buffer): Buffer {
  return compression === 'gzip' ? gzipSync(records) : records;
}

/**
 * Decompresses a records section, refusing output beyond `recordsBytesMax` (a gzip bomb) and
 * input that does not decompress, with `CorruptRecordError` at the records section.
 */
export function decompressRecords(compression: CompressionName, compressed: Buffer): Buffer {
  if (compression === 'none') return compressed;
  if (compression !== 'gzip') throw new UnsupportedCompressionError(compression);
  try {
    return gunzipSync(compressed, { maxOutputLength: recordsBytesMax });
  } catch (cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new CorruptRecordError(`gzip records do not decompress: ${reason}`, {
      position: RECORD_BATCH_HEADER_BYTES,
      cause,
    });
  }
}
