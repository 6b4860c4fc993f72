import { EddyError, type Logger, type Prng } from '@eddy/base';
import type { ErrorCodeName, ProducePartitionResponse, ProduceRequest, ProduceResponse } from '@eddy/protocol';
import { encodeRecordBatch, type Compression, type RecordHeader, type RecordHeaderMap, type RecordInput, recordBytesUpperBound, RECORD_BATCH_HEADER_BYTES } from '@eddy/record';
import type { Cluster } from '../cluster/cluster.js';
import { asEddyError, ClientClosedError, fromCode, InvalidConfigError, TopicPartitionError, withPartition } from '../errors.js';
import { clientDefaults, clientLimits } from '../limits.js';
import { backoffMs } from '../retry.js';
import { CorrelatedStream } from '../transport/correlated-stream.js';
import { sleep } from '../util/async.js';
import { partitionKey } from '../types.js';
import { MemoryBudget } from './memory-budget.js';
import { type Partitioner, RoundRobinPartitioner, StickyPartitioner } from './partitioner.js';
import { PartitionQueue, ProducerBatch, type RecordMetadata, rewriteProducerFields, SendSink, sequenceAdd } from './producer-batch.js';

/** Acknowledgements: 'all' (or -1) waits for every in-sync replica, 1 for the leader, 0 for nothing. */
export type Acks = 'all' | -1 | 0 | 1;

/** One message to send. Strings are written as UTF-8. */
export interface ProducerMessage {
  /** Keyed messages go to murmur2(key) mod partitions, as Kafka's default partitioner does. */
  readonly key?: Buffer | string | null;
  readonly value: Buffer | string | null;
  readonly headers?: RecordHeaderMap | readonly RecordHeader[];
  /** An explicit partition (wins over the key and the partitioner). */
  readonly partition?: number;
  /** Milliseconds since the epoch; default: when `send()` is called. */
  readonly timestamp?: number;
}

/** What `producer.send()` takes: messages for one topic. */
export interface ProducerRecord {
  readonly topic: string;
  readonly messages: readonly ProducerMessage[];
}

export interface ProducerOptions {
  /** Default 'all'. */
  readonly acks?: Acks;
  /**
   * No duplicates and no reordering on retries (producer id + per-partition sequence numbers).
   * Default: on with acks 'all', off otherwise; asking for it with other acks is an error.
   */
  readonly idempotent?: boolean;
  /** How long a batch waits for more records before it is sent (default 5 ms). */
  readonly lingerMs?: number;
  /** Bytes at which a partition's batch is closed and sent (default 64 KiB). */
  readonly batchSize?: number;
  /** Produce requests in flight per broker (default 5; at most 5 when idempotent). */
  readonly maxInFlight?: number;
  /** Bytes of records buffered, not yet acknowledged (default 32 MiB). */
  readonly bufferMemory?: number;
  /** How long `send()` waits for buffer room or topic metadata before failing (default 60 s). */
  readonly maxBlockMs?: number;
  /** Default 'none'. */
  readonly compression?: Compression;
  /**
   * Unkeyed messages: 'round-robin' (the default: a d g j / b e h / c f i over three partitions),
   * 'sticky' (fill one partition's batch, then move on), or a custom Partitioner.
   */
  readonly partitioner?: 'round-robin' | 'sticky' | Partitioner;
  /** Deadline of one produce request (default: the client's requestTimeoutMs). */
  readonly requestTimeoutMs?: number;
  /** Upper bound on the time from `send()` to success or failure, retries included (default 120 s). */
  readonly deliveryTimeoutMs?: number;
  /** First backoff after a failed send of a batch (default 100 ms, doubling, with jitter). */
  readonly retryBackoffMs?: number;
  /** Longest backoff between two sends of a batch (default 1 s, Kafka's retry.backoff.max.ms). */
  readonly retryBackoffMaxMs?: number;
  /** Bytes of batches in one produce request (default 16 MiB). */
  readonly maxRequestBytes?: number;
}

/** A snapshot of the producer's buffers. */
export interface ProducerMetrics {
  /** Bytes of records accepted and not yet acknowledged (never above `bufferMemory`). */
  readonly bufferedBytes: number;
  readonly bufferMemory: number;
  /** Batches waiting to be sent (new or to retry). */
  readonly queuedBatches: number;
  readonly inFlightBatches: number;
  readonly inFlightRequests: number;
}

/**
 * Sends records to topics. Records are batched per partition and sent over one long-lived
 * Produce stream per broker, many requests in flight; `send()` resolves once its messages are
 * acknowledged (per `acks`), one RecordMetadata per message, in order.
 */
export interface Producer {
  /**
   * Sends messages to one topic; resolves with each message's partition and offset. Waits up to
   * `maxBlockMs` for buffer room (then BufferExhaustedError) or for the topic's metadata.
   */
  send(record: ProducerRecord): Promise<RecordMetadata[]>;
  /** Sends every buffered batch now and resolves once all records sent before the call are acknowledged or failed. */
  flush(): Promise<void>;
  /** The producer's buffers. */
  metrics(): ProducerMetrics;
  /**
   * Flushes (up to `timeoutMs`, default deliveryTimeoutMs), fails whatever is left with
   * ClientClosedError, and ends the streams. Sends after close fail.
   */
  close(options?: { readonly timeoutMs?: number }): Promise<void>;
}

