import { EddyError } from '@eddy/base';
import {
  type AlterConfigOp,
  type CallOptions,
  type ConfigResourceType,
  type ConfigSource,
  type Connection,
  type DescribedGroup,
  type GroupState,
  type MetadataResponse,
  type PartitionState,
  type WireError,
} from '@eddy/protocol';
import type { Cluster } from '../cluster/cluster.js';
import type { GroupCoordinators } from '../cluster/group-coordinators.js';
import { listOffsets, type ListedOffset, type OffsetSpec } from '../cluster/list-offsets.js';
import { asEddyError, ClientClosedError, fromCode, itemError, TopicPartitionError } from '../errors.js';
import { decodeAssignment } from '../group/index.js';
import { partitionKey, type TopicPartition, type TopicPartitionOffset } from '../types.js';

/** A topic to create. */
export interface NewTopic {
  readonly topic: string;
  /** Default: the broker's num.partitions. */
  readonly partitions?: number;
  /** Default: the broker's default.replication.factor. */
  readonly replicationFactor?: number;
  /** Topic config overrides (retention.ms, min.insync.replicas, ...). */
  readonly configs?: Readonly<Record<string, string>>;
  /** Explicit placement, one entry per partition (then leave partitions and replicationFactor unset). */
  readonly assignments?: readonly { readonly partition: number; readonly replicas: readonly number[] }[];
}

/** A topic as created (defaults resolved). */
export interface CreatedTopic {
  readonly topic: string;
  readonly topicId: string;
  readonly partitions: number;
  readonly replicationFactor: number;
}

/** Partition states as `topics describe` prints them. */
export type PartitionStateName = 'NonExistent' | 'New' | 'Online' | 'Offline' | 'Unknown';

