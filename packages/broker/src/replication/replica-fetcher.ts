import { type Clock, EddyError, type Logger } from '@eddy/base';
import {
  fromGrpcError,
  type ReplicaFetchPartition,
  type ReplicaFetchPartitionResponse,
  type ReplicaFetchRequest,
  type ReplicaFetchResponse,
  type ReplicaFetchTopic,
  type ServiceClient,
  type TopicPartitions,
} from '@eddy/protocol';
import { partitionKey } from './partition-key.js';
import type { ReplicaManagerConfig } from './replica-manager-config.js';

/**
 * Where a follower replica fetches from: shared between the replica manager (which moves it
 * after appends and truncations) and the fetcher of the leader's broker (which sends it).
 */
export interface FollowerFetchState {
  readonly key: string;
  readonly topicId: string;
  readonly topic: string;
  readonly partition: number;
  /** The leader epoch this follower believes current. */
  readonly leaderEpoch: number;
  /** The follower's log end offset. */
  fetchOffset: bigint;
  /** Leader epoch of the follower's last batch, -1 when its log is empty. */
  lastFetchedEpoch: number;
  logStartOffset: bigint;
  /** Not fetched before this time (monotonic ms): a backoff after a partition error. */
  delayedUntilMs: number;
  /** Set when the partition left this fetcher; a late answer for it is dropped. */
  removed: boolean;
}

/** What the leader's session holds for a partition: the position the last request named. */
export interface SentPosition {
  readonly state: FollowerFetchState;
  readonly fetchOffset: bigint;
  readonly lastFetchedEpoch: number;
  readonly logStartOffset: bigint;
}

export interface ReplicaFetcherDeps {
  readonly nodeId: number;
  /** The broker this fetcher pulls from. */
  readonly sourceBrokerId: number;
  readonly brokerEpoch: () => number;
  readonly replicationClient: (brokerId: number) => ServiceClient<'ReplicationService'> | undefined;
  readonly config: ReplicaManagerConfig;
  readonly clock: Clock;
  readonly logger: Logger;
  /**
   * Applies one partition's answer (append, truncation, HW, errors). Errors it throws delay the
   * partition by the backoff. Answers for several partitions are applied concurrently.
   */
  readonly onPartition: (sent: SentPosition, response: ReplicaFetchPartitionResponse) => Promise<void>;
}

/**
 * The follower side of replication towards one leader broker (Kafka's ReplicaFetcherThread):
 * one ReplicaFetch stream carries every partition this node follows from that broker. The
 * stream is a fetch session: the first request is full, later ones incremental (only the
 * partitions whose position changed, plus the forgotten ones), with one fetch in flight that
 * the leader long-polls while there is nothing new. Errors back off and reopen the stream.
 */
export class ReplicaFetcher {
  private readonly partitions = new Map<string, FollowerFetchState>();
  private readonly logger: Logger;
  private wake: (() => void) | undefined;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private cancelCall: (() => void) | undefined;
  private correlationId = 0;
  /** Completed fetch round trips (for tests and status). */
  fetchCount = 0;

  constructor(private readonly deps: ReplicaFetcherDeps) {
    this.logger = deps.logger.child({ component: 'replica-fetcher', sourceBrokerId: deps.sourceBrokerId });
  }

