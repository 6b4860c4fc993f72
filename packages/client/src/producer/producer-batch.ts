import { assert, type EddyError } from '@eddy/base';
import { crc32c, RECORD_BATCH_HEADER_BYTES, type RecordInput } from '@eddy/record';
import { clientLimits } from '../limits.js';

/** What `send()` resolves with, one per message, in order. */
export interface RecordMetadata {
  readonly topic: string;
  readonly partition: number;
  /** The record's offset; -1n with acks = 0 (no answer). */
  readonly offset: bigint;
  /** The record's timestamp (the broker's append time when the topic uses LogAppendTime). */
  readonly timestamp: number;
}

/**
 * The promise of one `send()` call, settled once every one of its messages is acknowledged (or
 * the first fails). One object per call, not per message: the hot path allocates little.
 */
export class SendSink {
  readonly promise: Promise<RecordMetadata[]>;
  private readonly results: RecordMetadata[];
  private remaining: number;
  private settled = false;
  private resolve: (results: RecordMetadata[]) => void = () => undefined;
  private reject: (error: unknown) => void = () => undefined;

  constructor(count: number) {
    this.results = new Array<RecordMetadata>(count);
    this.remaining = count;
    this.promise = new Promise<RecordMetadata[]>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  complete(index: number, metadata: RecordMetadata): void {
    if (this.settled) return;
    this.results[index] = metadata;
    if (--this.remaining === 0) {
      this.settled = true;
      this.resolve(this.results);
    }
  }

  fail(error: EddyError): void {
    if (this.settled) return;
    this.settled = true;
    this.reject(error);
  }
}

/** Sequence numbers wrap from 2^31 - 1 to 0. */
export function sequenceAdd(sequence: number, delta: number): number {
  const max = clientLimits.sequenceMax;
  return sequence > max - delta ? delta - (max - sequence) - 1 : sequence + delta;
}

// Positions in Kafka's v2 batch header (see @eddy/record's layout): the CRC covers everything
// from the attributes on, producer fields included.
const CRC_POSITION = 17;
const ATTRIBUTES_POSITION = 21;
const PRODUCER_ID_POSITION = 43;
const PRODUCER_EPOCH_POSITION = 51;
const BASE_SEQUENCE_POSITION = 53;

/**
 * Rewrites the producer id, epoch and base sequence of an encoded batch in place and refreshes
 * its CRC: after an epoch bump, batches already encoded get their new sequence without being
 * re-encoded (their records are not kept).
 */
export function rewriteProducerFields(batch: Buffer, producerId: bigint, producerEpoch: number, baseSequence: number): void {
  assert(batch.length >= RECORD_BATCH_HEADER_BYTES, 'not a batch');
  batch.writeBigInt64BE(producerId, PRODUCER_ID_POSITION);
  batch.writeInt16BE(producerEpoch, PRODUCER_EPOCH_POSITION);
  batch.writeInt32BE(baseSequence, BASE_SEQUENCE_POSITION);
  batch.writeUInt32BE(crc32c(batch.subarray(ATTRIBUTES_POSITION)), CRC_POSITION);
}

/**
 * Records of one partition sent together as one RecordBatch. Open while records are appended;
 * closed (full) when its size limit is reached or it is drained. Encoded once, on its first
 * send; a retry sends the same bytes (the same sequence numbers, so the broker can tell a
 * retry from new data).
 */
export class ProducerBatch {
  /** Records until the batch is encoded, then undefined (the bytes are kept instead). */
  records: RecordInput[] | undefined = [];
  readonly timestamps: number[] = [];
  private readonly sinks: SendSink[] = [];
  private readonly sinkIndexes: number[] = [];
  /** Upper bound of the encoded size (what the memory budget holds for it). */
  estimatedBytes = RECORD_BATCH_HEADER_BYTES;
  full = false;
  encoded: Buffer | undefined;
  /** -1 until sequenced (idempotent producers assign it on the first send). */
  baseSequence = -1;
  producerId = -1n;
  producerEpoch = -1;
  /** Order of the partition's batches' first sends (-1 before); unlike sequences, never wraps. */
  sendOrder = -1;
  /** Sends so far. */
  attempts = 0;
  /** A send failed in a way that leaves open whether the broker appended the batch (network, timeout). */
  mayBeAppended = false;
  /** The error of the last failed send, reported if the batch expires. */
  lastError: EddyError | undefined;
  done = false;
  private doneWaiters: (() => void)[] | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    readonly createdMs: number,
  ) {}

