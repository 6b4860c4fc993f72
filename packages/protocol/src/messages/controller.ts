// Messages of proto/eddy/v1/controller.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';

export interface RegisterBrokerRequest {
  brokerId: number;
  /**
   * The cluster the broker's data directory belongs to (INCONSISTENT_CLUSTER_ID otherwise); empty
   * for a fresh data directory.
   */
  clusterId: string;
  /**
   * Identifies this broker process; a retried registration of the same process keeps its epoch,
   * another incarnation gets a new one. 22 characters of base64url.
   */
  incarnationId: string;
  /** The listener clients and other brokers connect to. */
  host: string;
  port: number;
  /** Empty when not set. */
  rack: string;
  /**
   * The epoch of this broker's previous registration if it shut down cleanly, -1 otherwise (the
   * controller treats its replicas as possibly missing unflushed data).
   */
  previousBrokerEpoch: bigint;
}

export interface RegisterBrokerResponse {
  /** DUPLICATE_BROKER_REGISTRATION when another live incarnation holds the id. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  brokerEpoch: bigint;
}

export interface BrokerHeartbeatRequest {
  brokerId: number;
  brokerEpoch: bigint;
  /** The offset of the last metadata record the broker has replayed. */
  currentMetadataOffset: bigint;
  /** The broker wants to stay fenced (still starting up). */
  wantFence: boolean;
  /** The broker wants to shut down: the controller moves leadership away first. */
  wantShutdown: boolean;
}

export interface BrokerHeartbeatResponse {
  /** STALE_BROKER_EPOCH or BROKER_ID_NOT_REGISTERED: register again. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** The broker has replayed the metadata log up to its own registration. */
  isCaughtUp: boolean;
  isFenced: boolean;
  /** Controlled shutdown may complete: the broker leads nothing any more. */
  shouldShutdown: boolean;
}

export interface AlterPartitionRequest {
  /** The partition leader proposing the change. */
  brokerId: number;
  brokerEpoch: bigint;
  topics: AlterPartitionTopic[];
}

export interface AlterPartitionTopic {
  topicId: string;
  partitions: AlterPartitionData[];
}

export interface AlterPartitionData {
  partition: number;
  /** The leader epoch the leader holds; another is FENCED_LEADER_EPOCH. */
  leaderEpoch: number;
  /**
   * The partition epoch the proposal is based on (bumped by every change of the partition);
   * another is INVALID_UPDATE_VERSION, so concurrent changes cannot overwrite each other.
   */
  partitionEpoch: number;
  /** The proposed ISR, leader included. */
  newIsr: IsrMember[];
}

export interface IsrMember {
  brokerId: number;
  /**
   * The registration epoch the leader saw the replica fetch with: a replica that restarted since
   * is INELIGIBLE_REPLICA. -1 if unknown.
   */
  brokerEpoch: bigint;
}

export interface AlterPartitionResponse {
  /** Errors of the whole request (STALE_BROKER_EPOCH, NOT_CONTROLLER, ...). */
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: AlterPartitionTopicResult[];
}

export interface AlterPartitionTopicResult {
  topicId: string;
  partitions: AlterPartitionDataResult[];
}

export interface AlterPartitionDataResult {
  partition: number;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** The partition's state after the change (or as it is, on error). */
  leaderId: number;
  leaderEpoch: number;
  isr: number[];
  partitionEpoch: number;
}

export interface AllocateProducerIdsRequest {
  brokerId: number;
  brokerEpoch: bigint;
}

export interface AllocateProducerIdsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** The block is [producerIdStart, producerIdStart + producerIdCount). */
  producerIdStart: bigint;
  producerIdCount: number;
}

/** Every message of controller.proto by name. */
export interface ControllerMessages {
  RegisterBrokerRequest: RegisterBrokerRequest;
  RegisterBrokerResponse: RegisterBrokerResponse;
  BrokerHeartbeatRequest: BrokerHeartbeatRequest;
  BrokerHeartbeatResponse: BrokerHeartbeatResponse;
  AlterPartitionRequest: AlterPartitionRequest;
  AlterPartitionTopic: AlterPartitionTopic;
  AlterPartitionData: AlterPartitionData;
  IsrMember: IsrMember;
  AlterPartitionResponse: AlterPartitionResponse;
  AlterPartitionTopicResult: AlterPartitionTopicResult;
  AlterPartitionDataResult: AlterPartitionDataResult;
  AllocateProducerIdsRequest: AllocateProducerIdsRequest;
  AllocateProducerIdsResponse: AllocateProducerIdsResponse;
}

/** Field types of every message of controller.proto, as written there (checked against it by schema.test.ts). */
export const controllerSchemas = {
  RegisterBrokerRequest: {
    brokerId: 'int32',
    clusterId: 'string',
    incarnationId: 'string',
    host: 'string',
    port: 'int32',
    rack: 'string',
    previousBrokerEpoch: 'int64',
  },
  RegisterBrokerResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    brokerEpoch: 'int64',
  },
  BrokerHeartbeatRequest: {
    brokerId: 'int32',
    brokerEpoch: 'int64',
    currentMetadataOffset: 'int64',
    wantFence: 'bool',
    wantShutdown: 'bool',
  },
  BrokerHeartbeatResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    isCaughtUp: 'bool',
    isFenced: 'bool',
    shouldShutdown: 'bool',
  },
  AlterPartitionRequest: {
    brokerId: 'int32',
    brokerEpoch: 'int64',
    topics: 'repeated AlterPartitionTopic',
  },
  AlterPartitionTopic: {
    topicId: 'string',
    partitions: 'repeated AlterPartitionData',
  },
  AlterPartitionData: {
    partition: 'int32',
    leaderEpoch: 'int32',
    partitionEpoch: 'int32',
    newIsr: 'repeated IsrMember',
  },
  IsrMember: {
    brokerId: 'int32',
    brokerEpoch: 'int64',
  },
  AlterPartitionResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated AlterPartitionTopicResult',
  },
  AlterPartitionTopicResult: {
    topicId: 'string',
    partitions: 'repeated AlterPartitionDataResult',
  },
  AlterPartitionDataResult: {
    partition: 'int32',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    leaderId: 'int32',
    leaderEpoch: 'int32',
    isr: 'repeated int32',
    partitionEpoch: 'int32',
  },
  AllocateProducerIdsRequest: {
    brokerId: 'int32',
    brokerEpoch: 'int64',
  },
  AllocateProducerIdsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    producerIdStart: 'int64',
    producerIdCount: 'int32',
  },
} as const satisfies MessageSchemaTable<ControllerMessages>;
