/** Compression codecs this build encodes and decodes. */
export type Compression = 'none' | 'gzip';

/** Every codec a v2 batch can name; decoding the ones outside `Compression` is unsupported. */
export type CompressionName = Compression | 'snappy' | 'lz4' | 'zstd';

export interface RecordHeader {
  key: string;
  value: Buffer | null;
}

/** Headers given as an object: each value is a Buffer or a string (written as UTF-8). */
export interface RecordHeaderMap {
  readonly [key: string]: Buffer | string;
}

/** A record to encode. Strings are written as UTF-8. */
export interface RecordInput {
  key?: Buffer | string | null;
  value: Buffer | string | null;
  headers?: RecordHeaderMap | readonly RecordHeader[];
  /** Milliseconds since the epoch; defaults to `EncodeOptions.timestampMs`, else -1 (none). */
  timestamp?: number;
}

/**
 * A decoded record. `key`, `value` and header values are views into the batch buffer (or its
 * decompressed records): copy them to keep them past a reuse of that buffer.
 */
export interface Record {
  offset: bigint;
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export interface RecordBatchHeader {
  baseOffset: bigint;
  /** Bytes after the batchLength field: the whole batch is `batchLength + 12` bytes. */
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  /** CRC32C stored in the batch (unsigned). */
  crc: number;
  attributes: number;
  compression: CompressionName;
  lastOffsetDelta: number;
  baseTimestamp: number;
  maxTimestamp: number;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
}

export interface EncodeOptions {
  /** Default 0n; the broker stamps the real one (`stampBatch`). */
  baseOffset?: bigint;
  /** Default -1 (none); the broker stamps the real one. */
  partitionLeaderEpoch?: number;
  /** Default 'none'. */
  compression?: Compression;
  /** Default -1n (not idempotent). */
  producerId?: bigint;
  /** Default -1. */
  producerEpoch?: number;
  /** Default -1. */
  baseSequence?: number;
  /** Timestamp for records without one; default -1 (none). */
  timestampMs?: number;
}

/** Where `iterateBatches` found a batch. */
export interface RecordBatchLocation {
  /** Byte position of the batch in the buffer. */
  position: number;
  /** Total bytes of the batch (`batchLength + 12`). */
  size: number;
  header: RecordBatchHeader;
}
