/**
 * @eddy/client — the Eddy SDK: `new Eddy({ bootstrapServers })`, then `eddy.producer()`,
 * `eddy.consumer()` and `eddy.admin()`. This list is the public API; everything else is
 * internal.
 */

// The client.
export { Eddy, type EddyOptions } from './eddy.js';
export { defaultRetryOptions, type RetryOptions } from './retry.js';
export { clientDefaults } from './limits.js';
export type { TopicPartition, TopicPartitionOffset } from './types.js';

// Errors.
export { EddyError } from '@eddy/base';
export { CorruptRecordError } from '@eddy/record';
export {
  BufferExhaustedError,
  ClientClosedError,
  type ClientErrorOptions,
  CommitFailedError,
  errors,
  InvalidConfigError,
  NoOffsetForPartitionError,
  TopicPartitionError,
} from './errors.js';

// Producer.
export type { Acks, Producer, ProducerMessage, ProducerMetrics, ProducerOptions, ProducerRecord } from './producer/producer.js';
export type { RecordMetadata } from './producer/producer-batch.js';
export { type Partitioner, type PartitionerInput, RoundRobinPartitioner, StickyPartitioner } from './producer/partitioner.js';
export { murmur2, partitionForKey } from './producer/murmur2.js';
export type { Compression, RecordHeader, RecordHeaderMap } from '@eddy/record';

// Consumer.
export type { AutoOffsetReset, Consumer, ConsumerOptions, GroupMetadata, PollOptions, RebalanceListener } from './consumer/consumer.js';
export type { ConsumerRecord } from './consumer/assigned-partition.js';
export type { CommittedOffset } from './consumer/group-offsets.js';
export {
  type Assignor,
  type AssignorMember,
  type AssignorName,
  assignorNames,
  createAssignor,
  type GroupAssignment,
  RangeAssignor,
  RoundRobinAssignor,
  StickyAssignor,
} from './group/index.js';

// Admin.
export type {
  Admin,
  AdminChangeOptions,
  BrokerDescription,
  ClusterDescription,
  ConfigAlteration,
  ConfigDescription,
  ConfigEntryDescription,
  ConfigResource,
  ConfigSourceName,
  CreatedTopic,
  ElectionResult,
  GroupDescription,
  GroupListing,
  GroupMemberDescription,
  GroupPartitionLag,
  GroupStateName,
  LogDirDescription,
  NewTopic,
  PartitionDescription,
  PartitionReassignment,
  PartitionStateName,
  QuorumDescription,
  QuorumReplicaDescription,
  TopicDescription,
} from './admin/admin.js';
export type { ListedOffset, OffsetSpec } from './cluster/list-offsets.js';
