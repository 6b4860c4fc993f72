import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './start-cluster.js';
import { waitFor } from './wait-for.js';

let cluster: TestCluster | undefined;
afterEach(async () => {
  await cluster?.close();
  cluster = undefined;
});

function activeController(c: TestCluster): number | undefined {
  const active = c.nodes.filter((n) => n.node?.isActiveController === true);
  return active.length === 1 ? active[0]?.nodeId : undefined;
}

describe('the metadata quorum of an in-process cluster', () => {
  it('elects one controller, registers every broker, and survives the loss of the leader', async () => {
    const c = (cluster = await startCluster({ nodes: 3, settings: { 'broker.session.timeout.ms': '3000', 'broker.heartbeat.interval.ms': '500' } }));
    const first = await waitFor('an active controller', () => activeController(c));
    await waitFor('three running brokers', () => (c.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
    const leaderNode = c.node(first).node!;
    const clusterId = leaderNode.metadataImage.clusterId;
    expect(clusterId).toMatch(/^[A-Za-z0-9_-]{22}$/);
    for (const n of c.nodes) expect(n.node!.metadataImage.brokers.size).toBe(3);

    await c.node(first).kill();
    const second = await waitFor('a new active controller', () => {
      const id = activeController(c);
      return id !== undefined && id !== first ? id : undefined;
    });
    const survivor = c.node(second).node!;
    // Committed metadata survives: same cluster, every registration still there.
    expect(survivor.metadataImage.clusterId).toBe(clusterId);
    expect([...survivor.metadataImage.brokers.keys()].sort()).toEqual([1, 2, 3]);
    // The dead broker is fenced once its session expires.
    await waitFor('the killed broker fenced', () => (survivor.metadataImage.brokers.get(first)?.fenced === true ? true : undefined));

    await c.node(first).restart();
    const rejoined = c.node(first).node!;
    await waitFor('the old leader back as a running broker', () => (rejoined.brokerState === 'running' ? true : undefined));
    expect(rejoined.isActiveController).toBe(false);
    await waitFor('the rejoined node to catch up', () => (rejoined.metadataImage.offset >= survivor.metadataImage.offset - 2 && rejoined.metadataImage.clusterId === clusterId ? true : undefined));
    expect(activeController(c)).toBe(second);
  });
});
