/** What retention knows about one deletable (non-active) segment, oldest first. */
export interface RetentionCandidate {
  readonly baseOffset: bigint;
  /** The base offset of the segment after it. */
  readonly nextOffset: bigint;
  readonly sizeBytes: number;
  /** Newest record timestamp in the segment, -1 when it has none. */
  readonly maxTimestamp: number;
}

export interface RetentionInput {
  /** Every segment except the active one, oldest first. */
  readonly candidates: readonly RetentionCandidate[];
  /** Size of the whole log, the active segment included. */
  readonly totalBytes: number;
  readonly logStartOffset: bigint;
  readonly retentionBytes: number;
  readonly retentionMs: number;
  readonly nowMs: number;
}

export type RetentionReason = 'log-start-offset' | 'retention-ms' | 'retention-bytes';

export interface RetentionPlan {
  /** How many of the oldest candidates to delete. */
  readonly deleteCount: number;
  /** The log start offset once they are gone (never lower than before). */
  readonly logStartOffset: bigint;
  readonly reasons: readonly RetentionReason[];
}

/**
 * Which of the oldest segments retention deletes, as Kafka decides it: segments wholly below
 * the log start offset, segments whose newest record is older than retention.ms, and the
 * oldest segments while the log exceeds retention.bytes by at least their size. Each rule
 * deletes a prefix; the plan deletes the longest. Pure.
 */
export function planRetention(input: RetentionInput): RetentionPlan {
  const { candidates } = input;
  const reasons: RetentionReason[] = [];
  let deleteCount = 0;
  const prefix = (reason: RetentionReason, deletable: (candidate: RetentionCandidate, index: number) => boolean): void => {
    let count = 0;
    while (count < candidates.length && deletable(candidates[count] as RetentionCandidate, count)) count++;
    if (count > 0) reasons.push(reason);
    deleteCount = Math.max(deleteCount, count);
  };
  prefix('log-start-offset', (candidate) => candidate.nextOffset <= input.logStartOffset);
  if (input.retentionMs >= 0) {
    prefix('retention-ms', (candidate) => candidate.maxTimestamp >= 0 && input.nowMs - candidate.maxTimestamp > input.retentionMs);
  }
  if (input.retentionBytes >= 0) {
    let excess = input.totalBytes - input.retentionBytes;
    prefix('retention-bytes', (candidate) => {
      if (excess - candidate.sizeBytes < 0) return false;
      excess -= candidate.sizeBytes;
      return true;
    });
  }
  const last = candidates[deleteCount - 1];
  const logStartOffset = last !== undefined && last.nextOffset > input.logStartOffset ? last.nextOffset : input.logStartOffset;
  return { deleteCount, logStartOffset, reasons };
}
