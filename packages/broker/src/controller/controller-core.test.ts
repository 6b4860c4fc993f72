import { NO_LEADER } from '@eddy/metadata';
import { describe, expect, it } from 'vitest';
import { clusterOf, Harness } from './testing/controller-harness.js';

describe('ControllerCore: brokers', () => {
  it('gives a new cluster an id and registers brokers fenced until they catch up', () => {
    const harness = new Harness();
    expect(harness.image.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const { brokerEpoch } = harness.commit(harness.core.registerBroker({ brokerId: 1, incarnationId: 'a', endpoint: { host: 'h', port: 1 }, rack: null }, 0));
    expect(harness.image.brokers.get(1)).toMatchObject({ fenced: true, brokerEpoch });
    const behind = harness.commit(harness.core.brokerHeartbeat({ brokerId: 1, brokerEpoch, metadataOffset: brokerEpoch - 1, wantFence: false, wantShutdown: false }, 0));
    expect(behind).toEqual({ isCaughtUp: false, isFenced: true, shouldShutdown: false });
    const caughtUp = harness.commit(harness.core.brokerHeartbeat({ brokerId: 1, brokerEpoch, metadataOffset: brokerEpoch, wantFence: false, wantShutdown: false }, 0));
    expect(caughtUp).toEqual({ isCaughtUp: true, isFenced: false, shouldShutdown: false });
    expect(harness.image.brokers.get(1)?.fenced).toBe(false);
  });

  it('answers a retried registration of the same incarnation without new records', () => {
    const harness = new Harness();
    const request = { brokerId: 4, incarnationId: 'same', endpoint: { host: 'h', port: 1 }, rack: null };
    const first = harness.commit(harness.core.registerBroker(request, 0));
    const retry = harness.core.registerBroker(request, 0);
    expect(retry.records).toEqual([]);
    expect(retry.response).toEqual(first);
  });

  it('rejects heartbeats from an old registration', () => {
    const harness = clusterOf(1);
    const old = harness.epochs.get(1)!;
    harness.nowMs = 5;
    harness.addBroker(1);
    expect(() => harness.core.brokerHeartbeat({ brokerId: 1, brokerEpoch: old, metadataOffset: 0, wantFence: false, wantShutdown: false }, 5)).toThrow(
      expect.objectContaining({ code: 'STALE_BROKER_EPOCH' }),
    );
    expect(() => harness.core.brokerHeartbeat({ brokerId: 9, brokerEpoch: 1, metadataOffset: 0, wantFence: false, wantShutdown: false }, 5)).toThrow(
      expect.objectContaining({ code: 'BROKER_ID_NOT_REGISTERED' }),
    );
  });

  it('unregisters a broker only once its replicas have moved away', () => {
    const harness = clusterOf(3);
    harness.createTopic('t', 1, 1);
    const holder = harness.partition('t', 0).replicas[0]!;
    const other = holder === 1 ? 2 : 1;
    expect(() => harness.core.unregisterBroker(holder)).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST', message: expect.stringContaining('t-0') }));
    expect(() => harness.core.unregisterBroker(9)).toThrow(expect.objectContaining({ code: 'BROKER_ID_NOT_REGISTERED' }));
    harness.commit(harness.core.alterPartitionReassignments([{ topic: 't', partition: 0, replicas: [other] }]));
    harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('t', 0), isr: [holder, other] }));
    expect(harness.partition('t', 0).replicas).toEqual([other]);
    harness.commit(harness.core.unregisterBroker(holder));
    expect(harness.image.brokers.has(holder)).toBe(false);
  });

  it('fences a broker after its session timeout and moves its leaderships within the ISR', () => {
    const harness = clusterOf(3);
    harness.createTopic('orders', 3, 3);
    const ledBy2 = [0, 1, 2].filter((p) => harness.partition('orders', p).leader === 2);
    expect(ledBy2).toHaveLength(1);
    harness.nowMs = 900;
    harness.heartbeat(1);
    harness.heartbeat(3);
    expect(harness.commit(harness.core.fenceExpiredBrokers(harness.nowMs))).toEqual([]);
    harness.nowMs = 1500;
    expect(harness.commit(harness.core.fenceExpiredBrokers(harness.nowMs))).toEqual([2]);
    for (let p = 0; p < 3; p++) {
      const partition = harness.partition('orders', p);
      expect(partition.leader).not.toBe(2);
      expect(partition.isr).not.toContain(2);
      expect(partition.isr).toContain(partition.leader);
    }
    expect(harness.partition('orders', ledBy2[0]!).leaderEpoch).toBe(1);
  });

  it('lists brokers that missed heartbeats, and fences probed-dead ones only while they stay silent in the same incarnation', () => {
    const harness = clusterOf(3);
    harness.createTopic('orders', 3, 3);
    harness.nowMs = 400;
    harness.heartbeat(1);
    harness.heartbeat(3);
    expect(harness.core.silentBrokers(harness.nowMs, 300).map((b) => b.brokerId)).toEqual([2]);
    const probed = harness.core.silentBrokers(harness.nowMs, 300).map((b) => ({ brokerId: b.brokerId, brokerEpoch: b.brokerEpoch }));

    // A heartbeat that arrived while the probe ran wins over the probe.
    harness.heartbeat(2);
    expect(harness.commit(harness.core.fenceUnreachableBrokers(probed, harness.nowMs, 300))).toEqual([]);
    // So does a new incarnation of the broker.
    harness.nowMs = 800;
    harness.addBroker(2);
    harness.nowMs = 1200;
    expect(harness.commit(harness.core.fenceUnreachableBrokers(probed, harness.nowMs, 300))).toEqual([]);

    // Still silent, same incarnation: fenced long before the 1000 ms session would expire.
    const current = [{ brokerId: 2, brokerEpoch: harness.epochs.get(2)! }];
    harness.heartbeat(1);
    harness.heartbeat(3);
    expect(harness.commit(harness.core.fenceUnreachableBrokers(current, harness.nowMs, 300))).toEqual([2]);
    expect(harness.image.brokers.get(2)?.fenced).toBe(true);
    for (let p = 0; p < 3; p++) expect(harness.partition('orders', p).isr).not.toContain(2);
    expect(harness.core.silentBrokers(harness.nowMs + 5_000, 300).map((b) => b.brokerId)).toEqual([1, 3]);
  });

  it('keeps the last ISR member leaderless instead of electing an out-of-sync replica', () => {
    const harness = clusterOf(2);
    harness.createTopic('t', 1, 2);
    const leader = harness.partition('t', 0).leader;
    const follower = leader === 1 ? 2 : 1;
    harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('t', 0), isr: [leader] }));
    harness.heartbeat(leader, { wantFence: true });
    const partition = harness.partition('t', 0);
    expect(partition.leader).toBe(NO_LEADER);
    expect(partition.isr).toEqual([leader]);
    expect(follower).not.toBe(leader);
    // The last in-sync replica returning leads again.
    harness.heartbeat(leader);
    expect(harness.partition('t', 0).leader).toBe(leader);
  });

  it('elects an out-of-sync replica when unclean election is enabled', () => {
    const harness = clusterOf(2);
    harness.createTopic('t', 1, 2, { 'unclean.leader.election.enable': 'true' });
    const leader = harness.partition('t', 0).leader;
    harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('t', 0), isr: [leader] }));
    harness.heartbeat(leader, { wantFence: true });
    const partition = harness.partition('t', 0);
    expect(partition.leader).not.toBe(NO_LEADER);
    expect(partition.leader).not.toBe(leader);
    expect(partition.isr).toEqual([partition.leader]);
  });

  it('moves leadership off a broker in controlled shutdown before letting it go', () => {
    const harness = clusterOf(3);
    harness.createTopic('orders', 3, 3);
    expect(harness.heartbeat(1, { wantShutdown: true }).shouldShutdown).toBe(false);
    for (let p = 0; p < 3; p++) expect(harness.partition('orders', p).leader).not.toBe(1);
    expect(harness.heartbeat(1, { wantShutdown: true }).shouldShutdown).toBe(true);
    expect(harness.createTopic('later', 3, 3).error?.code).toBe('INVALID_REPLICATION_FACTOR');
  });

  it('restores preferred leaders once they are back in the ISR', () => {
    const harness = clusterOf(3);
    harness.createTopic('orders', 3, 3);
    harness.heartbeat(2, { wantFence: true });
    harness.heartbeat(2);
    const preferredOf2 = [0, 1, 2].find((p) => harness.partition('orders', p).replicas[0] === 2)!;
    expect(harness.partition('orders', preferredOf2).leader).not.toBe(2);
    // Broker 2 is live again; its leader re-adds it to the ISR, then preferred election moves leadership.
    harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('orders', preferredOf2), isr: [1, 2, 3] }));
    const moved = harness.commit(harness.core.electPreferredLeaders());
    expect(moved).toContainEqual({ topic: 'orders', partition: preferredOf2 });
    expect(harness.partition('orders', preferredOf2).leader).toBe(2);
  });
});

