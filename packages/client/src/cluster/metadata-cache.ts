import { formatAddress, type ErrorCodeName, type MetadataResponse, type PartitionState, type ReplicaState } from '@eddy/protocol';

/** A broker as the metadata names it. */
export interface BrokerNode {
  readonly brokerId: number;
  readonly host: string;
  readonly port: number;
  /** Empty when not set. */
  readonly rack: string;
  /** `host:port`. */
  readonly address: string;
}

/** One partition as the metadata describes it. */
export interface PartitionInfo {
  readonly topic: string;
  readonly partition: number;
  /** NONE, or LEADER_NOT_AVAILABLE while the partition has no leader. */
  readonly errorCode: ErrorCodeName;
  /** -1 when there is no leader. */
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  readonly offlineReplicas: readonly number[];
  readonly state: PartitionState;
  readonly replicaStates: readonly ReplicaState[];
  readonly addingReplicas: readonly number[];
  readonly removingReplicas: readonly number[];
}

/** One topic as the metadata describes it; `partitions[i]` is partition i. */
export interface TopicInfo {
  readonly name: string;
  readonly topicId: string;
  readonly isInternal: boolean;
  readonly partitions: readonly PartitionInfo[];
  /** The largest record batch the topic accepts (its max.message.bytes); 0 when not known. */
  readonly maxMessageBytes: number;
}

/**
 * The client's view of the cluster: brokers, the controller and the topics it asked about.
 * Replaced wholesale by each answer; an answer from an older metadata image than the one held is
 * ignored, so a lagging broker cannot move the view backwards.
 */
export class MetadataCache {
  clusterId = '';
  controllerId = -1;
  metadataOffset = -1n;
  /** Monotonic time of the last accepted answer; -Infinity before the first. */
  updatedAtMs = Number.NEGATIVE_INFINITY;
  readonly brokers = new Map<number, BrokerNode>();
  readonly topics = new Map<string, TopicInfo>();
  /** The error the last answer gave for a topic it could not describe. */
  readonly topicErrors = new Map<string, { readonly code: ErrorCodeName; readonly message: string }>();

  /** Applies an answer; returns false (and changes nothing) when it is older than the current view. */
  apply(response: MetadataResponse, requestedTopics: readonly string[], nowMs: number): boolean {
    if (response.metadataOffset < this.metadataOffset) return false;
    this.metadataOffset = response.metadataOffset;
    this.clusterId = response.clusterId;
    this.controllerId = response.controllerId;
    this.updatedAtMs = nowMs;
    this.brokers.clear();
    for (const broker of response.brokers) {
      this.brokers.set(broker.brokerId, { ...broker, address: formatAddress(broker.host, broker.port) });
    }
    for (const topic of requestedTopics) this.topicErrors.delete(topic);
    const answered = new Set<string>();
    for (const topic of response.topics) {
      answered.add(topic.name);
      if (topic.errorCode !== 'NONE') {
        this.topics.delete(topic.name);
        this.topicErrors.set(topic.name, { code: topic.errorCode, message: topic.errorMessage });
        continue;
      }
      const partitions: PartitionInfo[] = [];
      for (const partition of topic.partitions) {
        partitions[partition.partition] = {
          topic: topic.name,
          partition: partition.partition,
          errorCode: partition.errorCode,
          leaderId: partition.leaderId,
          leaderEpoch: partition.leaderEpoch,
          replicas: partition.replicas,
          isr: partition.isr,
          offlineReplicas: partition.offlineReplicas,
          state: partition.state,
          replicaStates: partition.replicaStates,
          addingReplicas: partition.addingReplicas,
          removingReplicas: partition.removingReplicas,
        };
      }
      // A partition missing from the answer would leave a hole: treat the topic as partitioned
      // up to its last contiguous partition.
      const contiguous = partitions.findIndex((partition) => partition === undefined);
      this.topics.set(topic.name, {
        name: topic.name,
        topicId: topic.topicId,
        isInternal: topic.isInternal,
        partitions: contiguous === -1 ? partitions : partitions.slice(0, contiguous),
        maxMessageBytes: topic.maxMessageBytes,
      });
    }
    for (const topic of requestedTopics) {
      if (!answered.has(topic)) this.topics.delete(topic);
    }
    return true;
  }

  partition(topic: string, partition: number): PartitionInfo | undefined {
    return this.topics.get(topic)?.partitions[partition];
  }

  /** The leader's broker id, or undefined when there is none (or the partition is unknown). */
  leaderOf(topic: string, partition: number): number | undefined {
    const info = this.partition(topic, partition);
    return info === undefined || info.leaderId < 0 ? undefined : info.leaderId;
  }
}
