/**
 * Kafka's v2 RecordBatch header, big-endian. The CRC covers everything from `attributes` to the
 * end of the batch, so `baseOffset` and `partitionLeaderEpoch` can be stamped in place.
 *
 *   0 baseOffset i64          8 batchLength i32       12 partitionLeaderEpoch i32
 *  16 magic i8               17 crc u32              21 attributes i16
 *  23 lastOffsetDelta i32    27 baseTimestamp i64    35 maxTimestamp i64
 *  43 producerId i64         51 producerEpoch i16    53 baseSequence i32
 *  57 recordCount i32        61 records...
 */
export const RECORD_BATCH_HEADER_BYTES = 61;
export const RECORD_BATCH_MAGIC = 2;

/** Bytes up to and including batchLength; batchLength counts the bytes after them. */
export const BATCH_PREFIX_BYTES = 12;

export const BASE_OFFSET_POSITION = 0;
export const BATCH_LENGTH_POSITION = 8;
export const PARTITION_LEADER_EPOCH_POSITION = 12;
export const MAGIC_POSITION = 16;
export const CRC_POSITION = 17;
export const ATTRIBUTES_POSITION = 21;
export const LAST_OFFSET_DELTA_POSITION = 23;
export const BASE_TIMESTAMP_POSITION = 27;
export const MAX_TIMESTAMP_POSITION = 35;
export const PRODUCER_ID_POSITION = 43;
export const PRODUCER_EPOCH_POSITION = 51;
export const BASE_SEQUENCE_POSITION = 53;
export const RECORD_COUNT_POSITION = 57;

/** The smallest legal batchLength: a header and no records. */
export const BATCH_LENGTH_MIN = RECORD_BATCH_HEADER_BYTES - BATCH_PREFIX_BYTES;

/** Bits of the batch `attributes` field. */
export const BATCH_ATTRIBUTES = {
  /** Bits 0-2: 0 none, 1 gzip, 2 snappy, 3 lz4, 4 zstd. */
  compressionMask: 0x07,
  /** Bit 3: set when record timestamps are the broker's append time (`maxTimestamp`). */
  logAppendTime: 0x08,
  transactional: 0x10,
  control: 0x20,
} as const;

/** Kafka's "no timestamp", "no producer", "no sequence" and "no leader epoch" sentinels. */
export const NO_TIMESTAMP = -1;
export const NO_PRODUCER_ID = -1n;
export const NO_PRODUCER_EPOCH = -1;
export const NO_SEQUENCE = -1;
export const NO_PARTITION_LEADER_EPOCH = -1;
