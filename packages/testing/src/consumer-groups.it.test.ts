import { coordinatorPartitionFor, OFFSETS_TOPIC } from '@eddy/broker';
import { type Consumer, Eddy, type TopicPartition } from '@eddy/client';
import { afterEach, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './start-cluster.js';
import { waitFor } from './wait-for.js';

const TOPIC = 'events';
const PARTITIONS = 3;

/** Fast group settings: short initial delay, short broker sessions (leader failover), short member sessions allowed. */
const settings = {
  'group.initial.rebalance.delay.ms': '100',
  'group.min.session.timeout.ms': '1000',
  'broker.session.timeout.ms': '2000',
  'broker.heartbeat.interval.ms': '500',
  'offsets.topic.num.partitions': '5',
};

interface Consumed {
  readonly member: string;
  readonly generationId: number;
  readonly partition: number;
  readonly offset: bigint;
  readonly value: string;
}

/** One group member polling in the background, recording what it got in which generation. */
class Member {
  readonly consumed: Consumed[] = [];
  /** generation → partitions assigned in it. */
  readonly assignments = new Map<number, number[]>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  private failure: Error | undefined;

  constructor(
    readonly name: string,
    readonly consumer: Consumer,
  ) {}

  async start(): Promise<void> {
    await this.consumer.subscribe([TOPIC], {
      onPartitionsAssigned: (partitions: TopicPartition[]) => {
        const generationId = this.consumer.groupMetadata()?.generationId ?? -1;
        this.assignments.set(generationId, partitions.map((tp) => tp.partition).sort((a, b) => a - b));
      },
    });
    this.loop = (async () => {
      while (!this.stopped) {
        try {
          const records = await this.consumer.poll({ timeoutMs: 100 });
          const generationId = this.consumer.groupMetadata()?.generationId ?? -1;
          for (const record of records) {
            this.consumed.push({ member: this.name, generationId, partition: record.partition, offset: record.offset, value: record.value?.toString() ?? '' });
          }
        } catch (error) {
          if (!this.stopped) this.failure = error instanceof Error ? error : new Error(`poll failed: ${JSON.stringify(error)}`);
          return;
        }
      }
    })();
  }

  /** Partitions owned now (sorted). */
  owned(): number[] {
    return this.consumer
      .assignment()
      .map((tp) => tp.partition)
      .sort((a, b) => a - b);
  }

  generation(): number {
    return this.consumer.groupMetadata()?.generationId ?? -1;
  }

  check(): void {
    if (this.failure !== undefined) throw this.failure;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.consumer.close();
  }
}

let cluster: TestCluster | undefined;
let eddy: Eddy | undefined;
const members: Member[] = [];

afterEach(async () => {
  for (const member of members.splice(0)) await member.close().catch(() => undefined);
  await eddy?.close();
  await cluster?.close();
  eddy = undefined;
  cluster = undefined;
});

async function setUp(): Promise<{ c: TestCluster; client: Eddy }> {
  const c = (cluster = await startCluster({ nodes: 3, settings, logLevel: (process.env['EDDY_IT_LOG'] as 'info' | undefined) ?? 'silent' }));
  await waitFor('three running brokers', () => (c.nodes.every((n) => n.node?.brokerState === 'running') ? true : undefined));
  const client = (eddy = new Eddy({ bootstrapServers: c.bootstrapServers.split(','), clientId: 'groups-it', retry: { deadlineMs: 30_000 } }));
  await client.admin().createTopics([{ topic: TOPIC, partitions: PARTITIONS, replicationFactor: 3, configs: { 'min.insync.replicas': '2' } }]);
  // The active controller creates __consumer_offsets once the three brokers are live.
  await waitFor(`${OFFSETS_TOPIC} with a leader for every partition`, () => {
    const topic = c.nodes[0]?.node?.metadataImage.topic(OFFSETS_TOPIC);
    return topic !== undefined && topic.partitions.size === 5 && [...topic.partitions.values()].every((p) => p.leader > 0) ? true : undefined;
  });
  return { c, client };
}

async function produce(client: Eddy, from: number, count: number): Promise<void> {
  const producer = client.producer({ acks: 'all' });
  await producer.send({ topic: TOPIC, messages: Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` })) });
  await producer.close();
}

function join(client: Eddy, name: string, group: string): Member {
  const member = new Member(
    name,
    client.consumer({
      groupId: group,
      fromBeginning: true,
      sessionTimeoutMs: 6_000,
      heartbeatIntervalMs: 200,
      rebalanceTimeoutMs: 10_000,
      autoCommitIntervalMs: 200,
    }),
  );
  members.push(member);
  return member;
}

/** Every member is in one generation and together they own every partition once. */
function stableSplit(group: readonly Member[]): number[][] | undefined {
  for (const member of group) member.check();
  const generation = group[0]?.generation() ?? -1;
  if (generation < 0 || group.some((member) => member.generation() !== generation)) return undefined;
  const owned = group.map((member) => member.owned());
  const all = owned.flat().sort((a, b) => a - b);
  return all.length === PARTITIONS && all.every((p, i) => p === i) ? owned : undefined;
}

/** No partition was assigned to, or consumed by, two members in the same generation. */
function expectExclusive(group: readonly Member[]): void {
  const owners = new Map<string, Set<string>>();
  const add = (generationId: number, partition: number, member: string): void => {
    const key = `${generationId}/${partition}`;
    const set = owners.get(key) ?? new Set<string>();
    set.add(member);
    owners.set(key, set);
  };
  for (const member of group) {
    for (const [generationId, partitions] of member.assignments) for (const partition of partitions) add(generationId, partition, member.name);
    for (const record of member.consumed) add(record.generationId, record.partition, member.name);
  }
  for (const [key, set] of owners) expect(set.size, `generation/partition ${key} owned by ${[...set].join(', ')}`).toBe(1);
}

function consumedValues(group: readonly Member[]): Set<string> {
  return new Set(group.flatMap((member) => member.consumed.map((record) => record.value)));
}

describe('consumer groups on an in-process cluster', () => {
  it('splits partitions 3, then 2/1, then 1/1/1, and a new member resumes from the committed offsets', async () => {
    const { client } = await setUp();
    await produce(client, 0, 300);

    const a = join(client, 'a', 'billing');
    await a.start();
    await waitFor('member a owns every partition', () => stableSplit([a]));
    await waitFor('member a consumed the first 300 records', () => (consumedValues([a]).size === 300 ? true : undefined));

    const b = join(client, 'b', 'billing');
    await b.start();
    const split2 = await waitFor('a 2/1 split', () => stableSplit([a, b]));
    expect(split2.map((owned) => owned.length).sort()).toEqual([1, 2]);

    const c = join(client, 'c', 'billing');
    await c.start();
    const split3 = await waitFor('a 1/1/1 split', () => stableSplit([a, b, c]));
    expect(split3.map((owned) => owned.length)).toEqual([1, 1, 1]);

    await produce(client, 300, 150);
    await waitFor('all 450 records consumed', () => (consumedValues([a, b, c]).size === 450 ? true : undefined));
    expectExclusive([a, b, c]);

    // Closing commits the positions and leaves; the group ends Empty with its offsets.
    for (const member of [a, b, c]) await member.close();
    members.splice(0);
    const admin = client.admin();
    const [described] = await admin.describeGroups(['billing']);
    expect(described?.state).toBe('Empty');
    const ends = await admin.listOffsets([0, 1, 2].map((partition) => ({ topic: TOPIC, partition })));
    for (const end of ends) {
      expect(described?.offsets.find((row) => row.partition === end.partition)?.committedOffset).toBe(end.offset);
    }
    expect((await admin.listGroups()).map((group) => group.groupId)).toContain('billing');

    // A new member starts where the group stopped: it sees only what was produced since.
    await produce(client, 450, 30);
    const d = join(client, 'd', 'billing');
    await d.start();
    await waitFor('member d consumed the 30 new records', () => (consumedValues([d]).size >= 30 ? true : undefined));
    expect([...consumedValues([d])].sort()).toEqual(Array.from({ length: 30 }, (_, i) => `v${450 + i}`).sort());
  });

  it('keeps every committed offset when the coordinator is killed, and the group carries on', async () => {
    const { c, client } = await setUp();
    await produce(client, 0, 200);
    const a = join(client, 'a', 'payments');
    const b = join(client, 'b', 'payments');
    await a.start();
    await b.start();
    await waitFor('a 2/1 split', () => stableSplit([a, b]));
    await waitFor('the first 200 records consumed', () => (consumedValues([a, b]).size === 200 ? true : undefined));

    // Commit explicitly and remember what was acknowledged.
    await a.consumer.commit();
    await b.consumer.commit();
    const admin = client.admin();
    const before = new Map((await admin.describeGroups(['payments']))[0]?.offsets.map((row) => [row.partition, row.committedOffset]) ?? []);
    expect([...before.values()].reduce<bigint>((sum, offset) => sum + (offset ?? 0n), 0n)).toBe(200n);

    const image = c.nodes[0]?.node?.metadataImage;
    const offsetsPartition = coordinatorPartitionFor('payments', image?.topic(OFFSETS_TOPIC)?.partitions.size ?? 0);
    const coordinatorId = image?.partition(OFFSETS_TOPIC, offsetsPartition)?.leader ?? -1;
    expect(coordinatorId).toBeGreaterThan(0);
    await c.node(coordinatorId).kill();
    const survivor = c.nodes.find((n) => n.nodeId !== coordinatorId)?.node;
    const newCoordinator = await waitFor(
      'a new coordinator',
      () => {
        const leader = survivor?.metadataImage.partition(OFFSETS_TOPIC, offsetsPartition)?.leader ?? -1;
        return leader > 0 && leader !== coordinatorId ? leader : undefined;
      },
      30_000,
    );
    expect(newCoordinator).not.toBe(coordinatorId);

    // Nothing committed is lost: the new coordinator serves the same offsets.
    const after = await waitFor('the offsets from the new coordinator', async () => {
      const [group] = await admin.describeGroups(['payments']);
      return group === undefined ? undefined : new Map(group.offsets.map((row) => [row.partition, row.committedOffset]));
    });
    for (const [partition, offset] of before) expect(after.get(partition) ?? -1n).toBeGreaterThanOrEqual(offset ?? 0n);

    // The group goes on with new records and commits them at the new coordinator.
    await produce(client, 200, 100);
    await waitFor('the 100 new records consumed', () => (consumedValues([a, b]).size === 300 ? true : undefined), 30_000);
    expectExclusive([a, b]);
    await a.consumer.commit();
    await b.consumer.commit();
    const [final] = await admin.describeGroups(['payments']);
    expect(final?.offsets.reduce<bigint>((sum, row) => sum + (row.committedOffset ?? 0n), 0n)).toBe(300n);
  });
});
