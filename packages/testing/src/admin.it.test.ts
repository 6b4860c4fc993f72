import { type Admin, Eddy } from '@eddy/client';
import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './start-cluster.js';
import { waitFor } from './wait-for.js';

// One cluster for every call of the Admin API; the tests run in order and the last one stops a node.
let cluster: TestCluster;
let eddy: Eddy;
let admin: Admin;
beforeAll(async () => {
  // Leadership moves back to preferred replicas only when a test asks (electLeaders). Topics
  // created without a count or replication factor get 2 partitions of 3 replicas.
  cluster = await startCluster({
    nodes: 3,
    settings: { 'group.initial.rebalance.delay.ms': '0', 'leader.imbalance.check.interval.ms': '0', 'num.partitions': '2', 'default.replication.factor': '3' },
  });
  await waitFor('three running brokers', () => (cluster.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
  eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers.split(','), clientId: 'admin-it' });
  admin = eddy.admin();
});
afterAll(async () => {
  await eddy?.close();
  await cluster?.close();
});

/** Creates a topic and waits until every broker's metadata shows all its partitions online. */
async function createTopic(topic: string, partitions: number, replicationFactor: number): Promise<void> {
  await admin.createTopics([{ topic, partitions, replicationFactor }]);
  await waitFor(`${topic} online`, async () => {
    const [described] = await admin.describeTopics([topic]).catch(() => []);
    return described?.partitions.length === partitions && described.partitions.every((p) => p.state === 'Online' && p.isr.length === replicationFactor) ? true : undefined;
  });
}

/** The partition as the answering broker's metadata shows it; one that has not seen the topic yet is asked again. */
async function partitionOf(topic: string, partition: number) {
  return waitFor(`partition ${topic}-${partition} described`, async () => {
    const [described] = await admin.describeTopics([topic]).catch(() => []);
    return described?.partitions.find((p) => p.partition === partition);
  });
}

async function produce(topic: string, partition: number, values: readonly string[], timestamp?: number): Promise<void> {
  const producer = eddy.producer({ acks: 'all' });
  await producer.send({ topic, messages: values.map((value) => ({ value, partition, ...(timestamp === undefined ? {} : { timestamp }) })) });
  await producer.close();
}

async function readAll(topic: string, partition: number, count: number): Promise<string[]> {
  const consumer = eddy.consumer({ fromBeginning: true });
  try {
    await consumer.assign([{ topic, partition }]);
    const values: string[] = [];
    const deadline = Date.now() + 20_000;
    while (values.length < count && Date.now() < deadline) {
      for (const record of await consumer.poll({ maxRecords: 500, timeoutMs: 500 })) values.push(record.value?.toString() ?? '');
    }
    return values;
  } finally {
    await consumer.close();
  }
}

/** The partition's directories (live or awaiting deletion) in a node's data dir. */
async function partitionDirs(nodeId: number, topic: string, partition: number): Promise<string[]> {
  const name = `${topic}-${partition}`;
  return (await readdir(cluster.node(nodeId).dataDir)).filter((entry) => entry === name || entry.startsWith(`${name}.`));
}

