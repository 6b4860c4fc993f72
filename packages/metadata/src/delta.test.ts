import { describe, expect, it } from 'vitest';
import { MetadataDelta } from './delta.js';
import { MetadataImage } from './image.js';
import { localReplicaChanges } from './local-changes.js';
import { partitionState, replicaState } from './partition-state.js';
import type { MetadataRecord } from './records.js';
import { imageFromRecords, imageToRecords } from './snapshot.js';

function replayAll(base: MetadataImage, records: readonly MetadataRecord[]): { delta: MetadataDelta; image: MetadataImage } {
  const delta = new MetadataDelta(base);
  for (const record of records) delta.replay(record);
  return { delta, image: delta.apply(base.offset + records.length) };
}

const register = (brokerId: number, brokerEpoch = brokerId * 10): MetadataRecord[] => [
  { type: 'RegisterBroker', brokerId, brokerEpoch, incarnationId: `inc-${brokerId}`, endpoint: { host: '127.0.0.1', port: 9091 + brokerId }, rack: null },
  { type: 'UnfenceBroker', brokerId, brokerEpoch },
];

const clusterOf3: MetadataRecord[] = [{ type: 'ClusterId', clusterId: 'c1' }, ...register(1), ...register(2), ...register(3)];

const ordersTopic: MetadataRecord[] = [
  { type: 'Topic', name: 'orders', topicId: 't-orders' },
  { type: 'Config', resourceType: 'topic', resourceName: 'orders', name: 'retention.ms', value: '1000' },
  { type: 'Partition', topicId: 't-orders', partition: 0, replicas: [1, 2, 3], isr: [1, 2, 3], adding: [], removing: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 },
  { type: 'Partition', topicId: 't-orders', partition: 1, replicas: [2, 3, 1], isr: [2, 3, 1], adding: [], removing: [], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
];

describe('MetadataDelta', () => {
  it('builds brokers, topics, partitions and configs from records', () => {
    const { image } = replayAll(MetadataImage.empty, [...clusterOf3, ...ordersTopic]);
    expect(image.offset).toBe(clusterOf3.length + ordersTopic.length - 1);
    expect(image.clusterId).toBe('c1');
    expect(image.liveBrokers().map((b) => b.brokerId)).toEqual([1, 2, 3]);
    expect(image.partition('orders', 1)).toMatchObject({ topicName: 'orders', leader: 2, replicas: [2, 3, 1] });
    expect(image.topicConfigs.get('orders')?.get('retention.ms')).toBe('1000');
    expect(partitionState(image, image.partition('orders', 0))).toBe('Online');
    expect(partitionState(image, image.partition('orders', 7))).toBe('NonExistent');
  });

  it('leaves the base image untouched and shares what did not change', () => {
    const { image: base } = replayAll(MetadataImage.empty, [...clusterOf3, ...ordersTopic, { type: 'Topic', name: 'other', topicId: 't-other' }]);
    const { image: next } = replayAll(base, [{ type: 'PartitionChange', topicId: 't-orders', partition: 0, isr: [1, 2] }]);
    expect(base.partition('orders', 0)?.isr).toEqual([1, 2, 3]);
    expect(next.partition('orders', 0)?.isr).toEqual([1, 2]);
    expect(next.topic('other')).toBe(base.topic('other'));
    expect(next.partition('orders', 1)).toBe(base.partition('orders', 1));
    expect(next.brokers).toBe(base.brokers);
  });

  it('bumps the leader epoch only when the leader changes, the partition epoch on every change', () => {
    const { image: base } = replayAll(MetadataImage.empty, [...clusterOf3, ...ordersTopic]);
    const { image } = replayAll(base, [
      { type: 'PartitionChange', topicId: 't-orders', partition: 0, isr: [1, 3] },
      { type: 'PartitionChange', topicId: 't-orders', partition: 0, leader: 1 },
      { type: 'PartitionChange', topicId: 't-orders', partition: 0, leader: 3, isr: [3] },
    ]);
    expect(image.partition('orders', 0)).toMatchObject({ leader: 3, isr: [3], leaderEpoch: 1, partitionEpoch: 3 });
  });

  it('fences and unfences only the current registration of a broker', () => {
    const { image: base } = replayAll(MetadataImage.empty, clusterOf3);
    const { image } = replayAll(base, [
      ...register(2, 99),
      { type: 'FenceBroker', brokerId: 2, brokerEpoch: 20 },
      { type: 'FenceBroker', brokerId: 3, brokerEpoch: 30 },
    ]);
    expect(image.brokers.get(2)).toMatchObject({ brokerEpoch: 99, fenced: false });
    expect(image.brokers.get(3)?.fenced).toBe(true);
  });

  it('marks a partition Offline when its leader is fenced and shows replica states', () => {
    const { image: base } = replayAll(MetadataImage.empty, [...clusterOf3, ...ordersTopic]);
    const { image } = replayAll(base, [{ type: 'FenceBroker', brokerId: 1, brokerEpoch: 10 }]);
    const p0 = image.partition('orders', 0);
    expect(partitionState(image, p0)).toBe('Offline');
    expect(replicaState(image, p0, 1)).toBe('Offline');
    expect(replicaState(image, p0, 2)).toBe('Online');
    expect(replicaState(image, p0, 4)).toBe('NonExistent');
  });

  it('removes a topic with its configs and reports it', () => {
    const { image: base } = replayAll(MetadataImage.empty, [...clusterOf3, ...ordersTopic]);
    const { image, delta } = replayAll(base, [{ type: 'RemoveTopic', topicId: 't-orders' }]);
    expect(image.topic('orders')).toBeUndefined();
    expect(image.topicConfigs.has('orders')).toBe(false);
    expect([...delta.removedTopics.keys()]).toEqual(['t-orders']);
  });

  it('asserts on records that contradict the image (a controller bug)', () => {
    const delta = new MetadataDelta(MetadataImage.empty);
    expect(() => delta.replay({ type: 'PartitionChange', topicId: 'nope', partition: 0, leader: 1 })).toThrow(/unknown partition/);
    expect(() => delta.apply(-2)).toThrow(/behind the base image/);
  });
});

describe('localReplicaChanges', () => {
  it('tells each broker what to lead, follow and remove', () => {
    const { image: base } = replayAll(MetadataImage.empty, clusterOf3);
    const created = replayAll(base, ordersTopic);
    const forBroker2 = localReplicaChanges(created.delta, 2);
    expect(forBroker2.leaders.map((p) => p.partition)).toEqual([1]);
    expect(forBroker2.followers.map((p) => p.partition)).toEqual([0]);

    const moved = replayAll(created.image, [
      { type: 'PartitionChange', topicId: 't-orders', partition: 0, leader: 2, replicas: [2, 3], isr: [2, 3] },
    ]);
    expect(localReplicaChanges(moved.delta, 2).leaders.map((p) => p.partition)).toEqual([0]);
    expect(localReplicaChanges(moved.delta, 3).followers.map((p) => [p.partition, p.leader])).toEqual([[0, 2]]);
    expect(localReplicaChanges(moved.delta, 1).removed).toEqual([{ topicId: 't-orders', topicName: 'orders', partition: 0 }]);

    const isrOnly = replayAll(created.image, [{ type: 'PartitionChange', topicId: 't-orders', partition: 0, isr: [1, 2] }]);
    expect(localReplicaChanges(isrOnly.delta, 2)).toEqual({ leaders: [], followers: [], removed: [] });
    expect(localReplicaChanges(isrOnly.delta, 1).leaders.map((p) => p.isr)).toEqual([[1, 2]]);
    // A reassignment that only marks a replica as leaving keeps the replica list, yet moves the
    // partition epoch the leader must fence its next ISR change with.
    const removingOnly = replayAll(created.image, [{ type: 'PartitionChange', topicId: 't-orders', partition: 0, removing: [3] }]);
    expect(localReplicaChanges(removingOnly.delta, 1).leaders.map((p) => [p.removing, p.partitionEpoch])).toEqual([[[3], 1]]);
    expect(localReplicaChanges(removingOnly.delta, 3)).toEqual({ leaders: [], followers: [], removed: [] });

    const deleted = replayAll(created.image, [{ type: 'RemoveTopic', topicId: 't-orders' }]);
    expect(localReplicaChanges(deleted.delta, 3).removed.map((r) => r.partition).sort()).toEqual([0, 1]);
  });
});

describe('snapshots', () => {
  it('rebuild an equal image from its records', () => {
    const { image } = replayAll(MetadataImage.empty, [
      ...clusterOf3,
      ...ordersTopic,
      { type: 'PartitionChange', topicId: 't-orders', partition: 0, leader: 3, isr: [3, 2] },
      { type: 'FenceBroker', brokerId: 1, brokerEpoch: 10 },
      { type: 'BrokerShutdown', brokerId: 2, brokerEpoch: 20, inControlledShutdown: true },
      { type: 'Config', resourceType: 'broker', resourceName: '2', name: 'log.dirs', value: '/x' },
      { type: 'ProducerIds', brokerId: 2, brokerEpoch: 20, nextProducerId: 1000 },
    ]);
    const rebuilt = imageFromRecords(imageToRecords(image), image.offset);
    expect(rebuilt).toEqual(image);
  });
});
