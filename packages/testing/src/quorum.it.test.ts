import { Eddy } from '@eddy/client';
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

describe('fencing a crashed broker', () => {
  it('fences a killed broker well before its session expires, because its listener refuses connections', async () => {
    // A 60 s session: only the controller's probe of the silent broker's listener can fence it in time.
    const c = (cluster = await startCluster({ nodes: 3, settings: { 'broker.session.timeout.ms': '60000', 'broker.heartbeat.interval.ms': '500' } }));
    const controllerId = await waitFor('an active controller', () => activeController(c));
    await waitFor('three running brokers', () => (c.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
    const victim = c.nodes.find((n) => n.nodeId !== controllerId)!;
    const controller = c.node(controllerId).node!;
    await victim.kill();
    await waitFor('the killed broker fenced', () => (controller.metadataImage.brokers.get(victim.nodeId)?.fenced === true ? true : undefined), 15_000);
    const survivor = c.nodes.find((n) => n.nodeId !== controllerId && n.nodeId !== victim.nodeId)!;
    expect(controller.metadataImage.brokers.get(survivor.nodeId)?.fenced).toBe(false);
  });
});

describe('voter changes', () => {
  it('adds a broker-only node as an observer, promotes it to voter and removes another voter', async () => {
    const c = (cluster = await startCluster({ nodes: 4, voters: 3 }));
    const eddy = new Eddy({ bootstrapServers: c.bootstrapServers.split(','), clientId: 'voters' });
    try {
      const admin = eddy.admin();
      const observing = await waitFor('node 4 observing the quorum', async () => {
        const quorum = await admin.describeQuorum().catch(() => undefined);
        return quorum?.observers.some((o) => o.replicaId === 4) === true ? quorum : undefined;
      });
      expect(observing.voters.map((v) => v.replicaId)).toEqual([1, 2, 3]);
      await waitFor('node 4 running as a broker', () => (c.node(4).node?.brokerState === 'running' ? true : undefined));

      await admin.addVoter(4);
      const grown = await admin.describeQuorum();
      expect(grown.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3, 4]);
      expect(grown.observers.map((o) => o.replicaId)).not.toContain(4);

      const removed = grown.leaderId === 1 ? 2 : 1;
      await admin.removeVoter(removed);
      const shrunk = await waitFor('the removal to take effect', async () => {
        const quorum = await admin.describeQuorum().catch(() => undefined);
        return quorum !== undefined && !quorum.voters.some((v) => v.replicaId === removed) ? quorum : undefined;
      });
      expect(shrunk.voters.map((v) => v.replicaId).sort()).toEqual([1, 2, 3, 4].filter((id) => id !== removed));
    } finally {
      await eddy.close();
    }
  });
});
