import { EddyError, Prng } from '@eddy/base';
import { describe, expect, it } from 'vitest';
import { backoffMs, defaultRetryOptions, withRetry } from './retry.js';

function fakeTime() {
  let now = 0;
  const sleeps: number[] = [];
  return {
    sleeps,
    deps: {
      prng: new Prng(1),
      nowMs: () => now,
      sleep: (ms: number) => {
        sleeps.push(ms);
        now += ms;
        return Promise.resolve();
      },
    },
  };
}

const retriable = () => new EddyError('NOT_LEADER_OR_FOLLOWER', 'moved', { retriable: true });

describe('withRetry', () => {
  it('retries retriable errors with growing backoff until success', async () => {
    const { deps, sleeps } = fakeTime();
    const seen: string[] = [];
    const result = await withRetry(
      (n) => (n < 4 ? Promise.reject(retriable()) : Promise.resolve('ok')),
      defaultRetryOptions,
      deps,
      (error, n) => void seen.push(`${error.code}#${n}`),
    );
    expect(result).toBe('ok');
    expect(seen).toEqual(['NOT_LEADER_OR_FOLLOWER#1', 'NOT_LEADER_OR_FOLLOWER#2', 'NOT_LEADER_OR_FOLLOWER#3']);
    expect(sleeps).toHaveLength(3);
    expect(sleeps[2]!).toBeGreaterThan(sleeps[0]!);
  });

  it('does not retry a non-retriable error', async () => {
    const { deps, sleeps } = fakeTime();
    let calls = 0;
    const error = new EddyError('TOPIC_ALREADY_EXISTS', 'exists');
    await expect(withRetry(() => (calls++, Promise.reject(error)), defaultRetryOptions, deps)).rejects.toBe(error);
    expect(calls).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('gives up after the last attempt and before passing the deadline', async () => {
    const { deps } = fakeTime();
    let calls = 0;
    await expect(withRetry(() => (calls++, Promise.reject(retriable())), { ...defaultRetryOptions, attemptsMax: 3 }, deps)).rejects.toMatchObject({ code: 'NOT_LEADER_OR_FOLLOWER' });
    expect(calls).toBe(3);
    const late = fakeTime();
    let lateCalls = 0;
    await expect(withRetry(() => (lateCalls++, Promise.reject(retriable())), { ...defaultRetryOptions, attemptsMax: 100, deadlineMs: 500 }, late.deps)).rejects.toBeInstanceOf(EddyError);
    expect(late.sleeps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(500);
    expect(lateCalls).toBeLessThan(100);
  });
});

describe('backoffMs', () => {
  it('stays between half and all of the capped exponential', () => {
    const prng = new Prng(5);
    for (let retry = 1; retry < 12; retry++) {
      const ceiling = Math.min(2000, 50 * 2 ** (retry - 1));
      const wait = backoffMs(retry, defaultRetryOptions, prng);
      expect(wait).toBeGreaterThanOrEqual(ceiling / 2);
      expect(wait).toBeLessThanOrEqual(ceiling);
    }
  });
});
