import { type MetadataImage, partitionState } from '@eddy/metadata';

/** Topic name → its Offline partitions (a leader that is gone, or none after an election failed). */
export type OfflinePartitions = ReadonlyMap<string, ReadonlySet<number>>;

export function offlinePartitions(image: MetadataImage): Map<string, Set<number>> {
  const offline = new Map<string, Set<number>>();
  for (const topic of image.topicsById.values()) {
    for (const [index, partition] of topic.partitions) {
      if (partitionState(image, partition) !== 'Offline') continue;
      const set = offline.get(topic.name) ?? new Set<number>();
      set.add(index);
      offline.set(topic.name, set);
    }
  }
  return offline;
}

/**
 * Why groups consuming a topic should rebalance after a metadata change, per topic: partitions
 * that went offline or came back (DESIGN: a rebalance when a subscribed partition goes offline,
 * and when it returns, each with its reason in the group's history). Topics that vanished are
 * not here (their offsets go instead).
 */
export function availabilityChanges(before: OfflinePartitions, after: OfflinePartitions, exists: (topic: string) => boolean): Array<{ topic: string; reason: string }> {
  const changes: Array<{ topic: string; reason: string }> = [];
  for (const topic of new Set([...before.keys(), ...after.keys()])) {
    if (!exists(topic)) continue;
    const was = before.get(topic) ?? new Set<number>();
    const is = after.get(topic) ?? new Set<number>();
    const wentOffline = [...is].filter((partition) => !was.has(partition)).sort((a, b) => a - b);
    const cameBack = [...was].filter((partition) => !is.has(partition)).sort((a, b) => a - b);
    const parts: string[] = [];
    if (wentOffline.length > 0) parts.push(`${names(topic, wentOffline)} went offline`);
    if (cameBack.length > 0) parts.push(`${names(topic, cameBack)} came back online`);
    if (parts.length > 0) changes.push({ topic, reason: `partition ${parts.join('; partition ')}` });
  }
  return changes;
}

function names(topic: string, partitions: readonly number[]): string {
  return partitions.map((partition) => `${topic}-${partition}`).join(', ');
}
