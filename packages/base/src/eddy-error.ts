/**
 * The root of every error Eddy reports for an operating condition (unknown topic, timeout,
 * not leader, corrupt batch, ...). `code` is a name from the shared error-code table in
 * `@eddy/protocol`; `retriable` says whether the same request may succeed if tried again.
 */
export interface EddyErrorOptions {
  readonly retriable?: boolean;
  readonly cause?: unknown;
}

export class EddyError extends Error {
  override readonly name: string = 'EddyError';
  readonly code: string;
  readonly retriable: boolean;

  constructor(code: string, message: string, options: EddyErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retriable = options.retriable ?? false;
  }
}
