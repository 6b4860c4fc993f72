// Messages of proto/eddy/v1/client.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';
import type { PartitionState, ReplicaState } from './enums.js';
import type { BrokerEndpoint, EpochEndOffset } from './common.js';

export interface ProduceRequest {
  correlationId: number;
  /**
   * 0: no answer; 1: answer once the leader appended; -1: answer once every in-sync replica holds
   * the batches (min.insync.replicas enforced). Anything else is INVALID_REQUIRED_ACKS.
   */
  acks: number;
  /**
   * With acks = -1, how long the leader waits for replication before answering REQUEST_TIMED_OUT
   * (the batches stay appended and may still commit).
   */
  timeoutMs: number;
  topics: ProduceTopic[];
}

export interface ProduceTopic {
  name: string;
  partitions: ProducePartition[];
}

export interface ProducePartition {
  partition: number;
  /**
   * One or more whole RecordBatches, as encoded by the producer. Idempotent producers send one
   * batch per partition per request.
   */
  records: Buffer;
}

export interface ProduceResponse {
  correlationId: number;
  /**
   * Errors of the whole request (INVALID_REQUIRED_ACKS, INVALID_REQUEST,
   * TOO_MANY_INFLIGHT_REQUESTS, ...); then `topics` may be empty.
   */
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: ProduceTopicResponse[];
  /** How long the broker asks the client to hold back because of a quota; 0 normally. */
  throttleTimeMs: number;
  /**
   * Endpoints of the brokers named by currentLeaderId hints, so the client can redirect without a
   * metadata round trip.
   */
  nodeEndpoints: BrokerEndpoint[];
}

export interface ProduceTopicResponse {
  name: string;
  partitions: ProducePartitionResponse[];
}

export interface ProducePartitionResponse {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /**
   * Offset of the first record of the first batch; -1 on error. A duplicate batch of an idempotent
   * producer is answered with the offset it got the first time.
   */
  baseOffset: bigint;
  /** The append time stamped by the broker when the topic uses LogAppendTime; -1 otherwise. */
  logAppendTimeMs: bigint;
  logStartOffset: bigint;
  /**
   * With NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH: the leader this broker knows of (-1
   * unknown) and its epoch (-1 unknown).
   */
  currentLeaderId: number;
  currentLeaderEpoch: number;
  /** With INVALID_RECORD: the records that were rejected (the whole batch is rejected). */
  recordErrors: RecordError[];
}

export interface RecordError {
  /** Index of the record inside its batch. */
  batchIndex: number;
  message: string;
}

export interface FetchRequest {
  correlationId: number;
  /** Long polling: answer once minBytes of records are available or maxWaitMs has passed. */
  maxWaitMs: number;
  minBytes: number;
  /**
   * Upper bound of records bytes in the answer. The first batch of the first partition with data
   * is returned whole even when larger, so a large batch never stalls a consumer.
   */
  maxBytes: number;
  topics: FetchTopic[];
}

export interface FetchTopic {
  name: string;
  partitions: FetchPartition[];
}

export interface FetchPartition {
  partition: number;
  fetchOffset: bigint;
  /** Upper bound of records bytes for this partition (same first-batch rule as maxBytes). */
  partitionMaxBytes: number;
  /**
   * The leader epoch the consumer believes current; -1 skips the check. Older gets
   * FENCED_LEADER_EPOCH, newer gets UNKNOWN_LEADER_EPOCH.
   */
  currentLeaderEpoch: number;
  /**
   * The leader epoch of the last batch the consumer read, -1 if none: lets the broker detect that
   * the log was truncated under the consumer (see divergingEpoch).
   */
  lastFetchedEpoch: number;
}

export interface FetchResponse {
  correlationId: number;
  /** Errors of the whole request; then `topics` may be empty. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: FetchTopicResponse[];
  throttleTimeMs: number;
  /** Endpoints of the brokers named by currentLeaderId hints. */
  nodeEndpoints: BrokerEndpoint[];
}

export interface FetchTopicResponse {
  name: string;
  partitions: FetchPartitionResponse[];
}

export interface FetchPartitionResponse {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** Consumers read below the high watermark only. */
  highWatermark: bigint;
  logStartOffset: bigint;
  /**
   * Set (and records empty) when lastFetchedEpoch shows that the consumer's position is not on
   * this log: the consumer continues from endOffset (or resets if that is lower).
   */
  divergingEpoch: EpochEndOffset | null;
  /** With NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH: the current leader, -1 unknown. */
  currentLeaderId: number;
  currentLeaderEpoch: number;
  /**
   * Whole RecordBatches from fetchOffset on (the first may start before fetchOffset when the
   * offset falls inside a batch; clients skip the records below it).
   */
  records: Buffer;
}

