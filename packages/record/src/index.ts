export { batchSizeAt, readBatchHeader, stampBatch } from './batch-header.js';
export { isSupportedCompression } from './compression.js';
export { crc32c } from './crc.js';
export { type DecodedRecordBatch, decodeRecordBatch } from './decode.js';
export { encodeRecordBatch, recordBytesUpperBound } from './encode.js';
export {
  CorruptRecordError,
  type CorruptRecordErrorOptions,
  InvalidRecordError,
  RecordBatchTooLargeError,
  UnsupportedCompressionError,
} from './errors.js';
export { iterateBatches } from './iterate-batches.js';
export {
  BATCH_ATTRIBUTES,
  NO_PARTITION_LEADER_EPOCH,
  NO_PRODUCER_EPOCH,
  NO_PRODUCER_ID,
  NO_SEQUENCE,
  NO_TIMESTAMP,
  RECORD_BATCH_HEADER_BYTES,
  RECORD_BATCH_MAGIC,
} from './layout.js';
export { recordBatchBytesMax, recordsBytesMax } from './limits.js';
export type {
  Compression,
  CompressionName,
  EncodeOptions,
  Record,
  RecordBatchHeader,
  RecordBatchLocation,
  RecordHeader,
  RecordHeaderMap,
  RecordInput,
} from './types.js';
export { verifyBatch } from './verify-batch.js';
