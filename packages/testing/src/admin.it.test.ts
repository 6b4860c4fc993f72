import { Eddy } from '@eddy/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './start-cluster.js';
import { waitFor } from './wait-for.js';

let cluster: TestCluster | undefined;
let eddy: Eddy | undefined;
afterEach(async () => {
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

describe('the admin API against an in-process 3-node cluster', () => {
  it('manages topics, configs, offsets, groups and leaders, and describes the cluster and quorum', async () => {
    const c = (cluster = await startCluster({ nodes: 3, settings: { 'group.initial.rebalance.delay.ms': '0' } }));
    await waitFor('three running brokers', () => (c.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
    const client = (eddy = new Eddy({ bootstrapServers: c.bootstrapServers.split(','), clientId: 'admin-it' }));
    const admin = client.admin();

    const cluster3 = await admin.describeCluster();
    expect(cluster3.brokers.map((b) => b.brokerId)).toEqual([1, 2, 3]);
    expect(cluster3.controller).toBeGreaterThan(0);
    const quorum = await admin.describeQuorum();
    expect(quorum.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3]);
    expect(quorum.leaderId).toBe(cluster3.controller);

    const [created] = await admin.createTopics([{ topic: 'audit', partitions: 2, replicationFactor: 3, configs: { 'retention.ms': '3600000' } }]);
    expect(created).toMatchObject({ topic: 'audit', partitions: 2, replicationFactor: 3 });
    await expect(admin.createTopics([{ topic: 'audit', partitions: 1, replicationFactor: 1 }])).rejects.toMatchObject({ code: 'TOPIC_ALREADY_EXISTS' });
    // Reads are served from the metadata image of whichever broker answers, which applies a
    // committed change a moment after the controller: wait for it, as a Kafka client would.
    await waitFor('the topic listed', async () => ((await admin.listTopics()).includes('audit') ? true : undefined));
    await admin.createPartitions([{ topic: 'audit', count: 3 }]);
    const described = await waitFor('three online partitions', async () => {
      const [topic] = await admin.describeTopics(['audit']);
      return topic?.partitions.length === 3 && topic.partitions.every((p) => p.state === 'Online' && p.isr.length === 3) ? topic : undefined;
    });
    expect(described.partitions.map((p) => p.partition)).toEqual([0, 1, 2]);

    await admin.alterConfigs([{ type: 'topic', name: 'audit', configs: [{ name: 'retention.bytes', value: '1048576' }] }]);
    const overridden = await waitFor('the config override', async () => {
      const [configs] = await admin.describeConfigs([{ type: 'topic', name: 'audit' }]);
      const topicConfigs = Object.fromEntries((configs?.configs ?? []).filter((entry) => entry.source === 'topic').map((entry) => [entry.name, entry.value]));
      return topicConfigs['retention.bytes'] === undefined ? undefined : topicConfigs;
    });
    expect(overridden).toEqual({ 'retention.ms': '3600000', 'retention.bytes': '1048576' });

    const producer = client.producer({ acks: 'all' });
    await producer.send({ topic: 'audit', messages: Array.from({ length: 30 }, (_, i) => ({ value: `e${i}`, partition: i % 3 })) });
    await producer.close();
    const partitions = [0, 1, 2].map((partition) => ({ topic: 'audit', partition }));
    expect((await admin.listOffsets(partitions, 'latest')).map((o) => o.offset)).toEqual([10n, 10n, 10n]);
    expect((await admin.listOffsets(partitions, 'earliest')).map((o) => o.offset)).toEqual([0n, 0n, 0n]);

    await admin.alterConsumerGroupOffsets('auditors', [
      { topic: 'audit', partition: 0, offset: 4n },
      { topic: 'audit', partition: 1, offset: 10n },
    ]);
    const [group] = await admin.describeGroups(['auditors']);
    const lag = new Map(group?.offsets.map((o) => [o.partition, o.lag]));
    expect(lag.get(0)).toBe(6n);
    expect(lag.get(1)).toBe(0n);
    expect((await admin.listGroups()).map((g) => g.groupId)).toContain('auditors');
    await admin.deleteConsumerGroupOffsets('auditors', [{ topic: 'audit', partition: 1 }]);
    const [afterDelete] = await admin.describeGroups(['auditors']);
    expect(afterDelete?.offsets.filter((o) => o.committedOffset !== null).map((o) => o.partition)).toEqual([0]);
    await admin.deleteGroups(['auditors']);
    expect((await admin.listGroups()).map((g) => g.groupId)).not.toContain('auditors');

    const elections = await admin.electLeaders({ type: 'preferred' });
    for (const election of elections) expect(election.error).toBeUndefined();

    await admin.deleteTopics(['audit']);
    await waitFor('the topic gone', async () => ((await admin.listTopics()).includes('audit') ? undefined : true));
  });
});
