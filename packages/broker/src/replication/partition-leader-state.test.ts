import { describe, expect, it } from 'vitest';
import { PartitionLeaderState } from './partition-leader-state.js';

function leaderOf3(nowMs = 0): PartitionLeaderState {
  return new PartitionLeaderState({
    leaderId: 1,
    leaderEpoch: 3,
    partitionEpoch: 5,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
    leaderEpochStartOffset: 100n,
    highWatermark: 90n,
    nowMs,
  });
}

describe('PartitionLeaderState', () => {
  it('advances the high watermark to the smallest log end offset in the ISR, never back', () => {
    const state = leaderOf3();
    expect(state.onFollowerFetch(2, 120n, 150n, 10)).toBe(90n);
    expect(state.onFollowerFetch(3, 110n, 150n, 10)).toBe(110n);
    expect(state.onFollowerFetch(2, 150n, 150n, 20)).toBe(110n);
    expect(state.onFollowerFetch(3, 150n, 150n, 20)).toBe(150n);
    // A follower that truncated (after a leader change elsewhere) cannot pull the HW back.
    expect(state.onFollowerFetch(3, 140n, 150n, 30)).toBe(150n);
  });

  it('counts only the leader when it is alone in the ISR', () => {
    const state = new PartitionLeaderState({ leaderId: 1, leaderEpoch: 0, partitionEpoch: 0, replicas: [1], isr: [1], leaderEpochStartOffset: 0n, highWatermark: 0n, nowMs: 0 });
    expect(state.updateHighWatermark(42n)).toBe(42n);
  });

  it('shrinks the ISR when a follower has not caught up for the lag time', () => {
    const state = leaderOf3();
    state.onFollowerFetch(2, 150n, 150n, 1000);
    state.onFollowerFetch(3, 120n, 150n, 1000);
    expect(state.nextIsrProposal(5000, 10_000)).toBeUndefined();
    state.onFollowerFetch(2, 150n, 150n, 10_500);
    const proposal = state.nextIsrProposal(10_500, 10_000);
    expect(proposal).toMatchObject({ isr: [1, 2], partitionEpoch: 5 });
    expect(proposal?.reason).toMatch(/replicas 3 lag/);
    // One proposal at a time.
    expect(state.nextIsrProposal(20_000, 10_000)).toBeUndefined();
  });

  it('credits a follower that fetched everything the leader had at its previous fetch', () => {
    const state = leaderOf3();
    state.onFollowerFetch(2, 100n, 150n, 1000);
    // The leader grew meanwhile, so 150 is not its end, but it covers the previous fetch's end.
    state.onFollowerFetch(2, 150n, 170n, 9000);
    expect(state.follower(2)?.lastCaughtUpTimeMs).toBe(1000);
  });

  it('adds a follower back once it reaches the high watermark and this leader epoch', () => {
    const state = leaderOf3();
    state.onPartitionUpdate([1, 2], [1, 2, 3], 6, 0);
    state.onFollowerFetch(2, 150n, 150n, 10);
    expect(state.currentHighWatermark).toBe(150n);
    state.onFollowerFetch(3, 120n, 150n, 10);
    expect(state.nextIsrProposal(10, 10_000)).toBeUndefined();
    state.onFollowerFetch(3, 150n, 150n, 20);
    const proposal = state.nextIsrProposal(20, 10_000);
    expect(proposal).toMatchObject({ isr: [1, 2, 3], partitionEpoch: 6 });
    // While the addition is pending, the HW already waits for replica 3 (maximal ISR).
    expect(state.maximalIsr).toEqual([1, 2, 3]);
    state.onFollowerFetch(2, 200n, 200n, 30);
    expect(state.currentHighWatermark).toBe(150n);
  });

  it('refuses acks=all below min.insync.replicas', () => {
    const state = leaderOf3();
    expect(state.checkAcksAll(3)).toEqual({ ok: true });
    state.onPartitionUpdate([1], [1, 2, 3], 6, 0);
    expect(state.checkAcksAll(2)).toMatchObject({ ok: false, code: 'NOT_ENOUGH_REPLICAS' });
  });

  it('tracks replica set changes from metadata', () => {
    const state = leaderOf3();
    state.onPartitionUpdate([1, 2], [1, 2, 4], 6, 0);
    expect(state.isReplica(3)).toBe(false);
    expect(state.follower(4)).toMatchObject({ logEndOffset: -1n, lastCaughtUpTimeMs: -1 });
    expect(() => state.onFollowerFetch(3, 0n, 0n, 0)).toThrow(/does not follow/);
  });
});
