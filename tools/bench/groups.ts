/**
 * Consumer groups on a 3-node cluster of real `eddy server` processes on free loopback ports (the
 * built binary, as the e2e tests run it), with a producer writing RATE records/s in the background:
 *
 *   - rebalance: 10 SDK consumers (each with its own client, as 10 applications would be) of a
 *     new group subscribe to a 10-partition topic at once, or the 10th joins a stable group of
 *     9; the time from the last subscribe() returning until the group is Stable and every member
 *     has polled a record in that final generation (DESIGN target: ≤ 1 s after the last join);
 *   - dead member: a group of 9 SDK consumers and one `eddy consume --group` process; the process
 *     is SIGKILLed (no LeaveGroup), and the time until its partitions are polled by the others in
 *     a later generation is reported next to the session timeout the members use;
 *   - commits: COMMITTERS consumers (over a few clients) commit explicit offsets of one group
 *     back to back for COMMIT_ROUND_MS; commits/s of that group's coordinator, and the latency of
 *     one commit() (an acks=all write to __consumer_offsets, answered once applied) at p50/p99.
 *
 * Medians over `--rounds` rounds (default 3) of each.
 *
 *   npx tsc -b && npx tsx tools/bench/groups.ts [--json] [--rounds 3] [--session-timeout-ms 6000] [--heartbeat-interval-ms 500]
 *
 * The brokers run with their default settings (group.initial.rebalance.delay.ms 300 ms) and
 * `--log-level warn`. Bounded: every wait has a timeout, every loop a round count or a duration;
 * about a minute and a half with the defaults.
 */
import { type Consumer, type ConsumerRecord, Eddy, type GroupDescription } from '@eddy/client';
import { type ChildProcess, spawn } from 'node:child_process';
import { build } from 'hdr-histogram-js';
import { ProcessCluster } from '../../e2e/support/eddy-cluster.js';
import { eddyBin } from '../../e2e/support/eddy-process.js';
import { waitFor } from '../../e2e/support/wait.js';
import { formatNumber, formatTable, median } from './lib/index.js';

const TOPIC = 'groups-bench';
const PARTITIONS = 10;
const MEMBERS = 10;
const RATE = 2_000;
const COMMITTERS = 32;
const COMMIT_CLIENTS = 4;
const COMMIT_ROUND_MS = 3_000;
const WAIT_TIMEOUT_MS = 60_000;
const POLL_TIMEOUT_MS = 100;

function argument(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value <= 0) throw new Error(`${name} needs a positive integer`);
  return value;
}

const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** One SDK member polling in the background: when it first got a record in each generation, and of which partitions. */
class Member {
  /** generation → ms (performance.now) of its first record in that generation. */
  readonly firstRecordMs = new Map<number, number>();
  /** generation → partitions it polled records of. */
  readonly partitions = new Map<number, Set<number>>();
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    readonly eddy: Eddy,
    readonly consumer: Consumer,
  ) {
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    while (this.running) {
      let records: ConsumerRecord[];
      try {
        records = await this.consumer.poll({ timeoutMs: POLL_TIMEOUT_MS });
      } catch {
        continue;
      }
      const generationId = this.consumer.groupMetadata()?.generationId ?? -1;
      if (records.length === 0 || generationId < 0) continue;
      if (!this.firstRecordMs.has(generationId)) this.firstRecordMs.set(generationId, performance.now());
      const seen = this.partitions.get(generationId) ?? new Set<number>();
      for (const record of records) seen.add(record.partition);
      this.partitions.set(generationId, seen);
    }
  }

  async close(): Promise<void> {
    this.running = false;
    await this.loop;
    await this.consumer.close();
    await this.eddy.close();
  }
}

interface MemberSettings {
  readonly bootstrapServers: string;
  readonly sessionTimeoutMs: number;
  readonly heartbeatIntervalMs: number;
}

function startMember(settings: MemberSettings, groupId: string, name: string): { eddy: Eddy; consumer: Consumer } {
  const eddy = new Eddy({ bootstrapServers: settings.bootstrapServers, clientId: name });
  const consumer = eddy.consumer({ groupId, sessionTimeoutMs: settings.sessionTimeoutMs, heartbeatIntervalMs: settings.heartbeatIntervalMs, autoCommitIntervalMs: 1_000 });
  return { eddy, consumer };
}

