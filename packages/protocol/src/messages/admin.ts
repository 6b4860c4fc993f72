// Messages of proto/eddy/v1/admin.proto as @grpc/proto-loader decodes them (see ../load.ts).
import type { ErrorCodeName } from '../error-codes.js';
import type { MessageSchemaTable } from '../schema.js';
import type { AlterConfigOp, ConfigResourceType, ConfigSource, ElectionType } from './enums.js';
import type { TopicPartitionResults, TopicPartitions } from './common.js';

export interface CreateTopicsRequest {
  topics: CreatableTopic[];
  /**
   * How long to wait for the topics to be committed before answering REQUEST_TIMED_OUT (the
   * creation may still complete).
   */
  timeoutMs: number;
  /** Validate only; create nothing. */
  validateOnly: boolean;
}

export interface CreatableTopic {
  name: string;
  /** -1: the broker default (num.partitions). Must be -1 when assignments are given. */
  numPartitions: number;
  /** -1: the broker default (default.replication.factor). Must be -1 when assignments are given. */
  replicationFactor: number;
  /** Explicit replica placement, one entry per partition; empty lets the controller place them. */
  assignments: ReplicaAssignment[];
  /** Topic config overrides (retention.ms, min.insync.replicas, ...). */
  configs: ConfigEntry[];
}

export interface ReplicaAssignment {
  partition: number;
  /** Preferred leader first. */
  brokerIds: number[];
}

export interface ConfigEntry {
  name: string;
  value: string;
}

export interface CreateTopicsResponse {
  topics: CreatableTopicResult[];
}

export interface CreatableTopicResult {
  name: string;
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** Empty on error. */
  topicId: string;
  /** As created (defaults resolved); -1 on error. */
  numPartitions: number;
  replicationFactor: number;
}

export interface DeleteTopicsRequest {
  names: string[];
  timeoutMs: number;
}

export interface DeleteTopicsResponse {
  topics: DeletableTopicResult[];
}

export interface DeletableTopicResult {
  name: string;
  errorCode: ErrorCodeName;
  errorMessage: string;
  topicId: string;
}

export interface CreatePartitionsRequest {
  topics: CreatePartitionsTopic[];
  timeoutMs: number;
  validateOnly: boolean;
}

export interface CreatePartitionsTopic {
  name: string;
  /** The new total partition count; not above the current count is INVALID_PARTITIONS. */
  count: number;
  /** Placement of the new partitions only; empty lets the controller place them. */
  assignments: ReplicaAssignment[];
}

export interface CreatePartitionsResponse {
  topics: CreatePartitionsTopicResult[];
}

export interface CreatePartitionsTopicResult {
  name: string;
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface DescribeConfigsRequest {
  resources: DescribeConfigsResource[];
  /** Also list the values this one overrides (its synonyms at less specific sources). */
  includeSynonyms: boolean;
  includeDocumentation: boolean;
}

export interface DescribeConfigsResource {
  resourceType: ConfigResourceType;
  /** A topic name, or a broker id in decimal (empty: the cluster-wide broker defaults). */
  resourceName: string;
  /** Keys to describe; empty for all. */
  configNames: string[];
}

export interface DescribeConfigsResponse {
  results: DescribeConfigsResult[];
}

export interface DescribeConfigsResult {
  errorCode: ErrorCodeName;
  errorMessage: string;
  resourceType: ConfigResourceType;
  resourceName: string;
  configs: DescribedConfig[];
}

export interface DescribedConfig {
  name: string;
  /** Empty when the key has no value (nor default), or is sensitive. */
  value: string;
  readOnly: boolean;
  source: ConfigSource;
  isSensitive: boolean;
  /** With includeSynonyms: the values at less specific sources, most specific first. */
  synonyms: ConfigSynonym[];
  /** With includeDocumentation. */
  documentation: string;
}

export interface ConfigSynonym {
  name: string;
  value: string;
  source: ConfigSource;
}

export interface AlterConfigsRequest {
  resources: AlterConfigsResource[];
  validateOnly: boolean;
}

export interface AlterConfigsResource {
  resourceType: ConfigResourceType;
  /** As in DescribeConfigsResource. */
  resourceName: string;
  configs: AlterableConfig[];
}

export interface AlterableConfig {
  name: string;
  op: AlterConfigOp;
  /** Ignored by ALTER_CONFIG_OP_DELETE. */
  value: string;
}

export interface AlterConfigsResponse {
  results: AlterConfigsResult[];
}

export interface AlterConfigsResult {
  errorCode: ErrorCodeName;
  errorMessage: string;
  resourceType: ConfigResourceType;
  resourceName: string;
}

export interface DescribeClusterRequest {
  /** Also list fenced brokers (`brokers list` shows them with their status). */
  includeFencedBrokers: boolean;
}

export interface DescribeClusterResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  clusterId: string;
  /** The active controller; -1 while there is none. */
  controllerId: number;
  brokers: BrokerDescription[];
}

