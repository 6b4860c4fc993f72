import type { Messages } from '@eddy/protocol';
import { noError } from '@eddy/protocol';
import { statfs } from 'node:fs/promises';

/** One replica's log on this node, as DescribeLogDirs reports it. */
export interface LocalReplicaLog {
  readonly topic: string;
  readonly partition: number;
  readonly sizeBytes: number;
  readonly logStartOffset: bigint;
  readonly logEndOffset: bigint;
  readonly highWatermark: bigint;
}

/**
 * DescribeLogDirs: Eddy keeps every replica in one data directory, so the answer is one log dir
 * with the replicas asked for (all when none are named) and the file system's capacity.
 */
export async function describeLogDirs(
  dataDir: string,
  replicas: readonly LocalReplicaLog[],
  request: Messages['DescribeLogDirsRequest'],
): Promise<Messages['DescribeLogDirsResponse']> {
  const wanted = request.topics.length === 0 ? undefined : new Set(request.topics.flatMap((t) => t.partitions.map((p) => `${t.topic}\u0000${p}`)));
  const byTopic = new Map<string, Messages['LogDirPartition'][]>();
  for (const replica of replicas) {
    if (wanted !== undefined && !wanted.has(`${replica.topic}\u0000${replica.partition}`)) continue;
    const lag = replica.highWatermark - replica.logEndOffset;
    const list = byTopic.get(replica.topic) ?? [];
    list.push({
      partition: replica.partition,
      sizeBytes: BigInt(replica.sizeBytes),
      logStartOffset: replica.logStartOffset,
      logEndOffset: replica.logEndOffset,
      offsetLag: lag > 0n ? lag : 0n,
    });
    byTopic.set(replica.topic, list);
  }
  const capacity = await fileSystemBytes(dataDir);
  const topics = [...byTopic]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, partitions]) => ({ name, partitions: partitions.sort((a, b) => a.partition - b.partition) }));
  return { ...noError, logDirs: [{ ...noError, path: dataDir, ...capacity, topics }] };
}

/** Capacity and free space of the file system holding `dir`; -1 when the platform cannot tell. */
async function fileSystemBytes(dir: string): Promise<{ totalBytes: bigint; usableBytes: bigint }> {
  try {
    const stats = await statfs(dir, { bigint: true });
    return { totalBytes: stats.blocks * stats.bsize, usableBytes: stats.bavail * stats.bsize };
  } catch {
    return { totalBytes: -1n, usableBytes: -1n };
  }
}
