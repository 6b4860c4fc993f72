/**
 * The services of proto/eddy/v1: a manifest of every RPC (kind, request and response message,
 * checked against the .proto by schema.test.ts) and the typed handler and client shapes derived
 * from it. Handlers and client methods are named in lowerCamelCase (`produce`, `metadata`).
 */
import type * as grpc from '@grpc/grpc-js';
import type { MessageName, Messages } from './schema.js';

/** unary: one request, one response; the stream kinds follow gRPC's. */
export type RpcKind = 'unary' | 'clientStream' | 'serverStream' | 'bidi';

export interface MethodSchema<K extends RpcKind = RpcKind, Req extends MessageName = MessageName, Res extends MessageName = MessageName> {
  readonly kind: K;
  readonly request: Req;
  readonly response: Res;
}

function unary<Req extends MessageName, Res extends MessageName>(request: Req, response: Res): MethodSchema<'unary', Req, Res> {
  return { kind: 'unary', request, response };
}
function serverStream<Req extends MessageName, Res extends MessageName>(request: Req, response: Res): MethodSchema<'serverStream', Req, Res> {
  return { kind: 'serverStream', request, response };
}
function bidi<Req extends MessageName, Res extends MessageName>(request: Req, response: Res): MethodSchema<'bidi', Req, Res> {
  return { kind: 'bidi', request, response };
}

/** Every service and RPC, as the .proto files declare them (method names as in the proto). */
export const serviceSchemas = {
  ClientService: {
    Produce: bidi('ProduceRequest', 'ProduceResponse'),
    Fetch: bidi('FetchRequest', 'FetchResponse'),
    Metadata: unary('MetadataRequest', 'MetadataResponse'),
    ListOffsets: unary('ListOffsetsRequest', 'ListOffsetsResponse'),
    InitProducerId: unary('InitProducerIdRequest', 'InitProducerIdResponse'),
  },
  AdminService: {
    CreateTopics: unary('CreateTopicsRequest', 'CreateTopicsResponse'),
    DeleteTopics: unary('DeleteTopicsRequest', 'DeleteTopicsResponse'),
    CreatePartitions: unary('CreatePartitionsRequest', 'CreatePartitionsResponse'),
    DescribeConfigs: unary('DescribeConfigsRequest', 'DescribeConfigsResponse'),
    AlterConfigs: unary('AlterConfigsRequest', 'AlterConfigsResponse'),
    DescribeCluster: unary('DescribeClusterRequest', 'DescribeClusterResponse'),
    UnregisterBroker: unary('UnregisterBrokerRequest', 'UnregisterBrokerResponse'),
    DescribeLogDirs: unary('DescribeLogDirsRequest', 'DescribeLogDirsResponse'),
    ElectLeaders: unary('ElectLeadersRequest', 'ElectLeadersResponse'),
    AlterPartitionReassignments: unary('AlterPartitionReassignmentsRequest', 'AlterPartitionReassignmentsResponse'),
    ListPartitionReassignments: unary('ListPartitionReassignmentsRequest', 'ListPartitionReassignmentsResponse'),
    DescribeQuorum: unary('DescribeQuorumRequest', 'DescribeQuorumResponse'),
    AddVoter: unary('AddVoterRequest', 'AddVoterResponse'),
    RemoveVoter: unary('RemoveVoterRequest', 'RemoveVoterResponse'),
  },
  GroupService: {
    FindCoordinator: unary('FindCoordinatorRequest', 'FindCoordinatorResponse'),
    JoinGroup: unary('JoinGroupRequest', 'JoinGroupResponse'),
    SyncGroup: unary('SyncGroupRequest', 'SyncGroupResponse'),
    Heartbeat: unary('HeartbeatRequest', 'HeartbeatResponse'),
    LeaveGroup: unary('LeaveGroupRequest', 'LeaveGroupResponse'),
    OffsetCommit: unary('OffsetCommitRequest', 'OffsetCommitResponse'),
    OffsetFetch: unary('OffsetFetchRequest', 'OffsetFetchResponse'),
    ListGroups: unary('ListGroupsRequest', 'ListGroupsResponse'),
    DescribeGroups: unary('DescribeGroupsRequest', 'DescribeGroupsResponse'),
    DeleteGroups: unary('DeleteGroupsRequest', 'DeleteGroupsResponse'),
    DeleteOffsets: unary('DeleteOffsetsRequest', 'DeleteOffsetsResponse'),
  },
  ReplicationService: {
    ReplicaFetch: bidi('ReplicaFetchRequest', 'ReplicaFetchResponse'),
    OffsetsForLeaderEpoch: unary('OffsetsForLeaderEpochRequest', 'OffsetsForLeaderEpochResponse'),
  },
  RaftService: {
    Vote: unary('VoteRequest', 'VoteResponse'),
    Append: bidi('AppendRequest', 'AppendResponse'),
    AppendOnce: unary('AppendRequest', 'AppendResponse'),
    Heartbeat: bidi('RaftHeartbeatRequest', 'RaftHeartbeatResponse'),
    InstallSnapshot: bidi('SnapshotChunk', 'InstallSnapshotResponse'),
    TimeoutNow: unary('TimeoutNowRequest', 'TimeoutNowResponse'),
    ReadIndex: unary('ReadIndexRequest', 'ReadIndexResponse'),
    FetchLog: bidi('FetchLogRequest', 'FetchLogResponse'),
    FetchSnapshot: serverStream('FetchSnapshotRequest', 'SnapshotChunk'),
  },
  ControllerService: {
    RegisterBroker: unary('RegisterBrokerRequest', 'RegisterBrokerResponse'),
    BrokerHeartbeat: unary('BrokerHeartbeatRequest', 'BrokerHeartbeatResponse'),
    AlterPartition: unary('AlterPartitionRequest', 'AlterPartitionResponse'),
    AllocateProducerIds: unary('AllocateProducerIdsRequest', 'AllocateProducerIdsResponse'),
  },
} as const;

