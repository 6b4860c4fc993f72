import type { Endpoint } from './records.js';

/**
 * The immutable picture of the cluster at one metadata offset. Nodes never mutate an image:
 * a MetadataDelta builds the next one, sharing every unchanged map with the previous.
 */
export interface BrokerImage {
  readonly brokerId: number;
  readonly incarnationId: string;
  readonly brokerEpoch: number;
  readonly endpoint: Endpoint;
  readonly rack: string | null;
  readonly fenced: boolean;
  readonly inControlledShutdown: boolean;
}

export interface PartitionImage {
  readonly topicId: string;
  readonly topicName: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

export interface TopicImage {
  readonly name: string;
  readonly topicId: string;
  readonly partitions: ReadonlyMap<number, PartitionImage>;
}

export type ConfigMap = ReadonlyMap<string, string>;

export interface MetadataImageFields {
  /** Offset of the last metadata record replayed into this image; -1 before any. */
  readonly offset: number;
  readonly clusterId: string | null;
  readonly brokers: ReadonlyMap<number, BrokerImage>;
  readonly topicsById: ReadonlyMap<string, TopicImage>;
  readonly topicIdsByName: ReadonlyMap<string, string>;
  readonly topicConfigs: ReadonlyMap<string, ConfigMap>;
  readonly brokerConfigs: ReadonlyMap<string, ConfigMap>;
  /** The first producer id not yet handed to any broker. */
  readonly nextProducerId: number;
}

export class MetadataImage implements MetadataImageFields {
  static readonly empty = new MetadataImage({
    offset: -1,
    clusterId: null,
    brokers: new Map(),
    topicsById: new Map(),
    topicIdsByName: new Map(),
    topicConfigs: new Map(),
    brokerConfigs: new Map(),
    nextProducerId: 0,
  });

  readonly offset: number;
  readonly clusterId: string | null;
  readonly brokers: ReadonlyMap<number, BrokerImage>;
  readonly topicsById: ReadonlyMap<string, TopicImage>;
  readonly topicIdsByName: ReadonlyMap<string, string>;
  readonly topicConfigs: ReadonlyMap<string, ConfigMap>;
  readonly brokerConfigs: ReadonlyMap<string, ConfigMap>;
  readonly nextProducerId: number;

  constructor(fields: MetadataImageFields) {
    this.offset = fields.offset;
    this.clusterId = fields.clusterId;
    this.brokers = fields.brokers;
    this.topicsById = fields.topicsById;
    this.topicIdsByName = fields.topicIdsByName;
    this.topicConfigs = fields.topicConfigs;
    this.brokerConfigs = fields.brokerConfigs;
    this.nextProducerId = fields.nextProducerId;
  }

  topic(name: string): TopicImage | undefined {
    const topicId = this.topicIdsByName.get(name);
    return topicId === undefined ? undefined : this.topicsById.get(topicId);
  }

  partition(topicName: string, partition: number): PartitionImage | undefined {
    return this.topic(topicName)?.partitions.get(partition);
  }

  /** Brokers that may lead partitions and join ISRs. */
  liveBrokers(): BrokerImage[] {
    return [...this.brokers.values()].filter((broker) => !broker.fenced);
  }

  isBrokerLive(brokerId: number): boolean {
    const broker = this.brokers.get(brokerId);
    return broker !== undefined && !broker.fenced;
  }
}
