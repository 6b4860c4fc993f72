import { describe, expect, it } from 'vitest';
import { ProducerStateManager } from './producer-state.js';

const batch = (baseSequence: number, records = 1, producerEpoch = 0, producerId = 7n) => ({ producerId, producerEpoch, baseSequence, lastOffsetDelta: records - 1 });

describe('ProducerStateManager', () => {
  it('accepts consecutive sequences and answers retries with the original offset', () => {
    const state = new ProducerStateManager();
    expect(state.check(batch(0, 3))).toEqual({ kind: 'append' });
    state.onAppend(batch(0, 3), 100n);
    expect(state.check(batch(3, 2))).toEqual({ kind: 'append' });
    state.onAppend(batch(3, 2), 103n);
    expect(state.check(batch(0, 3))).toEqual({ kind: 'duplicate', baseOffset: 100n });
    expect(state.check(batch(3, 2))).toEqual({ kind: 'duplicate', baseOffset: 103n });
  });

  it('rejects a gap and a producer that does not start at 0', () => {
    const state = new ProducerStateManager();
    expect(state.check(batch(5))).toMatchObject({ kind: 'reject', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
    state.onAppend(batch(0, 2), 0n);
    expect(state.check(batch(3))).toMatchObject({ kind: 'reject', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER', message: expect.stringMatching(/expected 2/) });
  });

  it('fences an old epoch and restarts sequences for a new one', () => {
    const state = new ProducerStateManager();
    state.onAppend(batch(0, 1, 1), 0n);
    expect(state.check(batch(1, 1, 0))).toMatchObject({ kind: 'reject', code: 'INVALID_PRODUCER_EPOCH' });
    expect(state.check(batch(0, 1, 2))).toEqual({ kind: 'append' });
    expect(state.check(batch(4, 1, 2))).toMatchObject({ kind: 'reject', code: 'OUT_OF_ORDER_SEQUENCE_NUMBER' });
  });

  it('remembers only the last five batches', () => {
    const state = new ProducerStateManager();
    for (let seq = 0; seq < 7; seq++) state.onAppend(batch(seq), BigInt(seq * 10));
    expect(state.check(batch(6))).toEqual({ kind: 'duplicate', baseOffset: 60n });
    expect(state.check(batch(2))).toEqual({ kind: 'duplicate', baseOffset: 20n });
    expect(state.check(batch(1))).toMatchObject({ kind: 'reject' });
  });

  it('wraps sequences at 2^31-1', () => {
    // Start near the wrap point by replaying (recovered) batches.
    const nearMax = new ProducerStateManager();
    nearMax.onAppend(batch(0x7ffffffe, 1, 3), 0n);
    nearMax.onAppend(batch(0x7fffffff, 1, 3), 1n);
    expect(nearMax.check(batch(0, 1, 3))).toEqual({ kind: 'append' });
    nearMax.onAppend(batch(0x7fffffff - 1, 3, 4), 5n);
    expect(nearMax.check(batch(1, 1, 4))).toEqual({ kind: 'append' });
  });

  it('ignores non-idempotent batches', () => {
    const state = new ProducerStateManager();
    expect(state.check(batch(9, 1, 0, -1n))).toEqual({ kind: 'append' });
    state.onAppend(batch(9, 1, 0, -1n), 0n);
    expect(state.producerCount).toBe(0);
  });
});
