/**
 * Failover times of a 3-node cluster of real `eddy server` processes on free loopback ports (the
 * built binary, as the e2e tests run it):
 *
 *   - controller failover: SIGKILL the metadata quorum leader, then time until a surviving node's
 *     DescribeQuorum (what `eddy quorum describe` shows) names another leader;
 *   - partition leader failover: SIGKILL the leader of a partition (a broker that is not the
 *     quorum leader, so the controller stays up), then time until the metadata names a new
 *     leader, and until an acks=all produce to that partition is acknowledged again (a probe
 *     sends one record every PROBE_INTERVAL_MS; the first acknowledgement after the kill counts).
 *
 * After each kill the node is restarted and the cluster is let settle (the node back in the
 * quorum or in every ISR, preferred leaders restored) before the next. Medians over `--kills`
 * rounds of each (default 5).
 *
 *   npx tsc -b && npx tsx tools/bench/failover.ts [--json] [--kills 5] [--session-timeout-ms MS]
 *
 * `--session-timeout-ms` sets broker.session.timeout.ms (default: the node default): a dead
 * broker is fenced, and its partitions get new leaders, after that long. Bounded: every wait has
 * a timeout; about a minute and a half with the defaults.
 */
import { type Admin, Eddy } from '@eddy/client';
import { ProcessCluster } from '../../e2e/support/eddy-cluster.js';
import { waitFor } from '../../e2e/support/wait.js';
import { formatNumber, formatTable, median } from './lib/index.js';

const POLL_INTERVAL_MS = 10;
const PROBE_INTERVAL_MS = 10;
const FAILOVER_TIMEOUT_MS = 30_000;
const SETTLE_TIMEOUT_MS = 60_000;
const TOPIC = 'failover-bench';
const PARTITIONS = 3;

