import { afterEach, describe, expect, it } from 'vitest';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

interface QuorumStatus {
  readonly leaderId: number;
  readonly leaderEpoch: number;
  readonly highWatermark: number;
  readonly currentVoters: number[];
}

let cluster: ProcessCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

async function quorumStatus(c: ProcessCluster): Promise<QuorumStatus | undefined> {
  const result = await c.eddy(['quorum', 'describe', '--status', '--json'], { timeoutMs: 15_000 });
  if (result.code !== 0) return undefined;
  const status = JSON.parse(result.stdout) as QuorumStatus;
  return status.leaderId > 0 ? status : undefined;
}

describe('the metadata quorum of real eddy processes', () => {
  it('elects a leader, survives SIGKILL of the leader without losing metadata, and takes the old leader back as a follower', async () => {
    const c = (cluster = await ProcessCluster.start({ nodes: 3, settings: { 'broker.session.timeout.ms': '3000', 'broker.heartbeat.interval.ms': '500' } }));
    const first = await waitFor('a quorum leader', () => quorumStatus(c), 30_000);
    expect(first.currentVoters).toEqual([1, 2, 3]);

    // Committed metadata written before the failure.
    const created = await waitFor(
      'topic creation',
      async () => {
        const result = await c.eddy(['topics', 'create', '--topic', 'before-failover', '--partitions', '3', '--replication-factor', '3']);
        return result.code === 0 ? result : undefined;
      },
      30_000,
    );
    expect(created.stdout).toContain('Created topic before-failover.');

    await c.node(first.leaderId).kill();
    const second = await waitFor(
      'a new quorum leader',
      async () => {
        const status = await quorumStatus(c);
        return status !== undefined && status.leaderId !== first.leaderId ? status : undefined;
      },
      30_000,
    );
    expect(second.leaderEpoch).toBeGreaterThan(first.leaderEpoch);
    const listed = await c.eddy(['topics', 'list']);
    expect(listed.code).toBe(0);
    expect(listed.stdout.split('\n')).toContain('before-failover');

    c.node(first.leaderId).start();
    const replication = await waitFor(
      'the old leader caught up as a follower',
      async () => {
        const result = await c.eddy(['quorum', 'describe', '--replication', '--json']);
        if (result.code !== 0) return undefined;
        const rows = JSON.parse(result.stdout) as Array<{ nodeId: number; lag: number; status: string }>;
        const old = rows.find((row) => row.nodeId === first.leaderId);
        return old !== undefined && old.status === 'Follower' && old.lag === 0 ? rows : undefined;
      },
      30_000,
    );
    expect(replication.filter((row) => row.status === 'Leader')).toHaveLength(1);
  });
});
