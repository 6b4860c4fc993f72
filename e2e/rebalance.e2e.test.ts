import { describe, expect, it } from 'vitest';
import { type DescribedPartition, eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import type { ProcessCluster } from './support/eddy-cluster.js';
import { sharedCluster } from './support/shared-cluster.js';
import { waitFor } from './support/wait.js';

// Three controllers and a broker-only node 4, with a small __consumer_offsets so the moves stay few.
const running = sharedCluster({ nodes: 4, voters: 3, settings: { 'offsets.topic.num.partitions': '3' } }, (cluster) => waitForRunningBrokers(cluster, 4));

interface DescribedTopic {
  readonly topic: { readonly topic: string; readonly partitions: DescribedPartition[] };
}

/** Every partition of every topic (internal ones too), per `eddy topics describe --json`. */
async function allPartitions(c: ProcessCluster): Promise<{ topic: string; partition: DescribedPartition }[]> {
  const described = JSON.parse(await eddyUntilOk(c, ['topics', 'describe', '--json'])) as DescribedTopic[];
  return described.flatMap(({ topic }) => topic.partitions.map((partition) => ({ topic: topic.topic, partition })));
}

function replicasPerBroker(partitions: readonly { partition: DescribedPartition }[]): Map<number, number> {
  const counts = new Map<number, number>();
  for (const { partition } of partitions) for (const id of partition.replicas) counts.set(id, (counts.get(id) ?? 0) + 1);
  return counts;
}

const records = (topic: string, count: number): string[] => Array.from({ length: count }, (_, i) => `${topic} record ${i}`);

async function produce(c: ProcessCluster, topic: string, lines: readonly string[]): Promise<void> {
  const produced = await c.eddy(['produce', '--topic', topic, '--acks', 'all'], { input: `${lines.join('\n')}\n` });
  expect(produced.stderr).toBe('');
  expect(produced.code).toBe(0);
}

async function expectReadable(c: ProcessCluster, topic: string, lines: readonly string[], group?: string): Promise<void> {
  const consumed = await c.eddy(['consume', '--topic', topic, '--from-beginning', '--max-messages', String(lines.length), '--timeout-ms', '20000', ...(group === undefined ? [] : ['--group', group])], {
    timeoutMs: 30_000,
  });
  expect(consumed.stderr).toBe(`Processed a total of ${lines.length} messages\n`);
  expect(consumed.code).toBe(0);
  expect(consumed.stdout.split('\n').slice(0, -1).sort()).toEqual([...lines].sort());
}

describe('eddy rebalance and eddy brokers decommission against real processes', () => {
  it('spreads replicas onto a new broker, then drains it and removes it, with every record readable', async () => {
    const c = running();
    // Topics created while broker 4 is down land on brokers 1-3 only.
    await c.node(4).stop();
    await waitForRunningBrokers(c, 3);
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'orders', '--partitions', '6', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);
    await eddyUntilOk(c, ['topics', 'create', '--topic', 'logs', '--partitions', '4', '--replication-factor', '2']);
    const orders = records('orders', 300);
    const logs = records('logs', 200);
    await produce(c, 'orders', orders);
    await produce(c, 'logs', logs);
    c.node(4).start();
    await waitForRunningBrokers(c, 4);
    // (__consumer_offsets may have been created before broker 4 stopped: the controller creates it eagerly.)
    expect(replicasPerBroker((await allPartitions(c)).filter((p) => p.topic !== '__consumer_offsets')).get(4)).toBeUndefined();

    // Without --execute nothing changes.
    const before = await allPartitions(c);
    const dryRun = await c.eddy(['rebalance']);
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
    expect(dryRun.stdout).toMatch(/^BROKER\s+RACK\s+REPLICAS\s+LEADERS\s+PLANNED-REPLICAS\s+PLANNED-LEADERS\n/);
    expect(dryRun.stdout).toContain('Run again with --execute');
    expect((await allPartitions(c)).map((p) => p.partition.replicas)).toEqual(before.map((p) => p.partition.replicas));
    const planned = JSON.parse((await c.eddy(['rebalance', '--json'])).stdout) as {
      balanced: boolean;
      brokers: { brokerId: number; replicas: number; plannedReplicas: number }[];
      changes: { replicas: number[]; newReplicas: number[]; movesData: boolean }[];
    };
    expect(planned.balanced).toBe(false);
    // Fewest moves: broker 4 is the only light one, so every move lands on it until it holds its even share.
    const total = planned.brokers.reduce((sum, broker) => sum + broker.replicas, 0);
    const moves = planned.changes.filter((change) => change.movesData);
    for (const move of moves) expect(move.newReplicas.filter((id) => !move.replicas.includes(id))).toEqual([4]);
    const broker4 = planned.brokers.find((broker) => broker.brokerId === 4);
    expect([Math.floor(total / 4), Math.ceil(total / 4)]).toContain(broker4?.plannedReplicas);
    expect(moves).toHaveLength((broker4?.plannedReplicas ?? 0) - (broker4?.replicas ?? 0));
    const dataMoves = moves.length;

    const executed = await c.eddy(['rebalance', '--execute', '--max-concurrent-moves', '3'], { timeoutMs: 60_000 });
    expect(executed.stderr).toBe('');
    expect(executed.code).toBe(0);
    expect(executed.stdout).toContain(`Wave ${Math.ceil(dataMoves / 3)}/${Math.ceil(dataMoves / 3)} done in`);
    expect(executed.stdout).toMatch(/Rebalance complete: \d+ replica move\(s\)/);
    const waves = executed.stdout.split('\n').filter((line) => /^Wave \d+\/\d+: moving /.test(line));
    expect(waves.map((line) => line.split('; ').length).reduce((sum, n) => sum + n, 0)).toBe(dataMoves);
    for (const wave of waves) expect(wave.split('; ').length).toBeLessThanOrEqual(3);
    const counts = [...replicasPerBroker(await allPartitions(c)).values()];
    expect(counts).toHaveLength(4);
    expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    // Planning again finds nothing to do once every node has seen the elections.
    await waitFor('a balanced cluster', async () => ((await c.eddy(['rebalance'])).stdout.includes('The cluster is balanced: nothing to move.') ? true : undefined), 15_000, 200);
    const leaders = new Map<number, number>();
    for (const { partition } of await allPartitions(c)) leaders.set(partition.leader, (leaders.get(partition.leader) ?? 0) + 1);
    expect([...leaders.keys()].sort()).toEqual([1, 2, 3, 4]);
    expect(Math.max(...leaders.values()) - Math.min(...leaders.values())).toBeLessThanOrEqual(1);
    await expectReadable(c, 'orders', orders, 'audit');
    await expectReadable(c, 'logs', logs);

    // Bad requests fail with one line and change nothing.
    const unknown = await c.eddy(['brokers', 'decommission', '--broker-id', '9']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toBe('error: BROKER_ID_NOT_REGISTERED: broker 9 is not registered\n');
    const voter = await c.eddy(['brokers', 'decommission', '--broker-id', '1']);
    expect(voter.code).not.toBe(0);
    expect(voter.stderr).toMatch(/^error: INVALID_REQUEST: broker 1 is a controller voter; remove it from the quorum first .*\n$/);

    // Decommission waits for the emptied broker's process to stop before it unregisters it.
    const decommission = c.eddy(['brokers', 'decommission', '--broker-id', '4', '--max-concurrent-moves', '3'], { timeoutMs: 60_000 });
    await waitFor('broker 4 emptied', async () => (replicasPerBroker(await allPartitions(c)).has(4) ? undefined : true), 45_000, 200);
    await c.node(4).stop();
    const decommissioned = await decommission;
    expect(decommissioned.stderr).toBe('');
    expect(decommissioned.code).toBe(0);
    expect(decommissioned.stdout).toContain('Broker 4 holds no replicas and leads no partition');
    expect(decommissioned.stdout.trim().split('\n').at(-1)).toMatch(/^Broker 4 decommissioned: \d+ replica\(s\) moved off it, and it is unregistered from the cluster$/);

    const listed = JSON.parse(await eddyUntilOk(c, ['brokers', 'list', '--json'])) as { id: number }[];
    expect(listed.map((broker) => broker.id)).toEqual([1, 2, 3]);
    const after = await allPartitions(c);
    expect(after.some((p) => p.topic === '__consumer_offsets')).toBe(true);
    for (const { topic, partition } of after) {
      expect(partition.replicas, `${topic}-${partition.partition}`).not.toContain(4);
      expect(partition.replicas.length, `${topic}-${partition.partition}`).toBe(topic === 'logs' ? 2 : 3);
    }
    await expectReadable(c, 'orders', orders);
    await expectReadable(c, 'logs', logs);
    const offsets = await eddyUntilOk(c, ['groups', 'describe', '--group', 'audit']);
    expect(offsets).toContain('orders');
  }, 90_000);
});