interface ResolvedProducerOptions {
  readonly acks: -1 | 0 | 1;
  readonly idempotent: boolean;
  readonly lingerMs: number;
  readonly batchSize: number;
  /** What an open batch may grow to while its partition cannot send (see blockedBatchGrowthFactor). */
  readonly blockedBatchSize: number;
  readonly maxInFlight: number;
  readonly bufferMemory: number;
  readonly maxBlockMs: number;
  readonly compression: Compression;
  readonly requestTimeoutMs: number;
  readonly deliveryTimeoutMs: number;
  readonly retryBackoffMs: number;
  readonly retryBackoffMaxMs: number;
  readonly maxRequestBytes: number;
}

function positiveInteger(name: string, value: number | undefined, fallback: number, min = 1): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min) throw new InvalidConfigError(`${name} must be an integer >= ${min}, got ${resolved}`);
  return resolved;
}

export function resolveProducerOptions(options: ProducerOptions, requestTimeoutMs: number): ResolvedProducerOptions {
  const acks = options.acks === undefined || options.acks === 'all' ? -1 : options.acks;
  if (acks !== -1 && acks !== 0 && acks !== 1) throw new InvalidConfigError(`acks must be 'all', -1, 0 or 1, got ${String(options.acks)}`);
  if (options.idempotent === true && acks !== -1) throw new InvalidConfigError("an idempotent producer needs acks 'all'");
  const idempotent = options.idempotent ?? acks === -1;
  const maxInFlight = positiveInteger('maxInFlight', options.maxInFlight, clientDefaults.maxInFlight);
  if (idempotent && maxInFlight > clientLimits.idempotentInFlightPerPartitionMax) {
    throw new InvalidConfigError(`an idempotent producer allows at most ${clientLimits.idempotentInFlightPerPartitionMax} requests in flight, got ${maxInFlight}`);
  }
  const compression = options.compression ?? 'none';
  if (compression !== 'none' && compression !== 'gzip') throw new InvalidConfigError(`compression must be 'none' or 'gzip', got ${String(compression)}`);
  const bufferMemory = positiveInteger('bufferMemory', options.bufferMemory, clientDefaults.bufferMemoryBytes);
  const batchSize = positiveInteger('batchSize', options.batchSize, clientDefaults.batchSizeBytes);
  const maxRequestBytes = positiveInteger('maxRequestBytes', options.maxRequestBytes, clientDefaults.produceRequestBytesMax);
  if (maxRequestBytes > clientLimits.requestBytesMax) throw new InvalidConfigError(`maxRequestBytes must be at most ${clientLimits.requestBytesMax}`);
  const effectiveBatchSize = Math.min(batchSize, bufferMemory, clientLimits.batchBytesMax);
  return {
    acks,
    idempotent,
    lingerMs: positiveInteger('lingerMs', options.lingerMs, clientDefaults.lingerMs, 0),
    batchSize: effectiveBatchSize,
    blockedBatchSize: Math.max(
      effectiveBatchSize,
      Math.min(effectiveBatchSize * clientLimits.blockedBatchGrowthFactor, clientLimits.blockedBatchBytesMax, Math.floor(bufferMemory / 4), maxRequestBytes),
    ),
    maxInFlight,
    bufferMemory,
    maxBlockMs: positiveInteger('maxBlockMs', options.maxBlockMs, clientDefaults.maxBlockMs, 0),
    compression,
    requestTimeoutMs: positiveInteger('requestTimeoutMs', options.requestTimeoutMs, requestTimeoutMs),
    deliveryTimeoutMs: positiveInteger('deliveryTimeoutMs', options.deliveryTimeoutMs, clientDefaults.deliveryTimeoutMs),
    retryBackoffMs: positiveInteger('retryBackoffMs', options.retryBackoffMs, clientDefaults.retryBackoffMs),
    retryBackoffMaxMs: positiveInteger('retryBackoffMaxMs', options.retryBackoffMaxMs, clientDefaults.retryBackoffMaxMs),
    maxRequestBytes,
  };
}

/** Partition-level answers after which the broker may hold the batch even though it reports an error. */
const appendedAnywayCodes: ReadonlySet<ErrorCodeName> = new Set(['NOT_ENOUGH_REPLICAS_AFTER_APPEND', 'REQUEST_TIMED_OUT']);
/** Answers that mean this producer's sequence state on the broker is not what it expects. */
const sequenceErrorCodes: ReadonlySet<string> = new Set(['OUT_OF_ORDER_SEQUENCE_NUMBER', 'UNKNOWN_PRODUCER_ID', 'INVALID_PRODUCER_EPOCH']);

interface PreparedMessage {
  readonly record: RecordInput;
  readonly partition: number;
  readonly bytes: number;
  readonly timestamp: number;
}

interface BrokerLink {
  readonly stream: CorrelatedStream<ProduceRequest, ProduceResponse>;
  inFlightRequests: number;
}