describe('the admin API against an in-process 3-node cluster', () => {
  it('describes the cluster and the metadata quorum', async () => {
    // Answered from the metadata of whichever broker the client asks, which may lag a moment.
    const described = await waitFor('three brokers described', async () => {
      const cluster3 = await admin.describeCluster();
      return cluster3.brokers.length === 3 && cluster3.controller > 0 ? cluster3 : undefined;
    });
    expect(described.brokers.map((b) => b.brokerId)).toEqual([1, 2, 3]);
    expect(described.brokers.every((b) => !b.isFenced && b.port > 0)).toBe(true);
    expect(described.clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    const quorum = await admin.describeQuorum();
    expect(quorum.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
    expect(quorum.leaderId).toBe(described.controller);
    expect(quorum.commitIndex).toBeGreaterThan(0n);
  });

  it('creates, lists, describes, grows, configures and deletes topics', async () => {
    const [created] = await admin.createTopics([{ topic: 'audit', partitions: 2, replicationFactor: 3, configs: { 'retention.ms': '3600000' } }]);
    expect(created).toMatchObject({ topic: 'audit', partitions: 2, replicationFactor: 3 });
    await expect(admin.createTopics([{ topic: 'audit', partitions: 1, replicationFactor: 1 }])).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    // Reads are served from the metadata image of whichever broker answers, which applies a
    // committed change a moment after the controller: wait for it, as a Kafka client would.
    await waitFor('the topic listed', async () => ((await admin.listTopics()).includes('audit') ? true : undefined));
    await admin.createPartitions([{ topic: 'audit', count: 3 }]);
    await expect(admin.createPartitions([{ topic: 'audit', count: 2 }])).rejects.toMatchObject({ code: 'INVALID_PARTITIONS' });
    const described = await waitFor('three online partitions', async () => {
      const [topic] = await admin.describeTopics(['audit']).catch(() => []);
      return topic?.partitions.length === 3 && topic.partitions.every((p) => p.state === 'Online' && p.isr.length === 3) ? topic : undefined;
    });
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);
    expect(described.partitions.every((p) => p.replicas.length === 3)).toBe(true);

    await admin.alterConfigs([{ type: 'topic', name: 'audit', configs: [{ name: 'retention.bytes', value: '1048576' }] }]);
    const overridden = await waitFor('the config override', async () => {
      const [configs] = await admin.describeConfigs([{ type: 'topic', name: 'audit' }]);
      const topicConfigs = Object.fromEntries((configs?.configs ?? []).filter((entry) => entry.source === 'topic').map((entry) => [entry.name, entry.value]));
      return topicConfigs['retention.bytes'] === undefined ? undefined : topicConfigs;
    });
    expect(overridden).toEqual({ 'retention.ms': '3600000', 'retention.bytes': '1048576' });

    await admin.deleteTopics(['audit']);
    await waitFor('the topic gone', async () => ((await admin.listTopics()).includes('audit') ? undefined : true));
    await expect(admin.deleteTopics(['audit'])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
  });

  it('creates a topic with the brokers\' default partition count and replication factor', async () => {
    const [created] = await admin.createTopics([{ topic: 'defaulted' }]);
    expect(created).toMatchObject({ topic: 'defaulted', partitions: 2, replicationFactor: 3 });
    const described = await waitFor('the topic described', async () => (await admin.describeTopics(['defaulted']).catch(() => []))[0]);
    expect(described.partitions.map((p) => p.replicas.length)).toEqual([3, 3]);
  });

  it('creates and grows a topic with explicit replica assignments, and refuses bad ones', async () => {
    const placed = [
      [3, 1],
      [1, 2],
      [2, 3],
    ];
    const [created] = await admin.createTopics([{ topic: 'placed', assignments: placed.map((replicas, partition) => ({ partition, replicas })) }]);
    expect(created).toMatchObject({ topic: 'placed', partitions: 3, replicationFactor: 2 });
    await admin.createPartitions([{ topic: 'placed', count: 4, assignments: [[3, 2]] }]);
    const described = await waitFor('four online partitions in sync', async () => {
      const [topic] = await admin.describeTopics(['placed']).catch(() => []);
      return topic?.partitions.length === 4 && topic.partitions.every((p) => p.state === 'Online' && p.isr.length === 2) ? topic : undefined;
    });
    // Each partition has exactly the replicas asked for, led by the first of them.
    expect(described.partitions.map((p) => [p.partition, p.replicas, p.leader])).toEqual([
      [0, [3, 1], 3],
      [1, [1, 2], 1],
      [2, [2, 3], 2],
      [3, [3, 2], 3],
    ]);
    for (const partition of [0, 1, 2, 3]) {
      const values = [`a${partition}`, `b${partition}`];
      await produce('placed', partition, values);
      expect(await readAll('placed', partition, values.length)).toEqual(values);
    }

    const invalid = { code: 'INVALID_REPLICA_ASSIGNMENT' };
    await expect(admin.createTopics([{ topic: 'misplaced', assignments: [{ partition: 0, replicas: [1, 9] }] }])).rejects.toMatchObject(invalid);
    await expect(admin.createTopics([{ topic: 'misplaced', assignments: [{ partition: 0, replicas: [2, 2] }] }])).rejects.toMatchObject(invalid);
    await expect(admin.createTopics([{ topic: 'misplaced', assignments: [{ partition: 1, replicas: [1] }] }])).rejects.toMatchObject(invalid);
    await expect(admin.createPartitions([{ topic: 'placed', count: 6, assignments: [[1, 2]] }])).rejects.toMatchObject(invalid);
    await expect(admin.createPartitions([{ topic: 'placed', count: 5, assignments: [[1, 2, 3]] }])).rejects.toMatchObject(invalid);
    expect(await admin.listTopics()).not.toContain('misplaced');
    expect((await admin.describeTopics(['placed']))[0]?.partitions).toHaveLength(4);
  });

  it('lists offsets at the start, the end and by timestamp', async () => {
    await createTopic('clock', 1, 3);
    await produce('clock', 0, ['a', 'b'], 1_000);
    await produce('clock', 0, ['c', 'd', 'e'], 2_000);
    const tp = [{ topic: 'clock', partition: 0 }];
    expect((await admin.listOffsets(tp, 'earliest')).map((o) => o.offset)).toEqual([0n]);
    expect((await admin.listOffsets(tp, 'latest')).map((o) => o.offset)).toEqual([5n]);
    expect((await admin.listOffsets(tp, { timestamp: 1_500 })).map((o) => o.offset)).toEqual([2n]);
    expect((await admin.listOffsets(tp, { timestamp: 500 })).map((o) => o.offset)).toEqual([0n]);
  });

  it('alters, describes (with lag), lists and deletes group offsets and groups', async () => {
    await createTopic('ledger', 3, 3);
    for (const partition of [0, 1, 2]) await produce('ledger', partition, Array.from({ length: 10 }, (_, i) => `e${i}`));
    await admin.alterConsumerGroupOffsets('auditors', [
      { topic: 'ledger', partition: 0, offset: 4n },
      { topic: 'ledger', partition: 1, offset: 10n },
    ]);
    const [group] = await admin.describeGroups(['auditors']);
    expect(group?.state).toBe('Empty');
    expect(group?.offsets.map((o) => [o.partition, o.committedOffset, o.logEndOffset, o.lag])).toEqual([
      [0, 4n, 10n, 6n],
      [1, 10n, 10n, 0n],
    ]);
    expect((await admin.listGroups()).map((g) => g.groupId)).toContain('auditors');
    await admin.deleteConsumerGroupOffsets('auditors', [{ topic: 'ledger', partition: 1 }]);
    const [afterDelete] = await admin.describeGroups(['auditors']);
    expect(afterDelete?.offsets.filter((o) => o.committedOffset !== null).map((o) => o.partition)).toEqual([0]);
    await admin.deleteGroups(['auditors']);
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain('auditors');
  });

  it('moves an RF1 partition with its data to another broker and deletes the old copy', async () => {
    await createTopic('moved', 1, 1);
    const from = (await partitionOf('moved', 0)).leader;
    const to = from === 3 ? 1 : from + 1;
    const values = Array.from({ length: 200 }, (_, i) => `m${i}`);
    await produce('moved', 0, values);
    expect(await partitionDirs(from, 'moved', 0)).toEqual(['moved-0']);
    const [fromDir] = await admin.describeLogDirs(from, [{ topic: 'moved', partition: 0 }]);
    expect(fromDir?.path).toBe(cluster.node(from).dataDir);
    expect(fromDir?.totalBytes).toBeGreaterThan(0n);
    expect(fromDir?.partitions).toEqual([{ topic: 'moved', partition: 0, sizeBytes: expect.any(BigInt), logStartOffset: 0n, logEndOffset: 200n, offsetLag: 0n }]);
    expect(fromDir?.partitions[0]?.sizeBytes).toBeGreaterThan(200n * 2n);

    await admin.alterPartitionReassignments([{ topic: 'moved', partition: 0, replicas: [to] }]);
    await waitFor('the move completed', async () => ((await admin.listPartitionReassignments()).length === 0 ? true : undefined));
    const moved = await waitFor('metadata showing the new replica', async () => {
      const partition = await partitionOf('moved', 0);
      return partition.replicas.join() === String(to) && partition.state === 'Online' ? partition : undefined;
    });
    expect(moved).toMatchObject({ leader: to, isr: [to], addingReplicas: [], removingReplicas: [] });
    expect(await readAll('moved', 0, values.length)).toEqual(values);
    expect((await admin.listOffsets([{ topic: 'moved', partition: 0 }], 'latest'))[0]?.offset).toBe(200n);
    await waitFor('the old copy deleted', async () => ((await partitionDirs(from, 'moved', 0)).length === 0 ? true : undefined));
    expect(await partitionDirs(to, 'moved', 0)).toEqual(['moved-0']);
    const [toDir] = await admin.describeLogDirs(to, [{ topic: 'moved', partition: 0 }]);
    expect(toDir?.partitions).toMatchObject([{ topic: 'moved', partition: 0, logEndOffset: 200n, sizeBytes: fromDir?.partitions[0]?.sizeBytes }]);
    expect((await admin.describeLogDirs(from))[0]?.partitions.filter((p) => p.topic === 'moved')).toEqual([]);
  });

  it('moves an RF2 partition off its leader, keeping every acknowledged record', async () => {
    await createTopic('pair', 1, 2);
    const before = await partitionOf('pair', 0);
    const outside = [1, 2, 3].find((id) => !before.replicas.includes(id))!;
    const kept = before.replicas.find((id) => id !== before.leader)!;
    const values = Array.from({ length: 50 }, (_, i) => `p${i}`);
    await produce('pair', 0, values);

    await admin.alterPartitionReassignments([{ topic: 'pair', partition: 0, replicas: [outside, kept] }]);
    const after = await waitFor('the move completed', async () => {
      const partition = await partitionOf('pair', 0);
      return partition.replicas.join() === `${outside},${kept}` && partition.isr.length === 2 ? partition : undefined;
    });
    expect(after.leader).not.toBe(before.leader);
    expect([outside, kept]).toContain(after.leader);
    expect(await readAll('pair', 0, values.length)).toEqual(values);
    await waitFor('the old leader copy deleted', async () => ((await partitionDirs(before.leader, 'pair', 0)).length === 0 ? true : undefined));
  });

  it('refuses invalid reassignments with typed errors', async () => {
    await expect(admin.alterPartitionReassignments([{ topic: 'pair', partition: 0, replicas: [1, 9] }])).rejects.toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(admin.alterPartitionReassignments([{ topic: 'pair', partition: 0, replicas: [1, 1] }])).rejects.toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(admin.alterPartitionReassignments([{ topic: 'pair', partition: 0, replicas: [] }])).rejects.toMatchObject({ code: 'INVALID_REPLICA_ASSIGNMENT' });
    await expect(admin.alterPartitionReassignments([{ topic: 'pair', partition: 7, replicas: [1] }])).rejects.toMatchObject({ code: 'UNKNOWN_TOPIC_OR_PARTITION' });
    await expect(admin.alterPartitionReassignments([{ topic: 'pair', partition: 0, replicas: [1, 2] }], { throttleBytesPerSec: 1_000_000n })).rejects.toMatchObject({
      code: 'INVALID_REQUEST',
    });
    await expect(admin.cancelPartitionReassignments([{ topic: 'pair', partition: 0 }])).rejects.toMatchObject({ code: 'NO_REASSIGNMENT_IN_PROGRESS' });
  });

  it('elects the preferred leader after a reorder of the replicas', async () => {
    await createTopic('ordered', 1, 3);
    const before = await partitionOf('ordered', 0);
    const reordered = [...before.replicas.filter((id) => id !== before.leader), before.leader];
    await admin.alterPartitionReassignments([{ topic: 'ordered', partition: 0, replicas: reordered }]);
    // A reorder has nothing to catch up: it completes at once and leaves the leader where it is.
    const reorderedPartition = await waitFor('the new order', async () => {
      const partition = await partitionOf('ordered', 0);
      return partition.replicas.join() === reordered.join() ? partition : undefined;
    });
    expect(reorderedPartition.leader).toBe(before.leader);
    const elections = await admin.electLeaders({ type: 'preferred', partitions: [{ topic: 'ordered', partition: 0 }] });
    expect(elections).toEqual([{ topic: 'ordered', partition: 0, error: undefined }]);
    await waitFor('the preferred leader', async () => ((await partitionOf('ordered', 0)).leader === reordered[0] ? true : undefined));
  });

  it('lists and cancels a reassignment that cannot finish while its leader is down', async () => {
    const controller = (await admin.describeCluster()).controller;
    await createTopic('stuck', 3, 1);
    const partitions = await Promise.all([0, 1, 2].map((p) => partitionOf('stuck', p)));
    // An RF1 partition on a broker that is not the controller, so stopping it keeps the quorum's leader.
    const stuck = partitions.find((p) => p.leader !== controller)!;
    const home = stuck.leader;
    const target = [1, 2, 3].find((id) => id !== home && id !== controller)!;
    await produce('stuck', stuck.partition, ['x', 'y', 'z']);
    const homeEpoch = (await admin.describeCluster()).brokers.find((b) => b.brokerId === home)?.brokerEpoch;
    await cluster.node(home).kill();

    await admin.alterPartitionReassignments([{ topic: 'stuck', partition: stuck.partition, replicas: [target] }]);
    // The controller's node answers from its metadata image, which applies the commit a moment after the call returns.
    const ongoing = await waitFor('the reassignment listed', async () => {
      const listed = await admin.listPartitionReassignments();
      return listed.length > 0 ? listed : undefined;
    });
    expect(ongoing).toEqual([{ topic: 'stuck', partition: stuck.partition, replicas: [target, home], addingReplicas: [target], removingReplicas: [home] }]);
    expect(await admin.listPartitionReassignments([{ topic: 'stuck', partition: stuck.partition }])).toEqual(ongoing);
    await admin.cancelPartitionReassignments([{ topic: 'stuck', partition: stuck.partition }]);
    await waitFor('no reassignment listed', async () => ((await admin.listPartitionReassignments()).length === 0 ? true : undefined));
    await waitFor('the target copy deleted', async () => ((await partitionDirs(target, 'stuck', stuck.partition)).length === 0 ? true : undefined));

    await cluster.node(home).restart();
    // Running again means a new registration (a new broker epoch) that the controller unfenced.
    await waitFor('the broker registered again and running', async () => {
      const broker = (await admin.describeCluster({ includeFencedBrokers: true })).brokers.find((b) => b.brokerId === home);
      return broker !== undefined && broker.brokerEpoch !== homeEpoch && !broker.isFenced ? true : undefined;
    });
    await waitFor('the partition back online', async () => {
      const partition = await partitionOf('stuck', stuck.partition);
      return partition.replicas.join() === String(home) && partition.state === 'Online' ? true : undefined;
    });
    expect(await readAll('stuck', stuck.partition, 3)).toEqual(['x', 'y', 'z']);
  });

  it('assigns a replica to a fenced broker: it starts out of sync, catches up once back, and then leads as preferred', async () => {
    await waitFor('every broker running', async () => ((await admin.describeCluster({ includeFencedBrokers: true })).brokers.every((b) => !b.isFenced) ? true : undefined));
    const controller = (await admin.describeCluster()).controller;
    // Not the controller, so stopping it keeps the quorum's leader.
    const down = [1, 2, 3].find((id) => id !== controller)!;
    const live = [1, 2, 3].filter((id) => id !== down);
    await cluster.node(down).kill();
    await waitFor('the stopped broker fenced', async () => {
      const broker = (await admin.describeCluster({ includeFencedBrokers: true })).brokers.find((b) => b.brokerId === down);
      return broker?.isFenced === true ? true : undefined;
    });

    await admin.createTopics([{ topic: 'waiting', assignments: [{ partition: 0, replicas: [down, ...live] }] }]);
    const created = await partitionOf('waiting', 0);
    expect(created).toMatchObject({ replicas: [down, ...live], leader: live[0], state: 'Online' });
    expect([...created.isr].sort()).toEqual(live);
    const values = ['w1', 'w2', 'w3'];
    await produce('waiting', 0, values);

    await cluster.node(down).restart();
    await waitFor('the returned replica in sync', async () => ((await partitionOf('waiting', 0)).isr.length === 3 ? true : undefined));
    await admin.electLeaders({ type: 'preferred', partitions: [{ topic: 'waiting', partition: 0 }] });
    await waitFor('the first replica leading', async () => ((await partitionOf('waiting', 0)).leader === down ? true : undefined));
    expect(await readAll('waiting', 0, values.length)).toEqual(values);
  });

  it('decommissions a broker: moves every replica off it, then unregisters it', async () => {
    // The replicas go to the other brokers, which must all be running (one was restarted above).
    await waitFor('every broker running', async () => ((await admin.describeCluster({ includeFencedBrokers: true })).brokers.every((b) => !b.isFenced) ? true : undefined));
    const controller = (await admin.describeCluster()).controller;
    const leaving = [1, 2, 3].find((id) => id !== controller)!;
    const staying = [1, 2, 3].find((id) => id !== controller && id !== leaving)!;
    await expect(admin.unregisterBroker(leaving)).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(admin.unregisterBroker(9)).rejects.toMatchObject({ code: 'BROKER_ID_NOT_REGISTERED' });

    const topics = await admin.describeTopics(await admin.listTopics({ includeInternal: true }));
    const moves = topics.flatMap((topic) =>
      topic.partitions
        .filter((p) => p.replicas.includes(leaving))
        .map((p) => ({ topic: topic.topic, partition: p.partition, replicas: p.replicas.length > 1 ? p.replicas.filter((id) => id !== leaving) : [staying] })),
    );
    expect(moves.map((m) => m.topic)).toContain('__consumer_offsets');
    await admin.alterPartitionReassignments(moves);
    await waitFor('no replica left on the broker', async () => ((await admin.describeLogDirs(leaving))[0]?.partitions.length === 0 ? true : undefined));
    await cluster.node(leaving).kill();
    await admin.unregisterBroker(leaving);
    const remaining = [1, 2, 3].filter((id) => id !== leaving);
    await waitFor('the registration gone', async () => {
      const after = await admin.describeCluster({ includeFencedBrokers: true });
      return after.brokers.map((b) => b.brokerId).join() === remaining.join() ? true : undefined;
    });
  });
});
