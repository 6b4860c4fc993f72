import { Prng } from '@eddy/base';
import { decodeMetadataRecord, encodeMetadataRecord, MetadataDelta, MetadataImage, type MetadataRecord } from '@eddy/metadata';
import { type ControllerConfig, ControllerCore, type ControllerResult, defaultControllerConfig } from '../controller-core.js';

/** A controller with a tiny driver: every result's records are committed at once. */
export class Harness {
  private readonly config: ControllerConfig;
  core: ControllerCore;
  readonly epochs = new Map<number, number>();
  /** Every committed record, in order: the metadata log. */
  readonly log: MetadataRecord[] = [];
  nowMs = 0;

  constructor(config: Partial<ControllerConfig> = {}) {
    this.config = { ...defaultControllerConfig, sessionTimeoutMs: 1000, ...config };
    this.core = new ControllerCore(MetadataImage.empty, new Prng(11), this.config);
    this.commit(this.core.becomeActive(this.nowMs));
  }

  /**
   * The active controller fails over: a fresh core starts from the metadata log alone (each
   * record through the codec), knowing nothing the old core kept in memory.
   */
  failOver(): void {
    const delta = new MetadataDelta(MetadataImage.empty);
    for (const record of this.log) delta.replay(decodeMetadataRecord(encodeMetadataRecord(record)));
    this.core = new ControllerCore(delta.apply(this.image.offset), new Prng(12), this.config);
    this.commit(this.core.becomeActive(this.nowMs));
  }

  get image(): MetadataImage {
    return this.core.latestImage;
  }

  commit<T>(result: ControllerResult<T>): T {
    const delta = new MetadataDelta(this.image);
    for (const record of result.records) delta.replay(record);
    this.log.push(...result.records);
    this.core.onImage(delta.apply(this.image.offset + result.records.length));
    return result.response;
  }

  addBroker(brokerId: number, rack: string | null = null): void {
    const { brokerEpoch } = this.commit(
      this.core.registerBroker({ brokerId, incarnationId: `inc-${brokerId}-${this.nowMs}`, endpoint: { host: '127.0.0.1', port: 9000 + brokerId }, rack }, this.nowMs),
    );
    this.epochs.set(brokerId, brokerEpoch);
    this.heartbeat(brokerId);
  }

  heartbeat(brokerId: number, flags: { wantFence?: boolean; wantShutdown?: boolean } = {}) {
    return this.commit(
      this.core.brokerHeartbeat(
        { brokerId, brokerEpoch: this.epochs.get(brokerId)!, metadataOffset: this.image.offset, wantFence: flags.wantFence ?? false, wantShutdown: flags.wantShutdown ?? false },
        this.nowMs,
      ),
    );
  }

  createTopic(name: string, partitions: number, replicationFactor: number, configs: Record<string, string> = {}) {
    const [outcome] = this.commit(this.core.createTopics([{ name, partitions, replicationFactor, configs: new Map(Object.entries(configs)) }]));
    return outcome!;
  }

  /** Creates a topic placed as `replicas` says, partition i on `replicas[i]`, as Kafka clients send it (-1 for the counts). */
  createAssignedTopic(name: string, replicas: readonly (readonly number[])[], configs: Record<string, string> = {}) {
    const assignments = replicas.map((brokers, partition) => ({ partition, replicas: brokers }));
    const [outcome] = this.commit(this.core.createTopics([{ name, partitions: -1, replicationFactor: -1, configs: new Map(Object.entries(configs)), assignments }]));
    return outcome!;
  }

  partition(topic: string, partition: number) {
    return this.image.partition(topic, partition)!;
  }

  /** The AlterPartition request the partition's current leader would send. */
  partitionRequest(topic: string, partition: number) {
    const image = this.partition(topic, partition);
    return {
      brokerId: image.leader,
      brokerEpoch: this.epochs.get(image.leader)!,
      topicId: image.topicId,
      partition,
      leaderEpoch: image.leaderEpoch,
      partitionEpoch: image.partitionEpoch,
      isr: image.isr,
    };
  }
}

export function clusterOf(n: number, config: Partial<ControllerConfig> = {}): Harness {
  const harness = new Harness(config);
  for (let id = 1; id <= n; id++) harness.addBroker(id);
  return harness;
}
