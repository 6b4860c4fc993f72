// Messages of proto/eddy/v1/replication.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';
import type { EpochEndOffset, TopicPartitions } from './common.js';

/**
 * A fetch by a follower.  Fetch session: a stream remembers the partitions of the requests it
 * carried, with their last fetch positions. A full request (incremental false) replaces that set.
 * An incremental request lists only partitions that are new or whose fetchOffset, logStartOffset,
 * epochs or partitionMaxBytes changed (a follower that got data for a partition always lists it
 * again with the new fetchOffset), and `forgotten` ones are dropped; the others are fetched at
 * their remembered positions. The leader then answers only partitions with records, an error, or a
 * changed highWatermark or logStartOffset. Incremental requests assume one fetch in flight per
 * stream; a follower that pipelines fetches sends full requests.
 */
export interface ReplicaFetchRequest {
  correlationId: number;
  /** The fetching follower's broker id. */
  replicaId: number;
  /**
   * Its registration epoch: a fetch from an older incarnation is refused with STALE_BROKER_EPOCH,
   * so a restarted broker that lost data cannot be counted in the ISR.
   */
  brokerEpoch: bigint;
  /** Long polling, as in FetchRequest. */
  maxWaitMs: number;
  minBytes: number;
  maxBytes: number;
  incremental: boolean;
  topics: ReplicaFetchTopic[];
  /** Incremental only: partitions to drop from the session. */
  forgotten: TopicPartitions[];
}

export interface ReplicaFetchTopic {
  /**
   * The topic's id as the follower's metadata image has it; a mismatch (the topic was recreated)
   * is INCONSISTENT_TOPIC_ID.
   */
  topicId: string;
  name: string;
  partitions: ReplicaFetchPartition[];
}

export interface ReplicaFetchPartition {
  partition: number;
  /**
   * The leader epoch the follower believes current: older is FENCED_LEADER_EPOCH, newer is
   * UNKNOWN_LEADER_EPOCH.
   */
  currentLeaderEpoch: number;
  /**
   * The follower's log end offset. The leader takes it as the follower's progress (ISR, high
   * watermark).
   */
  fetchOffset: bigint;
  /**
   * Leader epoch of the follower's last batch (-1 if its log is empty); the leader checks it
   * against its own epochs and answers divergingEpoch when the logs fork.
   */
  lastFetchedEpoch: number;
  logStartOffset: bigint;
  partitionMaxBytes: number;
}

export interface ReplicaFetchResponse {
  correlationId: number;
  /** Errors of the whole fetch (STALE_BROKER_EPOCH, INVALID_REQUEST, ...). */
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: ReplicaFetchTopicResponse[];
  /** How long the follower is held back by the reassignment throttle; 0 normally. */
  throttleTimeMs: number;
}

export interface ReplicaFetchTopicResponse {
  topicId: string;
  name: string;
  partitions: ReplicaFetchPartitionResponse[];
}

export interface ReplicaFetchPartitionResponse {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  highWatermark: bigint;
  logStartOffset: bigint;
  /**
   * Set (and records empty) when the follower's log diverges from the leader's: the follower
   * truncates to min(endOffset, the end of `epoch` in its own log) and fetches again.
   */
  divergingEpoch: EpochEndOffset | null;
  /** With NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH: the leader this broker knows of. */
  currentLeaderId: number;
  currentLeaderEpoch: number;
  /** Whole RecordBatches from fetchOffset on, byte for byte as the leader's log holds them. */
  records: Buffer;
}

export interface OffsetsForLeaderEpochRequest {
  /** The follower's broker id; -1 for consumers. */
  replicaId: number;
  topics: OffsetForLeaderTopic[];
}

export interface OffsetForLeaderTopic {
  name: string;
  partitions: OffsetForLeaderPartition[];
}

export interface OffsetForLeaderPartition {
  partition: number;
  /** -1 skips the check (see ReplicaFetchPartition.currentLeaderEpoch). */
  currentLeaderEpoch: number;
  /** The epoch whose end offset is asked for. */
  leaderEpoch: number;
}

