import { describe, expect, it } from 'vitest';
import { LeaderEpochCache } from '@eddy/log';
import { checkDivergence, endOffsetForEpoch, followerTruncationOffset, needsVirtualEpoch } from './divergence.js';

/** Runs one fetch round of Kafka's truncation-on-fetch between two epoch histories. */
function reconcile(leader: { entries: Array<{ epoch: number; startOffset: bigint }>; end: bigint }, follower: { entries: Array<{ epoch: number; startOffset: bigint }>; end: bigint }): bigint {
  let end = follower.end;
  let entries = follower.entries;
  for (let round = 0; round < 10; round++) {
    const lastEpoch = new LeaderEpochCache(entries).latestEpoch;
    const check = checkDivergence(lastEpoch, end, endOffsetForEpoch(leader.entries, leader.end, lastEpoch));
    if (check.kind !== 'diverging') return end;
    const own = new LeaderEpochCache(entries).endOffsetFor(check.divergingEpoch.epoch, end);
    end = followerTruncationOffset(check.divergingEpoch, own, end);
    const cache = new LeaderEpochCache(entries);
    cache.truncateFromEnd(end);
    entries = [...cache.all];
  }
  throw new Error('no agreement after 10 rounds');
}

describe('divergence (leader side)', () => {
  const leaderEntries = [
    { epoch: 0, startOffset: 0n },
    { epoch: 2, startOffset: 50n },
  ];

  it('accepts a follower whose last epoch ends at or after its position on the leader', () => {
    expect(checkDivergence(2, 60n, endOffsetForEpoch(leaderEntries, 90n, 2))).toEqual({ kind: 'consistent' });
    expect(checkDivergence(0, 50n, endOffsetForEpoch(leaderEntries, 90n, 0))).toEqual({ kind: 'consistent' });
    expect(checkDivergence(-1, 0n, endOffsetForEpoch(leaderEntries, 90n, -1))).toEqual({ kind: 'consistent' });
  });

  it('answers the largest epoch at or below the follower\'s and where it ends on the leader', () => {
    // The follower wrote epoch 1 at 50..79, which the leader never had.
    expect(checkDivergence(1, 80n, endOffsetForEpoch(leaderEntries, 90n, 1))).toEqual({ kind: 'diverging', divergingEpoch: { epoch: 0, endOffset: 50n } });
    // The follower has more of epoch 0 than the leader.
    expect(checkDivergence(0, 70n, endOffsetForEpoch(leaderEntries, 90n, 0))).toEqual({ kind: 'diverging', divergingEpoch: { epoch: 0, endOffset: 50n } });
  });

  it('counts the current leadership before its first batch (the epoch start is virtual)', () => {
    // Leader at epoch 3 since offset 90, nothing appended in it yet; a follower of epoch 2's
    // stale leader wrote 90..99 in epoch 2.
    const current = { epoch: 3, startOffset: 90n };
    expect(needsVirtualEpoch(2, current)).toBe(true);
    expect(checkDivergence(2, 100n, endOffsetForEpoch(leaderEntries, 90n, 2, current))).toEqual({ kind: 'diverging', divergingEpoch: { epoch: 2, endOffset: 90n } });
    // Without it, the leader would not know where epoch 2 ended beyond its log end either way.
    expect(endOffsetForEpoch(leaderEntries, 90n, 2)).toEqual({ epoch: 2, endOffset: 90n });
    // An epoch between the log's last and the current one ends where the current one starts.
    expect(endOffsetForEpoch([{ epoch: 0, startOffset: 0n }], 40n, 1, { epoch: 5, startOffset: 40n })).toEqual({ epoch: 0, endOffset: 40n });
    expect(endOffsetForEpoch([{ epoch: 0, startOffset: 0n }], 40n, 1)).toEqual({ epoch: -1, endOffset: -1n });
  });

  it('cannot place an epoch beyond everything it knows', () => {
    expect(checkDivergence(7, 10n, endOffsetForEpoch(leaderEntries, 90n, 7))).toEqual({ kind: 'unknown-epoch' });
  });
});

describe('divergence (follower side)', () => {
  it('truncates to the shared prefix in one round when both know the epoch', () => {
    expect(followerTruncationOffset({ epoch: 0, endOffset: 50n }, { epoch: 0, endOffset: 50n }, 80n)).toBe(50n);
    expect(followerTruncationOffset({ epoch: 0, endOffset: 50n }, { epoch: 0, endOffset: 60n }, 80n)).toBe(50n);
    expect(followerTruncationOffset({ epoch: 0, endOffset: 70n }, { epoch: 0, endOffset: 60n }, 80n)).toBe(60n);
  });

  it('steps back an epoch when its own largest epoch below the leader\'s is another one', () => {
    expect(followerTruncationOffset({ epoch: 3, endOffset: 70n }, { epoch: 1, endOffset: 40n }, 80n)).toBe(40n);
  });

  it('never goes beyond its own log end, and keeps everything when the leader knows nothing', () => {
    expect(followerTruncationOffset({ epoch: 0, endOffset: 500n }, { epoch: 0, endOffset: 80n }, 80n)).toBe(80n);
    expect(followerTruncationOffset({ epoch: 0, endOffset: 30n }, { epoch: -1, endOffset: -1n }, 80n)).toBe(30n);
    expect(followerTruncationOffset({ epoch: -1, endOffset: -1n }, { epoch: -1, endOffset: -1n }, 80n)).toBe(80n);
  });

  it('reaches the common prefix for forked histories, whatever the shape', () => {
    // Follower led epoch 1 (50..79) unreplicated; the leader led epoch 2 from 50.
    expect(
      reconcile(
        { entries: [{ epoch: 0, startOffset: 0n }, { epoch: 2, startOffset: 50n }], end: 90n },
        { entries: [{ epoch: 0, startOffset: 0n }, { epoch: 1, startOffset: 50n }], end: 80n },
      ),
    ).toBe(50n);
    // Several stale epochs on the follower; the leader's epoch 1 ended at 20, the follower's at 25.
    expect(
      reconcile(
        { entries: [{ epoch: 0, startOffset: 0n }, { epoch: 1, startOffset: 10n }, { epoch: 5, startOffset: 20n }], end: 40n },
        { entries: [{ epoch: 0, startOffset: 0n }, { epoch: 1, startOffset: 10n }, { epoch: 3, startOffset: 25n }, { epoch: 4, startOffset: 30n }], end: 35n },
      ),
    ).toBe(20n);
    // A follower that is merely behind is never truncated.
    expect(
      reconcile({ entries: [{ epoch: 0, startOffset: 0n }, { epoch: 2, startOffset: 50n }], end: 90n }, { entries: [{ epoch: 0, startOffset: 0n }, { epoch: 2, startOffset: 50n }], end: 70n }),
    ).toBe(70n);
  });
});
