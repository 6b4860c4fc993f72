import type { Prng } from '@eddy/base';
import { partitionForKey } from './murmur2.js';

export interface PartitionerInput {
  readonly topic: string;
  readonly key: Uint8Array | null;
  readonly partitionCount: number;
}

/** Chooses the partition of a message that names none. */
export interface Partitioner {
  partition(input: PartitionerInput): number;
  /** The producer closed a batch for `topic` (sticky partitioners move on). */
  onBatchClosed?(topic: string): void;
}

export type PartitionerName = 'default' | 'sticky';

/**
 * Keyed messages go to murmur2(key) mod partitions, exactly as Kafka's default partitioner;
 * unkeyed messages go round-robin per topic, so a, b, c, d, ... land on P0, P1, P2, P0, ...
 */
export class RoundRobinPartitioner implements Partitioner {
  private readonly counters = new Map<string, number>();

  partition({ topic, key, partitionCount }: PartitionerInput): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    const next = this.counters.get(topic) ?? 0;
    this.counters.set(topic, next + 1);
    return next % partitionCount;
  }
}

/**
 * Keyed messages as above; unkeyed messages stick to one partition until the producer closes
 * that batch, then move to another (Kafka's KIP-480): fewer, larger batches at low rates.
 */
export class StickyPartitioner implements Partitioner {
  private readonly sticky = new Map<string, number>();
  /** The partition each topic last stuck to, so the next choice is a different one. */
  private readonly previous = new Map<string, number>();

  constructor(private readonly prng: Prng) {}

  partition({ topic, key, partitionCount }: PartitionerInput): number {
    if (key !== null) return partitionForKey(key, partitionCount);
    const current = this.sticky.get(topic);
    if (current !== undefined && current < partitionCount) return current;
    const previous = this.previous.get(topic);
    let chosen = this.prng.intBetween(0, partitionCount - 1);
    if (chosen === previous && partitionCount > 1) chosen = (chosen + 1 + this.prng.intBetween(0, partitionCount - 2)) % partitionCount;
    this.sticky.set(topic, chosen);
    return chosen;
  }

  onBatchClosed(topic: string): void {
    const current = this.sticky.get(topic);
    if (current === undefined) return;
    this.previous.set(topic, current);
    this.sticky.delete(topic);
  }
}