  get recordCount(): number {
    return this.timestamps.length;
  }

  get isSequenced(): boolean {
    return this.baseSequence >= 0;
  }

  /** The last sequence number of the batch. */
  get lastSequence(): number {
    return sequenceAdd(this.baseSequence, this.recordCount - 1);
  }

  append(record: RecordInput, timestamp: number, bytes: number, sink: SendSink, index: number): void {
    assert(this.records !== undefined && !this.full, 'append to an open batch only');
    this.records.push(record);
    this.timestamps.push(timestamp);
    this.sinks.push(sink);
    this.sinkIndexes.push(index);
    this.estimatedBytes += bytes;
  }

  /** Resolves each record's send with its offset. */
  complete(baseOffset: bigint, logAppendTimeMs: bigint): void {
    const appendTime = logAppendTimeMs >= 0n ? Number(logAppendTimeMs) : undefined;
    for (let i = 0; i < this.sinks.length; i++) {
      (this.sinks[i] as SendSink).complete(this.sinkIndexes[i] as number, {
        topic: this.topic,
        partition: this.partition,
        offset: baseOffset < 0n ? -1n : baseOffset + BigInt(i),
        timestamp: appendTime ?? (this.timestamps[i] as number),
      });
    }
    this.finish();
  }

  fail(error: EddyError): void {
    for (const sink of this.sinks) sink.fail(error);
    this.finish();
  }

  /** Resolves once the batch completed or failed. */
  whenDone(): Promise<void> {
    if (this.done) return Promise.resolve();
    return new Promise<void>((resolve) => {
      (this.doneWaiters ??= []).push(resolve);
    });
  }

  private finish(): void {
    this.done = true;
    this.records = undefined;
    this.encoded = undefined;
    for (const waiter of this.doneWaiters ?? []) waiter();
    this.doneWaiters = undefined;
  }
}

/** The batches of one partition: waiting to be sent (oldest first) and in flight. */
export class PartitionQueue {
  readonly waiting: ProducerBatch[] = [];
  /** Sent, not answered; in send order. */
  readonly inFlight: ProducerBatch[] = [];
  /** The broker the in-flight batches went to (a new leader gets batches once they are answered). */
  inFlightBroker: number | undefined;
  /** No send before this time (backoff after an error)... */
  retryAtMs = 0;
  /** ...unless the partition has a leader other than this broker, whose error started the backoff. */
  backoffBroker: number | undefined;
  /** Idempotence: the sequence of the next new batch. Any producer: a counter ordering first sends. */
  nextSequence = 0;
  nextSendOrder = 0;

  constructor(
    readonly topic: string,
    readonly partition: number,
  ) {}

  /** Puts a failed batch back to be sent again, before the batches sent after it and before new ones. */
  requeue(batch: ProducerBatch): void {
    let at = 0;
    while (at < this.waiting.length) {
      const other = this.waiting[at] as ProducerBatch;
      if (other.sendOrder < 0 || other.sendOrder > batch.sendOrder) break;
      at++;
    }
    this.waiting.splice(at, 0, batch);
  }

  removeInFlight(batch: ProducerBatch): void {
    const at = this.inFlight.indexOf(batch);
    if (at >= 0) this.inFlight.splice(at, 1);
    if (this.inFlight.length === 0) this.inFlightBroker = undefined;
  }
}
