/** One partition of one topic. */
export interface TopicPartition {
  readonly topic: string;
  readonly partition: number;
}

/** An offset of one partition (for commits and offset changes: the next offset to read). */
export interface TopicPartitionOffset {
  readonly topic: string;
  readonly partition: number;
  readonly offset: bigint;
}

/** `topic-partition`, the way Kafka prints a partition; also a map key. */
export function partitionKey(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}