export type ServiceName = keyof typeof serviceSchemas;
type MethodsOf<S extends ServiceName> = (typeof serviceSchemas)[S];
/** RPC names of a service, as in the proto (`Produce`). */
export type MethodName<S extends ServiceName> = keyof MethodsOf<S> & string;
export type RequestOf<S extends ServiceName, M extends MethodName<S>> =
  MethodsOf<S>[M] extends MethodSchema<RpcKind, infer Req, MessageName> ? Messages[Req] : never;
export type ResponseOf<S extends ServiceName, M extends MethodName<S>> =
  MethodsOf<S>[M] extends MethodSchema<RpcKind, MessageName, infer Res> ? Messages[Res] : never;
type KindOf<S extends ServiceName, M extends MethodName<S>> = MethodsOf<S>[M] extends MethodSchema<infer K> ? K : never;

type HandlerFor<K extends RpcKind, Req, Res> = K extends 'unary'
  ? grpc.handleUnaryCall<Req, Res>
  : K extends 'serverStream'
    ? grpc.handleServerStreamingCall<Req, Res>
    : K extends 'clientStream'
      ? grpc.handleClientStreamingCall<Req, Res>
      : grpc.handleBidiStreamingCall<Req, Res>;

/** The server side of a service: one grpc-js handler per RPC, named in lowerCamelCase. */
export type ServiceHandlers<S extends ServiceName> = {
  [M in MethodName<S> as Uncapitalize<M>]: HandlerFor<KindOf<S, M>, RequestOf<S, M>, ResponseOf<S, M>>;
};

/** Options of one client call. */
export interface CallOptions {
  /** An absolute deadline (Date or ms since the epoch); wins over timeoutMs. */
  readonly deadline?: Date | number;
  /** A deadline this long from now. Unary calls get the connection's default when neither is given. */
  readonly timeoutMs?: number;
  readonly metadata?: grpc.Metadata;
  /** Cancels the call (the call then fails with CANCELLED). */
  readonly signal?: AbortSignal;
}

/** A client-streaming call: write requests to `call`, end it, then await `response`. */
export interface ClientStreamCall<Req, Res> {
  readonly call: grpc.ClientWritableStream<Req>;
  readonly response: Promise<Res>;
}

type ClientMethodFor<K extends RpcKind, Req, Res> = K extends 'unary'
  ? (request: Req, options?: CallOptions) => Promise<Res>
  : K extends 'serverStream'
    ? (request: Req, options?: CallOptions) => grpc.ClientReadableStream<Res>
    : K extends 'clientStream'
      ? (options?: CallOptions) => ClientStreamCall<Req, Res>
      : (options?: CallOptions) => grpc.ClientDuplexStream<Req, Res>;

/**
 * The client side of a service, named in lowerCamelCase. Unary calls return a promise that
 * rejects with an EddyError (see `fromGrpcError`); streaming calls return grpc-js streams,
 * whose `error` events carry grpc-js ServiceErrors (map them with `fromGrpcError`).
 */
export type ServiceClient<S extends ServiceName> = {
  readonly [M in MethodName<S> as Uncapitalize<M>]: ClientMethodFor<KindOf<S, M>, RequestOf<S, M>, ResponseOf<S, M>>;
};
