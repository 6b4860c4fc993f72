import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Clock, type Logger, Prng, silentLogger } from '@eddy/base';
import { LogManager, type PartitionLog } from '@eddy/log';
import type { MetadataRecord } from '@eddy/metadata';
import { noError, type WireError } from '@eddy/protocol';
import { iterateBatches } from '@eddy/record';
import type { CreateTopicRequest } from '../../controller/controller-core.js';
import type { GroupCoordinatorConfig } from '../../group/index.js';
import { MetadataLoader } from '../../metadata/metadata-loader.js';
import type { AppendOutcome } from '../../replication/partition-replica.js';
import type { AppendRecordsInput, ReplicaRoleListener } from '../../replication/replica-manager.js';
import { GroupCoordinator, type OffsetsReplicas } from '../group-coordinator.js';
import { OFFSETS_TOPIC } from '../offsets-topic.js';

/**
 * The replica manager as the group coordinator sees it, for one node, over real partition logs:
 * appends go to the log at once; the high watermark moves when the test says (`replicate`) or
 * after every append (`autoReplicate`), and acks=all appends are answered only once it covers
 * them, as the real one does. Roles change when the test says.
 */
export class FakeOffsetsReplicas implements OffsetsReplicas {
  /** The HW follows every append at once. */
  autoReplicate = true;
  /** Appends fail with this error (as a leader refusing them would). */
  appendError: WireError | undefined;
  readonly appends: AppendRecordsInput[] = [];
  private readonly leaders = new Set<number>();
  private readonly highWatermarks = new Map<number, bigint>();
  private readonly waiting: Array<{ partition: number; requiredOffset: bigint; resolve: (outcome: AppendOutcome) => void; outcome: AppendOutcome }> = [];
  private readonly listeners: ReplicaRoleListener[] = [];
  private leaderEpoch = 0;

  constructor(readonly logManager: LogManager) {}

  log(partition: number): PartitionLog | undefined {
    return this.logManager.get(OFFSETS_TOPIC, partition);
  }

  async appendRecords(input: AppendRecordsInput): Promise<AppendOutcome> {
    this.appends.push(input);
    const failure = (error: WireError): AppendOutcome => ({ error, baseOffset: -1n, logStartOffset: 0n, currentLeaderId: -1, currentLeaderEpoch: -1 });
    if (!this.leaders.has(input.partition)) return failure({ errorCode: 'NOT_LEADER_OR_FOLLOWER', errorMessage: 'not the leader' });
    if (this.appendError !== undefined) return failure(this.appendError);
    const log = this.log(input.partition);
    if (log === undefined) return failure({ errorCode: 'UNKNOWN_TOPIC_OR_PARTITION', errorMessage: 'no log' });
    const result = await log.append(input.records, { leaderEpoch: this.leaderEpoch, assignOffsets: true });
    const outcome: AppendOutcome = { error: noError, baseOffset: result.baseOffset, logStartOffset: log.logStartOffset, currentLeaderId: -1, currentLeaderEpoch: -1 };
    if (this.autoReplicate) {
      this.highWatermarks.set(input.partition, log.logEndOffset);
      return outcome;
    }
    return new Promise((resolve) => this.waiting.push({ partition: input.partition, requiredOffset: result.lastOffset + 1n, resolve, outcome }));
  }

  /** The followers caught up: the HW moves to the log end and covered appends are answered. */
  replicate(partition: number): void {
    const end = this.log(partition)?.logEndOffset ?? 0n;
    this.highWatermarks.set(partition, end);
    for (const entry of [...this.waiting]) {
      if (entry.partition !== partition || entry.requiredOffset > end) continue;
      this.waiting.splice(this.waiting.indexOf(entry), 1);
      entry.resolve(entry.outcome);
    }
  }

  get unanswered(): number {
    return this.waiting.length;
  }

  setHighWatermark(partition: number, highWatermark: bigint): void {
    this.highWatermarks.set(partition, highWatermark);
  }

  highWatermark(topic: string, partition: number): bigint | undefined {
    if (topic !== OFFSETS_TOPIC || this.log(partition) === undefined) return undefined;
    return this.highWatermarks.get(partition) ?? 0n;
  }

  isLeader(topic: string, partition: number): boolean {
    return topic === OFFSETS_TOPIC && this.leaders.has(partition);
  }

  subscribeRoleChanges(listener: ReplicaRoleListener): () => void {
    this.listeners.push(listener);
    return () => this.listeners.splice(this.listeners.indexOf(listener), 1);
  }

  /** Takes up a role (opening the log first, as the replica manager does). */
  async become(partition: number, role: 'leader' | 'follower' | 'none'): Promise<void> {
    this.leaderEpoch++;
    if (role === 'none') {
      this.leaders.delete(partition);
      await this.logManager.delete(OFFSETS_TOPIC, partition);
      this.highWatermarks.delete(partition);
    } else {
      await this.logManager.getOrCreate(OFFSETS_TOPIC, partition);
      if (role === 'leader') this.leaders.add(partition);
      else this.leaders.delete(partition);
    }
    for (const listener of [...this.listeners]) listener({ topic: OFFSETS_TOPIC, partition, role, leaderEpoch: this.leaderEpoch });
  }

