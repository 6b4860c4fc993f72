import { describe, expect, it } from 'vitest';
import { LeaderEpochCache, UNDEFINED_EPOCH, UNDEFINED_EPOCH_OFFSET } from './leader-epoch-cache.js';

describe('LeaderEpochCache', () => {
  const cache = (): LeaderEpochCache =>
    new LeaderEpochCache([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 10n },
      { epoch: 6, startOffset: 25n },
    ]);

  it("answers OffsetsForLeaderEpoch like Kafka's LeaderEpochFileCache.endOffsetFor", () => {
    const epochs = cache();
    expect(epochs.endOffsetFor(6, 40n)).toEqual({ epoch: 6, endOffset: 40n }); // latest: log end
    expect(epochs.endOffsetFor(3, 40n)).toEqual({ epoch: 3, endOffset: 25n });
    expect(epochs.endOffsetFor(4, 40n)).toEqual({ epoch: 3, endOffset: 25n }); // unknown: the floor epoch
    expect(epochs.endOffsetFor(0, 40n)).toEqual({ epoch: 0, endOffset: 0n }); // before the first epoch
    expect(epochs.endOffsetFor(7, 40n)).toEqual({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
    expect(epochs.endOffsetFor(UNDEFINED_EPOCH, 40n)).toEqual({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
    expect(new LeaderEpochCache().endOffsetFor(2, 5n)).toEqual({ epoch: UNDEFINED_EPOCH, endOffset: UNDEFINED_EPOCH_OFFSET });
  });

  it('assigns only newer epochs and replaces entries at or after the new start', () => {
    const epochs = cache();
    expect(epochs.assign(5, 30n)).toBe(false);
    expect(epochs.assign(6, 30n)).toBe(false);
    expect(epochs.assign(8, 25n)).toBe(true);
    expect(epochs.all).toEqual([
      { epoch: 1, startOffset: 0n },
      { epoch: 3, startOffset: 10n },
      { epoch: 8, startOffset: 25n },
    ]);
  });

  it('truncates from the end and from the start', () => {
    const fromEnd = cache();
    expect(fromEnd.truncateFromEnd(25n)).toBe(true);
    expect(fromEnd.latestEpoch).toBe(3);
    expect(fromEnd.truncateFromEnd(30n)).toBe(false);
    const fromStart = cache();
    expect(fromStart.truncateFromStart(12n)).toBe(true);
    expect(fromStart.all).toEqual([
      { epoch: 3, startOffset: 12n },
      { epoch: 6, startOffset: 25n },
    ]);
    expect(fromStart.truncateFromStart(12n)).toBe(false);
  });

  it('round-trips through its checkpoint text and rejects malformed text', () => {
    const text = cache().serialize();
    expect(text).toBe('0\n3\n1 0\n3 10\n6 25\n');
    expect(LeaderEpochCache.parse(text)?.all).toEqual(cache().all);
    expect(LeaderEpochCache.parse('0\n2\n1 0\n')).toBeUndefined();
    expect(LeaderEpochCache.parse('0\n2\n3 10\n1 20\n')).toBeUndefined();
    expect(LeaderEpochCache.parse('1\n0\n')).toBeUndefined();
    expect(LeaderEpochCache.parse('0\n1\n1 x\n')).toBeUndefined();
  });
});
