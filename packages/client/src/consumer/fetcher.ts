import type { EddyError, Logger, Prng } from '@eddy/base';
import type { FetchPartitionResponse, FetchRequest, FetchResponse } from '@eddy/protocol';
import type { Cluster } from '../cluster/cluster.js';
import { asEddyError, fromCode } from '../errors.js';
import { clientDefaults } from '../limits.js';
import { backoffMs } from '../retry.js';
import { CorrelatedStream } from '../transport/correlated-stream.js';
import { partitionKey } from '../types.js';
import type { AssignedPartition } from './assigned-partition.js';

export interface FetcherOptions {
  readonly maxWaitMs: number;
  readonly minBytes: number;
  readonly maxBytes: number;
  readonly maxPartitionFetchBytes: number;
  readonly prefetchBytesPerPartition: number;
  readonly fetchesInFlightPerBroker: number;
  readonly requestTimeoutMs: number;
  readonly retryBackoffMs: number;
}

/** What the fetcher needs from its consumer. */
export interface FetcherHost {
  /** Partitions to fetch (the assigned ones). */
  partitions(): Iterable<AssignedPartition>;
  /** False while the consumer must not fetch (rebalancing, closing). */
  canFetch(): boolean;
  /** Records were buffered for `partition`. */
  onRecords(partition: AssignedPartition): void;
  /** The fetch position is outside the log: reset it (or report it). */
  onOffsetOutOfRange(partition: AssignedPartition, error: EddyError): void;
  /** A partition failed for good: poll() reports it. */
  onPartitionError(partition: AssignedPartition, error: EddyError): void;
}

interface SentPartition {
  readonly partition: AssignedPartition;
  readonly epoch: number;
  readonly fetchOffset: bigint;
}

interface BrokerLink {
  readonly stream: CorrelatedStream<FetchRequest, FetchResponse>;
  inFlight: number;
}

/** Errors after which the partition is fetched again after a metadata refresh and a backoff. */
const retryCodes: ReadonlySet<string> = new Set([
  'NOT_LEADER_OR_FOLLOWER',
  'FENCED_LEADER_EPOCH',
  'UNKNOWN_LEADER_EPOCH',
  'UNKNOWN_TOPIC_OR_PARTITION',
  'UNKNOWN_TOPIC_ID',
  'LEADER_NOT_AVAILABLE',
  'REPLICA_NOT_AVAILABLE',
  'OFFSET_NOT_AVAILABLE',
  'STORAGE_ERROR',
  'NOT_ENOUGH_REPLICAS',
  'NODE_SHUTTING_DOWN',
  'REQUEST_TIMED_OUT',
  'NETWORK_EXCEPTION',
  'THROTTLING_QUOTA_EXCEEDED',
  'TOO_MANY_INFLIGHT_REQUESTS',
]);

/**
 * Keeps the consumer's buffers filled: long-polling Fetch requests over one long-lived stream
 * per broker, several in flight, each for the partitions that have room. A partition whose
 * buffer holds `prefetchBytesPerPartition` is not fetched until the consumer takes records, so
 * memory stays bounded however slow the application is.
 */
export class Fetcher {
  private readonly links = new Map<number, BrokerLink>();
  private scheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private closed = false;

  constructor(
    private readonly cluster: Cluster,
    private readonly options: FetcherOptions,
    private readonly host: FetcherHost,
    private readonly prng: Prng,
    private readonly logger: Logger,
  ) {}

