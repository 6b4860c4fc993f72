import { type MetadataImage, NO_LEADER, type PartitionImage, partitionState, replicaState } from '@eddy/metadata';
import { type Messages, noError, toEddyError, toWireError } from '@eddy/protocol';
import { resolveTopicConfig } from '../topic-config.js';

type Wire = Messages;

/** Topics users do not create; hidden from `topics list` unless asked for. */
export const INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets']);

const partitionStates = {
  NonExistent: 'PARTITION_STATE_NON_EXISTENT',
  New: 'PARTITION_STATE_NEW',
  Online: 'PARTITION_STATE_ONLINE',
  Offline: 'PARTITION_STATE_OFFLINE',
} as const;

const replicaStates = {
  NonExistent: 'REPLICA_STATE_NON_EXISTENT',
  New: 'REPLICA_STATE_NEW',
  Online: 'REPLICA_STATE_ONLINE',
  Offline: 'REPLICA_STATE_OFFLINE',
} as const;

function partitionMetadata(image: MetadataImage, partition: PartitionImage): Wire['PartitionMetadata'] {
  const state = partitionState(image, partition);
  const error = partition.leader === NO_LEADER ? toWireError(toEddyError('LEADER_NOT_AVAILABLE', `partition ${partition.topicName}-${partition.partition} has no leader`)) : noError;
  return {
    ...error,
    partition: partition.partition,
    leaderId: partition.leader,
    leaderEpoch: partition.leaderEpoch,
    replicas: [...partition.replicas],
    isr: [...partition.isr],
    offlineReplicas: partition.replicas.filter((replica) => !image.isBrokerLive(replica)),
    state: partitionStates[state],
    replicaStates: partition.replicas.map((replica) => replicaStates[replicaState(image, partition, replica)]),
    addingReplicas: [...partition.adding],
    removingReplicas: [...partition.removing],
  };
}

/** ClientService.Metadata from this node's image: live brokers, controller, and the topics asked for. */
export function metadataResponse(image: MetadataImage, request: Wire['MetadataRequest'], controllerId: number): Wire['MetadataResponse'] {
  const names = request.allTopics ? [...image.topicIdsByName.keys()].sort() : request.topics;
  const topics = names.map((name): Wire['TopicMetadata'] => {
    const topic = image.topic(name);
    if (topic === undefined) {
      return { ...toWireError(toEddyError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`)), name, topicId: '', isInternal: false, partitions: [], maxMessageBytes: 0 };
    }
    const partitions = [...topic.partitions.values()].sort((a, b) => a.partition - b.partition).map((partition) => partitionMetadata(image, partition));
    const { maxMessageBytes } = resolveTopicConfig(image.topicConfigs.get(name));
    return { ...noError, name, topicId: topic.topicId, isInternal: INTERNAL_TOPICS.has(name), partitions, maxMessageBytes };
  });
  const brokers = image
    .liveBrokers()
    .sort((a, b) => a.brokerId - b.brokerId)
    .map((broker) => ({ brokerId: broker.brokerId, host: broker.endpoint.host, port: broker.endpoint.port, rack: broker.rack ?? '' }));
  return { clusterId: image.clusterId ?? '', controllerId, brokers, topics, metadataOffset: BigInt(image.offset) };
}