async function describe(admin: ReturnType<Eddy['admin']>, groupId: string): Promise<GroupDescription | undefined> {
  const [described] = await admin.describeGroups([groupId]);
  return described;
}

/** Waits until the group is Stable with exactly these members, each having polled a record in that generation; resolves with it. */
function everyoneConsuming(admin: ReturnType<Eddy['admin']>, groupId: string, members: readonly Member[]): Promise<number> {
  return waitFor(
    'the group stable with every member consuming',
    async () => {
      const described = await describe(admin, groupId);
      if (described?.state !== 'Stable' || described.members.length !== members.length) return undefined;
      const generationId = described.generationId;
      return members.every((member) => member.firstRecordMs.has(generationId)) ? generationId : undefined;
    },
    WAIT_TIMEOUT_MS,
    20,
  );
}

/**
 * MEMBERS consumers join a group: all at once into a new group ('new group'), or the last one
 * into a stable group of the others ('one more'). ms from the last subscribe() returning to
 * every member consuming in the stable generation.
 */
async function rebalanceRound(settings: MemberSettings, admin: ReturnType<Eddy['admin']>, mode: 'new group' | 'one more', round: number): Promise<{ ms: number; generationId: number }> {
  const groupId = `bench-rebalance-${mode.replace(' ', '-')}-${round}`;
  const started = Array.from({ length: MEMBERS }, (_, i) => startMember(settings, groupId, `member-${i}`));
  const members: Member[] = [];
  try {
    const first = mode === 'new group' ? started : started.slice(0, -1);
    await Promise.all(first.map(({ consumer }) => consumer.subscribe([TOPIC])));
    for (const { eddy, consumer } of first) members.push(new Member(eddy, consumer));
    if (mode === 'one more') {
      await everyoneConsuming(admin, groupId, members);
      const last = started.at(-1) as (typeof started)[number];
      await last.consumer.subscribe([TOPIC]);
      members.push(new Member(last.eddy, last.consumer));
    }
    const lastSubscribedMs = performance.now();
    const stable = await everyoneConsuming(admin, groupId, members);
    const lastFirstRecordMs = Math.max(...members.map((member) => member.firstRecordMs.get(stable) as number));
    return { ms: lastFirstRecordMs - lastSubscribedMs, generationId: stable };
  } finally {
    const polling = new Set(members.map((member) => member.consumer));
    await Promise.all([...members, ...started.filter(({ consumer }) => !polling.has(consumer)).map(({ eddy, consumer }) => new Member(eddy, consumer))].map((member) => member.close()));
  }
}

/** An `eddy consume --group` process: a member that can die without leaving. */
function consumeProcess(settings: MemberSettings, groupId: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      eddyBin,
      'consume',
      '--topic',
      TOPIC,
      '--group',
      groupId,
      '--bootstrap-server',
      settings.bootstrapServers,
      '--consumer-property',
      `session.timeout.ms=${settings.sessionTimeoutMs}`,
      `heartbeat.interval.ms=${settings.heartbeatIntervalMs}`,
    ],
    { stdio: ['ignore', 'ignore', 'ignore'] },
  );
}

/** SIGKILLs the process member of a stable group; ms until its partitions are polled by the others in a later generation. */
async function deadMemberRound(settings: MemberSettings, admin: ReturnType<Eddy['admin']>, round: number): Promise<number> {
  const groupId = `bench-dead-member-${round}`;
  const members = Array.from({ length: MEMBERS - 1 }, (_, i) => startMember(settings, groupId, `member-${i}`));
  const running: Member[] = [];
  let child: ChildProcess | undefined;
  try {
    for (const { consumer } of members) await consumer.subscribe([TOPIC]);
    for (const { eddy, consumer } of members) running.push(new Member(eddy, consumer));
    child = consumeProcess(settings, groupId);
    const before = await waitFor(
      'the group stable with the process member',
      async () => {
        const described = await describe(admin, groupId);
        return described?.state === 'Stable' && described.members.length === MEMBERS && described.members.some((m) => m.clientId === 'eddy-cli' && m.assignment.length > 0)
          ? described
          : undefined;
      },
      WAIT_TIMEOUT_MS,
      20,
    );
    const orphaned = new Set(before.members.find((m) => m.clientId === 'eddy-cli')?.assignment.map((tp) => tp.partition));
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    const killedMs = performance.now();
    child.kill('SIGKILL');
    await exited;
    return await waitFor(
      'the dead member\'s partitions consumed by the others',
      () => {
        const taken = [...orphaned].every((partition) =>
          running.some((member) => [...member.partitions].some(([generationId, partitions]) => generationId > before.generationId && partitions.has(partition))),
        );
        if (!taken) return undefined;
        return Math.max(
          ...[...orphaned].map((partition) =>
            Math.min(
              ...running.flatMap((member) =>
                [...member.partitions].filter(([generationId, partitions]) => generationId > before.generationId && partitions.has(partition)).map(([generationId]) => member.firstRecordMs.get(generationId) as number),
              ),
            ),
          ),
        ) - killedMs;
      },
      WAIT_TIMEOUT_MS,
      20,
    );
  } finally {
    child?.kill('SIGKILL');
    await Promise.all(running.map((member) => member.close()));
  }
}