export interface OffsetsForLeaderEpochResponse {
  topics: OffsetForLeaderTopicResult[];
}

export interface OffsetForLeaderTopicResult {
  name: string;
  partitions: OffsetForLeaderPartitionResult[];
}

export interface OffsetForLeaderPartitionResult {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /**
   * The largest epoch at or below the asked one that the leader's log has, and the offset where it
   * ends; -1 and -1 when the log has none.
   */
  leaderEpoch: number;
  endOffset: bigint;
}

/** Every message of replication.proto by name. */
export interface ReplicationMessages {
  ReplicaFetchRequest: ReplicaFetchRequest;
  ReplicaFetchTopic: ReplicaFetchTopic;
  ReplicaFetchPartition: ReplicaFetchPartition;
  ReplicaFetchResponse: ReplicaFetchResponse;
  ReplicaFetchTopicResponse: ReplicaFetchTopicResponse;
  ReplicaFetchPartitionResponse: ReplicaFetchPartitionResponse;
  OffsetsForLeaderEpochRequest: OffsetsForLeaderEpochRequest;
  OffsetForLeaderTopic: OffsetForLeaderTopic;
  OffsetForLeaderPartition: OffsetForLeaderPartition;
  OffsetsForLeaderEpochResponse: OffsetsForLeaderEpochResponse;
  OffsetForLeaderTopicResult: OffsetForLeaderTopicResult;
  OffsetForLeaderPartitionResult: OffsetForLeaderPartitionResult;
}

/** Field types of every message of replication.proto, as written there (checked against it by schema.test.ts). */
export const replicationSchemas = {
  ReplicaFetchRequest: {
    correlationId: 'uint32',
    replicaId: 'int32',
    brokerEpoch: 'int64',
    maxWaitMs: 'int32',
    minBytes: 'int32',
    maxBytes: 'int32',
    incremental: 'bool',
    topics: 'repeated ReplicaFetchTopic',
    forgotten: 'repeated TopicPartitions',
  },
  ReplicaFetchTopic: {
    topicId: 'string',
    name: 'string',
    partitions: 'repeated ReplicaFetchPartition',
  },
  ReplicaFetchPartition: {
    partition: 'int32',
    currentLeaderEpoch: 'int32',
    fetchOffset: 'int64',
    lastFetchedEpoch: 'int32',
    logStartOffset: 'int64',
    partitionMaxBytes: 'int32',
  },
  ReplicaFetchResponse: {
    correlationId: 'uint32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated ReplicaFetchTopicResponse',
    throttleTimeMs: 'int32',
  },
  ReplicaFetchTopicResponse: {
    topicId: 'string',
    name: 'string',
    partitions: 'repeated ReplicaFetchPartitionResponse',
  },
  ReplicaFetchPartitionResponse: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    highWatermark: 'int64',
    logStartOffset: 'int64',
    divergingEpoch: 'EpochEndOffset',
    currentLeaderId: 'int32',
    currentLeaderEpoch: 'int32',
    records: 'bytes',
  },
  OffsetsForLeaderEpochRequest: {
    replicaId: 'int32',
    topics: 'repeated OffsetForLeaderTopic',
  },
  OffsetForLeaderTopic: {
    name: 'string',
    partitions: 'repeated OffsetForLeaderPartition',
  },
  OffsetForLeaderPartition: {
    partition: 'int32',
    currentLeaderEpoch: 'int32',
    leaderEpoch: 'int32',
  },
  OffsetsForLeaderEpochResponse: {
    topics: 'repeated OffsetForLeaderTopicResult',
  },
  OffsetForLeaderTopicResult: {
    name: 'string',
    partitions: 'repeated OffsetForLeaderPartitionResult',
  },
  OffsetForLeaderPartitionResult: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    leaderEpoch: 'int32',
    endOffset: 'int64',
  },
} as const satisfies MessageSchemaTable<ReplicationMessages>;
