import type { Eddy, GroupPartitionLag } from '@eddy/client';

/** Bytes fetched per partition to find its oldest unread record (one batch is enough). */
const probeFetchBytes = 64 * 1024;

const keyOf = (topic: string, partition: number): string => `${topic}\u0000${partition}`;

/** A partition's lag as time: how long ago its oldest record the group has not read was written. */
export interface PartitionLagTime {
  readonly topic: string;
  readonly partition: number;
  /** Seconds; 0 when the group read everything, null when unknown (no committed offset, or the record could not be read in time). */
  readonly lagSeconds: number | null;
}

/**
 * Lag in seconds per partition, for `groups describe --json`: offsets alone do not say whether a
 * lag of 10,000 is a second of traffic or a day. For each partition with a positive lag, a
 * consumer outside the group reads the record at the committed offset (or the oldest one kept,
 * when retention removed it) and its timestamp gives the age. Bounded by `timeoutMs`; partitions
 * not read by then are null.
 */
export async function lagTimes(eddy: Eddy, rows: readonly GroupPartitionLag[], nowMs: number, timeoutMs: number): Promise<PartitionLagTime[]> {
  const lagging = rows.filter((row): row is GroupPartitionLag & { committedOffset: bigint } => row.committedOffset !== null && row.lag !== null && row.lag > 0n);
  const oldest = new Map<string, number>();
  if (lagging.length > 0) {
    const consumer = eddy.consumer({ enableAutoCommit: false, autoOffsetReset: 'earliest', maxPartitionFetchBytes: probeFetchBytes, prefetchBytesPerPartition: probeFetchBytes });
    try {
      await consumer.assign(lagging.map(({ topic, partition }) => ({ topic, partition })));
      for (const row of lagging) consumer.seek(row, row.committedOffset);
      const deadlineMs = Date.now() + timeoutMs;
      while (oldest.size < lagging.length && Date.now() < deadlineMs) {
        const records = await consumer.poll({ timeoutMs: Math.max(1, deadlineMs - Date.now()) });
        for (const record of records) {
          const key = keyOf(record.topic, record.partition);
          if (!oldest.has(key)) oldest.set(key, record.timestamp);
        }
        // Partitions already timed are not needed any more.
        consumer.pause(records.map(({ topic, partition }) => ({ topic, partition })));
      }
    } finally {
      await consumer.close();
    }
  }
  return rows.map(({ topic, partition, lag, committedOffset }) => {
    if (committedOffset === null || lag === null) return { topic, partition, lagSeconds: null };
    if (lag === 0n) return { topic, partition, lagSeconds: 0 };
    const timestamp = oldest.get(keyOf(topic, partition));
    return { topic, partition, lagSeconds: timestamp === undefined ? null : Math.max(0, Math.round(nowMs - timestamp) / 1000) };
  });
}
