import { type Admin, Eddy, type PartitionDescription, type Producer } from '@eddy/client';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AckLedger, ackedRecordProblems, readAllRecords } from './support/acked-records.js';
import { waitForRunningBrokers } from './support/cluster-state.js';
import { ProcessCluster } from './support/eddy-cluster.js';
import { waitFor } from './support/wait.js';

const settings = {
  'broker.session.timeout.ms': '3000',
  'broker.heartbeat.interval.ms': '500',
  'replica.lag.time.max.ms': '3000',
};

/**
 * Data in the partition before it is moved, so that the new replica needs a while to copy it:
 * written in large records, then production goes on in small ones until the scenario is over.
 */
const fillBytes = 32 * 1024 * 1024;
const fillRecordBytes = 16 * 1024;
const fillRecordsPerSend = 32;
const liveRecordsPerSend = 50;
/** Bounds the producing loop whatever happens to the scenario. */
const sendsMax = 50_000;

let cluster: ProcessCluster | undefined;
let eddy: Eddy | undefined;

beforeAll(async () => {
  cluster = await ProcessCluster.start({ nodes: 3, settings });
  eddy = new Eddy({ bootstrapServers: cluster.bootstrapServers, clientId: 'reassign-failover-e2e', requestTimeoutMs: 10_000 });
  await waitForRunningBrokers(cluster, 3);
});

