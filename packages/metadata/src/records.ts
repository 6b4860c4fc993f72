/**
 * Metadata records: the entries of the metadata log. The active controller turns admin
 * operations into records; every node replays committed records into a MetadataImage. A record
 * describes a change, never a command: replaying the same log always yields the same image.
 */

export const NO_LEADER = -1;

export interface Endpoint {
  readonly host: string;
  readonly port: number;
}

/** The cluster's identity, written once by the first active controller. */
export interface ClusterIdRecord {
  readonly type: 'ClusterId';
  readonly clusterId: string;
}

/** A broker (re-)registered. A new incarnation replaces the old registration and is fenced. */
export interface RegisterBrokerRecord {
  readonly type: 'RegisterBroker';
  readonly brokerId: number;
  readonly incarnationId: string;
  /** Identifies this registration; heartbeats carrying another epoch are stale. */
  readonly brokerEpoch: number;
  readonly endpoint: Endpoint;
  readonly rack: string | null;
}

export interface UnregisterBrokerRecord {
  readonly type: 'UnregisterBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** Fenced brokers lead nothing and are not eligible for the ISR. */
export interface FenceBrokerRecord {
  readonly type: 'FenceBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

export interface UnfenceBrokerRecord {
  readonly type: 'UnfenceBroker';
  readonly brokerId: number;
  readonly brokerEpoch: number;
}

/** A broker asked to leave: it stays registered but gets no new replicas and sheds leadership. */
export interface BrokerShutdownRecord {
  readonly type: 'BrokerShutdown';
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly inControlledShutdown: boolean;
}

export interface TopicRecord {
  readonly type: 'Topic';
  readonly name: string;
  readonly topicId: string;
}

export interface PartitionRecord {
  readonly type: 'Partition';
  readonly topicId: string;
  readonly partition: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
  /** Replicas being added / removed by a reassignment (subsets of `replicas`). */
  readonly adding: readonly number[];
  readonly removing: readonly number[];
  readonly leader: number;
  readonly leaderEpoch: number;
  readonly partitionEpoch: number;
}

/**
 * A change to one partition. Absent fields are unchanged. A change of leader bumps the
 * leader epoch; any change bumps the partition epoch (which fences stale ISR updates).
 */
export interface PartitionChangeRecord {
  readonly type: 'PartitionChange';
  readonly topicId: string;
  readonly partition: number;
  readonly leader?: number;
  readonly isr?: readonly number[];
  readonly replicas?: readonly number[];
  readonly adding?: readonly number[];
  readonly removing?: readonly number[];
}

export interface RemoveTopicRecord {
  readonly type: 'RemoveTopic';
  readonly topicId: string;
}

/** A dynamic configuration value; `value: null` removes the override. */
export interface ConfigRecord {
  readonly type: 'Config';
  readonly resourceType: 'topic' | 'broker';
  readonly resourceName: string;
  readonly name: string;
  readonly value: string | null;
}

/** A block of producer ids handed to a broker: [firstProducerId, firstProducerId + blockSize). */
export interface ProducerIdsRecord {
  readonly type: 'ProducerIds';
  readonly brokerId: number;
  readonly brokerEpoch: number;
  readonly nextProducerId: number;
}

export type MetadataRecord =
  | ClusterIdRecord
  | RegisterBrokerRecord
  | UnregisterBrokerRecord
  | FenceBrokerRecord
  | UnfenceBrokerRecord
  | BrokerShutdownRecord
  | TopicRecord
  | PartitionRecord
  | PartitionChangeRecord
  | RemoveTopicRecord
  | ConfigRecord
  | ProducerIdsRecord;

export type MetadataRecordType = MetadataRecord['type'];
