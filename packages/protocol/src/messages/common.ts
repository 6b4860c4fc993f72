// Messages of proto/eddy/v1/common.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';

/** Where to reach a broker. */
export interface BrokerEndpoint {
  brokerId: number;
  host: string;
  port: number;
  /** Rack (or zone) of the broker; empty when not set. */
  rack: string;
}

/** A set of partitions of one topic. */
export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

/** The outcome of an operation on one partition. */
export interface PartitionResult {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
}

/** The outcomes of an operation on partitions of one topic. */
export interface TopicPartitionResults {
  topic: string;
  partitions: PartitionResult[];
}

/**
 * The end of a leader epoch in a partition log: the first offset that epoch did not write (the
 * start offset of the next epoch, or the log end offset for the current one).
 */
export interface EpochEndOffset {
  epoch: number;
  endOffset: bigint;
}

/** Every message of common.proto by name. */
export interface CommonMessages {
  BrokerEndpoint: BrokerEndpoint;
  TopicPartitions: TopicPartitions;
  PartitionResult: PartitionResult;
  TopicPartitionResults: TopicPartitionResults;
  EpochEndOffset: EpochEndOffset;
}

/** Field types of every message of common.proto, as written there (checked against it by schema.test.ts). */
export const commonSchemas = {
  BrokerEndpoint: {
    brokerId: 'int32',
    host: 'string',
    port: 'int32',
    rack: 'string',
  },
  TopicPartitions: {
    topic: 'string',
    partitions: 'repeated int32',
  },
  PartitionResult: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  TopicPartitionResults: {
    topic: 'string',
    partitions: 'repeated PartitionResult',
  },
  EpochEndOffset: {
    epoch: 'int32',
    endOffset: 'int64',
  },
} as const satisfies MessageSchemaTable<CommonMessages>;