describe('ControllerCore: topics', () => {
  it('creates a topic with one leadership per broker for 3 partitions x RF 3', () => {
    const harness = clusterOf(3);
    const outcome = harness.createTopic('topic01', 3, 3, { 'retention.ms': '60000' });
    expect(outcome.error).toBeUndefined();
    const leaders = [0, 1, 2].map((p) => harness.partition('topic01', p).leader).sort();
    expect(leaders).toEqual([1, 2, 3]);
    expect(harness.partition('topic01', 0)).toMatchObject({ leaderEpoch: 0, partitionEpoch: 0 });
    expect(harness.partition('topic01', 0).isr).toEqual(harness.partition('topic01', 0).replicas);
    expect(harness.image.topicConfigs.get('topic01')?.get('retention.ms')).toBe('60000');
  });

  it.each([
    ['bad/name', 1, 1, {}, 'INVALID_TOPIC_EXCEPTION'],
    ['x'.repeat(250), 1, 1, {}, 'INVALID_TOPIC_EXCEPTION'],
    ['..', 1, 1, {}, 'INVALID_TOPIC_EXCEPTION'],
    ['ok', 0, 1, {}, 'INVALID_PARTITIONS'],
    ['ok', -2, 1, {}, 'INVALID_PARTITIONS'],
    ['ok', 1, -2, {}, 'INVALID_REPLICATION_FACTOR'],
    ['ok', 1, 3, {}, 'INVALID_REPLICATION_FACTOR'],
    ['ok', 1, 0, {}, 'INVALID_REPLICATION_FACTOR'],
    ['ok', 1, 1, { 'no.such': '1' }, 'INVALID_CONFIG'],
    ['ok', 1, 1, { 'min.insync.replicas': '2' }, 'INVALID_CONFIG'],
  ] as const)('refuses %s (%i partitions, RF %i) with %s', (name, partitions, rf, configs, code) => {
    const harness = clusterOf(2);
    const before = harness.image;
    expect(harness.createTopic(name, partitions, rf, configs).error?.code).toBe(code);
    expect(harness.image.topicsById).toBe(before.topicsById);
  });

  it('takes -1 for the count or the replication factor as the configured default', () => {
    const harness = clusterOf(3, { partitionCountDefault: 4, replicationFactorDefault: 2 });
    expect(harness.createTopic('both', -1, -1)).toMatchObject({ partitions: 4, replicationFactor: 2 });
    expect(harness.createTopic('count', -1, 3)).toMatchObject({ partitions: 4, replicationFactor: 3 });
    expect(harness.createTopic('factor', 1, -1)).toMatchObject({ partitions: 1, replicationFactor: 2 });
    expect(harness.image.topic('both')?.partitions.size).toBe(4);
    expect(harness.partition('factor', 0).replicas).toHaveLength(2);
    expect(clusterOf(1, { replicationFactorDefault: 2 }).createTopic('t', 1, -1).error).toMatchObject({ code: 'INVALID_REPLICATION_FACTOR' });
  });

  it('refuses an existing topic and a duplicate in one request, creating the others', () => {
    const harness = clusterOf(1);
    harness.createTopic('a', 1, 1);
    const outcomes = harness.commit(
      harness.core.createTopics([
        { name: 'a', partitions: 1, replicationFactor: 1, configs: new Map() },
        { name: 'b', partitions: 1, replicationFactor: 1, configs: new Map() },
        { name: 'b', partitions: 1, replicationFactor: 1, configs: new Map() },
      ]),
    );
    expect(outcomes.map((o) => o.error?.code)).toEqual(['TOPIC_ALREADY_EXISTS', undefined, 'INVALID_REQUEST']);
    expect(harness.image.topic('b')?.partitions.size).toBe(1);
  });

  it('adds partitions but never removes them, and deletes topics', () => {
    const harness = clusterOf(3);
    harness.createTopic('t', 2, 2);
    harness.commit(harness.core.createPartitions('t', 5));
    expect(harness.image.topic('t')?.partitions.size).toBe(5);
    expect(harness.partition('t', 4).replicas).toHaveLength(2);
    expect(() => harness.core.createPartitions('t', 3)).toThrow(expect.objectContaining({ code: 'INVALID_PARTITIONS' }));
    expect(() => harness.core.createPartitions('nope', 3)).toThrow(expect.objectContaining({ code: 'UNKNOWN_TOPIC_OR_PARTITION' }));
    const [deleted, unknown] = harness.commit(harness.core.deleteTopics(['t', 'nope']));
    expect(deleted?.error).toBeUndefined();
    expect(unknown?.error?.code).toBe('UNKNOWN_TOPIC_OR_PARTITION');
    expect(harness.image.topic('t')).toBeUndefined();
  });

  it('alters topic configs with validation', () => {
    const harness = clusterOf(1);
    harness.createTopic('t', 1, 1);
    harness.commit(harness.core.alterTopicConfigs('t', new Map([['retention.bytes', '1000']])));
    expect(harness.image.topicConfigs.get('t')?.get('retention.bytes')).toBe('1000');
    harness.commit(harness.core.alterTopicConfigs('t', new Map([['retention.bytes', null]])));
    expect(harness.image.topicConfigs.has('t')).toBe(false);
    expect(() => harness.core.alterTopicConfigs('t', new Map([['retention.bytes', 'lots']]))).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
  });
});