  get size(): number {
    return this.partitions.size;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  add(state: FollowerFetchState): void {
    if (this.stopped) return;
    const previous = this.partitions.get(state.key);
    if (previous !== undefined && previous !== state) previous.removed = true;
    this.partitions.set(state.key, state);
    this.loop ??= this.run();
    this.kick();
  }

  remove(key: string): void {
    const state = this.partitions.get(key);
    if (state === undefined) return;
    state.removed = true;
    this.partitions.delete(key);
    this.kick();
  }

  /** Stops fetching: cancels the stream and waits for the loop (and answers being applied) to end. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const state of this.partitions.values()) state.removed = true;
    this.partitions.clear();
    this.cancelCall?.();
    this.kick();
    await this.loop;
  }

  private kick(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  /** Waits for add/remove/stop, or `timeoutMs` when given. */
  private waitForChange(timeoutMs: number | undefined): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      this.wake = () => {
        if (timer !== undefined) clearTimeout(timer);
        resolve();
      };
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          this.wake = undefined;
          resolve();
        }, Math.max(0, timeoutMs));
      }
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      if (this.partitions.size === 0) {
        await this.waitForChange(undefined);
        continue;
      }
      const client = this.deps.replicationClient(this.deps.sourceBrokerId);
      if (client === undefined) {
        this.logger.warn('no endpoint for the leader broker; retrying');
        await this.waitForChange(this.backoffMs(failures++));
        continue;
      }
      try {
        await this.runSession(client);
        failures = 0;
      } catch (error) {
        if (this.stopped) break;
        const eddyError = fromGrpcError(error);
        this.logger.warn({ code: eddyError.code, error: eddyError.message }, 'replica fetch failed; reconnecting after a backoff');
        await this.waitForChange(this.backoffMs(failures++));
      }
    }
  }

  private backoffMs(failures: number): number {
    const base = this.deps.config.replicaFetchBackoffMs;
    return Math.min(base * 2 ** Math.min(failures, 6), Math.max(base, 2_000));
  }

  /** One stream: fetch rounds until the fetcher has nothing left, stops, or the stream fails. */
  private async runSession(client: ServiceClient<'ReplicationService'>): Promise<void> {
    const call = client.replicaFetch();
    const reader = new ResponseReader<ReplicaFetchResponse>(call);
    this.cancelCall = () => call.cancel();
    const sent = new Map<string, SentPosition>();
    let full = true;
    try {
      while (!this.stopped) {
        if (this.partitions.size === 0) return;
        const nowMs = this.deps.clock.monotonicMs();
        const fetchable = new Map<string, FollowerFetchState>();
        let nextReadyMs = Infinity;
        for (const state of this.partitions.values()) {
          if (state.delayedUntilMs <= nowMs) fetchable.set(state.key, state);
          else nextReadyMs = Math.min(nextReadyMs, state.delayedUntilMs);
        }
        if (fetchable.size === 0) {
          await this.waitForChange(nextReadyMs - nowMs);
          continue;
        }
        const request = this.buildRequest(fetchable, sent, full);
        full = false;
        call.write(request);
        const response = await reader.next(this.deps.config.replicaFetchWaitMaxMs + this.deps.config.replicaFetchTimeoutMs);
        if (response.correlationId !== request.correlationId) {
          throw new EddyError('INVALID_REQUEST', `answer ${response.correlationId} to fetch ${request.correlationId}`);
        }
        if (response.errorCode !== 'NONE') {
          throw new EddyError(response.errorCode, `the leader refused the fetch: ${response.errorMessage}`, { retriable: true });
        }
        this.fetchCount++;
        await this.applyResponse(response, sent);
      }
    } finally {
      this.cancelCall = undefined;
      reader.dispose();
      call.cancel();
    }
  }

  private buildRequest(fetchable: ReadonlyMap<string, FollowerFetchState>, sent: Map<string, SentPosition>, full: boolean): ReplicaFetchRequest {
    if (full) sent.clear();
    const topics = new Map<string, ReplicaFetchTopic>();
    for (const state of fetchable.values()) {
      const previous = sent.get(state.key);
      const changed =
        previous === undefined ||
        previous.state !== state ||
        previous.fetchOffset !== state.fetchOffset ||
        previous.lastFetchedEpoch !== state.lastFetchedEpoch ||
        previous.logStartOffset !== state.logStartOffset;
      if (!changed) continue;
      sent.set(state.key, { state, fetchOffset: state.fetchOffset, lastFetchedEpoch: state.lastFetchedEpoch, logStartOffset: state.logStartOffset });
      let topic = topics.get(state.topic);
      if (topic === undefined) topics.set(state.topic, (topic = { topicId: state.topicId, name: state.topic, partitions: [] }));
      const partition: ReplicaFetchPartition = {
        partition: state.partition,
        currentLeaderEpoch: state.leaderEpoch,
        fetchOffset: state.fetchOffset,
        lastFetchedEpoch: state.lastFetchedEpoch,
        logStartOffset: state.logStartOffset,
        partitionMaxBytes: this.deps.config.replicaFetchMaxBytes,
      };
      topic.partitions.push(partition);
    }
    const forgotten = new Map<string, TopicPartitions>();
    for (const [key, previous] of sent) {
      if (fetchable.get(key) === previous.state) continue;
      sent.delete(key);
      let topic = forgotten.get(previous.state.topic);
      if (topic === undefined) forgotten.set(previous.state.topic, (topic = { topic: previous.state.topic, partitions: [] }));
      topic.partitions.push(previous.state.partition);
    }
    this.correlationId = (this.correlationId + 1) >>> 0;
    return {
      correlationId: this.correlationId,
      replicaId: this.deps.nodeId,
      brokerEpoch: BigInt(this.deps.brokerEpoch()),
      maxWaitMs: this.deps.config.replicaFetchWaitMaxMs,
      minBytes: this.deps.config.replicaFetchMinBytes,
      maxBytes: this.deps.config.replicaFetchResponseMaxBytes,
      incremental: !full,
      topics: [...topics.values()],
      forgotten: full ? [] : [...forgotten.values()],
    };
  }

  private async applyResponse(response: ReplicaFetchResponse, sent: ReadonlyMap<string, SentPosition>): Promise<void> {
    const work: Array<Promise<void>> = [];
    for (const topic of response.topics) {
      for (const partition of topic.partitions) {
        const position = sent.get(partitionKey(topic.name, partition.partition));
        if (position === undefined || position.state.removed) continue;
        work.push(
          this.deps.onPartition(position, partition).catch((error: unknown) => {
            const eddyError = fromGrpcError(error);
            position.state.delayedUntilMs = this.deps.clock.monotonicMs() + this.deps.config.replicaFetchBackoffMs;
            this.logger.warn({ topic: topic.name, partition: partition.partition, code: eddyError.code, error: eddyError.message }, 'could not apply fetched data; backing off');
          }),
        );
      }
    }
    await Promise.all(work);
  }
}

