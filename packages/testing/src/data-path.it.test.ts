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

describe('produce and consume through an in-process cluster', () => {
  it('acknowledges acks=all produces on RF 3 and reads every record back in order per partition', async () => {
    const c = (cluster = await startCluster({ nodes: 3 }));
    await waitFor('three running brokers', () => (c.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
    const client = (eddy = new Eddy({ bootstrapServers: c.bootstrapServers.split(','), clientId: 'it' }));
    const admin = client.admin();
    await admin.createTopics([{ topic: 'orders', partitions: 3, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    const [described] = await admin.describeTopics(['orders']);
    expect(described?.partitions.map((p) => p.leader).sort()).toEqual([1, 2, 3]);

    const producer = client.producer({ acks: 'all' });
    const count = 3_000;
    const sent = await Promise.all(
      Array.from({ length: count / 100 }, (_, batch) =>
        producer.send({ topic: 'orders', messages: Array.from({ length: 100 }, (_, i) => ({ key: `k${(batch * 100 + i) % 17}`, value: `v${batch * 100 + i}` })) }),
      ),
    );
    const metadata = sent.flat();
    expect(metadata).toHaveLength(count);
    await producer.close();

    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign([0, 1, 2].map((partition) => ({ topic: 'orders', partition })));
    const seen = new Map<number, bigint[]>();
    let received = 0;
    const deadline = Date.now() + 30_000;
    while (received < count && Date.now() < deadline) {
      for (const record of await consumer.poll({ maxRecords: 500, timeoutMs: 1_000 })) {
        const offsets = seen.get(record.partition) ?? [];
        offsets.push(record.offset);
        seen.set(record.partition, offsets);
        received++;
      }
    }
    await consumer.close();
    expect(received).toBe(count);
    for (const [partition, offsets] of seen) {
      expect(offsets).toEqual(offsets.map((_, i) => BigInt(i)));
      expect(offsets).toHaveLength(metadata.filter((m) => m.partition === partition).length);
    }
  });
});