describe('ControllerCore: explicit replica assignments', () => {
  it('creates partitions exactly as assigned, each led by its first replica', () => {
    const harness = clusterOf(3);
    const outcome = harness.createAssignedTopic('placed', [
      [3, 1],
      [1, 2],
      [3, 2],
    ]);
    expect(outcome).toMatchObject({ partitions: 3, replicationFactor: 2 });
    expect(outcome.error).toBeUndefined();
    const partitions = [0, 1, 2].map((p) => harness.partition('placed', p));
    expect(partitions.map((p) => [p.replicas, p.isr, p.leader])).toEqual([
      [[3, 1], [3, 1], 3],
      [[1, 2], [1, 2], 1],
      [[3, 2], [3, 2], 3],
    ]);
  });

  it.each([
    [2, -1],
    [-1, 2],
    [1, 1],
  ])('refuses an assignment with partitions %i and replication factor %i (Kafka wants -1 for both)', (partitions, replicationFactor) => {
    const harness = clusterOf(2);
    const request = { name: 't', partitions, replicationFactor, configs: new Map<string, string>(), assignments: [{ partition: 0, replicas: [1, 2] }] };
    const [outcome] = harness.commit(harness.core.createTopics([request]));
    expect(outcome?.error).toMatchObject({ code: 'INVALID_REQUEST' });
    expect(harness.image.topic('t')).toBeUndefined();
  });

  it.each([
    ['an unregistered broker', [[1, 9]], 'broker 9, which is not registered'],
    ['a broker twice', [[2, 2]], 'names broker 2 twice'],
    ['an empty list', [[]], 'empty replica list'],
    ['different replica counts', [[1, 2], [3]], 'gives partition 1 1 replicas'],
  ])('refuses a topic assigned with %s', (_, replicas, message) => {
    const harness = clusterOf(3);
    const outcome = harness.createAssignedTopic('t', replicas);
    expect(outcome.error).toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining(message) });
    expect(harness.image.topic('t')).toBeUndefined();
  });

  it('checks min.insync.replicas and the per-request partition limit against the assignment', () => {
    const harness = clusterOf(3);
    expect(harness.createAssignedTopic('t', [[1, 2]], { 'min.insync.replicas': '3' }).error).toMatchObject({ code: 'INVALID_CONFIG' });
    const many = Array.from({ length: 10_001 }, () => [1]);
    expect(harness.createAssignedTopic('t', many).error).toMatchObject({ code: 'INVALID_PARTITIONS' });
    expect(harness.createAssignedTopic('t', [[1, 2]], { 'min.insync.replicas': '2' }).error).toBeUndefined();
  });

  it('accepts a fenced broker as a replica that starts out of sync, and makes it leader once it is back in sync', () => {
    const harness = clusterOf(3);
    harness.heartbeat(3, { wantFence: true });
    harness.createAssignedTopic('t', [[3, 1, 2]]);
    expect(harness.partition('t', 0)).toMatchObject({ replicas: [3, 1, 2], isr: [1, 2], leader: 1 });
    // Back and caught up: the leader adds it to the ISR, and preferred election hands it leadership.
    harness.heartbeat(3);
    harness.commit(harness.core.alterPartition({ ...harness.partitionRequest('t', 0), isr: [1, 2, 3] }));
    expect(harness.commit(harness.core.electPreferredLeaders())).toEqual([{ topic: 't', partition: 0 }]);
    expect(harness.partition('t', 0).leader).toBe(3);
  });

  it('refuses a partition whose every replica is fenced or shutting down', () => {
    const harness = clusterOf(3);
    harness.heartbeat(2, { wantFence: true });
    harness.heartbeat(3, { wantShutdown: true });
    const outcome = harness.createAssignedTopic('t', [[1], [2]]);
    expect(outcome.error).toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining('partition 1 (2) is fenced or shutting down') });
    expect(harness.createAssignedTopic('u', [[2, 3]]).error).toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT' });
  });

  it('adds partitions as assigned, continuing the count with the topic replication factor', () => {
    const harness = clusterOf(3);
    harness.createTopic('t', 2, 2);
    const grow = (count: number, replicas: number[][], first = 2) =>
      harness.core.createPartitions('t', count, replicas.map((brokers, i) => ({ partition: first + i, replicas: brokers })));
    const expectInvalid = (run: () => unknown, message: string): void => {
      expect(run).toThrow(expect.objectContaining({ code: 'INVALID_REPLICA_ASSIGNMENT', message: expect.stringContaining(message) }));
    };
    expectInvalid(() => grow(4, [[1, 2]]), 'grows by 2 partitions, but 1 assignments');
    expectInvalid(() => grow(3, [[1, 2]], 0), 'partitions 2 to 2 each once');
    expectInvalid(() => grow(3, [[1, 2, 3]]), '3 replicas, but the other partitions have 2');
    expectInvalid(() => grow(3, [[1, 8]]), 'broker 8, which is not registered');
    expect(harness.image.topic('t')?.partitions.size).toBe(2);

    harness.commit(grow(4, [[3, 1], [2, 3]]));
    expect([2, 3].map((p) => [harness.partition('t', p).replicas, harness.partition('t', p).leader])).toEqual([
      [[3, 1], 3],
      [[2, 3], 2],
    ]);
  });
});