afterAll(async () => {
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

function running(): { c: ProcessCluster; client: Eddy } {
  if (cluster === undefined || eddy === undefined) throw new Error('no cluster');
  return { c: cluster, client: eddy };
}

/**
 * One idempotent acks=all producer writing `topic` partition 0 one send at a time from start
 * to `stop()`: `fill:n` records padded to `fillRecordBytes` until `fillBytes` are acknowledged,
 * then short `live:n` records. Every acknowledgement goes to the ledger, every failure is kept.
 */
class FlowingProducer {
  readonly ledger = new AckLedger();
  readonly failures: string[] = [];
  private stopped = false;
  private filledBytes = 0;
  private readonly producing: Promise<void>;

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
  ) {
    this.producing = this.run();
  }

  get isFilled(): boolean {
    return this.filledBytes >= fillBytes;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.producing;
  }

  private async run(): Promise<void> {
    let next = 0;
    for (let send = 0; send < sendsMax && !this.stopped; send++) {
      const filling = !this.isFilled;
      const count = filling ? fillRecordsPerSend : liveRecordsPerSend;
      const values = Array.from({ length: count }, (_, i) => (filling ? `fill:${next + i}:`.padEnd(fillRecordBytes, '.') : `live:${next + i}`));
      next += count;
      try {
        const metadata = await this.producer.send({ topic: this.topic, messages: values.map((value) => ({ value, partition: 0 })) });
        this.ledger.add(0, values, metadata.map((m) => m.offset));
        if (filling) this.filledBytes += count * fillRecordBytes;
      } catch (error: unknown) {
        this.failures.push(error instanceof Error ? error.message : String(error));
        return;
      }
    }
  }
}

async function controllerId(admin: Admin): Promise<number> {
  return (await admin.describeQuorum()).leaderId;
}

async function partitionZero(admin: Admin, topic: string): Promise<PartitionDescription> {
  const [described] = await admin.describeTopics([topic]);
  const partition = described?.partitions[0];
  if (partition === undefined) throw new Error(`${topic} has no partition 0`);
  return partition;
}

/** Whether node `nodeId`'s data directory holds a copy of `topic`-0. */
async function holdsCopy(c: ProcessCluster, nodeId: number, topic: string): Promise<boolean> {
  return (await readdir(join(c.root, `node-${nodeId}`))).includes(`${topic}-0`);
}

/**
 * Creates `topic` with one partition on `replicas`, all in sync, led by the first. Brokers do
 * not take explicit placements at creation yet (CreateTopics ignores `assignments`), so the
 * empty partition is moved there.
 */
async function createPartition(admin: Admin, topic: string, replicas: readonly number[]): Promise<void> {
  await admin.createTopics([{ topic, partitions: 1, replicationFactor: replicas.length }]);
  await waitFor(`${topic} online`, async () => ((await partitionZero(admin, topic)).leader > 0 ? true : undefined), 30_000);
  await admin.alterPartitionReassignments([{ topic, partition: 0, replicas }]);
  await waitForSettled(admin, topic, replicas, 30_000);
  await waitFor(
    `broker ${replicas[0]} leading ${topic}-0`,
    async () => {
      await admin.electLeaders({ partitions: [{ topic, partition: 0 }] });
      return (await partitionZero(admin, topic)).leader === replicas[0] ? true : undefined;
    },
    30_000,
    200,
  );
}

/** Kills the active controller once `topic`-0 is seen moving from `from` to `to`, and returns when that was. */
async function killControllerMidMove(c: ProcessCluster, admin: Admin, topic: string, controller: number, from: readonly number[], to: readonly number[]): Promise<number> {
  const [ongoing, ...others] = await admin.listPartitionReassignments([{ topic, partition: 0 }]);
  expect(others).toEqual([]);
  expect(ongoing, `the move of ${topic}-0 finished before the controller could be killed`).toEqual({
    topic,
    partition: 0,
    replicas: [...to, ...from.filter((id) => !to.includes(id))],
    addingReplicas: to.filter((id) => !from.includes(id)),
    removingReplicas: from.filter((id) => !to.includes(id)),
  });
  expect(await controllerId(admin)).toBe(controller);
  await c.node(controller).kill();
  return Date.now();
}

/** Waits for a controller other than `killed`; returns its id. */
async function newController(admin: Admin, killed: number): Promise<number> {
  return waitFor(
    'a new active controller',
    async () => {
      const leaderId = await controllerId(admin);
      return leaderId > 0 && leaderId !== killed ? leaderId : undefined;
    },
    15_000,
  );
}

/** Waits until `topic`-0 sits on exactly `replicas`, all in sync, with no move in flight. */
async function waitForSettled(admin: Admin, topic: string, replicas: readonly number[], timeoutMs: number): Promise<PartitionDescription> {
  return waitFor(
    `${topic}-0 settled on ${replicas.join(',')}`,
    async () => {
      const p = await partitionZero(admin, topic);
      const settled = p.addingReplicas.length === 0 && p.removingReplicas.length === 0 && [...p.replicas].sort().join() === [...replicas].sort().join() && p.isr.length === replicas.length;
      return settled ? p : undefined;
    },
    timeoutMs,
  );
}

/** Stops the producer and checks that every acknowledged record is in `topic`-0 once, where and in the order it was acknowledged. */
async function expectEveryAckedRecordOnce(client: Eddy, flowing: FlowingProducer, topic: string): Promise<void> {
  await flowing.stop();
  expect(flowing.failures).toEqual([]);
  const read = await readAllRecords(client, topic, [0], 60_000);
  const records = read.get(0) ?? [];
  expect(ackedRecordProblems(flowing.ledger.of(0), records)).toEqual([]);
  expect(records).toHaveLength(flowing.ledger.count(0));
}

describe('a partition reassignment across a controller failover (real processes)', () => {
  it('completes under the new controller with no new admin call, and the removed broker deletes its copy once back', async () => {
    const { c, client } = running();
    const admin = client.admin();
    const controller = await controllerId(admin);
    const [kept, added] = [1, 2, 3].filter((id) => id !== controller) as [number, number];
    const topic = 'moved';
    // The controller leads the partition and leaves it: its death takes both roles at once.
    const from = [controller, kept];
    const to = [kept, added];
    await createPartition(admin, topic, from);
    const flowing = new FlowingProducer(client.producer({ acks: 'all', idempotent: true, lingerMs: 2 }), topic);
    await waitFor(`${fillBytes} bytes acknowledged`, () => (flowing.isFilled || flowing.failures.length > 0 ? true : undefined), 60_000, 100);
    expect(flowing.failures).toEqual([]);

    const startedAt = Date.now();
    await admin.alterPartitionReassignments([{ topic, partition: 0, replicas: to }]);
    const killedAt = await killControllerMidMove(c, admin, topic, controller, from, to);
    const successor = await newController(admin, controller);
    const electedMs = Date.now() - killedAt;
    const ongoingAfterElection = await admin.listPartitionReassignments([{ topic, partition: 0 }]);

    const settled = await waitForSettled(admin, topic, to, 30_000);
    const completedMs = Date.now() - startedAt;
    expect(settled.replicas).toEqual(to);
    expect(to).toContain(settled.leader);
    expect(await admin.listPartitionReassignments()).toEqual([]);
    // The dead broker still has its copy on disk; it must delete it itself once back.
    expect(await holdsCopy(c, controller, topic)).toBe(true);
    const ackedBeforeRestart = flowing.ledger.count();

    c.node(controller).start();
    await waitForRunningBrokers(c, 3);
    await waitFor(`broker ${controller} deleting its copy of ${topic}-0`, async () => ((await holdsCopy(c, controller, topic)) ? undefined : true), 30_000);
    expect((await admin.describeLogDirs(controller)).flatMap((dir) => dir.partitions).filter((p) => p.topic === topic)).toEqual([]);
    await waitFor('records acknowledged after the restart', () => (flowing.ledger.count() > ackedBeforeRestart + 5 * liveRecordsPerSend ? true : undefined), 30_000);
    expect(await controllerId(admin)).toBeGreaterThan(0);
    expect((await partitionZero(admin, topic)).replicas).toEqual(to);

    await expectEveryAckedRecordOnce(client, flowing, topic);
    // Both replicas of the target hold the whole log.
    const ends = await Promise.all(to.map(async (id) => (await admin.describeLogDirs(id, [{ topic, partition: 0 }])).flatMap((dir) => dir.partitions).map((p) => p.logEndOffset)));
    expect(ends).toEqual(to.map(() => [BigInt(flowing.ledger.count())]));
    console.log(
      `reassign failover: controller ${controller} killed mid-move ${from.join(',')} -> ${to.join(',')}; controller ${successor} elected after ${electedMs} ms` +
        ` (move ${ongoingAfterElection.length > 0 ? 'still' : 'no longer'} in flight then); move completed ${completedMs} ms after it started; ${flowing.ledger.count()} records`,
    );
  });

  it('is cancelled through the new controller right after the old one is killed, and the partition keeps its original replicas and data', async () => {
    const { c, client } = running();
    const admin = client.admin();
    const controller = await controllerId(admin);
    const [kept, removed] = [1, 2, 3].filter((id) => id !== controller) as [number, number];
    const topic = 'cancelled';
    // The controller is the replica being added: once it is dead the move cannot finish, so the
    // cancel always finds it in flight.
    const from = [kept, removed];
    const to = [kept, controller];
    await createPartition(admin, topic, from);
    const flowing = new FlowingProducer(client.producer({ acks: 'all', idempotent: true, lingerMs: 2 }), topic);
    await waitFor(`${fillBytes} bytes acknowledged`, () => (flowing.isFilled || flowing.failures.length > 0 ? true : undefined), 60_000, 100);
    expect(flowing.failures).toEqual([]);

    await admin.alterPartitionReassignments([{ topic, partition: 0, replicas: to }]);
    const killedAt = await killControllerMidMove(c, admin, topic, controller, from, to);
    await admin.cancelPartitionReassignments([{ topic, partition: 0 }]);
    const cancelledMs = Date.now() - killedAt;
    const successor = await newController(admin, controller);

    const settled = await waitForSettled(admin, topic, from, 30_000);
    expect(settled.replicas).toEqual(from);
    expect(await admin.listPartitionReassignments()).toEqual([]);
    expect(await holdsCopy(c, controller, topic)).toBe(true);

    c.node(controller).start();
    await waitForRunningBrokers(c, 3);
    await waitFor(`broker ${controller} deleting its partial copy of ${topic}-0`, async () => ((await holdsCopy(c, controller, topic)) ? undefined : true), 30_000);
    expect((await partitionZero(admin, topic)).replicas).toEqual(from);

    await expectEveryAckedRecordOnce(client, flowing, topic);
    console.log(`reassign cancel: controller ${controller} (the adding replica) killed; cancel accepted by controller ${successor} ${cancelledMs} ms later; ${flowing.ledger.count()} records`);
  });
});
