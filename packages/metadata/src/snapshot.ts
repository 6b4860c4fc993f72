import { MetadataDelta } from './delta.js';
import { MetadataImage } from './image.js';
import type { MetadataRecord } from './records.js';

/**
 * The records that rebuild `image` from nothing, in replay order. A metadata snapshot is this
 * list: replaying it onto the empty image gives back an equal image.
 */
export function imageToRecords(image: MetadataImage): MetadataRecord[] {
  const records: MetadataRecord[] = [];
  if (image.clusterId !== null) records.push({ type: 'ClusterId', clusterId: image.clusterId });
  for (const broker of image.brokers.values()) {
    const { brokerId, brokerEpoch } = broker;
    records.push({ type: 'RegisterBroker', brokerId, brokerEpoch, incarnationId: broker.incarnationId, endpoint: broker.endpoint, rack: broker.rack });
    if (!broker.fenced) records.push({ type: 'UnfenceBroker', brokerId, brokerEpoch });
    if (broker.inControlledShutdown) records.push({ type: 'BrokerShutdown', brokerId, brokerEpoch, inControlledShutdown: true });
  }
  for (const topic of image.topicsById.values()) {
    records.push({ type: 'Topic', name: topic.name, topicId: topic.topicId });
    for (const partition of topic.partitions.values()) {
      const { topicName: _derived, ...fields } = partition;
      records.push({ type: 'Partition', ...fields });
    }
  }
  for (const [resourceType, configs] of [['topic', image.topicConfigs], ['broker', image.brokerConfigs]] as const) {
    for (const [resourceName, values] of configs) {
      for (const [name, value] of values) records.push({ type: 'Config', resourceType, resourceName, name, value });
    }
  }
  if (image.nextProducerId > 0) records.push({ type: 'ProducerIds', brokerId: -1, brokerEpoch: -1, nextProducerId: image.nextProducerId });
  return records;
}

/** Rebuilds an image from snapshot records; the image takes the snapshot's offset. */
export function imageFromRecords(records: readonly MetadataRecord[], snapshotOffset: number): MetadataImage {
  const delta = new MetadataDelta(MetadataImage.empty);
  for (const record of records) delta.replay(record);
  return delta.apply(snapshotOffset);
}