  /** Copies what `source` has beyond this replica's log end (a follower's fetch). */
  async fetchFrom(source: FakeOffsetsReplicas, partition: number): Promise<void> {
    const from = source.log(partition);
    const to = this.log(partition) ?? (await this.logManager.getOrCreate(OFFSETS_TOPIC, partition));
    if (from === undefined) return;
    while (to.logEndOffset < from.logEndOffset) {
      const { records } = await from.read(to.logEndOffset, 1024 * 1024);
      if (records.length === 0) break;
      let copied = 0;
      for (const { position, size, header } of iterateBatches(records)) {
        if (header.baseOffset < to.logEndOffset) continue;
        await to.append(records.subarray(position, position + size), { leaderEpoch: header.partitionLeaderEpoch, assignOffsets: false });
        copied++;
      }
      if (copied === 0) break;
    }
    const sourceHw = source.highWatermark(OFFSETS_TOPIC, partition) ?? 0n;
    this.highWatermarks.set(partition, sourceHw < to.logEndOffset ? sourceHw : to.logEndOffset);
  }
}

export interface TestNode {
  readonly dir: string;
  readonly replicas: FakeOffsetsReplicas;
  readonly coordinator: GroupCoordinator;
  readonly created: CreateTopicRequest[];
  close(): Promise<void>;
}

/** Metadata of a small cluster: brokers 1–3, __consumer_offsets and `orders` (3 partitions each). */
export class TestMetadata {
  readonly loader = new MetadataLoader();
  private offset = 0;

  constructor(options: { readonly offsetsTopic?: boolean; readonly brokers?: number } = {}) {
    const brokers = options.brokers ?? 3;
    const records: MetadataRecord[] = [];
    for (let id = 1; id <= brokers; id++) {
      records.push(
        { type: 'RegisterBroker', brokerId: id, incarnationId: `b${id}`, brokerEpoch: id, endpoint: { host: '127.0.0.1', port: 9090 + id }, rack: null },
        { type: 'UnfenceBroker', brokerId: id, brokerEpoch: id },
      );
    }
    this.commit(records);
    if (options.offsetsTopic !== false) this.createTopic(OFFSETS_TOPIC, 3);
    this.createTopic('orders', 3);
  }

  commit(records: readonly MetadataRecord[]): void {
    this.offset++;
    this.loader.applyCommitted([{ offset: this.offset, records }]);
  }

  createTopic(name: string, partitions: number, leader = 1): void {
    const topicId = `${name}-id-${this.offset}`;
    this.commit([
      { type: 'Topic', name, topicId },
      ...Array.from({ length: partitions }, (_, partition): MetadataRecord => ({ type: 'Partition', topicId, partition, replicas: [1, 2, 3], isr: [1, 2, 3], adding: [], removing: [], leader, leaderEpoch: 0, partitionEpoch: 0 })),
    ]);
  }

  addPartition(name: string): void {
    const topic = this.loader.image.topic(name);
    if (topic === undefined) throw new Error(`no topic ${name}`);
    this.commit([{ type: 'Partition', topicId: topic.topicId, partition: topic.partitions.size, replicas: [1, 2, 3], isr: [1, 2, 3], adding: [], removing: [], leader: 1, leaderEpoch: 0, partitionEpoch: 0 }]);
  }

  deleteTopic(name: string): void {
    const topic = this.loader.image.topic(name);
    if (topic === undefined) throw new Error(`no topic ${name}`);
    this.commit([{ type: 'RemoveTopic', topicId: topic.topicId }]);
  }

  setLeader(name: string, partition: number, leader: number): void {
    const topic = this.loader.image.topic(name);
    if (topic === undefined) throw new Error(`no topic ${name}`);
    this.commit([{ type: 'PartitionChange', topicId: topic.topicId, partition, leader }]);
  }
}

/** A coordinator over a fake replica manager and real logs in a temporary directory. */
export async function startTestNode(
  metadata: TestMetadata,
  options: {
    readonly group?: Partial<Omit<GroupCoordinatorConfig, 'offsetsTopicPartitionCount'>>;
    readonly activeController?: boolean;
    readonly logger?: Logger;
    readonly seed?: number;
    readonly clock?: Clock;
    readonly offsetsRetentionMs?: number;
  } = {},
): Promise<TestNode> {
  const dir = await mkdtemp(join(tmpdir(), 'eddy-group-coordinator-'));
  const logManager = new LogManager({ dataDir: join(dir, 'logs') });
  const replicas = new FakeOffsetsReplicas(logManager);
  const created: CreateTopicRequest[] = [];
  const coordinator = await GroupCoordinator.open({
    dataDir: dir,
    offsetsTopic: { partitions: 3, replicationFactor: 3 },
    group: { groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100, ...options.group },
    replicas,
    logs: (topic, partition) => logManager.get(topic, partition),
    metadata: metadata.loader,
    createTopic: (request) => {
      created.push(request);
      return Promise.resolve();
    },
    isActiveController: () => options.activeController === true,
    prng: new Prng(options.seed ?? 7),
    ...(options.clock === undefined ? {} : { clock: options.clock }),
    ...(options.offsetsRetentionMs === undefined ? {} : { offsetsRetentionMs: options.offsetsRetentionMs }),
    logger: options.logger ?? silentLogger,
  });
  coordinator.start();
  return {
    dir,
    replicas,
    coordinator,
    created,
    async close() {
      await coordinator.close();
      await logManager.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
