import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { LogManager, type PartitionLog } from '@eddy/log';
import type { MetadataRecord, PartitionImage } from '@eddy/metadata';
import {
  type Connection,
  connect,
  type FetchRequest,
  type FetchResponse,
  loadProtocol,
  type ProducePartitionResponse,
  type ProduceRequest,
  type ProduceResponse,
  type ServerHandle,
  startServer,
} from '@eddy/protocol';
import { encodeRecordBatch, type EncodeOptions } from '@eddy/record';
import { flipByte } from '@eddy/record/testing';
import type * as grpc from '@grpc/grpc-js';
import { assert, type Clock } from '@eddy/base';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MetadataLoader } from '../metadata/metadata-loader.js';
import { replicationHandlerMap } from './handlers.js';
import { type AlterPartitionOutcome, type AlterPartitionProposal, ReplicaManager } from './replica-manager.js';
import type { ReplicaManagerConfigInput } from './replica-manager-config.js';

const protocol = loadProtocol();

const fastConfig: ReplicaManagerConfigInput = {
  replicaLagTimeMaxMs: 1_500,
  isrCheckIntervalMs: 100,
  replicaFetchWaitMaxMs: 300,
  replicaFetchBackoffMs: 50,
  replicaFetchTimeoutMs: 5_000,
};

function networkHandles(): number {
  return process.getActiveResourcesInfo().filter((name) => name.startsWith('TCP') || name === 'Http2Session').length;
}

