import { Eddy, type Producer } from '@eddy/client';
import { type Connection, type ErrorCodeName, errorCodeByName } from '@eddy/protocol';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AckLedger, ackedRecordProblems, readAllRecords } from './support/acked-records.js';
import { type DescribedPartition, describePartitions, eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { eddyBin } from './support/eddy-process.js';
import { NetnsNetwork } from './support/netns.js';
import { onlyPartition, produceRequest, produceStream, rawConnection, recordBatch } from './support/raw-client.js';
import { waitFor } from './support/wait.js';

/*
 * A real network partition between real processes: each broker runs in a network namespace of
 * its own (see NetnsNetwork), joined to the others through a bridge. Isolating the victim
 * detaches its bridge port, so it and the other two brokers silently stop hearing each other,
 * while the test process keeps a direct link to every broker: it can still send produces to
 * the victim, and its SDK producers can reach the new leaders.
 */

const sessionTimeoutMs = 2_000;
const heartbeatIntervalMs = 400;
const settings = {
  'broker.session.timeout.ms': String(sessionTimeoutMs),
  'broker.heartbeat.interval.ms': String(heartbeatIntervalMs),
  'replica.lag.time.max.ms': '3000',
};
const topic = 'isolated';
const partitions = [0, 1, 2];
const recordsPerSend = 20;
/** Bounds each partition's producer loop (it normally stops long before, when told to). */
const sendsPerPartitionMax = 5_000;
/** Produces sent straight to the isolated leader while it is cut off. */
const isolatedSends = 5;
/** How long the isolated leader is asked to wait for its followers on each acks=all produce. */
const victimAckTimeoutMs = 3_000;
/** Error codes an acks=all produce may fail with at a leader that cannot reach its followers or the controller. */
const isolatedFailureCodes: readonly ErrorCodeName[] = ['REQUEST_TIMED_OUT', 'NOT_ENOUGH_REPLICAS', 'NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'NOT_LEADER_OR_FOLLOWER', 'FENCED_LEADER_EPOCH'];

let network: NetnsNetwork | undefined;
let cluster: ProcessCluster | undefined;
const clients: Eddy[] = [];
const connections: Connection[] = [];
afterEach(async () => {
  for (const connection of connections.splice(0)) connection.close();
  await Promise.all(clients.splice(0).map((client) => client.close()));
  try {
    // Processes first: a namespace with processes in it outlives its removal.
    await cluster?.close();
  } finally {
    await network?.destroy();
    cluster = undefined;
    network = undefined;
  }
});

/** Sends `p:n` records to one partition, one send at a time, until `stop()`; notes every acknowledgement. */
async function producePartition(producer: Producer, partition: number, ledger: AckLedger, stop: () => boolean): Promise<void> {
  for (let send = 0; send < sendsPerPartitionMax && !stop(); send++) {
    const values = Array.from({ length: recordsPerSend }, (_, i) => `${partition}:${send * recordsPerSend + i}`);
    const metadata = await producer.send({ topic, messages: values.map((value) => ({ value, partition })) });
    ledger.add(partition, values, metadata.map((m) => m.offset));
  }
}

/** Bytes of the partition's log segments in `nodeDir` (the data directory of one node). */
async function partitionLogBytes(nodeDir: string, partition: number): Promise<number> {
  const wanted = `${topic}-${partition}`;
  const find = async (dir: string, depth: number): Promise<string | undefined> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      if (entry.name === wanted) return join(dir, entry.name);
      const inner = depth > 0 ? await find(join(dir, entry.name), depth - 1) : undefined;
      if (inner !== undefined) return inner;
    }
    return undefined;
  };
  const dir = await find(nodeDir, 2);
  if (dir === undefined) throw new Error(`no ${wanted} directory under ${nodeDir}`);
  const segments = (await readdir(dir)).filter((name) => name.endsWith('.log'));
  const sizes = await Promise.all(segments.map(async (name) => (await stat(join(dir, name))).size));
  return sizes.reduce((sum, size) => sum + size, 0);
}

