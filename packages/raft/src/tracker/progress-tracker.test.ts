import { describe, expect, it } from 'vitest';
import { ProgressTracker } from './progress-tracker.js';

describe('ProgressTracker', () => {
  it('tracks exactly the given nodes, new ones probing after the last index', () => {
    const tracker = new ProgressTracker(4, 1000);
    tracker.sync(new Set([1, 2, 3]), 10);
    expect([...tracker.ids()].sort()).toEqual([1, 2, 3]);
    expect(tracker.get(2)?.next).toBe(11);
    tracker.get(2)?.maybeUpdate(7);
    tracker.sync(new Set([1, 2, 4]), 20);
    expect([...tracker.ids()].sort()).toEqual([1, 2, 4]);
    expect(tracker.get(2)?.match).toBe(7);
    expect(tracker.get(4)?.next).toBe(21);
  });

  it('computes the commit index from voters only', () => {
    const tracker = new ProgressTracker(4, 1000);
    tracker.sync(new Set([1, 2, 3, 9]), 0);
    tracker.get(1)?.maybeUpdate(10);
    tracker.get(2)?.maybeUpdate(6);
    tracker.get(9)?.maybeUpdate(10); // an observer
    expect(tracker.committedIndex([1, 2, 3])).toBe(6);
  });

  it('knows whether a majority of voters was heard from recently', () => {
    const tracker = new ProgressTracker(4, 1000);
    tracker.sync(new Set([1, 2, 3, 4, 5]), 0);
    expect(tracker.isQuorumActive([1, 2, 3, 4, 5], 1)).toBe(false);
    tracker.get(2)!.recentActive = true;
    tracker.get(3)!.recentActive = true;
    expect(tracker.isQuorumActive([1, 2, 3, 4, 5], 1)).toBe(true);
    tracker.resetRecentActive();
    expect(tracker.isQuorumActive([1, 2, 3, 4, 5], 1)).toBe(false);
  });

  it('confirms a ReadIndex round once a majority of voters acknowledged it', () => {
    const tracker = new ProgressTracker(4, 1000);
    tracker.sync(new Set([1, 2, 3]), 0);
    tracker.get(1)!.readRoundAcked = 5;
    tracker.get(2)!.readRoundAcked = 4;
    expect(tracker.readRoundConfirmed([1, 2, 3])).toBe(4);
  });
});