/** Polls `condition` every 5 ms for at most `timeoutMs`. */
async function waitFor(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; attempt < 100_000; attempt++) {
    if (await condition()) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Requests and answers on one bidi stream, matched by correlation id. */
class StreamClient<Req extends { correlationId: number }, Res extends { correlationId: number }> {
  private readonly pending = new Map<number, { resolve: (response: Res) => void; reject: (error: Error) => void }>();
  private nextId = 1;

  constructor(private readonly call: grpc.ClientDuplexStream<Req, Res>) {
    call.on('data', (response: Res) => {
      const waiter = this.pending.get(response.correlationId);
      this.pending.delete(response.correlationId);
      waiter?.resolve(response);
    });
    call.on('error', (error: Error) => {
      for (const waiter of this.pending.values()) waiter.reject(error);
      this.pending.clear();
    });
  }

  send(request: Omit<Req, 'correlationId'>): Promise<Res> {
    const correlationId = this.nextId++;
    const full = { ...request, correlationId } as Req;
    return new Promise<Res>((resolve, reject) => {
      this.pending.set(correlationId, { resolve, reject });
      this.call.write(full);
    });
  }

  /** Sends without expecting an answer (acks = 0). */
  post(request: Omit<Req, 'correlationId'>): void {
    this.call.write({ ...request, correlationId: this.nextId++ } as Req);
  }

  close(): void {
    this.call.cancel();
  }
}

interface TestNode {
  readonly nodeId: number;
  readonly dir: string;
  readonly logManager: LogManager;
  readonly loader: MetadataLoader;
  readonly manager: ReplicaManager;
  server: ServerHandle | undefined;
  readonly connections: Map<string, Connection>;
  alive: boolean;
}

/**
 * Three ReplicaManagers on loopback with real gRPC servers, fed the same metadata records by
 * hand (as committed Raft entries would), and a fake controller that validates AlterPartition
 * like the real one and commits it as a PartitionChange on every node.
 */
class TestCluster {
  readonly nodes = new Map<number, TestNode>();
  private readonly truth = new MetadataLoader();
  private offset = 0;
  private readonly history: Array<{ offset: number; records: readonly MetadataRecord[] }> = [];
  private readonly brokerEpochs = new Map<number, number>();
  private readonly config: ReplicaManagerConfigInput;
  private readonly clock: Clock | undefined;
  private readonly clients: Array<{ close(): void }> = [];
  private readonly clientConnections: Connection[] = [];
  alterPartitionCalls = 0;

  private constructor(
    readonly root: string,
    config: ReplicaManagerConfigInput,
    clock: Clock | undefined,
  ) {
    this.config = config;
    this.clock = clock;
  }

  /** `clock` drives every node's replica manager (the system clock when undefined). */
  static async start(nodeCount = 3, config: ReplicaManagerConfigInput = fastConfig, clock?: Clock): Promise<TestCluster> {
    const cluster = new TestCluster(await mkdtemp(path.join(os.tmpdir(), 'eddy-replication-')), config, clock);
    for (let nodeId = 1; nodeId <= nodeCount; nodeId++) await cluster.addNode(nodeId);
    cluster.commit([...cluster.nodes.values()].flatMap((node) => cluster.registration(node)));
    return cluster;
  }

  private registration(node: TestNode): MetadataRecord[] {
    const brokerEpoch = (this.brokerEpochs.get(node.nodeId) ?? 10) + 1;
    this.brokerEpochs.set(node.nodeId, brokerEpoch);
    const endpoint = { host: '127.0.0.1', port: node.server?.port ?? 0 };
    return [
      { type: 'RegisterBroker', brokerId: node.nodeId, incarnationId: `node-${node.nodeId}-${brokerEpoch}`, brokerEpoch, endpoint, rack: null },
      { type: 'UnfenceBroker', brokerId: node.nodeId, brokerEpoch },
    ];
  }

  /** Starts a killed node again on its data directory: it replays the metadata log, registers anew and takes up its replicas. */
  async restart(nodeId: number): Promise<void> {
    assert(!this.node(nodeId).alive, 'only a killed node restarts');
    await this.addNode(nodeId);
    this.commit(this.registration(this.node(nodeId)));
  }

  private async addNode(nodeId: number): Promise<void> {
    const config = this.config;
    const dir = path.join(this.root, `node-${nodeId}`);
    const logManager = new LogManager({ dataDir: dir });
    const loader = new MetadataLoader();
    const connections = new Map<string, Connection>();
    const manager = new ReplicaManager({
      nodeId,
      logManager,
      metadata: loader,
      controller: { alterPartition: (proposal) => this.alterPartition(proposal) },
      brokerEpoch: () => this.brokerEpochs.get(nodeId) ?? -1,
      replicationClient: (brokerId) => {
        const broker = loader.image.brokers.get(brokerId);
        if (broker === undefined) return undefined;
        const target = `${broker.endpoint.host}:${broker.endpoint.port}`;
        let connection = connections.get(target);
        if (connection === undefined) connections.set(target, (connection = connect(protocol, target)));
        return connection.service('ReplicationService');
      },
      config,
      ...(this.clock === undefined ? {} : { clock: this.clock }),
    });
    const server = await startServer({ protocol, host: '127.0.0.1', port: 0, services: replicationHandlerMap(manager) });
    // A (re)started node replays the metadata log before it acts on it.
    if (this.history.length > 0) loader.applyCommitted(this.history);
    manager.start();
    this.nodes.set(nodeId, { nodeId, dir, logManager, loader, manager, server, connections, alive: true });
  }

  node(nodeId: number): TestNode {
    const node = this.nodes.get(nodeId);
    if (node === undefined) throw new Error(`no node ${nodeId}`);
    return node;
  }

  /** Commits records: every live node's loader (and the controller's truth) replays them. */
  commit(records: readonly MetadataRecord[]): void {
    this.offset++;
    const entry = { offset: this.offset, records };
    this.history.push(entry);
    this.truth.applyCommitted([entry]);
    for (const node of this.nodes.values()) if (node.alive) node.loader.applyCommitted([entry]);
  }

  get image() {
    return this.truth.image;
  }

  partition(topic: string, partition = 0): PartitionImage {
    const found = this.truth.image.partition(topic, partition);
    if (found === undefined) throw new Error(`no partition ${topic}-${partition}`);
    return found;
  }

  createTopic(name: string, assignments: ReadonlyArray<readonly number[]>, configs: Readonly<Record<string, string>> = {}): void {
    const topicId = `${name.padEnd(16, '_')}-id`.slice(0, 22);
    const records: MetadataRecord[] = [{ type: 'Topic', name, topicId }];
    for (const [key, value] of Object.entries(configs)) records.push({ type: 'Config', resourceType: 'topic', resourceName: name, name: key, value });
    assignments.forEach((replicas, partition) => {
      records.push({ type: 'Partition', topicId, partition, replicas, isr: replicas, adding: [], removing: [], leader: replicas[0] ?? -1, leaderEpoch: 0, partitionEpoch: 0 });
    });
    this.commit(records);
  }

  setTopicConfig(name: string, key: string, value: string | null): void {
    this.commit([{ type: 'Config', resourceType: 'topic', resourceName: name, name: key, value }]);
  }

  changeLeader(topic: string, partition: number, leader: number, isr: readonly number[]): void {
    this.commit([{ type: 'PartitionChange', topicId: this.partition(topic, partition).topicId, partition, leader, isr }]);
  }

  /** The controller's AlterPartition: validated against the committed image, then committed. */
  alterPartition(proposal: AlterPartitionProposal): Promise<AlterPartitionOutcome> {
    this.alterPartitionCalls++;
    const current = this.truth.image.topicsById.get(proposal.topicId)?.partitions.get(proposal.partition);
    const refuse = (errorCode: AlterPartitionOutcome['errorCode']): Promise<AlterPartitionOutcome> =>
      Promise.resolve({ errorCode, isr: current?.isr ?? [], partitionEpoch: current?.partitionEpoch ?? -1, leaderEpoch: current?.leaderEpoch ?? -1 });
    if (current === undefined) return refuse('UNKNOWN_TOPIC_OR_PARTITION');
    if (current.leader !== proposal.brokerId) return refuse('NOT_LEADER_OR_FOLLOWER');
    if (current.leaderEpoch !== proposal.leaderEpoch) return refuse('FENCED_LEADER_EPOCH');
    if (current.partitionEpoch !== proposal.partitionEpoch) return refuse('INVALID_UPDATE_VERSION');
    if (!proposal.isr.includes(proposal.brokerId) || proposal.isr.some((replica) => !current.replicas.includes(replica))) return refuse('INVALID_REQUEST');
    const added = proposal.isr.filter((replica) => !current.isr.includes(replica));
    if (added.some((replica) => !this.truth.image.isBrokerLive(replica))) return refuse('INELIGIBLE_REPLICA');
    this.commit([{ type: 'PartitionChange', topicId: proposal.topicId, partition: proposal.partition, isr: proposal.isr }]);
    const after = this.partition(current.topicName, proposal.partition);
    return Promise.resolve({ errorCode: 'NONE', isr: after.isr, partitionEpoch: after.partitionEpoch, leaderEpoch: after.leaderEpoch });
  }

  producer(nodeId: number): StreamClient<ProduceRequest, ProduceResponse> {
    const connection = connect(protocol, this.node(nodeId).server?.address ?? '');
    this.clientConnections.push(connection);
    const client = new StreamClient<ProduceRequest, ProduceResponse>(connection.service('ClientService').produce());
    this.clients.push(client);
    return client;
  }

  consumer(nodeId: number): StreamClient<FetchRequest, FetchResponse> {
    const connection = connect(protocol, this.node(nodeId).server?.address ?? '');
    this.clientConnections.push(connection);
    const client = new StreamClient<FetchRequest, FetchResponse>(connection.service('ClientService').fetch());
    this.clients.push(client);
    return client;
  }

  clientService(nodeId: number) {
    const connection = connect(protocol, this.node(nodeId).server?.address ?? '');
    this.clientConnections.push(connection);
    return connection.service('ClientService');
  }

  /** Closes a node's server so no one can reach it; it keeps running otherwise. */
  async isolate(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    await node.server?.close(0);
    node.server = undefined;
  }

  /** Stops a node for good: its server, replica manager, connections and logs. */
  async kill(nodeId: number): Promise<void> {
    const node = this.node(nodeId);
    if (!node.alive) return;
    node.alive = false;
    await node.server?.close(0);
    node.server = undefined;
    await node.manager.close();
    for (const connection of node.connections.values()) connection.close();
    await node.logManager.close();
  }

  /** The partition's log on a node (open while the node runs). */
  log(nodeId: number, topic: string, partition = 0): PartitionLog {
    const log = this.node(nodeId).logManager.get(topic, partition);
    if (log === undefined) throw new Error(`node ${nodeId} has no log of ${topic}-${partition}`);
    return log;
  }

  async close(): Promise<void> {
    for (const client of this.clients) client.close();
    for (const connection of this.clientConnections) connection.close();
    for (const node of this.nodes.values()) await this.kill(node.nodeId);
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Every batch of a log, byte for byte. */
async function readAll(log: PartitionLog): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let offset = log.logStartOffset;
  for (let step = 0; step < 10_000 && offset < log.logEndOffset; step++) {
    const { records } = await log.read(offset, 1 << 20);
    if (records.length === 0) break;
    chunks.push(Buffer.from(records));
    // The next read starts after the last batch read.
    let position = 0;
    let last = offset;
    while (position < records.length) {
      const size = records.readInt32BE(position + 8) + 12;
      last = records.readBigInt64BE(position) + BigInt(records.readInt32BE(position + 23));
      position += size;
    }
    offset = last + 1n;
  }
  return Buffer.concat(chunks);
}

function batch(count: number, options: EncodeOptions = {}, valueBytes = 16): Buffer {
  return encodeRecordBatch(
    Array.from({ length: count }, (_, i) => ({ key: `k${i}`, value: Buffer.alloc(valueBytes, i) })),
    { timestampMs: 1_700_000_000_000, ...options },
  );
}

function produceTo(topic: string, records: Buffer, acks: number, partition = 0, timeoutMs = 10_000): Omit<ProduceRequest, 'correlationId'> {
  return { acks, timeoutMs, topics: [{ name: topic, partitions: [{ partition, records }] }] };
}

function only(response: ProduceResponse): ProducePartitionResponse {
  expect(response.errorCode).toBe('NONE');
  const partition = response.topics[0]?.partitions[0];
  if (partition === undefined) throw new Error('no partition in the answer');
  return partition;
}

function fetchFrom(topic: string, fetchOffset: bigint, options: Partial<{ maxWaitMs: number; minBytes: number; currentLeaderEpoch: number; lastFetchedEpoch: number; partition: number }> = {}): Omit<FetchRequest, 'correlationId'> {
  return {
    maxWaitMs: options.maxWaitMs ?? 0,
    minBytes: options.minBytes ?? 1,
    maxBytes: 1 << 20,
    topics: [
      {
        name: topic,
        partitions: [{ partition: options.partition ?? 0, fetchOffset, partitionMaxBytes: 1 << 20, currentLeaderEpoch: options.currentLeaderEpoch ?? -1, lastFetchedEpoch: options.lastFetchedEpoch ?? -1 }],
      },
    ],
  };
}

async function waitForRoles(cluster: TestCluster, topic: string, partition = 0): Promise<void> {
  const image = cluster.partition(topic, partition);
  await waitFor(`roles of ${topic}-${partition}`, () =>
    image.replicas.every((nodeId) => {
      const node = cluster.node(nodeId);
      if (!node.alive) return true;
      const status = node.manager.partitionStatus(topic, partition);
      return status !== undefined && status.leaderEpoch === image.leaderEpoch && status.role === (image.leader === nodeId ? 'leader' : 'follower');
    }),
  );
}

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

describe('ReplicaManager on a 3-node loopback cluster', () => {
  let cluster: TestCluster;
  let handlesBefore: number;

  beforeEach(async () => {
    handlesBefore = networkHandles();
    cluster = await TestCluster.start();
  });

  afterEach(async () => {
    await cluster.close();
    await waitFor('network handles to close', () => networkHandles() <= handlesBefore, 5_000);
  });

  it('answers acks=all only once the followers hold the batch, in order when pipelined', async () => {
    cluster.createTopic('orders', [[1, 2, 3]]);
    await waitForRoles(cluster, 'orders');
    const producer = cluster.producer(1);

    const first = only(await producer.send(produceTo('orders', batch(10), -1)));
    expect(first).toMatchObject({ errorCode: 'NONE', baseOffset: 0n, currentLeaderId: -1 });
    // The HW (and so the answer) needs every ISR member's fetch beyond the batch.
    for (const nodeId of [2, 3]) expect(cluster.log(nodeId, 'orders').logEndOffset).toBeGreaterThanOrEqual(10n);
    expect(cluster.node(1).manager.highWatermark('orders', 0)).toBe(10n);

    // Pipelined: 50 requests in flight on one stream are appended in arrival order.
    const answers = await Promise.all(Array.from({ length: 50 }, () => producer.send(produceTo('orders', batch(2), -1))));
    expect(answers.map((answer) => only(answer).baseOffset)).toEqual(Array.from({ length: 50 }, (_, i) => 10n + BigInt(2 * i)));

    // acks=all latency on loopback, one request at a time.
    const latencies: number[] = [];
    for (let i = 0; i < 200; i++) {
      const started = performance.now();
      only(await producer.send(produceTo('orders', batch(1, {}, 100), -1)));
      latencies.push(performance.now() - started);
    }
    latencies.sort((a, b) => a - b);
    console.info(`acks=all round trip on loopback (3 replicas, 1 record): p50 ${percentile(latencies, 0.5).toFixed(2)} ms, p99 ${percentile(latencies, 0.99).toFixed(2)} ms`);

    // Every replica holds the same bytes.
    await waitFor('followers to catch up', () => [2, 3].every((nodeId) => cluster.log(nodeId, 'orders').logEndOffset === cluster.log(1, 'orders').logEndOffset));
    const leaderBytes = await readAll(cluster.log(1, 'orders'));
    for (const nodeId of [2, 3]) expect((await readAll(cluster.log(nodeId, 'orders'))).equals(leaderBytes)).toBe(true);

    // acks=0: no answer, but appended.
    const before = cluster.log(1, 'orders').logEndOffset;
    producer.post(produceTo('orders', batch(3), 0));
    await waitFor('the acks=0 append', () => cluster.log(1, 'orders').logEndOffset === before + 3n);
  });

  it('shrinks the ISR of a dead follower; acks=all continues with min.insync.replicas 1, fails with 3', async () => {
    cluster.createTopic('payments', [[1, 2, 3]]);
    await waitForRoles(cluster, 'payments');
    const producer = cluster.producer(1);
    only(await producer.send(produceTo('payments', batch(5), -1)));

    const killedAt = Date.now();
    await cluster.kill(3);
    // acks=1 appends at once, but consumers see it only when the HW moves, and it cannot move
    // while replica 3 is still in the ISR.
    const appended = only(await producer.send(produceTo('payments', batch(5), 1)));
    expect(appended.baseOffset).toBe(5n);
    const consumer = cluster.consumer(1);
    const early = await consumer.send(fetchFrom('payments', 5n));
    expect(early.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', highWatermark: 5n });
    expect(early.topics[0]?.partitions[0]?.records.length).toBe(0);

    // An acks=all produce waits for the shrink, then completes (min.insync.replicas is 1).
    const waiting = producer.send(produceTo('payments', batch(5), -1));
    const answered = only(await waiting);
    expect(answered).toMatchObject({ errorCode: 'NONE', baseOffset: 10n });
    const shrinkMs = Date.now() - killedAt;
    expect(cluster.partition('payments').isr).toEqual([1, 2]);
    // The follower was last caught up at its last fetch, which a parked fetch renews every
    // replicaFetchWaitMaxMs: so at most that long before the kill.
    expect(shrinkMs).toBeGreaterThanOrEqual((fastConfig.replicaLagTimeMaxMs ?? 0) - (fastConfig.replicaFetchWaitMaxMs ?? 0));
    console.info(`ISR shrank and the waiting acks=all produce completed ${shrinkMs} ms after the follower died (lag time 1500 ms)`);
    const visible = await consumer.send(fetchFrom('payments', 5n));
    expect(visible.topics[0]?.partitions[0]?.highWatermark).toBe(15n);
    expect(visible.topics[0]?.partitions[0]?.records.length).toBeGreaterThan(0);

    cluster.setTopicConfig('payments', 'min.insync.replicas', '3');
    await waitFor('the config to reach the leader', () => cluster.node(1).loader.image.topicConfigs.get('payments')?.get('min.insync.replicas') === '3');
    const refused = only(await producer.send(produceTo('payments', batch(1), -1)));
    expect(refused).toMatchObject({ errorCode: 'NOT_ENOUGH_REPLICAS', baseOffset: -1n });
    // acks=1 is not subject to min.insync.replicas.
    expect(only(await producer.send(produceTo('payments', batch(1), 1))).errorCode).toBe('NONE');
    cluster.setTopicConfig('payments', 'min.insync.replicas', '2');
    expect(only(await producer.send(produceTo('payments', batch(1), -1))).errorCode).toBe('NONE');
  });

  it('times out an acks=all produce the ISR cannot confirm, keeping the batch', async () => {
    // A lag time no stall of the test machine reaches: the dead follower stays in the ISR.
    await cluster.close();
    cluster = await TestCluster.start(2, { ...fastConfig, replicaLagTimeMaxMs: 60_000 });
    cluster.createTopic('slow', [[1, 2]]);
    await waitForRoles(cluster, 'slow');
    await cluster.kill(2);
    const producer = cluster.producer(1);
    const answer = only(await producer.send(produceTo('slow', batch(1), -1, 0, 200)));
    expect(answer.errorCode).toBe('REQUEST_TIMED_OUT');
    expect(cluster.log(1, 'slow').logEndOffset).toBe(1n);
  });

  it('truncates a diverged former leader after a leader change, so the logs never fork', async () => {
    const roles: string[] = [];
    cluster.node(1).manager.subscribeRoleChanges((change) => roles.push(`${change.topic}-${change.partition} ${change.role} ${change.leaderEpoch}`));
    cluster.createTopic('ledger', [[1, 2, 3]]);
    await waitForRoles(cluster, 'ledger');
    const producer = cluster.producer(1);
    for (let i = 0; i < 5; i++) only(await producer.send(produceTo('ledger', batch(4), -1)));
    expect(cluster.node(1).manager.highWatermark('ledger', 0)).toBe(20n);

    // The leader is cut off, and appends that never reach its followers.
    await cluster.isolate(1);
    for (let i = 0; i < 3; i++) {
      const outcome = await cluster.node(1).manager.appendRecords({ topic: 'ledger', partition: 0, records: batch(7), acks: 1, timeoutMs: 1_000 });
      expect(outcome.error.errorCode).toBe('NONE');
    }
    expect(cluster.log(1, 'ledger').logEndOffset).toBe(41n);

    // The controller elects 2 from the ISR; metadata reaches every node, the old leader too.
    cluster.changeLeader('ledger', 0, 2, [2, 3]);
    await waitForRoles(cluster, 'ledger');
    const newProducer = cluster.producer(2);
    const afterChange = only(await newProducer.send(produceTo('ledger', batch(2), -1)));
    expect(afterChange.baseOffset).toBe(20n);
    only(await newProducer.send(produceTo('ledger', batch(3), -1)));

    // Node 1 follows 2: the diverging epoch makes it cut its 21 unreplicated records.
    await waitFor('node 1 to converge', () => cluster.log(1, 'ledger').logEndOffset === cluster.log(2, 'ledger').logEndOffset);
    expect(cluster.log(1, 'ledger').logEndOffset).toBe(25n);
    const reference = await readAll(cluster.log(2, 'ledger'));
    for (const nodeId of [1, 3]) expect((await readAll(cluster.log(nodeId, 'ledger'))).equals(reference)).toBe(true);
    expect(await cluster.log(1, 'ledger').epochEntries()).toEqual([
      { epoch: 0, startOffset: 0n },
      { epoch: 1, startOffset: 20n },
    ]);

    expect(roles).toEqual(['ledger-0 leader 0', 'ledger-0 follower 1']);

    // Caught up again, it rejoins the ISR through an AlterPartition of the new leader.
    await waitFor('node 1 to rejoin the ISR', () => cluster.partition('ledger').isr.includes(1));
    expect([...cluster.partition('ledger').isr].sort()).toEqual([1, 2, 3]);
  });

  it('answers an idempotent retry with the original offset, also after a leader change, and rejects gaps and fenced epochs', async () => {
    cluster.createTopic('idem', [[1, 2, 3]]);
    await waitForRoles(cluster, 'idem');
    const producer = cluster.producer(1);
    only(await producer.send(produceTo('idem', batch(2), -1)));
    const idempotent = (baseSequence: number, producerEpoch = 0, count = 3): Buffer => batch(count, { producerId: 42n, producerEpoch, baseSequence });

    const original = only(await producer.send(produceTo('idem', idempotent(0), -1)));
    expect(original).toMatchObject({ errorCode: 'NONE', baseOffset: 2n });
    const retry = only(await producer.send(produceTo('idem', idempotent(0), -1)));
    expect(retry).toMatchObject({ errorCode: 'NONE', baseOffset: 2n });
    expect(cluster.log(1, 'idem').logEndOffset).toBe(5n);

    expect(only(await producer.send(produceTo('idem', idempotent(7), -1)))).toMatchObject({ errorCode: 'OUT_OF_ORDER_SEQUENCE_NUMBER', baseOffset: -1n });
    expect(only(await producer.send(produceTo('idem', idempotent(0, 1), -1)))).toMatchObject({ errorCode: 'NONE', baseOffset: 5n });
    expect(only(await producer.send(produceTo('idem', idempotent(3, 0), -1)))).toMatchObject({ errorCode: 'INVALID_PRODUCER_EPOCH' });

    // The followers replayed the headers: the new leader knows the producer.
    cluster.changeLeader('idem', 0, 2, [1, 2, 3]);
    await waitForRoles(cluster, 'idem');
    const onNewLeader = cluster.producer(2);
    expect(only(await onNewLeader.send(produceTo('idem', idempotent(0, 1), -1)))).toMatchObject({ errorCode: 'NONE', baseOffset: 5n });
    expect(only(await onNewLeader.send(produceTo('idem', idempotent(3, 1), -1)))).toMatchObject({ errorCode: 'NONE', baseOffset: 8n });
  });

  it('wakes a long-polling fetch on new data without holding back other fetches on the stream', async () => {
    cluster.createTopic('events', [[1, 2, 3], [1, 2, 3]]);
    await waitForRoles(cluster, 'events', 0);
    await waitForRoles(cluster, 'events', 1);
    const producer = cluster.producer(1);
    only(await producer.send(produceTo('events', batch(4), -1, 1)));
    const consumer = cluster.consumer(1);

    const started = performance.now();
    const parked = consumer.send(fetchFrom('events', 0n, { maxWaitMs: 20_000 }));
    // Another fetch on the same stream, for data that exists, is answered meanwhile.
    const other = await consumer.send(fetchFrom('events', 0n, { partition: 1, maxWaitMs: 20_000 }));
    expect(other.topics[0]?.partitions[0]?.records.length).toBeGreaterThan(0);
    let parkedDone = false;
    void parked.then(() => (parkedDone = true));
    expect(parkedDone).toBe(false);

    const produced = performance.now();
    only(await producer.send(produceTo('events', batch(3), -1)));
    const woken = await parked;
    const wokeAfterMs = performance.now() - produced;
    expect(woken.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', highWatermark: 3n });
    expect(woken.topics[0]?.partitions[0]?.records.length).toBeGreaterThan(0);
    expect(performance.now() - started).toBeLessThan(10_000);
    console.info(`a parked fetch answered ${wokeAfterMs.toFixed(2)} ms after the acks=all produce began`);

    // Without data, a fetch waits out max_wait_ms and answers empty.
    const waitStarted = performance.now();
    const empty = await consumer.send(fetchFrom('events', 3n, { maxWaitMs: 200 }));
    expect(performance.now() - waitStarted).toBeGreaterThanOrEqual(150);
    expect(empty.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', highWatermark: 3n });
    expect(empty.topics[0]?.partitions[0]?.records.length).toBe(0);
  });

  it('gives typed errors for bad input', async () => {
    cluster.createTopic('strict', [[1, 2, 3]], { 'max.message.bytes': '2048' });
    await waitForRoles(cluster, 'strict');
    const producer = cluster.producer(1);

    const flipped = flipByte(batch(2), 70);
    expect(only(await producer.send(produceTo('strict', flipped, -1)))).toMatchObject({ errorCode: 'CORRUPT_RECORD', baseOffset: -1n });
    expect(only(await producer.send(produceTo('strict', batch(1, {}, 4096), -1)))).toMatchObject({ errorCode: 'MESSAGE_TOO_LARGE' });
    expect(only(await producer.send(produceTo('strict', Buffer.from('not a batch at all'), -1)))).toMatchObject({ errorCode: 'CORRUPT_RECORD' });
    expect(only(await producer.send(produceTo('strict', batch(1, { compression: 'gzip' }), -1)))).toMatchObject({ errorCode: 'NONE', baseOffset: 0n });
    expect(only(await producer.send(produceTo('nowhere', batch(1), -1)))).toMatchObject({ errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(only(await producer.send(produceTo('strict', batch(1), -1, 9)))).toMatchObject({ errorCode: 'UNKNOWN_TOPIC_OR_PARTITION' });
    const invalidAcks = await producer.send(produceTo('strict', batch(1), 2));
    expect(invalidAcks).toMatchObject({ errorCode: 'INVALID_REQUIRED_ACKS', topics: [] });

    // To a follower: NOT_LEADER_OR_FOLLOWER naming the leader, with its endpoint.
    const toFollower = await cluster.producer(2).send(produceTo('strict', batch(1), -1));
    expect(toFollower.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NOT_LEADER_OR_FOLLOWER', currentLeaderId: 1, currentLeaderEpoch: 0 });
    expect(toFollower.nodeEndpoints).toEqual([{ brokerId: 1, host: '127.0.0.1', port: cluster.node(1).server?.port, rack: '' }]);

    const consumer = cluster.consumer(1);
    const stale = await consumer.send(fetchFrom('strict', 0n, { currentLeaderEpoch: 5 }));
    expect(stale.topics[0]?.partitions[0]?.errorCode).toBe('UNKNOWN_LEADER_EPOCH');
    const outOfRange = await consumer.send(fetchFrom('strict', 99n));
    expect(outOfRange.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'OFFSET_OUT_OF_RANGE', highWatermark: 1n, logStartOffset: 0n });
    const badSize = await consumer.send({ ...fetchFrom('strict', 0n), maxBytes: -1 });
    expect(badSize.errorCode).toBe('INVALID_FETCH_SIZE');
    const fromFollower = await cluster.consumer(3).send(fetchFrom('strict', 0n));
    expect(fromFollower.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NOT_LEADER_OR_FOLLOWER', currentLeaderId: 1 });

    const client = cluster.clientService(1);
    const offsets = await client.listOffsets({
      topics: [
        {
          name: 'strict',
          partitions: [
            { partition: 0, currentLeaderEpoch: -1, timestampMs: -2n },
            { partition: 0, currentLeaderEpoch: -1, timestampMs: -1n },
            { partition: 0, currentLeaderEpoch: -1, timestampMs: 1_600_000_000_000n },
            { partition: 0, currentLeaderEpoch: -1, timestampMs: 1_800_000_000_000n },
            { partition: 0, currentLeaderEpoch: 3, timestampMs: -1n },
          ],
        },
      ],
    });
    expect(offsets.topics[0]?.partitions.map((p) => [p.errorCode, p.offset, p.leaderEpoch])).toEqual([
      ['NONE', 0n, 0],
      ['NONE', 1n, 0],
      ['NONE', 0n, 0],
      ['NONE', -1n, -1],
      ['UNKNOWN_LEADER_EPOCH', -1n, -1],
    ]);

    // The ReplicationService refuses a fetch from an old incarnation.
    const replication = connect(protocol, cluster.node(1).server?.address ?? '');
    try {
      const stream = new StreamClient(replication.service('ReplicationService').replicaFetch());
      const refused = await stream.send({ replicaId: 2, brokerEpoch: 1n, maxWaitMs: 0, minBytes: 1, maxBytes: 1024, incremental: false, topics: [], forgotten: [] });
      expect(refused.errorCode).toBe('STALE_BROKER_EPOCH');
      stream.close();
      const epochs = await replication.service('ReplicationService').offsetsForLeaderEpoch({ replicaId: -1, topics: [{ name: 'strict', partitions: [{ partition: 0, currentLeaderEpoch: -1, leaderEpoch: 0 }] }] });
      expect(epochs.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', leaderEpoch: 0, endOffset: 1n });
    } finally {
      replication.close();
    }
  });

  it('keeps the high watermark of a restarted leader from its checkpoint', async () => {
    cluster.createTopic('durable', [[1, 2, 3]]);
    await waitForRoles(cluster, 'durable');
    only(await cluster.producer(1).send(produceTo('durable', batch(10), -1)));
    await cluster.kill(2);
    await cluster.kill(3);
    await cluster.kill(1);
    await cluster.restart(1);
    await waitForRoles(cluster, 'durable');
    // Its followers are gone (still in the ISR for the lag time): only the checkpoint can tell
    // it that the 10 records were committed.
    expect(cluster.node(1).manager.highWatermark('durable', 0)).toBe(10n);
    const latest = await cluster.clientService(1).listOffsets({ topics: [{ name: 'durable', partitions: [{ partition: 0, currentLeaderEpoch: -1, timestampMs: -1n }] }] });
    expect(latest.topics[0]?.partitions[0]).toMatchObject({ errorCode: 'NONE', offset: 10n });
    // The restarted leader knows the producers of its log too, and appends after it.
    expect(only(await cluster.producer(1).send(produceTo('durable', batch(1), 1))).baseOffset).toBe(10n);
  });

  it('deletes the replicas of a deleted topic and serves a recreated one from scratch', async () => {
    cluster.createTopic('temp', [[1, 2, 3]]);
    await waitForRoles(cluster, 'temp');
    only(await cluster.producer(1).send(produceTo('temp', batch(3), -1)));
    cluster.commit([{ type: 'RemoveTopic', topicId: cluster.partition('temp').topicId }]);
    await waitFor('the logs to be deleted', () => [1, 2, 3].every((nodeId) => cluster.node(nodeId).logManager.get('temp', 0) === undefined && cluster.node(nodeId).manager.partitionStatus('temp', 0) === undefined));
    cluster.commit([
      { type: 'Topic', name: 'temp', topicId: 'temp-second-incarnatio' },
      { type: 'Partition', topicId: 'temp-second-incarnatio', partition: 0, replicas: [2, 3, 1], isr: [2, 3, 1], adding: [], removing: [], leader: 2, leaderEpoch: 0, partitionEpoch: 0 },
    ]);
    await waitForRoles(cluster, 'temp');
    expect(only(await cluster.producer(2).send(produceTo('temp', batch(1), -1))).baseOffset).toBe(0n);
  });
});

describe('ReplicaManager acks=all round trips', () => {
  it('acknowledges each acks=all produce after one fetch round trip per follower, with no long poll ever expiring', async () => {
    // The clock follows real time while the cluster settles, then stops: from then on no long
    // poll, lag or produce deadline can expire, so each acknowledgement must come from the
    // leader waking the followers' parked fetches and learning their progress from the next one.
    let frozenAtMs: number | undefined;
    const clock: Clock = { monotonicMs: () => frozenAtMs ?? performance.now(), wallMs: () => Date.now() };
    const cluster = await TestCluster.start(3, { ...fastConfig, replicaLagTimeMaxMs: 60_000, replicaFetchWaitMaxMs: 30_000, replicaFetchTimeoutMs: 60_000 }, clock);
    try {
      cluster.createTopic('acks', [[1, 2, 3]]);
      await waitForRoles(cluster, 'acks');
      const producer = cluster.producer(1);
      expect(only(await producer.send(produceTo('acks', batch(1), -1))).errorCode).toBe('NONE');
      await waitFor('both followers parked on the leader at its log end', () =>
        (cluster.node(1).manager.partitionStatus('acks', 0)?.followers ?? []).filter((follower) => follower.logEndOffset === 1n).length === 2,
      );
      frozenAtMs = performance.now();
      const followers = [2, 3].map((nodeId) => cluster.node(nodeId).manager);
      const roundTripsBefore = followers.map((manager) => manager.followerFetchCount());
      const produces = 20;
      for (let i = 0; i < produces; i++) {
        const answer = only(await producer.send(produceTo('acks', batch(1), -1)));
        expect(answer).toMatchObject({ errorCode: 'NONE', baseOffset: BigInt(1 + i) });
        // Acknowledged: the leader knows both followers hold the batch (their fetch offsets passed it).
        const status = cluster.node(1).manager.partitionStatus('acks', 0);
        expect(status?.highWatermark).toBe(BigInt(2 + i));
        expect(status?.followers.map((follower) => follower.logEndOffset)).toEqual([BigInt(2 + i), BigInt(2 + i)]);
      }
      // One round trip per produce and follower: the answer carrying the batch (the request that
      // reports the follower's progress is answered with the next batch).
      const roundTrips = followers.map((manager, i) => manager.followerFetchCount() - (roundTripsBefore[i] ?? 0));
      for (const count of roundTrips) {
        expect(count).toBeGreaterThanOrEqual(produces);
        expect(count).toBeLessThanOrEqual(produces + 1);
      }
    } finally {
      frozenAtMs = undefined;
      await cluster.close();
    }
  });
});
