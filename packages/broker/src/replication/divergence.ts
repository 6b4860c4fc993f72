import { type EpochEndOffset, type EpochEntry, LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from '@eddy/log';

/**
 * Leader-epoch arithmetic of Kafka's log reconciliation (KIP-101, KIP-279, truncation on fetch
 * of KIP-595): how the leader detects that a fetcher's log forked from its own, and where the
 * follower cuts its log. Pure.
 */

/** The epoch this leadership started and the log end offset it started at. */
export interface EpochStart {
  readonly epoch: number;
  readonly startOffset: bigint;
}

/**
 * OffsetsForLeaderEpoch over a log's epoch entries, counting the current leadership as if its
 * first batch were already written (Kafka records the epoch in the cache when a broker becomes
 * leader; until the first append it exists only here).
 */
export function endOffsetForEpoch(
  entries: readonly EpochEntry[],
  logEndOffset: bigint,
  requestedEpoch: number,
  current?: EpochStart,
): EpochEndOffset {
  const cache = new LeaderEpochCache(entries);
  if (current !== undefined && current.epoch > cache.latestEpoch && current.startOffset <= logEndOffset) {
    cache.assign(current.epoch, current.startOffset);
  }
  return cache.endOffsetFor(requestedEpoch, logEndOffset);
}

/** Whether `current` is not yet in the log's epoch cache (no batch of this leadership yet). */
export function needsVirtualEpoch(latestLogEpoch: number, current: EpochStart | undefined): current is EpochStart {
  return current !== undefined && current.epoch > latestLogEpoch;
}

export type DivergenceCheck =
  | { readonly kind: 'consistent' }
  /** The fetcher's log forked: it must truncate (see followerTruncationOffset) and fetch again. */
  | { readonly kind: 'diverging'; readonly divergingEpoch: EpochEndOffset }
  /** The leader cannot place the fetcher's last epoch at all (Kafka: OFFSET_OUT_OF_RANGE). */
  | { readonly kind: 'unknown-epoch' };

/**
 * The leader's check of a fetch: `epochEnd` is the leader's endOffsetForEpoch(lastFetchedEpoch).
 * The fetcher's position is on the leader's log when the leader knows that epoch and it ends at
 * or after the fetch offset; otherwise the answer is the leader's end of the largest epoch at or
 * below the fetcher's (Kafka's Partition.fetchRecords).
 */
export function checkDivergence(lastFetchedEpoch: number, fetchOffset: bigint, epochEnd: EpochEndOffset): DivergenceCheck {
  if (lastFetchedEpoch < 0) return { kind: 'consistent' };
  if (epochEnd.epoch === UNDEFINED_EPOCH || epochEnd.endOffset === UNDEFINED_EPOCH_OFFSET) return { kind: 'unknown-epoch' };
  if (epochEnd.epoch < lastFetchedEpoch || epochEnd.endOffset < fetchOffset) {
    return { kind: 'diverging', divergingEpoch: { epoch: epochEnd.epoch, endOffset: epochEnd.endOffset } };
  }
  return { kind: 'consistent' };
}

/**
 * Where a follower truncates after the leader answered `diverging`: `ownEnd` is the follower's
 * endOffsetForEpoch(diverging.epoch). When both logs know that epoch the follower keeps what they
 * share; when the follower's largest epoch at or below it is another one, it truncates to that
 * epoch's end and the next fetch checks again (Kafka's getOffsetTruncationState). Never beyond
 * the follower's own log end.
 */
export function followerTruncationOffset(diverging: EpochEndOffset, ownEnd: EpochEndOffset, logEndOffset: bigint): bigint {
  const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
  if (diverging.endOffset < 0n) return logEndOffset;
  if (ownEnd.epoch === UNDEFINED_EPOCH || ownEnd.endOffset < 0n) return min(diverging.endOffset, logEndOffset);
  if (ownEnd.epoch !== diverging.epoch) return min(ownEnd.endOffset, logEndOffset);
  return min(min(ownEnd.endOffset, diverging.endOffset), logEndOffset);
}
