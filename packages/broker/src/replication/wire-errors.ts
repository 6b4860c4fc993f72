import { EddyError } from '@eddy/base';
import { type ErrorCodeName, isErrorCodeName, toWireError, type WireError } from '@eddy/protocol';

/**
 * The wire error for anything the data path caught. The log names a failed disk
 * KAFKA_STORAGE_ERROR; the wire table calls it STORAGE_ERROR. Unknown codes and foreign errors
 * become UNKNOWN_SERVER_ERROR (see toWireError).
 */
export function wireErrorOf(error: unknown): WireError {
  if (error instanceof EddyError && error.code === 'KAFKA_STORAGE_ERROR') return { errorCode: 'STORAGE_ERROR', errorMessage: error.message };
  return toWireError(error);
}

/** A wire error with a message. */
export function wireError(errorCode: ErrorCodeName, errorMessage: string): WireError {
  return { errorCode, errorMessage };
}

/** The code of a caught error as the wire table names it. */
export function errorCodeOf(error: unknown): ErrorCodeName {
  const wire = wireErrorOf(error);
  return isErrorCodeName(wire.errorCode) ? wire.errorCode : 'UNKNOWN_SERVER_ERROR';
}
