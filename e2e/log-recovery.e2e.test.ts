import { Eddy } from '@eddy/client';
import { appendFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function produceAcked(bootstrap: string, topic: string, from: number, count: number): Promise<void> {
  const eddy = new Eddy({ bootstrapServers: bootstrap.split(','), clientId: 'recovery-producer' });
  try {
    const producer = eddy.producer({ acks: 'all' });
    await Promise.all(Array.from({ length: count / 100 }, (_, b) => producer.send({ topic, messages: Array.from({ length: 100 }, (_, i) => ({ value: `record-${from + b * 100 + i}` })) })));
    await producer.close();
  } finally {
    await eddy.close();
  }
}

async function consumeAll(bootstrap: string, topic: string, expected: number): Promise<string[]> {
  const eddy = new Eddy({ bootstrapServers: bootstrap.split(','), clientId: 'recovery-consumer' });
  try {
    const consumer = eddy.consumer({ fromBeginning: true });
    await consumer.assign([{ topic, partition: 0 }]);
    const values: string[] = [];
    const deadline = Date.now() + 30_000;
    while (values.length < expected && Date.now() < deadline) {
      for (const record of await consumer.poll({ maxRecords: 1_000, timeoutMs: 500 })) values.push(record.value?.toString('utf8') ?? '');
    }
    await consumer.close();
    return values;
  } finally {
    await eddy.close();
  }
}

async function waitForLeader(c: ProcessCluster, topic: string): Promise<void> {
  await waitFor(
    `a leader for ${topic}`,
    async () => {
      const result = await c.eddy(['topics', 'describe', '--topic', topic]);
      return result.code === 0 && result.stdout.includes('State: Online') ? true : undefined;
    },
    30_000,
  );
}

describe('partition log recovery of a one-node cluster', () => {
  it('keeps every acked record across SIGKILL, and starts after garbage is appended to the active segment', async () => {
    const c = (cluster = await ProcessCluster.start({ nodes: 1 }));
    await waitFor(
      'topic creation',
      async () => ((await c.eddy(['topics', 'create', '--topic', 'durable', '--partitions', '1', '--replication-factor', '1'])).code === 0 ? true : undefined),
      30_000,
    );
    await waitForLeader(c, 'durable');
    await produceAcked(c.bootstrapServers, 'durable', 0, 5_000);

    await c.node(1).kill();
    c.node(1).start();
    await waitForLeader(c, 'durable');
    expect(await consumeAll(c.bootstrapServers, 'durable', 5_000)).toEqual(Array.from({ length: 5_000 }, (_, i) => `record-${i}`));

    // A torn write at the tail: random bytes after the last batch of the active segment.
    await c.node(1).kill();
    const partitionDir = join(c.root, 'node-1', 'durable-0');
    const segments = (await readdir(partitionDir)).filter((name) => name.endsWith('.log')).sort();
    const active = segments.at(-1);
    expect(active).toBeDefined();
    await appendFile(join(partitionDir, active!), Buffer.from(Array.from({ length: 777 }, (_, i) => (i * 131 + 7) % 256)));
    c.node(1).start();
    await waitForLeader(c, 'durable');
    await produceAcked(c.bootstrapServers, 'durable', 5_000, 1_000);
    expect(await consumeAll(c.bootstrapServers, 'durable', 6_000)).toEqual(Array.from({ length: 6_000 }, (_, i) => `record-${i}`));
  });
});
