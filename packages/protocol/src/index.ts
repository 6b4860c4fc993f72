export {
  type ErrorCodeInfo,
  type ErrorCodeName,
  errorCodeByName,
  errorCodeByNumber,
  errorCodeList,
  errorCodeNumbers,
  errorCodes,
  fromWireError,
  isErrorCodeName,
  noError,
  toEddyError,
  toWireError,
  type WireError,
} from './error-codes.js';
export {
  type ConnectOptions,
  type Connection,
  channelOptions,
  clientIdMetadataKey,
  connect,
  deadline,
  errorCodeMetadataKey,
  formatAddress,
  fromGrpcError,
  type GrpcStatus,
  type ServerHandle,
  type ServiceHandlerMap,
  type StartServerOptions,
  serverOptions,
  startServer,
  toGrpcStatus,
} from './grpc.js';
export {
  envelopeBytesMax,
  flowControlWindowBytes,
  keepaliveTimeMs,
  keepaliveTimeoutMs,
  messageBytesMax,
  reconnectBackoffMsInitial,
  reconnectBackoffMsMax,
  shutdownGraceMsDefault,
  unaryTimeoutMsDefault,
} from './limits.js';
export {
  describePackage,
  type FieldDescription,
  loadProtocol,
  type MessageCodec,
  type MessageDescription,
  type MethodCodec,
  type MethodDescription,
  type PackageDescription,
  type ProtoDirOptions,
  type Protocol,
  protoDirEnvVar,
  protoFiles,
  protoLoaderOptions,
  protoPackage,
  resolveProtoDir,
} from './load.js';
export {
  type EnumName,
  type EnumTypes,
  enumSchemas,
  type FieldToken,
  type FieldTokenFor,
  type MessageName,
  type MessageSchema,
  type MessageSchemaTable,
  type Messages,
  messageSchemas,
  type ScalarToken,
} from './schema.js';
export {
  type CallOptions,
  type ClientStreamCall,
  type MethodName,
  type MethodSchema,
  type RequestOf,
  type ResponseOf,
  type RpcKind,
  type ServiceClient,
  type ServiceHandlers,
  type ServiceName,
  serviceSchemas,
} from './services.js';

// Messages of common.proto.
export {
  type BrokerEndpoint, type TopicPartitions, type PartitionResult, type TopicPartitionResults,
  type EpochEndOffset,
} from './messages/common.js';

// Messages of client.proto.
export {
  type ProduceRequest, type ProduceTopic, type ProducePartition, type ProduceResponse,
  type ProduceTopicResponse, type ProducePartitionResponse, type RecordError, type FetchRequest,
  type FetchTopic, type FetchPartition, type FetchResponse, type FetchTopicResponse,
  type FetchPartitionResponse, type MetadataRequest, type MetadataResponse, type TopicMetadata,
  type PartitionMetadata, type ListOffsetsRequest, type ListOffsetsTopic,
  type ListOffsetsPartition, type ListOffsetsResponse, type ListOffsetsTopicResponse,
  type ListOffsetsPartitionResponse, type InitProducerIdRequest, type InitProducerIdResponse,
} from './messages/client.js';

// Messages of admin.proto.
export {
  type CreateTopicsRequest, type CreatableTopic, type ReplicaAssignment, type ConfigEntry,
  type CreateTopicsResponse, type CreatableTopicResult, type DeleteTopicsRequest,
  type DeleteTopicsResponse, type DeletableTopicResult, type CreatePartitionsRequest,
  type CreatePartitionsTopic, type CreatePartitionsResponse, type CreatePartitionsTopicResult,
  type DescribeConfigsRequest, type DescribeConfigsResource, type DescribeConfigsResponse,
  type DescribeConfigsResult, type DescribedConfig, type ConfigSynonym, type AlterConfigsRequest,
  type AlterConfigsResource, type AlterableConfig, type AlterConfigsResponse,
  type AlterConfigsResult, type DescribeClusterRequest, type DescribeClusterResponse,
  type BrokerDescription, type UnregisterBrokerRequest, type UnregisterBrokerResponse,
  type DescribeLogDirsRequest, type DescribeLogDirsResponse, type LogDirDescription,
  type LogDirTopic, type LogDirPartition, type ElectLeadersRequest, type ElectLeadersResponse,
  type AlterPartitionReassignmentsRequest, type ReassignableTopic, type ReassignablePartition,
  type AlterPartitionReassignmentsResponse, type ListPartitionReassignmentsRequest,
  type ListPartitionReassignmentsResponse, type OngoingTopicReassignment,
  type OngoingPartitionReassignment, type DescribeQuorumRequest, type DescribeQuorumResponse,
  type QuorumReplica, type AddVoterRequest, type AddVoterResponse, type RemoveVoterRequest,
  type RemoveVoterResponse,
} from './messages/admin.js';