export interface MetadataRequest {
  /** Topics to describe; ignored when allTopics is set. */
  topics: string[];
  /**
   * Describe every topic. With topics empty and allTopics false, only brokers and cluster fields
   * are returned.
   */
  allTopics: boolean;
  /**
   * Create missing topics with the broker defaults when the broker allows it
   * (auto.create.topics.enable).
   */
  allowAutoTopicCreation: boolean;
}

export interface MetadataResponse {
  clusterId: string;
  /** The active controller; -1 while there is none. */
  controllerId: number;
  /** Live (unfenced) brokers. */
  brokers: BrokerEndpoint[];
  topics: TopicMetadata[];
  /**
   * Offset of the last metadata record in the image that answered; clients ignore an answer older
   * than one they already have.
   */
  metadataOffset: bigint;
}

export interface TopicMetadata {
  /** UNKNOWN_TOPIC_OR_PARTITION, INVALID_TOPIC_EXCEPTION, ... */
  errorCode: ErrorCodeName;
  errorMessage: string;
  name: string;
  /**
   * Identifies this incarnation of the topic (a recreated topic gets a new id); 22 characters of
   * base64url.
   */
  topicId: string;
  /** Internal topics (__consumer_offsets) are hidden from `topics list` by default. */
  isInternal: boolean;
  partitions: PartitionMetadata[];
  /**
   * The topic's max.message.bytes: the largest record batch its partitions accept. Producers keep
   * the batches they grow under load within it (0 in answers that carry an error).
   */
  maxMessageBytes: number;
}

export interface PartitionMetadata {
  /** LEADER_NOT_AVAILABLE when the partition has no leader. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  partition: number;
  /** -1 when there is no leader. */
  leaderId: number;
  leaderEpoch: number;
  /** Assigned replicas, preferred leader first. */
  replicas: number[];
  isr: number[];
  /** Replicas on brokers that are fenced or down. */
  offlineReplicas: number[];
  state: PartitionState;
  /** The state of each replica, in the order of `replicas`. */
  replicaStates: ReplicaState[];
  /** Replicas being added or removed by an ongoing reassignment (subsets of `replicas`). */
  addingReplicas: number[];
  removingReplicas: number[];
}

export interface ListOffsetsRequest {
  topics: ListOffsetsTopic[];
}

export interface ListOffsetsTopic {
  name: string;
  partitions: ListOffsetsPartition[];
}

export interface ListOffsetsPartition {
  partition: number;
  /** -1 skips the leader epoch check (see FetchPartition.currentLeaderEpoch). */
  currentLeaderEpoch: number;
  /**
   * A time in ms since the epoch: the first offset whose batch timestamp is at or after it. Or -1:
   * the latest offset (high watermark); -2: the earliest offset (log start).
   */
  timestampMs: bigint;
}

export interface ListOffsetsResponse {
  topics: ListOffsetsTopicResponse[];
}

export interface ListOffsetsTopicResponse {
  name: string;
  partitions: ListOffsetsPartitionResponse[];
}

export interface ListOffsetsPartitionResponse {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** The timestamp of the batch found; -1 for the -1/-2 queries or when none was found. */
  timestampMs: bigint;
  /** -1 when no record is at or after the asked time. */
  offset: bigint;
  /** The leader epoch of the batch at `offset`, -1 if unknown. */
  leaderEpoch: number;
  /** With NOT_LEADER_OR_FOLLOWER or FENCED_LEADER_EPOCH: the current leader, -1 unknown. */
  currentLeaderId: number;
  currentLeaderEpoch: number;
}

export interface InitProducerIdRequest {
  /**
   * -1 for a new producer. A producer that hit a fatal sequence error sends its current id and
   * epoch to get the next epoch of the same id.
   */
  producerId: bigint;
  producerEpoch: number;
}

export interface InitProducerIdResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  producerId: bigint;
  /** Producer epochs are int16 in the RecordBatch header (0..32767). */
  producerEpoch: number;
}

/** Every message of client.proto by name. */
export interface ClientMessages {
  ProduceRequest: ProduceRequest;
  ProduceTopic: ProduceTopic;
  ProducePartition: ProducePartition;
  ProduceResponse: ProduceResponse;
  ProduceTopicResponse: ProduceTopicResponse;
  ProducePartitionResponse: ProducePartitionResponse;
  RecordError: RecordError;
  FetchRequest: FetchRequest;
  FetchTopic: FetchTopic;
  FetchPartition: FetchPartition;
  FetchResponse: FetchResponse;
  FetchTopicResponse: FetchTopicResponse;
  FetchPartitionResponse: FetchPartitionResponse;
  MetadataRequest: MetadataRequest;
  MetadataResponse: MetadataResponse;
  TopicMetadata: TopicMetadata;
  PartitionMetadata: PartitionMetadata;
  ListOffsetsRequest: ListOffsetsRequest;
  ListOffsetsTopic: ListOffsetsTopic;
  ListOffsetsPartition: ListOffsetsPartition;
  ListOffsetsResponse: ListOffsetsResponse;
  ListOffsetsTopicResponse: ListOffsetsTopicResponse;
  ListOffsetsPartitionResponse: ListOffsetsPartitionResponse;
  InitProducerIdRequest: InitProducerIdRequest;
  InitProducerIdResponse: InitProducerIdResponse;
}

