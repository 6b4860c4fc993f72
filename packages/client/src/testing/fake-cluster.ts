/**
 * An in-memory fake of an Eddy cluster for client tests: real gRPC servers on 127.0.0.1 (one per
 * fake broker, port 0) speaking proto/eddy/v1, backed by shared in-memory partitions. It
 * implements what the SDK needs — metadata, the Produce and Fetch streams (with long polling),
 * idempotent-producer sequence checks, ListOffsets, InitProducerId, the classic group protocol,
 * offsets, and the admin RPCs — plus hooks to inject faults (move a leader, drop an answer,
 * break a stream, fail a call). It is not a broker: no replication, no durability.
 */
import { toEddyError, type BrokerEndpoint, type ErrorCodeName, type FetchPartitionResponse, type FetchRequest, type FetchResponse, type Protocol, loadProtocol, type MetadataResponse, type PartitionState, type ProducePartitionResponse, type ProduceRequest, type ProduceResponse, type ServerHandle, startServer, toGrpcStatus, clientIdMetadataKey, type ServiceHandlerMap, type TopicMetadata, type DescribedConfig } from '@eddy/protocol';
import { decodeRecordBatch, iterateBatches, type Record as DecodedRecord, stampBatch } from '@eddy/record';
import type * as grpc from '@grpc/grpc-js';
import { clientLimits } from '../limits.js';
import { FakeGroupCoordinator, type FakeCommittedOffset } from './fake-group-coordinator.js';

/** A topic to create when the fake cluster starts. */
export interface FakeTopicSpec {
  readonly name: string;
  readonly partitions: number;
  /** Default min(3, brokers). */
  readonly replicationFactor?: number;
  /** Leader of each partition by index; default round-robin over the brokers. */
  readonly leaders?: readonly number[];
  readonly configs?: Readonly<Record<string, string>>;
}

export interface FakeClusterOptions {
  /** Brokers (ids 1..n), each its own gRPC server. Default 1. */
  readonly brokers?: number;
  readonly topics?: readonly FakeTopicSpec[];
  readonly clusterId?: string;
  /** Create unknown topics asked for by Metadata with allowAutoTopicCreation. Default false. */
  readonly autoCreateTopics?: boolean;
  /** Partitions of auto-created topics and of CreateTopics with -1. Default 1. */
  readonly defaultPartitions?: number;
  /** The broker that coordinates every group. Default 1. */
  readonly coordinatorId?: number;
  /** The active controller. Default 1. */
  readonly controllerId?: number;
  /** When false, brokers other than the controller answer controller operations with NOT_CONTROLLER. Default true. */
  readonly forwardToController?: boolean;
  /** Kafka's group.initial.rebalance.delay.ms. Default 0. */
  readonly initialRebalanceDelayMs?: number;
  readonly protocol?: Protocol;
}

/** A call a fake broker received (requests of streams are logged one by one). */
export interface FakeCall {
  readonly brokerId: number;
  /** The RPC name as in the proto (`Produce`, `JoinGroup`). */
  readonly method: string;
  readonly request: unknown;
  readonly clientId: string;
}

/** What a fake broker does with one produce request (see `FakeCluster.onProduce`). */
export type ProduceFault =
  /** Append the batches but send no answer: the client must time out and retry. */
  | 'drop-response'
  /** Append the batches, then fail the stream (the client sees a network error). */
  | 'fail-stream-after-append'
  /** Fail the stream without appending. */
  | 'fail-stream';

/** A record as the fake log holds it. */
export interface FakeRecord extends DecodedRecord {
  readonly producerId: bigint;
  readonly baseSequence: number;
}

interface StoredBatch {
  readonly baseOffset: bigint;
  readonly lastOffset: bigint;
  readonly maxTimestamp: number;
  readonly bytes: Buffer;
}

interface ProducerEntry {
  epoch: number;
  batches: { firstSequence: number; lastSequence: number; baseOffset: bigint }[];
}

interface FakePartition {
  leaderId: number;
  leaderEpoch: number;
  replicas: number[];
  isr: number[];
  readonly batches: StoredBatch[];
  logStartOffset: bigint;
  logEndOffset: bigint;
  readonly producers: Map<bigint, ProducerEntry>;
  readonly waiters: Set<() => void>;
  reassignment: number[] | undefined;
}

interface FakeTopic {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: FakePartition[];
  readonly configs: Map<string, string>;
  readonly isInternal: boolean;
}

/** One fake broker: its id and where it listens. */
export interface FakeBroker {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  readonly address: string;
}

interface FailRule {
  readonly method: string;
  readonly code: ErrorCodeName;
  remaining: number;
  readonly brokerId: number | undefined;
}

const sequenceMax = 0x7fff_ffff;
/** Kafka's (and Eddy's) default max.message.bytes. */
const fakeMaxMessageBytesDefault = 1024 * 1024 + 12;

function sequenceAdd(sequence: number, delta: number): number {
  return sequence > sequenceMax - delta ? delta - (sequenceMax - sequence) - 1 : sequence + delta;
}

function topicIdFor(name: string, incarnation: number): string {
  return Buffer.from(`${name}#${incarnation}`.padEnd(16, '.').slice(0, 16)).toString('base64url').slice(0, 22);
}

/** Starts a fake cluster; close it with `close()`. */
export async function startFakeCluster(options: FakeClusterOptions = {}): Promise<FakeCluster> {
  const cluster = new FakeCluster(options);
  await cluster.start();
  return cluster;
}

