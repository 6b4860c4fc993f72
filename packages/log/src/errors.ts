import { EddyError, type EddyErrorOptions } from '@eddy/base';

/**
 * The error codes the log reports (names from the shared error-code table, Kafka's where
 * Kafka has one):
 * - OFFSET_OUT_OF_RANGE: a read or truncation outside [logStartOffset, logEndOffset].
 * - CORRUPT_RECORD: a batch fails its length, magic or CRC check (from @eddy/record).
 * - INVALID_RECORD: well-formed batches that cannot be appended here (offsets not contiguous,
 *   leader epochs going back, trailing bytes after the last batch).
 * - MESSAGE_TOO_LARGE / RECORD_LIST_TOO_LARGE: a batch or an append above the limits.
 * - FENCED_LEADER_EPOCH: a leader append with an epoch older than the log's latest.
 * - INCONSISTENT_TOPIC_ID: the log records another topic id (an older incarnation's directory).
 * - KAFKA_STORAGE_ERROR: the disk failed under us, the log is closed, or its partition.metadata
 *   is damaged.
 */
export type LogErrorCode =
  | 'OFFSET_OUT_OF_RANGE'
  | 'CORRUPT_RECORD'
  | 'INVALID_RECORD'
  | 'MESSAGE_TOO_LARGE'
  | 'RECORD_LIST_TOO_LARGE'
  | 'FENCED_LEADER_EPOCH'
  | 'INCONSISTENT_TOPIC_ID'
  | 'KAFKA_STORAGE_ERROR';

/** Where an error happened, when the log knows its topic and partition. */
export interface LogErrorContext {
  readonly topic?: string | undefined;
  readonly partition?: number | undefined;
}

export class LogError extends EddyError {
  override readonly name: string = 'LogError';
  readonly topic: string | undefined;
  readonly partition: number | undefined;

  constructor(code: LogErrorCode, message: string, context: LogErrorContext = {}, options: EddyErrorOptions = {}) {
    super(code, message, options);
    this.topic = context.topic;
    this.partition = context.partition;
  }
}

/** A read or truncation outside the log; carries the bounds so the caller can reset. */
export class OffsetOutOfRangeError extends LogError {
  override readonly name = 'OffsetOutOfRangeError';

  constructor(
    readonly offset: bigint,
    readonly logStartOffset: bigint,
    readonly logEndOffset: bigint,
    context: LogErrorContext = {},
  ) {
    super(
      'OFFSET_OUT_OF_RANGE',
      `offset ${offset} is outside the log [${logStartOffset}, ${logEndOffset}]${describe(context)}`,
      context,
    );
  }
}

export function describe(context: LogErrorContext): string {
  return context.topic === undefined ? '' : ` of ${context.topic}-${context.partition ?? '?'}`;
}