interface CommitRound {
  readonly commitsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** COMMITTERS consumers commit explicit offsets of one group (one coordinator) back to back for COMMIT_ROUND_MS. */
async function commitRound(bootstrapServers: string, round: number): Promise<CommitRound> {
  const groupId = `bench-commits-${round}`;
  const clients = Array.from({ length: COMMIT_CLIENTS }, (_, i) => new Eddy({ bootstrapServers, clientId: `committer-${i}` }));
  const committers = Array.from({ length: COMMITTERS }, (_, i) => (clients[i % COMMIT_CLIENTS] as Eddy).consumer({ groupId, enableAutoCommit: false }));
  const histogram = build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  try {
    // Warm up: every committer finds the coordinator once.
    await Promise.all(committers.map((consumer, i) => consumer.commit([{ topic: TOPIC, partition: i % PARTITIONS, offset: 0n }])));
    let commits = 0;
    const startedMs = performance.now();
    const endMs = startedMs + COMMIT_ROUND_MS;
    await Promise.all(
      committers.map(async (consumer, i) => {
        for (let offset = 1n; performance.now() < endMs; offset++) {
          const sentMs = performance.now();
          await consumer.commit([{ topic: TOPIC, partition: i % PARTITIONS, offset }]);
          histogram.recordValue(Math.max(1, Math.round((performance.now() - sentMs) * 1_000)));
          commits++;
        }
      }),
    );
    const elapsedMs = performance.now() - startedMs;
    return { commitsPerSecond: (commits / elapsedMs) * 1_000, p50Ms: histogram.getValueAtPercentile(50) / 1_000, p99Ms: histogram.getValueAtPercentile(99) / 1_000 };
  } finally {
    histogram.destroy();
    for (const consumer of committers) await consumer.close();
    await Promise.all(clients.map((client) => client.close()));
  }
}

/** Writes RATE records/s over every partition until stopped. */
function backgroundProducer(eddy: Eddy): { stop: () => Promise<void> } {
  const producer = eddy.producer({ acks: 1, lingerMs: 5 });
  let running = true;
  const tickMs = 50;
  const perTick = Math.max(1, Math.round((RATE * tickMs) / 1_000));
  const loop = (async () => {
    const value = Buffer.alloc(100, 0x61);
    while (running) {
      const tickStartMs = performance.now();
      await producer.send({ topic: TOPIC, messages: Array.from({ length: perTick }, () => ({ value })) }).catch((error: unknown) => log(`a send failed: ${String(error)}`));
      const waitMs = tickMs - (performance.now() - tickStartMs);
      if (waitMs > 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
    await producer.close();
  })();
  return {
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const rounds = argument('--rounds', 3);
  const sessionTimeoutMs = argument('--session-timeout-ms', 6_000);
  const heartbeatIntervalMs = argument('--heartbeat-interval-ms', 500);
  const cluster = await ProcessCluster.start({ nodes: 3 });
  const eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'groups-bench' });
  const admin = eddy.admin();
  let producer: { stop: () => Promise<void> } | undefined;
  try {
    await waitFor('three live brokers', async () => ((await admin.describeCluster().catch(() => undefined))?.brokers.length === 3 ? true : undefined), WAIT_TIMEOUT_MS, 100);
    await waitFor('the topic created', async () => (await admin.createTopics([{ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3 }]).then(() => true).catch(() => undefined)), WAIT_TIMEOUT_MS, 200);
    await waitFor('every partition led', async () => ((await admin.describeTopics([TOPIC]))[0]?.partitions.every((p) => p.leader > 0) === true ? true : undefined), WAIT_TIMEOUT_MS, 100);
    producer = backgroundProducer(eddy);
    const settings: MemberSettings = { bootstrapServers: cluster.bootstrapServers, sessionTimeoutMs, heartbeatIntervalMs };

    const rebalances: number[] = [];
    const joins: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const formed = await rebalanceRound(settings, admin, 'new group', round);
      rebalances.push(formed.ms);
      log(`new group round ${round + 1}: ${formed.ms.toFixed(0)} ms (generation ${formed.generationId})`);
      const joined = await rebalanceRound(settings, admin, 'one more', round);
      joins.push(joined.ms);
      log(`one more member round ${round + 1}: ${joined.ms.toFixed(0)} ms (generation ${joined.generationId})`);
    }
    const moves: number[] = [];
    for (let round = 0; round < rounds; round++) {
      moves.push(await deadMemberRound(settings, admin, round));
      log(`dead member round ${round + 1}: ${(moves.at(-1) as number).toFixed(0)} ms`);
    }
    const commitRounds: CommitRound[] = [];
    for (let round = 0; round < rounds; round++) {
      commitRounds.push(await commitRound(cluster.bootstrapServers, round));
      log(`commit round ${round + 1}: ${formatNumber((commitRounds.at(-1) as CommitRound).commitsPerSecond)} commits/s`);
    }

    const result = {
      settings: { members: MEMBERS, partitions: PARTITIONS, producedPerSecond: RATE, sessionTimeoutMs, heartbeatIntervalMs, committers: COMMITTERS, rounds },
      stableAfterLastJoinMs: { newGroup: { median: median(rebalances), rounds: rebalances }, oneMore: { median: median(joins), rounds: joins } },
      deadMemberPartitionsMovedMs: { median: median(moves), rounds: moves, sessionTimeoutMs },
      commits: {
        perSecond: median(commitRounds.map((r) => r.commitsPerSecond)),
        p50Ms: median(commitRounds.map((r) => r.p50Ms)),
        p99Ms: median(commitRounds.map((r) => r.p99Ms)),
        rounds: commitRounds,
      },
    };
    if (json) {
      process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const rounded = (values: readonly number[]): string => values.map((value) => formatNumber(value)).join(' / ');
    process.stdout.write(
      `${formatTable(
        [`consumer groups, 3 nodes RF 3, ${MEMBERS} members, ${PARTITIONS} partitions, ${RATE} records/s produced`, 'median', 'target / reference', 'rounds'],
        [
          [`stable and consuming after the last join (${MEMBERS} join a new group)`, `${formatNumber(median(rebalances))} ms`, '≤ 1,000 ms', `${rounded(rebalances)} ms`],
          [`stable and consuming after the last join (the ${MEMBERS}th joins a stable group)`, `${formatNumber(median(joins))} ms`, '≤ 1,000 ms', `${rounded(joins)} ms`],
          ['dead member\'s partitions moved (SIGKILL, no LeaveGroup)', `${formatNumber(result.deadMemberPartitionsMovedMs.median)} ms`, `session timeout ${formatNumber(sessionTimeoutMs)} ms`, `${rounded(moves)} ms`],
          [`offset commits, ${COMMITTERS} committers, one coordinator`, `${formatNumber(result.commits.perSecond)}/s`, '-', `${rounded(commitRounds.map((r) => r.commitsPerSecond))} /s`],
          ['commit latency p50 / p99', `${result.commits.p50Ms.toFixed(2)} / ${result.commits.p99Ms.toFixed(2)} ms`, '-', commitRounds.map((r) => `${r.p50Ms.toFixed(1)}/${r.p99Ms.toFixed(1)}`).join('  ')],
        ],
      )}\n(heartbeat.interval.ms ${heartbeatIntervalMs}, group.initial.rebalance.delay.ms: the node default)\n`,
    );
  } finally {
    await producer?.stop();
    await admin.close();
    await eddy.close();
    await cluster.close();
  }
}

await main();