export interface BrokerDescription {
  brokerId: number;
  host: string;
  port: number;
  /** Empty when not set. */
  rack: string;
  /** Fenced brokers lead nothing and are not in any ISR. */
  isFenced: boolean;
  /** The broker asked to shut down and is handing off its leaderships. */
  inControlledShutdown: boolean;
  /** The epoch of its current registration. */
  brokerEpoch: bigint;
  /** Identifies the broker process that registered (a restart registers a new one). */
  incarnationId: string;
}

export interface UnregisterBrokerRequest {
  brokerId: number;
}

export interface UnregisterBrokerResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface DescribeLogDirsRequest {
  /** Partitions to describe; empty for every replica on the broker. */
  topics: TopicPartitions[];
}

export interface DescribeLogDirsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  logDirs: LogDirDescription[];
}

export interface LogDirDescription {
  /** STORAGE_ERROR when the directory is offline. */
  errorCode: ErrorCodeName;
  errorMessage: string;
  path: string;
  /** Capacity and free space of the file system holding the directory; -1 if unknown. */
  totalBytes: bigint;
  usableBytes: bigint;
  topics: LogDirTopic[];
}

export interface LogDirTopic {
  name: string;
  partitions: LogDirPartition[];
}

export interface LogDirPartition {
  partition: number;
  /** Bytes of all segments of this replica. */
  sizeBytes: bigint;
  logStartOffset: bigint;
  logEndOffset: bigint;
  /** How far this replica's log end offset is behind the leader's (0 on the leader). */
  offsetLag: bigint;
}

export interface ElectLeadersRequest {
  electionType: ElectionType;
  /** Ignored when allPartitions is set. */
  topics: TopicPartitions[];
  allPartitions: boolean;
  timeoutMs: number;
}

export interface ElectLeadersResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  /** ELECTION_NOT_NEEDED for partitions already led by their preferred replica. */
  topics: TopicPartitionResults[];
}

export interface AlterPartitionReassignmentsRequest {
  topics: ReassignableTopic[];
  timeoutMs: number;
  /**
   * Replication bytes per second per broker allowed for reassignment traffic: > 0 sets the
   * throttle, 0 leaves it as it is, -1 removes it.
   */
  throttleBytesPerSec: bigint;
}

export interface ReassignableTopic {
  name: string;
  partitions: ReassignablePartition[];
}

export interface ReassignablePartition {
  partition: number;
  /** The target replicas, preferred leader first; ignored when cancel is set. */
  replicas: number[];
  /** Cancel the ongoing reassignment of this partition (back to its original replicas). */
  cancel: boolean;
}

export interface AlterPartitionReassignmentsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: TopicPartitionResults[];
}

export interface ListPartitionReassignmentsRequest {
  /** Partitions to look at; empty for all. */
  topics: TopicPartitions[];
}

export interface ListPartitionReassignmentsResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  topics: OngoingTopicReassignment[];
}

export interface OngoingTopicReassignment {
  name: string;
  partitions: OngoingPartitionReassignment[];
}

export interface OngoingPartitionReassignment {
  partition: number;
  /** Current replicas (old and new together while the move runs). */
  replicas: number[];
  addingReplicas: number[];
  removingReplicas: number[];
}

export type DescribeQuorumRequest = Record<string, never>;

export interface DescribeQuorumResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
  clusterId: string;
  /** -1 while there is no leader. */
  leaderId: number;
  /** The Raft term (`LeaderEpoch:` in `quorum describe`). */
  term: bigint;
  /** The leader's commit index (`HighWatermark:`). */
  commitIndex: bigint;
  voters: QuorumReplica[];
  observers: QuorumReplica[];
}

export interface QuorumReplica {
  replicaId: number;
  /** Index of the last entry in the replica's log as the leader knows it. */
  logEndIndex: bigint;
  /** When the leader last heard from the replica / last saw it caught up; -1 if never. */
  lastFetchTimestampMs: bigint;
  lastCaughtUpTimestampMs: bigint;
  /** Its controller listener; empty host when unknown. */
  host: string;
  port: number;
}

export interface AddVoterRequest {
  voterId: number;
  /** The voter's controller listener; empty host: the endpoint it registered as a broker. */
  host: string;
  port: number;
  /** How long to wait for the change to commit before answering REQUEST_TIMED_OUT. */
  timeoutMs: number;
}

export interface AddVoterResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
}

export interface RemoveVoterRequest {
  voterId: number;
  timeoutMs: number;
}

export interface RemoveVoterResponse {
  errorCode: ErrorCodeName;
  errorMessage: string;
}

/** Every message of admin.proto by name. */
export interface AdminMessages {
  CreateTopicsRequest: CreateTopicsRequest;
  CreatableTopic: CreatableTopic;
  ReplicaAssignment: ReplicaAssignment;
  ConfigEntry: ConfigEntry;
  CreateTopicsResponse: CreateTopicsResponse;
  CreatableTopicResult: CreatableTopicResult;
  DeleteTopicsRequest: DeleteTopicsRequest;
  DeleteTopicsResponse: DeleteTopicsResponse;
  DeletableTopicResult: DeletableTopicResult;
  CreatePartitionsRequest: CreatePartitionsRequest;
  CreatePartitionsTopic: CreatePartitionsTopic;
  CreatePartitionsResponse: CreatePartitionsResponse;
  CreatePartitionsTopicResult: CreatePartitionsTopicResult;
  DescribeConfigsRequest: DescribeConfigsRequest;
  DescribeConfigsResource: DescribeConfigsResource;
  DescribeConfigsResponse: DescribeConfigsResponse;
  DescribeConfigsResult: DescribeConfigsResult;
  DescribedConfig: DescribedConfig;
  ConfigSynonym: ConfigSynonym;
  AlterConfigsRequest: AlterConfigsRequest;
  AlterConfigsResource: AlterConfigsResource;
  AlterableConfig: AlterableConfig;
  AlterConfigsResponse: AlterConfigsResponse;
  AlterConfigsResult: AlterConfigsResult;
  DescribeClusterRequest: DescribeClusterRequest;
  DescribeClusterResponse: DescribeClusterResponse;
  BrokerDescription: BrokerDescription;
  UnregisterBrokerRequest: UnregisterBrokerRequest;
  UnregisterBrokerResponse: UnregisterBrokerResponse;
  DescribeLogDirsRequest: DescribeLogDirsRequest;
  DescribeLogDirsResponse: DescribeLogDirsResponse;
  LogDirDescription: LogDirDescription;
  LogDirTopic: LogDirTopic;
  LogDirPartition: LogDirPartition;
  ElectLeadersRequest: ElectLeadersRequest;
  ElectLeadersResponse: ElectLeadersResponse;
  AlterPartitionReassignmentsRequest: AlterPartitionReassignmentsRequest;
  ReassignableTopic: ReassignableTopic;
  ReassignablePartition: ReassignablePartition;
  AlterPartitionReassignmentsResponse: AlterPartitionReassignmentsResponse;
  ListPartitionReassignmentsRequest: ListPartitionReassignmentsRequest;
  ListPartitionReassignmentsResponse: ListPartitionReassignmentsResponse;
  OngoingTopicReassignment: OngoingTopicReassignment;
  OngoingPartitionReassignment: OngoingPartitionReassignment;
  DescribeQuorumRequest: DescribeQuorumRequest;
  DescribeQuorumResponse: DescribeQuorumResponse;
  QuorumReplica: QuorumReplica;
  AddVoterRequest: AddVoterRequest;
  AddVoterResponse: AddVoterResponse;
  RemoveVoterRequest: RemoveVoterRequest;
  RemoveVoterResponse: RemoveVoterResponse;
}