/** See the module comment. Create with `startFakeCluster`. */
export class FakeCluster {
  readonly protocol: Protocol;
  readonly coordinator: FakeGroupCoordinator;
  /** Calls received, oldest first (bounded: the oldest are dropped past 10,000). */
  readonly calls: FakeCall[] = [];
  /** Decides what a broker does with each produce request; undefined answers normally. */
  onProduce: ((brokerId: number, request: ProduceRequest) => ProduceFault | undefined) | undefined;
  /** An error code for one partition of a produce request, or undefined to append it. */
  onProducePartition: ((brokerId: number, topic: string, partition: number) => ErrorCodeName | undefined) | undefined;
  /** An error code for one partition of a fetch request, or undefined to serve it. */
  onFetchPartition: ((brokerId: number, topic: string, partition: number) => ErrorCodeName | undefined) | undefined;
  private readonly servers: ServerHandle[] = [];
  private readonly brokerList: FakeBroker[] = [];
  private readonly topics = new Map<string, FakeTopic>();
  private readonly failRules: FailRule[] = [];
  private readonly stallRules: { readonly method: string; readonly ms: number; remaining: number; readonly brokerId: number | undefined }[] = [];
  private readonly streams = new Set<grpc.ServerDuplexStream<unknown, unknown>>();
  /** Timers of long polls and stalled answers, cleared on close. */
  private readonly fetchTimers = new Set<NodeJS.Timeout>();
  private readonly brokerCount: number;
  private metadataOffset = 1n;
  private nextProducerId = 1000n;
  private topicIncarnation = 0;
  private controllerIdValue: number;
  private readonly options: FakeClusterOptions;

  constructor(options: FakeClusterOptions) {
    this.options = options;
    this.protocol = options.protocol ?? loadProtocol();
    this.brokerCount = options.brokers ?? 1;
    this.controllerIdValue = options.controllerId ?? 1;
    this.coordinator = new FakeGroupCoordinator({ initialRebalanceDelayMs: options.initialRebalanceDelayMs ?? 0, sessionCheckIntervalMs: 20 });
  }

  /** Binds one server per broker and creates the initial topics (called by `startFakeCluster`). */
  async start(): Promise<void> {
    for (let brokerId = 1; brokerId <= this.brokerCount; brokerId++) {
      const server = await startServer({ protocol: this.protocol, host: '127.0.0.1', port: 0, services: this.handlers(brokerId) });
      this.servers.push(server);
      this.brokerList.push({ brokerId, host: server.host, port: server.port, address: server.address });
    }
    for (const topic of this.options.topics ?? []) this.createTopic(topic);
  }

  get brokers(): readonly FakeBroker[] {
    return this.brokerList;
  }

  /** `host:port` of every broker, for `bootstrapServers`. */
  get bootstrapServers(): string[] {
    return this.brokerList.map((broker) => broker.address);
  }

  get controllerId(): number {
    return this.controllerIdValue;
  }

  /** Makes another broker the active controller (bumps the metadata). */
  setController(brokerId: number): void {
    this.controllerIdValue = brokerId;
    this.metadataOffset++;
  }

  /** Creates a topic (throws if it exists). */
  createTopic(spec: FakeTopicSpec): void {
    if (this.topics.has(spec.name)) throw new Error(`topic ${spec.name} exists`);
    const replicationFactor = spec.replicationFactor ?? Math.min(3, this.brokerCount);
    const partitions: FakePartition[] = [];
    for (let index = 0; index < spec.partitions; index++) partitions.push(this.newPartition(index, replicationFactor, spec.leaders?.[index]));
    this.topics.set(spec.name, {
      name: spec.name,
      topicId: topicIdFor(spec.name, ++this.topicIncarnation),
      partitions,
      configs: new Map(Object.entries(spec.configs ?? {})),
      isInternal: spec.name.startsWith('__'),
    });
    this.metadataOffset++;
  }

  /** Moves a partition's leadership (new leader epoch; the old leader answers NOT_LEADER_OR_FOLLOWER). */
  setLeader(topic: string, partition: number, brokerId: number): void {
    const state = this.partitionState(topic, partition);
    state.leaderId = brokerId;
    state.leaderEpoch++;
    if (!state.replicas.includes(brokerId)) state.replicas.push(brokerId);
    this.metadataOffset++;
    for (const waiter of [...state.waiters]) waiter();
  }

  /** The partition's leader id. */
  leaderOf(topic: string, partition: number): number {
    return this.partitionState(topic, partition).leaderId;
  }

  /** Every record of a partition, decoded, in offset order. */
  records(topic: string, partition: number): FakeRecord[] {
    const out: FakeRecord[] = [];
    for (const batch of this.partitionState(topic, partition).batches) {
      const decoded = decodeRecordBatch(batch.bytes);
      for (const record of decoded.records) out.push({ ...record, producerId: decoded.header.producerId, baseSequence: decoded.header.baseSequence });
    }
    return out;
  }

  /** Batches appended to a partition. */
  batchCount(topic: string, partition: number): number {
    return this.partitionState(topic, partition).batches.length;
  }

  /** The next offset of a partition. */
  logEndOffset(topic: string, partition: number): bigint {
    return this.partitionState(topic, partition).logEndOffset;
  }

  /** Drops records below `offset` (as retention would). */
  deleteRecordsBefore(topic: string, partition: number, offset: bigint): void {
    const state = this.partitionState(topic, partition);
    while (state.batches[0] !== undefined && state.batches[0].lastOffset < offset) state.batches.shift();
    state.logStartOffset = offset;
  }