function argument(name: string): number | undefined {
  const at = process.argv.indexOf(name);
  if (at < 0) return undefined;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

/** Polls `probe` every POLL_INTERVAL_MS until it returns a value; resolves with it and the time it took from `sinceMs`. */
async function timeUntil<T>(what: string, sinceMs: number, probe: () => Promise<T | undefined>): Promise<{ value: T; ms: number }> {
  const value = await waitFor(what, probe, FAILOVER_TIMEOUT_MS, POLL_INTERVAL_MS);
  return { value, ms: performance.now() - sinceMs };
}

/**
 * A client per node, each bootstrapped at that node alone and not retrying, so a poll asks the
 * nodes that are up directly instead of waiting out a retry against the dead one.
 */
class NodeClients {
  private readonly clients: Eddy[];

  constructor(private readonly cluster: ProcessCluster) {
    this.clients = cluster.ports.map(
      (port, i) => new Eddy({ bootstrapServers: [`127.0.0.1:${port}`], clientId: `failover-bench-${i + 1}`, requestTimeoutMs: 1_000, retry: { attemptsMax: 1 } }),
    );
  }

  /** The first answer of any running node (other than `except`). */
  async any<T>(work: (eddy: Eddy) => Promise<T>, except?: number): Promise<T | undefined> {
    const running = this.clients.filter((_, i) => i + 1 !== except && this.cluster.node(i + 1).isRunning);
    try {
      return await Promise.any(running.map((eddy) => work(eddy)));
    } catch {
      return undefined;
    }
  }

  /** The answers of every running node, undefined unless each of them answered. */
  async all<T>(work: (eddy: Eddy) => Promise<T>): Promise<T[] | undefined> {
    const running = this.clients.filter((_, i) => this.cluster.node(i + 1).isRunning);
    try {
      return await Promise.all(running.map((eddy) => work(eddy)));
    } catch {
      return undefined;
    }
  }

  async close(): Promise<void> {
    await Promise.all(this.clients.map((eddy) => eddy.close()));
  }
}

async function quorumLeader(clients: NodeClients, except?: number): Promise<number | undefined> {
  return clients.any(async (eddy) => {
    const admin = eddy.admin();
    try {
      const quorum = await admin.describeQuorum();
      if (quorum.leaderId <= 0 || quorum.leaderId === except) throw new Error('no leader yet');
      return quorum.leaderId;
    } finally {
      await admin.close();
    }
  }, except);
}

interface PartitionView {
  readonly leader: number;
  readonly replicas: readonly number[];
  readonly isr: readonly number[];
}

async function describePartitions(eddy: Eddy): Promise<PartitionView[]> {
  const admin = eddy.admin();
  try {
    const [topic] = await admin.describeTopics([TOPIC]);
    if (topic === undefined) throw new Error('no topic');
    return topic.partitions.map((p) => ({ leader: p.leader, replicas: p.replicas, isr: p.isr }));
  } finally {
    await admin.close();
  }
}

/** The partitions as any running node other than `except` sees them. */
function partitionsSeenByAny(clients: NodeClients, except?: number): Promise<PartitionView[] | undefined> {
  return clients.any(describePartitions, except);
}

/** The partitions when every running node sees the same leaders, full ISRs and preferred leaders. */
async function settledPartitions(clients: NodeClients): Promise<PartitionView[] | undefined> {
  const views = await clients.all(describePartitions);
  const [first] = views ?? [];
  if (views === undefined || first === undefined) return undefined;
  const key = (view: readonly PartitionView[]): string => JSON.stringify(view.map((p) => [p.leader, [...p.isr].sort()]));
  if (!views.every((view) => key(view) === key(first))) return undefined;
  return first.every((p) => p.isr.length === PARTITIONS && p.leader === p.replicas[0]) ? first : undefined;
}

/**
 * Waits until every node runs, the quorum has a leader, every broker is registered and unfenced,
 * and every partition has its full ISR and its preferred leader (asking for a preferred-leader
 * election when that is all that is missing).
 */
async function settle(cluster: ProcessCluster, clients: NodeClients, admin: Admin): Promise<void> {
  await waitFor(
    'a settled cluster',
    async () => {
      if (cluster.nodes.some((node) => !node.isRunning) || (await quorumLeader(clients)) === undefined) return undefined;
      const described = await admin.describeCluster({ includeFencedBrokers: true });
      if (described.brokers.length !== cluster.nodes.length || described.brokers.some((b) => b.isFenced)) return undefined;
      const partitions = (await admin.describeTopics([TOPIC]))[0]?.partitions ?? [];
      if (!partitions.every((p) => p.isr.length === PARTITIONS)) return undefined;
      if (!partitions.every((p) => p.leader === p.replicas[0])) {
        await admin.electLeaders({ type: 'preferred' }).catch(() => undefined);
        return undefined;
      }
      return settledPartitions(clients);
    },
    SETTLE_TIMEOUT_MS,
    200,
  );
}

interface ControllerRound {
  readonly killed: number;
  readonly newLeader: number;
  readonly ms: number;
}

interface PartitionRound {
  readonly killed: number;
  readonly partition: number;
  readonly newLeader: number;
  readonly metadataMs: number;
  readonly produceMs: number;
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const kills = argument('--kills') ?? 5;
  const sessionTimeoutMs = argument('--session-timeout-ms');
  const log = (line: string): void => {
    if (!json) process.stderr.write(`${line}\n`);
  };
  const settings = sessionTimeoutMs === undefined ? {} : { 'broker.session.timeout.ms': String(sessionTimeoutMs), 'broker.heartbeat.interval.ms': String(Math.max(50, Math.floor(sessionTimeoutMs / 6))) };
  const cluster = await ProcessCluster.start({ nodes: 3, settings });
  const clients = new NodeClients(cluster);
  const eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'failover-bench', requestTimeoutMs: 5_000 });
  try {
    const admin = eddy.admin();
    await waitFor(
      'three running brokers',
      async () => {
        const described = await admin.describeCluster().catch(() => undefined);
        return described !== undefined && described.controller > 0 && described.brokers.filter((b) => !b.isFenced).length === 3 ? true : undefined;
      },
      60_000,
      100,
    );
    await admin.createTopics([{ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
    await settle(cluster, clients, admin);

    // Controller failover.
    const controllerRounds: ControllerRound[] = [];
    for (let round = 0; round < kills; round++) {
      const leader = await waitFor('a quorum leader', () => quorumLeader(clients), SETTLE_TIMEOUT_MS, 50);
      await cluster.node(leader).kill();
      const killedAt = performance.now();
      const elected = await timeUntil(`a quorum leader other than ${leader}`, killedAt, () => quorumLeader(clients, leader));
      controllerRounds.push({ killed: leader, newLeader: elected.value, ms: elected.ms });
      log(`controller failover ${round + 1}/${kills}: node ${leader} killed, node ${elected.value} leads after ${elected.ms.toFixed(0)} ms`);
      cluster.node(leader).start();
      await settle(cluster, clients, admin);
    }

    // Partition leader failover, with an acks=all probe producing to the partition.
    const partitionRounds: PartitionRound[] = [];
    for (let round = 0; round < kills; round++) {
      const quorum = await waitFor('a quorum leader', () => quorumLeader(clients), SETTLE_TIMEOUT_MS, 50);
      const leaders = await waitFor('every node agreeing on the partition leaders', () => settledPartitions(clients), SETTLE_TIMEOUT_MS, 50);
      const candidates = leaders.map((p, partition) => ({ partition, leader: p.leader })).filter((p) => p.leader !== quorum);
      const target = candidates[round % candidates.length];
      if (target === undefined) throw new Error('no partition led by a broker other than the quorum leader');

      const probeClient = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'failover-probe', requestTimeoutMs: 5_000 });
      const probe = probeClient.producer({ acks: 'all', lingerMs: 0, retryBackoffMs: 10 });
      await probe.send({ topic: TOPIC, messages: [{ value: 'warm-up', partition: target.partition }] });
      let killedAt = Number.POSITIVE_INFINITY;
      let firstAckAfterKill: number | undefined;
      let probing = true;
      const probeLoop = (async () => {
        const sends: Promise<unknown>[] = [];
        while (probing) {
          sends.push(
            probe.send({ topic: TOPIC, messages: [{ value: String(performance.now()), partition: target.partition }] }).then(() => {
              const now = performance.now();
              if (now > killedAt && firstAckAfterKill === undefined) firstAckAfterKill = now;
            }),
          );
          await new Promise((resolve) => setTimeout(resolve, PROBE_INTERVAL_MS));
        }
        await Promise.allSettled(sends);
      })();

      await cluster.node(target.leader).kill();
      killedAt = performance.now();
      const moved = await timeUntil(`a new leader of partition ${target.partition}`, killedAt, async () => {
        const now = await partitionsSeenByAny(clients, target.leader);
        const leader = now?.[target.partition]?.leader;
        return leader !== undefined && leader > 0 && leader !== target.leader ? leader : undefined;
      });
      const acked = await timeUntil(`an acknowledged produce to partition ${target.partition}`, killedAt, () => Promise.resolve(firstAckAfterKill === undefined ? undefined : true));
      probing = false;
      await probeLoop;
      await probe.close();
      await probeClient.close();
      partitionRounds.push({ killed: target.leader, partition: target.partition, newLeader: moved.value, metadataMs: moved.ms, produceMs: (firstAckAfterKill as number) - killedAt });
      log(
        `partition failover ${round + 1}/${kills}: broker ${target.leader} (leader of partition ${target.partition}) killed, broker ${moved.value} leads after ${moved.ms.toFixed(0)} ms, produce acknowledged after ${(partitionRounds.at(-1)?.produceMs ?? 0).toFixed(0)} ms (seen at ${acked.ms.toFixed(0)} ms)`,
      );
      cluster.node(target.leader).start();
      await settle(cluster, clients, admin);
    }
    await admin.close();

    const summary = {
      sessionTimeoutMs: sessionTimeoutMs ?? 'default',
      controllerFailoverMedianMs: median(controllerRounds.map((r) => r.ms)),
      partitionLeaderElectedMedianMs: median(partitionRounds.map((r) => r.metadataMs)),
      partitionProduceResumedMedianMs: median(partitionRounds.map((r) => r.produceMs)),
      controllerRounds,
      partitionRounds,
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
      return;
    }
    const list = (values: readonly number[]): string => values.map((v) => formatNumber(v)).join(' / ');
    process.stdout.write(
      `${formatTable(
        ['after SIGKILL of', 'until', 'median ms', 'rounds (ms)'],
        [
          ['the quorum leader', 'DescribeQuorum names a new leader', formatNumber(summary.controllerFailoverMedianMs), list(controllerRounds.map((r) => r.ms))],
          ['a partition leader', 'the metadata names a new leader', formatNumber(summary.partitionLeaderElectedMedianMs), list(partitionRounds.map((r) => r.metadataMs))],
          ['a partition leader', 'an acks=all produce is acknowledged', formatNumber(summary.partitionProduceResumedMedianMs), list(partitionRounds.map((r) => r.produceMs))],
        ],
      )}\n\nbroker.session.timeout.ms: ${summary.sessionTimeoutMs}; ${kills} kills of each kind\n`,
    );
  } finally {
    await clients.close();
    await eddy.close();
    await cluster.close();
  }
}

await main();