// Messages of group.proto.
export {
  type FindCoordinatorRequest, type FindCoordinatorResponse, type Coordinator,
  type JoinGroupRequest, type JoinGroupProtocol, type JoinGroupResponse, type JoinGroupMember,
  type SyncGroupRequest, type SyncGroupAssignment, type SyncGroupResponse, type HeartbeatRequest,
  type HeartbeatResponse, type LeaveGroupRequest, type LeavingMember, type LeaveGroupResponse,
  type LeavingMemberResult, type OffsetCommitRequest, type OffsetCommitTopic,
  type OffsetCommitPartition, type OffsetCommitResponse, type OffsetFetchRequest,
  type OffsetFetchResponse, type OffsetFetchTopic, type OffsetFetchPartition,
  type ListGroupsRequest, type ListGroupsResponse, type ListedGroup, type DescribeGroupsRequest,
  type DescribeGroupsResponse, type DescribedGroup, type RebalanceRecord,
  type DescribedGroupMember, type DeleteGroupsRequest, type DeleteGroupsResponse,
  type DeletableGroupResult, type DeleteOffsetsRequest, type DeleteOffsetsResponse,
} from './messages/group.js';

// Messages of replication.proto.
export {
  type ReplicaFetchRequest, type ReplicaFetchTopic, type ReplicaFetchPartition,
  type ReplicaFetchResponse, type ReplicaFetchTopicResponse, type ReplicaFetchPartitionResponse,
  type OffsetsForLeaderEpochRequest, type OffsetForLeaderTopic, type OffsetForLeaderPartition,
  type OffsetsForLeaderEpochResponse, type OffsetForLeaderTopicResult,
  type OffsetForLeaderPartitionResult,
} from './messages/replication.js';

// Messages of raft.proto.
export {
  type RaftEntry, type RaftMembership, type VoteRequest, type VoteResponse, type AppendRequest,
  type AppendResponse, type RaftHeartbeatRequest, type RaftHeartbeatResponse, type SnapshotChunk,
  type InstallSnapshotResponse, type TimeoutNowRequest, type TimeoutNowResponse,
  type ReadIndexRequest, type ReadIndexResponse, type FetchLogRequest, type FetchLogResponse,
  type RaftTermEnd, type RaftSnapshotId, type FetchSnapshotRequest,
} from './messages/raft.js';

// Messages of controller.proto.
export {
  type RegisterBrokerRequest, type RegisterBrokerResponse, type BrokerHeartbeatRequest,
  type BrokerHeartbeatResponse, type AlterPartitionRequest, type AlterPartitionTopic,
  type AlterPartitionData, type IsrMember, type AlterPartitionResponse,
  type AlterPartitionTopicResult, type AlterPartitionDataResult, type AllocateProducerIdsRequest,
  type AllocateProducerIdsResponse,
} from './messages/controller.js';

// Enums other than ErrorCode: value-name unions and name → number tables.
export {
  type PartitionState, type ReplicaState, type ConfigResourceType, type ConfigSource,
  type AlterConfigOp, type ElectionType, type GroupState, type RaftEntryType, partitionStateValues,
  replicaStateValues, configResourceTypeValues, configSourceValues, alterConfigOpValues,
  electionTypeValues, groupStateValues, raftEntryTypeValues, enumValues,
} from './messages/enums.js';
