import { EddyError } from '@eddy/base';
import { replicationLimits } from './limits.js';

/**
 * Kafka's fetch sizing: an answer holds at most `maxBytes` of records, each partition at most
 * its `partitionMaxBytes`, except that the first batch of the first partition with data is
 * returned whole even when it is larger, so one large batch never stalls a reader. Partitions
 * after it only get batches that fit what is left. Pure.
 */
export class FetchBudget {
  private remaining: number;
  private sawData = false;

  constructor(maxBytes: number) {
    this.remaining = maxBytes;
  }

  /** Bytes left for the rest of the answer (may be negative after an oversized first batch). */
  get remainingBytes(): number {
    return this.remaining;
  }

  /** Whether a partition returned records already (the first-batch exception is used up). */
  get hasData(): boolean {
    return this.sawData;
  }

  /** True when no further partition can add anything. */
  get exhausted(): boolean {
    return this.sawData && this.remaining <= 0;
  }

  /**
   * How many bytes to ask the log for on the next partition, or 0 to skip reading it. The log
   * returns at least one whole batch, so the answer may exceed this: see `accept`.
   */
  readLimit(partitionMaxBytes: number): number {
    if (!this.sawData) return Math.max(1, Math.min(partitionMaxBytes, this.remaining));
    return Math.max(0, Math.min(partitionMaxBytes, this.remaining));
  }

  /**
   * Takes what the log returned for a partition read with `limit`: kept when it fits, or when it
   * is the first data of the answer (then it is one whole batch); otherwise dropped (empty), and
   * the partition is fetched on a later request.
   */
  accept(records: Buffer, limit: number): Buffer {
    if (records.length === 0) return records;
    if (records.length > limit && this.sawData) return records.subarray(0, 0);
    this.sawData = true;
    this.remaining -= records.length;
    return records;
  }
}

/**
 * A request's byte limit: 0 (proto3's "not set") means `defaultBytes`; negative is
 * INVALID_FETCH_SIZE; anything larger than the node's bound is clamped to it.
 */
export function effectiveFetchBytes(requested: number, defaultBytes: number, what: string): number {
  if (requested < 0) throw new EddyError('INVALID_FETCH_SIZE', `${what} ${requested} is negative`);
  const bytes = requested === 0 ? defaultBytes : requested;
  return Math.min(bytes, replicationLimits.fetchBytesMax);
}