/** Field types of every message of admin.proto, as written there (checked against it by schema.test.ts). */
export const adminSchemas = {
  CreateTopicsRequest: {
    topics: 'repeated CreatableTopic',
    timeoutMs: 'int32',
    validateOnly: 'bool',
  },
  CreatableTopic: {
    name: 'string',
    numPartitions: 'int32',
    replicationFactor: 'int32',
    assignments: 'repeated ReplicaAssignment',
    configs: 'repeated ConfigEntry',
  },
  ReplicaAssignment: {
    partition: 'int32',
    brokerIds: 'repeated int32',
  },
  ConfigEntry: {
    name: 'string',
    value: 'string',
  },
  CreateTopicsResponse: {
    topics: 'repeated CreatableTopicResult',
  },
  CreatableTopicResult: {
    name: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topicId: 'string',
    numPartitions: 'int32',
    replicationFactor: 'int32',
  },
  DeleteTopicsRequest: {
    names: 'repeated string',
    timeoutMs: 'int32',
  },
  DeleteTopicsResponse: {
    topics: 'repeated DeletableTopicResult',
  },
  DeletableTopicResult: {
    name: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topicId: 'string',
  },
  CreatePartitionsRequest: {
    topics: 'repeated CreatePartitionsTopic',
    timeoutMs: 'int32',
    validateOnly: 'bool',
  },
  CreatePartitionsTopic: {
    name: 'string',
    count: 'int32',
    assignments: 'repeated ReplicaAssignment',
  },
  CreatePartitionsResponse: {
    topics: 'repeated CreatePartitionsTopicResult',
  },
  CreatePartitionsTopicResult: {
    name: 'string',
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  DescribeConfigsRequest: {
    resources: 'repeated DescribeConfigsResource',
    includeSynonyms: 'bool',
    includeDocumentation: 'bool',
  },
  DescribeConfigsResource: {
    resourceType: 'ConfigResourceType',
    resourceName: 'string',
    configNames: 'repeated string',
  },
  DescribeConfigsResponse: {
    results: 'repeated DescribeConfigsResult',
  },
  DescribeConfigsResult: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    resourceType: 'ConfigResourceType',
    resourceName: 'string',
    configs: 'repeated DescribedConfig',
  },
  DescribedConfig: {
    name: 'string',
    value: 'string',
    readOnly: 'bool',
    source: 'ConfigSource',
    isSensitive: 'bool',
    synonyms: 'repeated ConfigSynonym',
    documentation: 'string',
  },
  ConfigSynonym: {
    name: 'string',
    value: 'string',
    source: 'ConfigSource',
  },
  AlterConfigsRequest: {
    resources: 'repeated AlterConfigsResource',
    validateOnly: 'bool',
  },
  AlterConfigsResource: {
    resourceType: 'ConfigResourceType',
    resourceName: 'string',
    configs: 'repeated AlterableConfig',
  },
  AlterableConfig: {
    name: 'string',
    op: 'AlterConfigOp',
    value: 'string',
  },
  AlterConfigsResponse: {
    results: 'repeated AlterConfigsResult',
  },
  AlterConfigsResult: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    resourceType: 'ConfigResourceType',
    resourceName: 'string',
  },
  DescribeClusterRequest: {
    includeFencedBrokers: 'bool',
  },
  DescribeClusterResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    clusterId: 'string',
    controllerId: 'int32',
    brokers: 'repeated BrokerDescription',
  },
  BrokerDescription: {
    brokerId: 'int32',
    host: 'string',
    port: 'int32',
    rack: 'string',
    isFenced: 'bool',
    inControlledShutdown: 'bool',
    brokerEpoch: 'int64',
    incarnationId: 'string',
  },
  UnregisterBrokerRequest: {
    brokerId: 'int32',
  },
  UnregisterBrokerResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  DescribeLogDirsRequest: {
    topics: 'repeated TopicPartitions',
  },
  DescribeLogDirsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    logDirs: 'repeated LogDirDescription',
  },
  LogDirDescription: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    path: 'string',
    totalBytes: 'int64',
    usableBytes: 'int64',
    topics: 'repeated LogDirTopic',
  },
  LogDirTopic: {
    name: 'string',
    partitions: 'repeated LogDirPartition',
  },
  LogDirPartition: {
    partition: 'int32',
    sizeBytes: 'int64',
    logStartOffset: 'int64',
    logEndOffset: 'int64',
    offsetLag: 'int64',
  },
  ElectLeadersRequest: {
    electionType: 'ElectionType',
    topics: 'repeated TopicPartitions',
    allPartitions: 'bool',
    timeoutMs: 'int32',
  },
  ElectLeadersResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated TopicPartitionResults',
  },
  AlterPartitionReassignmentsRequest: {
    topics: 'repeated ReassignableTopic',
    timeoutMs: 'int32',
    throttleBytesPerSec: 'int64',
  },
  ReassignableTopic: {
    name: 'string',
    partitions: 'repeated ReassignablePartition',
  },
  ReassignablePartition: {
    partition: 'int32',
    replicas: 'repeated int32',
    cancel: 'bool',
  },
  AlterPartitionReassignmentsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated TopicPartitionResults',
  },
  ListPartitionReassignmentsRequest: {
    topics: 'repeated TopicPartitions',
  },
  ListPartitionReassignmentsResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    topics: 'repeated OngoingTopicReassignment',
  },
  OngoingTopicReassignment: {
    name: 'string',
    partitions: 'repeated OngoingPartitionReassignment',
  },
  OngoingPartitionReassignment: {
    partition: 'int32',
    replicas: 'repeated int32',
    addingReplicas: 'repeated int32',
    removingReplicas: 'repeated int32',
  },
  DescribeQuorumRequest: {},
  DescribeQuorumResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
    clusterId: 'string',
    leaderId: 'int32',
    term: 'uint64',
    commitIndex: 'uint64',
    voters: 'repeated QuorumReplica',
    observers: 'repeated QuorumReplica',
  },
  QuorumReplica: {
    replicaId: 'int32',
    logEndIndex: 'uint64',
    lastFetchTimestampMs: 'int64',
    lastCaughtUpTimestampMs: 'int64',
    host: 'string',
    port: 'int32',
  },
  AddVoterRequest: {
    voterId: 'int32',
    host: 'string',
    port: 'int32',
    timeoutMs: 'int32',
  },
  AddVoterResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
  RemoveVoterRequest: {
    voterId: 'int32',
    timeoutMs: 'int32',
  },
  RemoveVoterResponse: {
    errorCode: 'ErrorCode',
    errorMessage: 'string',
  },
} as const satisfies MessageSchemaTable<AdminMessages>;
