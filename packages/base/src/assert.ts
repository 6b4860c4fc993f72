/**
 * Assertions state invariants of our own code. A failed assertion is a bug in Eddy, never an
 * operating condition: callers handle operating failures through typed `EddyError`s instead.
 */
export class AssertionError extends Error {
  override readonly name = 'AssertionError';
}

export function assert(condition: unknown, message: string): asserts condition {
  if (!condition) throw new AssertionError(message);
}

/** Marks a branch the type system proves unreachable; reaching it at run time is a bug. */
export function unreachable(value: never, message = 'unreachable'): never {
  throw new AssertionError(`${message}: ${JSON.stringify(value)}`);
}
