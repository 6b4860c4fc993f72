import { describe, expect, it } from 'vitest';
import { clientOptionsFromConsumerProperties, consumerOptionsFromProperties } from './consumer-properties.js';

describe('consumerOptionsFromProperties', () => {
  it('maps Kafka consumer properties onto the SDK options', () => {
    expect(
      consumerOptionsFromProperties({
        'auto.offset.reset': 'earliest',
        'enable.auto.commit': 'false',
        'max.poll.records': '100',
        'session.timeout.ms': '6000',
        'max.poll.interval.ms': '30000',
        'group.id': 'g',
        'partition.assignment.strategy': 'org.apache.kafka.clients.consumer.RoundRobinAssignor,sticky',
      }),
    ).toEqual({
      autoOffsetReset: 'earliest',
      enableAutoCommit: false,
      maxPollRecords: 100,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 30000,
      groupId: 'g',
      assignors: ['roundrobin', 'sticky'],
    });
    expect(consumerOptionsFromProperties({})).toEqual({});
  });

  it('rejects unknown names and malformed values with typed errors', () => {
    expect(() => consumerOptionsFromProperties({ 'no.such': '1' })).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG', message: expect.stringMatching(/known: .*max\.poll\.records/) }));
    expect(() => consumerOptionsFromProperties({ 'max.poll.records': 'ten' })).toThrow(/a non-negative integer/);
    expect(() => consumerOptionsFromProperties({ 'max.poll.records': '-1' })).toThrow(/a non-negative integer/);
    expect(() => consumerOptionsFromProperties({ 'auto.offset.reset': 'smallest' })).toThrow(/earliest, latest or none/);
    expect(() => consumerOptionsFromProperties({ 'enable.auto.commit': 'yes' })).toThrow(/true or false/);
    expect(() => consumerOptionsFromProperties({ 'partition.assignment.strategy': 'cooperative-sticky' })).toThrow(/range, roundrobin, sticky/);
    expect(() => consumerOptionsFromProperties({ 'group.id': '' })).toThrow(/a group id/);
  });

  it('takes the issue\'s group properties: session and heartbeat timing, poll size, assignors, and the client\'s metadata age', () => {
    const properties = {
      'session.timeout.ms': '10000',
      'heartbeat.interval.ms': '1000',
      'max.poll.records': '50',
      'partition.assignment.strategy': 'range',
      'metadata.max.age.ms': '2000',
      'default.api.timeout.ms': '15000',
    };
    expect(consumerOptionsFromProperties(properties)).toEqual({
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1_000,
      maxPollRecords: 50,
      assignors: ['range'],
      defaultApiTimeoutMs: 15_000,
    });
    expect(clientOptionsFromConsumerProperties(properties)).toEqual({ metadataMaxAgeMs: 2_000 });
    expect(clientOptionsFromConsumerProperties({ 'max.poll.records': '5' })).toEqual({});
    expect(() => clientOptionsFromConsumerProperties({ 'metadata.max.age.ms': 'soon' })).toThrow(/a non-negative integer/);
  });
});