describe('ControllerCore: ISR changes', () => {
  it('fences stale leader and partition epochs and checks the new ISR', () => {
    const harness = clusterOf(3);
    harness.createTopic('t', 1, 3);
    const request = harness.partitionRequest('t', 0);
    const leader = request.brokerId;
    const followers = harness.partition('t', 0).replicas.filter((r) => r !== leader);
    const shrunk = harness.commit(harness.core.alterPartition({ ...request, isr: [leader, followers[0]!] }));
    expect(shrunk.partitionEpoch).toBe(1);
    expect(harness.partition('t', 0).isr).toEqual([leader, followers[0]]);
    expect(() => harness.core.alterPartition({ ...request, isr: [leader] })).toThrow(expect.objectContaining({ code: 'INVALID_UPDATE_VERSION' }));
    const current = harness.partitionRequest('t', 0);
    expect(() => harness.core.alterPartition({ ...current, leaderEpoch: 7, isr: [leader] })).toThrow(expect.objectContaining({ code: 'FENCED_LEADER_EPOCH' }));
    expect(() => harness.core.alterPartition({ ...current, isr: [followers[0]!] })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => harness.core.alterPartition({ ...current, brokerId: followers[0]!, brokerEpoch: harness.epochs.get(followers[0]!)!, isr: [followers[0]!] })).toThrow(
      expect.objectContaining({ code: 'NOT_LEADER_OR_FOLLOWER' }),
    );
    harness.heartbeat(followers[1]!, { wantFence: true });
    expect(() => harness.core.alterPartition({ ...current, isr: [leader, ...followers] })).toThrow(expect.objectContaining({ code: 'INELIGIBLE_REPLICA' }));
  });

  it('hands out disjoint producer id blocks', () => {
    const harness = clusterOf(2);
    const a = harness.commit(harness.core.allocateProducerIds(1, harness.epochs.get(1)!));
    const b = harness.commit(harness.core.allocateProducerIds(2, harness.epochs.get(2)!));
    expect(b.firstProducerId).toBe(a.firstProducerId + a.count);
  });
});
