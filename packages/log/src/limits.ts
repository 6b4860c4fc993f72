import { assert } from '@eddy/base';
import { RECORD_BATCH_HEADER_BYTES } from '@eddy/record';

/**
 * Every bound of the log engine in one place. Relations between them are asserted below, so a
 * change that breaks one fails at import time rather than on a full disk at night.
 */
export const logLimits = {
  /** Index entries hold positions as u32 and Kafka keeps segment sizes within an i32. */
  segmentBytesMax: 2 ** 31 - 1,
  /** Small enough for tests that roll often; large enough for one header. */
  segmentBytesMin: 1024,
  /** Relative offsets in index entries are u32; Kafka keeps them within an i32 as well. */
  relativeOffsetMax: 2 ** 31 - 1,
  /** The largest single record batch accepted (max.message.bytes may be lower). */
  batchBytesMax: 64 * 1024 * 1024,
  /** One append (several concatenated batches) goes into one segment, so it is bounded too. */
  appendBytesMax: 64 * 1024 * 1024,
  /** The largest read answered; a read always returns at least one whole batch. */
  readBytesMax: 64 * 1024 * 1024,
  indexIntervalBytesMin: 1,
  indexIntervalBytesMax: 1024 * 1024,
  /** Index entries buffered in memory per index before they are written out. */
  indexPendingEntriesMax: 128,
  /** A disk index lookup narrows by single-entry probes until this many entries remain. */
  indexLookupWindowEntries: 512,
  /** Recovery and index rebuilds read the log in chunks of this size (never whole segments). */
  scanChunkBytes: 1024 * 1024,
  /** A read locates its first batch by scanning headers in chunks of this size. */
  locateChunkBytes: 16 * 1024,
  /** A read that overlapped a truncation is retried at most this often. */
  readAttemptsMax: 4,
  openFileHandlesMin: 8,
  openFileHandlesMax: 65_536,
  openFileHandlesDefault: 1024,
  /** Partitions opened (or closed) in parallel by the LogManager. */
  openConcurrencyMax: 64,
  /** Kafka's topic name limit keeps `<topic>-<partition>` within a file name. */
  topicNameLengthMax: 249,
  partitionMax: 2 ** 31 - 1,
  /** Topic ids are 22 base64url characters; the bound only keeps a damaged file from being trusted. */
  topicIdLengthMax: 64,
  leaderEpochEntriesMax: 1_000_000,
  /**
   * Flushes by policy rewrite the recovery point checkpoint at most this often (a stale one
   * only makes crash recovery scan more); an explicit flush() always writes it.
   */
  recoveryPointCheckpointIntervalMs: 1000,
} as const;

assert(logLimits.segmentBytesMin >= RECORD_BATCH_HEADER_BYTES, 'a segment must hold at least one batch header');
assert(logLimits.segmentBytesMax <= 0xffff_ffff, 'index positions are u32');
assert(logLimits.relativeOffsetMax <= 0xffff_ffff, 'index relative offsets are u32');
assert(logLimits.batchBytesMax <= logLimits.segmentBytesMax, 'a batch must fit in a segment');
assert(logLimits.appendBytesMax <= logLimits.segmentBytesMax, 'an append goes into one segment');
assert(logLimits.readBytesMax >= logLimits.batchBytesMax, 'a read returns at least one whole batch');
assert(logLimits.scanChunkBytes >= RECORD_BATCH_HEADER_BYTES, 'a scan chunk holds a batch header');
assert(logLimits.locateChunkBytes >= RECORD_BATCH_HEADER_BYTES, 'a locate chunk holds a batch header');
assert(logLimits.indexPendingEntriesMax >= 1, 'index entries are buffered');
assert(logLimits.indexLookupWindowEntries >= 2, 'a lookup window holds entries');
assert(logLimits.openFileHandlesMin >= 3, 'an active segment uses three files');
assert(
  logLimits.openFileHandlesMin <= logLimits.openFileHandlesDefault && logLimits.openFileHandlesDefault <= logLimits.openFileHandlesMax,
  'the default handle budget lies within its bounds',
);
assert(logLimits.readAttemptsMax >= 1, 'a read is attempted at least once');
