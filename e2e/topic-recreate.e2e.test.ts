import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Admin, Eddy } from '@eddy/client';
import { describe, expect, it } from 'vitest';
import { closeAfterEach } from './support/close-after-each.js';
import { describePartitions, eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

/**
 * The broker killed below must stay registered and unfenced while the topic is deleted and
 * recreated, so the recreated topic (RF 3 on 3 brokers) is placed on it again and it restarts
 * to find the old topic's directories under the new topic's partition names.
 */
const settings = {
  'broker.session.timeout.ms': '120000',
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '3000',
};
const topic = 't';
const partitions = [0, 1, 2];
const brokers = [1, 2, 3];
const oldRecordsPerPartition = 40;
const newRecordsPerRound = 5;

const closing = closeAfterEach();

async function produce(client: Eddy, partition: number, values: readonly string[]): Promise<void> {
  const producer = client.producer({ acks: 'all' });
  try {
    await producer.send({ topic, messages: values.map((value) => ({ value, partition })) });
  } finally {
    await producer.close();
  }
}

/** Makes `leader` the partition's leader: first in its replicas, then a preferred election. */
async function moveLeadership(c: ProcessCluster, admin: Admin, partition: number, leader: number): Promise<void> {
  const replicas = [leader, ...brokers.filter((broker) => broker !== leader)];
  await admin.alterPartitionReassignments([{ topic, partition, replicas }]);
  await waitFor(
    `broker ${leader} leading ${topic}-${partition}`,
    async () => {
      const [result] = await admin.electLeaders({ type: 'preferred', partitions: [{ topic, partition }] });
      if (result?.error !== undefined) throw result.error;
      const described = await describePartitions(c, topic);
      return described?.[partition]?.leader === leader ? true : undefined;
    },
    30_000,
    200,
  );
}

describe('a topic deleted and recreated while one of its brokers is down', () => {
  it('is served from every replica with only the new topic data once the broker is back', async () => {
    const c = closing(await ProcessCluster.start({ nodes: 3, settings }));
    await waitForRunningBrokers(c, 3);
    const client = closing(new Eddy({ bootstrapServers: c.bootstrapServers, clientId: 'topic-recreate-e2e', requestTimeoutMs: 10_000 }));
    const admin = client.admin();
    await eddyUntilOk(c, ['topics', 'create', '--topic', topic, '--partitions', '3', '--replication-factor', '3']);
    await waitFor('the old topic fully in sync', async () => {
      const described = await describePartitions(c, topic);
      return described?.every((p) => p.leader > 0 && p.isr.length === 3) === true ? true : undefined;
    }, 30_000);
    // acks=all with the full ISR: every broker holds the old records.
    for (const p of partitions) await produce(client, p, Array.from({ length: oldRecordsPerPartition }, (_, i) => `old-${p}-${i}`));

    const quorum = JSON.parse(await eddyUntilOk(c, ['quorum', 'describe', '--status', '--json'])) as { leaderId: number };
    const victim = brokers.find((broker) => broker !== quorum.leaderId) as number;
    await c.node(victim).kill();

    await admin.deleteTopics([topic]);
    const created = await waitFor(
      'the topic created again',
      async () => (await admin.createTopics([{ topic, partitions: 3, replicationFactor: 3 }]))[0],
      30_000,
      200,
    );
    const placed = await waitFor('the new topic placed', async () => {
      const described = await describePartitions(c, topic);
      return described?.length === 3 && described.every((p) => p.leader > 0) ? described : undefined;
    }, 30_000);
    for (const p of placed) expect([...p.replicas].sort()).toEqual(brokers);

    // New records where a live broker leads: the victim will come back as a follower holding
    // a longer log of the same leader epoch (the old topic's), the case that could fork data.
    const expected = new Map<number, string[]>(partitions.map((p) => [p, []]));
    const produceRound = async (round: number, only: readonly number[]): Promise<void> => {
      for (const p of only) {
        const values = Array.from({ length: newRecordsPerRound }, (_, i) => `new-${p}-${round}-${i}`);
        await produce(client, p, values);
        expected.get(p)?.push(...values);
      }
    };
    await produceRound(0, placed.filter((p) => p.leader !== victim).map((p) => p.partition));

    c.node(victim).start();
    await waitForRunningBrokers(c, 3);
    // The partition the victim leads was offline until now; it takes records again.
    await waitFor('every partition led', async () => {
      const described = await describePartitions(c, topic);
      return described?.every((p) => p.state === 'Online') === true ? true : undefined;
    }, 30_000);
    await produceRound(1, partitions);
    await waitFor('the victim back in every ISR', async () => {
      const described = await describePartitions(c, topic);
      return described?.every((p) => p.isr.length === 3) === true ? true : undefined;
    }, 30_000, 200);

    for (const p of partitions) {
      const metadata = await readFile(join(c.root, `node-${victim}`, `${topic}-${p}`, 'partition.metadata'), 'utf8');
      expect(metadata).toBe(`version: 0\ntopic_id: ${created.topicId}\n`);
    }
    for (const p of partitions) {
      for (const broker of brokers) {
        await moveLeadership(c, admin, p, broker);
        const [latest] = await admin.listOffsets([{ topic, partition: p }], 'latest');
        expect(latest?.offset, `log end of ${topic}-${p} on broker ${broker}`).toBe(BigInt(expected.get(p)?.length ?? 0));
        const consumed = await c.eddy(['consume', '--topic', topic, '--partition', String(p), '--offset', '0', '--timeout-ms', '1000']);
        expect(consumed.code, consumed.stderr).toBe(0);
        expect(consumed.stdout.split('\n').filter((line) => line !== ''), `${topic}-${p} read from broker ${broker}`).toEqual(expected.get(p));
      }
    }
  }, 240_000);
});