/** Field types of every message of client.proto, as written there (checked against it by schema.test.ts). */
export const clientSchemas = {
  ProduceRequest: {
    correlationId: 'uint32',
    acks: 'int32',
    timeoutMs: 'int32',
    topics: 'repeated ProduceTopic',
  },
  ProduceTopic: {
    name: 'string',
    partitions: 'repeated ProducePartition',
  },
  ProducePartition: {
    partition: 'int32',
    records: 'bytes',
  },
  ProduceResponse: {
    correlationId: 'uint32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated ProduceTopicResponse',
    throttleTimeMs: 'int32',
    nodeEndpoints: 'repeated BrokerEndpoint',
  },
  ProduceTopicResponse: {
    name: 'string',
    partitions: 'repeated ProducePartitionResponse',
  },
  ProducePartitionResponse: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    baseOffset: 'int64',
    logAppendTimeMs: 'int64',
    logStartOffset: 'int64',
    currentLeaderId: 'int32',
    currentLeaderEpoch: 'int32',
    recordErrors: 'repeated RecordError',
  },
  RecordError: {
    batchIndex: 'int32',
    message: 'string',
  },
  FetchRequest: {
    correlationId: 'uint32',
    maxWaitMs: 'int32',
    minBytes: 'int32',
    maxBytes: 'int32',
    topics: 'repeated FetchTopic',
  },
  FetchTopic: {
    name: 'string',
    partitions: 'repeated FetchPartition',
  },
  FetchPartition: {
    partition: 'int32',
    fetchOffset: 'int64',
    partitionMaxBytes: 'int32',
    currentLeaderEpoch: 'int32',
    lastFetchedEpoch: 'int32',
  },
  FetchResponse: {
    correlationId: 'uint32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated FetchTopicResponse',
    throttleTimeMs: 'int32',
    nodeEndpoints: 'repeated BrokerEndpoint',
  },
  FetchTopicResponse: {
    name: 'string',
    partitions: 'repeated FetchPartitionResponse',
  },
  FetchPartitionResponse: {
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
  MetadataRequest: {
    topics: 'repeated string',
    allTopics: 'bool',
    allowAutoTopicCreation: 'bool',
  },
  MetadataResponse: {
    clusterId: 'string',
    controllerId: 'int32',
    brokers: 'repeated BrokerEndpoint',
    topics: 'repeated TopicMetadata',
    metadataOffset: 'int64',
  },
  TopicMetadata: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    name: 'string',
    topicId: 'string',
    isInternal: 'bool',
    partitions: 'repeated PartitionMetadata',
    maxMessageBytes: 'int32',
  },
  PartitionMetadata: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    partition: 'int32',
    leaderId: 'int32',
    leaderEpoch: 'int32',
    replicas: 'repeated int32',
    isr: 'repeated int32',
    offlineReplicas: 'repeated int32',
    state: 'PartitionState',
    replicaStates: 'repeated ReplicaState',
    addingReplicas: 'repeated int32',
    removingReplicas: 'repeated int32',
  },
  ListOffsetsRequest: {
    topics: 'repeated ListOffsetsTopic',
  },
  ListOffsetsTopic: {
    name: 'string',
    partitions: 'repeated ListOffsetsPartition',
  },
  ListOffsetsPartition: {
    partition: 'int32',
    currentLeaderEpoch: 'int32',
    timestampMs: 'int64',
  },
  ListOffsetsResponse: {
    topics: 'repeated ListOffsetsTopicResponse',
  },
  ListOffsetsTopicResponse: {
    name: 'string',
    partitions: 'repeated ListOffsetsPartitionResponse',
  },
  ListOffsetsPartitionResponse: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    timestampMs: 'int64',
    offset: 'int64',
    leaderEpoch: 'int32',
    currentLeaderId: 'int32',
    currentLeaderEpoch: 'int32',
  },
  InitProducerIdRequest: {
    producerId: 'int64',
    producerEpoch: 'int32',
  },
  InitProducerIdResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    producerId: 'int64',
    producerEpoch: 'int32',
  },
} as const satisfies MessageSchemaTable<ClientMessages>;