describe('a partition leader isolated from the other brokers (real processes in network namespaces)', () => {
  it('acknowledges no acks=all produce while cut off, is replaced from the ISR, and truncates its unacknowledged tail when it rejoins', async () => {
    const net = (network = await NetnsNetwork.create(3));
    const c = (cluster = await ProcessCluster.start({
      nodes: 3,
      settings,
      hosts: net.hosts.map((host) => ({ address: host.address, commandPrefix: net.execPrefix(host) })),
    }));
    // `ip netns exec` execs: the process the test signals is eddy itself, inside its namespace.
    for (const host of net.hosts) {
      const pid = c.node(host.index).pid ?? -1;
      expect(await net.namespaceOf(pid)).toBe(host.namespace);
      expect(await readFile(`/proc/${pid}/cmdline`, 'utf8')).toContain(eddyBin);
    }
    await waitForRunningBrokers(c, 3);
    await eddyUntilOk(c, ['topics', 'create', '--topic', topic, '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);
    const placed = await waitFor(
      `${topic} online with full ISRs`,
      async () => {
        const described = await describePartitions(c, topic);
        return described?.length === 3 && described.every((p) => p.state === 'Online' && p.isr.length === 3) ? described : undefined;
      },
      30_000,
    );

    // The victim leads a partition and is not the active controller: losing the controller is
    // the quorum test's subject; here the controller must see the victim go silent.
    const quorum = JSON.parse(await eddyUntilOk(c, ['quorum', 'describe', '--status', '--json'])) as { leaderId: number };
    const victimPartition = (placed.find((p) => p.leader !== quorum.leaderId) as DescribedPartition).partition;
    const victim = (placed.find((p) => p.partition === victimPartition) as DescribedPartition).leader;
    const majority = [1, 2, 3].filter((id) => id !== victim);

    // Raw produce requests straight to the victim, below the SDK: the SDK would (rightly) find
    // the new leader through the other brokers, and these must reach the isolated one. The
    // stream is opened, and proven to work, while all is well (first, so the warm-up record is
    // the partition's first acknowledgement).
    const victimConnection = rawConnection(c.address(victim));
    connections.push(victimConnection);
    const toVictim = produceStream(victimConnection);
    const warmUp = await toVictim.send(produceRequest(topic, victimPartition, recordBatch(['victim:warm-up']), -1, 5_000), 10_000);
    if (warmUp === 'no answer') throw new Error(`broker ${victim} did not answer a produce before the isolation`);
    const ledger = new AckLedger();
    ledger.add(victimPartition, ['victim:warm-up'], [onlyPartition(warmUp).baseOffset]);

    // Producers pointed at the whole cluster, one sequential loop per partition.
    const clusterClient = new Eddy({ bootstrapServers: c.bootstrapServers, clientId: 'isolated-e2e', requestTimeoutMs: 3_000 });
    clients.push(clusterClient);
    const producer = clusterClient.producer({ acks: 'all', lingerMs: 1, deliveryTimeoutMs: 60_000 });
    let stopped = false;
    const producing = Promise.all(partitions.map((p) => producePartition(producer, p, ledger, () => stopped)));
    // Awaited at the end; until then, a failure here (e.g. the client closed by teardown after
    // an earlier assertion failed) must not surface as an unhandled rejection.
    producing.catch(() => undefined);

    await waitFor('acknowledgements on every partition', () => (partitions.every((p) => ledger.count(p) >= 5 * recordsPerSend) ? true : undefined), 30_000);

    const victimDir = join(c.root, `node-${victim}`);
    await net.isolate(victim);
    const isolatedAt = Date.now();
    // From here on nothing the victim appends can reach a follower.
    const victimBytesAtIsolation = await partitionLogBytes(victimDir, victimPartition);
    const ackedAtIsolation = ledger.count(victimPartition);

    // Straight to the isolated leader: none of these may be acknowledged. They are sent at
    // once, while the victim still believes it leads, and fail while the majority moves on.
    const sendingToVictim = Promise.all(
      Array.from({ length: isolatedSends }, (_, i) =>
        toVictim.send(produceRequest(topic, victimPartition, recordBatch([`victim:isolated-${i}`]), -1, victimAckTimeoutMs), victimAckTimeoutMs + 5_000),
      ),
    );

    // The majority fences the silent victim after the session timeout and elects new leaders
    // from the ISR.
    const failedOver = await waitFor(
      `leadership and ISRs to move off broker ${victim}`,
      async () => {
        const described = await describePartitions(c.through(majority), topic);
        return described?.every((p) => p.leader > 0 && p.leader !== victim && !p.isr.includes(victim)) === true ? described : undefined;
      },
      sessionTimeoutMs + 15_000,
      100,
    );
    const failoverMs = Date.now() - isolatedAt;
    expect(failoverMs).toBeGreaterThanOrEqual(sessionTimeoutMs - heartbeatIntervalMs);
    // The margin covers heartbeat granularity, the election, and the describe polls (each one
    // an `eddy` process, slow on a busy two-core machine).
    expect(failoverMs).toBeLessThan(sessionTimeoutMs + 6_000);
    for (const p of failedOver) {
      expect([...p.isr].sort()).toEqual(majority);
      expect(majority).toContain(p.leader);
    }
    // Fenced, not just demoted: the majority lists only itself as running.
    expect((await waitForRunningBrokers(c.through(majority), 2, 10_000)).sort()).toEqual(majority);

    const outcomes = (await sendingToVictim).map((response) => (response === 'no answer' ? response : onlyPartition(response).errorCode));
    toVictim.close();
    for (const outcome of outcomes) {
      // No answer at all counts as a failure the client sees as a timeout.
      if (outcome === 'no answer') continue;
      expect(isolatedFailureCodes, `an acks=all produce to the isolated leader was answered ${outcome}`).toContain(outcome);
      expect(errorCodeByName(outcome)?.retriable).toBe(true);
    }
    // The victim did take the records in (a divergent tail to truncate later); it just never
    // acknowledged them.
    expect(await partitionLogBytes(victimDir, victimPartition)).toBeGreaterThan(victimBytesAtIsolation);

    // Producers of the cluster go on, on the partition the victim led too.
    await waitFor(
      'acknowledgements on the moved partition',
      () => (ledger.count(victimPartition) > ackedAtIsolation + 5 * recordsPerSend ? true : undefined),
      30_000,
    );

    await net.heal(victim);
    const healedAt = Date.now();
    // Any broker may answer a describe, the victim too, whose image is the pre-isolation one
    // until it catches up (leader: itself, full ISR). An answer counts only when its image has
    // seen the failover: the moved partition's leader epoch is past the one the victim held.
    const failoverEpoch = (failedOver.find((p) => p.partition === victimPartition) as DescribedPartition).leaderEpoch;
    await waitFor(
      `broker ${victim} back in every ISR`,
      async () => {
        const described = await describePartitions(c, topic);
        const current = (described?.find((p) => p.partition === victimPartition)?.leaderEpoch ?? -1) >= failoverEpoch;
        return current && described?.every((p) => p.isr.length === 3) === true ? true : undefined;
      },
      45_000,
      200,
    );
    const rejoinMs = Date.now() - healedAt;
    stopped = true;
    await producing;
    await producer.close();

    // Read back from the victim's own log: make it the leader of its partition again.
    const admin = clusterClient.admin();
    await waitFor(
      `broker ${victim} leading partition ${victimPartition} again`,
      async () => {
        await admin.electLeaders({ type: 'preferred', partitions: [{ topic, partition: victimPartition }] });
        const moved = (await describePartitions(c, topic))?.find((p) => p.partition === victimPartition);
        return moved !== undefined && moved.leader === victim && moved.leaderEpoch > failoverEpoch ? true : undefined;
      },
      30_000,
      500,
    );
    await admin.close();

    const read = await readAllRecords(clusterClient, topic, partitions, 30_000);
    for (const partition of partitions) {
      const records = read.get(partition) ?? [];
      expect(ackedRecordProblems(ledger.of(partition), records), `partition ${partition}`).toEqual([]);
      // Only the victim ever held the isolated records, and it had to truncate them away.
      expect(records.filter((r) => r.value.startsWith('victim:isolated')).map((r) => `${r.value}@${r.offset}`)).toEqual([]);
    }
    console.log(
      `isolated leader: broker ${victim} (partition ${victimPartition}) replaced ${failoverMs} ms after isolation, back in the ISR ${rejoinMs} ms after healing; ${ledger.count()} records acknowledged; isolated produces answered ${[...new Set(outcomes)].join(', ')}`,
    );
  });
});
