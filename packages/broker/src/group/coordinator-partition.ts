import { assert } from '@eddy/base';

/**
 * The __consumer_offsets partition that holds a group, and whose leader coordinates it: Kafka's
 * `abs(groupId.hashCode) % partitionCount`, with Java's String.hashCode over UTF-16 code units,
 * so a group lands on the same partition number as it would in Kafka.
 */
export function coordinatorPartitionFor(groupId: string, partitionCount: number): number {
  assert(Number.isSafeInteger(partitionCount) && partitionCount > 0, `partition count must be positive, got ${partitionCount}`);
  let hash = 0;
  for (let i = 0; i < groupId.length; i++) hash = (Math.imul(31, hash) + groupId.charCodeAt(i)) | 0;
  // Kafka's Utils.abs maps Integer.MIN_VALUE to 0.
  const abs = hash === -0x8000_0000 ? 0 : Math.abs(hash);
  return abs % partitionCount;
}
