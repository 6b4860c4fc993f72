import type { Eddy } from '@eddy/client';

/** One record a producer was told is stored, at the offset its acknowledgement named. */
export interface AckedRecord {
  readonly value: string;
  readonly offset: bigint;
}

/** A record as read back: its value and where it sits in the partition. */
export interface ReadRecord {
  readonly value: string;
  readonly offset: bigint;
}

/** What a test's producers were told, per partition, in acknowledgement order. */
export class AckLedger {
  private readonly byPartition = new Map<number, AckedRecord[]>();

  add(partition: number, values: readonly string[], offsets: readonly bigint[]): void {
    const list = this.byPartition.get(partition) ?? [];
    values.forEach((value, i) => list.push({ value, offset: offsets[i] ?? -1n }));
    this.byPartition.set(partition, list);
  }

  of(partition: number): readonly AckedRecord[] {
    return this.byPartition.get(partition) ?? [];
  }

  count(partition?: number): number {
    if (partition !== undefined) return this.of(partition).length;
    return [...this.byPartition.values()].reduce((sum, list) => sum + list.length, 0);
  }
}

/**
 * Every record of `partitions` from the beginning up to the end offsets at the time of the
 * call, read with a manually assigned consumer; fails when they do not all arrive in `timeoutMs`.
 */
export async function readAllRecords(client: Eddy, topic: string, partitions: readonly number[], timeoutMs: number): Promise<Map<number, ReadRecord[]>> {
  const consumer = client.consumer({ fromBeginning: true });
  try {
    const assigned = partitions.map((partition) => ({ topic, partition }));
    await consumer.assign(assigned);
    const ends = await consumer.endOffsets(assigned);
    const read = new Map<number, ReadRecord[]>(partitions.map((p) => [p, []]));
    let remaining = ends.reduce((sum, end) => sum + Number(end.offset), 0);
    const deadline = Date.now() + timeoutMs;
    while (remaining > 0 && Date.now() < deadline) {
      for (const record of await consumer.poll({ maxRecords: 10_000, timeoutMs: 500 })) {
        read.get(record.partition)?.push({ value: record.value?.toString('utf8') ?? '', offset: record.offset });
        remaining--;
      }
    }
    if (remaining > 0) throw new Error(`${remaining} records of ${topic} still unread after ${timeoutMs} ms (end offsets ${ends.map((e) => `${e.partition}:${e.offset}`).join(' ')})`);
    return read;
  } finally {
    await consumer.close();
  }
}

/**
 * The ways `read` breaks the promise made by `acked` (one partition, acknowledged in send
 * order): an acknowledged record missing or at another offset than acknowledged, a value read
 * twice, or acknowledged offsets that do not increase. Empty when every acknowledged record is
 * there exactly once and in the order it was sent.
 */
export function ackedRecordProblems(acked: readonly AckedRecord[], read: readonly ReadRecord[], shown = 5): string[] {
  const problems: string[] = [];
  const offsetByValue = new Map<string, bigint>();
  for (const record of read) {
    if (offsetByValue.has(record.value)) problems.push(`${record.value} read twice (offsets ${offsetByValue.get(record.value)} and ${record.offset})`);
    offsetByValue.set(record.value, record.offset);
  }
  acked.forEach((record, i) => {
    const previous = acked[i - 1];
    if (previous !== undefined && record.offset <= previous.offset) problems.push(`${record.value} acknowledged at offset ${record.offset}, after ${previous.value} at ${previous.offset}`);
    const offset = offsetByValue.get(record.value);
    if (offset !== record.offset) problems.push(`${record.value} acknowledged at offset ${record.offset}, read at ${offset ?? 'none'}`);
  });
  return problems.length > shown ? [...problems.slice(0, shown), `... ${problems.length - shown} more`] : problems;
}
