import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../core/types.js';
import { Progress } from './progress.js';

const snapshotAt = (index: number): Snapshot => ({ meta: { index, term: 1, membership: { voters: [1], observers: [] } }, data: new Uint8Array(3) });

describe('Progress', () => {
  it('probes one append at a time until an answer unpauses it', () => {
    const progress = new Progress(10, 4, 1000);
    expect(progress.isPaused()).toBe(false);
    progress.sentEntries(12, 2, 2);
    expect(progress.isPaused()).toBe(true);
    expect(progress.next).toBe(10);
    expect(progress.maybeUpdate(12)).toBe(true);
    expect(progress.isPaused()).toBe(false);
    expect(progress.next).toBe(13);
  });

  it('streams optimistically in replicate, bounded by the inflight window', () => {
    const progress = new Progress(1, 2, 1000);
    progress.maybeUpdate(4);
    progress.becomeReplicate();
    expect(progress.next).toBe(5);
    progress.sentEntries(6, 1, 2);
    progress.sentEntries(8, 1, 2);
    expect(progress.next).toBe(9);
    expect(progress.isPaused()).toBe(true);
    progress.maybeUpdate(6);
    progress.inflights.freeUpTo(6);
    expect(progress.isPaused()).toBe(false);
  });

  it('backs off on a rejection in probe, using the follower hint, and ignores stale ones', () => {
    const progress = new Progress(20, 4, 1000);
    progress.sentEntries(19, 0, 0);
    expect(progress.maybeDecreaseTo(12, 5)).toBe(false); // answers an older probe
    expect(progress.maybeDecreaseTo(19, 5)).toBe(true);
    expect(progress.next).toBe(6);
    expect(progress.isPaused()).toBe(false);
  });

  it('falls back to just after match on a rejection in replicate', () => {
    const progress = new Progress(1, 4, 1000);
    progress.maybeUpdate(10);
    progress.becomeReplicate();
    progress.sentEntries(15, 5, 5);
    expect(progress.maybeDecreaseTo(9, 0)).toBe(false); // below match: stale
    expect(progress.maybeDecreaseTo(12, 3)).toBe(true);
    expect(progress.next).toBe(11);
  });

  it('pauses while sending a snapshot and resumes probing after it', () => {
    const progress = new Progress(3, 4, 1000);
    progress.becomeSnapshot(snapshotAt(50));
    expect(progress.isPaused()).toBe(true);
    progress.maybeUpdate(50);
    progress.becomeProbe();
    expect(progress.state).toBe('probe');
    expect(progress.next).toBe(51);
    expect(progress.snapshot).toBeUndefined();
  });
});