/** One partition as `topics describe` shows it. */
export interface PartitionDescription {
  readonly partition: number;
  /** -1 without a leader. */
  readonly leader: number;
  readonly leaderEpoch: number;
  /** Preferred leader first. */
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly state: PartitionStateName;
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

export interface TopicDescription {
  readonly topic: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionDescription[];
}

/** A broker as DescribeCluster reports it. */
export interface BrokerDescription {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  /** Empty when not set. */
  readonly rack: string;
  readonly isFenced: boolean;
  readonly inControlledShutdown: boolean;
  readonly brokerEpoch: bigint;
  readonly incarnationId: string;
}

export interface ClusterDescription {
  readonly clusterId: string;
  /** The active controller's id; -1 while there is none. */
  readonly controller: number;
  readonly brokers: readonly BrokerDescription[];
}

/** What a config belongs to: a topic, or a broker (name = broker id; '' for the cluster-wide defaults). */
export interface ConfigResource {
  readonly type: 'topic' | 'broker';
  readonly name: string;
  /** Keys to describe; all when absent or empty. */
  readonly configNames?: readonly string[];
}

/** Where a config value comes from, most specific first. */
export type ConfigSourceName = 'topic' | 'dynamic-broker' | 'dynamic-default-broker' | 'static-broker' | 'default' | 'unknown';

export interface ConfigEntryDescription {
  readonly name: string;
  /** Empty when unset or sensitive. */
  readonly value: string;
  readonly readOnly: boolean;
  readonly isSensitive: boolean;
  readonly source: ConfigSourceName;
  /** With includeSynonyms: the values at less specific sources. */
  readonly synonyms: readonly { readonly name: string; readonly value: string; readonly source: ConfigSourceName }[];
  /** With includeDocumentation. */
  readonly documentation: string;
}

export interface ConfigDescription {
  readonly type: 'topic' | 'broker';
  readonly name: string;
  readonly configs: readonly ConfigEntryDescription[];
}

/** Incremental config changes of one resource. */
export interface ConfigAlteration {
  readonly type: 'topic' | 'broker';
  readonly name: string;
  readonly configs: readonly {
    readonly name: string;
    /** Ignored by 'delete'. */
    readonly value?: string;
    /** Default 'set'. */
    readonly op?: 'set' | 'delete' | 'append' | 'subtract';
  }[];
}

/** Group states, as Kafka names them. */
export type GroupStateName = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead' | 'Unknown';

export interface GroupListing {
  readonly groupId: string;
  readonly protocolType: string;
  readonly state: GroupStateName;
}

export interface GroupMemberDescription {
  readonly memberId: string;
  /** Empty for dynamic members. */
  readonly groupInstanceId: string;
  readonly clientId: string;
  readonly clientHost: string;
  /** Decoded from the consumer protocol; empty for other protocol types. */
  readonly assignment: readonly TopicPartition[];
  readonly sessionTimeoutMs: number;
  readonly rebalanceTimeoutMs: number;
}

/** Progress of a group on one partition: `groups describe`'s columns. */
export interface GroupPartitionLag {
  readonly topic: string;
  readonly partition: number;
  /** The next offset the group will read; null when it committed none. */
  readonly committedOffset: bigint | null;
  /** The partition's log end offset (high watermark); -1n when it could not be read. */
  readonly logEndOffset: bigint;
  /** logEndOffset - committedOffset (never negative); null when either is unknown. */
  readonly lag: bigint | null;
  /** The member consuming the partition now; null when none. */
  readonly memberId: string | null;
  /** When the offset was committed (ms since the epoch); -1 when unknown. */
  readonly commitTimestampMs: number;
}

export interface GroupDescription {
  readonly groupId: string;
  readonly state: GroupStateName;
  readonly protocolType: string;
  /** The assignor of the current generation. */
  readonly protocolName: string;
  readonly generationId: number;
  readonly leaderMemberId: string;
  readonly members: readonly GroupMemberDescription[];
  /** Committed and assigned partitions with their lag, sorted by topic and partition. */
  readonly offsets: readonly GroupPartitionLag[];
  /** The latest rebalances, oldest first, with the reasons that started them. */
  readonly rebalanceHistory: readonly { readonly startedAtMs: number; readonly fromGenerationId: number; readonly reasons: readonly string[] }[];
}

/** An ongoing reassignment. */
export interface PartitionReassignment {
  readonly topic: string;
  readonly partition: number;
  /** Old and new replicas together while the move runs. */
  readonly replicas: readonly number[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/** The outcome of a leader election for one partition (ELECTION_NOT_NEEDED counts as success). */
export interface ElectionResult {
  readonly topic: string;
  readonly partition: number;
  /** Undefined on success. */
  readonly error: EddyError | undefined;
}

export interface QuorumReplicaDescription {
  readonly replicaId: number;
  readonly logEndIndex: bigint;
  /** -1 when never heard from. */
  readonly lastFetchTimestampMs: number;
  readonly lastCaughtUpTimestampMs: number;
  readonly host: string;
  readonly port: number;
}

/** The metadata quorum, as `quorum describe` shows it. */
export interface QuorumDescription {
  readonly clusterId: string;
  /** -1 while there is no leader. */
  readonly leaderId: number;
  readonly term: bigint;
  readonly commitIndex: bigint;
  readonly voters: readonly QuorumReplicaDescription[];
  readonly observers: readonly QuorumReplicaDescription[];
}

/** Partition sizes of the replicas on one broker. */
export interface LogDirDescription {
  readonly path: string;
  /** -1n when unknown. */
  readonly totalBytes: bigint;
  readonly usableBytes: bigint;
  readonly partitions: readonly {
    readonly topic: string;
    readonly partition: number;
    readonly sizeBytes: bigint;
    readonly logStartOffset: bigint;
    readonly logEndOffset: bigint;
    readonly offsetLag: bigint;
  }[];
  /** Set when the directory is offline. */
  readonly error: EddyError | undefined;
}

/** Options of calls that change cluster metadata. */
export interface AdminChangeOptions {
  /** How long the controller may take to commit the change (default: the client's requestTimeoutMs). */
  readonly timeoutMs?: number;
  /** Check the request; change nothing. */
  readonly validateOnly?: boolean;
}

/**
 * Cluster administration. Calls that change metadata go to the active controller (any broker
 * forwards them; NOT_CONTROLLER answers are retried after a metadata refresh); group calls go
 * to the group's coordinator. Every call has a deadline and retries retriable errors. A call
 * about several items throws the first item's error (a TopicPartitionError naming it).
 */
export interface Admin {
  createTopics(topics: readonly NewTopic[], options?: AdminChangeOptions): Promise<CreatedTopic[]>;
  deleteTopics(topics: readonly string[], options?: Pick<AdminChangeOptions, 'timeoutMs'>): Promise<void>;
  /** Topic names, sorted; internal topics (`__consumer_offsets`) only when asked. */
  listTopics(options?: { readonly includeInternal?: boolean }): Promise<string[]>;
  /** Describes the given topics (every topic when none are given), sorted by name. */
  describeTopics(topics?: readonly string[]): Promise<TopicDescription[]>;
  /**
   * Grows topics to `count` partitions each. `assignments`, when given, places the new
   * partitions only (one replica list each, preferred leader first), as Kafka's NewPartitions.
   */
  createPartitions(
    topics: readonly { readonly topic: string; readonly count: number; readonly assignments?: readonly (readonly number[])[] }[],
    options?: AdminChangeOptions,
  ): Promise<void>;
  describeCluster(options?: { readonly includeFencedBrokers?: boolean }): Promise<ClusterDescription>;
  describeConfigs(resources: readonly ConfigResource[], options?: { readonly includeSynonyms?: boolean; readonly includeDocumentation?: boolean }): Promise<ConfigDescription[]>;
  alterConfigs(alterations: readonly ConfigAlteration[], options?: { readonly validateOnly?: boolean }): Promise<void>;
  /** Offsets at the log start ('earliest'), the end ('latest', the default) or a time, from the partition leaders. */
  listOffsets(partitions: readonly TopicPartition[], spec?: OffsetSpec): Promise<ListedOffset[]>;
  /** Every group of the cluster (each broker lists those it coordinates). */
  listGroups(options?: { readonly states?: readonly GroupStateName[]; readonly protocolTypes?: readonly string[] }): Promise<GroupListing[]>;
  /** Groups with their members, assignments, committed offsets and lag. */
  describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]>;
  /** Sets a group's committed offsets (next offset to read). The group must have no members. */
  alterConsumerGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void>;
  /** Deletes a group's committed offsets of partitions it does not consume. */
  deleteConsumerGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<void>;
  /** Deletes empty groups with their offsets. */
  deleteGroups(groupIds: readonly string[]): Promise<void>;
  /**
   * Moves partitions to the given replicas (preferred leader first; the replication factor may
   * change), as Kafka's KIP-455 does: new replicas catch up as followers, and once all are in
   * the ISR the old ones are dropped and delete their data. Resolves once the moves have
   * started. Brokers refuse a throttle (INVALID_REQUEST) until they can enforce one.
   */
  alterPartitionReassignments(
    reassignments: readonly { readonly topic: string; readonly partition: number; readonly replicas: readonly number[] }[],
    options?: { readonly timeoutMs?: number; readonly throttleBytesPerSec?: bigint },
  ): Promise<void>;
  /** Reverts ongoing moves to the original replicas (NO_REASSIGNMENT_IN_PROGRESS when none runs). */
  cancelPartitionReassignments(partitions: readonly TopicPartition[], options?: { readonly timeoutMs?: number }): Promise<void>;
  /** The moves in flight among the given partitions (all when none are given). */
  listPartitionReassignments(partitions?: readonly TopicPartition[]): Promise<PartitionReassignment[]>;
  /** Elects leaders (preferred by default) for the given partitions, or all partitions. */
  electLeaders(options?: { readonly type?: 'preferred' | 'unclean'; readonly partitions?: readonly TopicPartition[]; readonly timeoutMs?: number }): Promise<ElectionResult[]>;
  describeQuorum(): Promise<QuorumDescription>;
  /** Removes a broker's registration (it must hold no replicas). */
  unregisterBroker(brokerId: number): Promise<void>;
  /** Replica sizes and offsets on one broker (all its replicas, or the given partitions). */
  describeLogDirs(brokerId: number, partitions?: readonly TopicPartition[]): Promise<LogDirDescription[]>;
  /** Adds a controller voter; an empty host means the endpoint it registered as a broker. */
  addVoter(voterId: number, options?: { readonly host?: string; readonly port?: number; readonly timeoutMs?: number }): Promise<void>;
  removeVoter(voterId: number, options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Closes this admin (the Eddy client's channels stay open). */
  close(): Promise<void>;
}

const partitionStateNames: Readonly<Record<PartitionState, PartitionStateName>> = {
  PARTITION_STATE_UNSPECIFIED: 'Unknown',
  PARTITION_STATE_NON_EXISTENT: 'NonExistent',
  PARTITION_STATE_NEW: 'New',
  PARTITION_STATE_ONLINE: 'Online',
  PARTITION_STATE_OFFLINE: 'Offline',
};

const groupStateNames: Readonly<Record<GroupState, GroupStateName>> = {
  GROUP_STATE_UNSPECIFIED: 'Unknown',
  GROUP_STATE_EMPTY: 'Empty',
  GROUP_STATE_PREPARING_REBALANCE: 'PreparingRebalance',
  GROUP_STATE_COMPLETING_REBALANCE: 'CompletingRebalance',
  GROUP_STATE_STABLE: 'Stable',
  GROUP_STATE_DEAD: 'Dead',
};

const groupStatesByName: ReadonlyMap<GroupStateName, GroupState> = new Map(
  (Object.entries(groupStateNames) as [GroupState, GroupStateName][]).map(([wire, name]) => [name, wire]),
);

const configSourceNames: Readonly<Record<ConfigSource, ConfigSourceName>> = {
  CONFIG_SOURCE_UNSPECIFIED: 'unknown',
  CONFIG_SOURCE_TOPIC: 'topic',
  CONFIG_SOURCE_DYNAMIC_BROKER: 'dynamic-broker',
  CONFIG_SOURCE_DYNAMIC_DEFAULT_BROKER: 'dynamic-default-broker',
  CONFIG_SOURCE_STATIC_BROKER: 'static-broker',
  CONFIG_SOURCE_DEFAULT: 'default',
};

const alterOps: Readonly<Record<'set' | 'delete' | 'append' | 'subtract', AlterConfigOp>> = {
  set: 'ALTER_CONFIG_OP_SET',
  delete: 'ALTER_CONFIG_OP_DELETE',
  append: 'ALTER_CONFIG_OP_APPEND',
  subtract: 'ALTER_CONFIG_OP_SUBTRACT',
};

function resourceType(type: 'topic' | 'broker'): ConfigResourceType {
  return type === 'topic' ? 'CONFIG_RESOURCE_TYPE_TOPIC' : 'CONFIG_RESOURCE_TYPE_BROKER';
}

function resourceKind(type: ConfigResourceType): 'topic' | 'broker' {
  return type === 'CONFIG_RESOURCE_TYPE_TOPIC' ? 'topic' : 'broker';
}

function groupByTopic(partitions: readonly TopicPartition[]): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const { topic, partition } of partitions) byTopic.set(topic, [...(byTopic.get(topic) ?? []), partition]);
  return [...byTopic].map(([topic, list]) => ({ topic, partitions: list }));
}

/** Throws the error of a whole answer (retriable ones are retried by the caller's loop). */
/**
 * Kafka's NewPartitions assigns the new partitions in order; on the wire each names its
 * partition, so the last one is `count - 1`. A list of the wrong length keeps these indexes and
 * the controller refuses it for its length.
 */
function newPartitionAssignments(count: number, assignments: readonly (readonly number[])[]): { partition: number; brokerIds: number[] }[] {
  return assignments.map((replicas, index) => ({ partition: count - assignments.length + index, brokerIds: [...replicas] }));
}

function throwIfError(answer: Readonly<WireError>, what: string): void {
  const error = itemError(answer);
  if (error !== undefined) throw new EddyError(error.code, `${what}: ${error.message}`, { retriable: error.retriable });
}

/** The admin implementation; users see the `Admin` interface. */
export class AdminClient implements Admin {
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly coordinators: GroupCoordinators,
    private readonly onClose: (admin: AdminClient) => void,
  ) {}

