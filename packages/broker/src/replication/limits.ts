import { assert } from '@eddy/base';
import { logLimits } from '@eddy/log';
import { envelopeBytesMax, messageBytesMax } from '@eddy/protocol';
import { recordBatchBytesMax } from '@eddy/record';

/**
 * Every bound of the broker's data path in one place. Relations between them are asserted
 * below, so a change that breaks one fails at import time.
 */
export const replicationLimits = {
  /** Produce requests of one stream waiting for an answer; above it the stream stops reading. */
  produceInflightRequestsPerStreamMax: 1024,
  /** Record bytes of one stream's unanswered produce requests; above it the stream stops reading. */
  produceInflightBytesPerStreamMax: 128 * 1024 * 1024,
  /** Fetch requests of one stream in flight (long polls included); above it the stream stops reading. */
  fetchInflightRequestsPerStreamMax: 64,
  /** Partition entries one produce, fetch or list-offsets request may carry. */
  requestPartitionsMax: 100_000,
  /** acks=all produces waiting for the high watermark, over all partitions of the node. */
  acksAllWaitersMax: 200_000,
  /** Long-polling fetches (consumers and followers) waiting for data, over the node. */
  fetchWaitersMax: 100_000,
  /** Bytes of queued produce batches one partition appends in one write (group append). */
  appendGroupBytesMax: 16 * 1024 * 1024,
  /** Longest wait a fetch may ask for (max_wait_ms is clamped to it). */
  fetchWaitMsMax: 60_000,
  /** Longest acks=all timeout a produce may ask for (timeout_ms is clamped to it). */
  produceTimeoutMsMax: 300_000,
  /**
   * The most record bytes one fetch answer carries. A single batch larger than the budget is
   * still returned whole when it is the first data of the answer, and a batch never exceeds
   * recordBatchBytesMax, so an answer always fits one gRPC message.
   */
  fetchBytesMax: recordBatchBytesMax,
  /** Partition logs opened (and their producer state replayed) at once, e.g. at startup. */
  logOpenConcurrencyMax: 32,
  /** An AlterPartition without an answer for this long is given up, and proposed again later. */
  alterPartitionTimeoutMs: 60_000,
  /** Bytes read per step while replaying batch headers into the producer state. */
  producerStateReplayChunkBytes: 4 * 1024 * 1024,
  /** The longest pause of a follower fetcher after an error (replica.fetch.backoff.ms is bounded by it). */
  fetcherBackoffMsMax: 10_000,
  /**
   * Bytes of recently appended batches the node's leaders keep in memory, over all partitions,
   * so fetches at the log's tail need no disk read (oldest evicted first).
   */
  recentBatchesBytesMax: 16 * 1024 * 1024,
} as const;

assert(replicationLimits.fetchBytesMax <= messageBytesMax - envelopeBytesMax, 'a fetch answer fits one gRPC message');
assert(replicationLimits.fetchBytesMax <= logLimits.readBytesMax, 'the log can serve a whole fetch budget');
assert(replicationLimits.appendGroupBytesMax <= logLimits.appendBytesMax, 'a group append fits one log append');
assert(replicationLimits.recentBatchesBytesMax >= replicationLimits.appendGroupBytesMax, 'any group append fits the recent-batches cache');
assert(replicationLimits.producerStateReplayChunkBytes >= 1, 'replay reads make progress');
assert(replicationLimits.produceInflightRequestsPerStreamMax >= 1 && replicationLimits.fetchInflightRequestsPerStreamMax >= 1, 'streams carry requests');
