/**
 * The errors the SDK reports. Every one is an `EddyError` (from `@eddy/base`) with a `code` from
 * the shared error-code table and a `retriable` flag; errors about one topic or partition also
 * name it. Call-level failures (a broker unreachable, a deadline) are plain `EddyError`s made
 * by `@eddy/protocol`'s `fromGrpcError`/`toEddyError`.
 */
import { EddyError } from '@eddy/base';
import { type ErrorCodeName, toEddyError, type WireError } from '@eddy/protocol';

/** Options of the SDK's error classes. */
export interface ClientErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
  readonly topic?: string;
  readonly partition?: number;
}

/** An error about one topic, or one partition of it (`partition` undefined for the whole topic). */
export class TopicPartitionError extends EddyError {
  override readonly name: string = 'TopicPartitionError';
  readonly topic: string | undefined;
  readonly partition: number | undefined;

  constructor(code: string, message: string, options: ClientErrorOptions = {}) {
    const where = describeWhere(options.topic, options.partition);
    super(code, where === '' ? message : `${where}: ${message}`, options);
    this.topic = options.topic;
    this.partition = options.partition;
  }
}

/**
 * The producer's buffer stayed full for `maxBlockMs`: the records were not accepted. Retriable:
 * the buffer drains as brokers answer.
 */
export class BufferExhaustedError extends EddyError {
  override readonly name = 'BufferExhaustedError';

  constructor(message: string) {
    super('REQUEST_TIMED_OUT', message, { retriable: true });
  }
}

/**
 * A partition has no committed offset (or its position fell outside the log) and the consumer's
 * `autoOffsetReset` is 'none'.
 */
export class NoOffsetForPartitionError extends TopicPartitionError {
  override readonly name = 'NoOffsetForPartitionError';

  constructor(topic: string, partition: number, reason: string) {
    super('OFFSET_OUT_OF_RANGE', `${reason} and autoOffsetReset is 'none'`, { topic, partition, retriable: false });
  }
}

/**
 * A commit that cannot succeed because the group rebalanced (or the member was removed) since the
 * records were polled: the partitions may now belong to another member. Not retriable as is:
 * poll again (the consumer rejoins) and process the records it returns.
 */
export class CommitFailedError extends EddyError {
  override readonly name = 'CommitFailedError';

  constructor(code: string, message: string, cause?: unknown) {
    super(code, message, { retriable: false, cause });
  }
}

/** The producer, consumer, admin or client was closed: the operation was not (or not fully) done. */
export class ClientClosedError extends EddyError {
  override readonly name = 'ClientClosedError';

  constructor(what: string) {
    super('CANCELLED', `${what} is closed`, { retriable: false });
  }
}

/** An option or argument that cannot work (a bad broker address, acks 0 with idempotence, ...). */
export class InvalidConfigError extends EddyError {
  override readonly name = 'InvalidConfigError';

  constructor(message: string) {
    super('INVALID_CONFIG', message, { retriable: false });
  }
}

/** Every error class of the SDK, grouped for `instanceof` checks (`err instanceof errors.EddyError`). */
export const errors = {
  EddyError,
  TopicPartitionError,
  BufferExhaustedError,
  NoOffsetForPartitionError,
  CommitFailedError,
  ClientClosedError,
  InvalidConfigError,
} as const;

function describeWhere(topic: string | undefined, partition: number | undefined): string {
  if (topic === undefined) return '';
  return partition === undefined ? topic : `${topic}-${partition}`;
}

/** The error an item of a response reports (naming its topic/partition), or undefined for NONE. */
export function itemError(item: Readonly<WireError>, topic?: string, partition?: number): TopicPartitionError | undefined {
  if (item.errorCode === 'NONE') return undefined;
  return fromCode(item.errorCode, item.errorMessage, topic, partition);
}

/** A TopicPartitionError for a code of the table, with its retriable flag and default message. */
export function fromCode(code: ErrorCodeName, message: string, topic?: string, partition?: number): TopicPartitionError {
  const base = toEddyError(code, message);
  return new TopicPartitionError(base.code, base.message, {
    retriable: base.retriable,
    ...(topic === undefined ? {} : { topic }),
    ...(partition === undefined ? {} : { partition }),
  });
}

/** The same error, now naming the partition it concerns (kept as is when it names one already). */
export function withPartition(error: EddyError, topic: string, partition?: number): TopicPartitionError {
  if (error instanceof TopicPartitionError && error.topic !== undefined) return error;
  return new TopicPartitionError(error.code, error.message, {
    retriable: error.retriable,
    cause: error,
    topic,
    ...(partition === undefined ? {} : { partition }),
  });
}

/** Anything thrown, as an EddyError (unknown failures become UNKNOWN_SERVER_ERROR). */
export function asEddyError(error: unknown): EddyError {
  if (error instanceof EddyError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new EddyError('UNKNOWN_SERVER_ERROR', message, { cause: error });
}