  async createTopics(topics: readonly NewTopic[], options: AdminChangeOptions = {}): Promise<CreatedTopic[]> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    const results = await this.controllerItems(
      topics,
      (topic) => topic.topic,
      async (connection, pending, callOptions) =>
        (
          await connection.service('AdminService').createTopics(
            {
              topics: pending.map((topic) => ({
                name: topic.topic,
                numPartitions: topic.assignments !== undefined ? -1 : (topic.partitions ?? -1),
                replicationFactor: topic.assignments !== undefined ? -1 : (topic.replicationFactor ?? -1),
                assignments: (topic.assignments ?? []).map((entry) => ({ partition: entry.partition, brokerIds: [...entry.replicas] })),
                configs: Object.entries(topic.configs ?? {}).map(([name, value]) => ({ name, value })),
              })),
              timeoutMs,
              validateOnly: options.validateOnly ?? false,
            },
            callOptions,
          )
        ).topics,
      (result) => result.name,
      timeoutMs,
    );
    const created = topics.map((topic) => {
      const result = results.get(topic.topic);
      if (result === undefined) throw new TopicPartitionError('UNKNOWN_SERVER_ERROR', 'no answer', { topic: topic.topic });
      const error = itemError(result, topic.topic);
      if (error !== undefined) throw error;
      return { topic: result.name, topicId: result.topicId, partitions: result.numPartitions, replicationFactor: result.replicationFactor };
    });
    if (options.validateOnly !== true) this.cluster.requestRefresh();
    return created;
  }

