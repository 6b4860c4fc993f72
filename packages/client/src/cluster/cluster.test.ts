import { Prng } from '@eddy/base';
import { afterEach, describe, expect, it } from 'vitest';
import { Eddy, EddyError, InvalidConfigError } from '../index.js';
import { type Harness, logValues, startHarness, waitFor } from '../test-support/harness.js';
import { startFakeCluster } from '../testing/index.js';
import { parseAddress } from './cluster.js';

let harness: Harness | undefined;

afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('metadata', () => {
  it('refreshes after NOT_LEADER_OR_FOLLOWER and sends to the new leader, without duplicates', async () => {
    harness = await startHarness({ brokers: 3, topics: [{ name: 't', partitions: 1, leaders: [1] }] });
    const { eddy, cluster } = harness;
    const producer = eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [{ value: 'before' }] });
    const metadataCalls = cluster.callsTo('Metadata').length;
    cluster.setLeader('t', 0, 3);
    const [meta] = await producer.send({ topic: 't', messages: [{ value: 'after' }] });
    expect(meta?.offset).toBe(1n);
    expect(cluster.callsTo('Metadata').length).toBeGreaterThan(metadataCalls);
    const produceBrokers = cluster.callsTo('Produce').map((call) => call.brokerId);
    expect(produceBrokers[0]).toBe(1);
    expect(produceBrokers.at(-1)).toBe(3);
    expect(logValues(cluster, 't', 0)).toEqual(['before', 'after']);
  });

  it('consumers follow a moved leader too', async () => {
    harness = await startHarness({ brokers: 2, topics: [{ name: 't', partitions: 1, leaders: [1] }] });
    const { eddy, cluster } = harness;
    const producer = eddy.producer({ lingerMs: 0 });
    await producer.send({ topic: 't', messages: [{ value: 'a' }] });
    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic: 't', partition: 0 }]);
    expect((await consumer.poll({ timeoutMs: 2_000 })).map((r) => r.value?.toString())).toEqual(['a']);
    cluster.setLeader('t', 0, 2);
    await producer.send({ topic: 't', messages: [{ value: 'b' }] });
    const records = await consumer.poll({ timeoutMs: 3_000 });
    expect(records.map((r) => r.value?.toString())).toEqual(['b']);
    expect(cluster.callsTo('Fetch').some((call) => call.brokerId === 2)).toBe(true);
  });

  it('refreshes metadata older than metadataMaxAgeMs', async () => {
    harness = await startHarness({ brokers: 1, topics: [{ name: 't', partitions: 1 }] }, { metadataMaxAgeMs: 1_000 });
    const { eddy, cluster } = harness;
    await eddy.producer().send({ topic: 't', messages: [{ value: 'x' }] });
    const calls = cluster.callsTo('Metadata').length;
    await waitFor(() => cluster.callsTo('Metadata').length > calls, 4_000, 'a periodic refresh');
  });

  it('bootstraps from any listed broker, skipping dead ones', async () => {
    const cluster = await startFakeCluster({ topics: [{ name: 't', partitions: 1 }] });
    const eddy = new Eddy({ bootstrapServers: ['127.0.0.1:1', ...cluster.bootstrapServers], requestTimeoutMs: 2_000, prng: new Prng(1) });
    try {
      const topics = await eddy.admin().listTopics();
      expect(topics).toEqual(['t']);
    } finally {
      await eddy.close();
      await cluster.close();
    }
  });

  it('accepts a comma-separated bootstrap list and rejects bad addresses', () => {
    expect(parseAddress('localhost:9092')).toEqual({ host: 'localhost', port: 9092, address: 'localhost:9092' });
    expect(parseAddress('[::1]:9093').address).toBe('[::1]:9093');
    expect(parseAddress('broker').port).toBe(9092);
    expect(() => parseAddress('a:b:c')).toThrow(InvalidConfigError);
    expect(() => new Eddy({ bootstrapServers: '' })).toThrow(InvalidConfigError);
    expect(() => new Eddy({ bootstrapServers: 'host:99999' })).toThrow(InvalidConfigError);
  });
});

describe('retries', () => {
  it('retries retriable errors with backoff', async () => {
    harness = await startHarness({ brokers: 1 });
    const { eddy, cluster } = harness;
    cluster.failNext('DescribeCluster', 'NETWORK_EXCEPTION', { times: 2 });
    const description = await eddy.admin().describeCluster();
    expect(description.brokers.map((broker) => broker.brokerId)).toEqual([1]);
    expect(cluster.callsTo('DescribeCluster')).toHaveLength(3);
  });

  it('does not retry errors that are not retriable', async () => {
    harness = await startHarness({ brokers: 1 });
    const { eddy, cluster } = harness;
    cluster.failNext('DescribeCluster', 'INVALID_REQUEST', { times: 5 });
    const error = await eddy
      .admin()
      .describeCluster()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EddyError);
    expect(error).toMatchObject({ code: 'INVALID_REQUEST', retriable: false });
    expect(cluster.callsTo('DescribeCluster')).toHaveLength(1);
  });

  it('gives up after the configured attempts', async () => {
    harness = await startHarness({ brokers: 1 }, { retry: { attemptsMax: 3, initialBackoffMs: 1, backoffMaxMs: 5 } });
    const { eddy, cluster } = harness;
    cluster.failNext('DescribeCluster', 'NOT_CONTROLLER', { times: 10 });
    await expect(eddy.admin().describeCluster()).rejects.toMatchObject({ code: 'NOT_CONTROLLER', retriable: true });
    expect(cluster.callsTo('DescribeCluster')).toHaveLength(3);
  });

  it('bounds every call with a deadline', async () => {
    harness = await startHarness({ brokers: 1 }, { requestTimeoutMs: 200, retry: { attemptsMax: 1 } });
    const { eddy, cluster } = harness;
    cluster.stallNext('DescribeCluster', 5_000);
    const started = Date.now();
    await expect(eddy.admin().describeCluster()).rejects.toMatchObject({ code: 'REQUEST_TIMED_OUT', retriable: true });
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('retries a call that timed out', async () => {
    harness = await startHarness({ brokers: 1 }, { requestTimeoutMs: 200 });
    const { eddy, cluster } = harness;
    cluster.stallNext('DescribeQuorum', 5_000);
    const quorum = await eddy.admin().describeQuorum();
    expect(quorum.leaderId).toBe(1);
    expect(cluster.callsTo('DescribeQuorum')).toHaveLength(2);
  });
});
