import type { MetadataRecord } from '@eddy/metadata';
import { describe, expect, it } from 'vitest';
import { MetadataLoader } from '../metadata/metadata-loader.js';
import { OFFSETS_TOPIC, offsetsTopicCreation } from './offsets-topic.js';
import { peerHost } from './group-service-handlers.js';

function imageWithBrokers(live: number, fenced = 0) {
  const loader = new MetadataLoader();
  const records: MetadataRecord[] = [];
  for (let id = 1; id <= live + fenced; id++) {
    records.push({ type: 'RegisterBroker', brokerId: id, incarnationId: `b${id}`, brokerEpoch: id, endpoint: { host: 'h', port: id }, rack: null });
    if (id <= live) records.push({ type: 'UnfenceBroker', brokerId: id, brokerEpoch: id });
  }
  loader.applyCommitted([{ offset: 1, records }]);
  return loader.image;
}

describe('__consumer_offsets creation', () => {
  const settings = { partitions: 50, replicationFactor: 3 };

  it('waits for enough live brokers when eager, and takes what there is on demand', () => {
    expect(offsetsTopicCreation(settings, imageWithBrokers(2, 1), 'eager')).toBeUndefined();
    expect(offsetsTopicCreation(settings, imageWithBrokers(2, 1), 'demand')).toMatchObject({ name: OFFSETS_TOPIC, partitions: 50, replicationFactor: 2 });
    expect(offsetsTopicCreation(settings, imageWithBrokers(0, 1), 'demand')).toBeUndefined();
    const eager = offsetsTopicCreation(settings, imageWithBrokers(4), 'eager');
    expect(eager).toMatchObject({ replicationFactor: 3 });
    expect(Object.fromEntries(eager?.configs ?? [])).toMatchObject({ 'retention.ms': '-1', 'retention.bytes': '-1', 'min.insync.replicas': '2' });
    expect(offsetsTopicCreation(settings, imageWithBrokers(1), 'demand')?.configs.get('min.insync.replicas')).toBe('1');
  });
});

describe('peer hosts', () => {
  it('drop the scheme and the port', () => {
    expect(peerHost('ipv4:127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerHost('127.0.0.1:5000')).toBe('127.0.0.1');
    expect(peerHost('[::1]:5000')).toBe('::1');
    expect(peerHost('ipv6:[fe80::1]:5000')).toBe('fe80::1');
    expect(peerHost('unix:/tmp/sock')).toBe('/tmp/sock');
  });
});