/**
 * The producer implementation (users see `Producer`): a record accumulator (per-partition
 * queues of batches) and a sender that drains ready batches into one request per broker.
 *
 * Idempotence, as Kafka's idempotent producer: one InitProducerId; each batch gets the
 * partition's next sequence numbers on its first send and keeps them (and its bytes) on every
 * retry, so the broker can drop a duplicate; at most five batches per partition in flight, all
 * to one broker; a retried batch goes out only when nothing else of its partition is in flight,
 * so retries cannot overtake each other. A batch that fails for good leaves a gap in the
 * sequence; the producer then bumps its epoch (InitProducerId with its id) once no batch is in
 * flight and none might have been appended, and renumbers what is left from 0.
 */
export class ProducerClient implements Producer {
  private readonly options: ResolvedProducerOptions;
  private readonly memory: MemoryBudget;
  private readonly partitioner: Partitioner;
  private readonly queues = new Map<string, PartitionQueue>();
  /** Queues with waiting batches. */
  private readonly ready = new Set<PartitionQueue>();
  private readonly incomplete = new Set<ProducerBatch>();
  /** Sends not yet appended (waiting for metadata or buffer room), settled either way. */
  private readonly accepting = new Set<Promise<void>>();
  /** The last slow send being accepted; the next one waits for it. */
  private acceptTail: Promise<void> = Promise.resolve();
  private readonly links = new Map<number, BrokerLink>();
  /** Topics whose brokers refused a grown batch as too large: their batches stay at batchSize. */
  private readonly noGrowthTopics = new Set<string>();
  private readonly logger: Logger;
  private readonly stopMetadataListener: () => void;
  private inFlightBatches = 0;
  private drainScheduled = false;
  private wakeTimer: NodeJS.Timeout | undefined;
  private wakeAtMs = Number.POSITIVE_INFINITY;
  private flushing = 0;
  private closing = false;
  private closed = false;
  private closePromise: Promise<void> | undefined;
  // Idempotence.
  private producerId = -1n;
  private producerEpoch = -1;
  private initializing = false;
  private bumpNeeded = false;

  constructor(
    private readonly cluster: Cluster,
    options: ProducerOptions,
    private readonly prng: Prng,
    private readonly onClose: (producer: ProducerClient) => void,
  ) {
    this.options = resolveProducerOptions(options, cluster.options.requestTimeoutMs);
    this.memory = new MemoryBudget(this.options.bufferMemory);
    const partitioner = options.partitioner ?? 'round-robin';
    this.partitioner = partitioner === 'round-robin' ? new RoundRobinPartitioner() : partitioner === 'sticky' ? new StickyPartitioner(prng.fork()) : partitioner;
    this.logger = cluster.logger.child({ component: 'producer' });
    this.stopMetadataListener = cluster.onMetadata(() => this.scheduleDrain());
  }

  send(record: ProducerRecord): Promise<RecordMetadata[]> {
    try {
      this.ensureOpen();
      if (record.messages.length === 0) return Promise.resolve([]);
      // Fast path: metadata known, room in the buffer, and no earlier send still waiting (it
      // would be overtaken): appended before send() returns.
      const topicInfo = this.cluster.metadata.topics.get(record.topic);
      // A message for a partition the metadata does not show yet (just added) takes the slow
      // path, which refreshes the metadata.
      const partitionCount = topicInfo?.partitions.length ?? 0;
      if (this.accepting.size === 0 && partitionCount > 0 && !this.namesUnknownPartition(record, partitionCount)) {
        const prepared = this.prepareMessages(record, partitionCount);
        if (this.memory.tryReserve(prepared.totalBytes)) return this.appendAll(record.topic, prepared.messages).promise;
      }
    } catch (error: unknown) {
      return Promise.reject(asEddyError(error));
    }
    // Slow sends are accepted one at a time, in call order, so records keep the order of the
    // send() calls even when the first ones wait for metadata or buffer room.
    const deadlineMs = this.cluster.nowMs() + this.options.maxBlockMs;
    const accepted = this.acceptTail.then(() => this.accept(record, deadlineMs));
    this.acceptTail = accepted.then(
      () => undefined,
      () => undefined,
    );
    // flush() also waits for sends still waiting for metadata or buffer room.
    const settled = accepted.then(
      () => undefined,
      () => undefined,
    );
    this.accepting.add(settled);
    void settled.then(() => this.accepting.delete(settled));
    return accepted.then((sink) => sink.promise);
  }

  /** Whether a message names a partition at or beyond `partitionCount`. */
  private namesUnknownPartition(record: ProducerRecord, partitionCount: number): boolean {
    return record.messages.some((message) => message.partition !== undefined && message.partition >= partitionCount);
  }

