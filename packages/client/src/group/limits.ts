import { assert } from '@eddy/base';

/**
 * Bounds of the client's consumer-group code. Subscription and assignment bytes come from
 * other members (through the coordinator), so every size read from them is checked against
 * these before the leader loops over it.
 */
export const groupClientLimits = {
  /** The largest subscription or assignment accepted by the decoders (JoinGroup/SyncGroup bytes). */
  metadataBytesMax: 1024 * 1024,
  /** Topics one member may subscribe to. */
  subscribedTopicsMax: 10_000,
  /** Partitions one member may claim or be assigned (10,000 partitions per node, a few nodes). */
  memberPartitionsMax: 100_000,
  /** Kafka's topic name limit. */
  topicNameLengthMax: 249,
  /** Partition indexes are int32 on the wire. */
  partitionMax: 2 ** 31 - 1,
} as const;

assert(groupClientLimits.metadataBytesMax <= 64 * 1024 * 1024, 'metadata travels inside one gRPC message');
assert(
  groupClientLimits.memberPartitionsMax * 2 <= groupClientLimits.metadataBytesMax,
  'the smallest encoding of a partition is two bytes ("0,"): the partition bound is reachable within the byte bound',
);
assert(groupClientLimits.subscribedTopicsMax <= groupClientLimits.memberPartitionsMax, 'a subscribed topic has at least one partition');
