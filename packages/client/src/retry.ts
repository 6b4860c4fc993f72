import { EddyError, type Prng } from '@eddy/base';

export interface RetryOptions {
  /** Attempts in all, the first included. */
  readonly attemptsMax: number;
  readonly initialBackoffMs: number;
  readonly backoffMaxMs: number;
  /** Give up once this much time has passed since the first attempt. */
  readonly deadlineMs: number;
}

export const defaultRetryOptions: RetryOptions = {
  attemptsMax: 10,
  initialBackoffMs: 50,
  backoffMaxMs: 2_000,
  deadlineMs: 30_000,
};

export interface RetryDeps {
  readonly prng: Prng;
  readonly nowMs: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/**
 * The backoff before retry number `retry` (1-based): exponential, capped, with "full jitter"
 * between half and all of it, so clients that failed together do not retry together.
 */
export function backoffMs(retry: number, options: RetryOptions, prng: Prng): number {
  const ceiling = Math.min(options.backoffMaxMs, options.initialBackoffMs * 2 ** (retry - 1));
  return Math.round(ceiling / 2 + prng.nextFloat() * (ceiling / 2));
}

/**
 * Runs `attempt` until it succeeds, retrying only retriable EddyErrors with backoff. Anything
 * else, or a retriable error after the last attempt or past the deadline, is thrown as is.
 * `onRetry` runs before each backoff (e.g. to refresh metadata after NOT_LEADER_OR_FOLLOWER).
 */
export async function withRetry<T>(
  attempt: (attemptNumber: number) => Promise<T>,
  options: RetryOptions,
  deps: RetryDeps,
  onRetry?: (error: EddyError, attemptNumber: number) => void | Promise<void>,
): Promise<T> {
  const startedMs = deps.nowMs();
  for (let attemptNumber = 1; ; attemptNumber++) {
    try {
      return await attempt(attemptNumber);
    } catch (error: unknown) {
      if (!(error instanceof EddyError) || !error.retriable || attemptNumber >= options.attemptsMax) throw error;
      const waitMs = backoffMs(attemptNumber, options, deps.prng);
      if (deps.nowMs() + waitMs - startedMs > options.deadlineMs) throw error;
      await onRetry?.(error, attemptNumber);
      await deps.sleep(waitMs);
    }
  }
}
