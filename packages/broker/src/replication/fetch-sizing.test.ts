import { describe, expect, it } from 'vitest';
import { effectiveFetchBytes, FetchBudget } from './fetch-sizing.js';
import { replicationLimits } from './limits.js';

const bytes = (n: number): Buffer => Buffer.alloc(n, 1);

describe('FetchBudget (Kafka fetch sizing)', () => {
  it('bounds each partition by partitionMaxBytes and the whole answer by maxBytes', () => {
    const budget = new FetchBudget(1_000);
    expect(budget.readLimit(600)).toBe(600);
    expect(budget.accept(bytes(550), 600).length).toBe(550);
    expect(budget.readLimit(600)).toBe(450);
    expect(budget.accept(bytes(400), 450).length).toBe(400);
    expect(budget.readLimit(600)).toBe(50);
  });

  it('returns the first batch of the first partition with data whole, even above both limits', () => {
    const budget = new FetchBudget(100);
    expect(budget.readLimit(10)).toBe(10);
    // The log answers at least one whole batch: a 5 000-byte one here.
    expect(budget.accept(bytes(5_000), 10).length).toBe(5_000);
    expect(budget.exhausted).toBe(true);
    expect(budget.readLimit(10)).toBe(0);
  });

  it('drops an oversized batch of a later partition (it is fetched first next time)', () => {
    const budget = new FetchBudget(1_000);
    budget.accept(bytes(100), budget.readLimit(500));
    const limit = budget.readLimit(500);
    expect(limit).toBe(500);
    expect(budget.accept(bytes(800), limit).length).toBe(0);
    expect(budget.remainingBytes).toBe(900);
  });

  it('skips empty partitions without using up the first-batch exception', () => {
    const budget = new FetchBudget(10);
    expect(budget.accept(bytes(0), budget.readLimit(10)).length).toBe(0);
    expect(budget.hasData).toBe(false);
    expect(budget.accept(bytes(64), budget.readLimit(10)).length).toBe(64);
  });

  it('asks the log for at least a byte for the first partition even with no budget left', () => {
    expect(new FetchBudget(0).readLimit(1_000)).toBe(1);
  });
});

describe('effectiveFetchBytes', () => {
  it('reads 0 as the default, clamps to the node bound and refuses negatives', () => {
    expect(effectiveFetchBytes(0, 1234, 'max_bytes')).toBe(1234);
    expect(effectiveFetchBytes(10, 1234, 'max_bytes')).toBe(10);
    expect(effectiveFetchBytes(2 ** 31 - 1, 1234, 'max_bytes')).toBe(replicationLimits.fetchBytesMax);
    expect(() => effectiveFetchBytes(-1, 1234, 'max_bytes')).toThrow(expect.objectContaining({ code: 'INVALID_FETCH_SIZE' }));
  });
});
