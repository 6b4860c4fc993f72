import { assert } from '@eddy/base';
import { replicationLimits } from '../replication/limits.js';

/**
 * Every bound of the group coordinator adapter in one place (the pure core has its own in
 * ../group/limits.ts). Relations are asserted below.
 */
export const groupCoordinatorLimits = {
  /**
   * Requests waiting for an answer from the coordinator: long-polling JoinGroup and SyncGroup,
   * and OffsetCommits whose records are being replicated. Beyond it requests are refused with
   * COORDINATOR_NOT_AVAILABLE (retriable) rather than queued.
   */
  pendingRequestsMax: 100_000,
  /** Partitions one OffsetCommit, OffsetFetch or DeleteOffsets may name. */
  requestPartitionsMax: 10_000,
  /** Group ids one FindCoordinator, DescribeGroups or DeleteGroups may name. */
  requestGroupsMax: 10_000,
  /** Kafka's offset.metadata.max.bytes: the free text stored with one committed offset. */
  offsetMetadataBytesMax: 4096,
  /** Record bytes of one batch written to __consumer_offsets (below the topic's max.message.bytes). */
  batchBytesMax: 512 * 1024,
  /** Record bytes of one write (one append of one or more batches). */
  writeBytesMax: 8 * 1024 * 1024,
  /** Bytes read from a partition log per step while materializing it into LevelDB. */
  replayChunkBytes: 1024 * 1024,
  /**
   * How often every local offsets replica applies what its high watermark now covers (followers
   * learn of a new HW from their fetches; nothing tells the coordinator), and the active controller
   * checks that __consumer_offsets exists.
   */
  housekeepingIntervalMs: 100,
  /** A loading partition re-checks that its high watermark reached the load target this often. */
  loadPollMs: 20,
  /** Kafka's offsets.retention.minutes default (7 days), in ms. */
  offsetsRetentionMsDefault: 7 * 24 * 60 * 60 * 1000,
  /** Kafka's offsets.retention.check.interval.ms default (10 min). */
  offsetsRetentionCheckIntervalMsDefault: 10 * 60 * 1000,
  /** Kafka's offsets.commit.timeout.ms: how long an offset commit waits for the in-sync replicas. */
  commitTimeoutMs: 5_000,
  /** __consumer_offsets: segment size (Kafka's offsets.topic.segment.bytes). */
  offsetsTopicSegmentBytes: 100 * 1024 * 1024,
  /** __consumer_offsets: largest batch (group metadata of a large group is one record). */
  offsetsTopicMaxMessageBytes: 8 * 1024 * 1024,
} as const;

assert(groupCoordinatorLimits.batchBytesMax <= groupCoordinatorLimits.offsetsTopicMaxMessageBytes, 'a commit batch fits the topic limit');
assert(groupCoordinatorLimits.writeBytesMax <= replicationLimits.appendGroupBytesMax, 'one write is one append');
assert(groupCoordinatorLimits.writeBytesMax <= groupCoordinatorLimits.offsetsTopicSegmentBytes, 'one write fits a segment');
assert(groupCoordinatorLimits.offsetsTopicMaxMessageBytes <= groupCoordinatorLimits.writeBytesMax, 'the largest batch is one write');
assert(groupCoordinatorLimits.commitTimeoutMs <= replicationLimits.produceTimeoutMsMax, 'the commit timeout is one the data path accepts');