  async deleteTopics(topics: readonly string[], options: Pick<AdminChangeOptions, 'timeoutMs'> = {}): Promise<void> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    const results = await this.controllerItems(
      topics,
      (topic) => topic,
      async (connection, pending, callOptions) => (await connection.service('AdminService').deleteTopics({ names: [...pending], timeoutMs }, callOptions)).topics,
      (result) => result.name,
      timeoutMs,
    );
    this.throwFirst(topics.map((topic) => [topic, results.get(topic)] as const));
    this.cluster.requestRefresh();
  }

  async listTopics(options: { readonly includeInternal?: boolean } = {}): Promise<string[]> {
    const response = await this.metadataOfAllTopics();
    return response.topics
      .filter((topic) => topic.errorCode === 'NONE' && (options.includeInternal === true || !topic.isInternal))
      .map((topic) => topic.name)
      .sort();
  }

  async describeTopics(topics?: readonly string[]): Promise<TopicDescription[]> {
    const all = topics === undefined || topics.length === 0;
    const response = all
      ? await this.metadataOfAllTopics()
      : await this.retrying(() =>
          this.cluster.call('any', (connection, callOptions) =>
            connection.service('ClientService').metadata({ topics: [...topics], allTopics: false, allowAutoTopicCreation: false }, callOptions),
          ),
        );
    const described = response.topics.map((topic) => {
      const error = itemError(topic, topic.name);
      if (error !== undefined) throw error;
      return {
        topic: topic.name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        partitions: [...topic.partitions]
          .sort((a, b) => a.partition - b.partition)
          .map((partition) => ({
            partition: partition.partition,
            leader: partition.leaderId,
            leaderEpoch: partition.leaderEpoch,
            replicas: partition.replicas,
            isr: partition.isr,
            offlineReplicas: partition.offlineReplicas,
            state: partitionStateNames[partition.state],
            addingReplicas: partition.addingReplicas,
            removingReplicas: partition.removingReplicas,
          })),
      };
    });
    return described.sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : 0));
  }

  async createPartitions(
    topics: readonly { readonly topic: string; readonly count: number; readonly assignments?: readonly (readonly number[])[] }[],
    options: AdminChangeOptions = {},
  ): Promise<void> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    const results = await this.controllerItems(
      topics,
      (topic) => topic.topic,
      async (connection, pending, callOptions) =>
        (
          await connection.service('AdminService').createPartitions(
            {
              topics: pending.map((topic) => ({
                name: topic.topic,
                count: topic.count,
                assignments: newPartitionAssignments(topic.count, topic.assignments ?? []),
              })),
              timeoutMs,
              validateOnly: options.validateOnly ?? false,
            },
            callOptions,
          )
        ).topics,
      (result) => result.name,
      timeoutMs,
    );
    this.throwFirst(topics.map((topic) => [topic.topic, results.get(topic.topic)] as const));
    this.cluster.requestRefresh();
  }

  async describeCluster(options: { readonly includeFencedBrokers?: boolean } = {}): Promise<ClusterDescription> {
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call('any', (connection, callOptions) =>
        connection.service('AdminService').describeCluster({ includeFencedBrokers: options.includeFencedBrokers ?? false }, callOptions),
      );
      throwIfError(answer, 'DescribeCluster');
      return answer;
    });
    return {
      clusterId: response.clusterId,
      controller: response.controllerId,
      brokers: response.brokers.map((broker) => ({ ...broker })).sort((a, b) => a.brokerId - b.brokerId),
    };
  }

  async describeConfigs(
    resources: readonly ConfigResource[],
    options: { readonly includeSynonyms?: boolean; readonly includeDocumentation?: boolean } = {},
  ): Promise<ConfigDescription[]> {
    const response = await this.retrying(() =>
      this.cluster.call('any', (connection, callOptions) =>
        connection.service('AdminService').describeConfigs(
          {
            resources: resources.map((resource) => ({ resourceType: resourceType(resource.type), resourceName: resource.name, configNames: [...(resource.configNames ?? [])] })),
            includeSynonyms: options.includeSynonyms ?? false,
            includeDocumentation: options.includeDocumentation ?? false,
          },
          callOptions,
        ),
      ),
    );
    return response.results.map((result) => {
      const error = itemError(result, result.resourceName);
      if (error !== undefined) throw error;
      return {
        type: resourceKind(result.resourceType),
        name: result.resourceName,
        configs: result.configs.map((config) => ({
          name: config.name,
          value: config.value,
          readOnly: config.readOnly,
          isSensitive: config.isSensitive,
          source: configSourceNames[config.source],
          synonyms: config.synonyms.map((synonym) => ({ name: synonym.name, value: synonym.value, source: configSourceNames[synonym.source] })),
          documentation: config.documentation,
        })),
      };
    });
  }

  async alterConfigs(alterations: readonly ConfigAlteration[], options: { readonly validateOnly?: boolean } = {}): Promise<void> {
    const keyOf = (type: string, name: string): string => `${type}/${name}`;
    const results = await this.controllerItems(
      alterations,
      (alteration) => keyOf(resourceType(alteration.type), alteration.name),
      async (connection, pending, callOptions) =>
        (
          await connection.service('AdminService').alterConfigs(
            {
              resources: pending.map((alteration) => ({
                resourceType: resourceType(alteration.type),
                resourceName: alteration.name,
                configs: alteration.configs.map((config) => ({ name: config.name, op: alterOps[config.op ?? 'set'], value: config.value ?? '' })),
              })),
              validateOnly: options.validateOnly ?? false,
            },
            callOptions,
          )
        ).results,
      (result) => keyOf(result.resourceType, result.resourceName),
      this.cluster.options.requestTimeoutMs,
    );
    this.throwFirst(alterations.map((alteration) => [alteration.name, results.get(keyOf(resourceType(alteration.type), alteration.name))] as const));
  }

  listOffsets(partitions: readonly TopicPartition[], spec: OffsetSpec = 'latest'): Promise<ListedOffset[]> {
    this.ensureOpen();
    return listOffsets(this.cluster, partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, spec })));
  }

  async listGroups(options: { readonly states?: readonly GroupStateName[]; readonly protocolTypes?: readonly string[] } = {}): Promise<GroupListing[]> {
    this.ensureOpen();
    await this.retrying(() => this.cluster.refreshMetadata());
    const statesFilter = (options.states ?? []).map((state) => groupStatesByName.get(state) ?? 'GROUP_STATE_UNSPECIFIED');
    const brokerIds = [...this.cluster.metadata.brokers.keys()];
    const answers = await Promise.all(
      brokerIds.map((brokerId) =>
        this.retrying(async () => {
          const answer = await this.cluster.call(brokerId, (connection, callOptions) =>
            connection.service('GroupService').listGroups({ statesFilter, typesFilter: [...(options.protocolTypes ?? [])] }, callOptions),
          );
          throwIfError(answer, `ListGroups on broker ${brokerId}`);
          return answer.groups;
        }),
      ),
    );
    const byId = new Map<string, GroupListing>();
    for (const group of answers.flat()) byId.set(group.groupId, { groupId: group.groupId, protocolType: group.protocolType, state: groupStateNames[group.groupState] });
    return [...byId.values()].sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0));
  }

  async describeGroups(groupIds: readonly string[]): Promise<GroupDescription[]> {
    this.ensureOpen();
    return Promise.all(groupIds.map((groupId) => this.describeGroup(groupId)));
  }

  async alterConsumerGroupOffsets(groupId: string, offsets: readonly TopicPartitionOffset[]): Promise<void> {
    this.ensureOpen();
    const byTopic = new Map<string, TopicPartitionOffset[]>();
    for (const offset of offsets) byTopic.set(offset.topic, [...(byTopic.get(offset.topic) ?? []), offset]);
    const response = await this.coordinators.retrying(groupId, async (group, callOptions) => {
      const answer = await group.offsetCommit(
        {
          groupId,
          generationId: -1,
          memberId: '',
          groupInstanceId: '',
          topics: [...byTopic].map(([name, list]) => ({
            name,
            partitions: list.map((offset) => ({ partition: offset.partition, committedOffset: offset.offset, committedLeaderEpoch: -1, metadata: '' })),
          })),
        },
        callOptions,
      );
      throwIfError(answer, `group ${groupId}`);
      return answer;
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        const error = itemError(partition, topic.topic, partition.partition);
        if (error !== undefined) throw error;
      }
    }
  }

  async deleteConsumerGroupOffsets(groupId: string, partitions: readonly TopicPartition[]): Promise<void> {
    this.ensureOpen();
    const response = await this.coordinators.retrying(groupId, async (group, callOptions) => {
      const answer = await group.deleteOffsets({ groupId, topics: groupByTopic(partitions) }, callOptions);
      throwIfError(answer, `group ${groupId}`);
      return answer;
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        const error = itemError(partition, topic.topic, partition.partition);
        if (error !== undefined) throw error;
      }
    }
  }

  async deleteGroups(groupIds: readonly string[]): Promise<void> {
    this.ensureOpen();
    await Promise.all(
      groupIds.map(async (groupId) => {
        const response = await this.coordinators.retrying(groupId, async (group, callOptions) => {
          const answer = await group.deleteGroups({ groupIds: [groupId] }, callOptions);
          const result = answer.groups.find((entry) => entry.groupId === groupId);
          if (result?.errorCode === 'NOT_COORDINATOR' || result?.errorCode === 'COORDINATOR_NOT_AVAILABLE' || result?.errorCode === 'COORDINATOR_LOAD_IN_PROGRESS') {
            throwIfError(result, `group ${groupId}`);
          }
          return result;
        });
        if (response === undefined) throw new EddyError('UNKNOWN_SERVER_ERROR', `DeleteGroups did not answer for group ${groupId}`);
        throwIfError(response, `group ${groupId}`);
      }),
    );
  }

  async alterPartitionReassignments(
    reassignments: readonly { readonly topic: string; readonly partition: number; readonly replicas: readonly number[] }[],
    options: { readonly timeoutMs?: number; readonly throttleBytesPerSec?: bigint } = {},
  ): Promise<void> {
    await this.reassign(
      reassignments.map((entry) => ({ ...entry, cancel: false })),
      this.timeoutMs(options.timeoutMs),
      options.throttleBytesPerSec ?? 0n,
    );
  }

  async cancelPartitionReassignments(partitions: readonly TopicPartition[], options: { readonly timeoutMs?: number } = {}): Promise<void> {
    await this.reassign(
      partitions.map((tp) => ({ topic: tp.topic, partition: tp.partition, replicas: [], cancel: true })),
      this.timeoutMs(options.timeoutMs),
      0n,
    );
  }

  async listPartitionReassignments(partitions: readonly TopicPartition[] = []): Promise<PartitionReassignment[]> {
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call('controller', (connection, callOptions) =>
        connection.service('AdminService').listPartitionReassignments({ topics: groupByTopic(partitions) }, callOptions),
      );
      throwIfError(answer, 'ListPartitionReassignments');
      return answer;
    });
    return response.topics.flatMap((topic) =>
      topic.partitions.map((partition) => ({
        topic: topic.name,
        partition: partition.partition,
        replicas: partition.replicas,
        addingReplicas: partition.addingReplicas,
        removingReplicas: partition.removingReplicas,
      })),
    );
  }

  async electLeaders(
    options: { readonly type?: 'preferred' | 'unclean'; readonly partitions?: readonly TopicPartition[]; readonly timeoutMs?: number } = {},
  ): Promise<ElectionResult[]> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call(
        'controller',
        (connection, callOptions) =>
          connection.service('AdminService').electLeaders(
            {
              electionType: options.type === 'unclean' ? 'ELECTION_TYPE_UNCLEAN' : 'ELECTION_TYPE_PREFERRED',
              topics: groupByTopic(options.partitions ?? []),
              allPartitions: options.partitions === undefined,
              timeoutMs,
            },
            callOptions,
          ),
        timeoutMs + this.cluster.options.requestTimeoutMs,
      );
      throwIfError(answer, 'ElectLeaders');
      return answer;
    });
    this.cluster.requestRefresh();
    return response.topics.flatMap((topic) =>
      topic.partitions.map((partition) => ({
        topic: topic.topic,
        partition: partition.partition,
        error: partition.errorCode === 'ELECTION_NOT_NEEDED' ? undefined : itemError(partition, topic.topic, partition.partition),
      })),
    );
  }

  async describeQuorum(): Promise<QuorumDescription> {
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call('any', (connection, callOptions) => connection.service('AdminService').describeQuorum({}, callOptions));
      throwIfError(answer, 'DescribeQuorum');
      return answer;
    });
    const replica = (entry: (typeof response.voters)[number]): QuorumReplicaDescription => ({
      replicaId: entry.replicaId,
      logEndIndex: entry.logEndIndex,
      lastFetchTimestampMs: Number(entry.lastFetchTimestampMs),
      lastCaughtUpTimestampMs: Number(entry.lastCaughtUpTimestampMs),
      host: entry.host,
      port: entry.port,
    });
    return {
      clusterId: response.clusterId,
      leaderId: response.leaderId,
      term: response.term,
      commitIndex: response.commitIndex,
      voters: response.voters.map(replica),
      observers: response.observers.map(replica),
    };
  }

  async unregisterBroker(brokerId: number): Promise<void> {
    await this.retrying(async () => {
      const answer = await this.cluster.call('controller', (connection, callOptions) => connection.service('AdminService').unregisterBroker({ brokerId }, callOptions));
      throwIfError(answer, `UnregisterBroker ${brokerId}`);
    });
    this.cluster.requestRefresh();
  }

  async describeLogDirs(brokerId: number, partitions: readonly TopicPartition[] = []): Promise<LogDirDescription[]> {
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call(brokerId, (connection, callOptions) =>
        connection.service('AdminService').describeLogDirs({ topics: groupByTopic(partitions) }, callOptions),
      );
      throwIfError(answer, `DescribeLogDirs on broker ${brokerId}`);
      return answer;
    });
    return response.logDirs.map((dir) => ({
      path: dir.path,
      totalBytes: dir.totalBytes,
      usableBytes: dir.usableBytes,
      error: itemError(dir),
      partitions: dir.topics.flatMap((topic) =>
        topic.partitions.map((partition) => ({
          topic: topic.name,
          partition: partition.partition,
          sizeBytes: partition.sizeBytes,
          logStartOffset: partition.logStartOffset,
          logEndOffset: partition.logEndOffset,
          offsetLag: partition.offsetLag,
        })),
      ),
    }));
  }

  async addVoter(voterId: number, options: { readonly host?: string; readonly port?: number; readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    await this.retrying(async () => {
      const answer = await this.cluster.call(
        'controller',
        (connection, callOptions) => connection.service('AdminService').addVoter({ voterId, host: options.host ?? '', port: options.port ?? 0, timeoutMs }, callOptions),
        timeoutMs + this.cluster.options.requestTimeoutMs,
      );
      throwIfError(answer, `AddVoter ${voterId}`);
    });
  }

  async removeVoter(voterId: number, options: { readonly timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = this.timeoutMs(options.timeoutMs);
    await this.retrying(async () => {
      const answer = await this.cluster.call(
        'controller',
        (connection, callOptions) => connection.service('AdminService').removeVoter({ voterId, timeoutMs }, callOptions),
        timeoutMs + this.cluster.options.requestTimeoutMs,
      );
      throwIfError(answer, `RemoveVoter ${voterId}`);
    });
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.onClose(this);
    }
    return Promise.resolve();
  }

  // -------------------------------------------------------------------------------------------

  private ensureOpen(): void {
    if (this.closed) throw new ClientClosedError('the admin');
    this.cluster.ensureOpen();
  }

  private timeoutMs(timeoutMs: number | undefined): number {
    return timeoutMs ?? this.cluster.options.requestTimeoutMs;
  }

  private retrying<T>(attempt: () => Promise<T>): Promise<T> {
    this.ensureOpen();
    return this.cluster.retrying(attempt);
  }

  private metadataOfAllTopics(): Promise<MetadataResponse> {
    return this.retrying(() =>
      this.cluster.call('any', (connection, callOptions) => connection.service('ClientService').metadata({ topics: [], allTopics: true, allowAutoTopicCreation: false }, callOptions)),
    );
  }

  /**
   * Sends items to the controller, and again (after a metadata refresh and a backoff) those
   * answered NOT_CONTROLLER, until every item has an answer. Returns the answers by key.
   */
  private async controllerItems<I, R extends WireError>(
    items: readonly I[],
    keyOfItem: (item: I) => string,
    send: (connection: Connection, pending: readonly I[], options: CallOptions) => Promise<readonly R[]>,
    keyOfResult: (result: R) => string,
    timeoutMs: number,
  ): Promise<Map<string, R>> {
    const results = new Map<string, R>();
    let pending = [...items];
    if (pending.length === 0) return results;
    await this.retrying(async () => {
      const answered = await this.cluster.call('controller', (connection, callOptions) => send(connection, pending, callOptions), timeoutMs + this.cluster.options.requestTimeoutMs);
      let notController: R | undefined;
      for (const result of answered) {
        if (result.errorCode === 'NOT_CONTROLLER') notController ??= result;
        else results.set(keyOfResult(result), result);
      }
      pending = pending.filter((item) => !results.has(keyOfItem(item)));
      if (pending.length === 0) return;
      if (notController !== undefined) throw fromCode('NOT_CONTROLLER', notController.errorMessage);
      throw new EddyError('UNKNOWN_SERVER_ERROR', `no answer for ${pending.map(keyOfItem).join(', ')}`);
    });
    return results;
  }

  private throwFirst(results: readonly (readonly [string, Readonly<WireError> | undefined])[]): void {
    for (const [name, result] of results) {
      if (result === undefined) throw new TopicPartitionError('UNKNOWN_SERVER_ERROR', 'no answer', { topic: name });
      const error = itemError(result, name);
      if (error !== undefined) throw error;
    }
  }

  private async reassign(
    entries: readonly { readonly topic: string; readonly partition: number; readonly replicas: readonly number[]; readonly cancel: boolean }[],
    timeoutMs: number,
    throttleBytesPerSec: bigint,
  ): Promise<void> {
    const byTopic = new Map<string, { partition: number; replicas: number[]; cancel: boolean }[]>();
    for (const entry of entries) {
      byTopic.set(entry.topic, [...(byTopic.get(entry.topic) ?? []), { partition: entry.partition, replicas: [...entry.replicas], cancel: entry.cancel }]);
    }
    const response = await this.retrying(async () => {
      const answer = await this.cluster.call(
        'controller',
        (connection, callOptions) =>
          connection.service('AdminService').alterPartitionReassignments(
            { topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })), timeoutMs, throttleBytesPerSec },
            callOptions,
          ),
        timeoutMs + this.cluster.options.requestTimeoutMs,
      );
      throwIfError(answer, 'AlterPartitionReassignments');
      return answer;
    });
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        const error = itemError(partition, topic.topic, partition.partition);
        if (error !== undefined) throw error;
      }
    }
  }

  private async describeGroup(groupId: string): Promise<GroupDescription> {
    const described = await this.coordinators.retrying(groupId, async (group, callOptions) => {
      const answer = await group.describeGroups({ groupIds: [groupId] }, callOptions);
      const entry = answer.groups.find((each) => each.groupId === groupId);
      if (entry === undefined) throw new EddyError('UNKNOWN_SERVER_ERROR', `DescribeGroups did not answer for group ${groupId}`);
      throwIfError(entry, `group ${groupId}`);
      return entry;
    });
    const committed = await this.coordinators.retrying(groupId, async (group, callOptions) => {
      const answer = await group.offsetFetch({ groupId, topics: [] }, callOptions);
      throwIfError(answer, `group ${groupId}`);
      return answer;
    });
    const members = described.members.map((member) => ({
      memberId: member.memberId,
      groupInstanceId: member.groupInstanceId,
      clientId: member.clientId,
      clientHost: member.clientHost,
      assignment: memberAssignment(described, member.memberAssignment),
      sessionTimeoutMs: member.sessionTimeoutMs,
      rebalanceTimeoutMs: member.rebalanceTimeoutMs,
    }));
    const rows = new Map<string, { topic: string; partition: number; committedOffset: bigint | null; memberId: string | null; commitTimestampMs: number }>();
    for (const topic of committed.topics) {
      for (const partition of topic.partitions) {
        if (partition.errorCode !== 'NONE') continue;
        rows.set(partitionKey(topic.name, partition.partition), {
          topic: topic.name,
          partition: partition.partition,
          committedOffset: partition.committedOffset < 0n ? null : partition.committedOffset,
          memberId: null,
          commitTimestampMs: Number(partition.commitTimestampMs),
        });
      }
    }
    for (const member of members) {
      for (const tp of member.assignment) {
        const key = partitionKey(tp.topic, tp.partition);
        const row = rows.get(key) ?? { topic: tp.topic, partition: tp.partition, committedOffset: null, memberId: null, commitTimestampMs: -1 };
        rows.set(key, { ...row, memberId: member.memberId });
      }
    }
    const endOffsets = new Map<string, bigint>();
    if (rows.size > 0) {
      const queries = [...rows.values()].map((row) => ({ topic: row.topic, partition: row.partition, spec: 'latest' as const }));
      // One unreadable partition (a deleted topic) must not hide the others: look up each topic apart.
      const byTopic = new Map<string, typeof queries>();
      for (const query of queries) byTopic.set(query.topic, [...(byTopic.get(query.topic) ?? []), query]);
      await Promise.all(
        [...byTopic.values()].map(async (list) => {
          try {
            for (const found of await listOffsets(this.cluster, list)) endOffsets.set(partitionKey(found.topic, found.partition), found.offset);
          } catch (error: unknown) {
            this.cluster.logger.debug({ groupId, code: asEddyError(error).code }, 'no log end offset for a group partition');
          }
        }),
      );
    }
    const offsets = [...rows.entries()]
      .map(([key, row]) => {
        const logEndOffset = endOffsets.get(key) ?? -1n;
        const lag = row.committedOffset === null || logEndOffset < 0n ? null : logEndOffset > row.committedOffset ? logEndOffset - row.committedOffset : 0n;
        return { ...row, logEndOffset, lag };
      })
      .sort((a, b) => (a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition));
    return {
      groupId,
      state: groupStateNames[described.groupState],
      protocolType: described.protocolType,
      protocolName: described.protocolName,
      generationId: described.generationId,
      leaderMemberId: described.leaderMemberId,
      members,
      offsets,
      rebalanceHistory: described.rebalanceHistory.map((record) => ({
        startedAtMs: Number(record.startedAtMs),
        fromGenerationId: record.fromGenerationId,
        reasons: record.omittedReasonCount > 0 ? [...record.reasons, `(${record.omittedReasonCount} more)`] : record.reasons,
      })),
    };
  }
}

function memberAssignment(group: DescribedGroup, bytes: Buffer): TopicPartition[] {
  if (group.protocolType !== 'consumer' || bytes.length === 0) return [];
  try {
    return [...decodeAssignment(bytes).partitions];
  } catch {
    return [];
  }
}