interface DuplexCall<T> {
  on(event: 'data', listener: (message: T) => void): unknown;
  on(event: 'error', listener: (error: Error) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  removeAllListeners(): unknown;
}

/** Turns a stream's events into awaited answers, one at a time, with a deadline each. */
class ResponseReader<T> {
  private readonly queue: T[] = [];
  private failure: EddyError | undefined;
  private waiter: { resolve: (message: T) => void; reject: (error: EddyError) => void; timer: NodeJS.Timeout } | undefined;

  constructor(private readonly call: DuplexCall<T>) {
    call.on('data', (message) => {
      const waiter = this.waiter;
      if (waiter === undefined) {
        this.queue.push(message);
        return;
      }
      this.waiter = undefined;
      clearTimeout(waiter.timer);
      waiter.resolve(message);
    });
    call.on('error', (error) => this.fail(fromGrpcError(error)));
    call.on('end', () => this.fail(new EddyError('NETWORK_EXCEPTION', 'the leader closed the fetch stream', { retriable: true })));
    // A cancelled call may only report 'close'.
    call.on('close', () => this.fail(new EddyError('NETWORK_EXCEPTION', 'the fetch stream closed', { retriable: true })));
  }

  next(timeoutMs: number): Promise<T> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    if (this.failure !== undefined) return Promise.reject(this.failure);
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        reject(new EddyError('REQUEST_TIMED_OUT', `no fetch answer within ${timeoutMs} ms`, { retriable: true }));
      }, timeoutMs);
      this.waiter = { resolve, reject, timer };
    });
  }

  dispose(): void {
    this.fail(new EddyError('CANCELLED', 'the fetch stream was closed'));
    // Keep an error listener: grpc-js may still emit the cancellation.
    this.call.removeAllListeners();
    this.call.on('error', () => undefined);
  }

  private fail(error: EddyError): void {
    this.failure ??= error;
    const waiter = this.waiter;
    if (waiter === undefined) return;
    this.waiter = undefined;
    clearTimeout(waiter.timer);
    waiter.reject(this.failure);
  }
}