  /** A group's committed offset for a partition, if any. */
  committed(groupId: string, topic: string, partition: number): FakeCommittedOffset | undefined {
    return this.coordinator.committed(groupId, topic, partition);
  }

  /** Calls of one RPC (`Produce`, `OffsetCommit`, ...), oldest first. */
  callsTo(method: string): FakeCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Fails the next `times` calls of a unary RPC (or requests of a stream) with `code`, as a failed gRPC call. */
  failNext(method: string, code: ErrorCodeName, options: { readonly times?: number; readonly brokerId?: number } = {}): void {
    this.failRules.push({ method, code, remaining: options.times ?? 1, brokerId: options.brokerId });
  }

  /** Holds the answers of the next `times` calls of a unary RPC for `ms` (a slow or hung broker). */
  stallNext(method: string, ms: number, options: { readonly times?: number; readonly brokerId?: number } = {}): void {
    this.stallRules.push({ method, ms, remaining: options.times ?? 1, brokerId: options.brokerId });
  }

  /** Stops every server (open streams are cancelled) and timer. */
  async close(): Promise<void> {
    this.coordinator.close();
    for (const timer of this.fetchTimers) clearTimeout(timer);
    this.fetchTimers.clear();
    for (const topic of this.topics.values()) for (const partition of topic.partitions) partition.waiters.clear();
    for (const stream of this.streams) stream.end();
    this.streams.clear();
    await Promise.all(this.servers.map((server) => server.close(200)));
  }

  // -------------------------------------------------------------------------------------------
  // Internals.

  private newPartition(index: number, replicationFactor: number, leader?: number): FakePartition {
    const leaderId = leader ?? (index % this.brokerCount) + 1;
    const replicas = [leaderId];
    for (let i = 1; i < replicationFactor; i++) replicas.push(((leaderId - 1 + i) % this.brokerCount) + 1);
    return {
      leaderId,
      leaderEpoch: 0,
      replicas,
      isr: [...replicas],
      batches: [],
      logStartOffset: 0n,
      logEndOffset: 0n,
      producers: new Map(),
      waiters: new Set(),
      reassignment: undefined,
    };
  }

  private partitionState(topic: string, partition: number): FakePartition {
    const state = this.topics.get(topic)?.partitions[partition];
    if (state === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return state;
  }

  private record(brokerId: number, method: string, request: unknown, metadata: grpc.Metadata): void {
    const clientId = metadata.get(clientIdMetadataKey)[0];
    this.calls.push({ brokerId, method, request, clientId: typeof clientId === 'string' ? clientId : '' });
    if (this.calls.length > clientLimits.fakeCallLogMax) this.calls.shift();
  }

  /** The injected failure for this call, if any (consumed). */
  private injected(brokerId: number, method: string): ErrorCodeName | undefined {
    const rule = this.failRules.find((each) => each.method === method && each.remaining > 0 && (each.brokerId === undefined || each.brokerId === brokerId));
    if (rule === undefined) return undefined;
    rule.remaining--;
    if (rule.remaining === 0) this.failRules.splice(this.failRules.indexOf(rule), 1);
    return rule.code;
  }

  private endpoint(brokerId: number): BrokerEndpoint {
    const broker = this.brokerList.find((each) => each.brokerId === brokerId);
    return { brokerId, host: broker?.host ?? '', port: broker?.port ?? 0, rack: '' };
  }

  private unary<Req, Res>(brokerId: number, method: string, handle: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      this.record(brokerId, method, call.request, call.metadata);
      const failure = this.injected(brokerId, method);
      if (failure !== undefined) {
        callback(toGrpcStatus(toEddyError(failure, `injected ${failure}`)));
        return;
      }
      const answer = (): void => {
        try {
          callback(null, handle(call.request, call));
        } catch (error: unknown) {
          callback(toGrpcStatus(error));
        }
      };
      const stall = this.stallRules.find((rule) => rule.method === method && rule.remaining > 0 && (rule.brokerId === undefined || rule.brokerId === brokerId));
      if (stall === undefined) {
        answer();
        return;
      }
      stall.remaining--;
      const timer = setTimeout(() => {
        this.fetchTimers.delete(timer);
        answer();
      }, stall.ms);
      this.fetchTimers.add(timer);
    };
  }