  /** Partitions the messages and sizes them (throws for a message too large or a bad partition). */
  private prepareMessages(record: ProducerRecord, partitionCount: number): { messages: PreparedMessage[]; totalBytes: number } {
    const { topic, messages } = record;
    const nowWallMs = this.cluster.options.clock.wallMs();
    const limit = Math.min(this.options.bufferMemory, this.options.maxRequestBytes, clientLimits.batchBytesMax) - RECORD_BATCH_HEADER_BYTES;
    const prepared: PreparedMessage[] = new Array<PreparedMessage>(messages.length);
    let totalBytes = 0;
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index] as ProducerMessage;
      const key = message.key === undefined || message.key === null ? null : typeof message.key === 'string' ? Buffer.from(message.key) : message.key;
      const timestamp = message.timestamp ?? nowWallMs;
      const recordInput: RecordInput =
        message.headers === undefined ? { key, value: message.value, timestamp } : { key, value: message.value, timestamp, headers: message.headers };
      const bytes = recordBytesUpperBound(recordInput);
      if (bytes > limit) {
        throw new TopicPartitionError(
          'MESSAGE_TOO_LARGE',
          `a message of ${bytes} bytes exceeds the producer's limits (bufferMemory ${this.options.bufferMemory}, maxRequestBytes ${this.options.maxRequestBytes})`,
          { topic },
        );
      }
      let partition: number;
      if (message.partition !== undefined) {
        partition = message.partition;
        if (!Number.isInteger(partition) || partition < 0 || partition >= partitionCount) {
          throw new TopicPartitionError('UNKNOWN_TOPIC_OR_PARTITION', `partition ${partition} is not in [0, ${partitionCount})`, { topic, partition });
        }
      } else {
        partition = this.partitioner.partition({ topic, key, partitionCount });
      }
      prepared[index] = { record: recordInput, partition, bytes, timestamp };
      totalBytes += bytes;
    }
    return { messages: prepared, totalBytes };
  }

  private appendAll(topic: string, messages: readonly PreparedMessage[]): SendSink {
    const sink = new SendSink(messages.length);
    for (let index = 0; index < messages.length; index++) this.append(topic, messages[index] as PreparedMessage, sink, index);
    return sink;
  }

  /**
   * The slow path of send(): waits for the topic's metadata and for buffer room, then appends.
   * `deadlineMs` is maxBlockMs after the send() call, however long earlier sends waited.
   */
  private async accept(record: ProducerRecord, deadlineMs: number): Promise<SendSink> {
    const { topic } = record;
    const remainingMs = (): number => Math.max(0, deadlineMs - this.cluster.nowMs());
    let topicInfo = this.cluster.metadata.topics.get(topic) ?? (await this.cluster.waitForTopic(topic, remainingMs()));
    // An explicit partition beyond the known count may have just been added: refresh the
    // metadata until it shows up or maxBlockMs runs out (prepareMessages then fails the send).
    while (this.namesUnknownPartition(record, topicInfo.partitions.length) && remainingMs() > 0) {
      await this.cluster.refreshMetadata().catch(() => undefined);
      topicInfo = this.cluster.metadata.topics.get(topic) ?? topicInfo;
      if (this.namesUnknownPartition(record, topicInfo.partitions.length)) await sleep(Math.min(100, remainingMs()));
    }
    // A send made before close() is still delivered: close() flushes it.
    this.cluster.ensureOpen();
    const { messages: prepared, totalBytes } = this.prepareMessages(record, topicInfo.partitions.length);
    if (this.memory.tryReserve(totalBytes)) return this.appendAll(topic, prepared);
    if (totalBytes <= this.memory.capacityBytes) {
      // All or nothing: wait for room for the whole call.
      this.scheduleDrain();
      await this.memory.reserve(totalBytes, remainingMs());
      if (this.closing) {
        this.memory.release(totalBytes);
        throw new ClientClosedError('the producer');
      }
      return this.appendAll(topic, prepared);
    }
    // Larger than the whole buffer: message by message (those before a failure may be delivered).
    const sink = new SendSink(prepared.length);
    for (let index = 0; index < prepared.length; index++) {
      const message = prepared[index] as PreparedMessage;
      if (!this.memory.tryReserve(message.bytes)) {
        this.scheduleDrain();
        try {
          await this.memory.reserve(message.bytes, remainingMs());
        } catch (error: unknown) {
          sink.fail(asEddyError(error));
          break;
        }
      }
      if (this.closing) {
        this.memory.release(message.bytes);
        sink.fail(new ClientClosedError('the producer'));
        break;
      }
      this.append(topic, message, sink, index);
    }
    return sink;
  }

  async flush(): Promise<void> {
    this.flushing++;
    this.scheduleDrain();
    try {
      await Promise.all([...this.accepting]);
      const pending = [...this.incomplete];
      this.scheduleDrain();
      await Promise.all(pending.map((batch) => batch.whenDone()));
    } finally {
      this.flushing--;
    }
  }

  metrics(): ProducerMetrics {
    let queuedBatches = 0;
    for (const queue of this.queues.values()) queuedBatches += queue.waiting.length;
    let inFlightRequests = 0;
    for (const link of this.links.values()) inFlightRequests += link.inFlightRequests;
    return {
      bufferedBytes: this.memory.used,
      bufferMemory: this.memory.capacityBytes,
      queuedBatches,
      inFlightBatches: this.inFlightBatches,
      inFlightRequests,
    };
  }

  close(options: { readonly timeoutMs?: number } = {}): Promise<void> {
    this.closePromise ??= this.shutdown(options.timeoutMs ?? this.options.deliveryTimeoutMs);
    return this.closePromise;
  }

  // -------------------------------------------------------------------------------------------
  // Accumulating.

  private append(topic: string, message: PreparedMessage, sink: SendSink, index: number): void {
    const key = partitionKey(topic, message.partition);
    let queue = this.queues.get(key);
    if (queue === undefined) {
      queue = new PartitionQueue(topic, message.partition);
      this.queues.set(key, queue);
    }
    let batch = queue.waiting.at(-1);
    const batchLimit = this.batchLimit(queue, batch);
    if (batch === undefined || batch.full || batch.records === undefined || batch.estimatedBytes + message.bytes > batchLimit) {
      if (batch !== undefined && !batch.full && batch.records !== undefined) this.closeBatch(batch);
      batch = new ProducerBatch(topic, message.partition, this.cluster.nowMs());
      queue.waiting.push(batch);
      this.incomplete.add(batch);
      this.ready.add(queue);
      this.armWake(batch.createdMs + this.options.lingerMs);
    }
    batch.append(message.record, message.timestamp, message.bytes, sink, index);
    if (batch.estimatedBytes >= batchLimit) {
      this.closeBatch(batch);
      this.scheduleDrain();
    } else if (this.options.lingerMs === 0) {
      this.scheduleDrain();
    }
  }

  /**
   * How large the partition's open batch (`tail`) may grow: batchSize, or blockedBatchSize when
   * the next drain could not send it anyway: the partition's batches in flight and those waiting
   * ahead of it already take every slot, or its broker's requests are at the limit. Under load
   * this turns many small requests, appends and replication round trips into a few large ones,
   * without making any record wait longer than it would have.
   */
  private batchLimit(queue: PartitionQueue, tail: ProducerBatch | undefined): number {
    if (this.noGrowthTopics.has(queue.topic)) return this.options.batchSize;
    const tailIsOpen = tail !== undefined && !tail.full && tail.records !== undefined;
    const ahead = queue.waiting.length - (tailIsOpen ? 1 : 0);
    const link = queue.inFlightBroker === undefined ? undefined : this.links.get(queue.inFlightBroker);
    const blocked = queue.inFlight.length + ahead >= this.options.maxInFlight || (link !== undefined && link.inFlightRequests >= this.options.maxInFlight);
    return blocked ? this.grownBatchLimit(queue.topic) : this.options.batchSize;
  }

  /** blockedBatchSize, kept within the topic's max.message.bytes (a grown batch must never be refused). */
  private grownBatchLimit(topic: string): number {
    const topicLimit = this.cluster.maxMessageBytesOf(topic);
    return topicLimit === undefined ? this.options.blockedBatchSize : Math.max(this.options.batchSize, Math.min(this.options.blockedBatchSize, topicLimit));
  }

  private closeBatch(batch: ProducerBatch): void {
    batch.full = true;
    this.partitioner.onBatchClosed?.(batch.topic);
  }

  // -------------------------------------------------------------------------------------------
  // Sending.

  private scheduleDrain(): void {
    if (this.drainScheduled || this.closed) return;
    this.drainScheduled = true;
    setImmediate(() => {
      this.drainScheduled = false;
      try {
        this.drain();
      } catch (error: unknown) {
        this.logger.error({ err: error }, 'producer drain failed');
      }
    });
  }

  private armWake(atMs: number): void {
    if (this.closed || atMs >= this.wakeAtMs) return;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeAtMs = atMs;
    this.wakeTimer = setTimeout(
      () => {
        this.wakeTimer = undefined;
        this.wakeAtMs = Number.POSITIVE_INFINITY;
        this.scheduleDrain();
      },
      Math.max(0, Math.ceil(atMs - this.cluster.nowMs())),
    );
  }

  private drain(): void {
    if (this.closed) return;
    const nowMs = this.cluster.nowMs();
    this.expireBatches(nowMs);
    if (this.options.idempotent) {
      if (this.incomplete.size === 0) return;
      if (this.producerId < 0n || (this.bumpNeeded && this.inFlightBatches === 0 && !this.anyMayBeAppended())) {
        this.initProducerId();
        return;
      }
      if (this.initializing) return;
    }
    const force = this.flushing > 0 || this.closing || this.memory.hasWaiters;
    let wakeAtMs = Number.POSITIVE_INFINITY;
    for (let pass = 0; pass < this.options.maxInFlight; pass++) {
      const requests = new Map<number, { batches: ProducerBatch[]; bytes: number }>();
      for (const queue of this.ready) {
        const head = queue.waiting[0];
        if (head === undefined) {
          this.ready.delete(queue);
          continue;
        }
        if (nowMs < queue.retryAtMs) {
          // The backoff spares the broker that failed; a new leader gets the batch at once (KIP-951).
          const leader = this.cluster.leaderFor(queue.topic, queue.partition);
          if (leader === undefined || leader === queue.backoffBroker) {
            wakeAtMs = Math.min(wakeAtMs, queue.retryAtMs);
            continue;
          }
          queue.retryAtMs = 0;
        }
        // A batch that grew to batchSize while its partition was blocked goes out at once.
        if (!head.full && !force && head.attempts === 0 && head.estimatedBytes < this.options.batchSize) {
          const dueMs = head.createdMs + this.options.lingerMs;
          if (nowMs < dueMs) {
            wakeAtMs = Math.min(wakeAtMs, dueMs);
            continue;
          }
        }
        const leader = this.cluster.leaderFor(queue.topic, queue.partition);
        if (leader === undefined) {
          wakeAtMs = Math.min(wakeAtMs, head.createdMs + this.options.deliveryTimeoutMs);
          continue;
        }
        if (queue.inFlight.length > 0 && queue.inFlightBroker !== leader) continue;
        if (this.options.idempotent) {
          if (queue.inFlight.length >= clientLimits.idempotentInFlightPerPartitionMax) continue;
          if (head.attempts > 0 && queue.inFlight.length > 0) continue;
          // While an epoch bump is pending only retries that settle an unknown outcome go out.
          if (this.bumpNeeded && !(head.isSequenced && head.mayBeAppended && head.producerEpoch === this.producerEpoch)) continue;
        }
        let request = requests.get(leader);
        if (request === undefined) {
          if (this.link(leader).inFlightRequests >= this.options.maxInFlight) continue;
          request = { batches: [], bytes: 0 };
          requests.set(leader, request);
        }
        if (request.batches.length > 0 && request.bytes + head.estimatedBytes > this.options.maxRequestBytes) continue;
        queue.waiting.shift();
        if (queue.waiting.length === 0) this.ready.delete(queue);
        if (!head.full) this.closeBatch(head);
        try {
          this.prepare(queue, head);
        } catch (error: unknown) {
          this.failBatch(queue, head, asEddyError(error));
          continue;
        }
        queue.inFlight.push(head);
        queue.inFlightBroker = leader;
        this.inFlightBatches++;
        request.batches.push(head);
        request.bytes += (head.encoded as Buffer).length;
      }
      if (requests.size === 0) break;
      for (const [leader, request] of requests) this.sendRequest(leader, request.batches);
    }
    if (wakeAtMs < Number.POSITIVE_INFINITY) this.armWake(wakeAtMs);
  }

  /** Assigns sequence numbers (idempotence) and encodes the batch on its first send. */
  private prepare(queue: PartitionQueue, batch: ProducerBatch): void {
    if (batch.sendOrder < 0) batch.sendOrder = queue.nextSendOrder++;
    if (this.options.idempotent && (!batch.isSequenced || batch.producerEpoch !== this.producerEpoch || batch.producerId !== this.producerId)) {
      batch.baseSequence = queue.nextSequence;
      batch.producerId = this.producerId;
      batch.producerEpoch = this.producerEpoch;
      queue.nextSequence = sequenceAdd(queue.nextSequence, batch.recordCount);
      if (batch.encoded !== undefined) rewriteProducerFields(batch.encoded, batch.producerId, batch.producerEpoch, batch.baseSequence);
    }
    if (batch.encoded === undefined) {
      const records = batch.records ?? [];
      batch.encoded = encodeRecordBatch(records, {
        compression: this.options.compression,
        producerId: batch.producerId,
        producerEpoch: batch.producerEpoch,
        baseSequence: batch.baseSequence,
      });
      batch.records = undefined;
    }
  }

  private link(brokerId: number): BrokerLink {
    let link = this.links.get(brokerId);
    if (link === undefined) {
      const label = `produce stream to broker ${brokerId}`;
      link = {
        stream: new CorrelatedStream<ProduceRequest, ProduceResponse>({
          label,
          logger: this.logger,
          open: () => this.cluster.brokerConnection(brokerId).service('ClientService').produce(),
        }),
        inFlightRequests: 0,
      };
      this.links.set(brokerId, link);
    }
    return link;
  }

  private sendRequest(brokerId: number, batches: ProducerBatch[]): void {
    const link = this.link(brokerId);
    const byTopic = new Map<string, { partition: number; records: Buffer }[]>();
    for (const batch of batches) {
      batch.attempts++;
      let partitions = byTopic.get(batch.topic);
      if (partitions === undefined) {
        partitions = [];
        byTopic.set(batch.topic, partitions);
      }
      partitions.push({ partition: batch.partition, records: batch.encoded as Buffer });
    }
    // The broker waits for replication a little less than we wait for its answer, so a slow
    // acks=all request comes back as REQUEST_TIMED_OUT rather than as a reset stream.
    const requestTimeoutMs = this.options.requestTimeoutMs;
    const ackTimeoutMs = Math.max(1, requestTimeoutMs - Math.min(1_000, Math.floor(requestTimeoutMs / 4)));
    const build = (correlationId: number): ProduceRequest => ({
      correlationId,
      acks: this.options.acks,
      timeoutMs: ackTimeoutMs,
      topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
    });
    link.inFlightRequests++;
    const settled = (): void => {
      link.inFlightRequests--;
      this.scheduleDrain();
    };
    let outcome: Promise<void>;
    try {
      outcome =
        this.options.acks === 0
          ? link.stream.send(build).then(() => {
              for (const batch of batches) this.completeBatch(batch, -1n, -1n);
            })
          : link.stream.request(build, requestTimeoutMs).then((response) => this.onResponse(batches, response));
    } catch (error: unknown) {
      outcome = Promise.reject(asEddyError(error));
    }
    outcome
      .catch((error: unknown) => {
        const eddyError = asEddyError(error);
        // No answer: the broker may or may not have appended the batches.
        for (const batch of batches) this.onBatchError(batch, eddyError, true);
      })
      .finally(settled)
      .catch((error: unknown) => this.logger.error({ err: error }, 'producer response handling failed'));
  }

  private onResponse(batches: readonly ProducerBatch[], response: ProduceResponse): void {
    if (response.errorCode !== 'NONE') {
      const error = fromCode(response.errorCode, response.errorMessage);
      for (const batch of batches) this.onBatchError(batch, error, false);
      return;
    }
    const answers = new Map<string, ProducePartitionResponse>();
    for (const topic of response.topics) {
      for (const partition of topic.partitions) answers.set(partitionKey(topic.name, partition.partition), partition);
    }
    for (const batch of batches) {
      const answer = answers.get(partitionKey(batch.topic, batch.partition));
      if (answer === undefined) {
        this.onBatchError(batch, new EddyError('NETWORK_EXCEPTION', 'the produce answer left out this partition', { retriable: true }), true);
      } else if (answer.errorCode === 'NONE' || answer.errorCode === 'DUPLICATE_SEQUENCE_NUMBER') {
        this.completeBatch(batch, answer.baseOffset, answer.logAppendTimeMs);
      } else {
        this.onBatchError(batch, fromCode(answer.errorCode, answer.errorMessage, batch.topic, batch.partition), appendedAnywayCodes.has(answer.errorCode));
      }
    }
  }

  private completeBatch(batch: ProducerBatch, baseOffset: bigint, logAppendTimeMs: bigint): void {
    const queue = this.queueOf(batch);
    queue.removeInFlight(batch);
    this.inFlightBatches--;
    this.release(batch);
    batch.complete(baseOffset, logAppendTimeMs);
  }

  /**
   * A send of `batch` failed with `error`. Retriable errors (within the delivery timeout) put the
   * batch back in order; anything else fails its records.
   */
  private onBatchError(batch: ProducerBatch, error: EddyError, mayBeAppended: boolean): void {
    const queue = this.queueOf(batch);
    const failedBroker = queue.inFlightBroker;
    queue.removeInFlight(batch);
    this.inFlightBatches--;
    batch.lastError = error;
    if (error.code === 'MESSAGE_TOO_LARGE' && batch.estimatedBytes > this.options.batchSize && !this.noGrowthTopics.has(batch.topic)) {
      this.noGrowthTopics.add(batch.topic);
      this.logger.warn({ topic: batch.topic }, 'the topic refused a batch grown beyond batchSize; its batches stay at batchSize from now on');
    }
    this.cluster.onError(error);
    const nowMs = this.cluster.nowMs();
    const withinDeadline = nowMs - batch.createdMs < this.options.deliveryTimeoutMs && !this.closed;
    let retry = error.retriable && withinDeadline;
    if (this.options.idempotent && sequenceErrorCodes.has(error.code) && withinDeadline) {
      // Rejected by the sequence check: certainly not appended. Retry when an earlier batch of
      // the partition explains it (a gap that its retry will fill) or when the epoch moved on;
      // otherwise the broker lost our state and the batch fails.
      const stale = batch.producerEpoch !== this.producerEpoch || this.bumpNeeded;
      retry = stale || this.hasEarlierUnacked(queue, batch);
    }
    if (!retry) {
      this.logger.warn({ topic: batch.topic, partition: batch.partition, code: error.code }, `batch failed: ${error.message}`);
      this.failBatch(queue, batch, withPartition(error, batch.topic, batch.partition));
      return;
    }
    // No answer leaves the outcome open; a sequence rejection proves the batch was never
    // appended (a retry of an appended batch is answered as a duplicate); any other answer says
    // nothing about earlier attempts.
    if (mayBeAppended) batch.mayBeAppended = true;
    else if (sequenceErrorCodes.has(error.code)) batch.mayBeAppended = false;
    queue.requeue(batch);
    this.ready.add(queue);
    const waitMs = backoffMs(
      Math.min(batch.attempts, 10),
      { attemptsMax: 0, initialBackoffMs: this.options.retryBackoffMs, backoffMaxMs: this.options.retryBackoffMaxMs, deadlineMs: 0 },
      this.prng,
    );
    queue.retryAtMs = Math.max(queue.retryAtMs, nowMs + waitMs);
    queue.backoffBroker = failedBroker;
    this.armWake(queue.retryAtMs);
    this.logger.debug({ topic: batch.topic, partition: batch.partition, code: error.code, attempts: batch.attempts }, 'batch will be retried');
  }

  /** True when a batch of the queue sent before `batch` is not acknowledged yet. */
  private hasEarlierUnacked(queue: PartitionQueue, batch: ProducerBatch): boolean {
    const earlier = (other: ProducerBatch): boolean => other !== batch && other.sendOrder >= 0 && other.sendOrder < batch.sendOrder;
    return queue.inFlight.some(earlier) || queue.waiting.some(earlier);
  }

  private failBatch(queue: PartitionQueue, batch: ProducerBatch, error: EddyError): void {
    const at = queue.waiting.indexOf(batch);
    if (at >= 0) queue.waiting.splice(at, 1);
    if (queue.waiting.length === 0) this.ready.delete(queue);
    // Its sequence numbers will never be acknowledged: the partition's sequence has a gap.
    if (this.options.idempotent && batch.isSequenced) this.bumpNeeded = true;
    this.release(batch);
    batch.fail(error);
  }

  private release(batch: ProducerBatch): void {
    if (!this.incomplete.delete(batch)) return;
    this.memory.release(batch.estimatedBytes - RECORD_BATCH_HEADER_BYTES);
  }

  /** Fails waiting batches older than the delivery timeout. */
  private expireBatches(nowMs: number): void {
    for (const queue of this.ready) {
      for (const batch of [...queue.waiting]) {
        if (nowMs - batch.createdMs < this.options.deliveryTimeoutMs) break;
        const last = batch.lastError === undefined ? '' : ` (last error: ${batch.lastError.code}: ${batch.lastError.message})`;
        this.failBatch(
          queue,
          batch,
          new TopicPartitionError('REQUEST_TIMED_OUT', `${batch.recordCount} records expired after ${this.options.deliveryTimeoutMs} ms without an acknowledgement${last}`, {
            topic: batch.topic,
            partition: batch.partition,
            retriable: true,
            ...(batch.lastError === undefined ? {} : { cause: batch.lastError }),
          }),
        );
      }
    }
  }

  private anyMayBeAppended(): boolean {
    for (const queue of this.ready) if (queue.waiting.some((batch) => batch.mayBeAppended && batch.isSequenced)) return true;
    return false;
  }

  /** InitProducerId: the first, or a new epoch after a gap (a fresh id once the epoch would overflow). */
  private initProducerId(): void {
    if (this.initializing) return;
    this.initializing = true;
    const bump = this.producerId >= 0n;
    const request =
      bump && this.producerEpoch < clientLimits.producerEpochMax ? { producerId: this.producerId, producerEpoch: this.producerEpoch } : { producerId: -1n, producerEpoch: -1 };
    this.cluster
      .retrying(async () => {
        const response = await this.cluster.call('any', (connection, options) => connection.service('ClientService').initProducerId(request, options));
        if (response.errorCode !== 'NONE') throw fromCode(response.errorCode, response.errorMessage);
        return response;
      })
      .then(
        (response) => {
          this.producerId = response.producerId;
          this.producerEpoch = response.producerEpoch;
          this.bumpNeeded = false;
          for (const queue of this.queues.values()) {
            queue.nextSequence = 0;
            for (const batch of queue.waiting) batch.mayBeAppended = false;
          }
          this.logger.info({ producerId: String(this.producerId), producerEpoch: this.producerEpoch }, bump ? 'producer epoch bumped' : 'producer id assigned');
        },
        (error: unknown) => {
          const eddyError = asEddyError(error);
          if (this.closed) return;
          this.logger.error({ code: eddyError.code }, `InitProducerId failed: ${eddyError.message}`);
          for (const queue of [...this.ready]) for (const batch of [...queue.waiting]) this.failBatch(queue, batch, withPartition(eddyError, batch.topic, batch.partition));
        },
      )
      .finally(() => {
        this.initializing = false;
        this.scheduleDrain();
      })
      .catch((error: unknown) => this.logger.error({ err: error }, 'producer id handling failed'));
  }

  private queueOf(batch: ProducerBatch): PartitionQueue {
    const queue = this.queues.get(partitionKey(batch.topic, batch.partition));
    if (queue === undefined) throw new EddyError('UNKNOWN_SERVER_ERROR', `no queue for ${batch.topic}-${batch.partition}`);
    return queue;
  }

  private ensureOpen(): void {
    if (this.closing) throw new ClientClosedError('the producer');
    this.cluster.ensureOpen();
  }

  private async shutdown(timeoutMs: number): Promise<void> {
    this.closing = true;
    const closedError = new ClientClosedError('the producer');
    this.memory.failWaiters(closedError);
    if (!this.cluster.isClosed) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([this.flush(), new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)))]);
      if (timer !== undefined) clearTimeout(timer);
    }
    this.closed = true;
    if (this.wakeTimer !== undefined) clearTimeout(this.wakeTimer);
    this.wakeTimer = undefined;
    this.stopMetadataListener();
    for (const queue of this.queues.values()) {
      for (const batch of [...queue.waiting, ...queue.inFlight]) {
        this.release(batch);
        batch.fail(closedError);
      }
      queue.waiting.length = 0;
      queue.inFlight.length = 0;
    }
    this.ready.clear();
    await Promise.all([...this.links.values()].map((link) => link.stream.close(clientDefaults.streamCloseGraceMs)));
    this.links.clear();
    this.onClose(this);
  }
}