  /** Sends fetches for the partitions that need them (soon, coalesced). */
  schedule(): void {
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      try {
        this.fetch();
      } catch (error: unknown) {
        this.logger.error({ err: error }, 'fetch scheduling failed');
      }
    });
  }

  /** Cancels the fetches in flight and ends the streams. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    await Promise.all([...this.links.values()].map((link) => link.stream.close(0)));
    this.links.clear();
  }

  private fetch(): void {
    if (this.closed || !this.host.canFetch()) return;
    const nowMs = this.cluster.nowMs();
    const byLeader = new Map<number, AssignedPartition[]>();
    let wakeAtMs = Number.POSITIVE_INFINITY;
    for (const partition of this.host.partitions()) {
      if (partition.paused || partition.fetchInFlight || partition.position === undefined || partition.resolving || partition.error !== undefined) continue;
      if (partition.bufferedBytes >= this.options.prefetchBytesPerPartition) continue;
      if (nowMs < partition.retryAtMs) {
        wakeAtMs = Math.min(wakeAtMs, partition.retryAtMs);
        continue;
      }
      const leader = this.cluster.leaderFor(partition.topic, partition.partition);
      if (leader === undefined) continue;
      const list = byLeader.get(leader) ?? [];
      list.push(partition);
      byLeader.set(leader, list);
    }
    for (const [leader, partitions] of byLeader) {
      const link = this.link(leader);
      if (link.inFlight >= this.options.fetchesInFlightPerBroker) continue;
      this.send(leader, link, partitions);
    }
    if (wakeAtMs < Number.POSITIVE_INFINITY) this.armWake(wakeAtMs);
  }

  private armWake(atMs: number): void {
    if (atMs >= this.wakeAtMs) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAtMs = Number.POSITIVE_INFINITY;
        this.schedule();
      },
      Math.max(0, Math.ceil(atMs - this.cluster.nowMs())),
    );
  }

  private link(brokerId: number): BrokerLink {
    let link = this.links.get(brokerId);
    if (link === undefined) {
      link = {
        stream: new CorrelatedStream<FetchRequest, FetchResponse>({
          label: `fetch stream to broker ${brokerId}`,
          logger: this.logger,
          open: () => this.cluster.brokerConnection(brokerId).service('ClientService').fetch(),
        }),
        inFlight: 0,
      };
      this.links.set(brokerId, link);
    }
    return link;
  }

  private send(brokerId: number, link: BrokerLink, partitions: readonly AssignedPartition[]): void {
    const sent: SentPartition[] = [];
    const byTopic = new Map<string, FetchRequest['topics'][number]['partitions']>();
    for (const partition of partitions) {
      partition.fetchInFlight = true;
      sent.push({ partition, epoch: partition.epoch, fetchOffset: partition.fetchOffset });
      let list = byTopic.get(partition.topic);
      if (list === undefined) {
        list = [];
        byTopic.set(partition.topic, list);
      }
      list.push({
        partition: partition.partition,
        fetchOffset: partition.fetchOffset,
        partitionMaxBytes: Math.max(1, Math.min(this.options.maxPartitionFetchBytes, this.options.prefetchBytesPerPartition - partition.bufferedBytes)),
        currentLeaderEpoch: this.cluster.metadata.partition(partition.topic, partition.partition)?.leaderEpoch ?? -1,
        lastFetchedEpoch: partition.lastFetchedEpoch,
      });
    }
    link.inFlight++;
    let response: Promise<FetchResponse>;
    try {
      response = link.stream.request(
        (correlationId) => ({
          correlationId,
          maxWaitMs: this.options.maxWaitMs,
          minBytes: this.options.minBytes,
          maxBytes: this.options.maxBytes,
          topics: [...byTopic].map(([name, list]) => ({ name, partitions: list })),
        }),
        this.options.maxWaitMs + this.options.requestTimeoutMs,
      );
    } catch (error: unknown) {
      response = Promise.reject(asEddyError(error));
    }
    response
      .then(
        (answer) => this.onResponse(sent, answer),
        (error: unknown) => {
          const eddyError = asEddyError(error);
          if (this.closed) return;
          this.logger.debug({ brokerId, code: eddyError.code }, `fetch failed: ${eddyError.message}`);
          this.cluster.onError(eddyError);
          for (const entry of sent) this.retryLater(entry.partition);
        },
      )
      .finally(() => {
        link.inFlight--;
        for (const entry of sent) entry.partition.fetchInFlight = false;
        this.schedule();
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'fetch response handling failed'));
  }

  private onResponse(sent: readonly SentPartition[], response: FetchResponse): void {
    if (this.closed) return;
    if (response.errorCode !== 'NONE') {
      const error = fromCode(response.errorCode, response.errorMessage);
      this.cluster.onError(error);
      for (const entry of sent) {
        if (retryCodes.has(error.code) || error.retriable) this.retryLater(entry.partition);
        else this.host.onPartitionError(entry.partition, error);
      }
      return;
    }
    const answers = new Map<string, FetchPartitionResponse>();
    for (const topic of response.topics) {
      for (const partition of topic.partitions) answers.set(partitionKey(topic.name, partition.partition), partition);
    }
    for (const entry of sent) {
      const partition = entry.partition;
      if (partition.epoch !== entry.epoch) continue; // seeked, reset or revoked since
      const answer = answers.get(partitionKey(partition.topic, partition.partition));
      if (answer === undefined) continue;
      if (answer.errorCode === 'NONE') {
        partition.highWatermark = answer.highWatermark;
        partition.logStartOffset = answer.logStartOffset;
        if (answer.divergingEpoch !== null) {
          this.onDiverged(partition, answer.divergingEpoch.epoch, answer.divergingEpoch.endOffset);
          continue;
        }
        if (answer.records.length > 0 && partition.fetchOffset === entry.fetchOffset) {
          partition.addFetched(answer.records);
          this.host.onRecords(partition);
        }
        continue;
      }
      const error = fromCode(answer.errorCode, answer.errorMessage, partition.topic, partition.partition);
      if (answer.errorCode === 'OFFSET_OUT_OF_RANGE') {
        this.host.onOffsetOutOfRange(partition, error);
      } else if (retryCodes.has(answer.errorCode) || error.retriable) {
        this.cluster.onError(error);
        this.retryLater(partition);
      } else {
        this.host.onPartitionError(partition, error);
      }
    }
  }

  /** The log was truncated under the consumer: continue from where the epoch ended (never past the position). */
  private onDiverged(partition: AssignedPartition, epoch: number, endOffset: bigint): void {
    const position = partition.position ?? endOffset;
    const next = endOffset < position ? endOffset : position;
    this.logger.warn({ topic: partition.topic, partition: partition.partition, epoch, endOffset: String(endOffset) }, 'log truncation detected; continuing from the end of the diverging epoch');
    partition.seek(next, partition.positionEpoch);
    partition.lastFetchedEpoch = epoch;
  }

  private retryLater(partition: AssignedPartition): void {
    const waitMs = backoffMs(1, { attemptsMax: 0, initialBackoffMs: this.options.retryBackoffMs, backoffMaxMs: clientDefaults.retryBackoffMs * 10, deadlineMs: 0 }, this.prng);
    partition.retryAtMs = this.cluster.nowMs() + waitMs;
  }
}
