import { assert } from '@eddy/base';

/** Batches of an idempotent producer kept per partition to answer retries (as Kafka: five). */
export const PRODUCER_BATCHES_CACHED = 5;
const SEQUENCE_MAX = 0x7fffffff;

/** The idempotence fields of a RecordBatch header. */
export interface ProducerBatch {
  readonly producerId: bigint;
  readonly producerEpoch: number;
  readonly baseSequence: number;
  /** Records in the batch minus one (lastOffsetDelta). */
  readonly lastOffsetDelta: number;
}

interface CachedBatch {
  readonly firstSequence: number;
  readonly lastSequence: number;
  readonly baseOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  batches: CachedBatch[];
}

export type SequenceCheck =
  | { readonly kind: 'append' }
  /** A retry of a batch already appended: answer with its original offset, append nothing. */
  | { readonly kind: 'duplicate'; readonly baseOffset: bigint }
  | { readonly kind: 'reject'; readonly code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' | 'INVALID_PRODUCER_EPOCH'; readonly message: string };

/**
 * Idempotent-producer state of one partition: per producer id, its epoch and the sequence
 * numbers of its last batches. The leader checks each batch before appending it; every replica
 * replays appended batches, so the state survives a leader change and a restart (the log is
 * the source of truth and is replayed on open).
 */
export class ProducerStateManager {
  private readonly producers = new Map<bigint, ProducerEntry>();

  /** Decides what to do with an incoming batch of an idempotent producer (producerId >= 0). */
  check(batch: ProducerBatch): SequenceCheck {
    if (batch.producerId < 0n) return { kind: 'append' };
    const entry = this.producers.get(batch.producerId);
    const lastSequence = sequenceAdd(batch.baseSequence, batch.lastOffsetDelta);
    if (entry === undefined) return this.firstBatch(batch);
    if (batch.producerEpoch < entry.epoch) {
      return { kind: 'reject', code: 'INVALID_PRODUCER_EPOCH', message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) return this.firstBatch(batch);
    const duplicate = entry.batches.find((cached) => cached.firstSequence === batch.baseSequence && cached.lastSequence === lastSequence);
    if (duplicate !== undefined) return { kind: 'duplicate', baseOffset: duplicate.baseOffset };
    const last = entry.batches.at(-1);
    const expected = last === undefined ? 0 : sequenceAdd(last.lastSequence, 1);
    if (batch.baseSequence !== expected) {
      return {
        kind: 'reject',
        code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
        message: `producer ${batch.producerId} sent sequence ${batch.baseSequence}, expected ${expected}`,
      };
    }
    return { kind: 'append' };
  }

  /** Records an appended batch (on the leader after `check`, on followers and on recovery). */
  onAppend(batch: ProducerBatch, baseOffset: bigint): void {
    if (batch.producerId < 0n) return;
    let entry = this.producers.get(batch.producerId);
    if (entry === undefined || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, batches: [] };
      this.producers.set(batch.producerId, entry);
    }
    assert(batch.producerEpoch === entry.epoch, 'an appended batch never carries a fenced epoch');
    entry.batches.push({ firstSequence: batch.baseSequence, lastSequence: sequenceAdd(batch.baseSequence, batch.lastOffsetDelta), baseOffset });
    if (entry.batches.length > PRODUCER_BATCHES_CACHED) entry.batches.shift();
  }

  /** Forgets everything (the log was truncated: state is rebuilt by replaying what is left). */
  clear(): void {
    this.producers.clear();
  }

  get producerCount(): number {
    return this.producers.size;
  }

  private firstBatch(batch: ProducerBatch): SequenceCheck {
    // A producer (or a new epoch of it) starts at sequence 0. Anything else means batches
    // before it were lost, and appending would leave a gap.
    if (batch.baseSequence === 0) return { kind: 'append' };
    return {
      kind: 'reject',
      code: 'OUT_OF_ORDER_SEQUENCE_NUMBER',
      message: `producer ${batch.producerId} epoch ${batch.producerEpoch} must start at sequence 0, sent ${batch.baseSequence}`,
    };
  }
}

/** Sequence numbers wrap from 2^31-1 to 0, as in Kafka. */
function sequenceAdd(sequence: number, delta: number): number {
  return sequence > SEQUENCE_MAX - delta ? delta - (SEQUENCE_MAX - sequence) - 1 : sequence + delta;
}
