export { decodeMetadataRecord, encodeMetadataRecord, parseJson, validateMetadataRecord } from './codec.js';
export { MetadataDelta } from './delta.js';
export {
  type BrokerImage,
  type ConfigMap,
  MetadataImage,
  type MetadataImageFields,
  type PartitionImage,
  type TopicImage,
} from './image.js';
export { type LocalReplicaChanges, localReplicaChanges, type RemovedReplica } from './local-changes.js';
export { isUnderReplicated, type PartitionState, partitionState, type ReplicaState, replicaState } from './partition-state.js';
export {
  type BrokerShutdownRecord,
  type ClusterIdRecord,
  type ConfigRecord,
  type Endpoint,
  type FenceBrokerRecord,
  type MetadataRecord,
  type MetadataRecordType,
  NO_LEADER,
  type PartitionChangeRecord,
  type PartitionRecord,
  type ProducerIdsRecord,
  type RegisterBrokerRecord,
  type RemoveTopicRecord,
  type TopicRecord,
  type UnfenceBrokerRecord,
  type UnregisterBrokerRecord,
} from './records.js';
export { imageFromRecords, imageToRecords } from './snapshot.js';
