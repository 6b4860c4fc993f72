import { EddyError } from '@eddy/base';

export interface CorruptRecordErrorOptions {
  /** Byte position, in the buffer given to the failing call, where the corrupt data begins. */
  readonly position?: number;
  readonly cause?: unknown;
}

/**
 * A batch failed an integrity or structure check: torn, bad length, bad magic, CRC mismatch,
 * or records that do not parse. Not retriable: the same bytes fail the same way.
 */
export class CorruptRecordError extends EddyError {
  override readonly name = 'CorruptRecordError';
  /**
   * Where the corruption was found, when known: the start of the batch for batch-level checks
   * (framing, magic, CRC), the byte inside the batch for a record that does not parse (the
   * start of the records section when they are compressed).
   */
  readonly position: number | undefined;

  constructor(message: string, options: CorruptRecordErrorOptions = {}) {
    const where = options.position === undefined ? '' : ` (at byte ${options.position})`;
    super('CORRUPT_RECORD', `${message}${where}`, { retriable: false, cause: options.cause });
    this.position = options.position;
  }
}

/** A batch uses a compression codec this build cannot decode (snappy, lz4, zstd). */
export class UnsupportedCompressionError extends EddyError {
  override readonly name = 'UnsupportedCompressionError';

  constructor(readonly compression: string) {
    super('UNSUPPORTED_COMPRESSION_TYPE', `compression '${compression}' is not supported`, { retriable: false });
  }
}

/** A record handed to the encoder cannot be represented (for example a timestamp that is not a safe integer). */
export class InvalidRecordError extends EddyError {
  override readonly name = 'InvalidRecordError';

  constructor(message: string) {
    super('INVALID_RECORD', message, { retriable: false });
  }
}

/** The records handed to the encoder do not fit one batch (see `recordBatchBytesMax`). */
export class RecordBatchTooLargeError extends EddyError {
  override readonly name = 'RecordBatchTooLargeError';

  constructor(
    readonly sizeBytes: number,
    readonly sizeBytesMax: number,
  ) {
    super('MESSAGE_TOO_LARGE', `a batch of ${sizeBytes} bytes exceeds the limit of ${sizeBytesMax} bytes`, {
      retriable: false,
    });
  }
}
