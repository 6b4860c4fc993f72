import { median } from './stats.js';

/**
 * Times an operation in rounds: a warm-up that also calibrates how many operations make one
 * round, then timed rounds of that many operations. Everything is bounded: rounds by count, the
 * whole measurement by a time budget, a round by an operation count.
 */
export interface TimeRoundsOptions {
  /** Time spent warming up (JIT, caches) before measuring. Default 200 ms. */
  readonly warmupMs?: number;
  /** Target duration of one timed round. Default 100 ms. */
  readonly roundMs?: number;
  /** Timed rounds wanted. Default 7. */
  readonly rounds?: number;
  /** Hard cap on the whole measurement, warm-up included; at least one round always runs. Default 3000 ms. */
  readonly budgetMs?: number;
  /** Cap on operations per round and per warm-up step. Default 10 000 000. */
  readonly opsPerRoundMax?: number;
}

export interface RoundsResult {
  /** Operations in each timed round. */
  readonly opsPerRound: number;
  /** Nanoseconds per operation in each timed round, in the order they ran. */
  readonly nsPerOp: readonly number[];
  /** The median of `nsPerOp`: the figure to report. */
  readonly medianNsPerOp: number;
  /** Operations per second at the median. */
  readonly opsPerSecond: number;
  /** Wall time of the whole measurement, warm-up included. */
  readonly totalMs: number;
}

const defaults = {
  warmupMs: 200,
  roundMs: 100,
  rounds: 7,
  budgetMs: 3000,
  opsPerRoundMax: 10_000_000,
} as const;

/** Keeps results alive so the engine cannot drop an operation whose result is unused. */
export let blackhole: unknown;

/**
 * The measurement plan as a generator: it yields how many operations to run next and receives
 * how long they took (ms), so the sync and async runners share it.
 */
function* plan(options: TimeRoundsOptions, now: () => number): Generator<number, RoundsResult, number> {
  const warmupMs = options.warmupMs ?? defaults.warmupMs;
  const roundMs = options.roundMs ?? defaults.roundMs;
  const rounds = options.rounds ?? defaults.rounds;
  const budgetMs = options.budgetMs ?? defaults.budgetMs;
  const opsMax = options.opsPerRoundMax ?? defaults.opsPerRoundMax;
  if (!(rounds >= 1 && opsMax >= 1 && roundMs > 0 && warmupMs >= 0 && budgetMs > 0)) {
    throw new RangeError(`bad timing options ${JSON.stringify(options)}`);
  }
  const start = now();
  let ops = 1;
  let msPerOp = 0;
  // Warm up in doubling steps; the last step calibrates the round size.
  for (;;) {
    const elapsedMs = yield ops;
    msPerOp = elapsedMs / ops;
    const spentMs = now() - start;
    if (spentMs >= Math.min(warmupMs, budgetMs)) break;
    ops = Math.min(ops * 2, opsMax);
  }
  const opsPerRound = Math.max(1, Math.min(opsMax, Math.round(roundMs / Math.max(msPerOp, 1e-9))));
  const nsPerOp: number[] = [];
  while (nsPerOp.length < rounds && (nsPerOp.length === 0 || now() - start < budgetMs)) {
    const elapsedMs = yield opsPerRound;
    nsPerOp.push((elapsedMs * 1e6) / opsPerRound);
  }
  const medianNsPerOp = median(nsPerOp);
  return { opsPerRound, nsPerOp, medianNsPerOp, opsPerSecond: 1e9 / medianNsPerOp, totalMs: now() - start };
}

const now = (): number => performance.now();

/** Times a synchronous operation. */
export function timeRounds(operation: () => unknown, options: TimeRoundsOptions = {}): RoundsResult {
  const steps = plan(options, now);
  let step = steps.next(0);
  while (step.done !== true) {
    const ops = step.value;
    const startMs = now();
    for (let i = 0; i < ops; i++) blackhole = operation();
    step = steps.next(now() - startMs);
  }
  return step.value;
}

/** Times an asynchronous operation, one call at a time. */
export async function timeRoundsAsync(
  operation: () => Promise<unknown>,
  options: TimeRoundsOptions = {},
): Promise<RoundsResult> {
  const steps = plan(options, now);
  let step = steps.next(0);
  while (step.done !== true) {
    const ops = step.value;
    const startMs = now();
    for (let i = 0; i < ops; i++) blackhole = await operation();
    step = steps.next(now() - startMs);
  }
  return step.value;
}