  private handlers(brokerId: number): ServiceHandlerMap {
    const isController = (): boolean => this.options.forwardToController !== false || brokerId === this.controllerIdValue;
    const isCoordinator = (): boolean => brokerId === (this.options.coordinatorId ?? 1);
    const notController = { errorCode: 'NOT_CONTROLLER' as const, errorMessage: `broker ${brokerId} is not the controller` };
    return {
      ClientService: {
        metadata: this.unary(brokerId, 'Metadata', (request) => this.metadata(request.topics, request.allTopics, request.allowAutoTopicCreation)),
        listOffsets: this.unary(brokerId, 'ListOffsets', (request) => ({
          topics: request.topics.map((topic) => ({
            name: topic.name,
            partitions: topic.partitions.map((query) => {
              const base = { partition: query.partition, timestampMs: -1n, offset: -1n, leaderEpoch: -1, currentLeaderId: -1, currentLeaderEpoch: -1 };
              const state = this.topics.get(topic.name)?.partitions[query.partition];
              if (state === undefined) return { ...base, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '' };
              if (state.leaderId !== brokerId) {
                return { ...base, errorCode: 'NOT_LEADER_OR_FOLLOWER' as const, errorMessage: '', currentLeaderId: state.leaderId, currentLeaderEpoch: state.leaderEpoch };
              }
              if (query.timestampMs === -2n) return { ...base, errorCode: 'NONE' as const, errorMessage: '', offset: state.logStartOffset, leaderEpoch: state.leaderEpoch };
              if (query.timestampMs === -1n) return { ...base, errorCode: 'NONE' as const, errorMessage: '', offset: state.logEndOffset, leaderEpoch: state.leaderEpoch };
              const found = state.batches.find((batch) => BigInt(batch.maxTimestamp) >= query.timestampMs);
              return {
                ...base,
                errorCode: 'NONE' as const,
                errorMessage: '',
                offset: found?.baseOffset ?? -1n,
                timestampMs: BigInt(found?.maxTimestamp ?? -1),
                leaderEpoch: found === undefined ? -1 : state.leaderEpoch,
              };
            }),
          })),
        })),
        initProducerId: this.unary(brokerId, 'InitProducerId', (request) => {
          if (request.producerId >= 0n) return { errorCode: 'NONE', errorMessage: '', producerId: request.producerId, producerEpoch: request.producerEpoch + 1 };
          return { errorCode: 'NONE', errorMessage: '', producerId: this.nextProducerId++, producerEpoch: 0 };
        }),
        produce: (call) => this.produceStream(brokerId, call),
        fetch: (call) => this.fetchStream(brokerId, call),
      },
      AdminService: {
        createTopics: this.unary(brokerId, 'CreateTopics', (request) => ({
          topics: request.topics.map((topic) => {
            const failed = (errorCode: ErrorCodeName, errorMessage = ''): { name: string; errorCode: ErrorCodeName; errorMessage: string; topicId: string; numPartitions: number; replicationFactor: number } => ({
              name: topic.name,
              errorCode,
              errorMessage,
              topicId: '',
              numPartitions: -1,
              replicationFactor: -1,
            });
            if (!isController()) return { ...failed('NOT_CONTROLLER'), errorMessage: notController.errorMessage };
            if (topic.name === '' || !/^[a-zA-Z0-9._-]+$/.test(topic.name)) return failed('INVALID_TOPIC_EXCEPTION', `invalid topic name ${JSON.stringify(topic.name)}`);
            if (this.topics.has(topic.name)) return failed('TOPIC_ALREADY_EXISTS', `topic ${topic.name} already exists`);
            const partitions = topic.numPartitions === -1 ? (this.options.defaultPartitions ?? 1) : topic.numPartitions;
            const replicationFactor = topic.replicationFactor === -1 ? Math.min(3, this.brokerCount) : topic.replicationFactor;
            if (partitions < 1) return failed('INVALID_PARTITIONS');
            if (replicationFactor < 1 || replicationFactor > this.brokerCount) return failed('INVALID_REPLICATION_FACTOR', `replication factor ${replicationFactor} with ${this.brokerCount} brokers`);
            if (!request.validateOnly) {
              this.createTopic({ name: topic.name, partitions, replicationFactor, configs: Object.fromEntries(topic.configs.map((entry) => [entry.name, entry.value])) });
            }
            return { name: topic.name, errorCode: 'NONE', errorMessage: '', topicId: this.topics.get(topic.name)?.topicId ?? '', numPartitions: partitions, replicationFactor };
          }),
        })),
        deleteTopics: this.unary(brokerId, 'DeleteTopics', (request) => ({
          topics: request.names.map((name) => {
            if (!isController()) return { name, ...notController, topicId: '' };
            const topic = this.topics.get(name);
            if (topic === undefined) return { name, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '', topicId: '' };
            this.topics.delete(name);
            this.metadataOffset++;
            return { name, errorCode: 'NONE' as const, errorMessage: '', topicId: topic.topicId };
          }),
        })),
        createPartitions: this.unary(brokerId, 'CreatePartitions', (request) => ({
          topics: request.topics.map((entry) => {
            if (!isController()) return { name: entry.name, ...notController };
            const topic = this.topics.get(entry.name);
            if (topic === undefined) return { name: entry.name, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '' };
            if (entry.count <= topic.partitions.length) {
              return { name: entry.name, errorCode: 'INVALID_PARTITIONS' as const, errorMessage: `the topic has ${topic.partitions.length} partitions` };
            }
            if (!request.validateOnly) {
              const replicationFactor = topic.partitions[0]?.replicas.length ?? 1;
              for (let index = topic.partitions.length; index < entry.count; index++) topic.partitions.push(this.newPartition(index, replicationFactor));
              this.metadataOffset++;
            }
            return { name: entry.name, errorCode: 'NONE' as const, errorMessage: '' };
          }),
        })),
        describeConfigs: this.unary(brokerId, 'DescribeConfigs', (request) => ({
          results: request.resources.map((resource) => {
            const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
            if (resource.resourceType !== 'CONFIG_RESOURCE_TYPE_TOPIC') {
              const configs: DescribedConfig[] = [
                { name: 'num.partitions', value: String(this.options.defaultPartitions ?? 1), readOnly: false, source: 'CONFIG_SOURCE_DEFAULT', isSensitive: false, synonyms: [], documentation: '' },
              ];
              return { ...base, errorCode: 'NONE' as const, errorMessage: '', configs };
            }
            const topic = this.topics.get(resource.resourceName);
            if (topic === undefined) return { ...base, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '', configs: [] };
            const entries = [...topic.configs].filter(([name]) => resource.configNames.length === 0 || resource.configNames.includes(name));
            return {
              ...base,
              errorCode: 'NONE' as const,
              errorMessage: '',
              configs: entries.map(([name, value]) => ({ name, value, readOnly: false, source: 'CONFIG_SOURCE_TOPIC' as const, isSensitive: false, synonyms: [], documentation: '' })),
            };
          }),
        })),
        alterConfigs: this.unary(brokerId, 'AlterConfigs', (request) => ({
          results: request.resources.map((resource) => {
            const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
            if (!isController()) return { ...base, ...notController };
            const topic = this.topics.get(resource.resourceName);
            if (resource.resourceType !== 'CONFIG_RESOURCE_TYPE_TOPIC' || topic === undefined) {
              return { ...base, errorCode: 'RESOURCE_NOT_FOUND' as const, errorMessage: '' };
            }
            if (!request.validateOnly) {
              for (const config of resource.configs) {
                if (config.op === 'ALTER_CONFIG_OP_DELETE') topic.configs.delete(config.name);
                else topic.configs.set(config.name, config.value);
              }
            }
            return { ...base, errorCode: 'NONE' as const, errorMessage: '' };
          }),
        })),
        describeCluster: this.unary(brokerId, 'DescribeCluster', () => ({
          errorCode: 'NONE',
          errorMessage: '',
          clusterId: this.options.clusterId ?? 'fake-cluster',
          controllerId: this.controllerIdValue,
          brokers: this.brokerList.map((broker) => ({
            brokerId: broker.brokerId,
            host: broker.host,
            port: broker.port,
            rack: '',
            isFenced: false,
            inControlledShutdown: false,
            brokerEpoch: 1n,
            incarnationId: `incarnation-${broker.brokerId}`,
          })),
        })),
        electLeaders: this.unary(brokerId, 'ElectLeaders', (request) => {
          if (!isController()) return { ...notController, topics: [] };
          const wanted = request.allPartitions
            ? [...this.topics.values()].map((topic) => ({ topic: topic.name, partitions: topic.partitions.map((_, index) => index) }))
            : request.topics;
          return {
            errorCode: 'NONE',
            errorMessage: '',
            topics: wanted.map((entry) => ({
              topic: entry.topic,
              partitions: entry.partitions.map((partition) => {
                const state = this.topics.get(entry.topic)?.partitions[partition];
                if (state === undefined) return { partition, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '' };
                const preferred = state.replicas[0] ?? state.leaderId;
                if (preferred === state.leaderId) return { partition, errorCode: 'ELECTION_NOT_NEEDED' as const, errorMessage: '' };
                this.setLeader(entry.topic, partition, preferred);
                return { partition, errorCode: 'NONE' as const, errorMessage: '' };
              }),
            })),
          };
        }),
        alterPartitionReassignments: this.unary(brokerId, 'AlterPartitionReassignments', (request) => {
          if (!isController()) return { ...notController, topics: [] };
          return {
            errorCode: 'NONE',
            errorMessage: '',
            topics: request.topics.map((topic) => ({
              topic: topic.name,
              partitions: topic.partitions.map((entry) => {
                const state = this.topics.get(topic.name)?.partitions[entry.partition];
                if (state === undefined) return { partition: entry.partition, errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' as const, errorMessage: '' };
                if (entry.cancel) {
                  if (state.reassignment === undefined) return { partition: entry.partition, errorCode: 'NO_REASSIGNMENT_IN_PROGRESS' as const, errorMessage: '' };
                  state.reassignment = undefined;
                } else {
                  state.reassignment = entry.replicas;
                }
                return { partition: entry.partition, errorCode: 'NONE' as const, errorMessage: '' };
              }),
            })),
          };
        }),
        listPartitionReassignments: this.unary(brokerId, 'ListPartitionReassignments', (request) => {
          const wanted = new Map(request.topics.map((entry) => [entry.topic, new Set(entry.partitions)]));
          const topics = [...this.topics.values()]
            .filter((topic) => wanted.size === 0 || wanted.has(topic.name))
            .map((topic) => ({
              name: topic.name,
              partitions: topic.partitions.flatMap((state, partition) => {
                const target = state.reassignment;
                const only = wanted.get(topic.name);
                if (target === undefined || (only !== undefined && only.size > 0 && !only.has(partition))) return [];
                const adding = target.filter((id) => !state.replicas.includes(id));
                const removing = state.replicas.filter((id) => !target.includes(id));
                return [{ partition, replicas: [...state.replicas, ...adding], addingReplicas: adding, removingReplicas: removing }];
              }),
            }))
            .filter((topic) => topic.partitions.length > 0);
          return { errorCode: 'NONE', errorMessage: '', topics };
        }),
        describeQuorum: this.unary(brokerId, 'DescribeQuorum', () => ({
          errorCode: 'NONE',
          errorMessage: '',
          clusterId: this.options.clusterId ?? 'fake-cluster',
          leaderId: this.controllerIdValue,
          term: 1n,
          commitIndex: this.metadataOffset,
          voters: this.brokerList.map((broker) => ({
            replicaId: broker.brokerId,
            logEndIndex: this.metadataOffset,
            lastFetchTimestampMs: BigInt(Date.now()),
            lastCaughtUpTimestampMs: BigInt(Date.now()),
            host: broker.host,
            port: broker.port,
          })),
          observers: [],
        })),
      },
      GroupService: {
        findCoordinator: this.unary(brokerId, 'FindCoordinator', (request) => {
          const coordinator = this.endpoint(this.options.coordinatorId ?? 1);
          return {
            coordinators: request.groupIds.map((groupId) => ({
              groupId,
              errorCode: 'NONE' as const,
              errorMessage: '',
              brokerId: coordinator.brokerId,
              host: coordinator.host,
              port: coordinator.port,
            })),
          };
        }),
        joinGroup: (call, callback) => {
          this.record(brokerId, 'JoinGroup', call.request, call.metadata);
          const failure = this.injected(brokerId, 'JoinGroup');
          if (failure !== undefined) {
            callback(toGrpcStatus(toEddyError(failure, `injected ${failure}`)));
            return;
          }
          if (!isCoordinator()) {
            callback(null, { errorCode: 'NOT_COORDINATOR', errorMessage: '', generationId: -1, protocolType: '', protocolName: '', leaderMemberId: '', skipAssignment: false, memberId: call.request.memberId, members: [] });
            return;
          }
          const clientId = call.metadata.get(clientIdMetadataKey)[0];
          this.coordinator.joinGroup(call.request, typeof clientId === 'string' ? clientId : '', call.getPeer(), (response) => callback(null, response));
        },
        syncGroup: (call, callback) => {
          this.record(brokerId, 'SyncGroup', call.request, call.metadata);
          const failure = this.injected(brokerId, 'SyncGroup');
          if (failure !== undefined) {
            callback(toGrpcStatus(toEddyError(failure, `injected ${failure}`)));
            return;
          }
          if (!isCoordinator()) {
            callback(null, { errorCode: 'NOT_COORDINATOR', errorMessage: '', protocolType: '', protocolName: '', assignment: Buffer.alloc(0) });
            return;
          }
          this.coordinator.syncGroup(call.request, (response) => callback(null, response));
        },
        heartbeat: this.unary(brokerId, 'Heartbeat', (request) => (isCoordinator() ? this.coordinator.heartbeat(request) : { errorCode: 'NOT_COORDINATOR', errorMessage: '' })),
        leaveGroup: this.unary(brokerId, 'LeaveGroup', (request) =>
          isCoordinator() ? this.coordinator.leaveGroup(request) : { errorCode: 'NOT_COORDINATOR', errorMessage: '', members: [] },
        ),
        offsetCommit: this.unary(brokerId, 'OffsetCommit', (request) =>
          isCoordinator() ? this.coordinator.offsetCommit(request) : { errorCode: 'NOT_COORDINATOR', errorMessage: '', topics: [] },
        ),
        offsetFetch: this.unary(brokerId, 'OffsetFetch', (request) =>
          isCoordinator() ? this.coordinator.offsetFetch(request) : { errorCode: 'NOT_COORDINATOR', errorMessage: '', topics: [] },
        ),
        listGroups: this.unary(brokerId, 'ListGroups', (request) => (isCoordinator() ? this.coordinator.listGroups(request) : { errorCode: 'NONE', errorMessage: '', groups: [] })),
        describeGroups: this.unary(brokerId, 'DescribeGroups', (request) => {
          if (isCoordinator()) return this.coordinator.describeGroups(request);
          return {
            groups: request.groupIds.map((groupId) => ({
              errorCode: 'NOT_COORDINATOR' as const,
              errorMessage: '',
              groupId,
              groupState: 'GROUP_STATE_UNSPECIFIED' as const,
              protocolType: '',
              protocolName: '',
              generationId: -1,
              leaderMemberId: '',
              members: [],
              rebalanceHistory: [],
            })),
          };
        }),
        deleteGroups: this.unary(brokerId, 'DeleteGroups', (request) =>
          isCoordinator() ? this.coordinator.deleteGroups(request) : { groups: request.groupIds.map((groupId) => ({ groupId, errorCode: 'NOT_COORDINATOR' as const, errorMessage: '' })) },
        ),
        deleteOffsets: this.unary(brokerId, 'DeleteOffsets', (request) =>
          isCoordinator() ? this.coordinator.deleteOffsets(request) : { errorCode: 'NOT_COORDINATOR', errorMessage: '', topics: [] },
        ),
      },
    };
  }

  private metadata(requested: readonly string[], allTopics: boolean, allowAutoTopicCreation: boolean): MetadataResponse {
    const names = allTopics ? [...this.topics.keys()] : requested;
    const topics: TopicMetadata[] = names.map((name) => {
      let topic = this.topics.get(name);
      if (topic === undefined && allowAutoTopicCreation && this.options.autoCreateTopics === true) {
        this.createTopic({ name, partitions: this.options.defaultPartitions ?? 1 });
        topic = this.topics.get(name);
      }
      if (topic === undefined) {
        return { errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: `unknown topic ${name}`, name, topicId: '', isInternal: false, partitions: [], maxMessageBytes: 0 };
      }
      return {
        errorCode: 'NONE',
        errorMessage: '',
        name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        maxMessageBytes: Number(topic.configs.get('max.message.bytes') ?? fakeMaxMessageBytesDefault),
        partitions: topic.partitions.map((state, partition) => {
          const online = state.leaderId > 0;
          const partitionState: PartitionState = online ? 'PARTITION_STATE_ONLINE' : 'PARTITION_STATE_OFFLINE';
          return {
            errorCode: online ? ('NONE' as const) : ('LEADER_NOT_AVAILABLE' as const),
            errorMessage: '',
            partition,
            leaderId: state.leaderId,
            leaderEpoch: state.leaderEpoch,
            replicas: state.replicas,
            isr: state.isr,
            offlineReplicas: [],
            state: partitionState,
            replicaStates: state.replicas.map(() => 'REPLICA_STATE_ONLINE' as const),
            addingReplicas: [],
            removingReplicas: [],
          };
        }),
      };
    });
    return {
      clusterId: this.options.clusterId ?? 'fake-cluster',
      controllerId: this.controllerIdValue,
      brokers: this.brokerList.map((broker) => this.endpoint(broker.brokerId)),
      topics,
      metadataOffset: this.metadataOffset,
    };
  }

  private produceStream(brokerId: number, call: grpc.ServerDuplexStream<ProduceRequest, ProduceResponse>): void {
    this.streams.add(call);
    const forget = (): void => {
      this.streams.delete(call);
    };
    call.on('end', () => {
      forget();
      call.end();
    });
    call.on('error', forget);
    call.on('cancelled', forget);
    let failed = false;
    call.on('data', (request: ProduceRequest) => {
      if (failed) return;
      this.record(brokerId, 'Produce', request, call.metadata);
      const injected = this.injected(brokerId, 'Produce');
      if (injected !== undefined) {
        failed = true;
        call.emit('error', toGrpcStatus(toEddyError(injected, `injected ${injected}`)));
        return;
      }
      const fault = this.onProduce?.(brokerId, request);
      if (fault === 'fail-stream') {
        failed = true;
        call.emit('error', toGrpcStatus(toEddyError('NETWORK_EXCEPTION', 'injected stream failure')));
        return;
      }
      const response: ProduceResponse = {
        correlationId: request.correlationId,
        errorCode: 'NONE',
        errorMessage: '',
        throttleTimeMs: 0,
        nodeEndpoints: [],
        topics: request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((partition) => this.appendPartition(brokerId, topic.name, partition.partition, partition.records)),
        })),
      };
      if (fault === 'fail-stream-after-append') {
        failed = true;
        call.emit('error', toGrpcStatus(toEddyError('NETWORK_EXCEPTION', 'injected stream failure after append')));
        return;
      }
      if (fault === 'drop-response' || request.acks === 0) return;
      call.write(response);
    });
  }

  private appendPartition(brokerId: number, topic: string, partition: number, records: Buffer): ProducePartitionResponse {
    const answer = (errorCode: ErrorCodeName, errorMessage = '', baseOffset = -1n): ProducePartitionResponse => ({
      partition,
      errorCode,
      errorMessage,
      baseOffset,
      logAppendTimeMs: -1n,
      logStartOffset: 0n,
      currentLeaderId: -1,
      currentLeaderEpoch: -1,
      recordErrors: [],
    });
    const state = this.topics.get(topic)?.partitions[partition];
    if (state === undefined) return answer('UNKNOWN_TOPIC_OR_PARTITION');
    if (state.leaderId !== brokerId) return { ...answer('NOT_LEADER_OR_FOLLOWER'), currentLeaderId: state.leaderId, currentLeaderEpoch: state.leaderEpoch };
    const injected = this.onProducePartition?.(brokerId, topic, partition);
    if (injected !== undefined) return answer(injected, 'injected');
    const maxMessageBytes = Number(this.topics.get(topic)?.configs.get('max.message.bytes') ?? fakeMaxMessageBytesDefault);
    for (const location of iterateBatches(records)) {
      if (location.size > maxMessageBytes) return answer('MESSAGE_TOO_LARGE', `a batch of ${location.size} bytes exceeds max.message.bytes ${maxMessageBytes}`);
    }
    let firstOffset: bigint | undefined;
    try {
      for (const location of iterateBatches(records)) {
        const header = location.header;
        const bytes = Buffer.from(records.subarray(location.position, location.position + location.size));
        if (header.producerId >= 0n) {
          const check = this.checkSequence(state, header.producerId, header.producerEpoch, header.baseSequence, header.lastOffsetDelta);
          if (check.kind === 'duplicate') {
            firstOffset ??= check.baseOffset;
            continue;
          }
          if (check.kind === 'reject') return { ...answer(check.code, check.message), logStartOffset: state.logStartOffset };
        }
        const baseOffset = state.logEndOffset;
        stampBatch(bytes, baseOffset, state.leaderEpoch);
        state.batches.push({ baseOffset, lastOffset: baseOffset + BigInt(header.lastOffsetDelta), maxTimestamp: header.maxTimestamp, bytes });
        state.logEndOffset = baseOffset + BigInt(header.lastOffsetDelta) + 1n;
        if (header.producerId >= 0n) this.onSequenceAppended(state, header.producerId, header.producerEpoch, header.baseSequence, header.lastOffsetDelta, baseOffset);
        firstOffset ??= baseOffset;
      }
    } catch (error: unknown) {
      return answer('CORRUPT_RECORD', error instanceof Error ? error.message : String(error));
    }
    for (const waiter of [...state.waiters]) waiter();
    return { ...answer('NONE', '', firstOffset ?? state.logEndOffset), logStartOffset: state.logStartOffset };
  }

  private checkSequence(
    state: FakePartition,
    producerId: bigint,
    epoch: number,
    baseSequence: number,
    lastOffsetDelta: number,
  ): { kind: 'append' } | { kind: 'duplicate'; baseOffset: bigint } | { kind: 'reject'; code: ErrorCodeName; message: string } {
    const entry = state.producers.get(producerId);
    const lastSequence = sequenceAdd(baseSequence, lastOffsetDelta);
    if (entry === undefined || epoch > entry.epoch) {
      return baseSequence === 0 ? { kind: 'append' } : { kind: 'reject', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `a new producer epoch starts at 0, got ${baseSequence}` };
    }
    if (epoch < entry.epoch) return { kind: 'reject', code: 'INVALID_PRODUCER_EPOCH', message: `epoch ${epoch} < ${entry.epoch}` };
    const duplicate = entry.batches.find((batch) => batch.firstSequence === baseSequence && batch.lastSequence === lastSequence);
    if (duplicate !== undefined) return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
    const last = entry.batches.at(-1);
    const expected = last === undefined ? 0 : sequenceAdd(last.lastSequence, 1);
    if (baseSequence !== expected) return { kind: 'reject', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: `expected sequence ${expected}, got ${baseSequence}` };
    return { kind: 'append' };
  }

  private onSequenceAppended(state: FakePartition, producerId: bigint, epoch: number, baseSequence: number, lastOffsetDelta: number, baseOffset: bigint): void {
    let entry = state.producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) {
      entry = { epoch, batches: [] };
      state.producers.set(producerId, entry);
    }
    entry.batches.push({ firstSequence: baseSequence, lastSequence: sequenceAdd(baseSequence, lastOffsetDelta), baseOffset });
    if (entry.batches.length > 5) entry.batches.shift();
  }

  private fetchStream(brokerId: number, call: grpc.ServerDuplexStream<FetchRequest, FetchResponse>): void {
    this.streams.add(call);
    const cleanups = new Set<() => void>();
    let open = true;
    const finish = (): void => {
      open = false;
      this.streams.delete(call);
      for (const cleanup of [...cleanups]) cleanup();
    };
    call.on('end', () => {
      finish();
      call.end();
    });
    call.on('error', finish);
    call.on('cancelled', finish);
    call.on('data', (request: FetchRequest) => {
      this.record(brokerId, 'Fetch', request, call.metadata);
      const injected = this.injected(brokerId, 'Fetch');
      if (injected !== undefined) {
        call.write({ correlationId: request.correlationId, errorCode: injected, errorMessage: 'injected', topics: [], throttleTimeMs: 0, nodeEndpoints: [] });
        return;
      }
      const answerNow = (): { response: FetchResponse; bytes: number; hasError: boolean } => {
        let bytes = 0;
        let hasError = false;
        let budget = request.maxBytes;
        const topics = request.topics.map((topic) => ({
          name: topic.name,
          partitions: topic.partitions.map((query) => {
            const result = this.fetchPartition(brokerId, topic.name, query.partition, query.fetchOffset, Math.min(query.partitionMaxBytes, Math.max(budget, 0)), bytes === 0);
            bytes += result.records.length;
            budget -= result.records.length;
            if (result.errorCode !== 'NONE') hasError = true;
            return result;
          }),
        }));
        return { response: { correlationId: request.correlationId, errorCode: 'NONE', errorMessage: '', topics, throttleTimeMs: 0, nodeEndpoints: [] }, bytes, hasError };
      };
      const first = answerNow();
      if (first.bytes >= request.minBytes || first.hasError || request.maxWaitMs <= 0) {
        call.write(first.response);
        return;
      }
      // Long poll: answer when any asked partition gets records, or at maxWaitMs.
      const partitions = request.topics.flatMap((topic) => topic.partitions.map((query) => this.topics.get(topic.name)?.partitions[query.partition])).filter((state) => state !== undefined);
      let done = false;
      const respond = (): void => {
        if (done) return;
        const next = answerNow();
        if (next.bytes < request.minBytes && !next.hasError && !timedOut) return;
        done = true;
        cleanup();
        if (open) call.write(next.response);
      };
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        respond();
      }, request.maxWaitMs);
      this.fetchTimers.add(timer);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.fetchTimers.delete(timer);
        for (const state of partitions) state.waiters.delete(respond);
        cleanups.delete(cleanup);
      };
      cleanups.add(cleanup);
      for (const state of partitions) state.waiters.add(respond);
    });
  }

  private fetchPartition(brokerId: number, topic: string, partition: number, fetchOffset: bigint, maxBytes: number, firstWithData: boolean): FetchPartitionResponse {
    const answer = (errorCode: ErrorCodeName, errorMessage = ''): FetchPartitionResponse => ({
      partition,
      errorCode,
      errorMessage,
      highWatermark: -1n,
      logStartOffset: -1n,
      divergingEpoch: null,
      currentLeaderId: -1,
      currentLeaderEpoch: -1,
      records: Buffer.alloc(0),
    });
    const state = this.topics.get(topic)?.partitions[partition];
    if (state === undefined) return answer('UNKNOWN_TOPIC_OR_PARTITION');
    if (state.leaderId !== brokerId) return { ...answer('NOT_LEADER_OR_FOLLOWER'), currentLeaderId: state.leaderId, currentLeaderEpoch: state.leaderEpoch };
    const injected = this.onFetchPartition?.(brokerId, topic, partition);
    if (injected !== undefined) return answer(injected, 'injected');
    if (fetchOffset < state.logStartOffset || fetchOffset > state.logEndOffset) {
      return { ...answer('OFFSET_OUT_OF_RANGE', `offset ${fetchOffset} is outside [${state.logStartOffset}, ${state.logEndOffset}]`), highWatermark: state.logEndOffset, logStartOffset: state.logStartOffset };
    }
    const chosen: Buffer[] = [];
    let bytes = 0;
    for (const batch of state.batches) {
      if (batch.lastOffset < fetchOffset) continue;
      if (bytes + batch.bytes.length > maxBytes && !(firstWithData && chosen.length === 0)) break;
      chosen.push(batch.bytes);
      bytes += batch.bytes.length;
    }
    return {
      ...answer('NONE'),
      highWatermark: state.logEndOffset,
      logStartOffset: state.logStartOffset,
      records: chosen.length === 0 ? Buffer.alloc(0) : Buffer.concat(chosen),
    };
  }
}
