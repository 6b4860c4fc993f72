import { assert, unreachable } from '@eddy/base';
import { type BrokerImage, type ConfigMap, MetadataImage, type PartitionImage, type TopicImage } from './image.js';
import type { MetadataRecord, PartitionChangeRecord, PartitionRecord } from './records.js';

/**
 * Accumulates committed records on top of a base image and builds the next image in one step,
 * copying only the maps that changed. It also remembers what changed, so a broker can react to
 * exactly the partitions and brokers the records touched.
 *
 * Records reach replay only after the controller validated them and Raft committed them, so a
 * record that contradicts the image (a partition of an unknown topic) is a bug: an assertion.
 */
export class MetadataDelta {
  private dirty = false;
  private clusterId: string | null;
  private nextProducerId: number;
  private brokers: Map<number, BrokerImage> | undefined;
  private topicsById: Map<string, TopicImage> | undefined;
  private topicIdsByName: Map<string, string> | undefined;
  private topicConfigs: Map<string, ConfigMap> | undefined;
  private brokerConfigs: Map<string, ConfigMap> | undefined;
  /** Partition maps already copied for this delta, by topic id. */
  private readonly copiedPartitions = new Map<string, Map<number, PartitionImage>>();

  /** Partitions created or changed, by topic id then partition (latest state). */
  readonly changedPartitions = new Map<string, Map<number, PartitionImage>>();
  /** Topics removed in this delta, as they were in the base image (or created and removed). */
  readonly removedTopics = new Map<string, TopicImage>();
  readonly changedBrokerIds = new Set<number>();

  constructor(readonly base: MetadataImage) {
    this.clusterId = base.clusterId;
    this.nextProducerId = base.nextProducerId;
  }

  /** True when no record has been replayed into this delta. */
  get isEmpty(): boolean {
    return !this.dirty;
  }

  replay(record: MetadataRecord): void {
    this.dirty = true;
    switch (record.type) {
      case 'ClusterId':
        assert(this.clusterId === null || this.clusterId === record.clusterId, 'the cluster id never changes');
        this.clusterId = record.clusterId;
        return;
      case 'RegisterBroker':
        this.writableBrokers().set(record.brokerId, {
          brokerId: record.brokerId,
          incarnationId: record.incarnationId,
          brokerEpoch: record.brokerEpoch,
          endpoint: record.endpoint,
          rack: record.rack,
          fenced: true,
          inControlledShutdown: false,
        });
        this.changedBrokerIds.add(record.brokerId);
        return;
      case 'UnregisterBroker':
        if (this.currentBroker(record.brokerId)?.brokerEpoch === record.brokerEpoch) {
          this.writableBrokers().delete(record.brokerId);
          this.changedBrokerIds.add(record.brokerId);
        }
        return;
      case 'FenceBroker':
        this.updateBroker(record.brokerId, record.brokerEpoch, { fenced: true });
        return;
      case 'UnfenceBroker':
        this.updateBroker(record.brokerId, record.brokerEpoch, { fenced: false, inControlledShutdown: false });
        return;
      case 'BrokerShutdown':
        this.updateBroker(record.brokerId, record.brokerEpoch, { inControlledShutdown: record.inControlledShutdown });
        return;
      case 'Topic':
        assert(this.currentTopicIdsByName().get(record.name) === undefined, `topic ${record.name} already exists`);
        this.writableTopicsById().set(record.topicId, { name: record.name, topicId: record.topicId, partitions: new Map() });
        this.writableTopicIdsByName().set(record.name, record.topicId);
        return;
      case 'Partition':
        this.putPartition(this.partitionFromRecord(record));
        return;
      case 'PartitionChange':
        this.putPartition(this.changedPartition(record));
        return;
      case 'RemoveTopic':
        this.removeTopic(record.topicId);
        return;
      case 'Config':
        this.replayConfig(record.resourceType, record.resourceName, record.name, record.value);
        return;
      case 'ProducerIds':
        assert(record.nextProducerId > this.nextProducerId, 'producer ids only move forward');
        this.nextProducerId = record.nextProducerId;
        return;
      default:
        unreachable(record, 'unknown metadata record');
    }
  }

  /** The image at metadata `offset`, with every replayed record applied. */
  apply(offset: number): MetadataImage {
    assert(offset >= this.base.offset, `metadata offset ${offset} is behind the base image at ${this.base.offset}`);
    if (!this.dirty && offset === this.base.offset) return this.base;
    return new MetadataImage({
      offset,
      clusterId: this.clusterId,
      brokers: this.brokers ?? this.base.brokers,
      topicsById: this.topicsById ?? this.base.topicsById,
      topicIdsByName: this.topicIdsByName ?? this.base.topicIdsByName,
      topicConfigs: this.topicConfigs ?? this.base.topicConfigs,
      brokerConfigs: this.brokerConfigs ?? this.base.brokerConfigs,
      nextProducerId: this.nextProducerId,
    });
  }

