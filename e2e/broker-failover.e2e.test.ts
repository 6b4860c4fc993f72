import { Eddy, type Producer } from '@eddy/client';
import { afterEach, describe, expect, it } from 'vitest';
import { type DescribedPartition, describePartitions, eddyUntilOk, waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

const sessionTimeoutMs = 3_000;
const settings = {
  'broker.session.timeout.ms': String(sessionTimeoutMs),
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '3000',
};
const topic = 'topic01';
const partitions = [0, 1, 2];
/** At least this many records are produced; production goes on until the fault scenario is over. */
const recordsMin = 100_000;
/** The producer is paced so that it is still sending through the kill, the failover and the restart. */
const recordsPerSecond = 12_000;
const recordsPerSend = 200;
const sendsInFlightMax = 32;

let cluster: ProcessCluster | undefined;
let eddy: Eddy | undefined;
afterEach(async () => {
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

interface Acked {
  readonly sequence: number;
  readonly offset: bigint;
}

/**
 * Sends `p:n` records to partitions in turn (one partition per send, so a send to a healthy
 * partition is not held up by one whose leader is gone), paced to `recordsPerSecond`, until
 * `done()` and at least `recordsMin` were sent. Records what each acknowledgement said.
 */
class PacedProducer {
  readonly acked = new Map<number, Acked[]>(partitions.map((p) => [p, []]));
  readonly failures: Error[] = [];
  sent = 0;
  private readonly nextSequence = new Map<number, number>(partitions.map((p) => [p, 0]));
  private readonly inFlight = new Set<Promise<void>>();

  constructor(private readonly producer: Producer) {}

  ackedCount(partition?: number): number {
    if (partition !== undefined) return this.acked.get(partition)?.length ?? 0;
    return [...this.acked.values()].reduce((sum, list) => sum + list.length, 0);
  }

  async run(done: () => boolean): Promise<void> {
    const started = Date.now();
    for (let send = 0; !(done() && this.sent >= recordsMin); send++) {
      if (this.failures.length > 0) break;
      const partition = partitions[send % partitions.length] as number;
      const first = this.nextSequence.get(partition) as number;
      this.nextSequence.set(partition, first + recordsPerSend);
      const messages = Array.from({ length: recordsPerSend }, (_, i) => ({ value: `${partition}:${first + i}`, partition }));
      this.sent += recordsPerSend;
      const sent: Promise<void> = this.producer.send({ topic, messages }).then(
        (metadata) => {
          this.inFlight.delete(sent);
          const list = this.acked.get(partition) as Acked[];
          metadata.forEach((m, i) => list.push({ sequence: first + i, offset: m.offset }));
        },
        (error: unknown) => {
          this.inFlight.delete(sent);
          this.failures.push(error instanceof Error ? error : new Error(String(error)));
        },
      );
      this.inFlight.add(sent);
      while (this.inFlight.size >= sendsInFlightMax) await Promise.race(this.inFlight);
      const dueMs = started + (this.sent / recordsPerSecond) * 1000;
      if (dueMs > Date.now()) await new Promise((resolve) => setTimeout(resolve, dueMs - Date.now()));
    }
    await Promise.all(this.inFlight);
  }
}

function isrSummary(described: readonly DescribedPartition[] | undefined): string {
  return (described ?? []).map((p) => `p${p.partition} leader ${p.leader} isr ${p.isr.join(',')}`).join('; ');
}

describe('a 3-broker cluster of real processes losing a partition leader', () => {
  it('moves leadership, shrinks and re-expands the ISR, keeps producers going, and loses or duplicates no acknowledged record', async () => {
    const c = (cluster = await ProcessCluster.start({ nodes: 3, settings }));
    await waitForRunningBrokers(c, 3);
    await eddyUntilOk(c, ['topics', 'create', '--topic', topic, '--partitions', '3', '--replication-factor', '3', '--config', 'min.insync.replicas=2']);

    // Placement: three distinct leaders, each partition on every broker, round-robin with the
    // followers shifted the same way (Kafka's placement).
    const placed = await waitFor('topic01 online', async () => {
      const described = await describePartitions(c, topic);
      return described?.every((p) => p.state === 'Online' && p.isr.length === 3) === true ? described : undefined;
    }, 30_000);
    expect(new Set(placed.map((p) => p.leader))).toEqual(new Set([1, 2, 3]));
    for (const p of placed) {
      expect([...p.replicas].sort()).toEqual([1, 2, 3]);
      expect(p.leader).toBe(p.replicas[0]);
    }
    const shifts = new Set(placed.map((p) => ((p.replicas[1] as number) - (p.replicas[0] as number) + 3) % 3));
    expect(shifts.size).toBe(1);
    const firsts = placed.map((p) => p.replicas[0] as number);
    for (let i = 1; i < firsts.length; i++) expect(firsts[i]).toBe(((firsts[i - 1] as number) % 3) + 1);

    const client = (eddy = new Eddy({ bootstrapServers: c.bootstrapServers, clientId: 'failover-e2e', requestTimeoutMs: 10_000 }));
    const producer = client.producer({ acks: 'all', lingerMs: 2 });
    const paced = new PacedProducer(producer);
    let scenarioDone = false;
    const producing = paced.run(() => scenarioDone);

    // The victim leads a partition and is not the quorum leader (controller failover is the
    // quorum test's subject).
    const quorum = JSON.parse(await eddyUntilOk(c, ['quorum', 'describe', '--status', '--json'])) as { leaderId: number };
    const victimPartition = placed.find((p) => p.leader !== quorum.leaderId) as DescribedPartition;
    const victim = victimPartition.leader;
    await waitFor('records acknowledged before the kill', () => (paced.ackedCount() >= 20_000 ? true : undefined), 30_000);

    await c.node(victim).kill();
    const killedAt = Date.now();
    const ackedAtKill = paced.ackedCount();
    const failedOver = await waitFor(
      `leadership and ISR to move off broker ${victim}`,
      async () => {
        const described = await describePartitions(c, topic);
        return described?.every((p) => p.leader !== victim && p.leader > 0 && !p.isr.includes(victim)) === true ? described : undefined;
      },
      sessionTimeoutMs + 10_000,
      100,
    );
    const failoverMs = Date.now() - killedAt;
    // Fenced at the session timeout; the margin covers heartbeat granularity and one describe.
    expect(failoverMs, isrSummary(failedOver)).toBeLessThan(sessionTimeoutMs + 3_000);
    for (const p of failedOver) expect(p.isr).toHaveLength(2);

    // Producers continue, on the moved partition too.
    const movedAckedBefore = paced.ackedCount(victimPartition.partition);
    await waitFor('acknowledgements on the partition whose leader died', () => (paced.ackedCount(victimPartition.partition) > movedAckedBefore + 1_000 ? true : undefined), 30_000);
    expect(paced.ackedCount()).toBeGreaterThan(ackedAtKill);

    c.node(victim).start();
    const restartedAt = Date.now();
    const rejoined = await waitFor(
      `broker ${victim} back in every ISR`,
      async () => {
        const described = await describePartitions(c, topic);
        return described?.every((p) => p.isr.length === 3) === true ? described : undefined;
      },
      45_000,
      200,
    );
    const rejoinMs = Date.now() - restartedAt;
    expect(rejoined.every((p) => p.isr.includes(victim))).toBe(true);
    scenarioDone = true;
    await producing;
    await producer.close();
    expect(paced.failures.map((e) => e.message)).toEqual([]);
    expect(paced.sent).toBeGreaterThanOrEqual(recordsMin);
    expect(paced.ackedCount()).toBe(paced.sent);

    // The restarted broker caught up: make it leader of its partition again and read from it.
    const admin = client.admin();
    await waitFor(
      `broker ${victim} leading partition ${victimPartition.partition} again`,
      async () => {
        await admin.electLeaders({ type: 'preferred', partitions: [{ topic, partition: victimPartition.partition }] });
        const described = await describePartitions(c, topic);
        return described?.find((p) => p.partition === victimPartition.partition)?.leader === victim ? true : undefined;
      },
      30_000,
      500,
    );
    await admin.close();

    // Every acknowledged record exactly once, in order per partition.
    const consumer = client.consumer({ fromBeginning: true });
    await consumer.assign(partitions.map((partition) => ({ topic, partition })));
    const ends = new Map((await consumer.endOffsets(partitions.map((partition) => ({ topic, partition })))).map((o) => [o.partition, o.offset]));
    const read = new Map<number, { sequence: number; offset: bigint }[]>(partitions.map((p) => [p, []]));
    let remaining = [...ends.values()].reduce((sum, end) => sum + Number(end), 0);
    const deadline = Date.now() + 30_000;
    while (remaining > 0 && Date.now() < deadline) {
      for (const record of await consumer.poll({ maxRecords: 10_000, timeoutMs: 1_000 })) {
        const [partition, sequence] = (record.value?.toString() ?? '').split(':').map(Number);
        expect(partition).toBe(record.partition);
        read.get(record.partition)?.push({ sequence: sequence as number, offset: record.offset });
        remaining--;
      }
    }
    await consumer.close();
    expect(remaining).toBe(0);
    for (const partition of partitions) {
      const records = read.get(partition) ?? [];
      const sequences = records.map((r) => r.sequence);
      // No duplicates and no reordering: the sequence numbers of a partition only go up...
      const outOfOrder = sequences.findIndex((s, i) => i > 0 && s <= (sequences[i - 1] as number));
      expect(outOfOrder, `partition ${partition} at index ${outOfOrder}: ${JSON.stringify(records.slice(Math.max(0, outOfOrder - 3), outOfOrder + 3).map((r) => [r.sequence, String(r.offset)]))} acked ${JSON.stringify((paced.acked.get(partition) ?? []).slice(Math.max(0, outOfOrder - 3), outOfOrder + 3).map((r) => [r.sequence, String(r.offset)]))}`).toBe(-1);
      // ...and every acknowledged one is there, at the offset its acknowledgement named.
      const offsetOf = new Map(records.map((r) => [r.sequence, r.offset]));
      const acked = paced.acked.get(partition) ?? [];
      const missing = acked.filter((a) => offsetOf.get(a.sequence) !== a.offset);
      expect(missing.slice(0, 5), `partition ${partition}: ${missing.length} of ${acked.length} acknowledged records missing or moved`).toEqual([]);
      expect(records).toHaveLength(acked.length);
    }
    console.log(`failover: leadership and ISR moved ${failoverMs} ms after SIGKILL; broker ${victim} back in the ISR ${rejoinMs} ms after restart; ${paced.sent} records`);
  });
});
