import { describe, expect, it } from 'vitest';
import { AsyncMutex } from './async-mutex.js';

describe('AsyncMutex', () => {
  it('runs sections one at a time in arrival order, past failures', async () => {
    const mutex = new AsyncMutex();
    const events: string[] = [];
    const section = (name: string, fail = false) =>
      mutex.run(async () => {
        events.push(`${name}+`);
        await new Promise((resolve) => setTimeout(resolve, 1));
        events.push(`${name}-`);
        if (fail) throw new Error(name);
        return name;
      });
    const results = await Promise.allSettled([section('a'), section('b', true), section('c')]);
    expect(events).toEqual(['a+', 'a-', 'b+', 'b-', 'c+', 'c-']);
    expect(results.map((result) => result.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(mutex.pending).toBe(0);
  });
});