  private currentBroker(brokerId: number): BrokerImage | undefined {
    return (this.brokers ?? this.base.brokers).get(brokerId);
  }

  private currentTopicsById(): ReadonlyMap<string, TopicImage> {
    return this.topicsById ?? this.base.topicsById;
  }

  private currentTopicIdsByName(): ReadonlyMap<string, string> {
    return this.topicIdsByName ?? this.base.topicIdsByName;
  }

  private writableBrokers(): Map<number, BrokerImage> {
    return (this.brokers ??= new Map(this.base.brokers));
  }

  private writableTopicsById(): Map<string, TopicImage> {
    return (this.topicsById ??= new Map(this.base.topicsById));
  }

  private writableTopicIdsByName(): Map<string, string> {
    return (this.topicIdsByName ??= new Map(this.base.topicIdsByName));
  }

  /** Applies a fence/unfence/shutdown change, ignoring records for a replaced registration. */
  private updateBroker(brokerId: number, brokerEpoch: number, change: Partial<BrokerImage>): void {
    const broker = this.currentBroker(brokerId);
    if (broker === undefined || broker.brokerEpoch !== brokerEpoch) return;
    this.writableBrokers().set(brokerId, { ...broker, ...change });
    this.changedBrokerIds.add(brokerId);
  }

  private partitionFromRecord(record: PartitionRecord): PartitionImage {
    const topic = this.currentTopicsById().get(record.topicId);
    assert(topic !== undefined, `partition of unknown topic ${record.topicId}`);
    assert(!topic.partitions.has(record.partition), `partition ${topic.name}-${record.partition} already exists`);
    return {
      topicId: record.topicId,
      topicName: topic.name,
      partition: record.partition,
      replicas: record.replicas,
      isr: record.isr,
      adding: record.adding,
      removing: record.removing,
      leader: record.leader,
      leaderEpoch: record.leaderEpoch,
      partitionEpoch: record.partitionEpoch,
    };
  }

  private changedPartition(change: PartitionChangeRecord): PartitionImage {
    const current = this.currentTopicsById().get(change.topicId)?.partitions.get(change.partition);
    assert(current !== undefined, `change to unknown partition ${change.topicId}-${change.partition}`);
    const leaderChanged = change.leader !== undefined && change.leader !== current.leader;
    return {
      ...current,
      replicas: change.replicas ?? current.replicas,
      isr: change.isr ?? current.isr,
      adding: change.adding ?? current.adding,
      removing: change.removing ?? current.removing,
      leader: change.leader ?? current.leader,
      leaderEpoch: leaderChanged ? current.leaderEpoch + 1 : current.leaderEpoch,
      partitionEpoch: current.partitionEpoch + 1,
    };
  }

  private putPartition(partition: PartitionImage): void {
    let partitions = this.copiedPartitions.get(partition.topicId);
    if (partitions === undefined) {
      const topic = this.currentTopicsById().get(partition.topicId);
      assert(topic !== undefined, `unknown topic ${partition.topicId}`);
      partitions = new Map(topic.partitions);
      this.copiedPartitions.set(partition.topicId, partitions);
      this.writableTopicsById().set(partition.topicId, { ...topic, partitions });
    }
    partitions.set(partition.partition, partition);
    let changed = this.changedPartitions.get(partition.topicId);
    if (changed === undefined) this.changedPartitions.set(partition.topicId, (changed = new Map<number, PartitionImage>()));
    changed.set(partition.partition, partition);
  }

  private removeTopic(topicId: string): void {
    const topic = this.currentTopicsById().get(topicId);
    assert(topic !== undefined, `removal of unknown topic ${topicId}`);
    this.writableTopicsById().delete(topicId);
    this.writableTopicIdsByName().delete(topic.name);
    this.copiedPartitions.delete(topicId);
    this.changedPartitions.delete(topicId);
    this.removedTopics.set(topicId, this.base.topicsById.get(topicId) ?? topic);
    if ((this.topicConfigs ?? this.base.topicConfigs).has(topic.name)) {
      (this.topicConfigs ??= new Map(this.base.topicConfigs)).delete(topic.name);
    }
  }

  private replayConfig(resourceType: 'topic' | 'broker', resourceName: string, name: string, value: string | null): void {
    const all =
      resourceType === 'topic'
        ? (this.topicConfigs ??= new Map(this.base.topicConfigs))
        : (this.brokerConfigs ??= new Map(this.base.brokerConfigs));
    const configs = new Map(all.get(resourceName));
    if (value === null) configs.delete(name);
    else configs.set(name, value);
    if (configs.size === 0) all.delete(resourceName);
    else all.set(resourceName, configs);
  }
}
